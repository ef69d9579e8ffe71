"""Scratch folders a process keeps beside a store (query snapshots, derived copies), and the sweep
of those a dead process left.

A process that stops without cleaning up (kill -9, a crash, power loss) leaves its folders behind,
and with them hard links pinning deleted database files (1.6 GB after one crash of ``serve``).
Each folder holds a lock file that its owner keeps locked (``fcntl.flock``) for as long as it
lives; the kernel releases the lock when the process ends, however it ends. So a folder whose lock
can be taken belongs to a dead process and is removed; one whose lock is held is never touched.
A folder is made under a "starting" name and renamed to its final name only once locked, so a
sweep never finds a live process's folder unlocked.

Only the standard library is imported: the query workers' module uses this too.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time

#: The kinds of scratch folder (name prefixes); each is swept the same way.
PREFIXES = (".govgraph-snapshots-", ".govgraph-copies-")
_STARTING = ".govgraph-starting-"
LOCK_NAME = ".owner.lock"
#: Seconds after which a folder with no lock file (made by a version without one, or stopped
#: between making and locking it) counts as left behind.
UNLOCKED_MAX_AGE = 60.0


class ScratchDir:
    """A private folder in ``parent`` named ``prefix`` + a random part, locked while this process lives.

    Making one first sweeps ``parent`` of folders dead processes left (``sweep``).
    """

    def __init__(self, parent: str, prefix: str):
        if prefix not in PREFIXES:
            raise ValueError(f"unknown scratch folder kind {prefix!r}")
        sweep(parent)
        starting = tempfile.mkdtemp(prefix=_STARTING, dir=parent)
        self._fd: int | None = os.open(os.path.join(starting, LOCK_NAME), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self.path = os.path.join(parent, prefix + os.path.basename(starting)[len(_STARTING):])
        os.rename(starting, self.path)  # the lock is on the file, which keeps it through the rename

    def close(self) -> None:
        """Remove the folder and give up the lock (idempotent)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sweep(parent: str | os.PathLike) -> list[str]:
    """Remove the scratch folders in ``parent`` that no live process holds; returns their paths."""
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    removed = []
    for name in names:
        if name.startswith(PREFIXES) or name.startswith(_STARTING):
            path = os.path.join(parent, name)
            # a folder under its starting name may be between its making and its locking: left only once old
            if _abandoned(path) and (not name.startswith(_STARTING) or _age(path) > UNLOCKED_MAX_AGE):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _age(path: str) -> float:
    """Seconds since the folder ``path`` was last changed (0 if it is gone)."""
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def _abandoned(path: str) -> bool:
    """Whether no live process holds the folder ``path``."""
    try:
        fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR)
    except FileNotFoundError:  # no lock file: being made right now, or left behind
        return _age(path) > UNLOCKED_MAX_AGE
    except OSError:
        return False  # not ours to judge (permissions): leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its owner is alive
    except OSError:
        return False
    finally:
        os.close(fd)  # also releases the lock if it was taken
    return True


__all__ = ["PREFIXES", "ScratchDir", "sweep"]
