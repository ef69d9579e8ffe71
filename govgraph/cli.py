"""The ``govgraph`` command line. Commands parse options, call catalog/io/lineage/shapes, print.

Errors from govgraph are printed on one line (``error: ...``) with exit status 1; the
command-line layer holds no domain logic of its own.
"""
from __future__ import annotations

import functools
import io
import json
import sys
import time
from pathlib import Path

import click

from govgraph import __version__
from govgraph.errors import BadInput, GovGraphError
from govgraph.io.formats import EXPORT_FORMATS, INPUT_FORMATS
from govgraph.store import Store, default_store_url, open_store

STORE_HELP = ("Store URL: oxigraph:PATH (embedded, default oxigraph:govgraph-data), memory:, or "
              "sparql+http://HOST:PORT/query?update=/update&store=/store (any SPARQL 1.1 server). Env: GOVGRAPH_STORE.")


def store_option(f):
    """The --store option every command that reads or writes the store takes."""
    return click.option("--store", "store_url", envvar="GOVGRAPH_STORE", default=None,
                        show_default=False, help=STORE_HELP)(f)


def _open(store_url: str | None) -> Store:
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


class _ProgressPrinter:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govgraph")
def main() -> None:
    """govgraph: a governance knowledge graph and lineage tool for a council's data estate.

    Load RDF or Information Asset Register files into a store, query them, trace lineage,
    check them against the council's data principles and browse them in a web viewer.
    """


# ----------------------------------------------------------------------------- load / sources

@main.command()
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
    from govgraph.errors import ValidationFailed
    from govgraph.io.load import RegisterOptions, load_files
    from govgraph.shapes.baseline import change_text
    progress = _ProgressPrinter(quiet)
    with _open(store_url) as store:
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
            if r.report is not None and r.report.baseline:
                click.echo(change_text(r.report.baseline))


@main.command()
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
        with _open(store_url) as store:
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


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@store_option
@handle_errors
def sources(fmt, store_url):
    """List the loaded sources with their triple counts and load times."""
    with _open(store_url) as store:
        items = store.sources()
        if fmt == "json":
            click.echo(json.dumps([{"name": s.name, "graph": s.graph, "triples": s.triples,
                                    "loaded_at": s.loaded_at.isoformat() if s.loaded_at else None,
                                    "loaded_from": s.loaded_from} for s in items], indent=2))
            return
        if not items:
            click.echo("no sources loaded (try: govgraph load FILE)")
            return
        _table(["source", "triples", "loaded at", "from"],
               [[s.name, f"{s.triples:,}", s.loaded_at.strftime("%Y-%m-%d %H:%M:%S") if s.loaded_at else "",
                 s.loaded_from] for s in items])
        click.echo(f"{len(items)} source(s), {sum(s.triples for s in items):,} triples, revision {store.revision}")


@main.command()
@click.argument("name")
@store_option
@handle_errors
def remove(name, store_url):
    """Withdraw a loaded source as a unit (recorded in the change history)."""
    with _open(store_url) as store:
        rec = store.remove_source(name)
        click.echo(f"removed {name}: {rec.removed:,} triples")


@main.command()
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
    with _open(store_url) as store:
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


@main.command("ingest-openlineage")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@store_option
@handle_errors
def ingest_openlineage(file, store_url):
    """Ingest OpenLineage events (RunEvents, and static DatasetEvents and JobEvents) from a JSON Lines
    file (one event a line), each validated."""
    from govgraph.io.openlineage import ingest_file
    from govgraph.store import _whoami
    with _open(store_url) as store:
        results = ingest_file(store, file, who=_whoami())  # recorded as the person who ran it, like load
        changed = sum(1 for r in results if r.write.changed)
        click.echo(f"ingested {len(results):,} events: {changed:,} changed the graph, "
                   f"{len(results) - changed:,} were already recorded")
        for r in results:
            for w in r.warnings:
                click.echo(f"warning: {r.kind} {r.subject}: {w}", err=True)


# ----------------------------------------------------------------------------- query / info

@main.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "turtle"]), default="table",
              show_default=True, help="csv and json follow the SPARQL 1.1 results formats.")
