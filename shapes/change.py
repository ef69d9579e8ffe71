"""The one validated write path: every change to the store is checked here before it commits.

File loads, patches, the write API, SPARQL Update, OpenLineage ingest (and harvests) all call
``validate_change(view, added, removed)``: ``view`` is the store as the change would leave
it (the graphs to read), ``added``/``removed`` what the change adds and takes away, either
triples in memory or ``InGraphs`` (a load's hidden graph, the source it replaces: too large
to hold in memory). The focus nodes validated are the subjects and (estate) objects of the
changed triples plus the nodes pointing at those subjects (``change_scope``). Violations in
that scope the store already had before (a defect the change merely touches) do not block
it: the same scope is checked over the store as it is, and only new violations refuse the
change (``ValidationFailed`` with the report of those), unless forced. The caller commits or
rolls back; the report of the store as it would be is returned (its warnings are for the
caller to show).

An as-is write (``as_is=True``) is not refused: the violations it introduces become its
source's baseline (``shapes.baseline``), and from then on a violation in any baseline does not
refuse a write either; a change that fixes a known gap drops it from its baseline. What a
change does to the baselines is in the report's ``baseline``, for the caller to commit with
the change (``baseline_ops``).

A patch's view is inexact (``ChangeView.exact`` false): its staged graphs sit beside the
live source, which still shows the triples the patch removes. There only the checks whose
findings the change can alter run (those reading a changed predicate, as the compiler
recorded in ``Check.reads``, or whose targets it changes), and ``InexactView`` is raised
when one of them reads a removed predicate: the caller then takes the exact path.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass
from typing import Callable, Collection, Sequence, Union

import pyoxigraph as ox

from govgraph.errors import ValidationFailed
from govgraph.ontology.ns import PREFIXES
from govgraph.shapes import engine
from govgraph.shapes.baseline import known_keys, update_ops
from govgraph.shapes.compiler import Plan
from govgraph.shapes.engine import MAX_SCOPE
from govgraph.shapes.loader import ShapeSet
from govgraph.shapes.model import BaselineChange, Finding, Gap, ValidationReport, gap_key
from govgraph.shapes.validate import parse_date, plan_for, run, shapes_for
from govgraph.store import ChangeRecord, Store

_VOCAB = tuple(str(ns) for ns in PREFIXES.values())
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDF_TYPE_NODE = ox.NamedNode(_RDF_TYPE)
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


class InexactView(Exception):
    """A patch's view still shows triples it removes, and a check that could be affected reads them:
    validate through the exact (whole-source) path instead."""


@dataclass(frozen=True)
class InGraphs:
    """The triples of some graphs of the store (a load's hidden graph; the source a load replaces)."""
    graphs: tuple[ox.NamedNode, ...]


Changed = Union[Collection[ox.Triple], InGraphs]


@dataclass
class ChangeView:
    """The store as a change would leave it: the graphs to validate over, and the sources it writes
    (name -> the graph holding their new content).

    ``exact`` is false for staged patches, whose view still shows the triples they remove.
    """
    store: Store
    graphs: list[ox.NamedNode]
    exact: bool = True
    sources: dict[str, ox.NamedNode] = dataclasses.field(default_factory=dict)

    @classmethod
    def of_transactions(cls, txns: Sequence) -> "ChangeView":
        """The source graphs the store would have after committing every transaction of a batch."""
        if not txns:
            raise ValueError("no transactions to validate")
        targets = {t.target for t in txns}
        store = txns[0].store
        return cls(store, [g for g in store.graphs() if g not in targets] + [t.graph for t in txns],
                   sources={t.name: t.graph for t in txns})

    @classmethod
    def of_patches(cls, store: Store, patches: Sequence) -> "ChangeView":
        """The live sources plus the staged additions of some open patches (inexact: removals still show)."""
        return cls(store, store.graphs() + [p.graph for p in patches], exact=False,
                   sources={p.name: p.graph for p in patches})


def staged(txns: Sequence) -> tuple[InGraphs, InGraphs]:
    """What open transactions add (their hidden graphs) and remove (the sources they replace)."""
    return (InGraphs(tuple(t.graph for t in txns)),
            InGraphs(tuple(t.target for t in txns if t.replacing)))


# ----------------------------------------------------------------------------- shapes

_default_shapes: dict[dt.date, ShapeSet] = {}
_shapes_lock = threading.Lock()


def shapes_of(check_date: dt.date | str | None = None, profile: str | None = None,
              shape_files: Sequence[str] | None = None) -> ShapeSet:
    """The shapes a change is checked against; the shipped principle shapes are loaded (and compiled)
    once per check date, being reference data."""
    d = parse_date(check_date)
    if profile is not None or shape_files:
        return shapes_for(profile, shape_files, d)
    with _shapes_lock:
        hit = _default_shapes.get(d)
    if hit is None:
        hit = shapes_for(None, None, d)
        with _shapes_lock:
            _default_shapes.clear()
            _default_shapes[d] = hit
    return hit


# ----------------------------------------------------------------------------- scope

def _touched_in_graphs(store: Store, graphs: Sequence[ox.NamedNode]) -> list[tuple[set[str], set[str]] | None]:
    """Subjects and estate objects of each graph's triples, read in one query (one round trip to a
    server); None for a graph with a blank-node subject or too many (validating everything is then
    cheaper)."""
    if not graphs:
        return []
    parts = []
    for i, g in enumerate(graphs):
        parts.append(f"{{ SELECT (?s AS ?s{i}) WHERE {{ SELECT DISTINCT ?s WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }} "
                     f"LIMIT {MAX_SCOPE + 1} }} }}")
        parts.append(f"{{ SELECT (?o AS ?o{i}) WHERE {{ SELECT DISTINCT ?o WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o "
                     f"FILTER(isIRI(?o) && ?p != <{_RDF_TYPE}>) }} }} LIMIT {MAX_SCOPE * 4} }} }}")
    found: list[tuple[set[str], list]] = [(set(), []) for _ in graphs]
    blank = [False] * len(graphs)
    for r in store.query("SELECT * WHERE { " + " UNION ".join(parts) + " }", graphs=list(graphs), prefixes=False):
        for i in range(len(graphs)):
            s, o = r[f"s{i}"], r[f"o{i}"]
            if s is not None:
                if isinstance(s, ox.NamedNode):
                    found[i][0].add(s.value)
                else:
                    blank[i] = True
            if o is not None:
                found[i][1].append(o)
    out: list[tuple[set[str], set[str]] | None] = []
    for (subjects, objs), has_blank in zip(found, blank):
        objects = {v for v in (o.value for o in objs) if not v.startswith(_VOCAB)}
        out.append(None if has_blank or len(subjects) > MAX_SCOPE or len(objs) >= MAX_SCOPE * 4
                   else (subjects, objects))
    return out


def _touched(store: Store, changed: Changed, parts: dict[ox.NamedNode, tuple[set[str], set[str]] | None]
             ) -> tuple[set[str], set[str]] | None:
    """``parts``: ``_touched_in_graphs`` of the graphs of an ``InGraphs``."""
    subjects: set[str] = set()
    objects: set[str] = set()
    if isinstance(changed, InGraphs):
        for g in changed.graphs:
            part = parts[g]
            if part is None:
                return None
            subjects |= part[0]
            objects |= part[1]
            if len(subjects | objects) > MAX_SCOPE:
                return None
        return subjects, objects
    for t in changed:
        if not isinstance(t.subject, ox.NamedNode):
            return None
        subjects.add(t.subject.value)
        if isinstance(t.object, ox.NamedNode) and t.predicate.value != _RDF_TYPE \
                and not t.object.value.startswith(_VOCAB):
            objects.add(t.object.value)
    return subjects, objects


def change_scope(view: ChangeView, added: Changed, removed: Changed) -> list[str] | None:
    """The focus nodes a change can alter the findings of: the subjects and estate objects of its
    triples, and the nodes (in the view) pointing at those subjects. None: validate everything (a
    blank-node subject, or a change so large that a full run is cheaper than a huge scope)."""
    subjects: set[str] = set()
    nodes: set[str] = set()
    graphs = list(dict.fromkeys(g for c in (added, removed) if isinstance(c, InGraphs) for g in c.graphs))
    parts = dict(zip(graphs, _touched_in_graphs(view.store, graphs)))
    for changed in (added, removed):
        part = _touched(view.store, changed, parts)
        if part is None:
            return None
        subjects |= part[0]
        nodes |= part[0] | part[1]
        if len(nodes) > MAX_SCOPE:
            return None
    if subjects:
        values = " ".join(f"<{n}>" for n in sorted(subjects))
        q = f"SELECT DISTINCT ?s WHERE {{ VALUES ?n {{ {values} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
        nodes |= {r["s"].value for r in view.store.query(q, graphs=view.graphs, prefixes=False)}
    return None if len(nodes) > MAX_SCOPE else sorted(nodes)


# ----------------------------------------------------------------------------- the one call

def validate_change(view: ChangeView, added: Changed, removed: Changed, *, force: bool = False,
                    as_is: bool = False, check_date: dt.date | str | None = None, profile: str | None = None,
                    shape_files: Sequence[str] | None = None, what: str = "change rejected") -> ValidationReport:
    """Validate a change as it would commit; raise ValidationFailed for violations it introduces
    that no baseline holds (unless ``force``, or ``as_is``: then they become its source's baseline).

    Returns the report over the change's scope (for an inexact view, of the checks run), its
    ``baseline`` holding what the change does to the baselines. Does not commit or roll back.
    ``what`` begins the refusal's message.
    """
    store = view.store
    shapes = shapes_of(check_date, profile, shape_files)
    plan = plan_for(shapes)
    checks = None if view.exact else _affected_checks(view, plan, added, removed)
    if checks is not None and not checks:
        return ValidationReport([], shapes.check_date, {}, "fast")
    scope = change_scope(view, added, removed)
    if checks is None:
        after = run(store, shapes, graphs=view.graphs, scope=scope, with_scorecard=False)
        before: Callable[[], ValidationReport] = lambda: run(  # noqa: E731
            store, shapes, graphs=store.graphs(), scope=scope, with_scorecard=False)
    else:
        sub = Plan(checks=checks, unsupported=[], prologue=plan.prologue, principle_targets=plan.principle_targets)
        after = ValidationReport(engine.run_plan(store, sub, view.graphs, scope), shapes.check_date, {}, "fast")
        before = lambda: ValidationReport(engine.run_plan(store, sub, store.graphs(), scope),  # noqa: E731
                                          shapes.check_date, {}, "fast")
    known = known_keys(store)
    fresh: list[Finding] = []
    if not after.conforms and not force:
        seen = {f.key() for f in before().violations}
        # new violations; those a baseline holds are known gaps, not news
        fresh = [f for f in after.violations if f.key() not in seen and gap_key(f) not in known]
        if fresh and not as_is:
            e = ValidationFailed(ValidationReport(fresh, after.check_date, {}, after.engine),
                                 f"{what}: it introduces {len(fresh)} violation(s) of the council's data "
                                 f"principles; nothing was changed")
            e.report.findings = _name_missing_references(view, e.report.findings)
            raise e
    checked = None if checks is None else {c.shape for c in checks}
    after.baseline = _ratchet(view, scope, checked, after, known, fresh if as_is else [])
    return after


def baseline_ops(report: ValidationReport | None) -> Callable[[ChangeRecord], list[str]] | None:
    """The update operations recording a validated change's effect on the baselines, for the commit
    (``Transaction.commit(extra=...)``); None when it has none."""
    if report is None or not report.baseline:
        return None
    change = report.baseline
    return lambda rec: update_ops(change, rec)


def _ratchet(view: ChangeView, scope: list[str] | None, checked: set[str] | None, after: ValidationReport,
             known: dict[tuple, Gap], admitted: list[Finding]) -> BaselineChange:
    """Known gaps the change fixes (in its scope, checked, and no longer found) and, for an as-is write,
    the violations it admits, each given to the source whose new content describes its focus node."""
    found = {gap_key(f) for f in after.violations}
    keep = None if scope is None else set(scope)
    dropped = [g for k, g in known.items()
               if (keep is None or g.focus in keep) and (checked is None or g.shape in checked) and k not in found]
    added: list[Gap] = []
    if admitted and view.sources:
        names = sorted(view.sources)
        owner = {f.focus: names[0] for f in admitted}
        if len(names) > 1:
            focus = sorted({f.focus for f in admitted if f.focus.startswith(("http://", "https://", "urn:"))
                            and ">" not in f.focus and " " not in f.focus})
            for name in reversed(names):
                for i in range(0, len(focus), 500):
                    values = " ".join(f"<{v}>" for v in focus[i:i + 500])
                    q = f"SELECT DISTINCT ?f WHERE {{ VALUES ?f {{ {values} }} ?f ?p ?o }}"
                    for r in view.store.query(q, graphs=[view.sources[name]], prefixes=False):
                        owner[r["f"].value] = name
        added = sorted({Gap.of(owner[f.focus], f) for f in admitted}, key=lambda g: (g.source, g.principle, g.focus))
    return BaselineChange(added, dropped)


def _affected_checks(view: ChangeView, plan: Plan, added: Changed, removed: Changed):
    """For an inexact (patch) view: the checks whose findings the change can alter; None: all of them.

    Those reading a predicate the change adds or removes (``Check.reads``), those whose targets it
    changes (the types of the touched nodes; the predicate of a subjectsOf/objectsOf target), all of
    them if it changes rdfs:subClassOf. Types given to nodes that are new (in no triple yet) count as a
    target change only: any check reaching a new node from another one reads the new triple that
    links them. The others give the same findings on the scope before and after the change.
    """
    if isinstance(added, InGraphs) or isinstance(removed, InGraphs):
        raise ValueError("a patch's change is given as triples")
    store = view.store
    changed = set(added) | set(removed)
    if not changed:
        return []
    if plan.unsupported or any(t.predicate.value == _SUBCLASS for t in changed):
        if removed:
            raise InexactView()
        return None
    typed = {t.subject.value for t in added if t.predicate == _RDF_TYPE_NODE and isinstance(t.subject, ox.NamedNode)}
    live = {g.value for g in store.graphs()}
    new = _new_nodes(store, typed, {g.value for g in view.graphs} - live)
    preds = {t.predicate.value for t in changed
             if not (t.predicate == _RDF_TYPE_NODE and t.subject.value in new and t in added)}
    types = {t.object.value for t in changed if t.predicate == _RDF_TYPE_NODE and isinstance(t.object, ox.NamedNode)}
    closure = engine.closure_fn(engine.subclass_edges(store, view.graphs)) if types else None
    checks = [c for c in plan.checks
              if c.reads is None or c.reads & preds
              or any(k not in ("class", "node") and iri in preds for k, iri in c.targets)
              or (closure is not None and any(k == "class" and closure(iri) & types for k, iri in c.targets))]
    removed_preds = {t.predicate.value for t in removed}
    if any(c.reads is None or c.reads & removed_preds for c in checks):
        raise InexactView()
    return checks


def _new_nodes(store: Store, nodes: set[str], staged_graphs: set[str]) -> set[str]:
    """Those of ``nodes`` in no triple of the store outside the ``staged_graphs`` (internal graphs,
    history included: a node that ever existed is not new)."""
    out = set()
    for n in nodes:
        node = ox.NamedNode(n)
        if not any(q.graph_name.value not in staged_graphs for pat in ((node, None, None), (None, None, node))
                   for q in store.quads(*pat, None)):
            out.add(n)
    return out


def _name_missing_references(view: ChangeView, findings: list) -> list:
    """Findings whose value is an IRI nothing describes, with that said in their message."""
    values = sorted({f.value for f in findings if f.value and f.value.startswith(("http://", "https://", "urn:"))})
    if not values:
        return findings
    described: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = " ".join(f"<{v}>" for v in values[i:i + 500] if ">" not in v and " " not in v)
        if chunk:
            q = f"SELECT DISTINCT ?v WHERE {{ VALUES ?v {{ {chunk} }} ?v ?p ?o }}"
            described |= {r["v"].value for r in view.store.query(q, graphs=view.graphs, prefixes=False)}
    return [dataclasses.replace(f, message=f"{f.message} ({f.value} is not described in the store or in this load: "
                                          "load the file that describes it in the same command)")
            if f.value in values and f.value not in described else f for f in findings]
