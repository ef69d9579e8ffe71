"""The query service: one place that checks and runs a read-only SPARQL query, for every interface.

``/sparql`` (``webapp/sparql.py``, which keeps only the protocol), the CLI's ``query`` command and
any other caller of user-written SPARQL go through ``QueryService``: the same size limit, the same
guard (updates, SERVICE; on a remote store anything but standard SPARQL 1.1), the same dataset
(only live sources can be named), and the same time limit, which really stops the work:

- an on-disk store: a killable worker process over a snapshot of the store at its revision;
- an in-memory estate (an as-of or redacted copy, or a memory store): written to disk once per
  revision and queried in a worker as well (in a thread, an aggregate over a large join yields no
  solution to stop at);
- with the pool turned off: in the calling thread, stopped between solutions;
- a remote store: on the server, with the time limit as the request's timeout.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from govgraph.errors import Busy, GovGraphError, QueryTimeLimit, StoreQueryFailed, StoreUnavailable
from govgraph.io.query_pool import (BackendQueries, QueryJob, QueryOutcome, QueryPool, Snapshots, cpu_default,
                                    run_in_thread)
from govgraph.io.sparql_guard import refusal
from govgraph.io.sparql_text import Inspection, inspect
from govgraph.ontology.ns import PREFIXES as _NAMESPACES
from govgraph.store import Store

#: The predeclared prefixes, as the tokenizer and the query job take them.
PREFIXES = {p: str(ns) for p, ns in _NAMESPACES.items()}


@dataclass(frozen=True)
class QueryLimits:
    """How much one query may ask: seconds, result bytes, text length; and the worker pool's shape."""
    timeout: float = 30.0
    max_bytes: int = 50_000_000
    max_query_chars: int = 100_000
    workers: int | None = None       # worker processes (default: the CPUs, 2 to 8)
    pool: bool = True                # False: run in the calling thread (stopped between solutions)
    queue_wait: float = 2.0          # seconds a query waits for a free worker before 503


class QueryRefused(GovGraphError):
    """A query that is not run: too long (413), empty, an update, SERVICE or an unknown graph (400)."""

    def __init__(self, message: str, status: int = 400):
        self.status = status
        super().__init__(message)


