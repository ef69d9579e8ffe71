"""One write of a whole source: parse into a graph readers cannot see, inspect or validate, then
make it visible in one atomic update that also records the change (``Store.begin``)."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import pyoxigraph as ox
from rdflib.term import Node

from govgraph import commit_lock, name_claims
from govgraph import write_only
from govgraph.audit import OLD_REVISION, ChangeRecord, revision_data, revision_update
from govgraph.commit_lock import HeldLock
from govgraph.errors import BadInput, ConflictError, StoreError
from govgraph import facts
from govgraph.io.xml_guard import guard_xml_entities, head_of
from govgraph.name_claims import NameBusy, NameClaim, claim_new_source, load_claims
from govgraph.store_graphs import (FORMATS, META_GRAPH, QUAD_FORMATS, STAGING_MAX_AGE, already_loaded, count,
                                   diff_graph, registry_update, staging_graph, syntax_error)
from govgraph.terms import to_ox

#: A commit adding at least this many triples compacts the embedded store afterwards: queries
#: on a freshly bulk-loaded estate were 20-30% slower than on a compacted one (docs/benchmarks.md).
COMPACT_AFTER_TRIPLES = 100_000


def _stamp(src: dict) -> tuple | None:
    """A loaded file's size and modification time (None: bytes, which cannot change)."""
    if "path" not in src:
        return None
    try:
        st = os.stat(src["path"])
    except OSError:
        return ("gone",)
    return st.st_size, st.st_mtime_ns


