"""Result types of lineage queries: plain dataclasses with ``to_dict()`` for JSON.

Every result that is a picture (lineage, impact, paths, ownership) can give its
``subgraph()``: the nodes and edges the layout and the exporters draw.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence


@dataclass
class NodeInfo:
    """One asset in a result: what it is, where it is held and how sensitive it is."""
    iri: str
    label: str
    kind: str
    depth: int = 0
    system: str | None = None
    system_label: str | None = None
    personal: bool = False
    special: bool = False
    external: bool = False
    owner: str | None = None
    owner_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """This node as a JSON-ready dict."""
        return asdict(self)


@dataclass
class EdgeInfo:
    """One hop in a result: a flow, a derivation, a pipeline run or a field derivation."""
    source: str
    target: str
    kind: str
    flow: str | None = None
    label: str = ""
    mechanism: str | None = None
    frequency: str | None = None
    agreement: str | None = None
    carries: tuple[str, ...] = ()
    activity: str | None = None
    transformation: str | None = None
    graph: str | None = None
    crosses_boundary: bool = False

    def to_dict(self) -> dict[str, Any]:
        """This edge as a JSON-ready dict."""
        d = asdict(self)
        d["carries"] = list(self.carries)
        return d


@dataclass
class Subgraph:
    """Nodes and edges to draw, with the asset(s) in focus."""
    nodes: list[NodeInfo]
    edges: list[EdgeInfo]
    focus: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """This subgraph as a JSON-ready dict."""
        return {"focus": self.focus, "nodes": [n.to_dict() for n in self.nodes],
                "edges": [e.to_dict() for e in self.edges]}


@dataclass
class LineageResult:
    """Upstream and/or downstream of an asset: the nodes reached (with hop depth) and edges walked."""
    root: str
    direction: str  # up | down | both
    depth: int | None
    nodes: list[NodeInfo]
    edges: list[EdgeInfo]
    notices: list[str] = field(default_factory=list)

    def node(self, iri: str) -> NodeInfo | None:
        """The result node for an IRI, if reached."""
        return next((n for n in self.nodes if n.iri == iri), None)

    def iris(self) -> set[str]:
        """The IRIs of every node reached, the root included."""
        return {n.iri for n in self.nodes}

    def subgraph(self) -> Subgraph:
        """The result as a drawable subgraph focused on the root."""
        return Subgraph(self.nodes, self.edges, [self.root])

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict."""
        return {"root": self.root, "direction": self.direction, "depth": self.depth,
                "notices": self.notices, "nodes": [n.to_dict() for n in self.nodes],
                "edges": [e.to_dict() for e in self.edges]}