class QueryService:
    """Checks and runs read-only queries over one live store and the estates derived from it.

    Thread-safe; the worker pool starts with the first query that needs it. ``close()`` stops it.
    """

    def __init__(self, live: Store, limits: QueryLimits = QueryLimits()):
        self.live, self.limits = live, limits
        self._pool: QueryPool | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ checking

    def check(self, text: str, info: Inspection | None = None) -> Inspection:
        """The text's inspection, or ``QueryRefused`` for a text that may not run.

        ``info`` is the inspection when the caller already made it (with the predeclared prefixes).
        """
        limit = self.limits.max_query_chars
        if len(text) > limit:
            raise QueryRefused(f"the query is {len(text):,} characters long; the limit is {limit:,}", 413)
        if not text.strip():
            raise QueryRefused("the query is empty")
        if info is None:
            info = inspect(text, PREFIXES)
        if info.is_update:
            raise QueryRefused("this endpoint is read-only: send SPARQL Update to /sparql/update with a bearer token")
        # SERVICE, decided on a parse tree (the tokenizer only finds the form); for a remote store,
        # anything but standard SPARQL 1.1 too (a server's pragmas could name the hidden graphs)
        why = refusal(text, strict=self.live.remote, predeclared=PREFIXES)
        if why:
            raise QueryRefused(why)
        return info

    @staticmethod
    def dataset(store: Store, default: list[str], named: list[str], info: Inspection,
                where: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The dataset: protocol graphs, else the query's FROM clauses, else every live source (the
        default graph their RDF merge, each triple once; each source a named graph).

        Only live source graphs can be named: govgraph's registry, audit and staging graphs are
        never readable. ``where`` tells a person where the graphs are listed (for the message).
        """
        live = [g.value for g in store.graphs()]
        if default or named:
            chosen_default, chosen_named = list(default), list(named)
        elif info.from_graphs or info.from_named:
            chosen_default, chosen_named = list(info.from_graphs), list(info.from_named)
        else:
            chosen_default, chosen_named = [], live
        unknown = [g for g in chosen_default + chosen_named if g not in set(live)]
        if unknown:
            raise QueryRefused(f"unknown graph {unknown[0]!r}: the graphs of this endpoint are the loaded "
                               f"sources{where}")
        if "GRAPH" not in info.words:
            chosen_named = []  # no GRAPH clause: named graphs are never consulted, and an empty set is cheaper
        if not (default or named or info.from_graphs or info.from_named):
            # the default graph is the RDF merge of the live sources (each triple once: govgraph.facts)
            chosen_default = list(store.default_graph_names())
        return tuple(chosen_default), tuple(chosen_named)

    def job(self, text: str, info: Inspection, dataset: tuple[tuple[str, ...], tuple[str, ...]],
            results_type: str, graph_type: str, base_iri: str | None = None) -> QueryJob:
        """One checked query as a job with this service's limits."""
        return QueryJob(text=text, default_graph=dataset[0], named_graphs=dataset[1], results_type=results_type,
                        graph_type=graph_type,
                        # only the predeclared prefixes the text uses without declaring: Oxigraph reads
                        # every prefix it is given on each query (~60 us for all of them)
                        prefixes=tuple((p, PREFIXES[p]) for p in sorted(info.undeclared_prefixes) if p in PREFIXES),
                        timeout=self.limits.timeout, max_bytes=self.limits.max_bytes, base_iri=base_iri)

    # ------------------------------------------------------------------ running

    def run(self, store: Store, job: QueryJob) -> QueryOutcome:
        """Run ``job`` over ``store`` (the live store or an estate derived from it) where it can be stopped.

        A remote server that is away or refuses the query raises ``StoreUnavailable`` /
        ``StoreQueryFailed``; every other failure (time limit, busy, too large) is the outcome's status.
        """
        backend = store.backend
        local = backend.capabilities.local_engine  # the engine runs here, not on a server
        pool = self.pool(copies=local)
        if pool is not None and store is self.live and pool.snapshots is not None:
            return pool.run(job, store.revision)  # a snapshot of today's store
        if pool is not None and local:
            derived = store.derivation.key if store is not self.live and store.derivation else None
            return pool.run_on_copy(job, derived if derived is not None else ("live", store.revision),
                                    backend.all_quads,  # a redacted copy kept on disk: checkpointed, not rewritten
                                    backend.snapshot if backend.capabilities.can_snapshot else None)
        if local:  # the pool turned off: in this thread, stopped between solutions
            return run_in_thread(BackendQueries(backend), job)
        remote = BackendQueries(backend, job.timeout)  # a remote server (its own time limit)
        out = run_in_thread(remote, job)
        if isinstance(remote.failure, (StoreUnavailable, StoreQueryFailed)):
            # 503 with Retry-After, like every other page while the server is away; 502 with the
            # server's message for a query it refused or could not finish (a row cap, say)
            raise remote.failure
        return out

    def pool(self, *, copies: bool = False) -> QueryPool | None:
        """The worker pool, started on first use (None with the pool turned off).

        For an on-disk store its workers query per-revision snapshots of the live store, and disk
        copies of in-memory estates. A memory or remote store has no local database to snapshot:
        a pool is started for it only when ``copies`` asks for one; otherwise None.
        """
        with self._lock:
            if self._pool is not None or not self.limits.pool:
                return self._pool
            backend = self.live.backend
            workers = int(self.limits.workers or cpu_default())
            keep = 2 * self.limits.timeout + 60
            wait = self.limits.queue_wait
            if backend.capabilities.can_snapshot:
                self._pool = QueryPool(Snapshots(backend.snapshot, backend.scratch_parent(), keep_seconds=keep),
                                       workers, queue_wait=wait)
            elif copies:
                self._pool = QueryPool(None, workers, keep_seconds=keep, queue_wait=wait)
            return self._pool

    @property
    def started_pool(self) -> QueryPool | None:
        """The worker pool if a query has started it (for statistics), else None."""
        return self._pool

    def close(self) -> None:
        """Stop the workers and remove their snapshots."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> "QueryService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def raise_for(out: QueryOutcome) -> QueryOutcome:
    """``out`` when it succeeded, else its failure as a govgraph error (for callers that are not HTTP)."""
    if out.status == 200:
        return out
    if out.status == 422 and "time limit" in out.error:
        raise QueryTimeLimit(out.error)
    if out.status == 503:
        raise Busy(out.error)
    raise QueryRefused(out.error, out.status)


__all__ = ["PREFIXES", "QueryLimits", "QueryRefused", "QueryService", "raise_for"]
