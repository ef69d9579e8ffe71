"""The quad store: one named graph per source, transactional source writes, native SPARQL.

Backends are chosen by a URL-like setting (see ``open_store``):

* ``oxigraph:PATH`` -- embedded, persistent Oxigraph (RocksDB) on disk; the default.
* ``memory:``       -- in-memory Oxigraph, for tests and one-off runs.
* ``sparql+http://HOST:PORT/query?update=/update&store=/store`` -- any SPARQL 1.1
  server (see ``govgraph.backends.remote``).

Every import is loaded into a graph that readers cannot see yet; it becomes visible
only when its entry is written to the registry graph in one atomic update. Readers
always query with the registered source graphs as the default graph, so a half-loaded
or rejected import is never seen, and leftovers of a crash are swept on open.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
import logging
import os
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from govgraph import scratch
from govgraph.backends import Backend
from govgraph.backends.embedded import EmbeddedBackend
from govgraph.derived import Derivation
from govgraph.errors import BadInput, ConflictError, StoreError, UnknownSource
from govgraph.io.xml_guard import guard_xml_entities, head_of
from govgraph.ontology.ns import GG, GOV, sparql_prologue
from govgraph.terms import bind, instant, to_ox, to_rdflib
from govgraph.terms import literal as _lit

DEFAULT_STORE_ENV = "GOVGRAPH_STORE"
#: Seconds a remote store's revision is trusted before it is read again from the server.
REMOTE_REVISION_TTL = 0.5
META_GRAPH = ox.NamedNode(str(GG["meta"]))
AUDIT_GRAPH = ox.NamedNode(str(GG["audit"]))
STORE_NODE = ox.NamedNode(str(GG["store"]))
SOURCE_PREFIX = str(GG["source:"])
STAGING_PREFIX = str(GG["staging:"])
#: A commit adding at least this many triples compacts the embedded store afterwards: queries
#: on a freshly bulk-loaded estate were 20-30% slower than on a compacted one (docs/benchmarks.md).
COMPACT_AFTER_TRIPLES = 100_000
#: ... and every this many commits, in the background (see ``Store._count_commit``).
COMPACT_EVERY_COMMITS = 250
DIFF_PREFIX = str(GG["diff:"])
INTERNAL_PREFIX = str(GG)
#: Where writers sharing a remote store claim the commit lock (see ``Store._commit_lock``).
LOCK_GRAPH = ox.NamedNode(str(GG["locks"]))
_LOCK_NODE = ox.NamedNode(str(GG["lock:commit"]))
_CLAIM = ox.NamedNode(str(GG["claim"]))
_CLAIMED_AT = ox.NamedNode(str(GG["claimedAt"]))
_PENDING = ox.NamedNode(str(GG["pendingLoad"]))
#: Where a change record names the graph keeping what it removed (``ChangeRecord.kept``).
_KEPT_IN = ox.NamedNode(str(GG["removedTriplesIn"]))
#: Seconds after which a commit-lock claim is taken for a crashed writer's and ignored
#: (longer than any one request may take, 60 s).
COMMIT_LEASE = 120.0
#: A writer loading a new source on a shared server renews its claim on the name this often
#: (seconds) ...
CLAIM_RENEW = 5.0
#: ... and a claim not renewed for this many seconds (server clock) was left by a writer that
#: stopped: the next writer of that name drops what it loaded and takes the name over.
CLAIM_LAPSE = 30.0
#: Seconds a writer waits for the commit lock before giving up with ConflictError.
COMMIT_LOCK_WAIT = 180.0
#: Seconds after which a hidden staging graph on a shared server counts as left by a crashed
#: import and is dropped by the next process that opens the store (GOVGRAPH_STAGING_MAX_AGE).
STAGING_MAX_AGE = float(os.environ.get("GOVGRAPH_STAGING_MAX_AGE") or 6 * 3600)
_STAGING_NAME = re.compile(r"(\d{10,})-[0-9a-f]{32}")

log = logging.getLogger(__name__)

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_PROV = "http://www.w3.org/ns/prov#"
_DCT = "http://purl.org/dc/terms/"

#: Format names accepted by --format, with their pyoxigraph formats.
FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
QUAD_FORMATS = {"nquads", "trig"}


def default_store_url() -> str:
    """The store URL from GOVGRAPH_STORE, else an embedded store in ./govgraph-data."""
    return os.environ.get(DEFAULT_STORE_ENV) or "oxigraph:govgraph-data"


def source_graph_iri(name: str) -> str:
    """The named-graph IRI a source called ``name`` is stored under."""
    return SOURCE_PREFIX + _safe_name(name)


def diff_graph(revision: int, kind: str) -> str:
    """The graph holding the triples a change added or removed (kind: added | removed)."""
    return f"{DIFF_PREFIX}{revision}:{kind}"


def staging_graph() -> ox.NamedNode:
    """A new hidden graph for one write; its name carries its creation time (for the sweeper)."""
    return ox.NamedNode(f"{STAGING_PREFIX}{int(time.time())}-{uuid.uuid4().hex}")


def staging_age(graph: str, now: float | None = None) -> float | None:
    """Seconds since a staging graph named by ``staging_graph`` was made (None: an older kind of name)."""
    m = _STAGING_NAME.fullmatch(graph[len(STAGING_PREFIX):]) if graph.startswith(STAGING_PREFIX) else None
    return None if m is None else (time.time() if now is None else now) - int(m.group(1))


def _claim_op(subject: str, predicate: str, claim: str) -> str:
    """The update operation recording ``subject predicate claim`` in the lock graph, stamped with the
    server's time (the commit lock, and a new source's name, are claimed this way)."""
    lg = LOCK_GRAPH.value
    return (f"INSERT {{ GRAPH <{lg}> {{ <{subject}> <{predicate}> <{claim}> . <{claim}> <{_CLAIMED_AT.value}> ?now }} }} "
            f"WHERE {{ BIND(NOW() AS ?now) }}")


def _unclaim_op(subject: str, predicate: str, claim: str) -> str:
    """The update operations withdrawing a claim made by ``_claim_op``."""
    lg = LOCK_GRAPH.value
    return (f"DELETE DATA {{ GRAPH <{lg}> {{ <{subject}> <{predicate}> <{claim}> }} }};"
            f"DELETE WHERE {{ GRAPH <{lg}> {{ <{claim}> ?p ?o }} }}")


def _safe_name(name: str) -> str:
    name = name.strip()
    if not name or any(c in name for c in '<>"{}|^`\\ \t\r\n'):
        raise BadInput(f"invalid source name {name!r}: use letters, digits, '-', '_', '.', '/' or ':'")
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ----------------------------------------------------------------------------- records

@dataclass(frozen=True)
class SourceInfo:
    """A loaded source: its name, graph IRI, size and when and where it was loaded from."""
    name: str
    graph: str
    triples: int
    loaded_at: dt.datetime | None
    loaded_from: str


@dataclass(frozen=True)
class ChangeRecord:
    """What one committed write did, as kept in the audit graph."""
    iri: str
    revision: int
    source: str
    action: str  # load | replace | remove
    who: str
    at: dt.datetime
    added: int
    removed: int
    forced: bool = False
    note: str = ""
    #: the graph keeping the triples this change removed, if not ``diff_graph(revision, "removed")``
    #: (a removal's: see ``Store.remove_source``)
    kept: str = ""

    @property
    def removed_graphs(self) -> tuple[str, ...]:
        """The graphs holding the triples this change removed, to be read in this order and joined:
        a removal's kept triples may be moving from the first to the second (``Store._reclaim``)."""
        diff = diff_graph(self.revision, "removed")
        return (self.kept, diff) if self.kept else (diff,)


