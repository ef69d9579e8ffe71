"""What an impact leaves hanging: the feeds coming in that would need a new home, and the
sharing agreements whose flows touch what is affected.

Both are read from the lineage graph of one store revision. The flows covered by an
agreement are indexed once per revision (an estate has few agreements and a few flows
each), so an impact that reaches tens of thousands of nodes costs one membership test
per covered flow rather than a walk over every affected node's edges.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Collection

from govgraph.lineage.graph import FIELD_DERIVED, LineageGraph


def inbound_feeds(lg: LineageGraph, start: Collection[str]) -> list[dict[str, Any]]:
    """Every flow into ``start`` (an asset, or a system and the datasets it holds) from outside it.

    These are the feeds that would need a new home if the asset went: one item per flow,
    with where it comes from (and the system holding that), where it lands, how and how
    often, the datasets it carries and the agreement it runs under. Field derivations are
    left out (they follow their datasets). Listed by source label, then target label.
    """
    inside = set(start)
    pred = lg.g._pred  # noqa: SLF001 - hot path (a warehouse holds thousands): plain dict access
    node = lg.g._node  # noqa: SLF001
    label, containers, empty = lg.label, lg.containers, {}
    seen: dict[str, int] = {}  # flow -> index in out: a flow met at a system and at its datasets is one feed
    out: list[dict[str, Any]] = []
    for t in sorted(inside):
        for s, keyed in pred.get(t, empty).items():
            if s in inside:
                continue
            for key, a in keyed.items():
                kind = a.get("kind")
                if kind == FIELD_DERIVED:
                    continue
                one = a.get("flow") or f"{s} {key}"
                sa = node.get(s, empty)
                home = sa.get("held_in")
                if one in seen:  # the same flow met again: keep its most precise ends (datasets over systems)
                    item = out[seen[one]]
                    if item["target"] in containers and t not in containers:
                        item.update(target=t, target_label=label(t), target_kind=lg.kind(t))
                    if item["source"] in containers and s not in containers:
                        item.update(source=s, source_label=label(s), source_kind=sa.get("kind", "other"),
                                    source_system=home, source_system_label=label(home) if home else None)
                    continue
                seen[one] = len(out)
                ag = a.get("agreement")
                out.append({
                    "source": s, "source_label": label(s), "source_kind": sa.get("kind", "other"),
                    "source_system": home, "source_system_label": label(home) if home else None,
                    "source_external": bool(sa.get("external")),
                    "target": t, "target_label": label(t), "target_kind": node.get(t, empty).get("kind", "other"),
                    "kind": kind, "flow": a.get("flow"), "flow_label": a.get("label") or "",
                    "mechanism": a.get("mechanism"), "frequency": a.get("frequency"),
                    "carries": sorted(a.get("carries", ())), "agreement": ag,
                    "agreement_label": label(ag) if ag else None, "key": key})
    out.sort(key=lambda f: (f["source_label"].casefold(), f["target_label"].casefold(), f["key"]))
    return out


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
