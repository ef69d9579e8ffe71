"""The CLI commands that read the estate: query (through the query service), info and history."""
from __future__ import annotations

import json
import sys

import click

from govgraph import catalog, search
from govgraph.commands.support import handle_errors, open_store_url, store_option, table
from govgraph.history import asset_history, store_asof
from govgraph.io.results import parse_outcome, write_results
from govgraph.labels import term_label
from govgraph.query_service import QueryLimits, QueryService, raise_for
from govgraph.responsibilities import ROLE_HEADINGS, responsibilities
from govgraph.store import Store

#: The largest answer ``govgraph query`` takes from its worker (the web's limit is SPARQL_MAX_BYTES).
CLI_MAX_BYTES = 1_000_000_000


@click.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "turtle"]), default="table",
              show_default=True, help="csv and json follow the SPARQL 1.1 results formats.")
@click.option("--asof", help="Query the estate as it was on this date (YYYY-MM-DD) or date-time.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds the query may run before it is stopped (as serve --query-timeout).")
@store_option
@handle_errors
def query(sparql, fmt, asof, timeout, store_url):
    """Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the store.

    Pass '-' to read the query from standard input. The usual prefixes (gov, dcat,
    dcterms, prov, org, foaf, skos, dqv, dpv ...) are predeclared. The query is checked and
    run as /sparql runs it (read-only, no SERVICE) in a worker process that is stopped at
    the time limit (exit status 1 with the reason).
    """
    if sparql == "-":
        sparql = sys.stdin.read()
    with open_store_url(store_url) as store, \
            QueryService(store, QueryLimits(timeout=timeout, max_bytes=CLI_MAX_BYTES, workers=1)) as service:
        target = _asof(store, asof)
        info = service.check(sparql)
        job = service.job(sparql, info, service.dataset(target, [], [], info), "application/sparql-results+json",
                          "application/n-triples")
        out = raise_for(service.run(target, job))
        write_results(parse_outcome(out.body, out.kind), fmt, click.get_text_stream("stdout"))


def _asof(store: Store, asof: str | None) -> Store:
    """The store itself, or an in-memory copy of the estate as it was at ``asof``."""
    if not asof:
        return store
    return store_asof(store, asof)


@click.command()
@click.argument("iri")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True)
@click.option("--asof", help="Show the asset as it was on this date (YYYY-MM-DD) or date-time.")
@store_option
@handle_errors
def info(iri, fmt, asof, store_url):
    """Show everything about one asset: owner, steward, system, standards, agreements, quality.

    IRI may also be an asset's exact name, e.g. "SALT return".
    """
    with open_store_url(store_url) as live:
        store = _asof(live, asof)
        a = catalog.get_asset(store, search.resolve(store, iri))
        resp = responsibilities(store, a.iri) if a.kind in ("person", "team") else None
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
            _print_responsibilities(a, resp, ROLE_HEADINGS)
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


@click.command()
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
    with open_store_url(store_url) as store:
        if iri is None:
            recs = store.history(source)
            if fmt == "json":
                click.echo(json.dumps([_record_dict(r) for r in recs], indent=2))
                return
            table(["rev", "when (UTC)", "action", "source", "who", "added", "removed", "forced"],
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
                    click.echo(f"    {sign} {term_label(str(p))[0]}: {o}")


def _record_dict(r) -> dict:
    return {"revision": r.revision, "at": r.at.isoformat(), "action": r.action, "source": r.source,
            "who": r.who, "added": r.added, "removed": r.removed, "forced": r.forced, "note": r.note}


#: The commands of this module, attached to the ``govgraph`` group by ``register``.
COMMANDS = (query, info, history,)


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI group ``main``."""
    for command in COMMANDS:
        main.add_command(command)
