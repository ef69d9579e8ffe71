"""What an impact leaves hanging: the feeds coming in that would need a new home, and the
sharing agreements whose flows touch what is affected.

Both are read from the lineage graph of one store revision. The flows covered by an
agreement are indexed once per revision (an estate has few agreements and a few flows
each), so an impact that reaches tens of thousands of nodes costs one membership test
per covered flow rather than a walk over every affected node's edges.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Collection

from govgraph.lineage.graph import FIELD_DERIVED, LineageGraph


class Feeds(Sequence):
    """Inbound feeds in order, as item dicts made when read (a warehouse has tens of thousands)."""

    def __init__(self, lg: LineageGraph, rows: list[tuple[str, str, str, str, str]]):
        self._lg, self._rows = lg, rows  # (source label, target label, key, source, target)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._item(r) for r in self._rows[i]]
        return self._item(self._rows[i])

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, (Feeds, list)) else other)

    def _item(self, row: tuple[str, str, str, str, str]) -> dict[str, Any]:
        lg = self._lg
        s_label, t_label, key, s, t = row
        a = lg.g.edges[s, t, key]
        sa = lg.attrs(s)
        home, ag = sa.get("held_in"), a.get("agreement")
        return {"source": s, "source_label": s_label, "source_kind": sa.get("kind", "other"),
                "source_system": home, "source_system_label": lg.label(home) if home else None,
                "source_external": bool(sa.get("external")),
                "target": t, "target_label": t_label, "target_kind": lg.kind(t),
                "kind": a.get("kind"), "flow": a.get("flow"), "flow_label": a.get("label") or "",
                "mechanism": a.get("mechanism"), "frequency": a.get("frequency"),
                "carries": sorted(a.get("carries", ())), "agreement": ag,
                "agreement_label": lg.label(ag) if ag else None, "key": key}


def inbound_feeds(lg: LineageGraph, start: Collection[str]) -> Feeds:
    """Every flow into ``start`` (an asset, or a system and the datasets it holds) from outside it.

    These are the feeds that would need a new home if the asset went: one item per flow,
    with where it comes from (and the system holding that), where it lands, how and how
    often, the datasets it carries and the agreement it runs under. A flow met at a system
    and at its datasets is one feed, with its most precise ends (datasets over systems).
    Field derivations are left out (they follow their datasets). Listed by source label,
    then target label; the item dicts are made when read.
    """
    memo = lg.__dict__.setdefault("_inbound_feeds", {})  # per revision: the same start, the same feeds
    key = tuple(start)
    if key not in memo:
        if len(memo) > 64:
            memo.clear()
        memo[key] = _inbound(lg, set(start))
    return memo[key]


def _inbound(lg: LineageGraph, inside: set[str]) -> Feeds:
    pred = lg.g._pred  # noqa: SLF001 - hot path (a warehouse holds thousands): plain dict access
    containers, empty = lg.containers, {}
    best: dict[str, tuple[str, str, str]] = {}  # flow (or source + key) -> (source, target, key)
    for t in inside:
        for s, keyed in pred.get(t, empty).items():
            if s in inside:
                continue
            for key, a in keyed.items():
                if a.get("kind") == FIELD_DERIVED:
                    continue
                one = a.get("flow") or f"{s} {key}"
                had = best.get(one)
                if had is None or (had[0] in containers and s not in containers) or (
                        had[1] in containers and t not in containers and (had[0] in containers) == (s in containers)):
                    best[one] = (s, t, key)
    label = lg.label
    rows = sorted((label(s), label(t), key, s, t) for s, t, key in best.values())
    rows.sort(key=lambda r: (r[0].casefold(), r[1].casefold(), r[2]))
    return Feeds(lg, rows)


def agreements_touching(lg: LineageGraph, affected: Collection[str], start: Collection[str],
                        on: dt.date | None = None) -> list[dict[str, Any]]:
    """The sharing agreements covering a flow out of ``affected`` or ``start``, or into ``start``.

    ``affected`` are the data assets an impact reaches (systems and partners reached are
    where data lands, so their other flows are not affected); ``start`` is the asset
    itself (with the datasets a system holds), whose flows in and out are all affected.

    One item per agreement: its label, whether it is in force on ``on`` (today when not
    given), its parties, and the affected flows it covers (IRI and label). Sorted by label.
    """
    on = on or dt.date.today()
    start = start if isinstance(start, (set, frozenset)) else set(start)  # membership per covered flow: a set
    found: dict[str, dict[str, str]] = {}
    for ag, s, t, flow, label in _covered_flows(lg):
        if s in affected or s in start or t in start:
            found.setdefault(ag, {})[flow] = label
    out = []
    for ag, flows in found.items():
        parties = lg.info.get(ag, {}).get("party", [])
        out.append({"iri": ag, "label": lg.label(ag), "in_force": lg.agreement_in_force(ag, on),
                    "valid_until": lg.info.get(ag, {}).get("valid_until"),
                    "parties": [{"iri": p, "label": lg.label(p)} for p in sorted(parties, key=lg.label)],
                    "flows": [{"iri": f, "label": l} for f, l in sorted(flows.items(), key=lambda x: x[1].casefold())]})
    out.sort(key=lambda a: (a["label"].casefold(), a["iri"]))
    return out


def _covered_flows(lg: LineageGraph) -> list[tuple[str, str, str, str, str]]:
    """(agreement, source, target, flow IRI, flow label) for every edge that names an agreement (per revision)."""
    rows = lg.__dict__.get("_covered_flows")
    if rows is None:
        rows = []
        for s, t, key, a in lg.g.edges(keys=True, data=True):
            ag = a.get("agreement")
            if ag and a.get("kind") != FIELD_DERIVED:
                flow = a.get("flow") or key
                rows.append((ag, s, t, flow, a.get("label") or lg.label(flow)))
        lg.__dict__["_covered_flows"] = rows
    return rows