@click.option("--asof", help="Query the estate as it was on this date (YYYY-MM-DD) or date-time.")
@store_option
@handle_errors
def query(sparql, fmt, asof, store_url):
    """Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the store.

    Pass '-' to read the query from standard input. The usual prefixes (gov, dcat,
    dcterms, prov, org, foaf, skos, dqv, dpv ...) are predeclared.
    """
    from govgraph.io.results import write_results
    if sparql == "-":
        sparql = sys.stdin.read()
    with _open(store_url) as store:
        target = _asof(store, asof)
        write_results(target.query(sparql), fmt, click.get_text_stream("stdout"))


def _asof(store: Store, asof: str | None) -> Store:
    """The store itself, or an in-memory copy of the estate as it was at ``asof``."""
    if not asof:
        return store
    from govgraph.history import store_asof
    return store_asof(store, asof)


@main.command()
@click.argument("iri")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True)
@click.option("--asof", help="Show the asset as it was on this date (YYYY-MM-DD) or date-time.")
@store_option
@handle_errors
def info(iri, fmt, asof, store_url):
    """Show everything about one asset: owner, steward, system, standards, agreements, quality.

    IRI may also be an asset's exact name, e.g. "SALT return".
    """
    from govgraph import catalog, search
    with _open(store_url) as live:
        store = _asof(live, asof)
        a = catalog.get_asset(store, search.resolve(store, iri))
        resp = catalog.responsibilities(store, a.iri) if a.kind in ("person", "team") else None
        if fmt == "json":
            d = a.to_dict()
            if resp is not None:
                d["accountable_for"] = {role: [{"iri": x.iri, "label": x.label, "kind": x.kind, "through": h.iri}
                                               for h, x in rows] for role, rows in resp.by_role().items()}
                d["left_on"] = resp.left_on
            click.echo(json.dumps(d, indent=2, default=str))
            return
        if fmt == "turtle":
            click.echo(catalog.turtle(store, a.iri))
            return
        click.echo(f"{a.label}  ({a.kind_label})\n{a.iri}")
        if a.description:
            click.echo(f"\n{a.description}")
        click.echo("")
        if resp is not None:
            _print_responsibilities(a, resp, catalog.ROLE_HEADINGS)
        for title, refs in (("Owner", a.owners), ("Steward", a.stewards), ("Custodian", a.custodians),
                            ("Service area", a.service_areas), ("Held in", a.systems),
                            ("Standards", a.standards), ("Agreements", a.agreements), ("Glossary", a.terms)):
            if refs:
                click.echo(f"  {title + ':':<14}" + "; ".join(r.label for r in refs))
        if a.classification:
            click.echo(f"  {'Classification:':<14}{a.classification}")
        if a.personal_data:
            click.echo(f"  {'Personal data:':<14}yes" + (" (special category)" if a.special_category else ""))
        if a.quality:
            click.echo("\n  Quality:")
            for q in a.quality:
                flag = "  BELOW TARGET" if q.below_target else ""
                click.echo(f"    {q.metric.label:<22} value {_num(q.value)}  target {_num(q.target)}{flag}")
        click.echo("\n  All properties:")
        for p in a.properties:
            click.echo(f"    {p.label}: " + "; ".join(v.text for v in p.values))


def _print_responsibilities(a, resp, headings: dict[str, str]) -> None:
    """What a person or team is accountable for, by role with counts; leavers flagged."""
    gone = {p.iri for p in resp.left()}
    if a.iri in resp.left_on:
        click.echo(f"  {'LEFT' if a.iri in gone else 'LEAVING'} on {resp.left_on[a.iri]}: "
                   "each asset below needs someone new in the role.\n")
    groups = resp.by_role()
    if not groups:
        click.echo("  Accountable for: nothing recorded (not an owner, steward or custodian of any asset)\n")
        return
    click.echo(f"  Accountable for {len(resp.assets())} asset(s): "
               + "; ".join(f"{headings[r]} {len(rows)}" for r, rows in groups.items()))
    for role, rows in groups.items():
        click.echo(f"\n  {headings[role]} ({len(rows)}):")
        for holder, x in rows:
            through = f"  (through {holder.label}{', left' if holder.iri in gone else ''})" if holder.iri != a.iri else ""
            click.echo(f"    {x.label}  [{x.kind}]{through}")
    click.echo("")


