"""Collapse large fan-outs of a drawable subgraph into one group node each ("+14 datasets in Capita ONE").

A hub's neighbours that lie farther from the focus than the hub, on one side (fed by it,
or feeding it) and of one kind, form a fan; a fan of more than ``threshold`` nodes is
drawn as a single group node. Edges of the members are redrawn to and from the group
(parallel ones are bundled when drawn); edges between members of one group disappear
inside it. Every group has a short stable key; a caller lists keys in ``expanded`` to
draw that fan in full. The focus is never grouped. Deterministic: hubs are taken nearest
the focus first, then by IRI, and a node joins at most one group.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Collection

from govgraph.lineage.results import EdgeInfo, NodeInfo, Subgraph

GROUP_PREFIX = "urn:govgraph:group:"
#: A fan of more nodes than this is drawn as one group node.
THRESHOLD = 8

_PLURAL = {"dataset": "datasets", "report": "reports", "return": "statutory returns", "system": "systems",
           "database": "databases", "partner": "partners", "organisation": "organisations", "field": "fields",
           "person": "people", "unit": "teams", "team": "teams", "agreement": "agreements"}


@dataclass(frozen=True)
class Group:
    """A collapsed fan: its key, hub, side ("out": the hub feeds or holds them; "in": they feed it), kind, members."""
    key: str
    hub: str
    side: str
    kind: str
    members: tuple[str, ...]
    label: str

    @property
    def iri(self) -> str:
        """The group node's identifier in the collapsed subgraph."""
        return GROUP_PREFIX + self.key


def group_key(hub: str, side: str, kind: str) -> str:
    """A short stable key for the fan of ``kind`` nodes on ``side`` of ``hub``."""
    return hashlib.sha1(f"{hub}|{side}|{kind}".encode()).hexdigest()[:10]


def is_group(iri: str) -> bool:
    """Whether an identifier names a group node."""
    return iri.startswith(GROUP_PREFIX)


def collapse_fanouts(sub: Subgraph, *, threshold: int = THRESHOLD, expanded: Collection[str] = (),
                     rounds: int = 3) -> tuple[Subgraph, list[Group]]:
    """The subgraph with every fan above ``threshold`` (and not in ``expanded``) collapsed; and the groups made.

    Collapsing can make new fans (a group feeding many nodes that each fed from one member):
    up to ``rounds`` passes are made, a group then being a hub like any node.
    """
    groups: list[Group] = []
    for _ in range(rounds):
        sub, made = _collapse_once(sub, threshold, expanded)
        if not made:
            break
        groups.extend(made)
    return sub, groups


def _collapse_once(sub: Subgraph, threshold: int, expanded: Collection[str]) -> tuple[Subgraph, list[Group]]:
    nodes = {n.iri: n for n in sub.nodes}
    focus = set(sub.focus)
    fans: dict[tuple[str, str, str], set[str]] = {}
    roles: dict[tuple[str, str, str], set[str]] = {}  # the kinds of edge joining each fan to its hub
    for e in sub.edges:
        u, v = e.source, e.target
        if u not in nodes or v not in nodes or u == v:
            continue
        if v not in focus and nodes[v].depth > nodes[u].depth:
            fans.setdefault((u, "out", nodes[v].kind), set()).add(v)
            roles.setdefault((u, "out", nodes[v].kind), set()).add(e.kind)
        if u not in focus and nodes[u].depth > nodes[v].depth:
            fans.setdefault((v, "in", nodes[u].kind), set()).add(u)
            roles.setdefault((v, "in", nodes[u].kind), set()).add(e.kind)
    owner: dict[str, Group] = {}
    groups: list[Group] = []
    for hub, side, kind in sorted(fans, key=lambda f: (nodes[f[0]].depth, f)):
        if hub in owner:
            continue
        members = sorted(m for m in fans[(hub, side, kind)] if m not in owner)
        key = group_key(hub, side, kind)
        if len(members) <= threshold or key in expanded:
            continue
        grp = Group(key, hub, side, kind, tuple(members), _label(nodes, hub, side, kind, members, roles[(hub, side, kind)]))
        groups.append(grp)
        for m in members:
            owner[m] = grp
    if not groups:
        return sub, []
    out_nodes = [n for n in sub.nodes if n.iri not in owner]
    for grp in groups:
        ms = [nodes[m] for m in grp.members]
        out_nodes.append(NodeInfo(grp.iri, grp.label, "group", depth=min(m.depth for m in ms),
                                  personal=any(m.personal for m in ms), special=any(m.special for m in ms),
                                  external=all(m.external for m in ms)))
    out_edges: list[EdgeInfo] = []
    for e in sub.edges:
        s = owner[e.source].iri if e.source in owner else e.source
        t = owner[e.target].iri if e.target in owner else e.target
        if s == t and (e.source in owner or e.target in owner):
            continue
        out_edges.append(e if (s, t) == (e.source, e.target) else replace(e, source=s, target=t))
    return Subgraph(out_nodes, out_edges, list(sub.focus)), groups


#: Edge kinds that say who is accountable for what (ownership graphs), not where data goes.
ROLE_KINDS = frozenset({"owner", "steward", "custodian", "member"})


def _label(nodes: dict[str, NodeInfo], hub: str, side: str, kind: str, members: list[str], via: set[str]) -> str:
    what = _PLURAL.get(kind, kind + "s")
    if via and via <= ROLE_KINDS:
        name = nodes[hub].label
        if via == {"member"}:
            return f"+{len(members)} {what}: members of {name}"
        return f"+{len(members)} {what} {name} is {' or '.join(sorted(via))} of"
    if is_group(hub):  # a fan of a group: the group beside it says what it is
        return f"+{len(members)} {what} {'downstream' if side == 'out' else 'upstream'}"
    name = nodes[hub].label
    if side == "out" and all(nodes[m].system == hub for m in members):
        return f"+{len(members)} {what} in {name}"
    return f"+{len(members)} {what} {'downstream of' if side == 'out' else 'upstream of'} {name}"


__all__ = ["Group", "GROUP_PREFIX", "THRESHOLD", "collapse_fanouts", "group_key", "is_group"]
