"""Each fact once: the store keeps the RDF merge of its live sources, every triple once.

The default graph of a SPARQL dataset is an RDF graph, a set; a query engine given several
source graphs as its default graph reads their multiset union (Oxigraph 0.5 does, for
``default_graph=[...]`` and for its union default graph alike; Virtuoso does by design), so a
triple stated by two sources was counted and shown twice. The store therefore keeps the merge
itself, and reads over "every live source" use it as their default graph; GRAPH clauses still
see each source's own graph.

Where it is kept (``Merge``): in the embedded store, Oxigraph's own (unnamed) default graph,
which nothing else writes and which has three indexes where a named graph has six; on a SPARQL
server, whose default graph may be a union of the named graphs, a hidden named graph ``facts``.

It changes in the same update as the commit that changes a source (a replacement adds its
added difference, a patch its triples; a triple leaves only when no live source still states
it, checked in that update), so it is exactly as current as the registry. Two writes are too
large for one update in the embedded store and go through the bulk loader or in batches just
before their commit (``MERGE_IN_UPDATE``): a new source's triples, and the withdrawal of a
removed source's; while they run, the registry says the merge is not kept, so a crash leaves
a store that is rebuilt on open (``rebuild``).
"""
from __future__ import annotations

import re
from typing import Iterable

import pyoxigraph as ox

from govgraph.ontology.ns import GG
from govgraph.store_graphs import META_GRAPH, STORE_NODE, triples_text

#: The hidden named graph holding the merge on a SPARQL server.
FACTS_GRAPH = ox.NamedNode(str(GG["facts"]))
#: In the registry: where the store's merge is complete ("default" or the facts graph; absent: written
#: before the merge was kept, or a bulk write of it was interrupted; elsewhere: a copy of another
#: backend's store, whose merge is not among the quads copied). Brought up to date on open.
FACTS_KEPT = ox.NamedNode(str(GG["factsKept"]))
#: A source at least this large is merged by the bulk loader, and withdrawn in batches, before its
#: commit instead of in the commit's update (embedded store): one update adding 237,000 triples to
#: the default graph took 3.5x the bulk load of the source itself.
MERGE_IN_UPDATE = 20_000


def _in(graph: ox.NamedNode | None, body: str) -> str:
    """``body`` (triples or a pattern) inside ``graph``; None: the default graph."""
    return body if graph is None else f"GRAPH {graph} {{ {body} }}"


def _not_stated(graphs: Iterable[ox.NamedNode]) -> str:
    """A filter keeping ?s ?p ?o only if none of ``graphs`` states it."""
    values = " ".join(f"<{g.value}>" for g in graphs)
    if not values:
        return ""
    return f" FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {values} }} }}"


