"""The ownership graph: who is accountable for an asset and for everything upstream of it."""
from __future__ import annotations

from typing import Any

from govgraph.lineage.graph import DATA_KINDS, SYSTEM, LineageGraph, details
from govgraph.lineage.queries import upstream
from govgraph.lineage.results import NodeInfo, OwnershipResult, Person
from govgraph.lineage.traverse import graph_of, node_info

ROLES = ("owner", "steward", "custodian")


def ownership(source: Any, asset: str) -> OwnershipResult:
    """Owner, steward and custodian of an asset, their service areas, and the owners upstream.

    The upstream owners are the people to ask when a figure is wrong: one entry per person
    with the upstream assets they own, nearest first.
    """
    lg = graph_of(source)
    iri = lg.resolve(asset)
    a = {**lg.attrs(iri), **details(lg, iri)}
    roles = {r: [person(lg, p) for p in _listify(a.get(r))] for r in ROLES}
    areas: dict[str, str] = {u: lg.label(u) for u in _listify(a.get("service_area"))}
    for people in roles.values():
        for p in people:
            if p.unit:
                areas.setdefault(p.unit, p.unit_label or p.unit)
    up = upstream(lg, iri)
    by_person: dict[str, dict[str, Any]] = {}
    unowned: list[NodeInfo] = []
    for n in up.nodes:
        if n.iri == iri or (n.kind not in DATA_KINDS and n.kind != SYSTEM):
            continue
        owners = _listify(lg.attrs(n.iri).get("owner"))
        if not owners and n.kind in DATA_KINDS:
            unowned.append(n)
        for o in owners:
            e = by_person.setdefault(o, {"person": person(lg, o).to_dict(), "assets": []})
            e["assets"].append({"iri": n.iri, "label": n.label, "kind": n.kind, "depth": n.depth})
    upstream_owners = sorted(by_person.values(),
                             key=lambda e: (min(x["depth"] for x in e["assets"]), e["person"]["name"].casefold()))
    return OwnershipResult(asset=node_info(lg, iri), roles=roles,
                           service_areas=[{"iri": k, "label": v} for k, v in areas.items()],
                           upstream_owners=upstream_owners, unowned_upstream=unowned)


def person(lg: LineageGraph, iri: str) -> Person:
    """A Person from the graph's facts (name, job title, unit, leaving date)."""
    a = lg.info.get(iri, {})
    unit = a.get("member_of")
    return Person(iri=iri, name=a.get("label") or lg.label(iri), job_title=a.get("job_title"),
                  unit=unit, unit_label=lg.label(unit) if unit else None, left_on=a.get("left_on"))


def _listify(v: Any) -> list[str]:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]
