"""Running read-only SPARQL with a time limit that really stops the work, and a result size limit.

Oxigraph's Python ``query`` cannot be interrupted: one long join yields no solution for
minutes, so a deadline checked between solutions is not enough. An embedded on-disk
store is therefore queried in a pool of worker processes. Workers never open the live
database (RocksDB leaves a read-only open beside a writer undefined: files vanish under
it at compaction); instead, for each store revision the web process takes a checkpoint
(``pyoxigraph.Store.backup``: hard links, 10-70 ms) and workers open that immutable
snapshot read-only (10-20 ms). A worker whose query passes its deadline is killed
(SIGKILL) and replaced; the request gets a clear error. A query always sees the last
committed state, and old snapshots are removed once no query can still be using them.

In-memory stores cannot be shared with another process; their queries run in the
calling thread, stopped between solutions (best effort, documented in docs/api.md).

The worker side imports only pyoxigraph and the standard library, to start quickly.
"""
from __future__ import annotations

import atexit
import io
import math
import multiprocessing as mp
import os
import queue
import select
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from govgraph.scratch import ScratchDir

#: Result formats by media type, for solutions/booleans and for graphs.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, the media types to answer in, and its limits."""
    text: str
    default_graph: tuple[str, ...]
    named_graphs: tuple[str, ...]
    results_type: str          # media type for SELECT / ASK
    graph_type: str            # media type for CONSTRUCT / DESCRIBE
    prefixes: tuple[tuple[str, str], ...] = ()
    timeout: float = 30.0
    max_bytes: int = 50_000_000


@dataclass
class QueryOutcome:
    """A finished query: HTTP-ish status, media type and body (or an error message)."""
    status: int
    media_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    kind: str = ""            # solutions / boolean / graph
    seconds: float = 0.0
    error: str = ""


class TooLarge(Exception):
    """The serialised result passed the size limit."""


class TimedOut(Exception):
    """The query passed its deadline."""


class _LimitedBuffer(io.RawIOBase):
    """A write buffer that stops serialisation past a size or a deadline (raising inside the writer).

    Oxigraph writes in chunks of about 8 KB, so the checks cost little.
    """

    def __init__(self, max_bytes: int, deadline: float | None):
        self._buf = io.BytesIO()
        self._max, self._deadline = max_bytes, deadline
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._size += len(b)
        if self._size > self._max:
            raise TooLarge()
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise TimedOut()
        return self._buf.write(b)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return self._buf.getvalue()


def execute(store: ox.Store, job: QueryJob, deadline: float | None = None,
            graphs: dict[tuple[str, ...], list[ox.NamedNode]] | None = None) -> QueryOutcome:
    """Run ``job`` on ``store`` and serialise its result; never raises for query errors.

    ``graphs`` caches the graph name lists between calls (a worker sees the same dataset
    query after query).
    """
    t0 = time.perf_counter()
    try:
        res = store.query(job.text, prefixes=dict(job.prefixes) or None,
                          default_graph=_graph_nodes(job.default_graph, graphs),
                          named_graphs=_graph_nodes(job.named_graphs, graphs))
        buf = _LimitedBuffer(job.max_bytes, deadline)
        if isinstance(res, list):  # a remote backend's graph result: parsed triples
            ox.serialize(res, buf, GRAPH_FORMATS[job.graph_type])
            kind, mt = "graph", job.graph_type
        elif isinstance(res, ox.QueryTriples):
            res.serialize(buf, GRAPH_FORMATS[job.graph_type])
            kind, mt = "graph", job.graph_type
        else:
            res.serialize(buf, RESULT_FORMATS[job.results_type])
            kind = "boolean" if isinstance(res, ox.QueryBoolean) else "solutions"
            mt = job.results_type
        return QueryOutcome(200, mt + "; charset=utf-8", buf.getvalue(), kind, time.perf_counter() - t0)
    except SyntaxError as e:
        return QueryOutcome(400, error=f"SPARQL syntax error: {e}")
    except TooLarge:
        return QueryOutcome(422, error=f"the result is larger than the limit of {job.max_bytes:,} bytes: "
                                       "add LIMIT or select fewer variables")
    except TimedOut:
        return QueryOutcome(422, error=_timeout_message(job.timeout))
    except (OSError, ValueError, TypeError) as e:  # evaluation errors Oxigraph reports
        msg = str(e)
        if isinstance(e, OSError) and "timeout" in msg.lower():
            return QueryOutcome(422, error=_timeout_message(job.timeout))
        return QueryOutcome(400, error=f"the query could not be evaluated: {msg}")


def _graph_nodes(names: tuple[str, ...], cache: dict | None) -> list[ox.NamedNode]:
    if cache is None:
        return [ox.NamedNode(g) for g in names]
    nodes = cache.get(names)
    if nodes is None:
        if len(cache) > 64:
            cache.clear()
        nodes = cache[names] = [ox.NamedNode(g) for g in names]
    return nodes


def _timeout_message(limit: float) -> str:
    return (f"the query ran longer than the time limit of {limit:g} s and was stopped: "
            "narrow it with more specific patterns, LIMIT, or a shorter property path")


