"""Small helpers the page modules share: the store of the running app, and reading query args."""
from __future__ import annotations

from flask import abort, current_app, request

from govgraph.errors import UnknownAsset
from govgraph.store import Store

_NOT_IN_IRIS = set(' <>"{}|^`\\\t\r\n')


def store() -> Store:
    """The Store this app serves."""
    return current_app.extensions["govgraph.store"]


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