def _num(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())


@main.command()
@click.argument("iri", required=False)
@click.option("--source", help="Only changes to this source.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@store_option
@handle_errors
def history(iri, source, fmt, store_url):
    """Show the change history: every load, replace and removal, or those that touched IRI.

    With IRI (or an asset's exact name), lists the triples about it each change added (+)
    and removed (-).
    """
    from govgraph import catalog, search
    from govgraph.history import asset_history
    with _open(store_url) as store:
        if iri is None:
            recs = store.history(source)
            if fmt == "json":
                click.echo(json.dumps([_record_dict(r) for r in recs], indent=2))
                return
            _table(["rev", "when (UTC)", "action", "source", "who", "added", "removed", "forced"],
                   [[str(r.revision), r.at.strftime("%Y-%m-%d %H:%M:%S"), r.action, r.source, r.who,
                     f"{r.added:,}", f"{r.removed:,}", "yes" if r.forced else ""] for r in recs])
            for r in (r for r in recs if r.note):
                click.echo(f"rev {r.revision}: {r.note}")
            return
        target = iri if iri.startswith(("http://", "https://", "urn:")) else search.resolve(store, iri)
        changes = [c for c in asset_history(store, target) if source is None or c.record.source == source]
        if fmt == "json":
            click.echo(json.dumps([dict(_record_dict(c.record),
                                        triples_added=[[str(x) for x in t] for t in c.added],
                                        triples_removed=[[str(x) for x in t] for t in c.removed]) for c in changes],
                                  indent=2))
            return
        if not changes:
            click.echo(f"no recorded change touched {target}")
        for c in changes:
            r = c.record
            click.echo(f"rev {r.revision}  {r.at:%Y-%m-%d %H:%M:%S}  {r.action} {r.source}  by {r.who}")
            for sign, triples in (("+", c.added), ("-", c.removed)):
                for _, p, o in triples:
                    click.echo(f"    {sign} {catalog.term_label(str(p))[0]}: {o}")


def _record_dict(r) -> dict:
    return {"revision": r.revision, "at": r.at.isoformat(), "action": r.action, "source": r.source,
            "who": r.who, "added": r.added, "removed": r.removed, "forced": r.forced, "note": r.note}


@main.command()
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


# ----------------------------------------------------------------------------- reports

@main.command()
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
    with _open(store_url) as store:
        t0 = time.perf_counter()
        rep = build_report(store, name, on)
        data = render(rep, fmt)
    if output is None:
        click.get_binary_stream("stdout").write(data)
        return
    output.write_bytes(data)
    rows = sum(len(t.rows) for t in rep.tables)
    click.echo(f"wrote {rep.title} ({rows:,} rows, {fmt}) to {output} in {time.perf_counter() - t0:.1f} s", err=True)


# ----------------------------------------------------------------------------- serve / demo

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads of the WSGI server.")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds a connection may sit idle or half-sent before it is closed (slow clients).")
@click.option("--connection-limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Most simultaneous connections accepted; past it, those waiting longest for their request "
                   "headers are closed to make room.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds a request's headers may take to arrive before the connection is closed (slow loris).")
@click.option("--query-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a SPARQL query may run before its worker is stopped (422).")
@click.option("--queue-wait", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a SPARQL query waits for a free query worker, or an as-of page for the as-of "
                   "build in progress, before it is answered 503 with Retry-After.")
