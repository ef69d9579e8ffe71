"""Sensitivity propagation: where personal data goes, until it is aggregated or anonymised.

Personal and special-category data are followed downstream from the datasets that hold
them; a dataset marked ``gov:Aggregated`` or ``gov:Anonymised`` is where a trail stops.
Every place the data lands is listed, with each hop across the council's boundary and
whether an agreement in force on the check date covers it.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

from govgraph.dates import check_date
from govgraph.lineage.graph import (CONTAINER_KINDS, DATA_KINDS, FIELD_DERIVED, PARTNER, SUBMITTED,
                                    LineageGraph)
from govgraph.lineage.results import Landing, SensitivityResult
from govgraph.lineage.traverse import graph_of, node_info, start_set


def sensitivity(source: Any, asset: str | None = None, *,
                check_date: dt.date | str | None = None) -> SensitivityResult:
    """Follow personal data downstream from ``asset`` (or from every origin of personal data).

    Origins are personal datasets with no personal, non-anonymised dataset upstream. For
    a system, the personal datasets it holds are the origins.
    """
    lg = graph_of(source)
    on = _as_date(check_date)
    notices: list[str] = []
    if asset is not None:
        root = lg.resolve(asset)
        roots = [n for n in start_set(lg, root) if _carries_personal(lg, n)]
        if not roots:
            notices.append(f"{lg.label(root)} holds no personal data that is not anonymised")
    else:
        roots = sorted(n for n in lg.g if _carries_personal(lg, n) and not any(
            _carries_personal(lg, p) for p in lg.g._pred[n]))  # noqa: SLF001
    parent = _spread(lg, roots)
    landings = []
    for n in sorted(parent, key=lambda n: (len(_path(parent, n)), lg.label(n).casefold(), n)):
        if parent[n] is None:
            continue
        path = _path(parent, n)
        hops = [_hop(lg, u, v, k, on) for (u, v, k) in _path_edges(parent, n)
                if lg.is_external(u) != lg.is_external(v)]
        if lg.is_external(n):  # every way into an outside node from where the data has reached
            for u, keyed in lg.g._pred[n].items():  # noqa: SLF001
                if u in parent and not lg.is_external(u) and (parent[u] is not None or u in roots):
                    for k, a in keyed.items():
                        if a.get("kind") == FIELD_DERIVED or (u, n, k) in {(h["source"], h["target"], h["key"]) for h in hops}:
                            continue
                        if _flows_on(lg, u):
                            hops.append(_hop(lg, u, n, k, on))
        landings.append(Landing(node=node_info(lg, n, len(path) - 1), path=path, boundary_hops=hops,
                                covered=all(h["covered"] for h in hops),
                                stopped=bool(lg.attrs(n).get("anonymised"))))
    return SensitivityResult(check_date=on.isoformat(), sources=[node_info(lg, r) for r in roots],
                             landings=landings, notices=notices)


def _carries_personal(lg: LineageGraph, n: str) -> bool:
    a = lg.attrs(n)
    return bool(a.get("personal")) and not a.get("anonymised") and a.get("kind") in DATA_KINDS


def _flows_on(lg: LineageGraph, n: str) -> bool:
    """Whether personal data that reached n moves on from it (not anonymised, not a landing system)."""
    a = lg.attrs(n)
    return not a.get("anonymised") and a.get("kind") not in CONTAINER_KINDS


def _spread(lg: LineageGraph, roots: list[str]) -> dict[str, tuple[str, str] | None]:
    """Multi-source BFS downstream; aggregated/anonymised datasets and systems are where it stops."""
    parent: dict[str, tuple[str, str] | None] = {r: None for r in roots}
    q = deque(roots)
    succ = lg.g._succ  # noqa: SLF001
    while q:
        x = q.popleft()
        if parent[x] is not None and not _flows_on(lg, x):
            continue
        for y, keyed in succ[x].items():
            if y in parent:
                continue
            keys = [k for k, a in keyed.items() if a.get("kind") != FIELD_DERIVED]
            if keys:
                parent[y] = (x, keys[0])
                q.append(y)
    return parent


def _path(parent: dict[str, tuple[str, str] | None], n: str) -> list[str]:
    out = [n]
    while parent[out[-1]] is not None:
        out.append(parent[out[-1]][0])  # type: ignore[index]
    return out[::-1]


def _path_edges(parent: dict[str, tuple[str, str] | None], n: str) -> list[tuple[str, str, str]]:
    out = []
    while parent[n] is not None:
        u, k = parent[n]  # type: ignore[misc]
        out.append((u, n, k))
        n = u
    return out[::-1]


def partner_of(lg: LineageGraph, n: str) -> str | None:
    """The outside organisation a node belongs to: itself, its operator, or its system's operator."""
    a = lg.attrs(n)
    if a.get("kind") == PARTNER:
        return n
    for op in _listify(a.get("operated_by")):
        return op
    home = a.get("held_in")
    return partner_of(lg, home) if home and home != n else None


def _hop(lg: LineageGraph, u: str, v: str, key: str, on: dt.date) -> dict[str, Any]:
    """One boundary hop: its flow, agreement, whether in force, and whether the partner signed it."""
    a = lg.g.edges[u, v, key]
    ag = a.get("agreement")
    outside = v if lg.is_external(v) else u
    partner = partner_of(lg, outside)
    parties = lg.info.get(ag, {}).get("party", []) if ag else []
    in_force = lg.agreement_in_force(ag, on)
    party_ok = bool(ag) and (not parties or partner is None or partner in parties)
    statutory = a.get("kind") == SUBMITTED
    return {"source": u, "target": v, "key": key, "kind": a.get("kind"), "flow": a.get("flow"),
            "flow_label": a.get("label") or "", "mechanism": a.get("mechanism"),
            "partner": partner, "partner_label": lg.label(partner) if partner else None,
            "agreement": ag, "agreement_label": lg.label(ag) if ag else None,
            "agreement_in_force": in_force, "partner_is_party": party_ok,
            "statutory": statutory, "covered": statutory or (bool(ag) and in_force and party_ok),
            "reason": _reason(ag, in_force, party_ok, a.get("kind"), a.get("flow"))}


def _reason(ag: str | None, in_force: bool, party_ok: bool, kind: str | None, flow: str | None) -> str:
    if kind == SUBMITTED:
        return "statutory return: submission required by law (no sharing agreement needed)"
    if not ag:
        return "no sharing agreement" + (" recorded on the flow" if flow else "")
    if not in_force:
        return "agreement not in force on the check date"
    if not party_ok:
        return "the partner is not a party to the agreement"
    return "covered"


def _listify(v: Any) -> list[str]:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _as_date(v: dt.date | str | None) -> dt.date:
    return check_date(v, "check date")
