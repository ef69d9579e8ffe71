"""Reads that do not wait for a write to be applied (``LIVE_FOLLOW``, set by ``govgraph serve``).

The store's derived views follow each commit in a background thread (``govgraph.live``:
``Memo.follow``), and a GET or HEAD request is answered from the views kept for the revision
before while that thread is applying a later one (``live.reading_kept``), so a page does not wait
for it; the write shows once the follower is done. A write (any other method) is answered once the
follower has applied it, waiting at most ``live.WRITE_WAIT`` seconds (at most ``WAITING_WRITES``
writes wait at once: a stream of events must not hold every server thread), so its writer's next page
shows it and finds every view up to date. Writes, and
every read when ``LIVE_FOLLOW`` is off (the default for an app made in tests), see each commit
at once.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from flask import Flask

from govgraph import live
from govgraph.errors import StoreUnavailable
from govgraph.store import Store

_READS = ("GET", "HEAD")
#: Most writes waiting at once for the follower to apply them (the others are answered at once).
WAITING_WRITES = 2
_waiting = threading.BoundedSemaphore(WAITING_WRITES)


class _ReadingKept:
    def __init__(self, app: Callable, store: Store):
        self.app = app
        self.store = store

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        if environ.get("REQUEST_METHOD") not in _READS:
            before = _revision(self.store)
            out = self.app(environ, start_response)
            after = _revision(self.store)
            # a write is answered once the follower has applied it (bounded): its writer's next page shows it; not
            # by more than a few writers at once (a stream of events would hold every server thread, pages waiting)
            if None not in (before, after) and after != before and _waiting.acquire(blocking=False):
                try:
                    live.memo(self.store).wait_applied(self.store, after, live.WRITE_WAIT)
                finally:
                    _waiting.release()
            return out
        with live.reading_kept():  # a body produced after this returns reads exactly: never staler
            return self.app(environ, start_response)


def _revision(store: Store) -> int | None:
    """The store's revision, or None if it cannot be read now (a server not answering: the request says so itself)."""
    try:
        return store.revision
    except StoreUnavailable:
        return None


def install(app: Flask, store: Store) -> None:
    """Follow commits in the background and answer reads from kept views meanwhile, if ``LIVE_FOLLOW`` is set."""
    if not app.config.get("LIVE_FOLLOW"):
        return
    live.memo(store).follow = True
    live.memo(store).prefetch(store)  # after a restart: the views kept on disk read while no page is asked for
    app.wsgi_app = _ReadingKept(app.wsgi_app, store)  # type: ignore[method-assign]
