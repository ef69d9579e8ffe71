"""The systems map for architects: systems and partners as nodes, flows between them aggregated.

Every flow edge of the lineage graph is lifted to the systems (or partners) at its ends
(a dataset's end is the system holding it); flows between the same two ends in the same
direction become one link, counted by mechanism. A service area keeps only the systems
serving it (``gov:serviceArea`` on the system) and whatever they exchange data with.
Read from the lineage graph of one store revision (cached with it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgraph.lineage.graph import CARRIED, CONTAINER_KINDS, FLOW, PARTNER, SYSTEM, LineageGraph
from govgraph.lineage.results import EdgeInfo, NodeInfo, Subgraph
from govgraph.lineage.traverse import graph_of, node_info
from govgraph.ontology.ns import GOV

_Q_AREAS = "SELECT ?s ?u WHERE { ?s <%s> ?u }" % GOV.serviceArea


@dataclass
class Link:
    """The flows from one system (or partner) to another, aggregated."""
    source: str
    target: str
    flows: list[str]  # flow IRIs
    mechanisms: dict[str, int]  # mechanism IRI ("" when not recorded) -> how many flows
    crosses_boundary: bool
    inbound: bool  # from outside the council in (False: outward or inside)

    @property
    def count(self) -> int:
        """How many flows the link stands for."""
        return len(self.flows)

    def to_dict(self) -> dict[str, Any]:
        """This link as a JSON-ready dict."""
        return {"source": self.source, "target": self.target, "count": self.count, "flows": self.flows,
                "mechanisms": self.mechanisms, "crosses_boundary": self.crosses_boundary, "inbound": self.inbound}


@dataclass(eq=False)
class SystemsMap:
    """Systems and partners with the aggregated flows between them."""
    nodes: list[NodeInfo]
    links: list[Link]
    service_area: str | None = None
    service_areas: list[tuple[str, str]] = field(default_factory=list)  # every (IRI, label) to filter by
    area_of: dict[str, str] = field(default_factory=dict)  # a council system's IRI -> its service area's label

    def inside(self) -> list[NodeInfo]:
        """The council's own systems on the map."""
        return [n for n in self.nodes if not n.external]

    def outside(self) -> list[NodeInfo]:
        """The partners (and systems they run) on the map."""
        return [n for n in self.nodes if n.external]

    def busiest(self, n: int) -> "SystemsMap":
        """The ``n`` systems and partners with the most flows, and the links among them (for a drawing)."""
        if len(self.nodes) <= n:
            return self
        flows: dict[str, int] = {}
        for l in self.links:
            flows[l.source] = flows.get(l.source, 0) + l.count
            flows[l.target] = flows.get(l.target, 0) + l.count
        keep = set(sorted(flows, key=lambda i: (-flows[i], i))[:n])
        return SystemsMap([x for x in self.nodes if x.iri in keep],
                          [l for l in self.links if l.source in keep and l.target in keep],
                          self.service_area, self.service_areas, self.area_of)

    def subgraph(self, mechanism_label: Any = lambda m: m) -> Subgraph:
        """The map as a drawable subgraph: one edge per link, labelled with its mechanisms and counts."""
        edges = []
        for l in self.links:
            parts = [f"{mechanism_label(m) if m else 'unrecorded'}" + (f" ×{n}" if n > 1 else "")
                     for m, n in sorted(l.mechanisms.items(), key=lambda x: (-x[1], x[0]))]
            edges.append(EdgeInfo(l.source, l.target, "aggregate", label=", ".join(parts),
                                  crosses_boundary=l.crosses_boundary))
        return Subgraph(self.nodes, edges, [])

    def to_dict(self) -> dict[str, Any]:
        """This map as a JSON-ready dict."""
        return {"service_area": self.service_area, "nodes": [n.to_dict() for n in self.nodes],
                "links": [l.to_dict() for l in self.links],
                "service_areas": [{"iri": i, "label": l} for i, l in self.service_areas]}


def systems_map(source: Any, service_area: str | None = None) -> SystemsMap:
    """Systems and partners, and the flows between them aggregated by direction and mechanism.

    Kept with the lineage graph of the revision, per service area: treat the answer as read-only.
    """
    lg = graph_of(source)
    memo = lg.__dict__.setdefault("_systems_map", {})
    if service_area not in memo:
        if len(memo) > 64:
            memo.clear()
        memo[service_area] = _systems_map(lg, service_area)
    return memo[service_area]


def _systems_map(lg: LineageGraph, service_area: str | None) -> SystemsMap:
    areas = service_areas(lg)
    links: dict[tuple[str, str], Link] = {}
    for s, t, key, a in _flow_edges(lg):
        ss, ts = _end(lg, s), _end(lg, t)
        if ss is None or ts is None or ss == ts:
            continue
        link = links.get((ss, ts))
        if link is None:
            ext_s, ext_t = lg.is_external(ss), lg.is_external(ts)
            link = links[(ss, ts)] = Link(ss, ts, [], {}, ext_s != ext_t, ext_s and not ext_t)
        flow = a.get("flow") or key
        if flow in link.flows:
            continue
        link.flows.append(flow)
        m = a.get("mechanism") or ""
        link.mechanisms[m] = link.mechanisms.get(m, 0) + 1
    if service_area:
        keep = {n for n, us in areas.items() if service_area in us and lg.kind(n) == SYSTEM}
        chosen = [l for l in links.values() if l.source in keep or l.target in keep]
    else:
        keep, chosen = set(), list(links.values())
    ends = {n for l in chosen for n in (l.source, l.target)} | keep
    nodes = sorted((node_info(lg, n) for n in ends), key=lambda n: (n.external, n.label.casefold(), n.iri))
    chosen.sort(key=lambda l: (lg.label(l.source).casefold(), lg.label(l.target).casefold()))
    used = sorted({u for n, us in areas.items() if lg.kind(n) == SYSTEM for u in us}, key=lambda u: lg.label(u).casefold())
    area_of = {n.iri: min((lg.label(u) for u in areas[n.iri]), key=str.casefold)
               for n in nodes if not n.external and areas.get(n.iri)}
    return SystemsMap(nodes, chosen, service_area, [(u, lg.label(u)) for u in used], area_of)


def service_areas(lg: LineageGraph) -> dict[str, set[str]]:
    """IRI -> the service areas (units) it serves, for the store behind ``lg`` (per revision)."""
    got = lg.__dict__.get("_service_areas")
    if got is None:
        got = {}
        if lg.store is not None:
            for s, u in lg.store.query(_Q_AREAS, prefixes=False):
                got.setdefault(s.value, set()).add(u.value)
        lg.__dict__["_service_areas"] = got
    return got


def _flow_edges(lg: LineageGraph) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every flow (and carried-dataset) edge of the graph (per revision: a walk over all edges)."""
    rows = lg.__dict__.get("_flow_edges")
    if rows is None:
        rows = [(s, t, k, a) for s, t, k, a in lg.g.edges(keys=True, data=True) if a.get("kind") in (FLOW, CARRIED)]
        lg.__dict__["_flow_edges"] = rows
    return rows


def _end(lg: LineageGraph, n: str) -> str | None:
    """The system or partner at one end of a flow: the node itself, or the system holding it."""
    if lg.kind(n) in CONTAINER_KINDS:
        return n if lg.kind(n) in (SYSTEM, PARTNER) else None
    home = lg.attrs(n).get("held_in")
    return home if home and lg.kind(home) in (SYSTEM, PARTNER) else None
