"""Validated writes of a whole source from triples: the path the web write API and ingest share.

Like ``load_files``, every write parses into a hidden graph, is validated against the
principle shapes with what it touches (``govgraph.shapes.change``), and commits only
if nothing is violated; otherwise ``ValidationFailed`` carries the report and the
store is unchanged. A write whose triples equal the source's current triples commits
nothing (so repeating a request changes nothing, not even the history).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from govgraph.errors import BadInput, NeedsAdmin
from govgraph.io.characters import check_triples
from govgraph.io.formats import FORMATS
from govgraph.shapes.change import ChangeView, baseline_ops, validate_change
from govgraph.store import ChangeRecord, Store, source_graph_iri
from govgraph.terms import to_rdflib



@dataclass
class WriteResult:
    """What a write did: the source, its size, and the change record (None when unchanged)."""
    source: str
    triples: int
    record: ChangeRecord | None
    report: object | None = None
    #: discovered datasets the write catalogued (``govgraph.io.catalogued.Adopted``)
    catalogued: list = field(default_factory=list)

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
            if rep.baseline:
                out["baseline"] = {"added": [g.to_dict() for g in rep.baseline.added],
                                   "fixed": [g.to_dict() for g in rep.baseline.dropped]}
        if self.catalogued:
            out["catalogued"] = [{"discovered": a.discovered, "dataset": a.dataset, "sources": list(a.sources)}
                                 for a in self.catalogued]
        return out


def source_triples(store: Store, name: str) -> set[ox.Triple]:
    """The current triples of a source (empty if it is not loaded)."""
    if not store.has_source(name):
        return set()
    g = ox.NamedNode(source_graph_iri(name))
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, g)}


def canonical(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """Triples as the store gives them back (typed literals in canonical form), so they compare equal.

    Only triples with a literal object other than a plain ``xsd:string`` can change on the way
    through the store; those go through a scratch store, the others are kept as they are.
    """
    same, other = set(), []
    for t in triples:
        o = t.object
        if isinstance(o, ox.Literal) and (o.language is not None or o.datatype != _XSD_STRING):
            other.append(t)
        else:
            same.add(t)
    if not other:
        return same
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in other)
    same.update(ox.Triple(q.subject, q.predicate, q.object)
                for q in scratch.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return same


_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


#: A replacement that drops more than this many triples is a removal in effect, whatever the source's size.
LARGE_REMOVAL = 100_000


def is_removal(had: int, dropped: int) -> bool:
    """Whether replacing a source of ``had`` triples with content lacking ``dropped`` of them is a removal in
    effect: it drops more than half of the source (emptying it, or leaving a token triple, included) or more
    than ``LARGE_REMOVAL`` triples. Such a replacement needs an admin, as removing the source does."""
    return dropped > LARGE_REMOVAL or 2 * dropped > had


def check_not_removal(name: str, had: int, dropped: int) -> None:
    """NeedsAdmin (naming what to do) when a replacement of ``name`` is a removal in effect (``is_removal``)."""
    if is_removal(had, dropped):
        share = "more than half" if 2 * dropped > had else f"more than {LARGE_REMOVAL:,}"
        raise NeedsAdmin(
            f"replacing source {name!r} would drop {dropped:,} of its {had:,} triples ({share}): that is a removal, "
            f"which needs an admin. An admin can make this change with an admin token, or remove the source "
            f"(DELETE /api/v1/sources/{name}, or `govgraph remove`) and load the new content.")


def parse_triples(data: bytes, fmt: str) -> list[ox.Triple]:
    """The triples of an RDF document held in memory (``fmt``: a name of ``store.FORMATS``); BadInput
    when it is not valid RDF or holds none."""
    try:
        triples = [q.triple if hasattr(q, "triple") else q for q in ox.parse(data, FORMATS[fmt])]
    except SyntaxError as e:
        raise BadInput(f"not valid RDF: {e}") from None
    if not triples:
        raise BadInput("no triples found in the body")
    return triples


def write_source(store: Store, name: str, triples: Iterable[ox.Triple], *, who: str,
                 loaded_from: str = "", current: set[ox.Triple] | None = None,
                 force: bool = False, may_remove: bool = False, as_is: bool = False,
                 note: str = "") -> WriteResult:
    """Replace (or create) the source ``name`` with ``triples``, validated; unchanged content commits nothing.
    ``note``: what changed, in words, kept with the change record.

    Added triples with NUL or bidirectional controls are refused (BadInput naming the triple,
    ``govgraph.io.characters``). Unless ``may_remove`` (the caller acts for an admin), a replacement that is a removal in effect
    (``is_removal``: most of the source dropped) is refused with NeedsAdmin before anything is written.
    ``as_is``: commit whatever the findings, the violations it introduces becoming the source's baseline.
    """
    new = canonical(triples)
    old = source_triples(store, name) if current is None else current
    exists = store.has_source(name)
    if exists and new == old:
        return WriteResult(name, len(new), None)
    check_triples(new - old, f"source {name!r}:")  # what was stored before is not refused again
    if exists and not may_remove:
        check_not_removal(name, len(old), len(old - new))
    # replace=True: create or replace, also if another worker creates the source meanwhile (the later write wins)
    with store.begin(name, replace=True, who=who, loaded_from=loaded_from) as txn:
        if len(new) > BULK_THRESHOLD:  # the bulk loader pays off only for large writes
            buf = io.BytesIO()
            ox.serialize(sorted(new, key=str), buf, ox.RdfFormat.N_TRIPLES)
            txn.load(data=buf.getvalue(), fmt="ntriples", label=loaded_from or name)
        elif new:
            txn.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in new)
        report = validate_change(ChangeView.of_transactions([txn]), new - old, old - new, force=force, as_is=as_is)
        rec = txn.commit(forced=force and not getattr(report, "conforms", True), note=note,
                         extra=baseline_ops(report))
    return WriteResult(name, len(new), rec, report)


#: Writes with more triples than this go through Oxigraph's bulk loader.
BULK_THRESHOLD = 20_000
