"""Small helpers the page modules share: the store of the running app, and reading query args."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, g, request

from govgraph import history
from govgraph.errors import UnknownAsset
from govgraph.store import Store

_NOT_IN_IRIS = set(' <>"{}|^`\\\t\r\n')


def store() -> Store:
    """The Store this app serves."""
    return current_app.extensions["govgraph.store"]


def view_store() -> tuple[Store, dt.datetime | None]:
    """The estate the request asks about: today's, or as it was at ``?asof=`` (and that moment).

    An as-of request also makes every asset link on the page keep the date (see
    ``filters.asset_url``). A malformed, future or too-early date is a ``BadInput``.
    """
    asof = request.values.get("asof", "").strip()
    if not asof:
        return store(), None
    past, moment = history.estate_asof(store(), asof)
    g.asof_text, g.asof = asof, moment
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
