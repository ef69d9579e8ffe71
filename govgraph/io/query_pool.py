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

In-memory stores (a ``memory:`` store, as-of and redacted estates) cannot be shared with
another process: each is written to disk once (``CopySnapshots``) and queried the same way.
The workers take the network away from themselves first (``no_network``): they run the
text of requests, and Oxigraph answers ``SERVICE <url>`` with an HTTP request. They also
run SPARQL Update on scratch copies (``run_update``, ``update_run``).

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
from typing import Any, Callable, Iterable

import pyoxigraph as ox

from govgraph.io import no_network
from govgraph.io.update_run import UpdateOutcome, scratch_update
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
    base_iri: str | None = None  # what relative IRIs in the text resolve against (the endpoint's URL)


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
        res = store.query(job.text, prefixes=dict(job.prefixes) or None, base_iri=job.base_iri,
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
    except RuntimeError as e:  # "The custom function <...> is not supported": the query's fault, not ours
        if "not supported" not in str(e):
            raise
        return QueryOutcome(400, error=f"the query could not be evaluated: {e}")


def _graph_node(name: str) -> ox.NamedNode | ox.DefaultGraph:
    """A graph of a job's dataset: "" is the store's own default graph (``Store.default_graph_names``)."""
    return ox.NamedNode(name) if name else ox.DefaultGraph()


def _graph_nodes(names: tuple[str, ...], cache: dict | None) -> list[ox.NamedNode | ox.DefaultGraph]:
    if cache is None:
        return [_graph_node(g) for g in names]
    nodes = cache.get(names)
    if nodes is None:
        if len(cache) > 64:
            cache.clear()
        nodes = cache[names] = [_graph_node(g) for g in names]
    return nodes


def _timeout_message(limit: float) -> str:
    return (f"the query ran longer than the time limit of {limit:g} s and was stopped: "
            "narrow it with more specific patterns, LIMIT, or a shorter property path")


# ----------------------------------------------------------------------------- worker side

#: How much lower than the web process's the query workers' CPU priority is (``os.nice``).
WORKER_NICENESS = 10

def _worker_main(conn) -> None:
    """A worker process: answer jobs on read-only snapshots until the pipe closes.

    First it takes the network away from itself (``no_network``): what it runs is the text
    of requests, and Oxigraph would answer ``SERVICE <url>`` with an HTTP request. A job
    arrives as a plain tuple (``_job_message``, or ``_UPDATE`` first for an update) and the
    answer leaves as one (status, media type, kind, error, body, sandboxed): cheaper to
    pickle than the dataclasses, and the result's bytes are sent as they were serialised,
    never re-encoded.
    """
    sandboxed = no_network.install()
    store, opened = None, None
    graphs: dict[tuple[str, ...], list[ox.NamedNode]] = {}
    try:  # queries yield the CPU to the web process: pages stay quick while slow queries run
        os.nice(WORKER_NICENESS)
    except OSError:  # pragma: no cover - not allowed here: run at the same priority
        pass
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == _UPDATE:
            up = scratch_update(msg[2], msg[1])
            conn.send((up.status, "", "update", up.error, up.body, sandboxed))
            continue
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
        conn.send((out.status, out.media_type, out.kind, out.error, out.body, sandboxed))


_PLAIN = "text/plain; charset=utf-8"
#: The first element of an update job (a snapshot path, which a query job starts with, is absolute).
_UPDATE = ":update"


def _job_message(snapshot: str, job: QueryJob) -> tuple:
    return (snapshot, job.text, job.default_graph, job.named_graphs, job.results_type, job.graph_type,
            job.prefixes, job.timeout, job.max_bytes, job.base_iri)


class Snapshots:
    """Immutable checkpoints of an embedded store, one per revision, for the query workers.

    A snapshot stays until it is neither the newest nor younger than ``keep_seconds``
    (longer than any query may run), so no running query loses its files.
    """

    def __init__(self, take: Callable[[str], None], parent: str, keep_seconds: float):
        self._take = take  # writes a checkpoint to the path given (``Backend.snapshot``)
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
            self._take(path)
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

    def for_copy(self, key: Any, quads: Callable[[], Iterable[ox.Quad]],
                 snapshot: Callable[[str], None] | None = None) -> str:
        """The snapshot path of the copy named ``key`` (a hashable identity), written now if new (``snapshot``: the
        copy is a store on disk itself, checkpointed into the path instead: hard links, not its quads written again)."""
        with self._lock:
            hit = self._made.get(key)
            if hit is not None:
                hit[1] = time.monotonic()
                return hit[0]
            self._n += 1
            build = os.path.join(self.root, f"build-{self._n}")
            path = os.path.join(self.root, f"copy-{self._n}")
            if snapshot is not None:
                snapshot(path)
            else:
                disk = ox.Store(build)
                disk.bulk_extend(quads())
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
    refused: int = 0          # answered 503: no worker free in time
    killed: int = 0
    started: int = 0
    errors: list[str] = field(default_factory=list)
    #: whether the workers that answered could not reach the network (None until one answered)
    sandboxed: bool | None = None


class QueryPool:
    """A fixed number of worker processes over snapshots of one on-disk store; ``run`` is thread-safe."""

    def __init__(self, snapshots: Snapshots | None, size: int = 4, *, copies_parent: str | None = None,
                 keep_seconds: float = 120.0, queue_wait: float = 2.0, max_waiting: int | None = None):
        """``snapshots`` of the live on-disk store, or None for a pool that only runs queries over
        derived copies (``run_on_copy``: as-of and redacted estates of a memory or remote store),
        written under ``copies_parent`` (default: beside the snapshots, else the temp folder).

        When every worker is busy, at most ``max_waiting`` queries (default: ``size``) wait for
        one, each at most ``queue_wait`` seconds; the others are answered 503 at once, so
        waiting queries hold few of the web server's threads."""
        self.snapshots, self.size = snapshots, size
        self.queue_wait = queue_wait
        self.max_waiting = size if max_waiting is None else max_waiting
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._copies_parent = copies_parent or (os.path.dirname(snapshots.root) if snapshots else tempfile.gettempdir())
        self._keep = snapshots.keep if snapshots else keep_seconds
        self.copies: CopySnapshots | None = None
        self._ctx = mp.get_context("spawn")
        self._idle: "queue.Queue[_Worker]" = queue.Queue()
        self.stats = PoolStats()
        self._closed = False
        self._respawns: list[threading.Thread] = []  # replacements being started (``close`` waits for them)
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        if self._closed:
            return
        self._idle.put(_Worker(self._ctx))
        self.stats.started += 1

    def _respawn(self) -> None:
        """Start a replacement worker in the background (a killed one's): the caller need not wait for it."""
        t = threading.Thread(target=self._spawn, daemon=True, name="govgraph-query-respawn")
        self._respawns = [r for r in self._respawns if r.is_alive()] + [t]
        t.start()

    def run(self, job: QueryJob, revision: int) -> QueryOutcome:
        """Run ``job`` in a worker; kill the worker if it passes ``job.timeout``."""
        if self.snapshots is None:
            raise RuntimeError("this pool runs queries over derived copies only (run_on_copy)")
        start = time.monotonic()
        return self._run(job, self.snapshots.for_revision(revision), start)

    def run_on_copy(self, job: QueryJob, key: Any, quads: Callable[[], Iterable[ox.Quad]],
                    snapshot: Callable[[str], None] | None = None) -> QueryOutcome:
        """Run ``job`` over a derived store (its ``quads()`` written to disk once per ``key``, or, for a derived store
        on disk, a checkpoint of it made by ``snapshot``) in a worker."""
        start = time.monotonic()
        if self.copies is None:
            self.copies = CopySnapshots(self._copies_parent, self._keep)
        return self._run(job, self.copies.for_copy(key, quads, snapshot), start)

    def run_update(self, text: str, triples_nt: bytes, timeout: float) -> UpdateOutcome:
        """Apply a SPARQL Update to a scratch copy of ``triples_nt`` in a worker, killed past ``timeout``."""
        start = time.monotonic()
        status, _, _, error, body = self._exchange((_UPDATE, text, triples_nt), start + timeout, timeout)
        return UpdateOutcome(status, body, error)

    def _take(self) -> "_Worker | None":
        """An idle worker, waited for at most ``queue_wait`` s by at most ``max_waiting`` callers (else None)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._waiting_lock:
            if self._waiting >= self.max_waiting:
                return None
            self._waiting += 1
        try:
            return self._idle.get(timeout=self.queue_wait)
        except queue.Empty:
            return None
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def _run(self, job: QueryJob, snapshot: str, start: float) -> QueryOutcome:
        status, media_type, kind, error, body = self._exchange(_job_message(snapshot, job), start + job.timeout,
                                                               job.timeout)
        return QueryOutcome(status, media_type, body, kind, time.monotonic() - start, error)

    def _exchange(self, message: tuple, deadline: float, timeout: float) -> tuple:
        """Send ``message`` to an idle worker and return its answer (status, media type, kind, error, body);
        the worker is killed and replaced if it has not answered by ``deadline``."""
        w = self._take()
        if w is None:
            self.stats.refused += 1
            return (503, _PLAIN, "", f"the query service is busy: every worker is running a query and none "
                                     f"was free within {self.queue_wait:g} s; try again in a moment", b"")
        self.stats.queries += 1
        try:
            w.conn.send(message)
            if w.wait(deadline - time.monotonic()):
                status, media_type, kind, error, body, sandboxed = w.conn.recv()
                self.stats.sandboxed = sandboxed if self.stats.sandboxed is None else self.stats.sandboxed and sandboxed
                self._idle.put(w)
                return status, media_type, kind, error, body
        except (EOFError, OSError, BrokenPipeError) as e:
            self.stats.errors.append(str(e))
            w.kill()
            self._respawn()
            return 500, _PLAIN, "", "the query worker stopped unexpectedly; the work was not completed", b""
        # past the deadline: stop the work for real
        w.kill()
        self.stats.killed += 1
        self._respawn()
        return 422, _PLAIN, "", _timeout_message(timeout), b""

    def close(self) -> None:
        """Stop every worker (a replacement still starting is waited for first: cut off at the process's exit, the
        half-started child printed a traceback, "Ran out of input")."""
        self._closed = True
        for t in list(self._respawns):
            t.join(timeout=30)
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
    """Adapts a govgraph backend (embedded, or a remote SPARQL server) to the ``query`` call ``execute`` makes."""

    def __init__(self, backend: Any, timeout: float | None = None):
        self.backend = backend
        self.timeout = timeout
        #: the error that stopped the last query, other than its time limit (e.g. the server is down)
        self.failure: Exception | None = None

    def query(self, text: str, *, prefixes: dict[str, str] | None, default_graph: list, named_graphs: list,
              base_iri: str | None = None) -> Any:
        try:
            return self.backend.query(text, default_graph, named_graphs, timeout=self.timeout, prefixes=prefixes,
                                      base_iri=base_iri)
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