# ----------------------------------------------------------------------------- worker side

def _worker_main(conn) -> None:
    """A worker process: answer jobs on read-only snapshots until the pipe closes.

    A job arrives as a plain tuple (``_job_message``) and the answer leaves as one
    (status, media type, kind, error, body): cheaper to pickle than the dataclasses, and
    the result's bytes are sent as they were serialised, never re-encoded.
    """
    store, opened = None, None
    graphs: dict[tuple[str, ...], list[ox.NamedNode]] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        snapshot, job = msg[0], QueryJob(*msg[1:])
        try:
            if store is None or snapshot != opened:
                store = None
                store = ox.Store.read_only(snapshot)
                opened = snapshot
            out = execute(store, job, None, graphs)
        except Exception as e:  # noqa: BLE001
            store = None
            out = QueryOutcome(500, error=f"the store could not be read: {e}")
        conn.send((out.status, out.media_type, out.kind, out.error, out.body))


def _job_message(snapshot: str, job: QueryJob) -> tuple:
    return (snapshot, job.text, job.default_graph, job.named_graphs, job.results_type, job.graph_type,
            job.prefixes, job.timeout, job.max_bytes)


class Snapshots:
    """Immutable checkpoints of an embedded store, one per revision, for the query workers.

    A snapshot stays until it is neither the newest nor younger than ``keep_seconds``
    (longer than any query may run), so no running query loses its files.
    """

    def __init__(self, oxstore: ox.Store, parent: str, keep_seconds: float):
        self._ox = oxstore
        self._dir = ScratchDir(parent, ".govgraph-snapshots-")  # swept by the next process if this one dies
        self.root = self._dir.path
        self.keep = keep_seconds
        self._made: list[tuple[int, str, float]] = []  # (revision, path, created)
        self._lock = threading.Lock()
        atexit.register(self.close)

    def for_revision(self, revision: int) -> str:
        """The snapshot path for ``revision``, taken now if it does not exist yet."""
        with self._lock:
            if self._made and self._made[-1][0] == revision:
                return self._made[-1][1]
            path = os.path.join(self.root, f"rev-{revision}-{len(self._made)}")
            self._ox.backup(path)
            now = time.monotonic()
            self._made.append((revision, path, now))
            keep = []
            for i, (rev, p, made) in enumerate(self._made):
                newest = i == len(self._made) - 1
                # an older snapshot can be in use until keep_seconds after the next one replaced it
                replaced_at = self._made[i + 1][2] if not newest else now
                if newest or now - replaced_at < self.keep:
                    keep.append((rev, p, made))
                else:
                    shutil.rmtree(p, ignore_errors=True)
            self._made = keep
            return path

    def close(self) -> None:
        """Remove every snapshot."""
        self._dir.close()


class CopySnapshots:
    """On-disk snapshots of derived in-memory stores (e.g. redacted views, ``govgraph.access``),
    so their queries run in the workers too and the time limit stops them for real.

    A copy is written once (``bulk_extend`` into a fresh on-disk store, then a checkpoint
    the workers open read-only); the few most recent are kept, and an older one is removed
    only ``keep_seconds`` after it stopped being used (no running query can still read it).
    """

    def __init__(self, parent: str, keep_seconds: float, kept: int = 4):
        self._dir = ScratchDir(parent, ".govgraph-copies-")  # swept by the next process if this one dies
        self.root = self._dir.path
        self.keep, self.kept = keep_seconds, kept
        self._made: dict[Any, list] = {}  # key -> [path, last used]
        self._lock = threading.Lock()
        self._n = 0
        atexit.register(self.close)

    def for_copy(self, key: Any, oxstore: ox.Store) -> str:
        """The snapshot path of the copy named ``key`` (a hashable identity), written now if new."""
        with self._lock:
            hit = self._made.get(key)
            if hit is not None:
                hit[1] = time.monotonic()
                return hit[0]
            self._n += 1
            build = os.path.join(self.root, f"build-{self._n}")
            path = os.path.join(self.root, f"copy-{self._n}")
            disk = ox.Store(build)
            disk.bulk_extend(oxstore.quads_for_pattern(None, None, None, None))
            disk.flush()
            disk.backup(path)
            del disk
            shutil.rmtree(build, ignore_errors=True)
            now = time.monotonic()
            self._made[key] = [path, now]
            by_use = sorted(self._made.items(), key=lambda kv: kv[1][1], reverse=True)
            for k, (p, used) in by_use[self.kept:]:
                if now - used > self.keep:
                    shutil.rmtree(p, ignore_errors=True)
                    del self._made[k]
            return path

    def close(self) -> None:
        """Remove every copy."""
        self._dir.close()


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True,
                                name="govgraph-sparql-worker")
        self.proc.start()
        child.close()
        # one poll object for the worker's life (Connection.poll builds a selector on every call)
        self.poller = select.poll()
        self.poller.register(self.conn.fileno(), select.POLLIN)

    def wait(self, seconds: float) -> bool:
        """True once an answer (or the end of the pipe) is there, False after ``seconds``."""
        return bool(self.poller.poll(max(0, math.ceil(seconds * 1000))))

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(2)
        except Exception:  # noqa: BLE001
            pass
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


