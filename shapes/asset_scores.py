"""The share of assets meeting each principle: the scorecard counted over assets, not SHACL focus nodes.

A principle's shapes check many things that are not assets (fields, glossary terms, quality
measurements, flows ...), so a share over focus nodes stays near 100% while assets fail. Here an
asset is a dataset, report, statutory return, system or database; a principle checks an asset
when the asset is one of its focus nodes, or one of the asset's fields (``gov:fieldOf``) fails it;
the asset meets the principle when neither it nor any of its fields has a Violation or Warning of it.
Findings on things that are no asset's part (terms, agreements, flows, people) are not in the
share: the scorecard lists them beside it.

Counted from the kept validation report (``shapes.kept``: its focus nodes and failing nodes per
principle) and the search index (each resource's kind), as a live view (``govgraph.live``): a
commit's change recounts only the nodes whose findings or kind it can alter (the validation
scope of the change, ``shapes.kept.change_scope``), not every focus node of the estate (at 10k
datasets, 263,000 look-ups: 1.4-1.9 s on the first dashboard or validation page after each write).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from govgraph import kept_state, live, search_index
from govgraph.ontology.ns import GOV
from govgraph.shapes import kept
from govgraph.shapes.kept import KeptReport, change_scope, kept_report, rules_digest
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


@dataclass
class _Principle:
    """What one principle's share is counted from: its focus nodes that are assets, its failing nodes
    that are assets, and its failing fields with their dataset (an asset failing through a field)."""
    assets: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)
    owners: dict[str, int] = field(default_factory=dict)  # dataset -> how many of its fields fail

    def score(self, p: int) -> AssetScore:
        failing = self.failing | self.owners.keys()
        checked = len(self.assets) + len(failing - self.assets)
        return AssetScore(p, checked, checked - len(failing))

    def put_field(self, f: str, owner: str | None) -> None:
        old = self.fields.pop(f, None)
        if old is not None:
            self.owners[old] -= 1
            if not self.owners[old]:
                del self.owners[old]
        if owner is not None:
            self.fields[f] = owner
            self.owners[owner] = self.owners.get(owner, 0) + 1


@dataclass
class Counted:
    """The asset scores of one revision (None: the report has no focus-node counts), the check date
    of the report they were counted from, and per principle what they are counted from (changed in
    place by the next application, under the memo's lock: readers only read ``scores``)."""
    scores: dict[int, AssetScore] | None
    check_date: dt.date | None = None
    principles: dict[int, _Principle] = field(default_factory=dict)


def _count_nodes(store: Store, k: KeptReport, c: Counted, nodes) -> None:
    """Bring ``c``'s sets up to date for ``nodes`` (every node: ``nodes`` is None) from report ``k``."""
    idx = search_index.index(store)

    def kind(iri: str) -> str | None:
        i = idx.ids.get(iri)
        e = idx.entry[i] if i is not None else None
        return e.kind if e is not None else None

    # only failing fields are read for their dataset (few): the others change no count
    failing_fields = {n for ns in k.failing.values() for n in (ns if nodes is None else ns & nodes)
                      if kind(n) == "field"}
    owner = _field_owners(store, failing_fields)
    for p in sorted(set(k.nodes) | set(c.principles)):
        pr = c.principles.setdefault(p, _Principle())
        focus, bad = k.nodes.get(p, set()), k.failing.get(p, set())
        if nodes is None:
            pr.assets = {n for n in focus if kind(n) in ASSET_KINDS}
            pr.failing = {n for n in bad if kind(n) in ASSET_KINDS}
            for f in sorted(bad & failing_fields):
                pr.put_field(f, owner.get(f))
            continue
        for n in nodes:
            is_asset = kind(n) in ASSET_KINDS
            for s, on in ((pr.assets, is_asset and n in focus), (pr.failing, is_asset and n in bad)):
                if on:
                    s.add(n)
                else:
                    s.discard(n)
            if n in pr.fields or n in failing_fields:
                pr.put_field(n, owner.get(n) if n in bad and n in failing_fields else None)
    c.scores = {p: pr.score(p) for p, pr in sorted(c.principles.items()) if p in k.nodes}


def _counted(store: Store, k: KeptReport) -> Counted:
    """Every node of report ``k`` counted afresh."""
    c = Counted(None, k.report.check_date)
    _count_nodes(store, k, c, None)
    return c


def _build(store: Store) -> Counted:
    k = kept_report(store)
    return _counted(store, k) if k.nodes else Counted(None)


def _apply(c: Counted, store: Store, change: live.Change) -> Counted | None:
    """Recount the nodes the change can alter: its validation scope (its subjects among them, whose kind
    or dataset may have changed) and, when the report was brought to a new check date, the nodes that could
    change; None (counted afresh) when the report was made anew or the scope is not bounded."""
    k = kept_report(store)
    if c.scores is None or not k.nodes:
        return None
    moved: frozenset[str] = frozenset()
    if k.report.check_date != c.check_date:  # the report was brought to a new check date: what it changed
        if k.redated is None or k.redated[0] != c.check_date:
            return None
        moved = k.redated[1]
    scope = change_scope(store, change)
    if scope is None:
        return None
    _count_nodes(store, k, c, set(scope) | change.subjects | moved)
    c.check_date = k.report.check_date
    return c


def _is_scores(scores) -> bool:
    """Whether kept scores (the view's summary, read back after a restart) are None or principle -> AssetScore."""
    return scores is None or isinstance(scores, dict) and all(
        type(p) is int and type(a) is AssetScore and a.principle == p and type(a.assets) is int
        and type(a.meeting) is int and 0 <= a.meeting <= a.assets for p, a in scores.items())


kept_state.keep_classes(Counted, _Principle, AssetScore)
#: The asset scores as a live view (``govgraph.live``), kept on disk beside an embedded store with its scores
#: as a summary: after a restart the scorecard shows them before the sets they are counted from are read.
ASSET_SCORES_VIEW = live.LiveView("asset-scores", _build, _apply, changes_in_place=True,
                                  key=kept_state.code_key("asset-scores", rules_digest()),
                                  summary=lambda c: c.scores, summary_ok=_is_scores,
                                  current=lambda c: c.check_date is None or c.check_date == kept.parse_date(None))


def asset_scores(store: Store) -> dict[int, AssetScore] | None:
    """Per principle, the assets it checks and those meeting it, for the store's kept validation report
    (None when the report has no focus-node counts: validated by the reference engine)."""
    return live.memo(store).summary(store, ASSET_SCORES_VIEW)


def count(store: Store, k: KeptReport) -> dict[int, AssetScore]:
    """The asset scores of kept report ``k`` of ``store``, counted afresh."""
    return _counted(store, k).scores


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


__all__ = ["ASSET_KINDS", "ASSET_SCORES_VIEW", "AssetScore", "asset_scores", "count"]
