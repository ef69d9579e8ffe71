"""Breadth-first walks over the lineage graph, shared by every query.

One rule keeps walks honest: a system or partner reached because a dataset lands in it
is a leaf (otherwise every dataset would flow into everything the warehouse feeds); a
system is walked through only when the walk starts there or arrives by a
system-to-system flow that does not say which datasets it carries (when it does, the
carried datasets' own edges give the precise lineage).
"""
from __future__ import annotations

from collections import deque
from itertools import chain, filterfalse, repeat
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from govgraph.errors import BadInput
from govgraph.lineage.graph import CONTAINER_KINDS, FLOW, HOLDS, LineageGraph
from govgraph.lineage.live_graph import get_graph
from govgraph.lineage.results import EdgeInfo, NodeInfo

MAX_DEPTH = 50
HELD_IN = "held_in"  # dataset -> the system it is held in, in upstream results of a system


def graph_of(source: Any) -> LineageGraph:
    """Accept a Store or a LineageGraph; return the (cached) LineageGraph."""
    return source if isinstance(source, LineageGraph) else get_graph(source)


def check_depth(depth: int | None, notices: list[str]) -> int | None:
    """Validate a depth limit: None is unlimited, <= 0 is an error, > 50 is clamped with a notice."""
    if depth is None:
        return None
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise BadInput(f"depth must be a whole number, not {depth!r}")
    if depth <= 0:
        raise BadInput(f"depth must be at least 1 (got {depth})")
    if depth > MAX_DEPTH:
        notices.append(f"depth {depth} is more than {MAX_DEPTH}: clamped to {MAX_DEPTH}")
        return MAX_DEPTH
    return depth


@dataclass
class Walk:
    """What a walk reached: hop depth and BFS-tree parent of each node, and the edges walked."""
    depth: dict[str, int]
    parent: dict[str, tuple[str, str] | None]  # node -> (previous node, edge key) on a shortest path
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, key), data direction
    virtual: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, HOLDS|HELD_IN)


def start_set(lg: LineageGraph, iri: str) -> list[str]:
    """The nodes a walk from ``iri`` starts from: the asset, plus its held datasets for a system."""
    if lg.kind(iri) in CONTAINER_KINDS:
        return [iri, *lg.held_sorted(iri)]
    return [iri]


def walk(lg: LineageGraph, iri: str, direction: str, max_depth: int | None = None,
         *, stop: Any = None, record: bool = True) -> Walk:
    """Walk up (``"up"``) or down (``"down"``) from ``iri`` to ``max_depth`` hops.

    ``stop(node)`` -> True makes a reached node a leaf; ``record=False`` skips collecting
    the edges walked (for answers that only need the nodes, such as impact).
    A system's held datasets are reached at depth 1 by virtual holds / held-in edges.
    """
    if direction not in ("up", "down"):
        raise BadInput(f"direction must be up or down, not {direction!r}")
    g = lg.g
    adj = g._succ if direction == "down" else g._pred  # noqa: SLF001 - hot path, plain dict access
    containers = lg.containers
    down = direction == "down"
    limit = max_depth if max_depth is not None else 1 << 30
    depth: dict[str, int] = {iri: 0}
    parent: dict[str, tuple[str, str] | None] = {iri: None}
    w = Walk(depth, parent)
    edges = w.edges
    expandable = {iri}
    queue: deque[str] = deque([iri])
    for d in start_set(lg, iri)[1:]:
        if d not in depth and limit >= 1:
            depth[d], parent[d] = 1, (iri, HOLDS)
            expandable.add(d)
            queue.append(d)
        w.virtual.append((iri, d, HOLDS) if down else (d, iri, HELD_IN))
    while queue:
        x = queue.popleft()
        dx = depth[x]
        if dx >= limit or x not in expandable:
            continue
        x_container = x in containers
        d1 = dx + 1
        for y, keyed in adj[x].items():
            if record:
                for key in keyed:
                    edges.append((x, y, key) if down else (y, x, key))
            if y in depth:
                if y in containers and x_container and y not in expandable and _any_opaque(keyed):
                    expandable.add(y)  # a system first met as a landing, now met on a system chain
                    queue.append(y)
                continue
            depth[y] = d1
            parent[y] = (x, next(iter(keyed)))
            if stop is not None and stop(y):
                continue
            if y not in containers or (x_container and _any_opaque(keyed)):
                expandable.add(y)
                queue.append(y)
    return w


