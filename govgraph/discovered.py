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
under that namespace (``namespace/...``), the first in IRI order on a tie. Those counts are a live
view (``govgraph.live``: each commit's change re-reads the datasets whose aliases or systems it
touches), not a scan of every alias per event (at 10k datasets, 280 ms of each event's ~300 ms).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from govgraph import live
from govgraph.ontology.ns import GOV
from govgraph.persistent import Map
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
            counts = live.view(store, NAMESPACES_VIEW).systems.get(ns)
            hit = [min(counts, key=lambda sys: (-counts[sys], sys))] if counts else []
        if hit:
            out[ns] = hit[0]
    return out


@dataclass(frozen=True)
class Namespaces:
    """For each alias prefix ending before a "/" (a namespace), the systems holding catalogue datasets
    aliased under it, with how many; and per dataset, the (namespace, system) pairs it counts in."""
    systems: dict[str, dict[str, int]]
    of: Map  # dataset -> frozenset of (namespace, system); persistent: a change copies its overlay, not every dataset


def _prefixes(alias: str) -> set[str]:
    return {alias[:i] for i, c in enumerate(alias) if c == "/"}


def _read_namespaces(store: Store, subjects: list[str] | None) -> dict[str, set[tuple[str, str]]]:
    values = "" if subjects is None else "VALUES ?d { %s } " % " ".join(f"<{d}>" for d in subjects)
    out: dict[str, set[tuple[str, str]]] = {}
    q = f"SELECT ?d ?a ?sys WHERE {{ {values}?d <{_ALIAS}> ?a ; <{_HELD_IN}> ?sys FILTER(isIRI(?sys)) }}"
    for r in store.query(q):
        d = r["d"].value if isinstance(r["d"], ox.NamedNode) else "_:" + r["d"].value
        out.setdefault(d, set()).update((ns, r["sys"].value) for ns in _prefixes(r["a"].value))
    return out


def _count(pairs: dict[str, frozenset[tuple[str, str]]]) -> dict[str, dict[str, int]]:
    systems: dict[str, dict[str, int]] = {}
    for ps in pairs.values():
        for ns, sys in ps:
            c = systems.setdefault(ns, {})
            c[sys] = c.get(sys, 0) + 1
    return systems


def _build(store: Store) -> Namespaces:
    of = {d: frozenset(ps) for d, ps in _read_namespaces(store, None).items()}
    return Namespaces(_count(of), Map(of))


def _apply(nss: Namespaces, store: Store, change: live.Change) -> Namespaces | None:
    touched = [q for q in change.quads if q.predicate.value in (_ALIAS, _HELD_IN)]
    if not touched:
        return nss
    if any(not isinstance(q.subject, ox.NamedNode) for q in touched):
        return None  # blank datasets are counted by their label within one answer only: counted afresh
    dirty = sorted({q.subject.value for q in touched})
    now = _read_namespaces(store, dirty)
    systems, of = dict(nss.systems), nss.of.edit()
    copied: set[str] = set()
    for d in dirty:
        new = frozenset(now.get(d, ()))
        old = of.get(d, frozenset())
        for pairs, step in ((old - new, -1), (new - old, 1)):
            for ns, sys in pairs:
                if ns not in copied:
                    copied.add(ns)
                    systems[ns] = dict(systems.get(ns, {}))
                c = systems[ns]
                c[sys] = c.get(sys, 0) + step
                if not c[sys]:
                    del c[sys]
                if not c:
                    del systems[ns]
                    copied.discard(ns)
        if new:
            of[d] = new
        else:
            of.pop(d, None)
    return Namespaces(systems, of.done())


#: The namespaces' systems as a view kept on the store (``govgraph.live``).
NAMESPACES_VIEW = live.LiveView("namespaces", _build, _apply)


def guess_triples(store: Store, minted: dict[str, str]) -> set[ox.Triple]:
    """``gov:guessedSystem`` triples for minted dataset IRIs (IRI -> its OpenLineage namespace)."""
    guesses = guess_systems(store, minted.values())
    pred = ox.NamedNode(str(GOV.guessedSystem))
    return {ox.Triple(ox.NamedNode(d), pred, ox.NamedNode(guesses[ns.rstrip("/")]))
            for d, ns in minted.items() if ns.rstrip("/") in guesses}


__all__ = ["KIND", "NAMESPACES_VIEW", "NOTE", "guess_systems", "guess_triples"]