@dataclass
class PoolStats:
    """Counters for monitoring and tests."""
    queries: int = 0
    killed: int = 0
    started: int = 0
    errors: list[str] = field(default_factory=list)


class QueryPool:
    """A fixed number of worker processes over snapshots of one on-disk store; ``run`` is thread-safe."""

    def __init__(self, snapshots: Snapshots | None, size: int = 4, *, copies_parent: str | None = None,
                 keep_seconds: float = 120.0):
        """``snapshots`` of the live on-disk store, or None for a pool that only runs queries over
        derived copies (``run_on_copy``: as-of and redacted estates of a memory or remote store),
        written under ``copies_parent`` (default: beside the snapshots, else the temp folder)."""
        self.snapshots, self.size = snapshots, size
        self._copies_parent = copies_parent or (os.path.dirname(snapshots.root) if snapshots else tempfile.gettempdir())
        self._keep = snapshots.keep if snapshots else keep_seconds
        self.copies: CopySnapshots | None = None
        self._ctx = mp.get_context("spawn")
        self._idle: "queue.Queue[_Worker]" = queue.Queue()
        self.stats = PoolStats()
        self._closed = False
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        if self._closed:
            return
        self._idle.put(_Worker(self._ctx))
        self.stats.started += 1

    def run(self, job: QueryJob, revision: int) -> QueryOutcome:
        """Run ``job`` in a worker; kill the worker if it passes ``job.timeout``."""
        if self.snapshots is None:
            raise RuntimeError("this pool runs queries over derived copies only (run_on_copy)")
        start = time.monotonic()
        return self._run(job, self.snapshots.for_revision(revision), start)

    def run_on_copy(self, job: QueryJob, key: Any, oxstore: ox.Store) -> QueryOutcome:
        """Run ``job`` over a derived in-memory store (written to disk once per ``key``) in a worker."""
        start = time.monotonic()
        if self.copies is None:
            self.copies = CopySnapshots(self._copies_parent, self._keep)
        return self._run(job, self.copies.for_copy(key, oxstore), start)

    def _run(self, job: QueryJob, snapshot: str, start: float) -> QueryOutcome:
        deadline = start + job.timeout
        try:
            w = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return QueryOutcome(503, error="the query service is busy: every worker is running a query; try again")
        self.stats.queries += 1
        try:
            w.conn.send(_job_message(snapshot, job))
            if w.wait(deadline - time.monotonic()):
                status, media_type, kind, error, body = w.conn.recv()
                self._idle.put(w)
                return QueryOutcome(status, media_type, body, kind, time.monotonic() - start, error)
        except (EOFError, OSError, BrokenPipeError) as e:
            self.stats.errors.append(str(e))
            w.kill()
            threading.Thread(target=self._spawn, daemon=True).start()
            return QueryOutcome(500, error="the query worker stopped unexpectedly; the query was not completed")
        # past the deadline: stop the work for real
        w.kill()
        self.stats.killed += 1
        threading.Thread(target=self._spawn, daemon=True).start()
        return QueryOutcome(422, error=_timeout_message(job.timeout))

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        if self.snapshots is not None:
            self.snapshots.close()
        if self.copies is not None:
            self.copies.close()

    def pids(self) -> list[int]:
        """Process ids of the idle workers (for tests)."""
        return [w.proc.pid for w in list(self._idle.queue)]


class BackendQueries:
    """Adapts a govgraph backend (e.g. a remote SPARQL server) to the ``query`` call ``execute`` makes."""

    def __init__(self, backend: Any, timeout: float | None = None):
        self.backend = backend
        self.timeout = timeout
        #: the error that stopped the last query, other than its time limit (e.g. the server is down)
        self.failure: Exception | None = None

    def query(self, text: str, *, prefixes: dict[str, str] | None, default_graph: list, named_graphs: list) -> Any:
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or {}).items())
        try:
            return self.backend.query(prologue + text, default_graph, named_graphs, timeout=self.timeout)
        except TimeoutError:  # the server did not answer in time (it stops by its own limit, if set)
            raise TimedOut() from None
        except Exception as e:  # noqa: BLE001 - kept for the caller, which knows the store's errors
            self.failure = e
            raise


def run_in_thread(store: Any, job: QueryJob) -> QueryOutcome:
    """Run ``job`` in the calling thread, stopped between solutions at the deadline (memory stores)."""
    t0 = time.monotonic()
    try:
        out = execute(store, job, t0 + job.timeout)
    except Exception as e:  # noqa: BLE001
        out = QueryOutcome(500, error=f"the query could not be run: {e}")
    out.seconds = time.monotonic() - t0
    return out


def cpu_default() -> int:
    """A sensible default pool size: the CPUs available, between 2 and 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        n = os.cpu_count() or 2
    return max(2, min(8, n))


__all__ = ["QueryJob", "QueryOutcome", "QueryPool", "Snapshots", "execute", "run_in_thread", "RESULT_FORMATS",
           "GRAPH_FORMATS", "cpu_default"]
