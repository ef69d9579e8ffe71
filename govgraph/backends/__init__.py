"""Storage backends behind ``govgraph.store.Store``: the embedded Oxigraph and any SPARQL 1.1 server.

A backend moves quads and runs SPARQL; the ``Store`` above it adds sources, atomic
commits, the registry and the audit trail, identically for every backend. Terms are
pyoxigraph terms throughout, and query results are pyoxigraph result objects.

Store URLs name their backend by scheme (``oxigraph:PATH``, ``memory:``,
``sparql+http://…``), looked up in the registry below (as rdflib registers its stores): a new
backend is one module here and one ``register`` call.
"""
from __future__ import annotations

from typing import Callable

from govgraph.backends.base import Backend, Capabilities
from govgraph.backends.embedded import open_embedded
from govgraph.backends.remote import open_remote
from govgraph.errors import StoreError

#: scheme -> (opener taking the whole URL, an example URL for messages)
_SCHEMES: dict[str, tuple[Callable[[str], Backend], str]] = {}


def register(scheme: str, opener: Callable[[str], Backend], example: str) -> None:
    """Make store URLs ``scheme:…`` open with ``opener(url)``."""
    _SCHEMES[scheme.lower()] = (opener, example)


def known_schemes() -> list[str]:
    """Example URLs of every registered scheme, for messages."""
    return [example for _, example in _SCHEMES.values()]


def open_backend(url: str) -> Backend:
    """The backend a store URL names; StoreError listing the known schemes if none is registered."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    entry = _SCHEMES.get(scheme)
    if entry is None:
        raise StoreError(f"unknown store URL {url!r}: use one of {', '.join(known_schemes())}")
    return entry[0](url)


register("oxigraph", open_embedded, "oxigraph:PATH")
register("memory", open_embedded, "memory:")
register("sparql+http", open_remote, "sparql+http://HOST:PORT/query")
register("sparql+https", open_remote, "sparql+https://HOST/query")

__all__ = ["Backend", "Capabilities", "known_schemes", "open_backend", "register"]
