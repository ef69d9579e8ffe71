"""Readers' redacted copies kept on disk beside an embedded store, so that a restart reopens a copy and follows
the commits made since instead of redacting the estate again (about 70 s at 100k datasets).

A copy of an embedded store on disk is an embedded store itself, in ``<kept folder>/redacted/<digest>``
(``kept_state.folder_of``); the digest names the redaction it was made with (``Redaction.digest``: what is hidden,
described as hidden and renamed, the blank-node clearance and the store's placeholder key, ``redaction.secret_for``),
so a copy is reopened only under that same redaction. Beside it, ``marker.json`` says which revision of the store
the copy is exact for, with that revision's change record (``kept_state.fingerprint``: a store folder replaced by
another estate's does not match). The marker is written once the copy is made and after it follows commits (at most
every ``MARK_EVERY`` seconds); a copy cut off half-way, or marked before its last commits, is followed again from
its marker (following a source makes it say what a fresh redaction says, whatever the copy held), and one without a
marker is made afresh. Its own views (its search index ...) are kept on disk beside it as any embedded store's are.

At most ``KEPT`` copies stay on disk: the least recently marked are removed when a new one is made. A copy folder
open in this process is never removed or opened twice (the caller then makes the copy in memory).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import weakref
from pathlib import Path

from govgraph import kept_state
from govgraph.redaction import Redaction, copy_derivation, redacted_revision
from govgraph.store import Store, open_store

log = logging.getLogger(__name__)

#: The folder of the copies, in the store's kept folder.
FOLDER = "redacted"
MARKER = "marker.json"
#: Most copies kept on disk per store (as many as ``access.VIEWS_KEPT`` copies are kept open).
KEPT = 4
#: Least seconds between two markers of a copy that follows commits (``mark``): a marker per commit cost each copy a
#: history read and a file written per OpenLineage event. A copy marked at an earlier revision than it holds is
#: followed again from there after a restart, which is exact (following a source makes it say what a fresh
#: redaction says), so a restart at most follows again the commits of the last ``MARK_EVERY`` seconds.
MARK_EVERY = 10.0
_marked: "weakref.WeakKeyDictionary[Store, float]" = weakref.WeakKeyDictionary()  # copy -> its last marker's time
_open: "weakref.WeakValueDictionary[str, Store]" = weakref.WeakValueDictionary()  # copy folder -> its open store
_lock = threading.Lock()


def _copies(store: Store) -> Path | None:
    folder = kept_state.folder_of(store)
    return None if folder is None else folder / FOLDER


def _folder(store: Store, r: Redaction) -> Path | None:
    base = _copies(store)
    return None if base is None else base / r.digest


def reopen(store: Store, r: Redaction) -> Store | None:
    """The copy of ``store`` kept on disk under ``r``, opened, exact for the revision its marker names (to be
    followed to the current one), or None: none kept, its marker missing or not this estate's, or it is open."""
    folder = _folder(store, r)
    if folder is None or not (folder / MARKER).is_file():
        return None
    try:
        marker = json.loads((folder / MARKER).read_text())
        revision, record = int(marker["revision"]), marker["record"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if revision > store.revision or list(kept_state.fingerprint(store, revision) or ()) != record:
        return None
    with _lock:
        if str(folder) in _open:
            return None
        try:
            copy = open_store(f"oxigraph:{folder}")
        except Exception as e:  # noqa: BLE001 - a copy that will not open is made afresh
            log.warning("could not reopen the redacted copy in %s (%s); it is made afresh", folder, e)
            return None
        _open[str(folder)] = copy
    copy.compacting = False
    copy.derivation = copy_derivation(store, revision, r)
    return copy


def discard(copy: Store) -> None:
    """Close a reopened copy that could not be followed (its folder may then be made afresh)."""
    with _lock:
        for folder, held in list(_open.items()):
            if held is copy:
                del _open[folder]
    copy.close()


def kept(store: Store, r: Redaction) -> bool:
    """Whether a copy of ``store`` under ``r`` is kept on disk with its marker (``reopen`` may still refuse it)."""
    folder = _folder(store, r)
    return folder is not None and (folder / MARKER).is_file()


def fresh(store: Store, r: Redaction) -> str | None:
    """Where to make a new copy of ``store`` under ``r`` (its folder emptied, the oldest copies beyond ``KEPT``
    removed), or None: ``store`` keeps nothing on disk, or that folder is open in this process (make it in memory)."""
    folder = _folder(store, r)
    if folder is None:
        return None
    with _lock:
        if str(folder) in _open:
            return None
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _sweep(folder.parent, keep=folder)
    return f"oxigraph:{folder}"


def made(store: Store, copy: Store) -> None:
    """A copy was made in a folder from ``fresh``: it is open here (not removed or opened again meanwhile)."""
    folder = _in_folder(store, copy)
    if folder is not None:
        copy.compacting = False
        with _lock:
            _open[str(folder)] = copy


def mark(store: Store, copy: Store, *, now: bool = False) -> None:
    """Record that ``copy`` (one kept on disk) is exact for the revision of ``store`` it was made or followed to:
    at once when ``now`` (a copy just made), else at most every ``MARK_EVERY`` seconds."""
    folder = _in_folder(store, copy)
    revision = redacted_revision(copy)
    if folder is None or revision is None:
        return
    at = time.monotonic()
    if not now and at - _marked.get(copy, float("-inf")) < MARK_EVERY:
        return
    record = kept_state.fingerprint(store, revision)
    if record is None:
        return
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps({"revision": revision, "record": list(record)}))
    os.replace(tmp, folder / MARKER)
    _marked[copy] = at


def _in_folder(store: Store, copy: Store) -> Path | None:
    base, path = _copies(store), getattr(copy.backend, "path", None)
    if base is None or path is None or Path(path).parent != base:
        return None
    return Path(path)


def _sweep(base: Path, keep: Path) -> None:
    """Remove the copies beyond ``KEPT`` least recently marked (``keep`` and those open here stay)."""
    def marked(p: Path) -> float:
        try:
            return (p / MARKER).stat().st_mtime
        except OSError:
            return 0.0
    others = sorted((p for p in base.iterdir() if p.is_dir() and p != keep and str(p) not in _open),
                    key=marked, reverse=True)
    for p in others[KEPT - 1:]:
        shutil.rmtree(p, ignore_errors=True)


__all__ = ["FOLDER", "KEPT", "MARKER", "discard", "fresh", "kept", "made", "mark", "reopen"]