# ----------------------------------------------------------------------------- store

class Store:
    """A govgraph store over an Oxigraph dataset (embedded on disk or in memory)."""

    def __init__(self, url: str, backend: Backend):
        self.url = url
        self._b = backend
        self._cached_at: int | None = None
        self._revision_read, self._revision = 0.0, None  # type: float, int | None
        self._write_lock = threading.RLock()
        self._reserved_revisions = 0  # open patches staging in the diff graph of a future revision
        self._sizes: dict[str, int] = {}  # source graph -> triple count, as this process last wrote it
        self._commits, self._compact_after = 0, 0.0
        self._compaction: threading.Thread | None = None
        self._graphs: list[ox.NamedNode] | None = None
        #: set on derived in-memory estates (as-of views, redacted copies): what they are a copy of
        self.derivation: Derivation | None = None
        self.memo: Any = None  # derived views kept for this store, following each commit (govgraph.live)
        self._sweep_staging()

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None) -> "Store":
        """Open the store named by ``url`` (``oxigraph:PATH`` or ``memory:``)."""
        url = url or default_store_url()
        if url == "memory:" or url == "memory":
            return cls(url, EmbeddedBackend(url, None))
        if url.startswith("oxigraph:"):
            path = Path(url[len("oxigraph:"):] or "govgraph-data").expanduser()
            scratch.sweep(path.resolve().parent)  # query snapshots and copies a stopped process left beside it
            return cls(url, EmbeddedBackend(url, path))
        if url.startswith(("sparql+http://", "sparql+https://")):
            from govgraph.backends.remote import RemoteBackend
            return cls(url, RemoteBackend(url))
        raise StoreError(f"unknown store URL {url!r}: use oxigraph:PATH, memory: or sparql+http://HOST/query")

    def clear(self) -> None:
        """Empty the store completely: sources, history and validation reports."""
        with self._write_lock:
            self._b.clear()
            self._changed()

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
        if not hasattr(self._b, "compact") or getattr(self._b, "path", None) is None:
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

    def quads(self, s: Any = None, p: Any = None, o: Any = None, g: Any = None) -> Iterator[ox.Quad]:
        """Raw quads (pyoxigraph terms) in any graph, internal ones included (g None: all named graphs)."""
        return self._b.quads(s, p, o, g)

    def contains(self, s: Any, p: Any, o: Any, g: ox.NamedNode) -> bool:
        """Whether the triple is in graph ``g`` (one lookup, no iterator on the embedded store)."""
        ox_store = getattr(self._b, "ox", None)
        if ox_store is not None:
            return ox.Quad(s, p, o, g) in ox_store
        return any(True for _ in self._b.quads(s, p, o, g))

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph held, internal ones included."""
        return self._b.named_graphs()

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Insert raw quads (for building derived stores such as as-of views)."""
        self._b.extend(quads)

    # -- registry ----------------------------------------------------------------
    def _sweep_staging(self) -> None:
        """Drop graphs left by an import that never committed (crash, kill -9)."""
        live = {g.value for g in self._registered_graphs()}
        kept = self._kept_graphs()  # hidden graphs holding what a removal took away (history)
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
                self._sweep_unclaimed(left)
            return
        for g in self._b.named_graphs():
            v = g.value
            if (v.startswith(STAGING_PREFIX) or v.startswith(SOURCE_PREFIX) and v not in live) and v not in kept:
                self._b.drop_graph(g)
            elif v.startswith(DIFF_PREFIX) and int(v[len(DIFF_PREFIX):].split(":")[0]) > self.revision:
                self._b.drop_graph(g)  # written by a change that never committed

    def _sweep_unclaimed(self, graphs: list[ox.NamedNode]) -> None:
        """Drop unregistered source graphs on a shared server that no live claim holds: a load of a
        new source that stopped before committing (see ``_claim_new_source``) left them."""
        with self._commit_lock() as release:
            self._changed()
            live = set(self.graphs())
            ops = []
            for g in graphs:
                claims, lapsed = self._load_claims(g)
                if g not in live and not claims:
                    ops += [_NameClaim.withdraw(g, c) for c in lapsed] + [f"DROP SILENT GRAPH <{g.value}>"]
            if ops:
                self._b.update(";\n".join(ops + ([release] if release else [])))
                self._lock_released = True

    def _kept_graphs(self) -> set[str]:
        """Graphs named by change records as keeping what they removed (``ChangeRecord.kept``)."""
        return {q.object.value for q in self._b.quads(None, _KEPT_IN, None, AUDIT_GRAPH)
                if isinstance(q.object, ox.NamedNode)}

    def _registered_graphs(self) -> list[ox.NamedNode]:
        return [q.subject for q in self._b.quads(None, _RDF_TYPE, ox.NamedNode(str(GOV.Source)), META_GRAPH)
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
        (``_commit_lock``), so no two changes share a revision.

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

    @contextlib.contextmanager
    def _commit_lock(self) -> Iterator[str | None]:
        """Hold the store-wide commit lock while a change is prepared and sent; yields an update
        operation releasing it (to end the commit's own update with) or None.

        Embedded: this process's write lock is enough. Remote: SPARQL servers need not isolate
        concurrent updates (Oxigraph server applies two read-modify-write updates on the same
        snapshot, so both could pass a guard or take the same revision), so writers claim the
        lock by inserting a claim and then reading every claim: a writer holds it only if its
        claim is the only live one; otherwise it withdraws its claim and tries again after a
        random pause. A claim older than COMMIT_LEASE (server clock) is a crashed writer's.
        """
        if self._b.exclusive:
            yield None
            return
        claim = self._acquire_commit_lock()
        held = time.monotonic()
        release = _unclaim_op(_LOCK_NODE.value, _CLAIM.value, claim)
        self._lock_held_since, self._lock_released = held, False
        try:
            yield release
        finally:
            self._lock_held_since = None
            if not self._lock_released:  # a commit that went through released it in its own update
                try:
                    self._b.update(release)
                except StoreError:
                    pass  # the server is away: the claim expires after COMMIT_LEASE

    def _check_lease(self) -> None:
        """Refuse to send a commit if preparing it took so long that the lock claim may have expired."""
        since = getattr(self, "_lock_held_since", None)
        if since is not None and time.monotonic() - since > COMMIT_LEASE / 2:
            raise ConflictError("preparing the commit took too long to be sure of the commit lock; nothing was changed")

    def _claim_new_source(self, target: ox.NamedNode, name: str) -> "_NameClaim | None":
        """On a shared server, claim the name of a source that does not exist yet, so this writer
        can load straight into its unregistered (so invisible) graph: copying a staged graph into
        place on commit costs the server a transaction as large as the source (37 s for 300,000
        triples on Oxigraph server). The claim is renewed while the load runs (``_NameClaim``).

        Another writer's live claim is waited for, up to a little longer than a claim takes to
        lapse: a writer cut off by an outage withdraws its claim when the server returns, and a
        stopped one's lapses. Returns None when the source exists (the write is then a staged
        replacement), or when the other writer is still loading after that wait (this write is
        then staged in a hidden graph, and its commit waits for the other load). A lapsed claim
        is taken over: what its stopped writer loaded is dropped first.
        """
        deadline = time.monotonic() + CLAIM_LAPSE + CLAIM_RENEW
        waited = False
        while True:
            claim = self._try_claim(target, name)
            if claim is not False:
                return claim
            if time.monotonic() > deadline:
                return None
            if not waited:
                waited = True
                log.warning("another writer is loading the new source %r: waiting for it (up to %g s)",
                            name, CLAIM_LAPSE + CLAIM_RENEW)
            time.sleep(0.5)  # outside the commit lock, so the other writer can commit

    def _try_claim(self, target: ox.NamedNode, name: str) -> "_NameClaim | None | bool":
        """One attempt of ``_claim_new_source``: the claim, None (the source exists), or False
        (another writer's live claim holds the name)."""
        with self._commit_lock() as release:
            self._changed()
            if target in self.graphs():
                return None
            live, lapsed = self._load_claims(target)
            if live:
                return False
            claim = str(GG[f"load:{uuid.uuid4().hex}"])
            ops = [_NameClaim.withdraw(target, c) for c in lapsed]
            ops += [f"DROP SILENT GRAPH <{target.value}>",  # whatever a stopped load left there
                    _claim_op(target.value, _PENDING.value, claim)]
            if release:
                ops.append(release)
            self._b.update(";\n".join(ops))
            self._lock_released = True
        return _NameClaim(self, target, claim, name)

    def _load_claims(self, target: ox.NamedNode) -> tuple[list[str], list[str]]:
        """Claims on the new source ``target`` (see ``_claim_new_source``): (live, lapsed)."""
        if self._b.exclusive:
            return [], []
        return self._claims(target.value, _PENDING.value, CLAIM_LAPSE)

    def _claims(self, subject: str, predicate: str, lapse: float) -> tuple[list[str], list[str]]:
        """The claims ``subject predicate ?claim`` in the lock graph: (live, lapsed), a claim lapsing
        ``lapse`` seconds after its last ``claimedAt`` (server clock; one without a time has lapsed).

        The ages are worked out here from the server's NOW(), read in the same query (date arithmetic
        is not in SPARQL 1.1: Virtuoso refuses it); this machine's clock plays no part."""
        rows = self._b.query(
            f"SELECT ?c ?at (NOW() AS ?now) WHERE {{ GRAPH <{LOCK_GRAPH.value}> {{ <{subject}> <{predicate}> ?c "
            f"OPTIONAL {{ ?c <{_CLAIMED_AT.value}> ?at }} }} }}", None, None)
        live, lapsed = [], []
        for r in rows:
            at, now = instant(r["at"]), instant(r["now"])
            fresh = at is not None and now is not None and (now - at).total_seconds() < lapse
            (live if fresh else lapsed).append(r["c"].value)
        return live, lapsed

    def _acquire_commit_lock(self) -> str:
        node, pred = _LOCK_NODE.value, _CLAIM.value
        deadline = time.monotonic() + COMMIT_LOCK_WAIT
        pause = 0.005
        while True:
            claim = str(GG[f"claim:{uuid.uuid4().hex}"])
            self._b.update(_claim_op(node, pred, claim))
            live, stale = self._claims(node, pred, COMMIT_LEASE)
            live, stale = [c for c in live if c != claim], [c for c in stale if c != claim]
            if stale:  # left by writers that crashed holding the lock
                self._b.update(";".join(_unclaim_op(node, pred, c) for c in stale))
            if not live:
                return claim
            self._b.update(_unclaim_op(node, pred, claim))
            if time.monotonic() > deadline:
                raise ConflictError(f"another govgraph process has held the store's commit lock for over "
                                    f"{COMMIT_LOCK_WAIT:g} s; nothing was changed, try again")
            time.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.5)

    def sources(self) -> list[SourceInfo]:
        """Every loaded source with its triple count and load time."""
        out = []
        for g in self.graphs():
            meta = {q.predicate.value: q.object for q in self._b.quads(g, None, None, META_GRAPH)}
            at = meta.get(str(GOV["loadedAt"])) or meta.get(_DCT + "modified")
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
              prefixes: bool = True) -> Any:
        """Run SPARQL natively in Oxigraph over the live sources (or ``graphs``).

        The default graph is the union of the chosen source graphs; GRAPH clauses see
        the same graphs by name. Returns pyoxigraph's result (solutions, triples or bool).
        """
        g = list(graphs) if graphs is not None else self.graphs()
        text = (sparql_prologue() + sparql) if prefixes else sparql
        try:
            return self._b.query(text, g, g)
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
        prefixes = {p: str(ns) for p, ns in __import__("govgraph.ontology.ns", fromlist=["PREFIXES"]).PREFIXES.items()}
        kw = {"prefixes": prefixes} if fmt in ("turtle", "trig", "rdfxml") else {}
        ox.serialize(quads, out, FORMATS[fmt], **kw)
        return len(quads)

    # -- writing -----------------------------------------------------------------
    def begin(self, name: str, *, replace: bool = False, who: str | None = None,
              loaded_from: str = "") -> "Transaction":
        """Start writing the source ``name``; nothing is visible until ``commit``.

        A source that already exists can only be written with ``replace=True``.
        """
        iri = source_graph_iri(name)
        exists = ox.NamedNode(iri) in self.graphs()
        if exists and not replace:
            raise BadInput(_already_loaded(name))
        return Transaction(self, name, iri, exists, who or _whoami(), loaded_from, may_replace=replace)

    def patch(self, name: str, *, who: str | None = None, loaded_from: str = "") -> "Patch":
        """Start a small change to the source ``name`` (created if absent): triples added and removed.

        Unlike ``begin(replace=True)``, which rewrites a whole source, a patch costs in
        proportion to the change, for writers that send many small updates (pipeline
        run events). Nothing is visible until ``commit``.
        """
        return Patch(self, name, source_graph_iri(name), who or _whoami(), loaded_from)

    def remove_source(self, name: str, *, who: str | None = None) -> ChangeRecord:
        """Withdraw a source as a unit, recording the change in the audit graph.

        Readers see the source fully there or fully gone: one small update unregisters it and
        records the change. Its triples are kept for the history (as-of views rebuild the past
        from them), and moving or deleting a million triples in one transaction took minutes
        and gigabytes, so neither happens in that update:

        * embedded: the triples stay where they are, in the now unregistered graph, which the
          change record names as keeping them; they move to the record's own difference graph
          only if a source of that name is loaded again (``_reclaim``), in batches, out of sight.
        * shared server: they are first copied, in batches, to a hidden graph the record names;
          after the update the old graph is emptied in batches (``_remove_shared``).
        """
        self.source(name)
        with self._write_lock:
            if self.remote:
                return self._remove_shared(name, who or _whoami())
            info = self.source(name)
            g = ox.NamedNode(info.graph)
            rec = dataclasses.replace(self._record(info.name, "remove", who or _whoami(), 0, info.triples, False, ""),
                                      kept=g.value)
            try:
                self._b.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{g.value}> ?p ?o }} }};"
                               + self._revision_update(rec))
            except BaseException:
                self._changed()
                raise
            self._committed(rec.revision, g, False)
            return rec

    def _reclaim(self, g: ox.NamedNode) -> None:
        """Empty the unregistered graph ``g`` for a new source of its name (embedded store, write lock
        held). If a removal keeps its triples there (``remove_source``), they are copied to that
        removal's own difference graph first, and the record pointed there in one small update; a
        history reader reads the old graph before the new one, so it finds every triple in one or
        the other at any moment. Both steps go in batches; a stop leaves what the next open sweeps.
        """
        rev = ox.NamedNode(str(GOV.revision))
        for q in list(self._b.quads(None, _KEPT_IN, g, AUDIT_GRAPH)):  # an index lookup: patches come here
            for r in self._b.quads(q.subject, rev, None, AUDIT_GRAPH):
                moved = ox.NamedNode(diff_graph(int(r.object.value), "removed"))
                self._b.drop_graph(moved)  # what an interrupted earlier move left
                self._b.copy_graph(g, moved)
            self._b.update(f"DELETE DATA {{ GRAPH <{AUDIT_GRAPH.value}> {{ {q.subject} <{_KEPT_IN.value}> <{g.value}> }} }}")
            self._history_cache = None
        self._b.drop_graph(g)

    def _remove_shared(self, name: str, who: str) -> ChangeRecord:
        """``remove_source`` on a shared server. The copy is made before the commit lock is taken, so
        other writers go on meanwhile; the commit checks the source did not change since. While the
        graph is emptied the removal holds a claim on the source's name (``_claim_new_source``), so
        no new load of that name starts in it; if this process stops, the claim lapses and the next
        writer of that name, or the next process to open the store, drops what is left."""
        self._changed()
        info = self.source(name)
        g = ox.NamedNode(info.graph)
        entry = self._registry_entry(g)
        kept = staging_graph()  # swept by age until a change record names it
        try:
            self._b.copy_graph(g, kept)
            with self._commit_lock() as release:
                self._changed()  # the registry as it is now, under the lock
                if self._registry_entry(g) != entry:
                    raise ConflictError(f"source {name!r} was changed by another writer while it was being removed; "
                                        f"nothing was changed, try again")
                if _count(self, f"GRAPH <{kept.value}> {{ ?s ?p ?o }}") != _count(self, f"GRAPH <{g.value}> {{ ?s ?p ?o }}"):
                    raise StoreError(f"the server's copy of source {name!r} came out incomplete; nothing was changed")
                rec = dataclasses.replace(self._record(info.name, "remove", who, 0, info.triples, False, ""),
                                          kept=kept.value)
                claim = str(GG[f"load:{uuid.uuid4().hex}"])
                ops = [f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{g.value}> ?p ?o }} }}",
                       self._revision_update(rec), _claim_op(g.value, _PENDING.value, claim)]
                self._check_lease()
                self._b.update(";\n".join(ops + ([release] if release else [])))
                self._lock_released = True
        except BaseException:
            self._changed()
            with contextlib.suppress(Exception):
                if not any(r.kept == kept.value for r in self._read_history()):
                    self._b.empty_graph(kept)
            raise
        self._committed(rec.revision, g, False)
        holder = _NameClaim(self, g, claim, name)
        try:
            self._b.empty_graph(g, guard=holder.check)
        finally:
            holder.stop()
        with contextlib.suppress(StoreError), self._commit_lock() as release:
            if holder.held():  # else it lapsed and another writer took the name (and the graph) over
                self._b.update(f"DROP SILENT GRAPH <{g.value}>;" + holder.withdraw(g, claim)
                               + (f";{release}" if release else ""))
                self._lock_released = True
        return rec

    def _registry_entry(self, g: ox.NamedNode) -> set[tuple[str, str]]:
        """A source's registry entry (every commit to the source rewrites it: loadedAt changes)."""
        return {(q.predicate.value, str(q.object)) for q in self._b.quads(g, None, None, META_GRAPH)}

    def _revision_update(self, rec: ChangeRecord) -> str:
        """SPARQL Update text bumping the revision and appending the change record."""
        m, a = META_GRAPH.value, AUDIT_GRAPH.value
        t = _lit(rec.at)
        note = _lit(rec.note) if rec.note else None
        return (
            f"DELETE WHERE {{ GRAPH <{m}> {{ <{STORE_NODE.value}> <{GOV.revision}> ?r }} }};"
            f"INSERT DATA {{ GRAPH <{m}> {{ <{STORE_NODE.value}> <{GOV.revision}> {_lit(rec.revision)} }}"
            f" GRAPH <{a}> {{ <{rec.iri}> a <{GOV.ChangeRecord}> ;"
            f" <{GOV.sourceGraph}> <{source_graph_iri(rec.source)}> ;"
            f" <{GOV.sourceName}> {_lit(rec.source)} ;"
            f" <{_RDFS_LABEL.value}> {_lit(rec.action)} ;"
            f" <{_PROV}wasAssociatedWith> {_lit(rec.who)} ;"
            f" <{_PROV}endedAtTime> {t} ;"
            f" <{GOV.revision}> {_lit(rec.revision)} ;"
            f" <{GOV.triplesAdded}> {_lit(rec.added)} ;"
            f" <{GOV.triplesRemoved}> {_lit(rec.removed)} ;"
            f" <{GOV.forced}> {_lit(rec.forced)}"
            + (f" ; <{_DCT}description> {note}" if note else "")
            + (f" ; <{_KEPT_IN.value}> <{rec.kept}>" if rec.kept else "")
            + " } }"
        )

    def _record(self, source: str, action: str, who: str, added: int, removed: int,
                forced: bool, note: str, revision: int | None = None) -> ChangeRecord:
        rev = self.revision + 1 if revision is None else revision
        return ChangeRecord(iri=str(GG[f"change:{rev}:{uuid.uuid4().hex[:8]}"]), revision=rev,
                            source=source, action=action, who=who, at=_now(), added=added,
                            removed=removed, forced=forced, note=note)

    def _changed(self) -> None:
        """Forget cached registry state (after a failed or unknown change)."""
        self._graphs = None
        self._revision = None
        self._history_cache = None
        self._sizes.clear()

    def _committed(self, revision: int, graph: ox.NamedNode, present: bool) -> None:
        """Update cached registry state after this process committed a change to ``graph``.

        Saves re-reading the registry after every commit, which matters for writers
        sending many small changes.
        """
        self._revision, self._revision_read = revision, time.monotonic()
        self._sizes.pop(graph.value, None)
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

    def _source_size(self, graph: ox.NamedNode) -> int:
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

        Read once per store revision (every write adds a record and a revision)."""
        rev = self.revision
        cached = getattr(self, "_history_cache", None)
        if cached is None or cached[0] != rev:
            cached = (rev, self._read_history())
            self._history_cache = cached
        return [r for r in cached[1] if source is None or r.source == source]

    def _read_history(self) -> list[ChangeRecord]:
        rows = self._b.query(
            sparql_prologue() + """SELECT ?c ?rev ?src ?act ?who ?at ?add ?rem ?forced ?note ?kept WHERE {
              ?c a gov:ChangeRecord ; gov:revision ?rev ; gov:sourceName ?src ; rdfs:label ?act ;
                 prov:wasAssociatedWith ?who ; prov:endedAtTime ?at ; gov:triplesAdded ?add ;
                 gov:triplesRemoved ?rem ; gov:forced ?forced . OPTIONAL { ?c dcterms:description ?note }
              OPTIONAL { ?c <""" + _KEPT_IN.value + """> ?kept }
            } ORDER BY ?rev""", [AUDIT_GRAPH], None)
        out = []
        for r in rows:
            rec = ChangeRecord(iri=r["c"].value, revision=int(r["rev"].value), source=r["src"].value,
                               action=r["act"].value, who=r["who"].value,
                               at=dt.datetime.fromisoformat(r["at"].value), added=int(r["add"].value),
                               removed=int(r["rem"].value), forced=r["forced"].value in ("true", "1"),
                               note=r["note"].value if r["note"] is not None else "",
                               kept=r["kept"].value if r["kept"] is not None else "")
            out.append(rec)
        return out


class _NameClaim:
    """A writer's claim on the name of a new source on a shared server (``Store._claim_new_source``).

    While it is held, the writer loads straight into the source's graph and every other writer
    of that name stages its own copy instead. A thread renews it every CLAIM_RENEW seconds; a
    claim not renewed for CLAIM_LAPSE seconds (the writer stopped, or lost the server) may be
    taken over by the next writer, so ``check`` refuses to send more triples once this writer
    cannot be sure it still holds the name.
    """

    def __init__(self, store: "Store", target: ox.NamedNode, iri: str, name: str):
        self.store, self.target, self.iri, self.name = store, target, iri, name
        self.renewed = time.monotonic()  # when the last renewal that reached the server was sent
        self._stop = threading.Event()
        self._sending = threading.Lock()  # held while a renewal is on its way to the server
        self._thread = threading.Thread(target=self._renew, name="govgraph-claim", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        lg, at = LOCK_GRAPH.value, _CLAIMED_AT.value
        renew = (f"DELETE {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?old }} }} "
                 f"INSERT {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?now }} }} "
                 f"WHERE {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?old }} BIND(NOW() AS ?now) }}")
        b = self.store._b
        try:
            while not self._stop.wait(CLAIM_RENEW):
                with self._sending:
                    if self._stop.is_set():
                        break
                    sent = time.monotonic()
                    try:
                        b.update(renew)
                        self.renewed = sent
                    except StoreError:
                        pass  # the server is away: check() stops the load before the claim can lapse
        finally:
            b.close()  # this thread's connection

    def check(self) -> None:
        """Raise ConflictError if the claim may have lapsed (another writer may own the name now)."""
        if time.monotonic() - self.renewed > CLAIM_LAPSE / 2:
            raise ConflictError(f"lost touch with the server for over {CLAIM_LAPSE / 2:g} s while loading the new "
                                f"source {self.name!r}, so another writer may have taken the name over; "
                                f"nothing was changed, load it again")

    def held(self) -> bool:
        """Whether the claim is still on the server (ask under the commit lock: only then does it stay so)."""
        return bool(self.store._b.query(
            f"ASK {{ GRAPH <{LOCK_GRAPH.value}> {{ <{self.target.value}> <{_PENDING.value}> <{self.iri}> }} }}",
            None, None))

    def stop(self) -> None:
        """Renew no more; returns once a renewal in flight has been answered, so that none can
        reach the server after the claim is withdrawn (servers need not isolate two updates, and
        a late renewal could leave a stray time behind)."""
        self._stop.set()
        with self._sending:
            pass

    @staticmethod
    def withdraw(target: ox.NamedNode, claim: str) -> str:
        """The update operations withdrawing a claim on ``target``."""
        return _unclaim_op(target.value, _PENDING.value, claim)


class _NameBusy(ConflictError):
    """Another writer's live claim holds the name of the new source being committed."""


