"""The share of assets meeting each principle: the scorecard counted over assets, not SHACL focus nodes.

A principle's shapes check many things that are not assets (fields, glossary terms, quality
measurements, flows ...), so a share over focus nodes stays near 100% while assets fail. Here an
asset is a dataset, report, statutory return, system or database; a principle checks an asset
when the asset is one of its focus nodes, or one of the asset's fields (``gov:fieldOf``) fails it;
the asset meets the principle when neither it nor any of its fields has a Violation or Warning of it.
Findings on things that are no asset's part (terms, agreements, flows, people) are not in the
share: the scorecard lists them beside it.

Counted from the kept validation report (``shapes.kept``: its focus nodes and failing nodes per
principle) and the search index (each resource's kind), once per kept report.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from govgraph import search_index
from govgraph.ontology.ns import GOV
from govgraph.shapes.kept import KeptReport, kept_report
from govgraph.store import Store

#: The catalogue kinds counted as assets.
ASSET_KINDS = frozenset({"dataset", "report", "return", "system", "database"})
_FIELD_OF = str(GOV.fieldOf)
_CHUNK = 2000  # fields per query when reading which dataset each belongs to


@dataclass(frozen=True)
class AssetScore:
    """One principle: the assets it checks and how many meet it."""
    principle: int
    assets: int
    meeting: int

    @property
    def failing(self) -> int:
        return self.assets - self.meeting

    @property
    def share(self) -> float:
        """Share of checked assets meeting the principle (1.0 when it checks none)."""
        return self.meeting / self.assets if self.assets else 1.0


_lock = threading.Lock()
_held: "weakref.WeakKeyDictionary[Store, tuple[KeptReport, dict[int, AssetScore]]]" = weakref.WeakKeyDictionary()


def asset_scores(store: Store) -> dict[int, AssetScore] | None:
    """Per principle, the assets it checks and those meeting it, for the store's kept validation report
    (None when the report has no focus-node counts: validated by the reference engine)."""
    k = kept_report(store)
    if not k.nodes:
        return None
    with _lock:
        held = _held.get(store)
        if held is not None and held[0] is k:
            return held[1]
    scores = count(store, k)
    with _lock:
        _held[store] = (k, scores)
    return scores


def count(store: Store, k: KeptReport) -> dict[int, AssetScore]:
    """The asset scores of kept report ``k`` of ``store``."""
    idx = search_index.index(store)

    def kind(iri: str) -> str | None:
        i = idx.ids.get(iri)
        e = idx.entry[i] if i is not None else None
        return e.kind if e is not None else None

    # only failing fields are read for their dataset (few): the others change no count
    owner = _field_owners(store, {n for ns in k.failing.values() for n in ns if kind(n) == "field"})
    out: dict[int, AssetScore] = {}
    for p, nodes in sorted(k.nodes.items()):
        bad = k.failing.get(p, set())
        failing = {n for n in bad if kind(n) in ASSET_KINDS} | {owner[n] for n in bad if n in owner}
        assets = {n for n in nodes if kind(n) in ASSET_KINDS} | failing
        out[p] = AssetScore(p, len(assets), len(assets) - len(failing))
    return out


def _field_owners(store: Store, fields: set[str]) -> dict[str, str]:
    """Each field's dataset (``gov:fieldOf``), for the fields given."""
    out: dict[str, str] = {}
    ordered = sorted(fields)
    for i in range(0, len(ordered), _CHUNK):
        values = " ".join(f"<{f}>" for f in ordered[i:i + _CHUNK])
        q = f"SELECT ?f ?d WHERE {{ VALUES ?f {{ {values} }} ?f <{_FIELD_OF}> ?d FILTER(isIRI(?d)) }}"
        for r in store.query(q, prefixes=False):
            out.setdefault(r["f"].value, r["d"].value)
    return out


__all__ = ["ASSET_KINDS", "AssetScore", "asset_scores", "count"]
