"""Live derived views: state derived from the store that follows each commit's change.

Every commit leaves its added and removed triples beside the store (the history keeps them:
``ChangeRecord`` and its difference graphs), so a view derived from the whole estate (the
search index, the kept validation report, the lineage graph ...) need not be thrown away
by every write. A ``LiveView`` says how to ``build`` its state from the store and how to
``apply`` a change to a state built earlier; the ``Memo`` kept on each store holds one state
per view, with the revision it is exact for.

Asking for a view at a later revision reads the changes of the commits in between (one
``Change``: their added and removed quads together) and applies them; a view's ``apply``
re-reads from the store, as it is now, whatever the change touched (for instance the
subjects of the changed triples), so several commits can be applied as one. When the
changes are larger than the view's ``threshold`` or not all known (the audit graph was
written behind this process's back, or a record names no kept triples), the view is built
afresh instead, as it is when ``apply`` declines (returns None).

States are never changed in place: ``apply`` returns a new state (sharing what did not
change), so a reader holding the previous one keeps a consistent answer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, TypeVar

import pyoxigraph as ox

from govgraph import kept_state
from govgraph.store import ChangeRecord, Store, diff_graph, source_graph_iri

S = TypeVar("S")

#: Most changed triples applied to a view before building it afresh instead. Measured at 10k
#: datasets (480k triples) on a shared 2-core machine: applying a one-dataset write costs the
#: search index 19 ms and the validation report 38 ms against builds of 7-14 s and 12-18 s; the
#: validation scope is capped anyway (``shapes.engine.MAX_SCOPE``, 2,000 nodes: past it the view
#: rebuilds). 5,000 triples is a cautious bound not yet calibrated per triple
#: (tests/bench/bench_live.py is where to measure it).
DEFAULT_THRESHOLD = 5_000


@dataclass(frozen=True)
class Change:
    """What one or more consecutive commits changed: the quads they added and removed.

    ``revisions`` are the commits merged in it, oldest first. A triple may be both added and
    removed (added by one commit, removed by a later one): views re-read what it touches.
    """
    revisions: tuple[int, ...]
    added: frozenset[ox.Quad]
    removed: frozenset[ox.Quad]

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)

    @property
    def quads(self) -> Iterable[ox.Quad]:
        yield from self.added
        yield from self.removed

    @property
    def subjects(self) -> set[str]:
        """The IRIs of the changed triples' subjects."""
        return {q.subject.value for q in self.quads if isinstance(q.subject, ox.NamedNode)}

    @property
    def blank_subjects(self) -> bool:
        """Whether a changed triple's subject is a blank node (views keyed on IRIs rebuild then)."""
        return any(not isinstance(q.subject, ox.NamedNode) for q in self.quads)

    @property
    def objects(self) -> set[str]:
        """The IRIs of the changed triples' objects."""
        return {q.object.value for q in self.quads if isinstance(q.object, ox.NamedNode)}


