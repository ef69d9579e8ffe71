"""What a storage backend is: the ``Backend`` interface the ``Store`` uses and the ``Capabilities``
a backend declares, so callers ask what it can do instead of probing its attributes."""
from __future__ import annotations

from dataclasses import dataclass

from typing import Any, Callable, Iterable, Iterator, Protocol

import pyoxigraph as ox


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, declared by it (never found out by probing its attributes)."""
    #: the SPARQL engine runs in this process (a query can run in a thread, or on a copy in a worker)
    local_engine: bool
    #: the quads are in a database on this machine's disk: it can be snapshotted for query workers
    #: (``Backend.snapshot``) and compacted (``Backend.compact``)
    on_disk: bool
    #: other processes may write the same quads (a SPARQL server): caches are checked against it
    shared: bool
    #: the backend's default graph is a graph of its own (not a union of the named graphs), which
    #: the store keeps the RDF merge of its sources in (``govgraph.facts``); else a named graph
    own_default_graph: bool = False

    @property
    def can_snapshot(self) -> bool:
        return self.local_engine and self.on_disk


class Backend(Protocol):
    """What the Store needs from a place that holds quads."""

    url: str
    capabilities: Capabilities
    #: whether revision and registry can be cached in this process (only one writer)
    exclusive: bool

    def query(self, text: str, default: list[ox.NamedNode] | None, named: list[ox.NamedNode] | None,
              timeout: float | None = None, *, prefixes: dict[str, str] | None = None,
              base_iri: str | None = None) -> Any:
        """Run a SPARQL query; ``default``/``named`` choose the dataset (None: the store's own).

        ``timeout``: seconds to wait for a remote server (StoreTimeout after); the embedded
        backend ignores it (its callers stop queries their own way). ``prefixes`` and
        ``base_iri``: declared for the text (its own declarations win)."""

    def strings(self, text: str, default: list[ox.NamedNode] | None,
                named: list[ox.NamedNode] | None) -> list[tuple[str, ...]]:
        """A SELECT's rows as strings (``results.term_rows``: IRIs and literals as their text, blank
        nodes as ``_:id``), for bulk reads that need no more: a server is asked for SPARQL CSV."""

    def contains(self, quad: ox.Quad) -> bool:
        """Whether the quad is held."""

    def update(self, text: str) -> None:
        """Run a SPARQL Update request as one atomic transaction."""

    def load(self, graph: ox.NamedNode, source: dict, fmt: ox.RdfFormat, *, quads: bool,
             base_iri: str | None, guard: Callable[[], None] | None = None) -> None:
        """Parse ``source`` (path=/input=) into ``graph`` (quads formats flattened into it).

        ``guard``: called before each batch is sent to a server; what it raises stops the load."""

    def extend(self, quads: Iterable[ox.Quad], *, guard: Callable[[], None] | None = None, bulk: bool = False) -> None:
        """Insert quads (``guard`` as for ``load``; ``bulk``: into a store being made, by a bulk loader where there is
        one: not atomic, far quicker on disk)."""

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

    # with capabilities.on_disk only:
    def compact(self) -> None:
        """Compact the database on disk."""

    def snapshot(self, path: str) -> None:
        """Write an immutable checkpoint of the database to ``path`` (for query workers)."""

    def scratch_parent(self) -> str:
        """The folder beside the database where snapshots and copies are made."""

    # with capabilities.own_default_graph only:
    def unmerge_graph(self, src: ox.NamedNode, live: list[ox.NamedNode]) -> None:
        """Remove from the default graph the triples of ``src`` that no graph of ``live`` states, in
        batches, each its own transaction."""

    # with capabilities.local_engine only:
    def all_quads(self) -> Iterator[ox.Quad]:
        """Every quad held (to copy the store to disk for the query workers)."""

