"""The kept validation report of a store: validated once, then brought up to date by each commit's change.

A commit changes the findings of the focus nodes its change touches: the subjects and estate
objects of its added and removed triples, and the nodes pointing at those subjects (the scope
the write path validates a change over, ``io/write.change_scope``). So the kept report drops
its findings on those nodes and takes the findings of a validation scoped to them over the
store as it is now; the scorecard is counted again from the merged findings. No whole-estate
run, unless the change is larger than the view's threshold, touches blank nodes or the class
hierarchy (targets move then), or the day changed (checks read the check date).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from govgraph import live
from govgraph.ontology.ns import PREFIXES, RDFS
from govgraph.shapes import engine
from govgraph.shapes.model import SEVERITIES, Finding, Report
from govgraph.shapes.validate import parse_date, plan_for, run, shapes_for
from govgraph.store import Store

_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_VOCAB = tuple(str(ns) for ns in PREFIXES.values())
_SUBCLASS = str(RDFS.subClassOf)


@dataclass(frozen=True)
class KeptReport:
    """A validation report and its findings by focus node, most serious first."""
    report: Report
    by_focus: dict[str, list[Finding]] = field(default_factory=dict)


def _by_focus(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.focus].append(f)
    for fs in out.values():
        fs.sort(key=_order)
    return dict(out)


def _order(f: Finding) -> tuple:
    return (_RANK.get(f.severity, 9), f.principle, f.message, f.sort_key())


def _build(store: Store) -> KeptReport:
    rep = run(store, shapes_for(None, None, parse_date(None)))
    return KeptReport(rep, _by_focus(rep.findings))


def change_scope(store: Store, change: live.Change) -> list[str] | None:
    """The focus nodes whose findings ``change`` can alter (None: any)."""
    subjects: set[str] = set()
    nodes: set[str] = set()
    for q in change.quads:
        if not isinstance(q.subject, ox.NamedNode) or q.predicate.value == _SUBCLASS:
            return None
        subjects.add(q.subject.value)
        if isinstance(q.object, ox.NamedNode) and q.predicate.value != _RDF_TYPE and not q.object.value.startswith(_VOCAB):
            nodes.add(q.object.value)
    nodes |= subjects
    if len(nodes) > engine.MAX_SCOPE:
        return None
    if subjects:
        values = " ".join(f"<{n}>" for n in sorted(subjects))
        q = f"SELECT DISTINCT ?s WHERE {{ VALUES ?n {{ {values} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
        nodes |= {r["s"].value for r in store.query(q, prefixes=False)}
    return None if len(nodes) > engine.MAX_SCOPE else sorted(nodes)


def _apply(kept: KeptReport, store: Store, change: live.Change) -> KeptReport | None:
    today = parse_date(None)
    if kept.report.check_date != today or kept.report.engine != "fast":
        return None
    scope = change_scope(store, change)
    if scope is None:
        return None
    shapes = shapes_for(None, None, today)
    part = run(store, shapes, scope=scope, with_scorecard=False)
    if part.engine != "fast":
        return None
    inside = set(scope)
    findings = [f for f in kept.report.findings if f.focus not in inside] + list(part.findings)
    card = engine.scorecard(store, plan_for(shapes), findings) if kept.report.scorecard else {}
    by_focus = {k: v for k, v in kept.by_focus.items() if k not in inside}
    by_focus.update(_by_focus(list(part.findings)))
    return KeptReport(Report(findings, today, card, part.engine), by_focus)


#: The kept validation report as a live view (``govgraph.live``).
VALIDATION_VIEW = live.LiveView("validation", _build, _apply)


def kept_report(store: Store) -> KeptReport:
    """The validation report of ``store`` at its current revision (applied from the last one kept when it can be)."""
    return live.view(store, VALIDATION_VIEW)


__all__ = ["KeptReport", "VALIDATION_VIEW", "change_scope", "kept_report"]