@dataclass
class PathResult:
    """Every simple path (bounded) between two assets, as node lists with the edges of each hop."""
    source: str
    target: str
    direction: str  # down (source feeds target) | up (target feeds source) | none
    paths: list[list[str]]
    hops: list[list[EdgeInfo]]
    nodes: list[NodeInfo]
    truncated: bool = False
    notices: list[str] = field(default_factory=list)

    def subgraph(self) -> Subgraph:
        """All paths merged into one drawable subgraph."""
        seen: dict[tuple[str, str, str, str | None], EdgeInfo] = {}
        for hop in self.hops:
            for e in hop:
                seen.setdefault((e.source, e.target, e.kind, e.flow or e.activity), e)
        return Subgraph(self.nodes, list(seen.values()), [self.source, self.target])

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict."""
        return {"source": self.source, "target": self.target, "direction": self.direction,
                "truncated": self.truncated, "notices": self.notices, "paths": self.paths,
                "hops": [[e.to_dict() for e in h] for h in self.hops],
                "nodes": [n.to_dict() for n in self.nodes]}


class ImpactGroup:
    """One group of affected things (datasets, reports, returns, partners, systems, owners).

    A warehouse's impact lists tens of thousands of items, so a group keeps them as compact
    rows and makes the item dicts (``items``) when first read; ``head(n)`` makes only n.
    """
    __slots__ = ("name", "count", "_rows", "_make", "_items")

    def __init__(self, name: str, count: int, items: list[dict[str, Any]] | None = None, *,
                 rows: Sequence[Any] = (), make: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.name, self.count = name, count
        self._rows, self._make, self._items = rows, make, items

    @property
    def items(self) -> list[dict[str, Any]]:
        """The affected things, in order, as dicts (iri, label, kind, depth, system ... or, for owners, count, assets)."""
        if self._items is None:
            make = self._make
            self._items = [make(r) for r in self._rows] if make is not None else []
        return self._items

    def head(self, n: int) -> list[dict[str, Any]]:
        """The first n items (without making the rest)."""
        if self._items is not None or self._make is None:
            return self.items[:n]
        return [self._make(r) for r in self._rows[:n]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImpactGroup):
            return NotImplemented
        return (self.name, self.count, self.items) == (other.name, other.count, other.items)

    def __repr__(self) -> str:
        return f"ImpactGroup(name={self.name!r}, count={self.count})"

    def to_dict(self) -> dict[str, Any]:
        """This group as a JSON-ready dict (fresh dicts, as ``dataclasses.asdict`` gave)."""
        if self._items is None and self._make is not None:
            items = [self._make(r) for r in self._rows]
        else:
            items = copy.deepcopy(self.items)
        return {"name": self.name, "count": self.count, "items": items}


@dataclass
class ImpactResult:
    """What is affected by removing or changing an asset, grouped and counted."""
    root: str
    root_label: str
    root_kind: str
    starting_set: list[str]
    groups: dict[str, ImpactGroup]
    notices: list[str] = field(default_factory=list)
    #: computes the downstream LineageResult behind the impact when it is drawn (kept lazy: it is big)
    lineage_of: Any = field(default=None, repr=False, compare=False)
    #: flows into the asset (or the system and what it holds) from elsewhere: they would need a new home
    inbound: Sequence[dict[str, Any]] = field(default_factory=list)
    #: sharing agreements covering a flow that starts or ends in what is affected (or the asset itself)
    agreements: list[dict[str, Any]] = field(default_factory=list)

    def count(self, group: str) -> int:
        """How many things a group holds (0 for an unknown group)."""
        return self.groups[group].count if group in self.groups else 0

    def iris(self, group: str) -> set[str]:
        """The IRIs in a group."""
        return {i["iri"] for i in self.groups[group].items} if group in self.groups else set()

    def subgraph(self) -> Subgraph:
        """The downstream lineage behind the impact, drawable."""
        return self.lineage_of().subgraph()

    def table(self) -> list[list[Any]]:
        """Every affected thing as one row (for CSV): what, label, kind, steps away, held in, IRI, detail."""
        rows: list[list[Any]] = [["what", "label", "kind", "steps away", "held in", "IRI", "detail"]]
        for name, g in self.groups.items():
            for i in g.items:
                detail = f"owns {i['count']} affected" if "count" in i else ""
                rows.append([name[:-1] if name.endswith("s") else name, i["label"], i.get("kind", ""),
                             i.get("depth", ""), i.get("system_label") or "", i["iri"], detail])
        for f in self.inbound:
            rows.append(["inbound feed", f["flow_label"] or f["source_label"], f["source_kind"], "",
                         f["source_system_label"] or "", f["flow"] or f["source"],
                         f"{f['source_label']} -> {f['target_label']}"
                         + (f" under {f['agreement_label']}" if f["agreement_label"] else " (no agreement)")])
        for a in self.agreements:
            rows.append(["agreement", a["label"], "agreement", "", "", a["iri"],
                         ("in force" if a["in_force"] else "NOT in force") + f"; {len(a['flows'])} affected flow(s)"])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict (groups with their items; not the lineage edges)."""
        return {"root": self.root, "root_label": self.root_label, "root_kind": self.root_kind,
                "starting_set": self.starting_set, "notices": self.notices,
                "counts": {k: g.count for k, g in self.groups.items()},
                "groups": {k: g.to_dict() for k, g in self.groups.items()},
                "inbound": list(self.inbound[:]), "agreements": copy.deepcopy(self.agreements)}


@dataclass
class Landing:
    """A place personal data lands, how it got there and whether each boundary hop is covered."""
    node: NodeInfo
    path: list[str]
    boundary_hops: list[dict[str, Any]]
    covered: bool  # every boundary hop on the path is covered by an agreement in force
    stopped: bool = False  # the data is aggregated/anonymised here, so propagation stops

    def to_dict(self) -> dict[str, Any]:
        """This landing as a JSON-ready dict."""
        return {"node": self.node.to_dict(), "path": self.path, "boundary_hops": self.boundary_hops,
                "covered": self.covered, "stopped": self.stopped}


