"""The reads the lineage graph is built from: bulk SELECTs over the live sources or one source graph.

Oxigraph evaluates these patterns fast; what costs is decoding each returned term into
a Python string (a dictionary look-up per IRI). So the build asks for as few terms as
possible: one predicate per SELECT (never ?p in the results), source graphs by
querying each source separately (never ?g in the results), and the field layer
(hundreds of thousands of fields on a big estate) only when a field query needs it.
"""
from __future__ import annotations

from typing import Any, Iterable

import pyoxigraph as ox

from govgraph.backends.remote import RowCapped
from govgraph.ontology.ns import GOV, PROV, RDFS

Q_SUBJECTS = "SELECT ?s WHERE { ?s a <%s> }"
#: subjects of a class not already of an earlier one (MINUS is a hash anti-join: the rest are never decoded)
Q_SUBJECTS_NEW = "SELECT ?s WHERE { ?s a <%s> %s }"
Q_PAIRS = "SELECT ?s ?o WHERE { ?s <%s> ?o }"
Q_LITERALS = "SELECT ?s ?o WHERE { ?s <%s> ?o FILTER(isLITERAL(?o)) }"
Q_DISTINCT = "SELECT DISTINCT ?o WHERE { ?s <%s> ?o }"
Q_BY_VALUE = "SELECT ?s WHERE { ?s <%s> %s }"
Q_CLASS_PAIRS = "SELECT ?s ?o WHERE { ?s a <%s> ; <%s> ?o }"
Q_CLASS_LABELS = "SELECT ?s ?o WHERE { ?s a <%s> ; <%s> ?o FILTER(isLITERAL(?o)) }"
Q_RUNS = "SELECT ?a ?u ?o WHERE { ?a a <%s> ; <%s> ?u ; <%s> ?o }" % (PROV.Activity, PROV.used, PROV.generated)
Q_RUN_TIMES = "SELECT ?a ?t WHERE { ?a a <%s> ; <%s> ?t }" % (PROV.Activity, PROV.endedAtTime)
Q_FIELD_LABELS = "SELECT ?s ?o WHERE { ?s a <%s> ; <%s> ?o }" % (GOV.Field, RDFS.label)


def val(term: Any) -> str:
    """A pyoxigraph term as a string node id (blank nodes as ``_:id``)."""
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def query(store: Any, sparql: str, graph: Any = None) -> Iterable[Any]:
    return store.query(sparql, prefixes=False, **({"graphs": [graph]} if graph is not None else {}))


def rows(store: Any, sparql: str, graph: Any = None) -> list[tuple[str, ...]]:
    """A SELECT's rows as ``val`` strings (literals as their text), over all live sources or one
    source graph: a SPARQL server is asked for CSV (Virtuoso 7.2 writes it in a third of the time of
    its XML), the embedded store's terms are turned into strings as they are read."""
    return store.query(sparql, prefixes=False, strings=True, **({"graphs": [graph]} if graph is not None else {}))


def pairs(store: Any, predicate: Any, graph: Any = None) -> Iterable[tuple[str, str]]:
    """(subject, object) strings for one predicate, over all live sources or one source graph."""
    return rows(store, Q_PAIRS % predicate, graph)


def pairs_by_value(store: Any, predicate: Any, graph: Any = None, most: int = 2000) -> Iterable[tuple[str, str]]:
    """Like ``pairs`` for predicates with few distinct objects: one SELECT per object value, so only
    subjects are decoded (decoding terms costs more than matching them; on a remote store, less than a round trip)."""
    values = [] if getattr(store, "remote", False) else [o for (o,) in query(store, Q_DISTINCT % predicate, graph)]
    if getattr(store, "remote", False) or len(values) > most or any(type(o).__name__ == "BlankNode" for o in values):
        yield from pairs(store, predicate, graph)
        return
    for o in values:
        ov = o.value
        for (s,) in rows(store, Q_BY_VALUE % (predicate, str(o)), graph):
            yield s, ov


def subjects_new(cls: str, done: list[str]) -> str:
    """SELECT of the subjects of ``cls`` that are not of any class in ``done``."""
    return Q_SUBJECTS_NEW % (cls, " ".join("MINUS { ?s a <%s> }" % c for c in done))


def batch(store: Any, queries: list[str], graph: Any = None) -> list[list[tuple[str, ...]]]:
    """The rows (``rows``) of several SELECTs of the same variables, over all live sources or one
    source graph: one query each on the embedded store; on a SPARQL server all in one, a UNION whose
    branches tag their rows (a round trip costs more there than the tag), unless the server caps the
    answer (then one each, as its cap allows)."""
    if not getattr(store, "remote", False) or len(queries) < 2:
        return [rows(store, q, graph) for q in queries]
    head = queries[0].partition(" WHERE ")[0]
    branches = " UNION ".join("{ %s BIND(%d AS ?k_) }" % (q.partition(" WHERE ")[2], i) for i, q in enumerate(queries))
    try:
        tagged = rows(store, f"SELECT ?k_ {head[len('SELECT '):]} WHERE {{ {branches} }}", graph)
    except RowCapped:
        return [rows(store, q, graph) for q in queries]
    out: list[list[tuple[str, ...]]] = [[] for _ in queries]
    for row in tagged:
        out[int(row[0])].append(row[1:])
    return out


#: Per source graph: a flow's ends and what it carries, its mechanism, frequency and agreement, derivations.
PER_GRAPH = (GOV.source, GOV.target, GOV.carries, GOV.mechanism, GOV.frequency, GOV.coveredBy, PROV.wasDerivedFrom)


def graph_pairs(store: Any, graph: Any, read: dict[Any, list[tuple[str, ...]]], pred: Any,
                 by_value: bool = False) -> Iterable[tuple[str, ...]]:
    """One predicate's pairs in one source graph: as already ``read``, else asked for."""
    if pred in read:
        return read[pred]
    return pairs_by_value(store, pred, graph) if by_value else pairs(store, pred, graph)
