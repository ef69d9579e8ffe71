"""Validated writes of a whole source from triples: the path the web write API and ingest share.

Like ``load_files``, every write parses into a hidden graph, is validated against the
principle shapes with what it touches (``govgraph.shapes.imports``), and commits only
if nothing is violated; otherwise ``ValidationFailed`` carries the report and the
store is unchanged. A write whose triples equal the source's current triples commits
nothing (so repeating a request changes nothing, not even the history).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from govgraph.store import ChangeRecord, Store, source_graph_iri


@dataclass
class WriteResult:
    """What a write did: the source, its size, and the change record (None when unchanged)."""
    source: str
    triples: int
    record: ChangeRecord | None
    report: object | None = None

    @property
    def changed(self) -> bool:
        return self.record is not None

    def to_dict(self) -> dict:
        r = self.record
        out = {"source": self.source, "triples": self.triples, "changed": self.changed}
        if r is not None:
            out.update(revision=r.revision, added=r.added, removed=r.removed, action=r.action)
        rep = self.report
        if rep is not None and hasattr(rep, "counts"):
            out["warnings"] = rep.counts.get("Warning", 0)
        return out


def source_triples(store: Store, name: str) -> set[ox.Triple]:
    """The current triples of a source (empty if it is not loaded)."""
    if not store.has_source(name):
        return set()
    g = ox.NamedNode(source_graph_iri(name))
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, g)}


def canonical(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """Triples as the store gives them back (typed literals in canonical form), so they compare equal."""
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in scratch.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def write_source(store: Store, name: str, triples: Iterable[ox.Triple], *, who: str,
                 loaded_from: str = "", current: set[ox.Triple] | None = None,
                 force: bool = False) -> WriteResult:
    """Replace (or create) the source ``name`` with ``triples``, validated; unchanged content commits nothing."""
    new = canonical(triples)
    old = source_triples(store, name) if current is None else current
    exists = store.has_source(name)
    if exists and new == old:
        return WriteResult(name, len(new), None)
    buf = io.BytesIO()
    ox.serialize(sorted(new, key=str), buf, ox.RdfFormat.N_TRIPLES)
    with store.begin(name, replace=exists, who=who, loaded_from=loaded_from) as txn:
        if new:
            txn.load(data=buf.getvalue(), fmt="ntriples", label=loaded_from or name)
        report = validate_new_violations(txn, force=force)
        rec = txn.commit(forced=force and not getattr(report, "conforms", True))
    return WriteResult(name, len(new), rec, report)


def validate_new_violations(txn, *, force: bool = False):
    """Validate a transaction; refuse it only for violations it introduces.

    A pipeline reporting a run over a dataset that already breaks a rule (say, a
    missing lawful basis) must not be blocked by that old finding: the violations in
    the write's scope are compared with the same scope before the write, and only new
    ones refuse it (ValidationFailed with the report of the new violations).
    """
    from govgraph.errors import ValidationFailed
    from govgraph.shapes.imports import import_scope, validate_transaction
    from govgraph.shapes.validate import run, shapes_for
    try:
        return validate_transaction(txn, force=force)
    except ValidationFailed as e:
        after = e.report
        shapes = shapes_for(None, None, after.check_date)
        before = run(txn.store, shapes, graphs=txn.store.graphs(), scope=import_scope(txn), with_scorecard=False)
        old = {f.key() for f in before.violations}
        fresh = [f for f in after.violations if f.key() not in old]
        if fresh:
            raise ValidationFailed(type(after)(fresh, after.check_date, {}, getattr(after, "engine", "")),
                                   f"change rejected: it introduces {len(fresh)} violation(s) of the council's data "
                                   "principles; nothing was changed") from None
        return after
