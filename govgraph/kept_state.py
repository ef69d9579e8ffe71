"""Derived state kept on disk beside an embedded store, per revision, so a restart need not rebuild it.

A live view (``govgraph.live``) that names a ``key`` (what its state depends on besides the store:
the code's version, the rules' files) is written, after it is built and at most every
``SAVE_EVERY`` seconds after it is applied (``SAVE_EVERY_BUSY`` while commits keep coming), to ``<store folder>/govgraph-derived/<view>.pickle``
by a background thread (pickled in a forked child process where it can be: ``FORK``). After a restart the memo reads it before building: a state whose store
fingerprint, key and revision match is used as it is; one kept at an earlier revision of the same
store is brought up to date by applying the changes since (as any kept state is), so the first
page of a large store does not wait for a whole build.

A file is never used unless it names this store, this view, this key and a revision this store
has with the same change record (the record's IRI and time: a store recreated with as many commits
is another store); a file that does not match, is corrupt, or names anything but a few standard
types and the classes the views register (``keep_classes``: the unpickler makes nothing else, so
no function is ever called) is ignored and the view built afresh.
Files are written to a temporary name and renamed, readable by the owner only. A view may keep its
state as plain data instead (``LiveView.dump`` / ``undump``: the lineage graph), made into objects by
its own code after checking their shape; the search index keeps its id lists as machine integers.

A view may also keep a summary (``LiveView.summary``: the search index's kind counts, the asset scores)
in ``<view>.summary.pickle``, written after its state, and at once (at most every ``SUMMARY_EVERY`` s)
after an application whose state is not itself written: after a restart a page that needs only that
(the dashboard) reads it instead of the state, when it names this store at its current revision and
has the summary's shape (``summary_ok``); otherwise the state is read. ``kept_revision`` reads a file's
header only (a page may then wait for a state kept for the current revision rather than say it is
being made).
"""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from govgraph import __version__
from govgraph.audit import read_history
from govgraph.store import Store

log = logging.getLogger(__name__)

#: The layout of a kept file (changed when what is pickled changes shape).
FORMAT = 1
#: The folder, inside the store's own folder, holding kept states.
FOLDER = "govgraph-derived"
#: The name part of a view's kept summary (``<view>.summary.pickle``, ``LiveView.summary``).
SUMMARY = ".summary"
#: Least seconds between two saves of an applied (not built) state of one view.
SAVE_EVERY = 30.0
#: The same while commits keep coming (the view applied one within BUSY seconds before): each save forks a child,
#: and while it lives this process copies every page it writes to; under a stream of 20 OpenLineage events/s at
#: 100k datasets with ``--hide-sensitive``, saving every 30 s put page p95 at 417 ms, not saving at 183 ms. After a
#: restart the commits since the state kept are applied from the history, as after any restart (``live.steps``).
SAVE_EVERY_BUSY = 120.0
BUSY = 1.0
#: Least seconds between two saves of the summary of an applied state not itself saved (``LiveView.summary``).
SUMMARY_EVERY = 1.0
#: Seconds a state due to be written waits for the others applied in the same round, so that one child process
#: writes them all (``DiskKeeper._save_forked``).
BATCH_WAIT = 0.25
#: Seconds to try for every due state's lock at once before they are written one by one instead.
LOCKS_WAIT = 5.0
#: Pickle a state in a forked child process rather than a thread: pickling holds the interpreter lock throughout
#: (the 100k search index: about 4 s in which no page is answered); a fork takes a copy-on-write snapshot in a
#: few tens of ms and the child pickles on another core. Where there is no fork (Windows) or it is not safe
#: (macOS), a thread.
FORK = hasattr(os, "fork") and sys.platform.startswith("linux")

#: What the unpickler may make, as (module, name): these standard types and the classes of kept states
#: (each view's module names its own with ``keep_classes``). Nothing else, no function, no dotted name.
_ALLOWED = {("builtins", n) for n in ("set", "frozenset", "dict", "list", "tuple", "str", "int", "float",
                                       "bool", "bytes")} | \
           {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"),
            ("collections", "defaultdict"), ("collections", "OrderedDict")}