class Merge:
    """The SPARQL Update operations keeping the merge, for a store that keeps it in ``graph``
    (None: the backend's own default graph)."""

    def __init__(self, graph: ox.NamedNode | None):
        self.graph = graph
        self.where: ox.NamedNode | ox.Literal = graph if graph is not None else ox.Literal("default")

    def in_bulk(self, triples: int) -> bool:
        """Whether a change of a source of ``triples`` triples (a new one's, a removed one's) goes to the
        merge ahead of its commit, by the bulk loader or in batches (``MERGE_IN_UPDATE``): only where the
        merge is the backend's own default graph (the embedded store)."""
        return self.graph is None and triples >= MERGE_IN_UPDATE

    @property
    def term(self) -> ox.NamedNode | ox.DefaultGraph:
        """The graph as a term (for ``Backend.query`` and quad patterns)."""
        return self.graph if self.graph is not None else ox.DefaultGraph()

    def add_graph(self, graph: str) -> str:
        """Adding every triple of ``graph`` (a source, or a change's added difference)."""
        return f"ADD SILENT <{graph}> TO {'DEFAULT' if self.graph is None else self.graph}"

    def add_triples(self, triples: Iterable[ox.Triple]) -> str:
        return f"INSERT DATA {{ {_in(self.graph, triples_text(triples))} }}"

    def withdraw_graph(self, graph: str, live: Iterable[ox.NamedNode]) -> str:
        """Removing the triples of ``graph`` (a removed source, or a change's removed difference)
        that no graph of ``live`` (the live sources after the change) still states."""
        return (f"DELETE {{ {_in(self.graph, '?s ?p ?o')} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }}"
                f"{_not_stated(live)} }}")

    def withdraw_triples(self, triples: list[ox.Triple], live: Iterable[ox.NamedNode]) -> str:
        """As ``withdraw_graph`` for a few triples (a patch's removals; no blank nodes, as in DELETE DATA)."""
        rows = " ".join(f"({t.subject} {t.predicate} {t.object})" for t in triples)
        return (f"DELETE {{ {_in(self.graph, '?s ?p ?o')} }} WHERE {{ VALUES (?s ?p ?o) {{ {rows} }}"
                f"{_not_stated(live)} }}")

    def kept(self) -> str:
        """Marking the merge complete (in a commit's update, after a bulk write made it incomplete)."""
        return f"INSERT DATA {{ GRAPH <{META_GRAPH.value}> {{ <{STORE_NODE.value}> <{FACTS_KEPT.value}> {self.where} }} }}"

    @staticmethod
    def incomplete() -> str:
        """Marking the merge incomplete (before a bulk write; a crash then leaves it to ``rebuild``)."""
        return f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{STORE_NODE.value}> <{FACTS_KEPT.value}> ?w }} }}"

    def clear(self) -> str:
        return "CLEAR SILENT DEFAULT" if self.graph is None else f"DROP SILENT GRAPH {self.graph}"


#: What may name a blank node in N-Triples or Turtle text (``_:x``, ``[ ]``, a collection ``( )``),
#: and what can hold those characters without naming one (strings, IRIs, comments).
_BLANK_SYNTAX = re.compile(rb"_:|\[|\(")
_NOT_SYNTAX = re.compile(b"|".join([
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""', rb"'''(?:[^'\\]|\\.|'(?!''))*'''",  # long strings
    rb'"(?:[^"\\\n]|\\.)*"', rb"'(?:[^'\\\n]|\\.)*'",  # strings
    rb"<[^>\s]*>", rb"#[^\n]*"]))  # IRIs, comments


def may_name_blank_nodes(text: bytes, fmt: str) -> bool:
    """Whether RDF ``text`` in ``fmt`` may have blank nodes (False only when it surely has none: for
    N-Triples and Turtle, no blank node syntax outside strings, IRIs and comments). Each parse of a
    text names its blank nodes afresh, so only text without them can be parsed again into the merge."""
    if fmt not in ("ntriples", "turtle"):
        return True
    if not _BLANK_SYNTAX.search(text):
        return False
    return bool(_BLANK_SYNTAX.search(_NOT_SYNTAX.sub(b" ", text)))


def is_kept(backend, merge: Merge) -> bool:
    """Whether the registry says the merge is complete where ``merge`` keeps it."""
    return any(q.object == merge.where for q in backend.quads(STORE_NODE, FACTS_KEPT, None, META_GRAPH))


def rebuild(backend, merge: Merge, live: list[ox.NamedNode], extra: list[str] = ()) -> None:
    """Build the merge afresh from the live sources and mark it complete (a store written before
    it was kept, or one whose bulk write was interrupted), with ``extra`` operations (the commit
    lock's) in the last update. Caller holds the write and commit locks."""
    ops = [merge.incomplete(), merge.clear()]
    if backend.capabilities.own_default_graph:
        backend.update(";".join(ops))
        for g in live:  # the bulk loader, a source at a time
            backend.copy_graph(g, merge.term)
        ops = []
    else:
        ops += [merge.add_graph(g.value) for g in live]
    backend.update(";\n".join(ops + [merge.kept()] + list(extra)))