def _text(src: dict) -> bytes:
    """A load's input as bytes (read again from its file)."""
    if "path" in src:
        with open(src["path"], "rb") as f:
            return f.read()
    data = src["input"]
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class Transaction:
    """One write to one source: parse into a hidden graph, inspect or validate, then commit.

    Use as a context manager: leaving the block without ``commit()`` rolls back.
    """

    def __init__(self, store: Any, name: str, iri: str, replacing: bool, who: str, loaded_from: str,
                 *, may_replace: bool = False):
        self.store, self.name, self.who, self.loaded_from = store, name, who, loaded_from
        self.target = ox.NamedNode(iri)
        self.replacing = replacing
        self.may_replace = replacing or may_replace  # begin(replace=True): create or replace
        # a new source loads straight into its own not yet registered, so invisible, graph: in
        # the embedded store (one process, this write lock) always, on a shared server once this
        # writer has claimed the name (name_claims.claim_new_source). Otherwise (a replacement, or a
        # new source another writer is still loading) the write loads into a hidden graph of its
        # own, applied on commit, so two workers writing one source never write into one graph.
        self.started = time.time()
        self.done = False
        self._count: int | None = None  # triples held, known until the next load or add
        #: the loads to parse again into the merge (govgraph.facts) at commit, with the file's size and
        #: time then; None: not all can be
        self._replay: list[tuple[dict, str, str | None, tuple | None]] | None = []
        self.claim: NameClaim | None = None
        store.write_lock.acquire()
        try:
            if store.remote and not replacing:
                self.claim = claim_new_source(store, self.target, name)
                if self.claim is None and self.target in store.graphs():
                    # another writer created it while this one waited for the name
                    if not self.may_replace:
                        raise BadInput(already_loaded(name))
                    self.replacing = replacing = True
            direct = (not store.remote and not replacing) or self.claim is not None
            self.graph = self.target if direct else staging_graph()
            if direct and not store.remote:
                store.reclaim(self.target)  # a removed source's kept triples, or leftovers of a failed attempt
        except BaseException:
            store.write_lock.release()
            raise

    # -- adding data -------------------------------------------------------------
    def load(self, path: str | Path | None = None, *, data: bytes | None = None, stream: Any = None,
             fmt: str = "turtle", base_iri: str | None = None, label: str | None = None) -> int:
        """Parse a file, bytes or binary stream in ``fmt`` into this transaction; returns triples now held."""
        if fmt not in FORMATS:
            raise BadInput(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", file=label)
        label = label or (str(path) if path else "<input>")
        src = {"path": str(path)} if path is not None else {"input": stream if stream is not None else data}
        if fmt == "rdfxml":
            guard_xml_entities(head_of(path, data, stream), label)
        self._count = None
        if stream is not None or fmt in QUAD_FORMATS:  # read once / blank nodes renamed per quad
            self._replay = None
        elif self._replay is not None:
            self._replay.append((src, fmt, base_iri, _stamp(src)))
        try:
            self.store.backend.load(self.graph, src, FORMATS[fmt], quads=fmt in QUAD_FORMATS, base_iri=base_iri,
                                    guard=self._guard)
        except SyntaxError as e:
            raise syntax_error(e, label) from None
        except MemoryError as e:
            raise BadInput(f"a single value or token is too large to read ({e})", file=label) from None
        except (OSError, ValueError) as e:
            raise BadInput(str(e), file=label) from None
        return self.count()

    def add(self, triples: Iterable[tuple[Node, Node, Node]]) -> int:
        """Add rdflib triples to this transaction; returns triples now held."""
        g = self.graph
        self._count = None
        self._replay = None
        self.store.backend.extend((ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples),
                                  guard=self._guard)
        return self.count()

    @property
    def _guard(self) -> Callable[[], None] | None:
        """Checked before each batch is sent: a load into a claimed graph stops if the claim may have lapsed."""
        return self.claim.check if self.claim is not None else None

    def count(self) -> int:
        """Triples held by this transaction so far (counted once per load or add: a round trip on a server)."""
        if self._count is None:
            self._count = count(self.store.backend, f"GRAPH <{self.graph.value}> {{ ?s ?p ?o }}")
        return self._count

    def view(self) -> list[ox.NamedNode]:
        """The source graphs the store would have after commit (for validating before it)."""
        others = [g for g in self.store.graphs() if g != self.target]
        return others + [self.graph]

    # -- finishing ---------------------------------------------------------------
    def commit(self, *, forced: bool = False, note: str = "", extra: Callable[..., list[str]] | None = None) -> ChangeRecord:
        """Make the source visible in one atomic update and record the change (with ``extra(record)``'s operations)."""
        if self.done:
            raise RuntimeError("transaction already finished")
        st = self.store
        try:
            if time.time() - self.started > STAGING_MAX_AGE / 2:
                raise ConflictError(f"the load of {self.name!r} took longer than {STAGING_MAX_AGE / 2:g} s, so its hidden "
                                    f"graph may have been swept by another process; nothing was changed, load it again")
            deadline = time.monotonic() + commit_lock.COMMIT_LOCK_WAIT
            while True:
                try:
                    with st.commit_lock() as lock:
                        return self._commit(lock, forced, note, extra)
                except NameBusy:
                    if time.monotonic() > deadline:
                        raise ConflictError(f"another writer has been loading the new source {self.name!r} for over "
                                            f"{commit_lock.COMMIT_LOCK_WAIT:g} s; nothing was changed, try again") from None
                    time.sleep(1.0)  # outside the commit lock, so the other writer can commit
        except BaseException:
            if not self.done:
                self.rollback()
            raise

    def _check_remote(self) -> list[str]:
        """Under the commit lock on a shared server: what other workers committed since this load began
        decides what the commit is. Returns the lapsed claims to withdraw with this commit."""
        st = self.store
        st.forget()
        exists = self.target in st.graphs()
        stale: list[str] = []
        if self.claim is not None:
            if exists or not self.claim.held():  # only if this load outlived its claim
                raise ConflictError(f"the load of the new source {self.name!r} lost its claim on the name (it was "
                                    f"not renewed for {name_claims.CLAIM_LAPSE:g} s); nothing was changed, load it again")
        elif exists and not self.may_replace:
            raise ConflictError(f"source {self.name!r} was created by another writer while this load was running; "
                                f"nothing was changed: use --replace to replace it, or --source to load under "
                                f"another name")
        elif not exists:
            live, lapsed = load_claims(st, self.target)
            if live:
                raise NameBusy(f"another writer is loading the new source {self.name!r}")
            stale = lapsed  # a stopped writer's: withdrawn with this commit
        self.replacing = exists  # a replacement of a source another writer removed meanwhile is a load
        return stale

    def _commit(self, lock: HeldLock, forced: bool, note: str, extra: Callable | None = None) -> ChangeRecord:
        """The commit itself, holding the commit lock."""
        st = self.store
        stale_claims = self._check_remote() if st.remote else []
        revision = st.revision + 1  # read afresh above for a remote store
        new_n = self.count()
        if self.replacing:
            old, new = self.target.value, self.graph.value
            # both counted in one query (one round trip to a server)
            (row,) = st.backend.query(
                f"SELECT ?added ?removed WHERE {{ {{ SELECT (COUNT(*) AS ?added) WHERE {{ GRAPH <{new}> {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH <{old}> {{ ?s ?p ?o }} }} }} }} {{ SELECT (COUNT(*) AS ?removed) WHERE {{ "
                f"GRAPH <{old}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{new}> {{ ?s ?p ?o }} }} }} }} }}", None, None)
            added, removed = int(row["added"].value), int(row["removed"].value)
        else:
            added, removed = new_n, 0
        rec = st.new_record(self.name, "replace" if self.replacing else "load", self.who, added, removed, forced, note,
                            revision=revision)
        g = self.target.value
        ops = []
        if self.replacing:
            # keep the difference, so earlier states can be rebuilt (history, as-of views)
            new, add_g, rem_g = self.graph.value, diff_graph(rec.revision, "added"), diff_graph(rec.revision, "removed")
            ops.append(f"INSERT {{ GRAPH <{add_g}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{new}> {{ ?s ?p ?o }}"
                       f" FILTER NOT EXISTS {{ GRAPH <{g}> {{ ?s ?p ?o }} }} }}")
            ops.append(f"INSERT {{ GRAPH <{rem_g}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }}"
                       f" FILTER NOT EXISTS {{ GRAPH <{new}> {{ ?s ?p ?o }} }} }}")
            # then change the source in place: costs in proportion to the change (a MOVE from the
            # staging graph rewrote the whole source: 64 s to replace 300,000 triples on a server)
            ops.append(f"DELETE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{rem_g}> {{ ?s ?p ?o }} }}")
            ops.append(f"ADD SILENT <{add_g}> TO <{g}>")
            # the merge (govgraph.facts): what the change added, less what no live source still states
            ops += [st.merge.add_graph(add_g), st.merge.withdraw_graph(rem_g, st.graphs())]
        elif self.graph != self.target:
            # DROP first: whatever an interrupted older writer left in the unregistered graph goes
            # (only when another writer held the name while this one began: see name_claims)
            ops += [f"DROP SILENT GRAPH <{g}>", f"ADD SILENT <{self.graph.value}> TO <{g}>"]
            ops += [NameClaim.withdraw(self.target, c) for c in stale_claims]
        bulk_merge = not self.replacing and st.merge.in_bulk(new_n)
        if not self.replacing and not bulk_merge:  # a large one: by the bulk loader just before this update
            ops.append(st.merge.add_graph(g))
        ops.append(st.merge.kept())  # every commit says so (a new store's first, a bulk write's)
        extra_ops = extra(rec) if extra is not None else []
        ops += registry_update(g, self.name, new_n, self.loaded_from, rec.at) + [revision_update(rec)] + extra_ops
        if self.claim is not None:
            ops.append(NameClaim.withdraw(self.target, self.claim.iri))
        # a new source loaded under its name claim: the same update in the form Oxigraph server writes
        # without an indexed batch (the merge's ADD first, the rest as data; govgraph.write_only)
        plain = (write_only.ENABLED and st.remote and self.claim is not None and not self.replacing
                 and all(write_only.is_data(op) for op in extra_ops))
        try:
            lock.check_lease()
            if self.claim is not None:
                self.claim.stop()  # the commit withdraws it
            with st.merge_ahead(bulk_merge):  # if the commit fails, the merge drops this source's triples again
                if bulk_merge:
                    self._merge_in_bulk()
                st.backend.update(self._plain_update(lock, rec, new_n, extra_ops) if plain else ";\n".join(ops + lock.ops()))
                lock.released()
                st.committed(rec.revision, self.target, True)
        except BaseException:
            st.forget()
            raise
        finally:
            self.done = True
            st.write_lock.release()
        if self.graph != self.target:
            # the staged copy is no longer needed; dropped after the commit, so neither the commit
            # lock nor the new source waits for it (a server takes 12 s to drop 300,000 triples)
            try:
                st.backend.drop_graph(self.graph)
            except StoreError:
                pass  # the server is away: the next process to open the store sweeps it by age
        if added >= COMPACT_AFTER_TRIPLES and st.backend.capabilities.on_disk:
            st.backend.compact()  # outside the write lock: readers and writers go on meanwhile
        return rec

    def _plain_update(self, lock: HeldLock, rec: ChangeRecord, triples: int, extra_ops: list[str]) -> str:
        """The commit of a new source loaded under its name claim (``_commit``'s operations) as
        ``write_only.update`` builds it; the claim's renewals have stopped, so its triples are read as final."""
        st, g, claim = self.store, self.target.value, self.claim
        assert claim is not None
        _, entry = registry_update(g, self.name, triples, self.loaded_from, rec.at)
        claim_data, claim_stamp = claim.withdraw_parts()
        lock_data, lock_stamps = lock.write_only_ops()
        return write_only.update(st.backend, st.merge.add_graph(g),
                                 [write_only.Deletion(META_GRAPH.value, g), OLD_REVISION, claim_stamp] + lock_stamps,
                                 [st.merge.kept(), entry, revision_data(rec)] + extra_ops + [claim_data] + lock_data)

    def _merge_in_bulk(self) -> None:
        """Add this new source's triples to the merge (embedded store) by the bulk loader: its files
        parsed again when they hold no blank node (each parse names them afresh), else its graph
        copied (the copy passes every triple through Python: over twice as slow)."""
        b, merge = self.store.backend, self.store.merge
        if self._replay and all(_stamp(src) == stamp and not facts.may_name_blank_nodes(_text(src), fmt)
                                for src, fmt, _, stamp in self._replay):
            for src, fmt, base_iri, _ in self._replay:
                b.load(merge.term, src, FORMATS[fmt], quads=False, base_iri=base_iri)
        else:
            b.copy_graph(self.graph, merge.term)

    def rollback(self) -> None:
        """Discard everything this transaction loaded; the store is as it was."""
        if self.done:
            return
        st = self.store
        try:
            if self.claim is not None:
                self.claim.stop()
                try:
                    self._withdraw_claim()
                except StoreError:
                    pass  # the server is away: retried in the background (see _withdraw_claim)
            else:
                st.backend.drop_graph(self.graph)
        finally:
            self.done = True
            st.write_lock.release()

    def _withdraw_claim(self, *, retrying: bool = False) -> None:
        """Drop what this writer loaded under its claim, and the claim, if the name is still its own.

        If the server is away, this is retried in the background every second until the claim
        would have lapsed anyway, so a writer waiting for the name can go on as soon as the
        server returns."""
        st, claim = self.store, self.claim
        assert claim is not None
        try:
            with st.commit_lock() as lock:
                if claim.held():  # else another writer took the name (and the graph) over
                    st.backend.update(";".join([f"DROP SILENT GRAPH <{self.target.value}>",
                                                claim.withdraw(self.target, claim.iri)] + lock.ops()))
                    lock.released()
        except StoreError:
            if not retrying:
                threading.Thread(target=self._retry_withdrawal, name="govgraph-unclaim", daemon=True).start()
            raise

    def _retry_withdrawal(self) -> None:
        deadline = time.monotonic() + name_claims.CLAIM_LAPSE
        while time.monotonic() < deadline:
            time.sleep(1.0)
            try:
                with self.store.write_lock:  # one writer of the store at a time
                    self._withdraw_claim(retrying=True)
                return
            except StoreError:
                continue  # still away; after the deadline the claim lapses by itself
            finally:
                self.store.backend.close()  # this thread's connection

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.done:
            self.rollback()
