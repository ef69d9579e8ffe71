"""Which datasets may be published as open data: chosen by a query, then checked again in Python.

A dataset is open when it is marked OFFICIAL (``gov:classification gov:Official``, and no
other marking) and nothing says it is personal: no ``dpv:hasPersonalData``, no
``dpv:hasDataSubject``, and not identifiable or pseudonymised (``gov:anonymisation``).

The query that finds the candidates asks for the positive fact (OFFICIAL) and also leaves out
personal data with ``FILTER NOT EXISTS``. Its answer is not trusted with the negation: a
server can evaluate one wrongly (Virtuoso 7 with several default graphs published 18
personal-data datasets as open). So a second query, made of plain triple patterns only,
fetches for every candidate the facts that decide, and Python publishes a candidate only if
they confirm the OFFICIAL marking and show nothing personal. That query is run in batches
small enough for any server's row cap, and its rows are counted by the server as well: an
answer shorter than the count (a silently truncated result) refuses the export rather than
publish from part of the facts.
"""
from __future__ import annotations

from typing import Iterable

from rdflib import URIRef

from govgraph.errors import StoreError
from govgraph.ontology.ns import DPV, GOV
from govgraph.store import Store

#: Candidates: OFFICIAL datasets; the negations narrow the answer but are checked again below.
CANDIDATES = """
SELECT DISTINCT ?d WHERE {
  ?d a dcat:Dataset ; gov:classification gov:Official .
  FILTER NOT EXISTS { ?d dpv:hasPersonalData ?pd }
  FILTER NOT EXISTS { ?d dpv:hasDataSubject ?subject }
  FILTER NOT EXISTS { ?d gov:classification ?other FILTER (?other != gov:Official) }
} ORDER BY ?d
"""

#: The facts that decide whether a dataset is open, asked as plain triple patterns.
DECIDING = (GOV.classification, DPV.hasPersonalData, DPV.hasDataSubject, GOV.anonymisation)
#: De-identification levels that are still personal data.
STILL_PERSONAL = {GOV.Identifiable, GOV.Pseudonymised}
#: Datasets per checking query: a few facts each, far below any server's row cap.
BATCH = 50


def open_datasets(store: Store) -> list[str]:
    """The IRIs of the datasets that may be published, in IRI order."""
    candidates = [str(r["d"]) for r in store.select(CANDIDATES) if isinstance(r.get("d"), URIRef)]
    return sorted(publishable(store, candidates))


def publishable(store: Store, iris: Iterable[str]) -> set[str]:
    """Those of ``iris`` whose own facts, read back as plain triples, make them open."""
    iris = sorted(set(iris))
    facts: dict[str, list[tuple[URIRef, object]]] = {i: [] for i in iris}
    for start in range(0, len(iris), BATCH):
        for iri, p, o in _deciding_facts(store, iris[start:start + BATCH]):
            facts.setdefault(iri, []).append((p, o))
    return {iri for iri in iris if is_open(facts.get(iri, []))}


def is_open(facts: list[tuple[URIRef, object]]) -> bool:
    """Whether a dataset with these (predicate, object) facts is open (see the module's docstring)."""
    marks = {o for p, o in facts if p == GOV.classification}
    if marks != {GOV.Official}:
        return False
    if any(p in (DPV.hasPersonalData, DPV.hasDataSubject) for p, _ in facts):
        return False
    return not any(p == GOV.anonymisation and o in STILL_PERSONAL for p, o in facts)


def _deciding_facts(store: Store, iris: list[str]) -> list[tuple[str, URIRef, object]]:
    values = " ".join(f"<{i}>" for i in iris)
    preds = " ".join(f"<{p}>" for p in DECIDING)
    where = f"VALUES ?d {{ {values} }} VALUES ?p {{ {preds} }} ?d ?p ?o"
    rows = store.select(f"SELECT ?d ?p ?o WHERE {{ {where} }}")
    counted = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    expected = int(counted[0]["n"]) if counted and "n" in counted[0] else -1
    if expected != len(rows):
        raise StoreError(f"the store answered {len(rows)} of the {expected} facts that decide whether "
                         f"{len(iris)} datasets are open data; nothing is published from a partial answer")
    return [(str(r["d"]), URIRef(str(r["p"])), r["o"]) for r in rows if "d" in r and "p" in r and "o" in r]


__all__ = ["open_datasets", "publishable", "is_open", "CANDIDATES", "DECIDING", "STILL_PERSONAL"]