def reach_down(lg: LineageGraph, iri: str) -> dict[str, int]:
    """The hop depth of every node downstream of ``iri``, all the way: ``walk(lg, iri, "down").depth``.

    Same rule, same visiting order (so the same dict, key order included), but without
    parents or edges; see ``reach_batches``.
    """
    depth: dict[str, int] = {}
    for d, batch in reach_batches(lg, iri):
        depth.update(dict.fromkeys(batch, d))
    return depth


def reach_batches(lg: LineageGraph, iri: str) -> list[tuple[int, Sequence[str]]]:
    """Everything downstream of ``iri`` as (depth, nodes) batches in the order ``walk`` reaches them.

    Impact reaches tens of thousands of nodes from a warehouse, so data nodes are taken a
    run at a time: the FIFO queue is kept as segments, each either one container (walked
    edge by edge, by the rule) or a run of data nodes of one depth, which are always
    walked through. A run's successors, in order and without repeats, are
    ``dict.fromkeys`` over their adjacency, less those already reached: C-level steps only.
    """
    succ = lg.g._succ  # noqa: SLF001 - hot path, plain dict access
    containers = lg.containers
    held = lg.held_sorted(iri) if lg.kind(iri) in CONTAINER_KINDS else ()  # start_set(lg, iri)[1:]
    depth: dict[str, int] = dict.fromkeys(held, 1)
    depth[iri] = 0
    batches: list[tuple[int, Sequence[str]]] = [(0, [iri])]
    if held:
        batches.append((1, held))
    expanded = {iri, *held}  # containers queued for expansion (data nodes always are)
    segments: list[tuple[bool, Sequence[str]]] = [(iri in containers, [iri])]  # (container?, nodes), FIFO
    segments += _runs(held, containers)
    seen = depth.__contains__
    for is_container, run in segments:  # grows while walked
        if not is_container:
            new = list(filterfalse(seen, dict.fromkeys(chain.from_iterable(map(succ.__getitem__, run)))))
            if new:
                d1 = depth[run[0]] + 1
                depth.update(dict.fromkeys(new, d1))
                batches.append((d1, new))
                if not containers.isdisjoint(new):
                    new = list(filterfalse(containers.__contains__, new))  # reached, not walked through
                if new:
                    segments.append((False, new))
            continue
        x = run[0]
        d1 = depth[x] + 1
        met: list[str] = []  # nodes reached from x, in order
        out: list[str] = []  # data nodes among them, queued as one run (containers go alone)
        for y, keyed in succ[x].items():
            if y in depth:
                if y in containers and y not in expanded and _any_opaque(keyed):
                    expanded.add(y)  # a system first met as a landing, now met on a system chain
                    if out:
                        segments.append((False, out))
                        out = []
                    segments.append((True, [y]))
                continue
            depth[y] = d1
            met.append(y)
            if y not in containers:
                out.append(y)
            elif _any_opaque(keyed):
                expanded.add(y)
                if out:
                    segments.append((False, out))
                    out = []
                segments.append((True, [y]))
        if out:
            segments.append((False, out))
        if met:
            batches.append((d1, met))
    return batches