@dataclass
class SensitivityResult:
    """Personal data followed downstream from its sources until anonymised or aggregated."""
    check_date: str
    sources: list[NodeInfo]
    landings: list[Landing]
    notices: list[str] = field(default_factory=list)

    def uncovered(self) -> list[Landing]:
        """Landings outside the boundary reached by at least one hop without an agreement in force."""
        return [l for l in self.landings if l.boundary_hops and not l.covered]

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict."""
        return {"check_date": self.check_date, "notices": self.notices,
                "sources": [s.to_dict() for s in self.sources],
                "landings": [l.to_dict() for l in self.landings],
                "uncovered": [l.node.iri for l in self.uncovered()]}


@dataclass
class FieldTrace:
    """One field and the source fields it is derived from, recursively, with each transformation."""
    iri: str
    label: str
    dataset: str | None
    dataset_label: str | None
    system: str | None
    system_label: str | None
    transformation: str | None
    sources: list["FieldTrace"] = field(default_factory=list)
    cycle: bool = False  # this field was already on the path (a cycle in field lineage)

    def roots(self) -> list["FieldTrace"]:
        """The original source fields (fields with no further source), each once."""
        out: dict[str, FieldTrace] = {}
        stack = [self]
        while stack:
            t = stack.pop()
            if not t.sources and not t.cycle and t is not self:
                out.setdefault(t.iri, t)
            stack.extend(reversed(t.sources))
        return list(out.values())

    def to_dict(self) -> dict[str, Any]:
        """This trace as a JSON-ready nested dict."""
        return {"iri": self.iri, "label": self.label, "dataset": self.dataset,
                "dataset_label": self.dataset_label, "system": self.system,
                "system_label": self.system_label, "transformation": self.transformation,
                "cycle": self.cycle, "sources": [s.to_dict() for s in self.sources]}


@dataclass
class Person:
    """A person in an ownership answer: name, job, service area, and whether they have left."""
    iri: str
    name: str
    job_title: str | None = None
    unit: str | None = None
    unit_label: str | None = None
    left_on: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """This person as a JSON-ready dict."""
        return asdict(self)


@dataclass
class OwnershipResult:
    """Who is accountable for an asset, and who owns everything upstream of it."""
    asset: NodeInfo
    roles: dict[str, list[Person]]  # owner / steward / custodian -> people
    service_areas: list[dict[str, str]]
    upstream_owners: list[dict[str, Any]]  # one entry per person: the person and the assets they own
    unowned_upstream: list[NodeInfo]

    def subgraph(self) -> Subgraph:
        """Asset, its people and their service areas, and upstream owners, as a drawable graph."""
        nodes: dict[str, NodeInfo] = {self.asset.iri: self.asset}
        edges: list[EdgeInfo] = []
        for role, people in self.roles.items():
            for p in people:
                nodes.setdefault(p.iri, NodeInfo(p.iri, p.name, "person"))
                edges.append(EdgeInfo(p.iri, self.asset.iri, role, label=role))
                if p.unit:
                    nodes.setdefault(p.unit, NodeInfo(p.unit, p.unit_label or p.unit, "unit"))
                    edges.append(EdgeInfo(p.unit, p.iri, "member", label="member"))
        for entry in self.upstream_owners:
            p = entry["person"]
            nodes.setdefault(p["iri"], NodeInfo(p["iri"], p["name"], "person"))
            for a in entry["assets"]:
                nodes.setdefault(a["iri"], NodeInfo(a["iri"], a["label"], a["kind"], depth=a.get("depth", 0)))
                edges.append(EdgeInfo(p["iri"], a["iri"], "owner", label="owner"))
                if a["iri"] != self.asset.iri:
                    edges.append(EdgeInfo(a["iri"], self.asset.iri, "upstream", label="feeds"))
        uniq: dict[tuple[str, str, str], EdgeInfo] = {}
        for e in edges:
            uniq.setdefault((e.source, e.target, e.kind), e)
        return Subgraph(list(nodes.values()), list(uniq.values()), [self.asset.iri])

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict."""
        return {"asset": self.asset.to_dict(),
                "roles": {r: [p.to_dict() for p in ps] for r, ps in self.roles.items()},
                "service_areas": self.service_areas, "upstream_owners": self.upstream_owners,
                "unowned_upstream": [n.to_dict() for n in self.unowned_upstream]}
