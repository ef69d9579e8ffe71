"""Discovered datasets: datasets the directory learnt of from lineage before the catalogue described them.

An OpenLineage run naming a dataset that no catalogue dataset carries as ``gov:alias`` mints an
IRI for it under ``<base>dataset/openlineage/`` typed only ``prov:Entity`` (the mapping:
``io/openlineage_mapping``). Such a dataset is of kind ``discovered`` (``govgraph.kinds``, the
last row: any catalogue type wins), so search finds it ("Discovered, not yet catalogued"), the
dashboard counts it, and the shape ``gsh:DiscoveredDataset`` (principle 7) asks for an owner and
a classification. A load that later describes the same IRI as a ``dcat:Dataset`` makes it an
ordinary dataset, its lineage untouched (the runs point at the same node).

Its system is guessed here from its OpenLineage namespace, and written with the run as
``gov:guessedSystem`` (never ``gov:heldIn``: a guess is not a catalogue fact): a system whose
``gov:alias`` is the namespace, else the system holding most of the catalogue datasets aliased
under that namespace (``namespace/...``), the first in IRI order on a tie.
"""
from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox

from govgraph.ontology.ns import GOV
from govgraph.store import Store

#: The catalogue kind of a discovered dataset (``govgraph.kinds``).
KIND = "discovered"
#: What search shows of a discovered dataset before its own description.
NOTE = "Discovered, not yet catalogued."

_ALIAS, _HELD_IN = str(GOV.alias), str(GOV.heldIn)


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def guess_systems(store: Store, namespaces: Iterable[str]) -> dict[str, str]:
    """namespace -> the system its datasets are probably held in (namespaces with no guess left out)."""
    out: dict[str, str] = {}
    for ns in sorted({n.rstrip("/") for n in namespaces if n}):
        lit = _literal(ns)
        rows = store.query(f"SELECT ?s WHERE {{ ?s <{_ALIAS}> {lit} ; <{_HELD_IN}>?/a ?t . "
                           f"FILTER(?t IN (gov:System, gov:Database, gov:DataWarehouse, gov:DataLake, "
                           f"gov:DocumentStore)) FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 1")
        hit = [r["s"].value for r in rows]
        if not hit:
            rows = store.query(f"SELECT ?sys (COUNT(DISTINCT ?d) AS ?n) WHERE {{ "
                               f"?d <{_ALIAS}> ?a ; <{_HELD_IN}> ?sys . "
                               f"FILTER(STRSTARTS(STR(?a), {_literal(ns + '/')}) && isIRI(?sys)) }} "
                               f"GROUP BY ?sys ORDER BY DESC(?n) ?sys LIMIT 1")
            hit = [r["sys"].value for r in rows]
        if hit:
            out[ns] = hit[0]
    return out


def guess_triples(store: Store, minted: dict[str, str]) -> set[ox.Triple]:
    """``gov:guessedSystem`` triples for minted dataset IRIs (IRI -> its OpenLineage namespace)."""
    guesses = guess_systems(store, minted.values())
    pred = ox.NamedNode(str(GOV.guessedSystem))
    return {ox.Triple(ox.NamedNode(d), pred, ox.NamedNode(guesses[ns.rstrip("/")]))
            for d, ns in minted.items() if ns.rstrip("/") in guesses}


__all__ = ["KIND", "NOTE", "guess_systems", "guess_triples"]