@click.option("--asof-time-limit", default=20.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds building the estate as of a past date may take before it is stopped (503).")
@click.option("--max-body", default=50, show_default=True, type=click.IntRange(min=1),
              help="Largest request body accepted, in MB (larger bodies get 413).")
@click.option("--require-read-token", is_flag=True,
              help="Every page and API call needs a bearer token (role reader or stronger) from the token file.")
@click.option("--hide-sensitive", is_flag=True, envvar="GOVGRAPH_HIDE_SENSITIVE",
              help="Hide assets classified OFFICIAL-SENSITIVE or above (pages, search, API, reports, SPARQL) "
                   "from requests without a token holding one of the asset's access groups; admins see all.")
@click.option("--base-url", default=None, envvar="GOVGRAPH_BASE_URL",
              help="The address clients use, e.g. https://data.example.gov.uk/ behind a proxy; absolute URLs "
                   "(redirects, DCAT catalogue, SPARQL service description) are built from it, never from the "
                   "Host header.  [default: http://HOST:PORT/]")
@store_option
@handle_errors
def serve(host, port, threads, timeout, connection_limit, header_timeout, query_timeout, queue_wait, asof_time_limit,
          max_body, require_read_token, hide_sensitive, base_url, store_url):
    """Serve the web viewer, SPARQL endpoint and JSON API with a production WSGI server."""
    if base_url:
        from govgraph.webapp.base_url import parse_base_url
        parse_base_url(base_url)  # a bad URL is refused before the store is opened
    _serve(_open(store_url), host, port, threads, timeout=timeout, connection_limit=connection_limit,
           header_timeout=header_timeout, max_body=max_body * 1024 * 1024, read_token_required=require_read_token,
           hide_sensitive=hide_sensitive, config={"SPARQL_TIMEOUT": query_timeout, "SPARQL_QUEUE_WAIT": queue_wait,
                                                  "ASOF_QUEUE_WAIT": queue_wait, "ASOF_TIME_LIMIT": asof_time_limit,
                                                  **({"BASE_URL": base_url} if base_url else {})})


def _serve(store: Store, host: str, port: int, threads: int, *, timeout: int = 30, connection_limit: int = 1000,
           header_timeout: float = 10.0, max_body: int = 50 * 1024 * 1024, read_token_required: bool = False,
           hide_sensitive: bool = False, config: dict | None = None) -> None:
    from govgraph.webapp import create_app, server
    from govgraph.webapp.base_url import base_url_for
    app = create_app({"STORE": store, "MAX_CONTENT_LENGTH": max_body, "READ_TOKEN_REQUIRED": read_token_required,
                      "HIDE_SENSITIVE": hide_sensitive, "BASE_URL": base_url_for(host, port), **(config or {})})
    from govgraph.io.query_pool import cpu_default
    need = server.threads_needed(int(app.config.get("SPARQL_WORKERS") or cpu_default()))
    if threads < need:
        click.echo(f"using {need} threads rather than {threads}: slow queries and as-of builds may hold "
                   f"{need - 2} of them, and pages need the rest", err=True)
        threads = need
    click.echo(f"govgraph {__version__} serving {store.url} on http://{host}:{port}/ as {app.config['BASE_URL']}"
               "  (Ctrl+C to stop)"
               + ("; restricted assets hidden from readers without their access group" if hide_sensitive else ""),
               err=True)
    try:
        # the sweep runs every second: it closes idle connections and those whose headers are late
        server.serve(app, header_timeout=header_timeout, host=host, port=port, threads=threads, ident="govgraph",
                     channel_timeout=timeout, connection_limit=connection_limit,
                     max_request_body_size=max(2 * max_body, max_body + 8 * 1024 * 1024),  # app answers 413 first
                     cleanup_interval=1)
    finally:
        store.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--store", "store_url", default="oxigraph:govgraph-demo", show_default=True,
              help="Where to build the demo store (it is emptied first).")
@click.option("--no-serve", is_flag=True, help="Only load the sample estate, do not start the server.")
@handle_errors
def demo(host, port, store_url, no_serve):
    """Load the sample council estate into a fresh store and serve it."""
    from govgraph.data.estate import load_sample, reset_store
    store = reset_store(store_url)
    t0 = time.perf_counter()
    results = load_sample(store)
    n = sum(r.triples for r in results)
    click.echo(f"loaded the sample estate: {len(results)} sources, {n:,} triples in "
               f"{time.perf_counter() - t0:.1f} s into {store.url}", err=True)
    if no_serve:
        store.close()
        return
    _serve(store, host, port, 8)


def _register_command_groups() -> None:
    """Attach the commands defined beside their rooms: lineage (``lineage``, ``impact``, ``path``) and ``harvest``."""
    from govgraph.harvest.commands import register as register_harvest
    from govgraph.lineage.commands import register as register_lineage
    for register in (register_lineage, register_harvest):
        register(main, store_option, handle_errors, _open)


_register_command_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
