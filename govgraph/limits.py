"""Limits that keep a few costly requests from holding the server: admission to a kind of work
with a short, bounded wait (past it the caller is told to come back later instead of holding a
thread), and deadlines that costly work checks between its steps, so it stops for real.

Both raise ``govgraph.errors.Busy`` (``TimeLimitExceeded`` for a deadline); the web app answers
503 with ``Retry-After``.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Iterable, Iterator, TypeVar

from govgraph.errors import Busy, TimeLimitExceeded

T = TypeVar("T")


class Gate:
    """At most ``running`` holders at once; at most ``waiting`` more wait for a place, each for at
    most ``wait`` seconds; anyone else is refused at once (``Busy``).

    The number of threads one kind of work can hold is thus bounded by ``running + waiting``,
    whatever the number of requests.
    """

    def __init__(self, running: int, waiting: int, what: str):
        if running < 1 or waiting < 0:
            raise ValueError("a gate needs running >= 1 and waiting >= 0")
        self.running, self.waiting, self.what = running, waiting, what
        self._cond = threading.Condition()
        self._in = 0
        self._queued = 0
        self.refused = 0  # counter for monitoring and tests

    @contextlib.contextmanager
    def enter(self, wait: float | None) -> Iterator[None]:
        """Hold a place for the ``with`` block; ``Busy`` if none is free within ``wait`` seconds.

        ``wait`` None waits as long as it takes and is not counted against ``waiting`` (for
        callers outside a request: the command line, scripts).
        """
        self._acquire(wait)
        try:
            yield
        finally:
            with self._cond:
                self._in -= 1
                self._cond.notify()

    def _acquire(self, wait: float | None) -> None:
        with self._cond:
            if self._in < self.running:
                self._in += 1
                return
            if wait is None:
                self._cond.wait_for(lambda: self._in < self.running)
                self._in += 1
                return
            if self._queued >= self.waiting or wait <= 0:
                self.refused += 1
                raise self._busy(wait)
            self._queued += 1
            try:
                ok = self._cond.wait_for(lambda: self._in < self.running, timeout=wait)
            finally:
                self._queued -= 1
            if not ok:
                self.refused += 1
                raise self._busy(wait)
            self._in += 1

    def _busy(self, wait: float) -> Busy:
        return Busy(f"the server is busy with other {self.what}: {self.running} at a time, and none "
                    f"finished within {wait:g} s", retry_after=max(1, math.ceil(wait)) + 1)

    @property
    def busy(self) -> int:
        """How many places are held now."""
        with self._cond:
            return self._in


class Deadline:
    """A point in time past which ``check`` stops the work (``TimeLimitExceeded``); None never expires."""

    def __init__(self, seconds: float | None, what: str):
        self.seconds, self.what = seconds, what
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise TimeLimitExceeded(f"{self.what} took longer than its time limit of {self.seconds:g} s "
                                    "and was stopped; try again when the server is less busy")

    def checked(self, items: Iterable[T], every: int = 2048) -> Iterator[T]:
        """``items`` as they are, checking the deadline every ``every`` items (cheap enough for quads)."""
        if self.at is None:
            yield from items
            return
        for i, item in enumerate(items):
            if not i % every:
                self.check()
            yield item


#: No limit (for callers outside a request: the command line, scripts).
NO_DEADLINE = Deadline(None, "")

__all__ = ["Deadline", "Gate", "NO_DEADLINE"]
