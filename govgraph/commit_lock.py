"""The store-wide commit lock: nothing for the embedded store (one process, its write lock), a
claim protocol in a lock graph on a shared SPARQL server.

SPARQL servers need not isolate concurrent updates (Oxigraph server applies two
read-modify-write updates on the same snapshot, so both could pass a guard or take the same
revision), so writers claim the lock by inserting a claim and then reading every claim: a
writer holds it only if its claim is the only live one; otherwise it withdraws its claim and
tries again after a random pause. A claim older than COMMIT_LEASE (server clock) is a crashed
writer's. The claim is released by the commit's own update (``HeldLock.ops``) or, if the commit
did not go through, on leaving the block.
"""
from __future__ import annotations

import contextlib
import random
import time
import uuid
from typing import Any, Iterator

import pyoxigraph as ox

from govgraph.errors import ConflictError, StoreError
from govgraph.ontology.ns import GG
from govgraph.terms import instant
from govgraph.write_only import Deletion

#: Where writers sharing a remote store claim the commit lock.
LOCK_GRAPH = ox.NamedNode(str(GG["locks"]))
LOCK_NODE = ox.NamedNode(str(GG["lock:commit"]))
CLAIM = ox.NamedNode(str(GG["claim"]))
CLAIMED_AT = ox.NamedNode(str(GG["claimedAt"]))
#: Seconds after which a commit-lock claim is taken for a crashed writer's and ignored
#: (longer than any one request may take, 60 s).
COMMIT_LEASE = 120.0
#: Seconds a writer waits for the commit lock before giving up with ConflictError.
COMMIT_LOCK_WAIT = 180.0


def claim_op(subject: str, predicate: str, claim: str) -> str:
    """The update operation recording ``subject predicate claim`` in the lock graph, stamped with the
    server's time (the commit lock, and a new source's name, are claimed this way)."""
    lg = LOCK_GRAPH.value
    return (f"INSERT {{ GRAPH <{lg}> {{ <{subject}> <{predicate}> <{claim}> . <{claim}> <{CLAIMED_AT.value}> ?now }} }} "
            f"WHERE {{ BIND(NOW() AS ?now) }}")


def unclaim_op(subject: str, predicate: str, claim: str) -> str:
    """The update operations withdrawing a claim made by ``claim_op``."""
    data, stamp = unclaim_parts(subject, predicate, claim)
    return f"{data};DELETE WHERE {{ GRAPH <{stamp.graph}> {{ <{stamp.subject}> ?p ?o }} }}"


def unclaim_parts(subject: str, predicate: str, claim: str) -> tuple[str, Deletion]:
    """``unclaim_op`` as its data operation and the claim's own triples to delete (``write_only``)."""
    lg = LOCK_GRAPH.value
    return f"DELETE DATA {{ GRAPH <{lg}> {{ <{subject}> <{predicate}> <{claim}> }} }}", Deletion(lg, claim)


def read_claims(backend: Any, subject: str, predicate: str, lapse: float) -> tuple[list[str], list[str]]:
    """The claims ``subject predicate ?claim`` in the lock graph: (live, lapsed), a claim lapsing
    ``lapse`` seconds after its last ``claimedAt`` (server clock; one without a time has lapsed).

    The ages are worked out here from the server's NOW(), read in the same query (date arithmetic
    is not in SPARQL 1.1: Virtuoso refuses it); this machine's clock plays no part."""
    rows = backend.query(
        f"SELECT ?c ?at (NOW() AS ?now) WHERE {{ GRAPH <{LOCK_GRAPH.value}> {{ <{subject}> <{predicate}> ?c "
        f"OPTIONAL {{ ?c <{CLAIMED_AT.value}> ?at }} }} }}", None, None)
    live, lapsed = [], []
    for r in rows:
        at, now = instant(r["at"]), instant(r["now"])
        fresh = at is not None and now is not None and (now - at).total_seconds() < lapse
        (live if fresh else lapsed).append(r["c"].value)
    return live, lapsed


class HeldLock:
    """The commit lock as held by one commit: the operation releasing it (None: nothing to release),
    to end the commit's own update with."""

    def __init__(self, release: str | None, claim: str | None = None):
        self.release = release
        self.claim = claim
        self.since = time.monotonic()
        self.sent = False  # the release went with a commit's update

    def ops(self) -> list[str]:
        """The release operation, to append to the commit's update ([] for the embedded store)."""
        return [self.release] if self.release else []

    def write_only_ops(self) -> tuple[list[str], list[Deletion]]:
        """``ops()`` as data operations and deletions (``write_only.update``)."""
        if self.claim is None:
            return [], []
        data, stamp = unclaim_parts(LOCK_NODE.value, CLAIM.value, self.claim)
        return [data], [stamp]

    def released(self) -> None:
        """The commit's update carrying ``ops()`` went through: nothing left to release."""
        self.sent = True

    def check_lease(self) -> None:
        """Refuse to send a commit if preparing it took so long that the lock claim may have expired."""
        if self.release is not None and time.monotonic() - self.since > COMMIT_LEASE / 2:
            raise ConflictError("preparing the commit took too long to be sure of the commit lock; nothing was changed")


class NullCommitLock:
    """The embedded store's commit lock: the store's write lock (held by every writer) is enough."""

    @contextlib.contextmanager
    def hold(self) -> Iterator[HeldLock]:
        yield HeldLock(None)


class SharedCommitLock:
    """The commit lock on a shared SPARQL server, claimed in its lock graph (see the module doc)."""

    def __init__(self, backend: Any):
        self.backend = backend

    @contextlib.contextmanager
    def hold(self) -> Iterator[HeldLock]:
        claim = self._acquire()
        held = HeldLock(unclaim_op(LOCK_NODE.value, CLAIM.value, claim), claim)
        try:
            yield held
        finally:
            if not held.sent:  # a commit that went through released it in its own update
                try:
                    self.backend.update(held.release)
                except StoreError:
                    pass  # the server is away: the claim expires after COMMIT_LEASE

    def _acquire(self) -> str:
        b, node, pred = self.backend, LOCK_NODE.value, CLAIM.value
        deadline = time.monotonic() + COMMIT_LOCK_WAIT
        pause = 0.005
        while True:
            claim = str(GG[f"claim:{uuid.uuid4().hex}"])
            b.update(claim_op(node, pred, claim))
            live, stale = read_claims(b, node, pred, COMMIT_LEASE)
            live, stale = [c for c in live if c != claim], [c for c in stale if c != claim]
            if stale:  # left by writers that crashed holding the lock
                b.update(";".join(unclaim_op(node, pred, c) for c in stale))
            if not live:
                return claim
            b.update(unclaim_op(node, pred, claim))
            if time.monotonic() > deadline:
                raise ConflictError(f"another govgraph process has held the store's commit lock for over "
                                    f"{COMMIT_LOCK_WAIT:g} s; nothing was changed, try again")
            time.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.5)
