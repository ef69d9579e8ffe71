"""Claims on the name of a new source on a shared server, so one writer loads straight into the
source's (unregistered, so invisible) graph while others wait or stage their own copy.

Copying a staged graph into place on commit costs the server a transaction as large as the
source (37 s for 300,000 triples on Oxigraph server), hence the claim. The embedded store needs
none: one process writes it, under its write lock.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import pyoxigraph as ox

from govgraph.commit_lock import CLAIMED_AT, LOCK_GRAPH, claim_op, read_claims, unclaim_op, unclaim_parts
from govgraph.errors import ConflictError, StoreError
from govgraph.ontology.ns import GG
from govgraph.write_only import Deletion

#: A writer loading a new source on a shared server renews its claim on the name this often
#: (seconds) ...
CLAIM_RENEW = 5.0
#: ... and a claim not renewed for this many seconds (server clock) was left by a writer that
#: stopped: the next writer of that name drops what it loaded and takes the name over.
CLAIM_LAPSE = 30.0
PENDING = ox.NamedNode(str(GG["pendingLoad"]))

log = logging.getLogger(__name__)


class NameBusy(ConflictError):
    """Another writer's live claim holds the name of the new source being committed."""


class NameClaim:
    """A writer's claim on the name of a new source on a shared server (``claim_new_source``).

    While it is held, the writer loads straight into the source's graph and every other writer
    of that name stages its own copy instead. A thread renews it every CLAIM_RENEW seconds; a
    claim not renewed for CLAIM_LAPSE seconds (the writer stopped, or lost the server) may be
    taken over by the next writer, so ``check`` refuses to send more triples once this writer
    cannot be sure it still holds the name.
    """

    def __init__(self, backend: Any, target: ox.NamedNode, iri: str, name: str):
        self.backend, self.target, self.iri, self.name = backend, target, iri, name
        self.renewed = time.monotonic()  # when the last renewal that reached the server was sent
        self._stop = threading.Event()
        self._sending = threading.Lock()  # held while a renewal is on its way to the server
        self._thread = threading.Thread(target=self._renew, name="govgraph-claim", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        lg, at = LOCK_GRAPH.value, CLAIMED_AT.value
        renew = (f"DELETE {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?old }} }} "
                 f"INSERT {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?now }} }} "
                 f"WHERE {{ GRAPH <{lg}> {{ <{self.iri}> <{at}> ?old }} BIND(NOW() AS ?now) }}")
        b = self.backend
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
        return bool(self.backend.query(
            f"ASK {{ GRAPH <{LOCK_GRAPH.value}> {{ <{self.target.value}> <{PENDING.value}> <{self.iri}> }} }}",
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
        return unclaim_op(target.value, PENDING.value, claim)

    def withdraw_parts(self) -> tuple[str, Deletion]:
        """``withdraw`` of this claim as a data operation and the claim's own triples (``write_only``)."""
        return unclaim_parts(self.target.value, PENDING.value, self.iri)

    @staticmethod
    def make(target: ox.NamedNode) -> tuple[str, str]:
        """A new claim's IRI on ``target`` and the update operation making it."""
        claim = str(GG[f"load:{uuid.uuid4().hex}"])
        return claim, claim_op(target.value, PENDING.value, claim)


def load_claims(store: Any, target: ox.NamedNode) -> tuple[list[str], list[str]]:
    """Claims on the new source ``target``: (live, lapsed); none on the embedded store."""
    if not store.remote:
        return [], []
    return read_claims(store.backend, target.value, PENDING.value, CLAIM_LAPSE)


def claim_new_source(store: Any, target: ox.NamedNode, name: str) -> NameClaim | None:
    """On a shared server, claim the name of a source that does not exist yet, so this writer can
    load straight into its unregistered graph. The claim is renewed while the load runs.

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
        claim = _try_claim(store, target, name)
        if claim is not False:
            return claim
        if time.monotonic() > deadline:
            return None
        if not waited:
            waited = True
            log.warning("another writer is loading the new source %r: waiting for it (up to %g s)",
                        name, CLAIM_LAPSE + CLAIM_RENEW)
        time.sleep(0.5)  # outside the commit lock, so the other writer can commit


def _try_claim(store: Any, target: ox.NamedNode, name: str) -> NameClaim | None | bool:
    """One attempt of ``claim_new_source``: the claim, None (the source exists), or False
    (another writer's live claim holds the name)."""
    with store.commit_lock() as lock:
        store.forget()
        if target in store.graphs():
            return None
        live, lapsed = load_claims(store, target)
        if live:
            return False
        claim, op = NameClaim.make(target)
        ops = [NameClaim.withdraw(target, c) for c in lapsed]
        ops += [f"DROP SILENT GRAPH <{target.value}>",  # whatever a stopped load left there
                op]
        store.backend.update(";\n".join(ops + lock.ops()))
        lock.released()
    return NameClaim(store.backend, target, claim, name)


def sweep_unclaimed(store: Any, graphs: list[ox.NamedNode]) -> None:
    """Drop unregistered source graphs on a shared server that no live claim holds: a load of a
    new source that stopped before committing (see ``claim_new_source``) left them."""
    with store.commit_lock() as lock:
        store.forget()
        live = set(store.graphs())
        ops = []
        for g in graphs:
            claims, lapsed = load_claims(store, g)
            if g not in live and not claims:
                ops += [NameClaim.withdraw(g, c) for c in lapsed] + [f"DROP SILENT GRAPH <{g.value}>"]
        if ops:
            store.backend.update(";\n".join(ops + lock.ops()))
            lock.released()
