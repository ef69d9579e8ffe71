"""The CLI commands that change or list the store's sources: load, validate, sources, remove, export, ingest-openlineage.

The loaders, the validator and the exporters are imported inside the commands that use them, so that
every other ``govgraph`` command (``--help`` included) starts without them: together they take 0.3-0.5 s
to import (measured on the loaded 2-core test machine, December 2026).
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click

from govgraph.commands.support import STORE_HELP, ProgressPrinter, handle_errors, open_store_url, store_option, table
from govgraph.errors import ValidationFailed
from govgraph.io.formats import EXPORT_FORMATS, INPUT_FORMATS
from govgraph.store import whoami


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", help="Load every file into this one source (default: one source per file, named after it).")
@click.option("--replace", is_flag=True, help="Replace the source if it is already loaded.")
@click.option("--format", "fmt", type=click.Choice(INPUT_FORMATS),
              help="Format of the files (default: from the extension; .csv and .xlsx are an IAR).")
@click.option("--base", default=None, help="Base IRI for assets created from an IAR CSV.")
@click.option("--sheet", default=None, help="IAR workbook (.xlsx): the sheet to read (default: the first).")
@click.option("--new-names", "new_names", is_flag=True,
              help="IAR: the names reported as close to known people, units, systems or partners are new: create them.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--force", is_flag=True, help="Admin only: commit even if the data breaks principle shapes (recorded in the audit log).")
@click.option("--as-is", "as_is", is_flag=True, help="Editors: commit whatever the findings; the violations become the source's "
              "baseline of known gaps, and later writes are refused only for new ones. A file that cannot be parsed is still refused.")
@store_option
@handle_errors
def load(files, source, replace, fmt, base, sheet, new_names, quiet, store_url, force=False, as_is=False):
    """Load RDF files or IAR CSV files into the store, each source as one transaction.

    A file that cannot be parsed (or an IAR row that is wrong) is rejected whole, with
    the file, line and column, and the store is left as it was.
    """
    from govgraph.io.iar import DEFAULT_BASE
    from govgraph.io.load import RegisterOptions, load_files
    from govgraph.shapes.baseline import change_text
    progress = ProgressPrinter(quiet)
    with open_store_url(store_url) as store:
        try:
            results = load_files(store, list(files), source=source, replace=replace, fmt=fmt,
                                 base=base or DEFAULT_BASE, progress=progress, force=force, as_is=as_is,
                                 register=RegisterOptions(sheet=sheet, new_names=new_names))
        except ValidationFailed as e:
            progress.finish()
            click.echo(e.report.to_text(), err=True)
            raise
        finally:
            progress.finish()
        for r in results:
            rate = r.triples / r.seconds if r.seconds else 0
            click.echo(f"loaded {r.source}: {r.triples:,} triples from {len(r.files)} file(s) "
                       f"in {r.seconds:.2f} s ({rate:,.0f} triples/s)"
                       + (f", {r.record.removed:,} removed" if r.record.action == "replace" else ""))
            for w in r.read_warnings:
                click.echo(f"  warning: {w}")
            _print_warnings(r)
            for a in r.catalogued:
                click.echo("  " + a.line())
            if r.report is not None and r.report.baseline:
                click.echo(change_text(r.report.baseline))


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "use_store", is_flag=True, help="Validate the whole store instead of files.")
@click.option("--store-url", "store_url", envvar="GOVGRAPH_STORE", default=None, help=STORE_HELP)
@click.option("--profile", default=None, help="Shape set to check against, e.g. new-system (default: all principle shapes).")
@click.option("--shapes", "shape_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Use these SHACL files instead (repeatable), e.g. DCAT-AP shapes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True)
@click.option("--date", "check_date", default=None, help="Check date YYYY-MM-DD for date rules (default: today).")
@click.option("--save", is_flag=True, help="With --store: keep the report for its check date (scorecard history).")
@handle_errors
def validate(files, use_store, store_url, profile, shape_files, fmt, check_date, save):
    """Check files (or the whole store with --store) against the council's data principles.

    Output is grouped by principle and severity; exit status 1 when there are violations.
    """
    from govgraph.shapes.validate import validate_files, validate_store
    if bool(files) == bool(use_store):
        raise click.UsageError("give FILE... or --store (not both)")
    if use_store:
        with open_store_url(store_url) as store:
            report = validate_store(store, profile=profile, shape_files=list(shape_files) or None,
                                    check_date=check_date, save=save)
    else:
        report = validate_files(list(files), profile=profile, shape_files=list(shape_files) or None,
                                check_date=check_date)
    out = {"text": report.to_text, "json": report.to_json, "turtle": report.to_turtle}[fmt]()
    click.echo(out.rstrip("\n"))
    sys.exit(0 if report.conforms else 1)


def _print_warnings(result) -> None:
    report = getattr(result, "report", None)
    if report is not None and hasattr(report, "summary_line"):
        click.echo("  " + report.summary_line())


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@store_option
@handle_errors
def sources(fmt, store_url):
    """List the loaded sources with their triple counts and load times."""
    with open_store_url(store_url) as store:
        items = store.sources()
        if fmt == "json":
            click.echo(json.dumps([{"name": s.name, "graph": s.graph, "triples": s.triples,
                                    "loaded_at": s.loaded_at.isoformat() if s.loaded_at else None,
                                    "loaded_from": s.loaded_from} for s in items], indent=2))
            return
        if not items:
            click.echo("no sources loaded (try: govgraph load FILE)")
            return
        table(["source", "triples", "loaded at", "from"],
               [[s.name, f"{s.triples:,}", s.loaded_at.strftime("%Y-%m-%d %H:%M:%S") if s.loaded_at else "",
                 s.loaded_from] for s in items])
        click.echo(f"{len(items)} source(s), {sum(s.triples for s in items):,} triples, revision {store.revision}")


@click.command()
@click.argument("name")
@store_option
@handle_errors
def remove(name, store_url):
    """Withdraw a loaded source as a unit (recorded in the change history)."""
    with open_store_url(store_url) as store:
        rec = store.remove_source(name)
        click.echo(f"removed {name}: {rec.removed:,} triples")


@click.command()
@click.option("--source", help="Export only this source (default: the whole store).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="turtle", show_default=True,
              help="RDF format, or iar for an Information Asset Register CSV.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@click.option("--dcat", is_flag=True, help="Export the open datasets as a DCAT-AP 3 catalogue (turtle or jsonld).")
@click.option("--base", "dcat_base", default=None, envvar="GOVGRAPH_BASE_URL",
              help="With --dcat (required): the web app's public address, e.g. https://data.example.gov.uk/, for "
                   "the catalogue and dataset page IRIs; defaults to GOVGRAPH_BASE_URL (as serve --base-url). "
                   "A local address (localhost, 127.0.0.1) is refused.")
@store_option
@handle_errors
def export(source, fmt, output, dcat, dcat_base, store_url):
    """Export the store (or one source) as RDF, or the information assets as an IAR CSV."""
    from govgraph.io.export import export_to
    if dcat:
        from govgraph.io.dcat import public_base, write_dcat
        dcat_base = public_base(dcat_base)  # refused before the store is opened or a file written
    with open_store_url(store_url) as store:
        if dcat:
            buf = io.BytesIO()  # the whole catalogue first: a failed export leaves no partial file
            n = write_dcat(store, buf, fmt, dcat_base)
            if output:
                output.write_bytes(buf.getvalue())
                click.echo(f"wrote a DCAT catalogue of {n:,} open datasets to {output}", err=True)
            else:
                click.get_binary_stream("stdout").write(buf.getvalue())
            return
        n = export_to(store, output, fmt, source=source)
        if output:
            click.echo(f"wrote {n:,} {'rows' if fmt == 'iar' else 'triples'} to {output}", err=True)


@click.command("ingest-openlineage")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@store_option
@handle_errors
def ingest_openlineage(file, store_url):
    """Ingest OpenLineage events (RunEvents, and static DatasetEvents and JobEvents) from a JSON Lines
    file (one event a line), each validated."""
    from govgraph.io.openlineage import ingest_file
    with open_store_url(store_url) as store:
        results = ingest_file(store, file, who=whoami())  # recorded as the person who ran it, like load
        changed = sum(1 for r in results if r.write.changed)
        click.echo(f"ingested {len(results):,} events: {changed:,} changed the graph, "
                   f"{len(results) - changed:,} were already recorded")
        for r in results:
            for w in r.warnings:
                click.echo(f"warning: {r.kind} {r.subject}: {w}", err=True)


#: The commands of this module, attached to the ``govgraph`` group by ``register``.
COMMANDS = (load, validate, sources, remove, export, ingest_openlineage,)


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI group ``main``."""
    for command in COMMANDS:
        main.add_command(command)
