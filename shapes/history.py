"""Validation reports kept in the store: one named graph per check date, plus a registry.

``urn:govgraph:validation:<date>`` holds the sh:ValidationReport of the last run for that
check date (a later run on the same date replaces it); ``urn:govgraph:validation`` lists
every kept report with its date, counts and per-principle scorecard, so the Data Working
Group can compare quarters. These graphs are not sources: they never appear in data reads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib

from govgraph.dates import day_of
from govgraph.ontology.ns import GG, GOV
from govgraph.shapes.model import SEVERITIES, Finding, ValidationReport
from govgraph.store import Store
from govgraph.terms import to_rdflib

REGISTRY = str(GG["validation"])
_DQV = "http://www.w3.org/ns/dqv#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PROV = "http://www.w3.org/ns/prov#"
_SH = "http://www.w3.org/ns/shacl#"


def report_graph_iri(d: dt.date) -> str:
    """The named graph holding the report for check date ``d``."""
    return str(GG[f"validation:{d.isoformat()}"])


@dataclass(frozen=True)
class ScorecardEntry:
    """One principle's conformance on one check date."""
    check_date: dt.date
    principle: int
    share: float
    focus_nodes: int
    conforming: int


def save_report(store: Store, report: ValidationReport) -> str:
    """Keep ``report`` as the named graph for its check date and register it; returns the graph IRI."""
    iri = report_graph_iri(report.check_date)
    data = report.to_graph(iri).serialize(format="nt", encoding="utf-8")
    d = report.check_date.isoformat()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    c = report.counts
    reg = [f'<{iri}> a <{GOV.ValidationReport}> ; <{GOV.checkDate}> "{d}"^^<{_XSD}date> ;'
           f' <{_PROV}generatedAtTime> "{now}"^^<{_XSD}dateTime> ;'
           f' <{_SH}conforms> {"true" if report.conforms else "false"} ;'
           f' <{GOV.tripleCount}> {c["Violation"] + c["Warning"] + c["Info"]} .']
    for p, s in sorted(report.scorecard.items()):
        m = f"<{iri}/score/{p}>"
        reg.append(f"{m} a <{_DQV}QualityMeasurement> ; <{_DQV}computedOn> <{iri}> ; <{GOV.principle}> {p} ;"
                   f' <{_DQV}value> "{s.share:.6f}"^^<{_XSD}decimal> ;'
                   f" <{GG['focusNodes']}> {s.focus_nodes} ; <{GG['conformingNodes']}> {s.conforming} .")
    with store._write_lock:  # one writer at a time, like every other write to the store
        store.backend.update(
            f"DROP SILENT GRAPH <{iri}> ;"
            f"DELETE WHERE {{ GRAPH <{REGISTRY}> {{ <{iri}> ?p ?o }} }} ;"
            f"DELETE {{ GRAPH <{REGISTRY}> {{ ?m ?p ?o }} }} WHERE {{ GRAPH <{REGISTRY}> {{ ?m <{_DQV}computedOn> <{iri}> ; ?p ?o }} }} ;"
            f"INSERT DATA {{ GRAPH <{REGISTRY}> {{ {' '.join(reg)} }} }}")
        g = ox.NamedNode(iri)
        store.add_quads(ox.Quad(t.subject, t.predicate, t.object, g)
                        for t in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES))
    return iri


def scorecard_history(store: Store) -> list[ScorecardEntry]:
    """Every kept scorecard entry, oldest check date first."""
    q = f"""SELECT ?d ?p ?v ?n ?k WHERE {{
        ?r <{GOV.checkDate}> ?d . ?m <{_DQV}computedOn> ?r ; <{GOV.principle}> ?p ; <{_DQV}value> ?v ;
           <{GG['focusNodes']}> ?n ; <{GG['conformingNodes']}> ?k }} ORDER BY ?d ?p"""
    out = []
    for r in store.query(q, graphs=[ox.NamedNode(REGISTRY)], prefixes=False):
        if (d := day_of(r["d"].value)) is not None:
            out.append(ScorecardEntry(d, int(r["p"].value), float(r["v"].value), int(r["n"].value),
                                      int(r["k"].value)))
    return out


def report_dates(store: Store) -> list[dt.date]:
    """The check dates that have a kept report."""
    q = f"SELECT ?d WHERE {{ ?r a <{GOV.ValidationReport}> ; <{GOV.checkDate}> ?d }} ORDER BY ?d"
    days = (day_of(r["d"].value) for r in store.query(q, graphs=[ox.NamedNode(REGISTRY)], prefixes=False))
    return [d for d in days if d is not None]


def load_report(store: Store, d: dt.date) -> rdflib.Graph:
    """The kept report for check date ``d`` as an rdflib Graph (empty if none)."""
    g = rdflib.Graph()
    iri = ox.NamedNode(report_graph_iri(d))
    for q in store.quads(None, None, None, iri):
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


def kept_findings(store: Store, iri: str, on: dt.date) -> tuple[dt.date | None, list[Finding]]:
    """The findings about ``iri`` in the last report kept on or before ``on`` (its check date, or None).

    What the asset looked like to validation then: the as-of pages show it, since the past
    estate itself is not validated.
    """
    dates = [d for d in report_dates(store) if d <= on]
    if not dates:
        return None, []
    q = (f"SELECT ?sev ?shape ?msg ?path ?value ?p WHERE {{ ?r <{_SH}focusNode> <{iri.replace('>', '%3E')}> ;"
         f" <{_SH}resultSeverity> ?sev ; <{_SH}sourceShape> ?shape ; <{_SH}resultMessage> ?msg ."
         f" OPTIONAL {{ ?r <{_SH}resultPath> ?path }} OPTIONAL {{ ?r <{_SH}value> ?value }}"
         f" OPTIONAL {{ ?r <{GOV.principle}> ?p }} }}")
    out = []
    for r in store.query(q, graphs=[ox.NamedNode(report_graph_iri(dates[-1]))], prefixes=False):
        sev = r["sev"].value.rsplit("#", 1)[-1]
        out.append(Finding(iri, r["path"].value if r["path"] is not None else None,
                           r["value"].value if r["value"] is not None else None,
                           sev if sev in SEVERITIES else "Info", int(r["p"].value) if r["p"] is not None else 0,
                           r["msg"].value, r["shape"].value))
    out.sort(key=Finding.sort_key)
    return dates[-1], out
