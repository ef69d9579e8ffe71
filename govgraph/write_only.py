"""A commit's update in the form a SPARQL server can apply without reading its own writes.

Oxigraph server (0.5) applies an update in a plain write batch when every operation is
``INSERT DATA`` / ``DELETE DATA`` but the first, which may read (a ``DELETE/INSERT ... WHERE``;
``ADD`` is one): that one reads the store as it was. Any other update (a second operation with a
``WHERE``: ``DELETE WHERE``, ``ADD``) goes into an indexed write batch that later operations can
read, which costs per triple written: the commit adding a new 477,916-triple source to the merge
took 20-21.5 s one way and 9.4-13.5 s the other (docs/benchmarks.md, Stop 19). Other servers apply
both forms as they are: the update is still one request, applied atomically.

``update`` builds that form: the bulk operation first, then the ``DELETE WHERE``s of the commit
(each on a fixed subject: a registry entry, the revision, a claim) as the ``DELETE DATA`` of the
triples they match now, read in one query, then the data operations. The caller holds the commit
lock, so what those patterns match cannot change between the read and the update (a name claim's
renewals must have stopped: ``NameClaim.stop``).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

#: Off: every commit in the general form (for benchmarks comparing the two, and tests).
ENABLED = True


class Deletion(NamedTuple):
    """``DELETE WHERE { GRAPH <graph> { <subject> <predicate> ?o } }`` (no predicate: ``?p ?o``)."""
    graph: str
    subject: str
    predicate: str | None = None

    def pattern(self, i: int) -> str:
        p = f"<{self.predicate}>" if self.predicate else "?p"
        return f"{{ GRAPH <{self.graph}> {{ <{self.subject}> {p} ?o }} BIND({i} AS ?i) }}"


def is_data(op: str) -> bool:
    """Whether the operation ``op`` is ``INSERT DATA`` or ``DELETE DATA``."""
    return op.lstrip().upper().startswith(("INSERT DATA", "DELETE DATA"))


def grounded(backend: Any, deletions: Sequence[Deletion]) -> str | None:
    """The ``DELETE DATA`` of every triple ``deletions`` match now (one query); None if none match."""
    if not deletions:
        return None
    union = " UNION ".join(d.pattern(i) for i, d in enumerate(deletions))
    rows = backend.query(f"SELECT ?i ?p ?o WHERE {{ {union} }}", None, None)
    by_graph: dict[str, list[str]] = {}
    for r in rows:
        d = deletions[int(r["i"].value)]
        p = f"<{d.predicate}>" if d.predicate else str(r["p"])
        if r["o"].__class__.__name__ == "BlankNode":  # DELETE DATA cannot name one; govgraph writes none here
            raise ValueError(f"a blank node in <{d.graph}> on <{d.subject}>: cannot be deleted as data")
        by_graph.setdefault(d.graph, []).append(f"<{d.subject}> {p} {r['o']} .")
    if not by_graph:
        return None
    return "DELETE DATA { " + " ".join(f"GRAPH <{g}> {{ {' '.join(ts)} }}" for g, ts in by_graph.items()) + " }"


def update(backend: Any, first: str, deletions: Sequence[Deletion], data: Sequence[str]) -> str:
    """The update text: ``first`` (the one operation that reads), the ``deletions`` grounded, then
    ``data`` (``INSERT DATA`` / ``DELETE DATA`` only). The deletions go before the data, as each
    ``DELETE WHERE`` went before the ``INSERT DATA`` that rewrites what it removed."""
    for op in data:
        if not is_data(op):
            raise ValueError(f"not a data operation: {op[:80]!r}")
    dels = grounded(backend, deletions)
    return ";\n".join([first] + ([dels] if dels else []) + list(data))

