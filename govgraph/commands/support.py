"""What every CLI command module shares: the --store option, one-line errors, tables, progress."""
from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from govgraph.errors import GovGraphError
from govgraph.store import Store, default_store_url, open_store

STORE_HELP = ("Store URL: oxigraph:PATH (embedded, default oxigraph:govgraph-data), memory:, or "
              "sparql+http://HOST:PORT/query?update=/update&store=/store (any SPARQL 1.1 server). Env: GOVGRAPH_STORE.")


def store_option(f):
    """The --store option every command that reads or writes the store takes."""
    return click.option("--store", "store_url", envvar="GOVGRAPH_STORE", default=None,
                        show_default=False, help=STORE_HELP)(f)


def open_store_url(store_url: str | None) -> Store:
    return open_store(store_url or default_store_url())


def handle_errors(f):
    """Print govgraph errors in one line and exit 1 instead of a traceback."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except GovGraphError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except (OSError, ValueError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
    return wrapper


class ProgressPrinter:
    """Prints a progress line to stderr for reads that take more than a couple of seconds."""

    def __init__(self, quiet: bool = False, after: float = 2.0):
        self.quiet, self.after = quiet, after
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if self.quiet or now - self.start < self.after or now - self.last < 0.5:
            return
        self.last = now
        pct = 100 * done / total if total else 100
        width = 30
        bar = "#" * int(width * pct / 100)
        rate = done / (now - self.start) / 1e6
        click.echo(f"\r{Path(label).name}: [{bar:<{width}}] {pct:5.1f}%  {done / 1e6:,.0f}/{total / 1e6:,.0f} MB"
                   f"  {rate:,.1f} MB/s", err=True, nl=False)
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            click.echo("", err=True)


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
