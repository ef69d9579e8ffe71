"""The kept validation report of a store: validated once, then brought up to date by each commit's change.

A commit changes the findings of the focus nodes its change touches: the subjects and estate
objects of its added and removed triples, and the nodes pointing at those subjects (the scope
the write path validates a change over, ``io/write.change_scope``). So the kept report drops
its findings on those nodes and takes the findings of a validation scoped to them over the
store as it is now; the scorecard is counted again from the merged findings and each target's
focus nodes, kept with the report and read again for the change's scope only. No whole-estate
run, unless the change is larger than the view's threshold, touches blank nodes or the class
hierarchy (targets move then). On a new day the shapes with a check reading the check date run again over the
estate first (`_redated`), the other findings kept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from govgraph import kept_state, live
from govgraph.ontology.ns import PREFIXES, RDFS
from govgraph.shapes import engine
from govgraph.shapes.compiler import Plan, target_pattern
from govgraph.shapes.loader import ShapeSet
from govgraph.shapes.model import SEVERITIES, BaselineChange, Finding, Gap, PrincipleScore, ValidationReport, term_text
from govgraph.shapes.validate import parse_date, plan_for, run, shapes_for
from govgraph.store import Store
from govgraph.terms import to_rdflib

_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_VOCAB = tuple(str(ns) for ns in PREFIXES.values())
_SUBCLASS = str(RDFS.subClassOf)


@dataclass(frozen=True)
class KeptReport:
    """A validation report and its findings by focus node (most serious first); and what its scorecard
    counts, per principle: its focus nodes and those with a Violation or Warning. The last two are
    the view's own (changed in place by the next ``_apply``, under the memo's lock, after every
    query it makes has answered), so a change recounts only its scope."""
    report: ValidationReport
    by_focus: dict[str, list[Finding]] = field(default_factory=dict)
    nodes: dict[int, set[str]] = field(default_factory=dict, compare=False)
    failing: dict[int, set[str]] = field(default_factory=dict, compare=False)
    #: when the report was last brought to a new check date (``_redated``): the date it was made for before,
    #: and the focus nodes whose findings the new date could change (what is counted from it recounts those)
    redated: tuple[dt.date, frozenset[str]] | None = field(default=None, compare=False)


def _by_focus(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.focus].append(f)
    for fs in out.values():
        fs.sort(key=_order)
    return dict(out)


def _order(f: Finding) -> tuple:
    return (_RANK.get(f.severity, 9), f.principle, f.message, f.sort_key())


_shape_sets: dict[dt.date, ShapeSet] = {}


def _shapes(day: dt.date) -> ShapeSet:
    """The default shapes for a check date, loaded once (a new set would be compiled again)."""
    hit = _shape_sets.get(day)
    if hit is None:
        _shape_sets.clear()
        hit = _shape_sets[day] = shapes_for(None, None, day)
    return hit


def _targets(store: Store, plan: Plan, scope: list[str] | None = None) -> dict[tuple[str, str], frozenset[str]]:
    """The focus nodes of each target of the plan's principles (only those in ``scope`` if given: read
    as the scope's types and predicates, three queries whatever the number of targets)."""
    closure = engine.closure_fn(engine.subclass_edges(store, store.graphs()))
    wanted = {t for principle, ts in plan.principle_targets.items() if principle for t in ts}
    if scope is None:
        return {t: frozenset(_node(r["this"]) for r in store.query(
            "SELECT ?this WHERE " + target_pattern((t,), closure), prefixes=False)) for t in wanted}
    values = "VALUES ?this { %s } " % " ".join(f"<{n}>" for n in scope)
    facts: dict[str, set[tuple[str, str]]] = {n: set() for n in scope}
    # the wanted predicates only, each asked whether it has a triple (a system is the object of thousands)
    preds = {k: " ".join(sorted(f"<{iri}>" for kk, iri in wanted if kk == k)) for k in ("subjectsOf", "objectsOf")}
    for kind, q in (("class", f"SELECT DISTINCT ?this ?x WHERE {{ {values}?this a ?x }}"),
                    ("subjectsOf", f"SELECT ?this ?x WHERE {{ {values}VALUES ?x {{ {preds['subjectsOf']} }} "
                                   f"FILTER EXISTS {{ ?this ?x ?o }} }}"),
                    ("objectsOf", f"SELECT ?this ?x WHERE {{ {values}VALUES ?x {{ {preds['objectsOf']} }} "
                                  f"FILTER EXISTS {{ ?s ?x ?this }} }}")):
        if kind != "class" and not preds[kind]:
            continue
        for r in store.query(q, prefixes=False):
            facts[r["this"].value].add((kind, r["x"].value))
    out = {}
    for kind, iri in wanted:
        if kind == "class":
            classes = closure(iri)
            out[(kind, iri)] = frozenset(n for n, fs in facts.items() if any(k == "class" and c in classes for k, c in fs))
        elif kind == "node":
            out[(kind, iri)] = frozenset([iri]) if iri in facts else frozenset()
        else:
            out[(kind, iri)] = frozenset(n for n, fs in facts.items() if (kind, iri) in fs)
    return out


