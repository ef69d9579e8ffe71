"""Validated imports: check an open transaction before it commits.

The incoming source is validated together with the data it references: the focus nodes
are the subjects and (estate) objects of the incoming triples (and of the triples it
replaces), plus the nodes that point at them, evaluated over the store as it would be
after commit (``txn.view()``). Any sh:Violation raises ``ValidationFailed`` carrying the
report, and the caller rolls back; warnings are returned. ``force=True`` lets an
administrator commit anyway; the caller records it with ``txn.commit(forced=True)``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable, Sequence

import pyoxigraph as ox

from govgraph.errors import ValidationFailed
from govgraph.ontology.ns import PREFIXES
from govgraph.shapes.engine import MAX_SCOPE
from govgraph.shapes.model import Report
from govgraph.shapes.validate import run, shapes_for
from govgraph.store import Store, Transaction

_VOCAB = tuple(str(ns) for ns in PREFIXES.values())
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _touched(store: Store, graph: ox.NamedNode) -> tuple[set[str], set[str], bool]:
    """Subjects and estate IRIs objects in ``graph``; and whether any subject is a blank node."""
    subjects: set[str] = set()
    objects: set[str] = set()
    blank = False
    q = (f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }} LIMIT {MAX_SCOPE + 1}")
    for r in store.query(q, graphs=[graph], prefixes=False):
        if isinstance(r["s"], ox.NamedNode):
            subjects.add(r["s"].value)
        else:
            blank = True
    q = (f"SELECT DISTINCT ?o WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o FILTER(isIRI(?o) && ?p != <{_RDF_TYPE}>) }} }}"
         f" LIMIT {MAX_SCOPE * 4}")
    for r in store.query(q, graphs=[graph], prefixes=False):
        v = r["o"].value
        if not v.startswith(_VOCAB):
            objects.add(v)
    return subjects, objects, blank


def batch_view(txns: Sequence[Transaction]) -> list[ox.NamedNode]:
    """The source graphs the store would have after committing every transaction of a batch."""
    targets = {t.target for t in txns}
    return [g for g in txns[0].store.graphs() if g not in targets] + [t.graph for t in txns]


def import_scope(txn: Transaction, view: Sequence[ox.NamedNode] | None = None) -> list[str] | None:
    """The focus nodes an import can change the findings of; None means validate everything.

    ``view``: the graphs the store would have after commit (default: this transaction's alone).
    """
    store = txn.store
    graphs = [txn.graph] + ([txn.target] if txn.replacing else [])
    nodes: set[str] = set()
    subjects: set[str] = set()
    for g in graphs:
        s, o, blank = _touched(store, g)
        if blank or len(s) > MAX_SCOPE or len(o) >= MAX_SCOPE * 4:
            return None  # a large import: validating everything is cheaper than a huge scope
        subjects |= s
        nodes |= s | o
        if len(nodes) > MAX_SCOPE:
            return None
    if not nodes:
        return []
    values = " ".join(f"<{n}>" for n in subjects)
    q = f"SELECT DISTINCT ?s WHERE {{ VALUES ?n {{ {values} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
    incoming = {r["s"].value for r in store.query(q, graphs=view or txn.view(), prefixes=False)}
    scope = nodes | incoming
    return None if len(scope) > MAX_SCOPE else sorted(scope)


def validate_transaction(txn: Transaction, *, force: bool = False, check_date: dt.date | str | None = None,
                         profile: str | None = None, shape_files: Sequence[str] | None = None) -> Report:
    """Validate an open transaction as it would commit; raise ValidationFailed for violations it introduces.

    Violations in the import's scope that the store already had before (a defect the
    import merely touches) do not block it: the same scope is checked over the store as
    it is, and only new violations refuse the import (unless forced). Returns the report
    of the store as it would be (its warnings are for the caller to show). Does not
    commit or roll back.
    """
    return validate_batch([txn], force=force, check_date=check_date, profile=profile, shape_files=shape_files)


def validate_batch(txns: Sequence[Transaction], *, force: bool = False, check_date: dt.date | str | None = None,
                   profile: str | None = None, shape_files: Sequence[str] | None = None) -> Report:
    """Validate open transactions of one store together, as they would be after all commit.

    Several files loaded at once refer to each other (a dataset in one, its system in
    another): checked together, those references resolve, as ``govgraph validate`` of the
    same files would find. As ``validate_transaction`` otherwise; a refused batch's
    violations that point at something neither the store nor the batch describes say so.
    """
    if not txns:
        raise ValueError("no transactions to validate")
    store = txns[0].store
    shapes = shapes_for(profile, shape_files, check_date)
    view = batch_view(txns)
    scope: list[str] | None = []
    for t in txns:
        part = import_scope(t, view)
        if part is None or scope is None:
            scope = None
            continue
        scope = sorted(set(scope) | set(part))
    if scope is not None and len(scope) > MAX_SCOPE:
        scope = None
    report = run(store, shapes, graphs=view, scope=scope, with_scorecard=False)
    if report.conforms or force:
        return report
    try:
        return refuse_new_violations(
            report, lambda: run(store, shapes, graphs=store.graphs(), scope=scope, with_scorecard=False),
            "import rejected")
    except ValidationFailed as e:
        e.report.findings = _name_missing_references(store, view, e.report.findings)
        raise


def _name_missing_references(store: Store, view: Sequence[ox.NamedNode], findings: list) -> list:
    """Findings whose value is an IRI nothing describes, with that said in their message."""
    values = sorted({f.value for f in findings if f.value and f.value.startswith(("http://", "https://", "urn:"))})
    if not values:
        return findings
    described: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = " ".join(f"<{v}>" for v in values[i:i + 500] if ">" not in v and " " not in v)
        if chunk:
            q = f"SELECT DISTINCT ?v WHERE {{ VALUES ?v {{ {chunk} }} ?v ?p ?o }}"
            described |= {r["v"].value for r in store.query(q, graphs=view, prefixes=False)}
    return [dataclasses.replace(f, message=f"{f.message} ({f.value} is not described in the store or in this load: "
                                          "load the file that describes it in the same command)")
            if f.value in values and f.value not in described else f for f in findings]


def refuse_new_violations(after: Report, before: Callable[[], Report], what: str) -> Report:
    """Raise ValidationFailed if ``after`` has violations that ``before()`` (the same scope
    before the change) did not; the report then holds only those new violations.

    Returns ``after`` otherwise. ``before`` is only run when ``after`` has violations.
    """
    if after.conforms:
        return after
    known = {f.key() for f in before().violations}
    fresh = [f for f in after.violations if f.key() not in known]
    if fresh:
        # the report shows what the change would introduce, not the defects that were there already
        raise ValidationFailed(Report(fresh, after.check_date, {}, after.engine),
                               f"{what}: it introduces {len(fresh)} violation(s) of the council's data "
                               f"principles; nothing was changed")
    return after
