"""Storage backends behind ``govgraph.store.Store``: the embedded Oxigraph and any SPARQL 1.1 server.

A backend moves quads and runs SPARQL; the ``Store`` above it adds sources, atomic
commits, the registry and the audit trail, identically for every backend. Terms are
pyoxigraph terms throughout, and query results are pyoxigraph result objects.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Protocol

import pyoxigraph as ox


class Backend(Protocol):
    """What the Store needs from a place that holds quads."""

    url: str
    #: whether revision and registry can be cached in this process (only one writer)
    exclusive: bool

    def query(self, text: str, default: list[ox.NamedNode] | None, named: list[ox.NamedNode] | None,
              timeout: float | None = None) -> Any:
        """Run a SPARQL query; ``default``/``named`` choose the dataset (None: the store's own).

        ``timeout``: seconds to wait for a remote server (StoreTimeout after); the embedded
        backend ignores it (its callers stop queries their own way)."""

    def update(self, text: str) -> None:
        """Run a SPARQL Update request as one atomic transaction."""

    def load(self, graph: ox.NamedNode, source: dict, fmt: ox.RdfFormat, *, quads: bool,
             base_iri: str | None, guard: Callable[[], None] | None = None) -> None:
        """Parse ``source`` (path=/input=) into ``graph`` (quads formats flattened into it).

        ``guard``: called before each batch is sent to a server; what it raises stops the load."""

    def extend(self, quads: Iterable[ox.Quad], *, guard: Callable[[], None] | None = None) -> None:
        """Insert quads (``guard`` as for ``load``)."""

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        """Quads matching a pattern (g None: every named graph)."""

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph the backend holds."""

    def drop_graph(self, g: ox.NamedNode) -> None:
        """Remove a named graph and its quads (no error if absent)."""

    def copy_graph(self, src: ox.NamedNode, dst: ox.NamedNode, *, guard: Callable[[], None] | None = None) -> None:
        """Add every triple of ``src`` to ``dst`` in batches of bounded size, each its own transaction
        (so ``dst`` must be a graph no reader looks at until the copy is complete)."""

    def empty_graph(self, g: ox.NamedNode, *, guard: Callable[[], None] | None = None) -> None:
        """Remove a named graph's quads in batches of bounded size, each its own transaction, then
        the graph (no error if absent): for graphs no reader looks at any more. ``guard`` as for ``load``."""

    def clear(self) -> None:
        """Remove everything."""

    def close(self) -> None:
        """Flush and release."""


__all__ = ["Backend"]