def _record_graphs(rec: ChangeRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The graphs holding what ``rec`` added and what it removed."""
    if rec.action == "remove":
        return (), rec.removed_graphs
    added = (diff_graph(rec.revision, "added"),)
    if rec.action == "load":  # a load keeps no difference: it added its source graph (a patch's load does)
        added += (source_graph_iri(rec.source),)
    return added, rec.removed_graphs


def changes(store: Store, since: int, until: int, limit: int) -> Change | None:
    """The change from revision ``since`` to ``until``, or None if it is not all known or holds more
    than ``limit`` quads."""
    if until <= since:
        return Change((), frozenset(), frozenset())
    records = {r.revision: r for r in store.history() if since < r.revision <= until}
    if len(records) != until - since:
        return None  # a commit without a record: nothing to apply it from
    added: set[ox.Quad] = set()
    removed: set[ox.Quad] = set()
    for rev in sorted(records):
        adds, rems = _record_graphs(records[rev])
        for graphs, into in ((adds, added), (rems, removed)):
            for g in graphs:
                for q in store.quads(None, None, None, ox.NamedNode(g)):
                    into.add(q)
                    if len(added) + len(removed) > limit:
                        return None
    return Change(tuple(sorted(records)), frozenset(added), frozenset(removed))


@dataclass
class LiveView(Generic[S]):
    """A view derived from a store: ``build(store)`` makes it; ``apply(state, store, change)`` brings a
    state up to date with a change (returning a new state, or None to have it built afresh)."""
    name: str
    build: Callable[[Store], S]
    apply: Callable[[S, Store, Change], S | None] | None = None
    threshold: int = DEFAULT_THRESHOLD
    #: what the state depends on besides the store (code, rules); set: kept on disk beside an embedded
    #: store and read after a restart (``govgraph.kept_state``)
    key: Callable[[], str] | None = None
    #: whether ``apply`` changes parts of the state it was given (then a state is written to disk under
    #: the view's lock, holding back the next application meanwhile); otherwise written without it
    changes_in_place: bool = False
    #: how a state is kept on disk, if not as it is: ``dump(state)`` makes plain data (dicts, lists, strings ...)
    #: and ``undump(data, store)`` the state again (``govgraph.kept_state``)
    dump: Callable[[S], Any] | None = None
    undump: Callable[[Any, Store], S] | None = None
    #: held while a state is written to disk, if its readers change parts of it in place under a lock of their own
    save_lock: threading.Lock | None = None


@dataclass
class _Kept:
    revision: int
    state: Any


@dataclass
class Stats:
    """How each view's states were made (for tests and the benchmark)."""
    built: int = 0
    applied: int = 0
    loaded: int = 0  # read from disk (govgraph.kept_state)


@dataclass
class Memo:
    """The derived views of one store, each kept with the revision it is exact for."""
    kept: dict[str, _Kept] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    stats: dict[str, Stats] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    disk: kept_state.DiskKeeper | None = None

    def _lock_for(self, name: str) -> threading.Lock:
        with self.lock:
            return self.locks.setdefault(name, threading.Lock())

    def peek(self, name: str) -> tuple[int, Any] | None:
        """The kept state of a view and its revision, without bringing it up to date."""
        k = self.kept.get(name)
        return None if k is None else (k.revision, k.state)

    def get(self, store: Store, view: LiveView[S]) -> S:
        rev = store.revision
        k = self.kept.get(view.name)
        if k is not None and k.revision == rev:
            return k.state
        with self._lock_for(view.name):
            k = self.kept.get(view.name)
            rev = store.revision
            if k is not None and k.revision == rev:
                return k.state
            stats = self.stats.setdefault(view.name, Stats())
            if k is None and self.disk is not None and view.key is not None:
                got = self.disk.load(store, view.name, view.key(), view.undump)  # kept before a restart
                if got is not None:
                    k = _Kept(*got)
                    stats.loaded += 1
                    if k.revision == rev:
                        self.kept[view.name] = k
                        return k.state
            state = None
            if k is not None and k.revision < rev and view.apply is not None:
                change = changes(store, k.revision, rev, view.threshold)
                if change is not None:
                    state = view.apply(k.state, store, change)
            built = state is None
            if built:
                state = view.build(store)
                stats.built += 1
            else:
                stats.applied += 1
            self.kept[view.name] = _Kept(rev, state)
            if self.disk is not None and view.key is not None:
                self.disk.save_later(store, view.name, view.key(), rev, state, built,
                                     view.save_lock or (self._lock_for(view.name) if view.changes_in_place else None),
                                     view.dump)
            return state

    def forget(self, name: str | None = None) -> None:
        """Drop one kept view (or all): the next request builds it afresh."""
        with self.lock:
            if name is None:
                self.kept.clear()
            else:
                self.kept.pop(name, None)


_memo_lock = threading.Lock()


def memo(store: Store) -> Memo:
    """The memo of derived views kept on ``store``."""
    m = store.memo
    if m is None:
        with _memo_lock:
            m = store.memo
            if m is None:
                m = store.memo = Memo(disk=kept_state.keeper_for(store))
    return m


def view(store: Store, v: LiveView[S]) -> S:
    """The state of view ``v`` for ``store`` at its current revision (applied or built as needed)."""
    return memo(store).get(store, v)


__all__ = ["Change", "LiveView", "Memo", "Stats", "changes", "memo", "view", "DEFAULT_THRESHOLD"]
