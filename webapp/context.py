"""Small helpers the page modules share: the store of the running app (and the estate as this
request's reader may see it), and reading query args."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, g, request

from govgraph import access, history
from govgraph.errors import UnknownAsset
from govgraph.store import Store

_NOT_IN_IRIS = set(' <>"{}|^`\\\t\r\n')
#: Seconds an as-of estate may take to build before it is stopped, and seconds a request waits
#: for the build in progress before it is answered 503 (``Busy``); the app config overrides them.
ASOF_TIME_LIMIT = 20.0
ASOF_QUEUE_WAIT = 2.0


def store() -> Store:
    """The Store this app serves (every write goes here; reads should use ``read_store``)."""
    return current_app.extensions["govgraph.store"]


def hiding() -> bool:
    """Whether restricted assets are hidden from readers without their access group (``HIDE_SENSITIVE``)."""
    return bool(current_app.config.get("HIDE_SENSITIVE"))


def viewer() -> access.Viewer:
    """Who is reading (set from the bearer token by ``security``; anonymous without one)."""
    return g.get("viewer") or access.ANONYMOUS


def read_store() -> Store:
    """Today's estate as this request's reader may see it: the store itself, or its redacted copy."""
    st = store()
    if not hiding():
        return st
    return access.redacted_view(st, viewer(), wait=False)  # a large estate's first copy: "being prepared" meanwhile


def hidden_now() -> frozenset[str]:
    """The restricted assets of today's estate this reader may not see (empty when hiding is off)."""
    return access.hidden_from(store(), viewer()) if hiding() else frozenset()


def redaction() -> access.Redaction | None:
    """What is hidden from this reader in today's estate (None when nothing is)."""
    return access.redaction_of(read_store())


def view_store() -> tuple[Store, dt.datetime | None]:
    """The estate the request asks about: today's, or as it was at ``?asof=`` (and that moment),
    redacted for this reader when hiding is on.

    An as-of request also makes every asset link on the page keep the date (see
    ``filters.asset_url``). A malformed, future or too-early date is a ``BadInput``; a build
    past ``ASOF_TIME_LIMIT`` or a wait past ``ASOF_QUEUE_WAIT`` is ``Busy`` (503).
    An asset hidden today stays hidden in the past, and one restricted then is hidden too.
    """
    asof = request.values.get("asof", "").strip()
    if not asof:
        return read_store(), None
    cfg = current_app.config
    past, moment = history.estate_asof(store(), asof, time_limit=float(cfg.get("ASOF_TIME_LIMIT", ASOF_TIME_LIMIT)),
                                       wait=float(cfg.get("ASOF_QUEUE_WAIT", ASOF_QUEUE_WAIT)))
    g.asof_text, g.asof = asof, moment
    if hiding():
        past = access.redacted_view(past, viewer(), hidden_now())
    return past, moment


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query argument clamped to [lo, hi]; the default when missing or not a number."""
    raw = request.args.get(name, "")
    try:
        v = int(raw)
    except ValueError:
        return default
    return max(lo, min(hi, v))


def iri_arg(name: str = "iri") -> str:
    """A required IRI query argument (404 when missing)."""
    iri = request.args.get(name, "").strip()
    if not iri:
        abort(404)
    if any(c in _NOT_IN_IRIS for c in iri):  # cannot name anything: answer like any unknown IRI
        raise UnknownAsset(iri)
    return iri
