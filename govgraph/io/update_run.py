"""Running a SPARQL Update over a scratch copy of one source's triples, as N-Triples in and out.

This is the part of ``/sparql/update`` that executes the caller's text. It imports only
pyoxigraph and the standard library, because the query workers run it
(``QueryPool.run_update``): there the network is gone (``govgraph.io.no_network``) and the
time limit kills the process, so a runaway ``WHERE`` stops for real. Without a pool it runs
in the calling thread (see ``sparql_update.apply_update``).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pyoxigraph as ox


@dataclass
class UpdateOutcome:
    """A finished update: 200 with the resulting triples (N-Triples), or a status and message."""
    status: int
    body: bytes = b""
    error: str = ""


def scratch_update(triples_nt: bytes, text: str) -> UpdateOutcome:
    """Apply ``text`` to a fresh in-memory store holding ``triples_nt`` in its default graph."""
    scratch = ox.Store()
    try:
        if triples_nt:
            scratch.bulk_extend(ox.parse(triples_nt, ox.RdfFormat.N_TRIPLES))
        scratch.update(text)
    except SyntaxError as e:
        return UpdateOutcome(400, error=f"SPARQL syntax error: {e}")
    except (OSError, ValueError, TypeError) as e:  # evaluation errors Oxigraph reports
        return UpdateOutcome(400, error=f"the update could not be applied: {e}")
    out = io.BytesIO()
    ox.serialize(scratch.quads_for_pattern(None, None, None, ox.DefaultGraph()), out, ox.RdfFormat.N_QUADS)
    return UpdateOutcome(200, out.getvalue())


def to_ntriples(triples) -> bytes:
    """Triples (pyoxigraph) as N-Triples bytes, the form ``scratch_update`` takes."""
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    return out.getvalue()


def from_ntriples(data: bytes) -> set[ox.Triple]:
    """The triples ``scratch_update`` answered with (blank node labels kept)."""
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.N_QUADS)}