def keep_classes(*classes: type) -> None:
    """Allow the unpickler to make ``classes`` (plain data classes whose making has no effect)."""
    _ALLOWED.update((c.__module__, c.__qualname__) for c in classes)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED and "." not in name:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a kept-state class")


def folder_of(store: Store) -> Path | None:
    """Where ``store`` keeps derived state: inside its folder, for an embedded store on disk (None otherwise)."""
    b = store.backend
    path = getattr(b, "path", None)
    if not b.capabilities.on_disk or b.capabilities.shared or path is None:
        return None
    return Path(path) / FOLDER


def fingerprint(store: Store, revision: int) -> tuple[str, str] | None:
    """What names ``revision`` of ``store``: the IRI and time of its change record (None: no record)."""
    for r in read_history(store.backend, revision - 1, revision):  # that record only, not the whole history
        if r.revision == revision:
            return r.iri, r.at.isoformat()
    return None


_one_child = threading.Lock()  # held while a child writes kept states (``DiskKeeper._save_forked``)


def _all_of(locks: list[threading.Lock], blocking: bool) -> bool:
    """Take every one of ``locks`` together (True), or none of them within ``LOCKS_WAIT`` s (False): a lock held by a
    thread that waits for another of them is let go and asked again. ``blocking``: wait for each (one state)."""
    end = time.monotonic() + LOCKS_WAIT
    while True:
        held = [lk for lk in locks if lk.acquire(blocking=blocking)]
        if len(held) == len(locks):
            return True
        for lk in held:
            lk.release()
        if time.monotonic() > end:
            return False
        time.sleep(0.02)


