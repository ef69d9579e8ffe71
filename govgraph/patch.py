"""Small changes to sources: triples staged to add and remove, validated, committed atomically
(one source with ``Patch.commit``, several in one update with ``commit_patches``)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pyoxigraph as ox

from govgraph.audit import ChangeRecord, revision_update
from govgraph.commit_lock import HeldLock
from govgraph.errors import ConflictError
from govgraph.name_claims import load_claims
from govgraph.store_graphs import count, diff_graph, registry_update, staging_graph, triples_text


class Patch:
    """A small change to one source: stage triples to add and remove, validate, commit atomically.

    Added triples are staged in a hidden graph, so ``view()`` shows the store with them
    (for validation); triples being removed are still visible there, which can only
    hide findings about properties the patch removes. On commit one SPARQL Update
    deletes and inserts the triples, keeps the difference for the history, updates the
    registry and appends the change record.
    """

    def __init__(self, store: Any, name: str, iri: str, who: str, loaded_from: str):
        self.store, self.name, self.who, self.loaded_from = store, name, who, loaded_from
        self.target = ox.NamedNode(iri)
        self.graph = staging_graph()
        self._removed: set[ox.Triple] = set()
        self._new: set[ox.Triple] | None = set()  # staged triples known to be absent from the source
        self._reserved: int | None = None  # the revision whose "added" diff graph the staging graph is
        self._keep_staged = False
        self._assigned: int | None = None
        self._relocated_from: ox.NamedNode | None = None
        self._size = 0  # the source's size after commit, once prepared
        self.done = False
        store.write_lock.acquire()
        self.exists = self.target in store.graphs()  # read again under the commit lock
        if not self.exists and not store.remote:
            try:
                store.reclaim(self.target)  # a removed source's kept triples move out of the way
            except BaseException:
                store.write_lock.release()
                raise

    def add(self, triples: Iterable[ox.Triple], *, absent: bool = False) -> None:
        """Stage triples to add (those already in the source are ignored on commit).

        ``absent=True``: the caller checked that none is in the source (under this patch's
        write lock), so commit writes them directly instead of comparing the staged graph
        with the source (for a small patch the comparison was most of the commit's time).
        """
        triples = list(triples)
        if absent and self._new is not None and not any(
                isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
            if not self._new and self._reserved is None and not self.store.remote:
                # stage straight into the "added" diff graph of the revision this patch will most
                # likely commit as, so commit neither copies the triples there nor drops a staging
                # graph (writes are most of a small patch's cost); checked on commit
                self._reserved = self.store.reserve_revision()
                self.graph = ox.NamedNode(diff_graph(self._reserved, "added"))
                self.store.backend.drop_graph(self.graph)  # leftovers of a change that never committed
            self._new.update(triples)
        else:
            self._new = None  # some staged triples may already be there: compare on commit
        self.store.backend.extend(ox.Quad(t.subject, t.predicate, t.object, self.graph) for t in triples)

    def remove(self, triples: Iterable[ox.Triple]) -> None:
        """Stage triples to remove (those not in the source are ignored on commit)."""
        self._removed.update(triples)

    def view(self) -> list[ox.NamedNode]:
        """The source graphs as they would be after commit (removals still visible; see class doc)."""
        return self.store.graphs() + [self.graph]

    def commit(self, *, forced: bool = False, note: str = "") -> ChangeRecord | None:
        """Apply the change in one atomic update; None (and nothing recorded) if it changes nothing."""
        return commit_patches([self], forced=forced, note=note)[0]

    def _relocate(self) -> list[str]:
        """Update operations (run before any other of the commit) moving a staging graph that was
        named for a revision this patch does not get, so no other patch's diff lands in it."""
        if self._reserved is None or self._reserved == self._assigned:
            return []
        fresh = staging_graph()
        self._relocated_from, self.graph = self.graph, fresh
        self._reserved = None
        self.store.release_revision()
        return [f"MOVE SILENT <{self._relocated_from.value}> TO <{fresh.value}>"]

    def _prepare(self, revision: int, forced: bool, note: str,
                 live: list[ox.NamedNode]) -> tuple[list[str], ChangeRecord] | None:
        """The update operations and change record of this patch as revision ``revision`` (None: no change).
        ``live``: the source graphs after the commit (a removed triple stays in the merge while one states it)."""
        if self.done:
            raise RuntimeError("patch already finished")
        st, g, staged = self.store, self.target.value, self.graph.value
        self.exists = self.target in st.graphs()  # read again under the commit lock
        if not self.exists and load_claims(st, self.target)[0]:
            raise ConflictError(f"another writer is loading the new source {self.name!r} right now; nothing was "
                                f"changed: try again when it has finished")
        in_place = self._reserved is not None and self._reserved == revision  # staged in its own diff graph
        known = self._new
        if known is not None:
            added = len(known)
        else:
            added = count(st.backend, f"GRAPH <{staged}> {{ ?s ?p ?o }}" +
                          (f" FILTER NOT EXISTS {{ GRAPH <{g}> {{ ?s ?p ?o }} }}" if self.exists else ""))
        removed = [t for t in self._removed if self.exists and st.contains(t.subject, t.predicate, t.object, self.target)]
        if not added and not removed:
            return None
        size = self._size = (st.source_size(self.target) if self.exists else 0) + added - len(removed)
        rec = st.new_record(self.name, "patch" if self.exists else "load", self.who, added, len(removed), forced, note,
                            revision=revision)
        add_g, rem_g = diff_graph(rec.revision, "added"), diff_graph(rec.revision, "removed")
        # a new source: whatever an interrupted earlier attempt left in the unregistered graph goes
        ops = [] if self.exists else [f"DROP SILENT GRAPH <{g}>"]
        if in_place:
            assert known is not None and staged == add_g
            body = triples_text(known)
            ops += [f"INSERT DATA {{ GRAPH <{g}> {{ {body} }} }}", st.merge.add_triples(known)] if known else []
        elif known is not None:
            ops.append(f"DROP SILENT GRAPH <{staged}>")
            if known:
                body = triples_text(known)
                ops.append(f"INSERT DATA {{ GRAPH <{add_g}> {{ {body} }} GRAPH <{g}> {{ {body} }} }}")
                ops.append(st.merge.add_triples(known))
        else:
            ops += [f"INSERT {{ GRAPH <{add_g}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{staged}> {{ ?s ?p ?o }}"
                    f" FILTER NOT EXISTS {{ GRAPH <{g}> {{ ?s ?p ?o }} }} }}",
                    f"ADD <{staged}> TO <{g}>", st.merge.add_graph(staged), f"DROP SILENT GRAPH <{staged}>"]
        if removed:
            body = triples_text(removed)
            ops += [f"DELETE DATA {{ GRAPH <{g}> {{ {body} }} }}", f"INSERT DATA {{ GRAPH <{rem_g}> {{ {body} }} }}",
                    st.merge.withdraw_triples(removed, live)]
        ops += registry_update(g, self.name, size, self.loaded_from, rec.at) + [revision_update(rec)]
        return ops, rec

    def rollback(self) -> None:
        """Discard the staged change; the store is as it was."""
        if not self.done:
            self._finish()

    def _finish(self) -> None:
        try:
            if not self._keep_staged:  # a committed in-place diff graph stays: it is the history
                self.store.backend.drop_graph(self.graph)
            if self._relocated_from is not None:  # moved by the commit, or left if it failed
                self.store.backend.drop_graph(self._relocated_from)
        finally:
            if self._reserved is not None:
                self.store.release_revision()
                self._reserved = None
            self.done = True
            self.store.write_lock.release()

    def __enter__(self) -> "Patch":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.rollback()


def commit_patches(patches: list[Patch], *, forced: bool = False, note: str = "",
                   extra: Callable | None = None) -> list[ChangeRecord | None]:
    """Commit patches to different sources of one store in one atomic update (with ``extra(last record)``'s
    operations). Each patch that changes something gets its own change record and revision (in the order given);
    one that changes nothing gets None. Either every change is applied or, if the update fails, none is; the
    patches are finished either way."""
    if not patches:
        return []
    st = patches[0].store
    if any(p.store is not st for p in patches) or len({p.name for p in patches}) != len(patches):
        raise ValueError("commit_patches takes patches of one store, one per source")
    try:
        with st.commit_lock() as lock:
            return _commit_patches(st, patches, lock, forced, note, extra)
    finally:
        for p in patches:
            if not p.done:
                p._finish()


def _commit_patches(st: Any, patches: list[Patch], lock: HeldLock, forced: bool,
                    note: str, extra: Callable | None = None) -> list[ChangeRecord | None]:
    """commit_patches holding the commit lock: prepared against the registry as it is now."""
    if st.remote:
        st.forget()  # the registry and revision as they are now, under the lock

    def prepare(record_assigned: bool) -> tuple[list[str], list[ChangeRecord | None], list[Patch]]:
        ops: list[str] = []
        records: list[ChangeRecord | None] = []
        in_place: list[Patch] = []
        revision = st.revision
        live = sorted(set(st.graphs()) | {p.target for p in patches}, key=lambda g: g.value)
        for p in patches:
            reserved = p._reserved
            prepared = p._prepare(revision + 1, forced, note, live)
            if prepared is None:
                if record_assigned:
                    p._assigned = None
                records.append(None)
                continue
            revision += 1
            if record_assigned:
                p._assigned = revision
            if reserved == revision:
                in_place.append(p)
            ops += prepared[0]
            records.append(prepared[1])
        return ops, records, in_place

    ops, records, in_place = prepare(True)
    moves = [op for p in patches for op in p._relocate()]
    if moves:  # a staging graph named for another revision: redo with fresh staging graphs
        ops, records, in_place = prepare(False)
        ops = moves + ops
    ops += extra([r for r in records if r][-1]) if extra is not None and any(records) else []
    ops += [st.merge.kept()] if any(records) else []  # every commit says the merge is complete
    if ops:
        lock.check_lease()
        try:
            st.backend.update(";\n".join(ops + lock.ops()))
            lock.released()
        except BaseException:
            st.forget()
            raise
        for p in in_place:
            p._keep_staged = True
        for p, rec in zip(patches, records):
            if rec is not None:
                st.committed(rec.revision, p.target, True, size=p._size)
    return records
