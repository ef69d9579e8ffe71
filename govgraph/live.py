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
changes are larger than the view's ``threshold``, they are applied in runs of commits within it
(``steps``: at most ``MAX_STEPS``), so a view that fell behind catches up instead of being built
again and again; when a single commit is larger, or the changes are not all known (the audit
graph was written behind this process's back, or a record names no kept triples), the view is
built afresh instead, as it is when ``apply`` declines (returns None).

States are never changed in place: ``apply`` returns a new state (sharing what did not
change), so a reader holding the previous one keeps a consistent answer.

A served app sets ``Memo.follow``: after each commit a background thread (the follower) brings
every kept view up to date, several commits as one change when they come faster than it applies
them; and a request reading within ``reading_kept()`` (the pages and the JSON reads) is answered
from the state kept for the revision before while the follower is applying a later one, instead
of waiting for it (the write is visible once the follower is done: well within a second at 10k
datasets, ``tests/bench/bench_live.py``). Views asked for inside a view's ``build`` or ``apply``
are always exact for the current revision.

After a restart (views kept on disk: ``govgraph.kept_state``) a served app reads every kept view in a
background thread (``Memo.prefetch``: smallest first, each when no read is in flight), and a page that
needs only a view's summary (``Memo.summary``) is answered from the summary kept for the current revision
before the view itself is read.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, TypeVar

import pyoxigraph as ox

from govgraph import kept_state
from govgraph.audit import read_history
from govgraph.store import Store

S = TypeVar("S")
log = logging.getLogger(__name__)
_local = threading.local()  # kept_ok: this thread may read a kept state; computing: inside a build or apply

#: Most changed triples applied to a view at once before building it afresh instead (a backlog larger
#: than this is applied as runs of commits within it: ``steps``). Measured at 10k datasets (480k triples)
#: on a shared 2-core machine: applying a one-dataset write costs the search index 4-8 ms (2-9 ms at
#: 100k) and the validation report 1.5-20 ms against builds of 7-14 s and 12-18 s; the validation scope
#: is capped anyway (``shapes.engine.MAX_SCOPE``, 2,000 nodes: past it the view rebuilds). 5,000
#: triples is a cautious bound not yet calibrated per triple (tests/bench/bench_live.py measures it).
DEFAULT_THRESHOLD = 5_000
#: Most runs of commits, each within a view's threshold, applied one after another to bring it up to date
#: before building it afresh instead. A follower that fell behind (a stream of events while a view was
#: being built) would otherwise meet a change over the threshold, build again, and fall further behind
#: each time: at 20 events a second, rounds of 17 s, then 97 s (tests/bench/bench_live.py --stream).
MAX_STEPS = 16
#: Seconds a build takes past which what it made is moved out of the cyclic garbage collector's reach
#: (``_settle``): a served 100k estate with ``--hide-sensitive`` tracked 1.4 million objects, and each full
#: collection, which comes every few tens of seconds under a stream of writes, held every page for 1-2.5 s.
FREEZE_AFTER = 1.0
#: Seconds past which building a view afresh instead of applying a change is logged as a warning (what an
#: operator should know: a write that cost a rebuild).
SLOW_REBUILD = 1.0


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


def changes(store: Store, since: int, until: int, limit: int) -> Change | None:
    """The change from revision ``since`` to ``until``, or None if it is not all known or holds more
    than ``limit`` quads."""
    if until <= since:
        return Change((), frozenset(), frozenset())
    # the records of these commits only: the whole history grows with every commit (a stream of events)
    records = {r.revision: r for r in read_history(store.backend, since, until)}
    if len(records) != until - since:
        return None  # a commit without a record: nothing to apply it from
    added: set[ox.Quad] = set()
    removed: set[ox.Quad] = set()
    # counted as triples: the commit that made a source names its graph, which holds what later commits added too
    # (and their diff graphs do): counted twice, a restart after a stream rebuilt views (42-52 s at 100k)
    seen: set[tuple] = set()
    for rev in sorted(records):
        rec = records[rev]
        for graphs, into, side in ((rec.added_graphs, added, 1), (rec.removed_graphs, removed, 0)):
            for g in graphs:
                for q in store.quads(None, None, None, ox.NamedNode(g)):
                    into.add(q)
                    seen.add((side, q.subject, q.predicate, q.object))
                    if len(seen) > limit:
                        return None
    return Change(tuple(sorted(records)), frozenset(added), frozenset(removed))


def steps(store: Store, since: int, until: int, limit: int) -> list[int] | None:
    """Revisions cutting the commits from ``since`` to ``until`` into runs of at most ``limit`` changed
    triples each (as their change records count them), the last one ``until``; None if a commit alone
    holds more, a record is missing, or it takes more than MAX_STEPS runs."""
    records = read_history(store.backend, since, until)
    if len(records) != until - since:
        return None
    cuts: list[int] = []
    size = 0
    for r in records:
        n = r.added + r.removed
        if n > limit:
            return None
        if size + n > limit:
            cuts.append(r.revision - 1)
            size = 0
        size += n
    cuts.append(until)
    return cuts if len(cuts) <= MAX_STEPS else None


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
    #: brought up to date first by the follower (what readers wait for most: the redacted copies)
    follow_first: bool = False
    #: never answered from an earlier revision (what decides who may see what: a classification hides at once)
    exact: bool = False
    #: how a state is kept on disk, if not as it is: ``dump(state)`` makes plain data (dicts, lists, strings ...)
    #: and ``undump(data, store)`` the state again (``govgraph.kept_state``)
    dump: Callable[[S], Any] | None = None
    undump: Callable[[Any, Store], S] | None = None
    #: held while a state is written to disk, if its readers change parts of it in place under a lock of their own
    save_lock: threading.Lock | None = None
    #: what some pages need of a state, as small plain data (``summary(state)``; the search index: its kind
    #: counts), kept on disk beside it, so after a restart they answer before the state is read
    #: (``Memo.summary``); ``summary_ok(data)`` says whether data read back has the summary's shape
    summary: Callable[[S], Any] | None = None
    summary_ok: Callable[[Any], bool] | None = None
    #: whether a state exact for the current revision is still current (None: always): the validation report is
    #: not on a new day, as its checks read the date; a state that is not has an empty change applied to it
    current: Callable[[S], bool] | None = None

    def __post_init__(self) -> None:
        if self.key is not None:
            KEPT_VIEWS[self.name] = self


#: The views kept on disk (those with a ``key``), by name: what ``Memo.prefetch`` may read after a restart.
KEPT_VIEWS: dict[str, LiveView] = {}


@dataclass
class _Kept:
    revision: int
    state: Any
    view: Any = None  # the LiveView (for the follower)


@dataclass
class Stats:
    """How each view's states were made (for tests and the benchmark)."""
    built: int = 0
    applied: int = 0
    loaded: int = 0  # read from disk (govgraph.kept_state)
    seconds: float = 0.0  # how long the last application (or build) took: the follower does the quicker views first


@dataclass
class Memo:
    """The derived views of one store, each kept with the revision it is exact for."""
    kept: dict[str, _Kept] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    stats: dict[str, Stats] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    disk: kept_state.DiskKeeper | None = None
    #: bring the kept views up to date after each commit in a background thread (set by a served app)
    follow: bool = False
    #: a commit not yet applied by the follower (reads within ``reading_kept`` answer from what is kept)
    pending: threading.Event = field(default_factory=threading.Event)
    _follower: threading.Thread | None = None
    _prefetching: set[str] = field(default_factory=set)
    #: the revision up to which the follower has brought every kept view (``wait_applied``)
    applied: int = 0
    _applied_cv: threading.Condition = field(default_factory=threading.Condition)
    #: the changes last read: (since, until) -> (the limit it was read with, the change or None), shared by the
    #: views brought up to date together (a round of the follower reads each commit's quads once, not once per view)
    _changes: dict[tuple[int, int], tuple[int, Change | None]] = field(default_factory=dict)

    def change(self, store: Store, since: int, until: int, limit: int) -> Change | None:
        """``changes(store, since, until, limit)``, read once for the views that ask for the same revisions."""
        hit = self._changes.get((since, until))
        if hit is not None:
            asked, got = hit
            if got is not None:
                return got if len(got) <= limit else None
            if asked >= limit:
                return None  # more than a larger limit, or not all known
        got = changes(store, since, until, limit)
        if len(self._changes) >= 2 * MAX_STEPS:
            self._changes.clear()
        self._changes[(since, until)] = (limit, got)
        return got

    def _applied(self, store: Store, view: "LiveView[S]", state: S, since: int, until: int) -> tuple[S | None, str]:
        """``state`` (exact at ``since``) brought to ``until`` by applying the change or, if it holds more than
        the view's threshold, one run of commits within it after another (``steps``); None: to be built afresh
        (with why, in words)."""
        change = self.change(store, since, until, view.threshold)
        if change is not None:
            got = view.apply(state, store, change)
            return (got, "") if got is not None else (None, f"its apply declined a change of {len(change)} triples")
        cuts = steps(store, since, until, view.threshold)
        if cuts is None or len(cuts) == 1:
            return None, "the change is over its threshold or not all known"
        for cut in cuts:
            change = self.change(store, since, cut, view.threshold)
            got = None if change is None else view.apply(state, store, change)
            if got is None:
                return None, "a run of commits could not be applied"
            state, since = got, cut
        return state, ""

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
        if k is not None and k.revision == rev and _current(view, k.state):
            return k.state
        lock = self._lock_for(view.name)
        if k is not None and not view.exact and self.follow and _kept_ok_here():
            if k.revision == rev and not lock.locked():
                self.committed(store)  # exact but no longer current (a new day): the follower brings it up to date
            if self.pending.is_set() or lock.locked():
                return k.state  # the follower is bringing it up to date: answered from what is kept
        with lock:
            _local.computing = getattr(_local, "computing", 0) + 1
            try:
                return self._bring_up_to_date(store, view)
            finally:
                _local.computing -= 1

    def _bring_up_to_date(self, store: Store, view: LiveView[S]) -> S:
        k = self.kept.get(view.name)
        rev = store.revision
        if k is not None and k.revision == rev and _current(view, k.state):
            return k.state
        stats = self.stats.setdefault(view.name, Stats())
        if k is None and self.disk is not None and view.key is not None:
            got = self.disk.load(store, view.name, view.key(), view.undump)  # kept before a restart
            if got is not None:
                k = _Kept(*got)
                stats.loaded += 1
                if k.revision == rev and _current(view, k.state):
                    k.view = view
                    self.kept[view.name] = k
                    if view.summary is not None and view.summary_ok is not None \
                            and self.disk.load_summary(store, view.name, view.key()) is None:
                        self.disk.keep_summary(store, view.name, view.key(), rev, view.summary(k.state))
                    return k.state
        state, why = None, "no apply"
        started = time.monotonic()
        if k is not None and k.revision <= rev and view.apply is not None:
            state, why = self._applied(store, view, k.state, k.revision, rev)
        built = state is None
        if built:
            state = view.build(store)
            stats.built += 1
        else:
            stats.applied += 1
        stats.seconds = time.monotonic() - started
        if built and stats.seconds > FREEZE_AFTER:
            _settle()
        if built and k is not None and stats.seconds > SLOW_REBUILD:
            log.warning("the %s view was built afresh for revision %d (kept for %d; %s) in %.1f s", view.name, rev,
                        k.revision, why, stats.seconds)
        self.kept[view.name] = _Kept(rev, state, view)
        if self.disk is not None and view.key is not None:
            self.disk.save_later(store, view.name, view.key(), rev, state, built,
                                 view.save_lock or (self._lock_for(view.name) if view.changes_in_place else None),
                                 view.dump, view.summary)
        return state

    def kept_on_disk(self, store: Store, view: LiveView) -> bool:
        """Whether a state of ``view`` is kept on disk for the store's current revision (read, not built, when
        first asked for: a page may wait for it rather than say it is being made)."""
        return self.disk is not None and view.key is not None \
            and self.disk.kept_revision(store, view.name, view.key()) == store.revision

    def summary(self, store: Store, view: LiveView[S]) -> Any:
        """``view.summary`` of the view's state at the current revision; after a restart, before the state is read,
        the summary kept on disk for this revision (the state is then read in the background: ``prefetch``)."""
        if view.name not in self.kept and self.disk is not None and view.key is not None \
                and view.summary_ok is not None:
            data = self.disk.load_summary(store, view.name, view.key())
            if data is not None and view.summary_ok(data):
                self.prefetch(store, [view])
                return data
        return view.summary(self.get(store, view))

    def prefetch(self, store: Store, views: Iterable[LiveView] | None = None) -> None:
        """Read the kept states of ``views`` (None: every view kept on disk for this store) in a background thread,
        smallest file first, each when no read is in flight (a page asking for one meanwhile waits for it, or
        reads it itself), so pages after a restart find them read."""
        if self.disk is None:
            return
        with self.lock:
            todo = [v for v in (KEPT_VIEWS.values() if views is None else views)
                    if v.key is not None and v.name not in self.kept and v.name not in self._prefetching]
            self._prefetching.update(v.name for v in todo)
        if todo:
            threading.Thread(target=_prefetch, args=(weakref.ref(store), self, todo), daemon=True,
                             name="govgraph-live-prefetch").start()

    def committed(self, store: Store) -> None:
        """A commit was made to ``store`` by this process: the follower (if following) applies it."""
        if not self.follow:
            return
        self.pending.set()
        with self.lock:
            if self._follower is None or not self._follower.is_alive():
                self._follower = threading.Thread(target=_follow, args=(weakref.ref(store), self), daemon=True,
                                                  name="govgraph-live-follower")
                self._follower.start()

    def follow_once(self, store: Store, grace: float = 0.0) -> None:
        """Bring every kept view up to date (what the follower does after each commit; ``grace``: seconds it
        may wait in all, between views, for reads in flight to finish first, see ``READER_GRACE``)."""
        until = time.monotonic() + grace
        # those readers wait for first, then the quickest (as they took last time): a view that takes long to
        # apply (the search index) does not hold back the others' freshness, and the grace is checked more often
        cost = {n: s.seconds for n, s in self.stats.items()}
        for k in sorted(self.kept.values(), key=lambda k: (not (k.view is not None and k.view.follow_first),
                                                           cost.get(k.view.name if k.view else "", 0.0))):
            while _readers and time.monotonic() < until:
                time.sleep(0.002)
            if k.view is not None:
                try:
                    self.get(store, k.view)
                except Exception:  # noqa: BLE001 - a request asking for the view meets the error itself
                    log.exception("could not bring the %s view up to date", k.view.name)

    def mark_applied(self, revision: int) -> None:
        """Every kept view is up to date with ``revision`` (the follower, after a round)."""
        with self._applied_cv:
            if revision > self.applied:
                self.applied = revision
            self._applied_cv.notify_all()

    def wait_applied(self, store: Store, revision: int, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until the follower has brought every kept view of ``store`` up to date with
        ``revision``; whether it has (a write answered after this is seen by the reads its writer makes next)."""
        if not self.follow:
            return True
        with self._applied_cv:
            if self.applied >= revision:
                return True
        self.committed(store)  # the follower is on it (a commit of another process's has no follower running yet)
        with self._applied_cv:
            return self._applied_cv.wait_for(lambda: self.applied >= revision, timeout)

    def forget(self, name: str | None = None) -> None:
        """Drop one kept view (or all): the next request builds it afresh."""
        with self.lock:
            if name is None:
                self.kept.clear()
            else:
                self.kept.pop(name, None)


_memo_lock = threading.Lock()
#: Seconds the follower waits for a commit before it checks whether its store is still open.
FOLLOWER_IDLE = 30.0
#: Seconds the follower may wait, per round, for reads in flight (within ``reading_kept``) to finish before it
#: brings the next view up to date: they are answered from kept views meanwhile, but the follower's Python work
#: shares the interpreter lock with them, so a page read right after a write took twice its time.
READER_GRACE = 0.2
_readers = 0  # reads in flight within ``reading_kept`` (any store)
_readers_lock = threading.Lock()


def _follow(store_ref: "weakref.ref[Store]", m: Memo) -> None:
    """The follower: after each commit, every kept view brought up to date (commits made meanwhile are
    applied together in the next round); stops when its store is gone or no longer followed."""
    while m.follow:
        if not m.pending.wait(FOLLOWER_IDLE):
            if store_ref() is None:
                return
            _sweep_frozen()
            continue
        store = store_ref()
        if store is None:
            return
        rev = store.revision
        gc.collect(1)  # what requests left since the last round: young, small
        m.follow_once(store, READER_GRACE)
        gc.freeze()  # this round's new tables, before the writer is answered: no later collection walks them
        m.mark_applied(rev)
        _sweep_frozen()
        if store.revision == rev:  # else another round: commits came in meanwhile
            m.pending.clear()
            if store.revision != rev:
                m.pending.set()
        del store


#: Seconds a served write waits, before it is answered, for the follower to apply it (``Memo.wait_applied``): the
#: writer's next page then shows it and finds every view up to date (100k datasets: a round takes 26-62 ms); a
#: change that takes longer (a view built afresh) is answered after this, and shows when the follower is done.
WRITE_WAIT = 0.5
#: Seconds the prefetch waits for no read to be in flight before reading the next view anyway.
PREFETCH_WAIT = 30.0
#: Seconds after a restart before the prefetch reads anything: the first page asked for (often right away)
#: reads what it needs alone, not beside views read for later pages.
PREFETCH_DELAY = 1.0


def _prefetch(store_ref: "weakref.ref[Store]", m: Memo, views: list[LiveView]) -> None:
    time.sleep(PREFETCH_DELAY)
    store = store_ref()
    try:
        if store is None or m.disk is None:
            return
        sizes = {v.name: m.disk.size(v.name) for v in views}
        for v in sorted((v for v in views if sizes[v.name] is not None), key=lambda v: sizes[v.name]):
            _idle(PREFETCH_WAIT)
            try:
                m.get(store, v)
            except Exception:  # noqa: BLE001 - a request asking for the view meets the error itself
                log.exception("could not read the kept %s view", v.name)
    finally:
        with m.lock:
            m._prefetching.difference_update(v.name for v in views)


def _idle(seconds: float) -> bool:
    """Wait (bounded) until no read has been in flight for a moment; whether none is."""
    end = time.monotonic() + seconds
    quiet = 0
    while time.monotonic() < end:
        quiet = quiet + 1 if not _readers else 0
        if quiet >= 3:
            return True
        time.sleep(0.05)
    return False


def answering_from_kept(store: Store) -> bool:
    """Whether this thread may be answered from what is kept for ``store`` rather than wait: it reads within
    ``reading_kept``, outside any view's build or apply, and the follower has a commit of ``store`` to apply.
    (For derived state kept outside the memo, such as the redacted copies of ``govgraph.access``.)"""
    m = store.memo
    return bool(m is not None and m.follow and m.pending.is_set() and _kept_ok_here())


def _settle() -> None:
    """After a large build: young garbage collected, then every object now tracked frozen (``gc.freeze``: left out
    of later collections, as the states read from disk are, ``govgraph.kept_state``). Frozen objects are still freed
    when no longer referenced (states are trees of dicts, lists and tuples, not cycles).

    Each round of the follower does the same in the other order (``_follow``): young garbage collected before the
    round, what it made frozen after it. A round makes new tables as long as the estate (at 100k datasets the lineage
    graph's node and adjacency tables, 100,536 entries each, copied for each patch): left young, the next collection
    of generation 0 or 1 walked every entry, 10-34 ms, and that collection fell in the next page
    (``tests/bench/bench_live.py``); collected after the round, they were walked by the follower (16 ms a round at
    100k, in each follower). What a request holds when a round ends is frozen with them: ``_sweep_frozen``."""
    gc.collect(1)
    gc.freeze()


#: Seconds between sweeps of the frozen objects (``_sweep_frozen``): everything unfrozen, collected and frozen again.
#: A page leaves about 64 objects in reference cycles for the collector; those alive when a round of the follower
#: freezes are kept until the next sweep. A sweep is a full collection (about 1 s with 1.7 million objects at 100k),
#: made when no read has been in flight for a moment, or after twice this regardless.
SWEEP_FROZEN_EVERY = 900.0
_swept = [time.monotonic()]
_sweep_lock = threading.Lock()


def _sweep_frozen() -> bool:
    """Unfreeze, collect everything and freeze again when ``SWEEP_FROZEN_EVERY`` has passed since the last sweep
    (when no read is in flight, or at twice that regardless); whether it swept."""
    since = time.monotonic() - _swept[0]
    if since < SWEEP_FROZEN_EVERY or (since < 2 * SWEEP_FROZEN_EVERY and _readers):
        return False
    with _sweep_lock:
        if time.monotonic() - _swept[0] < SWEEP_FROZEN_EVERY:
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _swept[0] = time.monotonic()
    return True


def _current(view: LiveView[S], state: S) -> bool:
    """Whether a state exact for its revision is still current (``LiveView.current``)."""
    return view.current is None or view.current(state)


def _kept_ok_here() -> bool:
    """This thread reads within ``reading_kept``, outside any view's build or apply."""
    return getattr(_local, "kept_ok", False) and not getattr(_local, "computing", 0)


@contextlib.contextmanager
def reading_kept():
    """Within this, a view the follower is bringing up to date is answered from the state kept for an
    earlier revision instead of waiting (pages and reads; never inside a view's own build or apply)."""
    global _readers
    before = getattr(_local, "kept_ok", False)
    _local.kept_ok = True
    if not before:
        with _readers_lock:
            _readers += 1
    try:
        yield
    finally:
        _local.kept_ok = before
        if not before:
            with _readers_lock:
                _readers -= 1


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


__all__ = ["Change", "KEPT_VIEWS", "LiveView", "Memo", "Stats", "answering_from_kept", "changes", "memo",
           "reading_kept", "steps", "view", "DEFAULT_THRESHOLD", "MAX_STEPS", "WRITE_WAIT"]
