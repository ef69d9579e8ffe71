"""SPARQL 1.1 Update applied to one source, committed through the validated write path.

An update edits the triples of one named source: its default graph is that source
(``GRAPH``, ``WITH``, ``USING`` and the graph-management operations are refused, as are
``LOAD`` and ``SERVICE``, which would fetch from the network: ``sparql_guard`` decides on a
parse tree). The update runs on a private in-memory copy, in a query worker when the caller
gives one (``runner``: no network there, and killed at the time limit), else in this
thread; the result is written with ``write_source``, so a change that breaks a shape is
refused with the report and the store is left as it was.
"""
from __future__ import annotations

import re
from typing import Callable

from govgraph.errors import BadInput, Busy, QueryTimeLimit
from govgraph.io import sparql_guard
from govgraph.io.sparql_text import inspect
from govgraph.io.update_run import UpdateOutcome, from_ntriples, scratch_update, to_ntriples
from govgraph.io.catalogued import write_catalogue
from govgraph.io.write import WriteResult, source_triples
from govgraph.ontology.ns import PREFIXES
from govgraph.store import Store

#: Update keywords that address graphs other than the source being edited.
GRAPH_WORDS = {"GRAPH", "WITH", "USING", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"}


def check_update(text: str) -> None:
    """Refuse update text that is not a plain update of one source (before any work)."""
    if not text.strip():
        raise BadInput("the update is empty")
    sparql_guard.check(text, update=True)
    info = inspect(text, {p: str(ns) for p, ns in PREFIXES.items()})
    if info.form != "UPDATE":
        raise BadInput("not a SPARQL Update: send queries to /sparql")
    bad = sorted(info.words & GRAPH_WORDS)
    if bad:
        raise BadInput(f"{bad[0]} is not allowed: an update edits the triples of the one source named "
                       "by the 'source' parameter (its default graph)")


#: Runs an update's text over N-Triples within a time limit: ``QueryPool.run_update``.
UpdateRunner = Callable[[str, bytes, float], UpdateOutcome]


def apply_update(store: Store, source: str, text: str, *, who: str, force: bool = False,
                 runner: UpdateRunner | None = None, timeout: float = 30.0, may_remove: bool = False) -> WriteResult:
    """Run ``text`` against a copy of ``source`` and commit the result through validation (``may_remove``:
    as ``write_source``, the caller is an admin and may drop most of the source).

    With ``runner`` the text runs in a worker that is stopped at ``timeout`` seconds;
    without, in this thread (no time limit: for the CLI and servers started without a pool).
    """
    check_update(text)
    current = source_triples(store, source)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    nt = to_ntriples(current)
    out = runner(prologue + text, nt, timeout) if runner else scratch_update(nt, prologue + text)
    if out.status == 422:
        raise QueryTimeLimit(f"the update ran longer than the time limit of {timeout:g} s and was stopped; "
                                "nothing was changed: narrow its WHERE clause")
    if out.status == 503:
        raise Busy(out.error)
    if out.status != 200:
        raise BadInput(_shift_lines(out.error, len(PREFIXES)))
    result = from_ntriples(out.body)
    if not result:
        raise BadInput(f"the update would leave source {source!r} empty: remove the source instead")
    return write_catalogue(store, source, result, who=who, loaded_from="SPARQL Update", current=current, force=force,
                        may_remove=may_remove)


def _shift_lines(msg: str, n: int) -> str:
    """Report line numbers as the client wrote them (our PREFIX lines come first)."""
    return re.sub(r"error at (\d+):", lambda m: f"error at {max(1, int(m.group(1)) - n)}:", msg)
