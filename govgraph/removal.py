"""Withdrawing a source as a unit (``Store.remove_source``), and the triples a removal keeps.

Readers see the source fully there or fully gone: one small update unregisters it and records
the change. Its triples are kept for the history (as-of views rebuild the past from them), and
moving or deleting a million triples in one transaction took minutes and gigabytes, so neither
happens in that update:

* embedded: the triples stay where they are, in the now unregistered graph, which the change
  record names as keeping them; they move to the record's own difference graph only if a source
  of that name is loaded again (``reclaim``), in batches, out of sight.
* shared server: they are first copied, in batches, to a hidden graph the record names; after
  the update the old graph is emptied in batches (``remove_shared``).
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import pyoxigraph as ox

from govgraph.audit import ChangeRecord, read_history, revision_update
from govgraph.errors import ConflictError, StoreError
from govgraph.name_claims import NameClaim
from govgraph.ontology.ns import GOV
from govgraph.store_graphs import AUDIT_GRAPH, KEPT_IN, META_GRAPH, count, diff_graph, staging_graph


def remove_local(st: Any, name: str, who: str) -> ChangeRecord:
    """``remove_source`` on the embedded store (write lock held): unregister, keep the triples in place."""
    info = st.source(name)
    g = ox.NamedNode(info.graph)
    rec = dataclasses.replace(st.new_record(info.name, "remove", who, 0, info.triples, False, ""), kept=g.value)
    others = [x for x in st.graphs() if x != g]
    # the merge (govgraph.facts): the source's triples no other source states leave it; a large
    # source's in batches just before the update (one update withdrawing 1M triples takes gigabytes)
    bulk = st.merge.in_bulk(info.triples)
    try:
        with st.merge_ahead(bulk):  # if the removal fails, the merge gets the source's triples back
            if bulk:
                st.backend.unmerge_graph(g, others)
            st.backend.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{g.value}> ?p ?o }} }};"
                              + revision_update(rec) + ";"
                              + ("" if bulk else st.merge.withdraw_graph(g.value, others) + ";") + st.merge.kept())
            st.committed(rec.revision, g, False)
    except BaseException:
        st.forget()
        raise
    return rec


def reclaim(st: Any, g: ox.NamedNode) -> None:
    """Empty the unregistered graph ``g`` for a new source of its name (embedded store, write lock
    held). If a removal keeps its triples there (``remove_local``), they are copied to that
    removal's own difference graph first, and the record pointed there in one small update; a
    history reader reads the old graph before the new one, so it finds every triple in one or
    the other at any moment. Both steps go in batches; a stop leaves what the next open sweeps.
    """
    b, rev = st.backend, ox.NamedNode(str(GOV.revision))
    for q in list(b.quads(None, KEPT_IN, g, AUDIT_GRAPH)):  # an index lookup: patches come here
        for r in b.quads(q.subject, rev, None, AUDIT_GRAPH):
            moved = ox.NamedNode(diff_graph(int(r.object.value), "removed"))
            b.drop_graph(moved)  # what an interrupted earlier move left
            b.copy_graph(g, moved)
        b.update(f"DELETE DATA {{ GRAPH <{AUDIT_GRAPH.value}> {{ {q.subject} <{KEPT_IN.value}> <{g.value}> }} }}")
        st.forget_history()
    b.drop_graph(g)


def registry_entry(st: Any, g: ox.NamedNode) -> set[tuple[str, str]]:
    """A source's registry entry (every commit to the source rewrites it: loadedAt changes)."""
    return {(q.predicate.value, str(q.object)) for q in st.backend.quads(g, None, None, META_GRAPH)}


def remove_shared(st: Any, name: str, who: str) -> ChangeRecord:
    """``remove_source`` on a shared server. The copy is made before the commit lock is taken, so
    other writers go on meanwhile; the commit checks the source did not change since. While the
    graph is emptied the removal holds a claim on the source's name (``name_claims``), so no new
    load of that name starts in it; if this process stops, the claim lapses and the next writer of
    that name, or the next process to open the store, drops what is left."""
    b = st.backend
    st.forget()
    info = st.source(name)
    g = ox.NamedNode(info.graph)
    entry = registry_entry(st, g)
    kept = staging_graph()  # swept by age until a change record names it
    try:
        b.copy_graph(g, kept)
        with st.commit_lock() as lock:
            st.forget()  # the registry as it is now, under the lock
            if registry_entry(st, g) != entry:
                raise ConflictError(f"source {name!r} was changed by another writer while it was being removed; "
                                    f"nothing was changed, try again")
            if count(b, f"GRAPH <{kept.value}> {{ ?s ?p ?o }}") != count(b, f"GRAPH <{g.value}> {{ ?s ?p ?o }}"):
                raise StoreError(f"the server's copy of source {name!r} came out incomplete; nothing was changed")
            rec = dataclasses.replace(st.new_record(info.name, "remove", who, 0, info.triples, False, ""),
                                      kept=kept.value)
            claim, claim_op = NameClaim.make(g)
            others = [x for x in st.graphs() if x != g]
            ops = [f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{g.value}> ?p ?o }} }}",
                   revision_update(rec), st.merge.withdraw_graph(g.value, others), st.merge.kept(), claim_op]
            lock.check_lease()
            b.update(";\n".join(ops + lock.ops()))
            lock.released()
    except BaseException:
        st.forget()
        with contextlib.suppress(Exception):
            if not any(r.kept == kept.value for r in read_history(b)):
                b.empty_graph(kept)
        raise
    st.committed(rec.revision, g, False)
    holder = NameClaim(b, g, claim, name)
    try:
        b.empty_graph(g, guard=holder.check)
    finally:
        holder.stop()
    with contextlib.suppress(StoreError), st.commit_lock() as lock:
        if holder.held():  # else it lapsed and another writer took the name (and the graph) over
            b.update(";".join([f"DROP SILENT GRAPH <{g.value}>", holder.withdraw(g, claim)] + lock.ops()))
            lock.released()
    return rec