def reach_ids(lg: LineageGraph, iri: str) -> list[tuple[int, list[int]]]:
    """``reach_batches`` over the integer ids of ``lg.impact_index``: the same batches, as ids.

    Data runs are walked with C-level steps only (successor slices of one array, a
    bytearray of nodes reached); containers edge by edge, by the rule, on the graph itself.
    """
    ix = lg.impact_index
    ids, nodes, targets, is_cont = ix.ids, ix.nodes, ix.targets, ix.container
    starts, ends = ix.offsets.__getitem__, ix.offsets[1:].__getitem__
    succ = lg.g._succ  # noqa: SLF001
    root = ids[iri]
    held = list(map(ids.__getitem__, lg.held_sorted(iri))) if lg.kind(iri) in CONTAINER_KINDS else []
    seen = bytearray(len(nodes))
    mark = seen.__setitem__
    seen[root] = 1
    deque(map(mark, held, repeat(1)), 0)
    batches: list[tuple[int, list[int]]] = [(0, [root])]
    if held:
        batches.append((1, held))
    cdepth = {root: 0} if is_cont[root] else {}  # containers reached -> depth (a container may be walked later)
    expanded = {root, *held}
    segments: list[tuple[bool, int, list[int]]] = [(bool(is_cont[root]), 0, [root])]  # FIFO queue, as segments
    if any(map(is_cont.__getitem__, held)):
        for h in held:
            if is_cont[h]:
                cdepth[h] = 1
                segments.append((True, 1, [h]))
            elif segments[-1][0] or segments[-1][1] != 1:
                segments.append((False, 1, [h]))
            else:
                segments[-1][2].append(h)
    elif held:
        segments.append((False, 1, held))
    for container, d, run in segments:  # grows while walked
        d1 = d + 1
        if not container:
            new = list(filterfalse(seen.__getitem__, dict.fromkeys(chain.from_iterable(
                map(targets.__getitem__, map(slice, map(starts, run), map(ends, run)))))))
            if new:
                deque(map(mark, new, repeat(1)), 0)
                batches.append((d1, new))
                if any(map(is_cont.__getitem__, new)):
                    cdepth.update(dict.fromkeys(filter(is_cont.__getitem__, new), d1))
                    new = list(filterfalse(is_cont.__getitem__, new))  # reached, not walked through
                if new:
                    segments.append((False, d1, new))
            continue
        met: list[int] = []
        out: list[int] = []
        for y_iri, keyed in succ[nodes[run[0]]].items():
            y = ids[y_iri]
            if seen[y]:
                if is_cont[y] and y not in expanded and _any_opaque(keyed):
                    expanded.add(y)  # a system first met as a landing, now met on a system chain
                    if out:
                        segments.append((False, d1, out))
                        out = []
                    segments.append((True, cdepth[y], [y]))
                continue
            seen[y] = 1
            met.append(y)
            if not is_cont[y]:
                out.append(y)
                continue
            cdepth[y] = d1
            if _any_opaque(keyed):
                expanded.add(y)
                if out:
                    segments.append((False, d1, out))
                    out = []
                segments.append((True, d1, [y]))
        if out:
            segments.append((False, d1, out))
        if met:
            batches.append((d1, met))
    return batches


def _runs(nodes: Sequence[str], containers: frozenset[str]) -> list[tuple[bool, Sequence[str]]]:
    """Queue segments for nodes of one depth: runs of data nodes, each container alone."""
    if containers.isdisjoint(nodes):
        return [(False, nodes)] if nodes else []
    out: list[tuple[bool, list[str]]] = []
    for n in nodes:
        if n in containers:
            out.append((True, [n]))
        elif out and not out[-1][0]:
            out[-1][1].append(n)
        else:
            out.append((False, [n]))
    return out


def _any_opaque(keyed: dict[str, dict[str, Any]]) -> bool:
    return any(_opaque_flow(a) for a in keyed.values())


def _opaque_flow(attrs: dict[str, Any]) -> bool:
    """A system-to-system flow with no carried datasets: all we know is that the systems connect."""
    return attrs.get("kind") == FLOW and not attrs.get("carries")


def node_info(lg: LineageGraph, iri: str, depth: int = 0) -> NodeInfo:
    """A NodeInfo for an IRI from the graph's node attributes."""
    a = lg.attrs(iri)
    system = a.get("held_in")
    owner = a.get("owner")
    if isinstance(owner, tuple):
        owner = owner[0]
    return NodeInfo(iri=iri, label=a.get("label") or lg.label(iri), kind=a.get("kind", "other"),
                    depth=depth, system=system, system_label=lg.label(system) if system else None,
                    personal=bool(a.get("personal")), special=bool(a.get("special")),
                    external=bool(a.get("external")), owner=owner,
                    owner_label=lg.label(owner) if owner else None)


def edge_info(lg: LineageGraph, u: str, v: str, key: str) -> EdgeInfo:
    """An EdgeInfo for a graph edge (or a virtual holds / held-in edge)."""
    if key in (HOLDS, HELD_IN):
        return EdgeInfo(u, v, key, label="holds" if key == HOLDS else "held in")
    a = lg.g.edges[u, v, key]
    return EdgeInfo(source=u, target=v, kind=a["kind"], flow=a.get("flow"), label=a.get("label") or "",
                    mechanism=a.get("mechanism"), frequency=a.get("frequency"), agreement=a.get("agreement"),
                    carries=tuple(a.get("carries", ())), activity=a.get("activity"),
                    transformation=a.get("transformation"), graph=a.get("graph"),
                    crosses_boundary=lg.is_external(u) != lg.is_external(v))


def edges_between(lg: LineageGraph, u: str, v: str) -> list[EdgeInfo]:
    """Every edge from u to v, as EdgeInfo (a hop of a path)."""
    keyed = lg.g._succ.get(u, {}).get(v, {})  # noqa: SLF001
    return [edge_info(lg, u, v, k) for k in keyed]


def unique(items: Iterable[Any]) -> list[Any]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
