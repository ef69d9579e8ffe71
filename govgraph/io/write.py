"""Validated writes of a whole source from triples: the path the web write API and ingest share.

Like ``load_files``, every write parses into a hidden graph, is validated against the
principle shapes with what it touches (``govgraph.shapes.imports``), and commits only
if nothing is violated; otherwise ``ValidationFailed`` carries the report and the
store is unchanged. A write whose triples equal the source's current triples commits
nothing (so repeating a request changes nothing, not even the history).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from govgraph.ontology.ns import PREFIXES
from govgraph.store import ChangeRecord, Store, source_graph_iri, to_rdflib

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


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
    with store.begin(name, replace=exists, who=who, loaded_from=loaded_from) as txn:
        if len(new) > BULK_THRESHOLD:  # the bulk loader pays off only for large writes
            buf = io.BytesIO()
            ox.serialize(sorted(new, key=str), buf, ox.RdfFormat.N_TRIPLES)
            txn.load(data=buf.getvalue(), fmt="ntriples", label=loaded_from or name)
        elif new:
            txn.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in new)
        report = validate_change(txn, added=new - old, removed=old - new, force=force)
        rec = txn.commit(forced=force and not getattr(report, "conforms", True))
    return WriteResult(name, len(new), rec, report)


#: Writes with more triples than this go through Oxigraph's bulk loader.
BULK_THRESHOLD = 20_000
_shape_cache: dict = {}
_VOCAB = tuple(str(ns) for ns in PREFIXES.values())


def _shapes(check_date: dt.date):
    """The principle shapes for a check date, loaded and compiled once (they are reference data)."""
    from govgraph.shapes.validate import shapes_for
    hit = _shape_cache.get(check_date)
    if hit is None:
        _shape_cache.clear()
        hit = _shape_cache[check_date] = shapes_for(None, None, check_date)
    return hit


def change_scope(store: Store, txn, added: set[ox.Triple], removed: set[ox.Triple]) -> list[str] | None:
    """The focus nodes a change can affect: subjects and estate objects of the changed triples, and the
    nodes pointing at those subjects (as ``govgraph.shapes.imports.import_scope``, but over the change
    only, so validating an append does not grow with the source). None: validate everything."""
    from govgraph.shapes.engine import MAX_SCOPE
    subjects: set[str] = set()
    nodes: set[str] = set()
    for t in added | removed:
        if not isinstance(t.subject, ox.NamedNode):
            return None
        subjects.add(t.subject.value)
        if isinstance(t.object, ox.NamedNode) and t.predicate.value != _RDF_TYPE and not t.object.value.startswith(_VOCAB):
            nodes.add(t.object.value)
    nodes |= subjects
    if len(nodes) > MAX_SCOPE:
        return None
    if subjects:
        values = " ".join(f"<{n}>" for n in sorted(subjects))
        q = f"SELECT DISTINCT ?s WHERE {{ VALUES ?n {{ {values} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
        nodes |= {r["s"].value for r in store.query(q, graphs=txn.view(), prefixes=False)}
    return None if len(nodes) > MAX_SCOPE else sorted(nodes)


def validate_change(txn, *, added: set[ox.Triple], removed: set[ox.Triple], force: bool = False):
    """Validate a transaction over the nodes its change touches; refuse it only for violations it introduces.

    A pipeline reporting a run over a dataset that already breaks a rule (say, a
    missing lawful basis) must not be blocked by that old finding: violations in the
    change's scope are compared with the same scope before the change, and only new
    ones refuse it (ValidationFailed with the report of the new violations).
    """
    from govgraph.errors import ValidationFailed
    from govgraph.shapes.validate import parse_date, run
    store = txn.store
    shapes = _shapes(parse_date(None))
    scope = change_scope(store, txn, added, removed)
    after = run(store, shapes, graphs=txn.view(), scope=scope, with_scorecard=False)
    if after.conforms or force:
        return after
    before = run(store, shapes, graphs=store.graphs(), scope=scope, with_scorecard=False)
    old = {f.key() for f in before.violations}
    fresh = [f for f in after.violations if f.key() not in old]
    if fresh:
        raise ValidationFailed(type(after)(fresh, after.check_date, {}, after.engine),
                               f"change rejected: it introduces {len(fresh)} violation(s) of the council's data "
                               "principles; nothing was changed")
    return after
