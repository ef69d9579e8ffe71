"""Field-level lineage: one field traced back to the source fields it is computed from."""
from __future__ import annotations

from typing import Any

from govgraph.errors import BadInput
from govgraph.lineage.graph import DATA_KINDS, FIELD, FIELD_DERIVED, LineageGraph, load_fields
from govgraph.lineage.results import FieldTrace
from govgraph.lineage.traverse import MAX_DEPTH, graph_of


def field_trace(source: Any, field: str, *, max_depth: int = MAX_DEPTH) -> FieldTrace:
    """Trace a field back through ``gov:derivedFromField`` to its source fields, with each transformation."""
    lg = graph_of(source)
    load_fields(lg)
    iri = lg.resolve(field)
    if lg.kind(iri) != FIELD:
        raise BadInput(f"{lg.label(iri)} is a {lg.kind(iri)}, not a field")
    return _trace(lg, iri, set(), max_depth)


def trace_dataset_fields(source: Any, dataset: str) -> list[FieldTrace]:
    """Trace every field of a dataset (report, return) back to source."""
    lg = graph_of(source)
    load_fields(lg)
    iri = lg.resolve(dataset)
    if lg.kind(iri) not in DATA_KINDS:
        raise BadInput(f"{lg.label(iri)} is a {lg.kind(iri)}, not a dataset")
    return [_trace(lg, f, set(), MAX_DEPTH)
            for f in sorted(lg.fields_of.get(iri, ()), key=lambda f: (lg.label(f).casefold(), f))]


def _trace(lg: LineageGraph, iri: str, on_path: set[str], budget: int) -> FieldTrace:
    a = lg.attrs(iri)
    ds = a.get("field_of")
    system = lg.attrs(ds).get("held_in") if ds else None
    t = FieldTrace(iri=iri, label=a.get("label") or lg.label(iri), dataset=ds,
                   dataset_label=lg.label(ds) if ds else None, system=system,
                   system_label=lg.label(system) if system else None,
                   transformation=a.get("transformation"))
    if iri in on_path:
        t.cycle = True
        return t
    if budget <= 0:
        return t
    on_path.add(iri)
    preds = lg.g._pred.get(iri, {})  # noqa: SLF001
    for u in sorted(preds, key=lambda u: (lg.label(u).casefold(), u)):
        if any(e.get("kind") == FIELD_DERIVED for e in preds[u].values()):
            t.sources.append(_trace(lg, u, on_path, budget - 1))
    on_path.discard(iri)
    return t
