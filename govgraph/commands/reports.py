"""The CLI commands that write documents: governance reports and synthetic estates.

The report builders, renderers (openpyxl) and the estate generator are imported inside the commands, so
that other ``govgraph`` commands start without them: about 0.12 s (measured on the loaded 2-core test
machine, December 2026).
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from govgraph.errors import BadInput
from govgraph.commands.support import handle_errors, open_store_url, store_option


@click.command()
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "xlsx"]), default=None,
              help="Output format (default: from the -o file's extension, else html).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output; xlsx needs a file).")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="Report date: agreements in force, owners who have left, validations and measurements "
                   "up to it (default: today).")
@store_option
@handle_errors
def report(name, fmt, output, date, store_url):
    """Generate a governance report: ropa, iar, scorecard, agreements, ownership or quality.

    ropa is the UK GDPR Article 30 record of processing; iar the Information Asset
    Register; scorecard the data principles over time; agreements the sharing agreements
    in force, due for review and expired with flows still running; ownership per owner and
    service area; quality the key datasets against their targets.
    """
    from govgraph.reports import build_report, check_name, parse_date
    from govgraph.reports.render import render
    check_name(name)
    on = parse_date(date)
    if fmt is None:
        ext = output.suffix.lower().lstrip(".") if output else ""
        fmt = {"htm": "html", "html": "html", "csv": "csv", "xlsx": "xlsx"}.get(ext, "html")
    if fmt == "xlsx" and output is None:
        raise BadInput("XLSX is a binary format: give -o FILE.xlsx")
    with open_store_url(store_url) as store:
        t0 = time.perf_counter()
        rep = build_report(store, name, on)
        data = render(rep, fmt)
    if output is None:
        click.get_binary_stream("stdout").write(data)
        return
    output.write_bytes(data)
    rows = sum(len(t.rows) for t in rep.tables)
    click.echo(f"wrote {rep.title} ({rows:,} rows, {fmt}) to {output} in {time.perf_counter() - t0:.1f} s", err=True)


@click.command()
@click.option("--datasets", type=int, required=True, help="How many datasets (at least 1); 100,000 is ~4.7M triples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same file.")
@click.option("--defect-rate", type=float, default=0.0, show_default=True,
              help="Share (0-1) of datasets, partner flows and agreements given one documented defect each.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .ttl (Turtle) or .nt (N-Triples).")
@handle_errors
def generate(datasets, seed, defect_rate, output):
    """Write a synthetic council estate of any size (for demos, tests and benchmarks)."""
    from govgraph.data.generate import generate as write_estate
    if datasets <= 0:
        raise BadInput(f"--datasets must be at least 1, got {datasets}")

    def progress(done: int, total: int) -> None:
        click.echo(f"\rgenerating: {100 * done // total:3d}% ({done:,}/{total:,} datasets)", err=True, nl=False)
    t0 = time.perf_counter()
    counts = write_estate(output, datasets, seed, defect_rate, progress=progress)
    defects = sum(counts["defects"].values())
    click.echo(f"\rwrote {counts['triples']:,} triples ({counts['datasets']:,} datasets, {counts['fields']:,} fields, "
               f"{counts['flows']:,} flows, {defects:,} defects) to {output} in {time.perf_counter() - t0:.1f} s",
               err=True)


#: The commands of this module, attached to the ``govgraph`` group by ``register``.
COMMANDS = (report, generate,)


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI group ``main``."""
    for command in COMMANDS:
        main.add_command(command)
