"""SPARQL 1.1 Update applied to one source, committed through the validated write path.

An update edits the triples of one named source: its default graph is that source
(``GRAPH``, ``WITH``, ``USING`` and the graph-management operations are refused, as are
``LOAD`` and ``SERVICE``, which would fetch from the network). The update runs on a
private in-memory copy; the result is written with ``write_source``, so a change that
breaks a shape is refused with the report and the store is left as it was.
"""
from __future__ import annotations

import pyoxigraph as ox

from govgraph.errors import BadInput
from govgraph.io.sparql_text import inspect
from govgraph.io.write import WriteResult, source_triples, write_source
from govgraph.ontology.ns import PREFIXES
from govgraph.store import Store

#: Update keywords that address graphs other than the source being edited.
GRAPH_WORDS = {"GRAPH", "WITH", "USING", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"}


def check_update(text: str) -> None:
    """Refuse update text that is not a plain update of one source (before any work)."""
    if not text.strip():
        raise BadInput("the update is empty")
    info = inspect(text, {p: str(ns) for p, ns in PREFIXES.items()})
    if info.refused:
        raise BadInput(info.refused[0])
    if info.form != "UPDATE":
        raise BadInput("not a SPARQL Update: send queries to /sparql")
    bad = sorted(info.words & GRAPH_WORDS)
    if bad:
        raise BadInput(f"{bad[0]} is not allowed: an update edits the triples of the one source named "
                       "by the 'source' parameter (its default graph)")


def apply_update(store: Store, source: str, text: str, *, who: str, force: bool = False) -> WriteResult:
    """Run ``text`` against a copy of ``source`` and commit the result through validation."""
    check_update(text)
    current = source_triples(store, source)
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in current)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    try:
        scratch.update(prologue + text)
    except SyntaxError as e:
        msg = str(e)
        raise BadInput(f"SPARQL syntax error: {_shift_lines(msg, len(PREFIXES))}") from None
    except OSError as e:
        raise BadInput(f"the update could not be applied: {e}") from None
    result = {ox.Triple(q.subject, q.predicate, q.object) for q in scratch.quads_for_pattern(None, None, None,
                                                                                             ox.DefaultGraph())}
    if not result:
        raise BadInput(f"the update would leave source {source!r} empty: remove the source instead")
    return write_source(store, source, result, who=who, loaded_from="SPARQL Update", current=current, force=force)


def _shift_lines(msg: str, n: int) -> str:
    """Report line numbers as the client wrote them (our PREFIX lines come first)."""
    import re
    return re.sub(r"error at (\d+):", lambda m: f"error at {max(1, int(m.group(1)) - n)}:", msg)
