"""The lineage commands of the ``govgraph`` CLI: ``lineage``, ``impact``, ``sharing``, ``path``.

Defined here, next to the engine, and attached to the CLI group by ``register`` so that
``govgraph/cli.py`` needs one line; the commands parse options, call ``queries`` and print.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Callable

import click

from govgraph.history import store_asof
from govgraph.io.cells import CellWriter
from govgraph.lineage import export, fields, queries, sharing, text
from govgraph.lineage.graph import FIELD


def register(main: click.Group, store_option: Callable, handle_errors: Callable,
             open_store: Callable[[str | None], Any]) -> None:
    """Add ``lineage``, ``impact``, ``sharing`` and ``path`` to the CLI group ``main``."""

    @main.command("lineage")
    @click.argument("iri")
    @click.option("--up", "direction", flag_value="up", help="Only where it comes from.")
    @click.option("--down", "direction", flag_value="down", help="Only where it goes.")
    @click.option("--both", "direction", flag_value="both", default=True, help="Both ways (default).")
    @click.option("--depth", type=int, default=None, help="Hops to follow (default: all; at most 50).")
    @click.option("--fields", "with_fields", is_flag=True,
                  help="Also trace each field back to its source fields (or IRI itself, if it is a field).")
    @_output_options
    @store_option
    @handle_errors
    def lineage_cmd(iri, direction, depth, with_fields, fmt, output, asof, store_url):
        """Upstream and downstream lineage of an asset, as a tree, JSON or a diagram.

        IRI may also be an asset's exact name, e.g. "SALT return".
        """
        with open_store(store_url) as live:
            store = _past(live, asof)
            lg = queries.graph_of(store)
            root = lg.resolve(iri)
            if with_fields and lg.kind(root) == FIELD:
                trace = fields.field_trace(lg, root)
                _emit(json.dumps(trace.to_dict(), indent=2) if fmt == "json" else text.field_text(trace), output)
                return
            res = queries.lineage(lg, root, direction, depth)
            traces = fields.trace_dataset_fields(lg, root) if with_fields and lg.kind(root) != FIELD and \
                lg.kind(root) in ("dataset", "report", "return") else []
            if fmt == "json":
                data = res.to_dict()
                if with_fields:
                    data["fields"] = [t.to_dict() for t in traces]
                out = json.dumps(data, indent=2)
            elif fmt == "text":
                out = text.lineage_text(res)
                if with_fields:
                    out += "fields:\n" + ("".join(text.field_text(t, "  ") for t in traces) or "  (none recorded)\n")
            else:
                out = export.export(res.subgraph(), fmt)
                for note in res.notices:
                    click.echo(f"note: {note}", err=True)
            _emit(out, output)

    @main.command("impact")
    @click.argument("iri")
    @_output_options
    @store_option
    @handle_errors
    def impact_cmd(iri, fmt, output, asof, store_url):
        """What changing or removing a system or dataset affects: datasets, reports, returns, partners, owners."""
        with open_store(store_url) as live:
            res = queries.impact(_past(live, asof), iri)
            if fmt == "json":
                out = json.dumps(res.to_dict(), indent=2)
            elif fmt == "text":
                out = text.impact_text(res)
            else:
                out = export.export(res.subgraph(), fmt)
            _emit(out, output)

    @main.command("sharing")
    @click.option("--date", "check_date", help="Check agreements on this date (YYYY-MM-DD; default today).")
    @click.option("--gaps", "gaps_only", is_flag=True, help="Only crossings with a gap.")
    @click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
    @click.option("--asof", help="The estate as it was on this date (YYYY-MM-DD) or date-time.")
    @store_option
    @handle_errors
    def sharing_cmd(check_date, gaps_only, fmt, output, asof, store_url):
        """Personal data leaving the council: every boundary crossing with its agreement, lawful basis and
        Article 9 condition, gaps first."""
        with open_store(store_url) as live:
            res = sharing.sharing(_past(live, asof), check_date=check_date)
            if gaps_only:
                res = res.only_gaps()
            if fmt == "json":
                out = json.dumps(res.to_dict(), indent=2)
            elif fmt == "csv":
                buf = io.StringIO()
                CellWriter(buf).writerows(res.table())
                out = buf.getvalue()
            else:
                out = text.sharing_text(res)
            _emit(out, output)

    @main.command("path")
    @click.argument("a")
    @click.argument("b")
    @click.option("--max-hops", type=int, default=10, show_default=True, help="Longest path to look for.")
    @click.option("--limit", type=int, default=100, show_default=True, help="Most paths to list.")
    @_output_options
    @store_option
    @handle_errors
    def path_cmd(a, b, max_hops, limit, fmt, output, asof, store_url):
        """Every path data takes between two assets (either way round)."""
        with open_store(store_url) as live:
            res = queries.paths(_past(live, asof), a, b, max_hops=max_hops, limit=limit)
            if fmt == "json":
                out = json.dumps(res.to_dict(), indent=2)
            elif fmt == "text":
                out = text.paths_text(res)
            else:
                out = export.export(res.subgraph(), fmt)
            _emit(out, output)


def _output_options(command: Callable) -> Callable:
    """--format, -o/--output and --asof, shared by the lineage commands."""
    for option in reversed([
        click.option("--format", "fmt", type=click.Choice(["text", "json", "svg", "mermaid", "dot"]), default="text",
                     show_default=True),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."),
        click.option("--asof", help="The estate as it was on this date (YYYY-MM-DD) or date-time."),
    ]):
        command = option(command)
    return command


def _past(store: Any, asof: str | None) -> Any:
    """The store itself, or an in-memory copy of the estate as it was at ``asof`` (rebuilt from the history)."""
    if not asof:
        return store
    return store_asof(store, asof)


def _emit(out: str, output: Path | None) -> None:
    if output is None:
        click.echo(out, nl=not out.endswith("\n"))
    else:
        output.write_text(out, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
