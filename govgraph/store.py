"""The quad store: one named graph per source, transactional source writes, native SPARQL.

Backends are chosen by a URL-like setting (see ``open_store``):

* ``oxigraph:PATH`` -- embedded, persistent Oxigraph (RocksDB) on disk; the default.
* ``memory:``       -- in-memory Oxigraph, for tests and one-off runs.
* ``sparql+http://HOST:PORT/query?update=/update&store=/store`` -- any SPARQL 1.1
  server (see ``govgraph.backends.remote``).

Every import is loaded into a graph that readers cannot see yet; it becomes visible
only when its entry is written to the registry graph in one atomic update. Readers
query the RDF merge of the registered source graphs (``facts``: each triple once, changed
in the same update) as their default graph, and the registered graphs by name, so a
half-loaded or rejected import is never seen, and leftovers of a crash are swept on open.
(For speed, the merge of a new source of ``facts.MERGE_IN_UPDATE`` triples or more is written
by the bulk loader, and a removed one's withdrawn in batches, in the seconds just before its
commit; meanwhile reads use the registered source graphs instead: ``merge_changing``.)

This module holds the store's reads and registry; writes live beside it: ``transaction``
(whole sources), ``patch`` (small changes), ``removal``, ``commit_lock`` and ``name_claims``
(writers sharing a server), ``audit`` (change records), ``store_graphs`` (the graphs' names).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
from typing import Any, Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from govgraph.audit import ChangeRecord, kept_graphs, new_record, read_history
from govgraph.backends import Backend, open_backend
from govgraph.commit_lock import COMMIT_LEASE, LOCK_GRAPH, HeldLock, NullCommitLock, SharedCommitLock
from govgraph.derived import Derivation
from govgraph.errors import BadInput, UnknownSource
from govgraph.facts import FACTS_GRAPH, Merge, is_kept, rebuild
from govgraph.name_claims import sweep_unclaimed
from govgraph.ontology.ns import GOV, PREFIXES, sparql_prologue
from govgraph.patch import Patch, commit_patches
from govgraph.removal import reclaim, remove_local, remove_shared
from govgraph.store_graphs import (AUDIT_GRAPH, DCT, DIFF_PREFIX, FORMATS, INTERNAL_PREFIX, META_GRAPH,
                                   QUAD_FORMATS, RDF_TYPE, SOURCE_PREFIX, STAGING_MAX_AGE, STAGING_PREFIX,
                                   STORE_NODE, SourceInfo, already_loaded, diff_graph, source_graph_iri,
                                   staging_age, staging_graph, whoami)
from govgraph.terms import bind, to_ox, to_rdflib
from govgraph.transaction import Transaction

DEFAULT_STORE_ENV = "GOVGRAPH_STORE"
#: Seconds a remote store's revision is trusted before it is read again from the server.
REMOTE_REVISION_TTL = 0.5
#: A commit every this many compacts the embedded store in the background (see ``Store._count_commit``).
COMPACT_EVERY_COMMITS = 250

__all__ = ["AUDIT_GRAPH", "COMMIT_LEASE", "DIFF_PREFIX", "FORMATS", "INTERNAL_PREFIX", "LOCK_GRAPH", "META_GRAPH",
           "QUAD_FORMATS", "SOURCE_PREFIX", "STAGING_PREFIX", "ChangeRecord", "Patch", "SourceInfo", "Store",
           "Transaction", "commit_patches", "default_store_url", "diff_graph", "open_store", "source_graph_iri",
           "staging_age", "staging_graph", "whoami"]


def default_store_url() -> str:
    """The store URL from GOVGRAPH_STORE, else an embedded store in ./govgraph-data."""
    return os.environ.get(DEFAULT_STORE_ENV) or "oxigraph:govgraph-data"


class Store:
    """A govgraph store over an Oxigraph dataset (embedded on disk or in memory) or a SPARQL server."""

    def __init__(self, url: str, backend: Backend):
        self.url = url
        self._b = backend
        self._cached_at: int | None = None
        self._revision_read = 0.0
        self._write_lock = threading.RLock()
        self._lock = NullCommitLock() if backend.exclusive else SharedCommitLock(backend)
        self._reserved_revisions = 0  # open patches staging in the diff graph of a future revision
        self._sizes: dict[str, int] = {}  # source graph -> triple count, as this process last wrote it
        self._commits, self._compact_after = 0, 0.0
        #: compact in the background every COMPACT_EVERY_COMMITS commits (a redacted copy kept on disk does not: it
        #: takes a small patch per commit of its store, and its compactions beside the store's held pages back)
        self.compacting = True
        self._compaction: threading.Thread | None = None
        self._graphs: list[ox.NamedNode] | None = None
        self._revision: int | None = None
        self._history_cache: tuple[int, list[ChangeRecord]] | None = None
        self._sources_cache: tuple[int, list[SourceInfo]] | None = None
        #: set on derived in-memory estates (as-of views, redacted copies): what they are a copy of
        self.derivation: Derivation | None = None
        self.memo: Any = None  # derived views kept for this store, following each commit (govgraph.live)
        #: where the RDF merge of the live sources is kept (``govgraph.facts``): the default graph of reads
        self.merge = Merge(None if backend.capabilities.own_default_graph else FACTS_GRAPH)
        #: set while a large write changes the merge ahead of its commit (``merge_changing``): reads then
        #: take the registered source graphs as their default graph, so nothing is seen before its commit
        self._merge_changing = threading.Event()
        self._sweep_staging()
        self._keep_merge()

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None) -> "Store":
        """Open the store named by ``url``: its scheme picks the backend (``backends.open_backend``)."""
        url = url or default_store_url()
        return cls(url, open_backend(url))

    def clear(self) -> None:
        """Empty the store completely: sources, history and validation reports."""
        with self._write_lock:
            self._b.clear()
            self.forget()

    def close(self) -> None:
        """Flush to disk and release the store."""
        t = self._compaction
        if t is not None:
            t.join()
        self._b.close()

    def _count_commit(self) -> None:
        """Compact the embedded store in the background every COMPACT_EVERY_COMMITS commits.

        Small commits (pipeline events) rewrite the same registry entries and leave deleted
        versions that every later read and write steps over until RocksDB compacts them:
        measured, a commit took 2.6 ms after 1,000 events and 7 ms after 10,000; with a
        compaction every 1,000 events it stayed at 2.6-3 ms. At most one runs at a time, and
        never more than a tenth of the time (a big store compacts for longer).
        """
        if not self._b.capabilities.on_disk or not self.compacting:
            return
        self._commits += 1
        now = time.monotonic()
        if self._commits < COMPACT_EVERY_COMMITS or now < self._compact_after \
                or (self._compaction is not None and self._compaction.is_alive()):
            return
        self._commits = 0

        def run() -> None:
            t0 = time.monotonic()
            try:
                self._b.compact()
            except Exception:  # noqa: BLE001 - an optimisation only; the next attempt may work
                pass
            self._compact_after = time.monotonic() + 10 * (time.monotonic() - t0)
        self._compaction = threading.Thread(target=run, name="govgraph-compaction", daemon=True)
        self._compaction.start()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def backend(self) -> Backend:
        """The backend holding the quads (embedded Oxigraph or a SPARQL server)."""
        return self._b

    @property
    def remote(self) -> bool:
        """Whether the quads live on a SPARQL server shared with other processes."""
        return not self._b.exclusive

    @property
    def write_lock(self) -> threading.RLock:
        """This process's lock on writing the store: held by a transaction or patch from start to finish."""
        return self._write_lock

    def commit_lock(self) -> contextlib.AbstractContextManager[HeldLock]:
        """Hold the store-wide commit lock while a change is prepared and sent (``commit_lock``):
        this process's write lock is enough for the embedded store; writers sharing a server claim it."""
        return self._lock.hold()

    def quads(self, s: Any = None, p: Any = None, o: Any = None, g: Any = None) -> Iterator[ox.Quad]:
        """Raw quads (pyoxigraph terms) in any graph, internal ones included (g None: all named graphs)."""
        return self._b.quads(s, p, o, g)

    def contains(self, s: Any, p: Any, o: Any, g: ox.NamedNode | None) -> bool:
        """Whether the triple is in graph ``g`` (None: in any named graph); one lookup, no iterator,
        on the embedded store."""
        if g is None:
            return any(True for _ in self._b.quads(s, p, o, None))
        return self._b.contains(ox.Quad(s, p, o, g))

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph held, internal ones included."""
        return self._b.named_graphs()

    def add_quads(self, quads: Iterable[ox.Quad], *, bulk: bool = False) -> None:
        """Insert raw quads (for building derived stores such as as-of views; ``bulk``: a store being made, by the
        bulk loader where there is one, not atomically)."""
        self._b.extend(quads, bulk=bulk)

    # -- registry ----------------------------------------------------------------
    def _sweep_staging(self) -> None:
        """Drop graphs left by an import that never committed (crash, kill -9)."""
        live = {g.value for g in self._registered_graphs()}
        kept = kept_graphs(self._b)  # hidden graphs holding what a removal took away (history)
        if self.remote:
            # other workers may be mid-import on a shared server: drop only staging graphs older
            # than STAGING_MAX_AGE (a live import refuses to commit long before that, see
            # Transaction.commit); names of the older kind (no time) are left alone
            now = time.time()
            left = []
            for g in self._b.named_graphs():
                age = staging_age(g.value, now)
                if age is not None and age > STAGING_MAX_AGE and g.value not in kept:
                    self._b.drop_graph(g)
                elif g.value.startswith(SOURCE_PREFIX) and g.value not in live and g.value not in kept:
                    left.append(g)
            if left:
                sweep_unclaimed(self, left)
            return
        for g in self._b.named_graphs():
            v = g.value
            if (v.startswith(STAGING_PREFIX) or v.startswith(SOURCE_PREFIX) and v not in live) and v not in kept:
                self._b.drop_graph(g)
            elif v.startswith(DIFF_PREFIX) and int(v[len(DIFF_PREFIX):].split(":")[0]) > self.revision:
                self._b.drop_graph(g)  # written by a change that never committed

    def _keep_merge(self) -> None:
        """Build the merge (``govgraph.facts``) if the registry does not say it is complete: a new
        store, one written before it was kept, or one whose bulk write of it was interrupted."""
        if is_kept(self._b, self.merge) or not self._registered_graphs():
            return  # (a store without sources: its first commit says so)
        with self._write_lock, self.commit_lock() as lock:
            self.forget()
            if not is_kept(self._b, self.merge):
                rebuild(self._b, self.merge, self.graphs(), lock.ops())
                lock.released()
            self.forget()

    @contextlib.contextmanager
    def merge_changing(self) -> Iterator[None]:
        """Held by a writer changing the merge before its commit (a large new source's triples by
        the bulk loader, a large removal's withdrawn in batches): meanwhile reads over every live
        source use the registered source graphs (a triple stated twice counts twice, as before the
        merge was kept), never a merge that is ahead of the registry."""
        self._merge_changing.set()
        try:
            yield
        finally:
            self._merge_changing.clear()

    @contextlib.contextmanager
    def merge_ahead(self, bulk: bool) -> Iterator[None]:
        """Around a commit whose merge is changed ahead of its update when ``bulk`` (``Merge.in_bulk``):
        meanwhile the registry says the merge is incomplete (a crash leaves it to be rebuilt on open)
        and reads use the source graphs (``merge_changing``); if the commit fails, the merge is built
        afresh from the sources that stay. Caller holds the write and commit locks."""
        if not bulk:
            yield
            return
        with self.merge_changing():
            self._b.update(self.merge.incomplete())
            try:
                yield
            except BaseException:
                self.forget()
                with contextlib.suppress(Exception):
                    rebuild(self._b, self.merge, self.graphs())
                raise

    def default_graph_names(self) -> tuple[str, ...]:
        """The default graph of a read over every live source, as a query job names it: the graph
        keeping their RDF merge, each triple once ("": the backend's own default graph); while a
        writer changes the merge ahead of its commit, the registered source graphs."""
        if self._merge_changing.is_set():
            return tuple(g.value for g in self.graphs())
        return ("" if self.merge.graph is None else self.merge.graph.value,)

    def _registered_graphs(self) -> list[ox.NamedNode]:
        return [q.subject for q in self._b.quads(None, RDF_TYPE, ox.NamedNode(str(GOV.Source)), META_GRAPH)
                if isinstance(q.subject, ox.NamedNode)]

    def graphs(self) -> list[ox.NamedNode]:
        """The live source graphs: the default graph of every read."""
        rev = self.revision
        if self._graphs is None or self._cached_at != rev:
            self._graphs = sorted(self._registered_graphs(), key=lambda g: g.value)
            self._cached_at = rev
        return list(self._graphs)

    @property
    def revision(self) -> int:
        """A counter increased by every committed change (for caches).

        On a shared server commits take numbers one after another under the commit lock
        (``commit_lock``), so no two changes share a revision.

        Cached in this process for the embedded store (only this process writes it). For
        a shared remote store it is re-read from the server at most every
        ``REMOTE_REVISION_TTL`` seconds, so a change made by another worker is seen within
        that time (this process's own writes are seen at once).
        """
        now = time.monotonic()
        if self._revision is None or (self.remote and now - self._revision_read > REMOTE_REVISION_TTL):
            self._revision = self._read_revision()
            self._revision_read = now
        return self._revision

    def _read_revision(self) -> int:
        """The revision as held by the backend now (no cache)."""
        vals = [int(q.object.value) for q in self._b.quads(STORE_NODE, ox.NamedNode(str(GOV.revision)), None, META_GRAPH)]
        return max(vals, default=0)

    def sources(self) -> list[SourceInfo]:
        """Every loaded source with its triple count and load time (read once per store revision: the
        registry changes only in a commit, which makes a new one)."""
        rev = self.revision
        cached = self._sources_cache
        if cached is not None and cached[0] == rev:
            return list(cached[1])
        out = self._read_sources()
        self._sources_cache = (rev, out)
        return list(out)

    def _read_sources(self) -> list[SourceInfo]:
        out = []
        graphs = self.graphs()
        metas: dict[str, dict[str, Any]] = {g.value: {} for g in graphs}
        for i in range(0, len(graphs), 500):  # 500 sources' records a query (a few thousand rows: under row caps)
            for r in self._b.query(f"SELECT ?g ?p ?o WHERE {{ GRAPH <{META_GRAPH.value}> {{ VALUES ?g {{ "
                                   f"{' '.join(map(str, graphs[i:i + 500]))} }} ?g ?p ?o }} }}", None, None):
                metas[r["g"].value][r["p"].value] = r["o"]
        for g in graphs:
            meta = metas[g.value]
            at = meta.get(str(GOV["loadedAt"])) or meta.get(DCT + "modified")
            out.append(SourceInfo(
                name=meta[str(GOV.sourceName)].value if str(GOV.sourceName) in meta else g.value,
                graph=g.value,
                triples=int(meta[str(GOV.tripleCount)].value) if str(GOV.tripleCount) in meta else 0,
                loaded_at=dt.datetime.fromisoformat(at.value) if at is not None else None,
                loaded_from=meta[str(GOV.loadedFrom)].value if str(GOV.loadedFrom) in meta else "",
            ))
        return sorted(out, key=lambda s: s.name)

    def source(self, name: str) -> SourceInfo:
        """One source by name; UnknownSource if it is not loaded."""
        for s in self.sources():
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources()) or "none loaded"
        raise UnknownSource(f"no source named {name!r} (sources: {known})")

    def has_source(self, name: str) -> bool:
        """Whether a source called ``name`` is loaded."""
        return ox.NamedNode(source_graph_iri(name)) in self.graphs()

    def triple_count(self) -> int:
        """Triples across all live sources (as loaded; a triple in two sources counts twice)."""
        return sum(s.triples for s in self.sources())

    # -- reading -----------------------------------------------------------------
    def query(self, sparql: str, *, graphs: Iterable[ox.NamedNode] | None = None,
              prefixes: bool = True, strings: bool = False) -> Any:
        """Run SPARQL natively in Oxigraph over the live sources (or ``graphs``).

        The default graph is the RDF merge of the live sources, each triple once (``govgraph.facts``),
        or the union of the chosen ``graphs``; GRAPH clauses see the source graphs by name.
        Returns pyoxigraph's result (solutions, triples or bool); ``strings``: a SELECT's rows as
        tuples of strings (``Backend.strings``: for bulk reads, the fastest a server answers).
        """
        named = list(graphs) if graphs is not None else self.graphs()
        default = named if graphs is not None or self._merge_changing.is_set() else [self.merge.term]
        text = (sparql_prologue() + sparql) if prefixes else sparql
        try:
            if strings:
                return self._b.strings(text, default, named)
            return self._b.query(text, default, named)
        except SyntaxError as e:
            raise BadInput(f"SPARQL syntax error: {e}") from None

    def select(self, sparql: str, *, graphs: Iterable[ox.NamedNode] | None = None,
               bindings: dict[str, Node] | None = None) -> list[dict[str, Node]]:
        """A SELECT query as a list of rows mapping variable names to rdflib terms."""
        res = self.query(bind(sparql, bindings), graphs=graphs)
        names = [v.value for v in res.variables]
        return [{n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in res]

    def ask(self, sparql: str, *, graphs: Iterable[ox.NamedNode] | None = None,
            bindings: dict[str, Node] | None = None) -> bool:
        """An ASK query as a bool."""
        return bool(self.query(bind(sparql, bindings), graphs=graphs))

    def construct(self, sparql: str, *, graphs: Iterable[ox.NamedNode] | None = None,
                  bindings: dict[str, Node] | None = None) -> rdflib.Graph:
        """A CONSTRUCT/DESCRIBE query as an rdflib Graph."""
        g = rdflib.Graph()
        for t in self.query(bind(sparql, bindings), graphs=graphs):
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def triples(self, s: Node | None = None, p: Node | None = None, o: Node | None = None,
                graphs: Iterable[ox.NamedNode] | None = None) -> Iterator[tuple[Node, Node, Node]]:
        """Triples matching a pattern across the live sources (duplicates across sources removed)."""
        seen: set = set()
        for g in (list(graphs) if graphs is not None else self.graphs()):
            for q in self._b.quads(to_ox(s) if s is not None else None, to_ox(p) if p is not None else None,
                                   to_ox(o) if o is not None else None, g):
                key = (q.subject, q.predicate, q.object)
                if key not in seen:
                    seen.add(key)
                    yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)

    def graph_of(self, *, source: str | None = None, graphs: Iterable[ox.NamedNode] | None = None) -> rdflib.Graph:
        """A copy of one source (or of the union of ``graphs``/all sources) as an rdflib Graph."""
        chosen = [ox.NamedNode(self.source(source).graph)] if source else (list(graphs) if graphs is not None else self.graphs())
        g = rdflib.Graph()
        for t in self.triples(graphs=chosen):
            g.add(t)
        return g

    def dump(self, out: Any, fmt: str = "turtle", *, source: str | None = None) -> int:
        """Serialise one source or the whole store to a binary file object; returns triples written.

        Quad formats (nquads, trig) keep each source in its own named graph; triple
        formats write the union.
        """
        if fmt not in FORMATS:
            raise BadInput(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        graphs = [ox.NamedNode(self.source(source).graph)] if source else self.graphs()
        if fmt in QUAD_FORMATS:
            quads = [q for g in graphs for q in self._b.quads(None, None, None, g)]
        else:
            seen = {}
            for g in graphs:
                for q in self._b.quads(None, None, None, g):
                    seen.setdefault((q.subject, q.predicate, q.object), None)
            quads = [ox.Triple(*k) for k in seen]
        prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
        kw = {"prefixes": prefixes} if fmt in ("turtle", "trig", "rdfxml") else {}
        ox.serialize(quads, out, FORMATS[fmt], **kw)
        return len(quads)

    # -- writing -----------------------------------------------------------------
    def begin(self, name: str, *, replace: bool = False, who: str | None = None,
              loaded_from: str = "") -> Transaction:
        """Start writing the source ``name``; nothing is visible until ``commit``.

        A source that already exists can only be written with ``replace=True``.
        """
        iri = source_graph_iri(name)
        exists = ox.NamedNode(iri) in self.graphs()
        if exists and not replace:
            raise BadInput(already_loaded(name))
        return Transaction(self, name, iri, exists, who or whoami(), loaded_from, may_replace=replace)

    def patch(self, name: str, *, who: str | None = None, loaded_from: str = "") -> Patch:
        """Start a small change to the source ``name`` (created if absent): triples added and removed.

        Unlike ``begin(replace=True)``, which rewrites a whole source, a patch costs in
        proportion to the change, for writers that send many small updates (pipeline
        run events). Nothing is visible until ``commit``.
        """
        return Patch(self, name, source_graph_iri(name), who or whoami(), loaded_from)

    def remove_source(self, name: str, *, who: str | None = None) -> ChangeRecord:
        """Withdraw a source as a unit, recording the change in the audit graph (see ``removal``)."""
        self.source(name)
        with self._write_lock:
            return (remove_shared if self.remote else remove_local)(self, name, who or whoami())

    def reclaim(self, g: ox.NamedNode) -> None:
        """Empty the unregistered graph ``g`` for a new source of its name (``removal.reclaim``)."""
        reclaim(self, g)

    # -- state kept for writers ----------------------------------------------------
    def new_record(self, source: str, action: str, who: str, added: int, removed: int,
                   forced: bool, note: str, revision: int | None = None) -> ChangeRecord:
        """A change record for the next revision (or ``revision``)."""
        rev = self.revision + 1 if revision is None else revision
        return new_record(rev, source, action, who, added, removed, forced, note)

    def reserve_revision(self) -> int:
        """A revision a patch may commit as, for staging straight into its difference graph
        (one per open patch: the next revision, the one after, ...); see ``release_revision``."""
        self._reserved_revisions += 1
        return self.revision + self._reserved_revisions

    def release_revision(self) -> None:
        """A reservation made by ``reserve_revision`` is over (committed or given up)."""
        self._reserved_revisions -= 1

    @property
    def reserved_revisions(self) -> int:
        """Revisions reserved by open patches."""
        return self._reserved_revisions

    def forget(self) -> None:
        """Forget cached registry state (after a failed or unknown change)."""
        self._graphs = None
        self._revision = None
        self._history_cache = None
        self._sources_cache = None
        self._sizes.clear()

    def forget_history(self) -> None:
        """Forget the cached change history (a change record was rewritten)."""
        self._history_cache = None

    def committed(self, revision: int, graph: ox.NamedNode, present: bool, *, size: int | None = None) -> None:
        """Update cached registry state after this process committed a change to ``graph`` (``size``:
        its triple count now, if known). Saves re-reading the registry after every commit, which
        matters for writers sending many small changes.
        """
        self._revision, self._revision_read = revision, time.monotonic()
        self._sizes.pop(graph.value, None)
        if size is not None:
            self._sizes[graph.value] = size
        self._count_commit()
        if self._graphs is not None and self._cached_at == revision - 1:
            graphs = set(self._graphs)
            if present:
                graphs.add(graph)
            else:
                graphs.discard(graph)
            self._graphs = sorted(graphs, key=lambda g: g.value)
            self._cached_at = revision
        else:
            self._graphs = None
        if self.memo is not None:
            self.memo.committed(self)  # its derived views follow the commit (govgraph.live)

    def source_size(self, graph: ox.NamedNode) -> int:
        """The registered triple count of one source graph (0 if it is not registered).

        Remembered from this process's own patches (the registry entry is rewritten by every
        commit, and reading it back passes over the deleted versions until a compaction).
        """
        if not self.remote:
            hit = self._sizes.get(graph.value)
            if hit is not None:
                return hit
        for q in self._b.quads(graph, ox.NamedNode(str(GOV.tripleCount)), None, META_GRAPH):
            return int(q.object.value)
        return 0

    def history(self, source: str | None = None) -> list[ChangeRecord]:
        """Change records from the audit graph, oldest first (optionally for one source).

        Read once per store revision (every write adds a record and a revision): only the records
        after those read before when they run from revision 1 without a gap (a commit made as a
        reserved revision may come after a later one) and no new load can have moved a removal's
        kept triples (``removal.reclaim`` rewrites that record); else all again."""
        rev = self.revision
        cached = self._history_cache
        if cached is None or cached[0] != rev:
            cached = (rev, self._history_to(rev, cached))
            self._history_cache = cached
        return [r for r in cached[1] if source is None or r.source == source]

    def _history_to(self, rev: int, cached: tuple[int, list[ChangeRecord]] | None) -> list[ChangeRecord]:
        if cached is not None and cached[1] and cached[0] < rev and len(cached[1]) == cached[0] == cached[1][-1].revision:
            new = read_history(self._b, cached[0], rev)
            loads = {source_graph_iri(r.source) for r in new if r.action == "load"}
            if len(new) == rev - cached[0] and not (loads and any(r.kept in loads for r in cached[1])):
                return cached[1] + new
        return read_history(self._b)


def open_store(url: str | None = None) -> Store:
    """Open a store from a URL (``oxigraph:PATH``, ``memory:``, ``sparql+http://…``); default from GOVGRAPH_STORE."""
    return Store.open(url)
