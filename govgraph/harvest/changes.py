"""What changed between two versions of a harvested source, in words: tables (views, models, files
...) and columns added, removed and changed ("added table public.visits; column public.clients.nhs_no: type varchar(10) -> text").
"""
from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox

from govgraph.ontology.ns import DCAT, DCTERMS, GOV, RDF, RDFS

_A, _DATASET, _FIELD = str(RDF.type), str(DCAT.Dataset), str(GOV.Field)
_TITLE, _KIND, _LABEL, _FIELD_OF = str(DCTERMS.title), str(GOV.objectKind), str(RDFS.label), str(GOV.fieldOf)
#: column facts compared, and how a change of each is named
_COLUMN_FACTS = {str(GOV.physicalType): "type", str(GOV.nullable): "nullable", str(GOV.primaryKey): "primary key",
                 str(DCTERMS.description): "description"}
#: at most this many names are listed per kind of change
SHOWN = 10


def _shape(triples: Iterable[ox.Triple]):
    """datasets {iri: (kind, title)}, columns {field iri: (dataset iri, name)}, column facts {field: {fact: value}}"""
    by_s: dict[str, dict[str, list[str]]] = {}
    for t in triples:
        by_s.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object.value)
    datasets = {s: ((p.get(_KIND) or ["table"])[0], (p.get(_TITLE) or [s])[0])
                for s, p in by_s.items() if _DATASET in p.get(_A, [])}
    columns = {s: ((p.get(_FIELD_OF) or [""])[0], (p.get(_LABEL) or [s])[0])
               for s, p in by_s.items() if _FIELD in p.get(_A, [])}
    facts = {s: {k: ", ".join(sorted(by_s[s].get(k, []))) for k in _COLUMN_FACTS} for s in columns}
    return datasets, columns, facts, by_s


def _listed(verb: str, noun: str, names: list[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
    return f"{verb} {len(names)} {noun}{'s' if len(names) != 1 else ''} ({shown})"


def first_harvest(tables: int, views: int, columns: int) -> str:
    return f"first harvest: {tables} tables, {views} views, {columns} columns"


def summary(old: set[ox.Triple], new: set[ox.Triple]) -> str:
    """The change from ``old`` to ``new`` in words ("" when they are equal or ``old`` is empty)."""
    if old == new:
        return ""
    if not old:
        return ""  # a first harvest is told from what it found (``first_harvest``)
    od, oc, of, _ = _shape(old)
    nd, nc, nf, _ = _shape(new)
    parts = []
    # tables and views first (a database's), then other kinds (a dbt project's models, seeds ...)
    kinds = sorted({k for k, _ in od.values()} | {k for k, _ in nd.values()},
                   key=lambda k: (k not in ("table", "view"), k != "table", k))
    for kind in kinds:
        added = [nd[d][1] for d in nd.keys() - od.keys() if nd[d][0] == kind]
        removed = [od[d][1] for d in od.keys() - nd.keys() if od[d][0] == kind]
        if added:
            parts.append(_listed("added", kind, added))
        if removed:
            parts.append(_listed("removed", kind, removed))

    def col_name(cols, datasets, f):
        ds, name = cols[f]
        return f"{datasets.get(ds, ('', ds))[1]}.{name}"

    # columns of tables added or removed are counted with their table, not again
    added = [col_name(nc, nd, f) for f in nc.keys() - oc.keys() if nc[f][0] in od]
    removed = [col_name(oc, od, f) for f in oc.keys() - nc.keys() if oc[f][0] in nd]
    if added:
        parts.append(_listed("added", "column", added))
    if removed:
        parts.append(_listed("removed", "column", removed))
    changed = []
    for f in sorted(oc.keys() & nc.keys()):
        diffs = [f"{_COLUMN_FACTS[k]} {of[f][k] or '(none)'} -> {nf[f][k] or '(none)'}"
                 for k in _COLUMN_FACTS if of[f][k] != nf[f][k]]
        if diffs:
            changed.append(f"{col_name(nc, nd, f)}: {', '.join(diffs)}")
    if changed:
        parts.append(f"changed {len(changed)} column{'s' if len(changed) != 1 else ''} ("
                     + "; ".join(changed[:SHOWN]) + (f"; and {len(changed) - SHOWN} more" if len(changed) > SHOWN else "")
                     + ")")
    if not parts:
        parts.append(f"no table or column changed; {len(old - new)} facts removed and {len(new - old)} added "
                     "(row counts, keys, lineage, owners, measurements, suggestions)")
    return "; ".join(parts)