def _node(term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else term_text(to_rdflib(term))


def _failing(findings: list[Finding]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in findings:
        if f.severity in ("Violation", "Warning"):
            out.setdefault(f.principle, set()).add(f.focus)
    return out


def _principle_nodes(plan: Plan, targets: dict[tuple[str, str], frozenset[str]]) -> dict[int, set[str]]:
    return {p: set().union(*(targets[t] for t in ts)) for p, ts in plan.principle_targets.items() if p}


def _scorecard(nodes: dict[int, set[str]], failing: dict[int, set[str]]) -> dict[int, PrincipleScore]:
    """As ``engine.scorecard``: per principle, its focus nodes and how many have no Violation or Warning."""
    return {p: PrincipleScore(p, len(ns), len(ns) - len(ns & failing.get(p, set()))) for p, ns in sorted(nodes.items())}


def _build(store: Store) -> KeptReport:
    shapes = _shapes(parse_date(None))
    rep = run(store, shapes)
    if rep.engine != "fast":
        return KeptReport(rep, _by_focus(rep.findings))
    nodes = _principle_nodes(plan_for(shapes), _targets(store, plan_for(shapes)))
    return KeptReport(rep, _by_focus(rep.findings), nodes, _failing(rep.findings))


def change_scope(store: Store, change: live.Change) -> list[str] | None:
    """The focus nodes whose findings ``change`` can alter (None: any)."""
    subjects: set[str] = set()
    nodes: set[str] = set()
    for q in change.quads:
        if not isinstance(q.subject, ox.NamedNode) or isinstance(q.object, ox.BlankNode) \
                or q.predicate.value == _SUBCLASS:
            return None  # blank nodes are not named in a scope; subclasses move targets
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


def _redated(kept: KeptReport, store: Store, today: dt.date) -> KeptReport | None:
    """``kept``, made on an earlier check date, for ``today``: the shapes with a check that reads the check date
    (``$checkDate``, ``$recentSince``: its query differs between the two days; 5 of 169 checks) run again over the
    whole estate, every other finding kept (at 100k datasets, the whole estate validated again took minutes).
    None if the two days' plans differ otherwise."""
    then, now = plan_for(shapes_for(None, None, kept.report.check_date)), plan_for(_shapes(today))
    if now.unsupported or len(then.checks) != len(now.checks) \
            or any(a.shape != b.shape or a.component != b.component for a, b in zip(then.checks, now.checks)):
        return None
    dated = {b.shape for a, b in zip(then.checks, now.checks) if a.body != b.body}
    checks = [c for c in now.checks if c.shape in dated]
    part = engine.run_plan(store, dataclasses.replace(now, checks=checks), None, None) if checks else []
    moved = {f.focus for f in kept.report.findings if f.shape in dated} | {f.focus for f in part}
    findings = [f for f in kept.report.findings if f.shape not in dated] + part
    by_focus = dict(kept.by_focus)
    fresh = _by_focus(part)
    for n in moved:
        fs = sorted([f for f in by_focus.get(n, ()) if f.shape not in dated] + fresh.get(n, []), key=_order)
        if fs:
            by_focus[n] = fs
        else:
            by_focus.pop(n, None)
    failing = _failing(findings)
    card = _scorecard(kept.nodes, failing) if kept.report.scorecard else {}
    return KeptReport(ValidationReport(findings, today, card, "fast"), by_focus, kept.nodes, failing,
                      (kept.report.check_date, frozenset(moved)))


def _apply(kept: KeptReport, store: Store, change: live.Change) -> KeptReport | None:
    today = parse_date(None)
    if kept.report.engine != "fast":
        return None
    scope = change_scope(store, change)
    if scope is None:
        return None
    if kept.report.check_date != today:  # a new day: the checks reading the date run again first
        kept = _redated(kept, store, today)
        if kept is None:
            return None
    shapes = _shapes(today)
    plan = plan_for(shapes)
    if plan.unsupported:
        return None
    inside = set(scope)
    rerun = _affected_shapes(store, plan, change)
    checks = [c for c in plan.checks if c.shape in rerun]
    # the scope's findings: those of the checks the change can alter, run again; the others' as they were
    part = engine.run_plan(store, dataclasses.replace(plan, checks=checks), None, scope) if checks else []
    part += [f for n in scope for f in kept.by_focus.get(n, ()) if f.shape not in rerun]
    # the scope's place in each principle's targets, read again only if the change can move targets
    now = _principle_nodes(plan, _targets(store, plan, scope)) if scope and _moves_targets(plan, change) else None
    # every query has answered: from here on nothing fails, so the kept sets change in place
    findings = [f for f in kept.report.findings if f.focus not in inside] + part
    nodes, failing = kept.nodes, kept.failing
    if now is not None:
        for p, ns in nodes.items():
            ns -= inside
            ns |= now.get(p, set())
    for fs in failing.values():
        fs -= inside
    for p, fs in _failing(part).items():
        failing.setdefault(p, set()).update(fs)
    by_focus = {k: v for k, v in kept.by_focus.items() if k not in inside}
    by_focus.update(_by_focus(part))
    card = _scorecard(nodes, failing) if kept.report.scorecard else {}
    return KeptReport(ValidationReport(findings, today, card, "fast"), by_focus, nodes, failing, kept.redated)


def _moves_targets(plan: Plan, change: live.Change) -> bool:
    """Whether ``change`` can change which nodes a principle targets: it gives or takes a type (class
    targets), or adds or removes a triple of a subjectsOf/objectsOf target's predicate."""
    preds = {q.predicate.value for q in change.quads}
    return _RDF_TYPE in preds or any(k in ("subjectsOf", "objectsOf") and iri in preds
                                     for ts in plan.principle_targets.values() for k, iri in ts)


def _affected_shapes(store: Store, plan: Plan, change: live.Change) -> set[str]:
    """The shapes having a check whose findings ``change`` can alter (as the write path tells them for a
    patch, ``shapes.change``): a check reading a predicate the change adds or removes (``Check.reads``;
    None: any), or whose targets it moves (the predicate of a subjectsOf/objectsOf target; a class whose
    subclass closure holds a type the change gives or takes). Any other check gives the same findings
    on every node before and after the change (``change_scope`` has already declined a subclass change).
    By shape, not by check: a finding names its shape, not its check."""
    preds = {q.predicate.value for q in change.quads}
    types = {q.object.value for q in change.quads if q.predicate.value == _RDF_TYPE and isinstance(q.object, ox.NamedNode)}
    closure = engine.closure_fn(engine.subclass_edges(store, store.graphs())) if types else None
    return {c.shape for c in plan.checks
            if c.reads is None or c.reads & preds
            or any(k not in ("class", "node") and iri in preds for k, iri in c.targets)
            or (closure is not None and any(k == "class" and closure(iri) & types for k, iri in c.targets))}


def rules_digest() -> str:
    """A digest of the shape files (a report kept on disk is for the rules it was made with)."""
    h = hashlib.sha256()
    for f in sorted(Path(engine.__file__).parent.rglob("*.ttl")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


kept_state.keep_classes(KeptReport, ValidationReport, Finding, PrincipleScore, BaselineChange, Gap)
#: The kept validation report as a live view (``govgraph.live``).
VALIDATION_VIEW = live.LiveView("validation", _build, _apply, key=kept_state.code_key("validation", rules_digest()),
                                changes_in_place=True, current=lambda k: k.report.check_date == parse_date(None))


def kept_report(store: Store) -> KeptReport:
    """The validation report of ``store`` at its current revision (applied from the last one kept when it can be)."""
    return live.view(store, VALIDATION_VIEW)


__all__ = ["KeptReport", "VALIDATION_VIEW", "change_scope", "kept_report"]