class Transaction:
    """One write to one source: parse into a hidden graph, inspect or validate, then commit.

    Use as a context manager: leaving the block without ``commit()`` rolls back.
    """

    def __init__(self, store: Store, name: str, iri: str, replacing: bool, who: str, loaded_from: str,
                 *, may_replace: bool = False):
        self.store, self.name, self.who, self.loaded_from = store, name, who, loaded_from
        self.target = ox.NamedNode(iri)
        self.replacing = replacing
        self.may_replace = replacing or may_replace  # begin(replace=True): create or replace
        # a new source loads straight into its own not yet registered, so invisible, graph: in
        # the embedded store (one process, this write lock) always, on a shared server once this
        # writer has claimed the name (Store._claim_new_source). Otherwise (a replacement, or a
        # new source another writer is still loading) the write loads into a hidden graph of its
        # own, applied on commit, so two workers writing one source never write into one graph.
        self.started = time.time()
        self.done = False
        self._count: int | None = None  # triples held, known until the next load or add
        self.claim: _NameClaim | None = None
        store._write_lock.acquire()
        try:
            if not store._b.exclusive and not replacing:
                self.claim = store._claim_new_source(self.target, name)
                if self.claim is None and self.target in store.graphs():
                    # another writer created it while this one waited for the name
                    if not self.may_replace:
                        raise BadInput(_already_loaded(name))
                    self.replacing = replacing = True
        except BaseException:
            store._write_lock.release()
            raise
        direct = (store._b.exclusive and not replacing) or self.claim is not None
        self.graph = self.target if direct else staging_graph()
        if direct and store._b.exclusive:
            try:
                store._reclaim(self.target)  # a removed source's kept triples, or leftovers of a failed attempt
            except BaseException:
                store._write_lock.release()
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
        try:
            self.store._b.load(self.graph, src, FORMATS[fmt], quads=fmt in QUAD_FORMATS, base_iri=base_iri,
                               guard=self._guard)
        except SyntaxError as e:
            raise _syntax_error(e, label) from None
        except MemoryError as e:
            raise BadInput(f"a single value or token is too large to read ({e})", file=label) from None
        except (OSError, ValueError) as e:
            raise BadInput(str(e), file=label) from None
        return self.count()

    def add(self, triples: Iterable[tuple[Node, Node, Node]]) -> int:
        """Add rdflib triples to this transaction; returns triples now held."""
        g = self.graph
        self._count = None
        self.store._b.extend((ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples), guard=self._guard)
        return self.count()

    @property
    def _guard(self) -> Callable[[], None] | None:
        """Checked before each batch is sent: a load into a claimed graph stops if the claim may have lapsed."""
        return self.claim.check if self.claim is not None else None

    def count(self) -> int:
        """Triples held by this transaction so far (counted once per load or add: a round trip on a server)."""
        if self._count is None:
            self._count = _count(self.store, f"GRAPH <{self.graph.value}> {{ ?s ?p ?o }}")
        return self._count

    def view(self) -> list[ox.NamedNode]:
        """The source graphs the store would have after commit (for validating before it)."""
        others = [g for g in self.store.graphs() if g != self.target]
        return others + [self.graph]

    # -- finishing ---------------------------------------------------------------
    def commit(self, *, forced: bool = False, note: str = "") -> ChangeRecord:
        """Make the source visible in one atomic update and record the change."""
        if self.done:
            raise RuntimeError("transaction already finished")
        st = self.store
        try:
            if time.time() - self.started > STAGING_MAX_AGE / 2:
                raise ConflictError(f"the load of {self.name!r} took longer than {STAGING_MAX_AGE / 2:g} s, so its hidden "
                                    f"graph may have been swept by another process; nothing was changed, load it again")
            deadline = time.monotonic() + COMMIT_LOCK_WAIT
            while True:
                try:
                    with st._commit_lock() as release:
                        return self._commit(release, forced, note)
                except _NameBusy:
                    if time.monotonic() > deadline:
                        raise ConflictError(f"another writer has been loading the new source {self.name!r} for over "
                                            f"{COMMIT_LOCK_WAIT:g} s; nothing was changed, try again") from None
                    time.sleep(1.0)  # outside the commit lock, so the other writer can commit
        except BaseException:
            if not self.done:
                self.rollback()
            raise

    def _commit(self, release: str | None, forced: bool, note: str) -> ChangeRecord:
        """The commit itself, holding the commit lock (``release``: the update operation freeing it)."""
        st = self.store
        stale_claims: list[str] = []
        if st.remote:
            # what other workers committed since this load began decides what the commit is
            st._changed()
            exists = self.target in st.graphs()
            if self.claim is not None:
                if exists or not self.claim.held():  # only if this load outlived its claim
                    raise ConflictError(f"the load of the new source {self.name!r} lost its claim on the name (it "
                                        f"was not renewed for {CLAIM_LAPSE:g} s); nothing was changed, load it again")
            elif exists and not self.may_replace:
                raise ConflictError(f"source {self.name!r} was created by another writer while this load was running; "
                                    f"nothing was changed: use --replace to replace it, or --source to load under "
                                    f"another name")
            elif not exists:
                live, lapsed = st._load_claims(self.target)
                if live:
                    raise _NameBusy(f"another writer is loading the new source {self.name!r}")
                stale_claims = lapsed  # a stopped writer's: withdrawn with this commit
            self.replacing = exists  # a replacement of a source another writer removed meanwhile is a load
        revision = st.revision + 1  # read afresh above for a remote store
        new_n = self.count()
        if self.replacing:
            old, new = self.target.value, self.graph.value
            added = _count(st, f"GRAPH <{new}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{old}> {{ ?s ?p ?o }} }}")
            removed = _count(st, f"GRAPH <{old}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{new}> {{ ?s ?p ?o }} }}")
        else:
            added, removed = new_n, 0
        rec = st._record(self.name, "replace" if self.replacing else "load", self.who, added, removed, forced, note,
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
        elif self.graph != self.target:
            # DROP first: whatever an interrupted older writer left in the unregistered graph goes
            # (only when another writer held the name while this one began: see Store._claim_new_source)
            ops += [f"DROP SILENT GRAPH <{g}>", f"ADD SILENT <{self.graph.value}> TO <{g}>"]
            ops += [_NameClaim.withdraw(self.target, c) for c in stale_claims]
        ops += _registry_update(g, self.name, new_n, self.loaded_from, rec.at) + [st._revision_update(rec)]
        if self.claim is not None:
            ops.append(_NameClaim.withdraw(self.target, self.claim.iri))
        if release:
            ops.append(release)
        try:
            st._check_lease()
            if self.claim is not None:
                self.claim.stop()  # the commit withdraws it
            st._b.update(";\n".join(ops))
            st._lock_released = True
            st._committed(rec.revision, self.target, True)
        except BaseException:
            st._changed()
            raise
        finally:
            self.done = True
            st._write_lock.release()
        if self.graph != self.target:
            # the staged copy is no longer needed; dropped after the commit, so neither the commit
            # lock nor the new source waits for it (a server takes 12 s to drop 300,000 triples)
            try:
                st._b.drop_graph(self.graph)
            except StoreError:
                pass  # the server is away: the next process to open the store sweeps it by age
        if added >= COMPACT_AFTER_TRIPLES and hasattr(st._b, "compact"):
            st._b.compact()  # outside the write lock: readers and writers go on meanwhile
        return rec

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
                st._b.drop_graph(self.graph)
        finally:
            self.done = True
            st._write_lock.release()

    def _withdraw_claim(self, *, retrying: bool = False) -> None:
        """Drop what this writer loaded under its claim, and the claim, if the name is still its own.

        If the server is away, this is retried in the background every second until the claim
        would have lapsed anyway, so a writer waiting for the name can go on as soon as the
        server returns."""
        st, claim = self.store, self.claim
        assert claim is not None
        try:
            with st._commit_lock() as release:
                if claim.held():  # else another writer took the name (and the graph) over
                    st._b.update(f"DROP SILENT GRAPH <{self.target.value}>;"
                                 + claim.withdraw(self.target, claim.iri) + (f";{release}" if release else ""))
                    st._lock_released = True
        except StoreError:
            if not retrying:
                threading.Thread(target=self._retry_withdrawal, name="govgraph-unclaim", daemon=True).start()
            raise

    def _retry_withdrawal(self) -> None:
        deadline = time.monotonic() + CLAIM_LAPSE
        while time.monotonic() < deadline:
            time.sleep(1.0)
            try:
                with self.store._write_lock:  # the commit lock's state is per Store: one user at a time
                    self._withdraw_claim(retrying=True)
                return
            except StoreError:
                continue  # still away; after the deadline the claim lapses by itself
            finally:
                self.store._b.close()  # this thread's connection

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.done:
            self.rollback()


class Patch:
    """A small change to one source: stage triples to add and remove, validate, commit atomically.

    Added triples are staged in a hidden graph, so ``view()`` shows the store with them
    (for validation); triples being removed are still visible there, which can only
    hide findings about properties the patch removes. On commit one SPARQL Update
    deletes and inserts the triples, keeps the difference for the history, updates the
    registry and appends the change record.
    """

    def __init__(self, store: Store, name: str, iri: str, who: str, loaded_from: str):
        self.store, self.name, self.who, self.loaded_from = store, name, who, loaded_from
        self.target = ox.NamedNode(iri)
        self.graph = staging_graph()
        self._removed: set[ox.Triple] = set()
        self._added = 0
        self._new: set[ox.Triple] | None = set()  # staged triples known to be absent from the source
        self._reserved: int | None = None  # the revision whose "added" diff graph the staging graph is
        self._keep_staged = False
        self._assigned: int | None = None
        self._relocated_from: ox.NamedNode | None = None
        self.done = False
        store._write_lock.acquire()
        self.exists = self.target in store.graphs()  # read again under the commit lock
        if not self.exists and store._b.exclusive:
            try:
                store._reclaim(self.target)  # a removed source's kept triples move out of the way
            except BaseException:
                store._write_lock.release()
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
                st = self.store
                self._reserved = st.revision + 1 + st._reserved_revisions
                st._reserved_revisions += 1
                self.graph = ox.NamedNode(diff_graph(self._reserved, "added"))
                st._b.drop_graph(self.graph)  # leftovers of a change that never committed
            self._new.update(triples)
        else:
            self._new = None  # some staged triples may already be there: compare on commit
        self.store._b.extend(ox.Quad(t.subject, t.predicate, t.object, self.graph) for t in triples)

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
        self.store._reserved_revisions -= 1
        return [f"MOVE SILENT <{self._relocated_from.value}> TO <{fresh.value}>"]

    def _prepare(self, revision: int, forced: bool, note: str) -> tuple[list[str], ChangeRecord] | None:
        """The update operations and change record of this patch as revision ``revision`` (None: no change)."""
        if self.done:
            raise RuntimeError("patch already finished")
        st, g, staged = self.store, self.target.value, self.graph.value
        self.exists = self.target in st.graphs()  # read again under the commit lock
        if not self.exists and st._load_claims(self.target)[0]:
            raise ConflictError(f"another writer is loading the new source {self.name!r} right now; nothing was "
                                f"changed: try again when it has finished")
        in_place = self._reserved is not None and self._reserved == revision  # staged in its own diff graph
        known = self._new
        if known is not None:
            added = len(known)
        else:
            added = _count(st, f"GRAPH <{staged}> {{ ?s ?p ?o }}" +
                           (f" FILTER NOT EXISTS {{ GRAPH <{g}> {{ ?s ?p ?o }} }}" if self.exists else ""))
        removed = [t for t in self._removed if self.exists and
                   any(True for _ in st._b.quads(t.subject, t.predicate, t.object, self.target))]
        if not added and not removed:
            return None
        size = self._size = (st._source_size(self.target) if self.exists else 0) + added - len(removed)
        rec = st._record(self.name, "patch" if self.exists else "load", self.who, added, len(removed), forced, note,
                         revision=revision)
        add_g, rem_g = diff_graph(rec.revision, "added"), diff_graph(rec.revision, "removed")
        # a new source: whatever an interrupted earlier attempt left in the unregistered graph goes
        ops = [] if self.exists else [f"DROP SILENT GRAPH <{g}>"]
        if in_place:
            assert known is not None and staged == add_g
            body = _triples_text(known)
            ops += [f"INSERT DATA {{ GRAPH <{g}> {{ {body} }} }}"] if known else []
        elif known is not None:
            ops.append(f"DROP SILENT GRAPH <{staged}>")
            if known:
                body = _triples_text(known)
                ops.append(f"INSERT DATA {{ GRAPH <{add_g}> {{ {body} }} GRAPH <{g}> {{ {body} }} }}")
        else:
            ops += [f"INSERT {{ GRAPH <{add_g}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{staged}> {{ ?s ?p ?o }}"
                    f" FILTER NOT EXISTS {{ GRAPH <{g}> {{ ?s ?p ?o }} }} }}",
                    f"ADD <{staged}> TO <{g}>", f"DROP SILENT GRAPH <{staged}>"]
        if removed:
            body = _triples_text(removed)
            ops += [f"DELETE DATA {{ GRAPH <{g}> {{ {body} }} }}", f"INSERT DATA {{ GRAPH <{rem_g}> {{ {body} }} }}"]
        ops += _registry_update(g, self.name, size, self.loaded_from, rec.at) + [st._revision_update(rec)]
        return ops, rec

    def rollback(self) -> None:
        """Discard the staged change; the store is as it was."""
        if not self.done:
            self._finish()

    def _finish(self) -> None:
        try:
            if not self._keep_staged:  # a committed in-place diff graph stays: it is the history
                self.store._b.drop_graph(self.graph)
            if self._relocated_from is not None:  # moved by the commit, or left if it failed
                self.store._b.drop_graph(self._relocated_from)
        finally:
            if self._reserved is not None:
                self.store._reserved_revisions -= 1
                self._reserved = None
            self.done = True
            self.store._write_lock.release()

    def __enter__(self) -> "Patch":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.rollback()


def commit_patches(patches: list[Patch], *, forced: bool = False, note: str = "") -> list[ChangeRecord | None]:
    """Commit patches to different sources of one store in one atomic update.

    Each patch that changes something gets its own change record and revision (in the
    order given); one that changes nothing gets None. Either every change is applied or,
    if the update fails, none is; the patches are finished either way.
    """
    if not patches:
        return []
    st = patches[0].store
    if any(p.store is not st for p in patches) or len({p.name for p in patches}) != len(patches):
        raise ValueError("commit_patches takes patches of one store, one per source")
    try:
        with st._commit_lock() as release:
            return _commit_patches(st, patches, release, forced, note)
    finally:
        for p in patches:
            if not p.done:
                p._finish()


def _commit_patches(st: Store, patches: list[Patch], release: str | None, forced: bool,
                    note: str) -> list[ChangeRecord | None]:
    """commit_patches holding the commit lock: prepared against the registry as it is now."""
    if st.remote:
        st._changed()  # the registry and revision as they are now, under the lock

    def prepare(record_assigned: bool) -> tuple[list[str], list[ChangeRecord | None], list[Patch]]:
        ops: list[str] = []
        records: list[ChangeRecord | None] = []
        in_place: list[Patch] = []
        revision = st.revision
        for p in patches:
            reserved = p._reserved
            prepared = p._prepare(revision + 1, forced, note)
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
    if ops:
        st._check_lease()
        if release:
            ops.append(release)
        try:
            st._b.update(";\n".join(ops))
            st._lock_released = True
        except BaseException:
            st._changed()
            raise
        for p in in_place:
            p._keep_staged = True
        for p, rec in zip(patches, records):
            if rec is not None:
                st._committed(rec.revision, p.target, True)
                st._sizes[p.target.value] = p._size
    return records


def _triples_text(triples: Iterable[ox.Triple]) -> str:
    """Triples in the N-Triples syntax of a SPARQL ``INSERT DATA`` / ``DELETE DATA`` block."""
    return " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)


def _registry_update(graph: str, name: str, size: int, loaded_from: str, at: dt.datetime) -> list[str]:
    """SPARQL Update operations that (re)write a source's entry in the registry graph."""
    m = META_GRAPH.value
    return [f"DELETE WHERE {{ GRAPH <{m}> {{ <{graph}> ?p ?o }} }}",
            f"INSERT DATA {{ GRAPH <{m}> {{ <{graph}> a <{GOV.Source}> ; <{GOV.sourceName}> {_lit(name)} ;"
            f" <{GOV.tripleCount}> {_lit(size)} ; <{GOV.loadedFrom}> {_lit(loaded_from)} ;"
            f" <{GOV['loadedAt']}> {_lit(at)} }} }}"]


def _already_loaded(name: str) -> str:
    return f"source {name!r} is already loaded: use --replace to replace it, or --source to load under another name"


def _count(store: Store, pattern: str) -> int:
    res = store._b.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", None, None)
    return int(next(iter(res))["n"].value)


def _syntax_error(e: SyntaxError, label: str) -> BadInput:
    """Turn a parser's SyntaxError into BadInput naming the file, line and column."""
    msg = str(e.msg if getattr(e, "msg", None) else e)
    line = getattr(e, "lineno", None)
    col = getattr(e, "offset", None)
    # pyoxigraph puts "(file, line N)" at the end of its message; keep the parser's words only
    if " (" in msg and msg.endswith(")"):
        msg = msg[: msg.rfind(" (")]
    return BadInput(f"not valid RDF: {msg}", file=label, line=line, column=col)


def _whoami() -> str:
    try:
        return os.environ.get("GOVGRAPH_USER") or getpass.getuser()
    except Exception:
        return "unknown"


def open_store(url: str | None = None) -> Store:
    """Open a store from a URL (``oxigraph:PATH``, ``memory:``); default from GOVGRAPH_STORE."""
    return Store.open(url)