class DiskKeeper:
    """Reads and writes the kept states of one store's views."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.saving: set[str] = set()
        self.saved_at: dict[str, float] = {}
        self.summary_at: dict[str, float] = {}
        self.applied_at: dict[str, float] = {}
        self.lock = threading.Lock()
        self._due: dict[str, tuple] = {}  # states waiting to be written together (``_save_due``)

    def _file(self, name: str, part: str = "") -> Path:
        return self.folder / f"{name}{part}.pickle"

    def _head(self, f, store: Store, name: str, key: str) -> int | None:
        """The revision a kept file's header names, if the file is this store's (its change record at that
        revision), of view ``name`` with ``key``, at a revision the store has; else None."""
        head = _Unpickler(f).load()
        if not (isinstance(head, tuple) and len(head) == 5 and head[:3] == (FORMAT, name, key)):
            return None
        revision, print_ = head[3], head[4]
        if not isinstance(revision, int) or isinstance(revision, bool) or revision > store.revision \
                or print_ != fingerprint(store, revision):
            return None
        return revision

    def size(self, name: str) -> int | None:
        """The size of the file keeping view ``name`` (None: none)."""
        try:
            return self._file(name).stat().st_size
        except OSError:
            return None

    def kept_revision(self, store: Store, name: str, key: str) -> int | None:
        """The revision of the state kept for view ``name`` (its header only is read: no state is made), or None
        if there is none that ``load`` would take."""
        try:
            with open(self._file(name), "rb") as f:
                return self._head(f, store, name, key)
        except FileNotFoundError:
            return None
        except Exception as e:  # corrupt or foreign: load would ignore it too
            log.warning("ignoring kept state %s: %s", self._file(name), e)
            return None

    def load_summary(self, store: Store, name: str, key: str) -> Any:
        """The summary kept for view ``name`` (``LiveView.summary``) if it is for the store's current revision;
        else None. Checked as ``load`` checks a state; the caller checks the summary's own shape."""
        try:
            with open(self._file(name, SUMMARY), "rb") as f:
                if self._head(f, store, name, key) != store.revision:
                    return None
                return _Unpickler(f).load()
        except FileNotFoundError:
            return None
        except Exception as e:
            log.warning("ignoring kept summary %s: %s", self._file(name, SUMMARY), e)
            return None

    def load(self, store: Store, name: str, key: str, undump: Callable[[Any, Store], Any] | None = None
             ) -> tuple[int, Any] | None:
        """The kept (revision, state) of view ``name`` if it is this store's, at a revision it has, with ``key``
        (``undump(data, store)``, if given, makes the state from what was kept: ``LiveView.dump``)."""
        path = self._file(name)
        collecting = gc.isenabled()
        gc.disable()  # unpickling makes millions of objects: cyclic collections in between tripled the time
        try:
            with open(path, "rb") as f:
                revision = self._head(f, store, name, key)
                if revision is None:
                    return None
                state = _Unpickler(f).load()
                if undump is not None:
                    state = undump(state, store)
        except FileNotFoundError:
            return None
        except Exception as e:  # corrupt, truncated or foreign: built afresh
            log.warning("ignoring kept state %s: %s", path, e)
            return None
        finally:
            if collecting:
                gc.freeze()  # long-lived: kept out of later collections (which would walk them all again)
                gc.enable()
        self.saved_at[name] = time.monotonic()
        return revision, state

    def save_later(self, store: Store, name: str, key: str, revision: int, state: Any, built: bool,
                   lock: threading.Lock | None, dump: Callable[[Any], Any] | None = None,
                   summary: Callable[[Any], Any] | None = None) -> None:
        """Write ``state`` in the background (after a build; after an application at most every SAVE_EVERY s).
        ``lock``, if given, is held while pickling (what changes parts of the state in place holds it);
        ``dump``, if given, makes what is written from the state (plain data: ``LiveView.dump``); ``summary``, if
        given, what is written beside it for pages that need only that (``LiveView.summary``)."""
        now = time.monotonic()
        with self.lock:
            busy = now - self.applied_at.get(name, float("-inf")) < BUSY
            self.applied_at[name] = now
            every = SAVE_EVERY_BUSY if busy else SAVE_EVERY
            if name in self.saving or (not built and now - self.saved_at.get(name, 0.0) < every):
                small = summary is not None and now - self.summary_at.get(name, 0.0) >= SUMMARY_EVERY
                if small:
                    self.summary_at[name] = now
            else:
                small = None
                self.saving.add(name)
                self.saved_at[name] = now
        if small is not None:  # the state is not written now: its summary is (small, made here, under the view's lock)
            if small:
                self.keep_summary(store, name, key, revision, summary(state))
            return
        head = (FORMAT, name, key, revision, fingerprint(store, revision))
        with self.lock:
            self._due[name] = (head, state, lock, dump, summary)
            first = len(self._due) == 1
        if first:  # the other views applied in the same round join it (``_save_due``)
            threading.Thread(target=self._save_due, daemon=True, name="govgraph-keep").start()

    def _save_due(self) -> None:
        """Write the states due, together: after BATCH_WAIT, in one child process (``FORK``) or one after another."""
        time.sleep(BATCH_WAIT)
        with self.lock:
            due, self._due = self._due, {}
        try:
            if not (FORK and self._save_forked(due)):
                for name, item in due.items():  # one by one, each under its own lock
                    head, state, lock, dump, summary = item
                    try:
                        if FORK:
                            self._save_forked({name: item}, blocking=True)
                            continue
                        with lock or contextlib.nullcontext():
                            data, small = _pickled(state, dump, summary)
                        self._write_both(name, head, data, small)
                    except Exception as e:  # a state not kept is built again after a restart: never an error for a page
                        log.warning("could not keep the %s view: %s", name, e)
        finally:
            with self.lock:
                self.saving.difference_update(due)

    def _save_forked(self, due: dict[str, tuple], blocking: bool = False) -> bool:
        """Pickle and write ``due`` in one child process (``FORK``): a copy of this moment's memory, taken under
        every state's lock (so each state is consistent) and this process's interpreter is not held while they are
        pickled. One child for all: while a child lives, each page of memory this process writes to (a reference
        count is enough) is copied first, which held pages at 100k for a second and more when four views were
        written by four children every 30 s under a stream. False (nothing written) if the locks could not be had
        together within LOCKS_WAIT s (a lock is held by a thread that waits for another of them); ``blocking``:
        wait for them (one state: one lock)."""
        locks = list({id(d[2]): d[2] for d in due.values() if d[2] is not None}.values())
        with _one_child:  # one child at a time for every store (a redacted copy keeps its views too); taken before
            if not _all_of(locks, blocking):  # the views' locks, so none is held while another child runs
                return False
            try:
                pid = os.fork()
                if pid == 0:  # the child: writes the files and exits at once, whatever happens
                    code = 0
                    try:
                        with contextlib.suppress(OSError):  # the server's threads first: on two cores a child
                            os.nice(19)  # pickling for seconds took one
                        for name, (head, state, _, dump, summary) in due.items():
                            try:
                                self._write_both(name, head, *_pickled(state, dump, summary))
                            except BaseException as e:  # noqa: BLE001 - reported by the parent from the exit code
                                code = 1
                                with contextlib.suppress(Exception):
                                    os.write(2, f"govgraph: could not keep the {name} view: {e}\n".encode())
                    finally:
                        os._exit(code)
            finally:
                for lk in locks:
                    lk.release()
            _, status = os.waitpid(pid, 0)
        if status != 0:
            log.warning("could not keep every one of the %s views: the process writing them ended with status %d",
                        ", ".join(sorted(due)), status)
        return True

    def _write_both(self, name: str, head: tuple, data: bytes, small: bytes | None) -> None:
        self._write(name, "", head, data)
        if small is not None:  # after the state: a summary never names a revision whose state is not kept
            self._write(name, SUMMARY, head, small)

    def keep_summary(self, store: Store, name: str, key: str, revision: int, summary: Any) -> None:
        """Write the summary of a state (one read from disk without it, or applied and not itself written)."""
        try:
            self._write(name, SUMMARY, (FORMAT, name, key, revision, fingerprint(store, revision)),
                        pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as e:  # noqa: BLE001 - a summary not kept only means the state is read after a restart
            log.warning("could not keep the %s summary: %s", name, e)

    def _write(self, name: str, part: str, head: tuple, data: bytes) -> None:
        """Write a kept file: its header, then ``data``; to a temporary name, renamed; readable by the owner only."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        tmp = self.folder / f".{name}{part}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL))
            f.write(data)
        os.replace(tmp, self._file(name, part))

    def idle(self, seconds: float = 30.0) -> bool:
        """Wait (bounded) until no save is in flight; whether none is."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with self.lock:
                if not self.saving:
                    return True
            time.sleep(0.01)
        return False


def _pickled(state: Any, dump: Callable[[Any], Any] | None, summary: Callable[[Any], Any] | None) -> tuple[bytes, bytes | None]:
    """A state as written (``dump``: as plain data) and its summary, pickled."""
    data = pickle.dumps(state if dump is None else dump(state), protocol=pickle.HIGHEST_PROTOCOL)
    return data, None if summary is None else pickle.dumps(summary(state), protocol=pickle.HIGHEST_PROTOCOL)


def keeper_for(store: Store) -> DiskKeeper | None:
    folder = folder_of(store)
    return None if folder is None else DiskKeeper(folder)


def code_key(*parts: str) -> Callable[[], str]:
    """A view key: govgraph's version and ``parts`` (say, a digest of the rules a view applies)."""
    return lambda: "|".join((__version__, *parts))


__all__ = ["DiskKeeper", "FOLDER", "FORMAT", "SAVE_EVERY", "SAVE_EVERY_BUSY", "SUMMARY", "SUMMARY_EVERY", "code_key", "fingerprint",
           "folder_of", "keep_classes",
           "keeper_for"]
