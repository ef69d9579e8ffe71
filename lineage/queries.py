"""Lineage queries: upstream, downstream, paths, impact, cycles, orphans (and re-exports).

Every function takes a Store or a LineageGraph first; a Store's graph comes from the
per-revision cache. Asset references are IRIs or unambiguous labels.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter, deque
from itertools import chain, filterfalse, islice, repeat
from operator import add
from typing import Any, Callable, Iterable

import networkx as nx

from govgraph.errors import BadInput
from govgraph.lineage.feeds import agreements_touching, inbound_feeds
from govgraph.lineage.graph import (CONTAINER_KINDS, DATA_KINDS, FLOW, PARTNER, SYSTEM, ImpactIndex,
                                    LineageGraph)
from govgraph.lineage.results import (EdgeInfo, ImpactGroup, ImpactResult, LineageResult, NodeInfo,
                                      PathResult)
from govgraph.lineage.traverse import (HELD_IN, HOLDS, MAX_DEPTH, check_depth, edge_info, edges_between,
                                       graph_of, node_info, reach_down, reach_ids, start_set,
                                       walk)

DIRECTIONS = ("up", "down", "both")


def upstream(source: Any, asset: str, depth: int | None = None, **filters: Any) -> LineageResult:
    """Everything ``asset`` comes from, to ``depth`` hops (None: all the way)."""
    return lineage(source, asset, "up", depth, **filters)


def downstream(source: Any, asset: str, depth: int | None = None, **filters: Any) -> LineageResult:
    """Everything fed by ``asset``, to ``depth`` hops (None: all the way)."""
    return lineage(source, asset, "down", depth, **filters)


def lineage(source: Any, asset: str, direction: str = "both", depth: int | None = None, *,
            kinds: Iterable[str] | None = None, system: str | None = None,
            crossing: bool = False) -> LineageResult:
    """Upstream and/or downstream of an asset with a depth limit and filters.

    ``kinds`` keeps only nodes of those kinds (dataset, report, return, system, partner,
    field); ``system`` keeps only nodes held in (or being) that system; ``crossing`` keeps
    only nodes whose path from the asset crosses the council's boundary. The asset itself
    is always kept. Edges are kept when both ends are.
    """
    lg = graph_of(source)
    notices: list[str] = []
    if direction not in DIRECTIONS:
        raise BadInput(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    depth = check_depth(depth, notices)
    root = lg.resolve(asset)
    sys_iri = lg.resolve(system) if system else None
    kinds_set = set(kinds) if kinds else None
    dist: dict[str, int] = {root: 0}
    crossed: dict[str, bool] = {root: False}
    edges: list[tuple[str, str, str]] = []
    for d in (("up", "down") if direction == "both" else (direction,)):
        w = walk(lg, root, d, depth)
        for n, k in w.depth.items():
            if n not in dist or k < dist[n]:
                dist[n] = k
        _mark_crossings(lg, w.parent, crossed)
        edges += w.edges
        if direction == "both" and d == "up":
            continue  # for a system, draw only holds edges, not both holds and held-in
        edges += w.virtual
    keep = set()
    for n in dist:
        a = lg.attrs(n)
        if n == root:
            keep.add(n)
            continue
        if kinds_set is not None and a.get("kind") not in kinds_set:
            continue
        if sys_iri is not None and n != sys_iri and a.get("held_in") != sys_iri:
            continue
        if crossing and not crossed.get(n):
            continue
        keep.add(n)
    order = sorted(keep, key=lambda n: (dist[n], lg.attrs(n).get("kind", ""), lg.label(n).casefold(), n))
    nodes = [node_info(lg, n, dist[n]) for n in order]
    seen: set[tuple[str, str, str]] = set()
    out_edges: list[EdgeInfo] = []
    for e in edges:
        if e in seen or e[0] not in keep or e[1] not in keep:
            continue
        seen.add(e)
        out_edges.append(edge_info(lg, *e))
    return LineageResult(root=root, direction=direction, depth=depth, nodes=nodes, edges=out_edges,
                         notices=notices)


def _mark_crossings(lg: LineageGraph, parent: dict[str, tuple[str, str] | None], crossed: dict[str, bool]) -> None:
    """For each node of a walk, whether its BFS-tree path from the root crosses the boundary."""
    memo: dict[str, bool] = {}

    def f(n: str) -> bool:
        chain = []
        while n not in memo:
            p = parent.get(n)
            if p is None:
                memo[n] = False
                break
            chain.append(n)
            n = p[0]
        for c in reversed(chain):
            prev = parent[c][0]  # type: ignore[index]
            memo[c] = memo[prev] or lg.is_external(prev) != lg.is_external(c)
        return memo[chain[0]] if chain else memo[n]

    for n in parent:
        crossed[n] = crossed.get(n, False) or f(n)


# ----------------------------------------------------------------------------- paths

def paths(source: Any, a: str, b: str, *, max_hops: int = 10, limit: int = 100) -> PathResult:
    """All simple paths between two assets, up to ``max_hops`` hops and ``limit`` paths.

    Tries ``a`` feeding ``b`` first (direction "down"); if there is none, ``b`` feeding
    ``a`` (direction "up"). Paths are listed in the direction data moves. A system
    stands for itself and the datasets it holds.
    """
    lg = graph_of(source)
    notices: list[str] = []
    max_hops = check_depth(max_hops, notices) or MAX_DEPTH
    if limit <= 0:
        raise BadInput(f"limit must be at least 1 (got {limit})")
    src, dst = lg.resolve(a), lg.resolve(b)
    if src == dst:
        raise BadInput("a path needs two different assets")
    found, truncated = _paths(lg, src, dst, max_hops, limit)
    direction = "down"
    if not found:
        found, truncated = _paths(lg, dst, src, max_hops, limit)
        direction = "up" if found else "none"
    hops: list[list[EdgeInfo]] = []
    for p in found:
        hop: list[EdgeInfo] = []
        for u, v in zip(p, p[1:]):
            hop += edges_between(lg, u, v) or [EdgeInfo(u, v, HOLDS if v in lg.held.get(u, ()) else HELD_IN,
                                                        label="holds" if v in lg.held.get(u, ()) else "held in")]
        hops.append(hop)
    on_paths = dict.fromkeys(n for p in found for n in p) or dict.fromkeys((src, dst))
    if truncated:
        notices.append(f"more than {limit} paths: showing the first {limit}")
    return PathResult(source=src, target=dst, direction=direction, paths=found, hops=hops,
                      nodes=[node_info(lg, n) for n in on_paths], truncated=truncated, notices=notices)


def _paths(lg: LineageGraph, src: str, dst: str, max_hops: int, limit: int) -> tuple[list[list[str]], bool]:
    """Simple paths src -> dst in the data direction, pruned by distance to dst; (paths, truncated)."""
    g = lg.g
    succ, pred, nodes = g._succ, g._pred, g._node  # noqa: SLF001
    held_dst = set(start_set(lg, dst)[1:])
    held_src = start_set(lg, src)[1:]
    # hops-to-target bound from a reverse BFS: prunes the search to nodes that can still reach dst
    to_dst: dict[str, int] = {dst: 0, **{d: 1 for d in held_dst}}
    q = deque([dst, *sorted(held_dst)])
    while q:
        x = q.popleft()
        if to_dst[x] >= max_hops:
            continue
        for y in pred[x]:
            if y not in to_dst:
                to_dst[y] = to_dst[x] + 1
                q.append(y)
    if src not in to_dst and not any(d in to_dst for d in held_src):
        return [], False

    def nexts(x: str, via_system_flow: bool) -> list[tuple[str, bool]]:
        x_container = nodes[x].get("kind") in CONTAINER_KINDS
        if x_container and x != src and not via_system_flow:
            return []  # a dataset landing in a system does not flow on through the system
        res = [(y, x_container and nodes[y].get("kind") in CONTAINER_KINDS
                and any(a.get("kind") == FLOW and not a.get("carries") for a in keyed.values()))
               for y, keyed in succ[x].items()]
        if x == src:
            res += [(d, False) for d in held_src]
        return sorted(set(res))

    out: list[list[str]] = []
    path, on_path = [src], {src}
    stack = [iter(nexts(src, False))]
    while stack and len(out) <= limit:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            on_path.discard(path.pop())
            continue
        y, sysflow = nxt
        if y in on_path:
            continue
        hops = len(path)  # hops once y is added
        if y == dst:
            out.append(path + [y])
            continue
        if y in held_dst and hops + 1 <= max_hops:
            out.append(path + [y, dst])
        if hops >= max_hops or hops + to_dst.get(y, max_hops + 1) > max_hops:
            continue
        path.append(y)
        on_path.add(y)
        stack.append(iter(nexts(y, sysflow)))
    uniq = list(dict.fromkeys(tuple(p) for p in out))
    return [list(p) for p in uniq[:limit]], len(uniq) > limit


# ----------------------------------------------------------------------------- impact

IMPACT_GROUPS = ("datasets", "reports", "returns", "systems", "partners", "owners")


def impact(source: Any, asset: str) -> ImpactResult:
    """What removing or changing a system or dataset affects downstream, grouped and counted.

    For a system, the datasets it holds are the starting set (and are affected themselves).
    Groups: datasets, reports, returns, systems (reached, or holding affected data),
    partners (reached, or operating an affected system), owners (with how many affected
    assets each owns). Items are listed by (depth, label, IRI); owners by count.

    A warehouse reaches tens of thousands of nodes, so the per-node steps are C-level
    (``map``/``filter`` over the walk's batches, with ``lg.impact_index``) and item dicts
    are made only when read (``ImpactGroup.items``, ``to_dict``).
    """
    lg = graph_of(source)
    root = lg.resolve(asset)
    ix = lg.impact_index
    if root not in ix.ids:  # a field: the index leaves the field layer out
        return _impact_plain(lg, root)
    batches = reach_ids(lg, root)[1:]  # the root itself is not affected
    label = lg.label
    nodes, attrs = ix.nodes, lg.g._node  # noqa: SLF001
    # datasets, reports, returns: one int per item (kind, depth, label rank), sorted in C
    code, ranks = ix.code.__getitem__, ix.ranks
    keys: list[int] = []
    for d, batch in batches:
        keys += map(add, filter(None, map(code, batch)), repeat(d * ranks))
    keys.sort()
    stride = ix.kind_stride
    cuts = [bisect_left(keys, k * stride) for k in range(len(ix.KINDS))] + [len(keys)]
    out: dict[str, ImpactGroup] = {}
    for k, (name, kind) in enumerate(zip(("datasets", "reports", "returns"), ix.KINDS)):
        out[name] = ImpactGroup(name, cuts[k + 1] - cuts[k], rows=keys[cuts[k]:cuts[k + 1]],
                                make=_data_item(ix, kind, k * stride))
    # systems and partners, reached (containers, few) or implied: (depth, label, IRI, system) rows; the
    # first time something is met decides, and a thing reached replaces one implied
    systems: dict[str, tuple[int, str, str, str | None]] = {}
    partners: dict[str, tuple[int, str, str, str | None]] = {}
    for depth, batch in batches:
        for i in filter(ix.container.__getitem__, batch):
            n = nodes[i]
            a = attrs[n]
            kind = a.get("kind")
            if kind == PARTNER:
                partners[n] = (depth, label(n), n, a.get("held_in"))
            elif kind == SYSTEM:
                systems[n] = (depth, label(n), n, a.get("held_in"))
                ops = a.get("operated_by")
                if ops is not None:
                    for op in _listify(ops):
                        if lg.kind(op) == PARTNER and op not in partners:
                            partners[op] = (depth + 1, label(op), op, None)
    first_in: dict[int, int] = {}  # 1 + id of a system -> depth of the first affected data held in it
    home = ix.home.__getitem__
    for depth, batch in reversed(batches):
        first_in.update(dict.fromkeys(filter(None, map(home, batch)), depth))
    for h, depth in first_in.items():
        sys_iri = nodes[h - 1]
        if sys_iri != root and sys_iri not in systems:
            systems[sys_iri] = (depth, label(sys_iri), sys_iri, None)
    for name, kind, rows in (("systems", SYSTEM, systems), ("partners", PARTNER, partners)):
        vals = sorted(rows.values())  # (depth, label, IRI): IRIs are unique
        out[name] = ImpactGroup(name, len(vals), rows=vals, make=_container_item(lg, kind))
    # owners by how many affected assets each owns; the assets (in the order reached) when read
    by_ix = Counter(map(ix.owner.__getitem__, chain.from_iterable(b for _, b in batches)))
    by_ix.pop(0, None)
    owners = ix.owners
    counts = Counter({owners[o - 1]: c for o, c in by_ix.items()})
    several = ix.several
    if several:
        for i in filter(several.__contains__, chain.from_iterable(b for _, b in batches)):
            counts.update(several[i])
    vals = sorted((-c, label(o), o) for o, c in counts.items())
    out["owners"] = ImpactGroup("owners", len(vals), rows=vals, make=_owner_items(ix, batches))
    start = start_set(lg, root)
    data = set(map(nodes.__getitem__, filterfalse(ix.container.__getitem__, chain.from_iterable(b for _, b in batches))))
    return ImpactResult(root=root, root_label=label(root), root_kind=lg.kind(root),
                        starting_set=start, groups={k: out[k] for k in IMPACT_GROUPS},
                        lineage_of=lambda: lineage(lg, root, "down", None),
                        inbound=inbound_feeds(lg, start), agreements=agreements_touching(lg, data, start))


def _impact_plain(lg: LineageGraph, root: str) -> ImpactResult:
    """``impact`` the plain way, one node at a time (for a root outside ``lg.impact_index``: a field)."""
    nodes, label = lg.g._node, lg.label  # noqa: SLF001
    rows: dict[str, dict[str, tuple[int, str, str, str | None]]] = {k: {} for k in IMPACT_GROUPS if k != "owners"}
    by_kind = {"dataset": rows["datasets"], "report": rows["reports"], "return": rows["returns"],
               PARTNER: rows["partners"], SYSTEM: rows["systems"]}
    partners, systems = rows["partners"], rows["systems"]
    owned: dict[str, list[str]] = {}
    reached = reach_down(lg, root)
    del reached[root]
    for n, depth in reached.items():
        a = nodes[n]
        kind, home = a.get("kind"), a.get("held_in")
        group = by_kind.get(kind)
        if group is not None:
            group[n] = (depth, label(n), n, home)
            if kind == SYSTEM:
                for op in _listify(a.get("operated_by")):
                    if lg.kind(op) == PARTNER and op not in partners:
                        partners[op] = (depth + 1, label(op), op, None)
        if home and home != root and kind in DATA_KINDS and home not in systems:
            systems[home] = (depth, label(home), home, None)
        owner = a.get("owner")
        if owner is not None:
            for o in (owner if isinstance(owner, (list, tuple)) else (owner,)):
                owned.setdefault(o, []).append(n)
    out = {k: ImpactGroup(k, len(v), rows=sorted(v.values()), make=_container_item(lg, k[:-1]))
           for k, v in rows.items()}
    vals = sorted((-len(v), label(o), o, v) for o, v in owned.items())
    out["owners"] = ImpactGroup("owners", len(vals), [
        {"iri": o, "label": lab, "kind": "person", "count": -neg, "assets": v} for neg, lab, o, v in vals])
    start = start_set(lg, root)
    return ImpactResult(root=root, root_label=label(root), root_kind=lg.kind(root),
                        starting_set=start, groups={k: out[k] for k in IMPACT_GROUPS},
                        lineage_of=lambda: lineage(lg, root, "down", None),
                        inbound=inbound_feeds(lg, start), agreements=agreements_touching(lg, {n for n in reached if n not in lg.containers}, start))


def _data_item(ix: ImpactIndex, kind: str, base: int) -> Callable[[int], dict[str, Any]]:
    """Makes the item dict of a dataset, report or return from its sort key."""
    ranks, iris, labels, homes, home_labels = (ix.ranks, ix.rank_iris, ix.rank_labels, ix.rank_homes,
                                               ix.rank_home_labels)

    def make(key: int) -> dict[str, Any]:
        depth, r = divmod(key - base, ranks)
        r -= 1
        return {"iri": iris[r], "label": labels[r], "kind": kind, "depth": depth, "system": homes[r],
                "system_label": home_labels[r]}
    return make


def _container_item(lg: LineageGraph, kind: str) -> Callable[[tuple[int, str, str, str | None]], dict[str, Any]]:
    """Makes the item dict of a system or partner from its (depth, label, IRI, system) row."""
    def make(row: tuple[int, str, str, str | None]) -> dict[str, Any]:
        depth, lab, iri, system = row
        return {"iri": iri, "label": lab, "kind": kind, "depth": depth, "system": system,
                "system_label": lg.label(system) if system is not None else None}
    return make


def _owner_items(ix: ImpactIndex, batches: list[tuple[int, list[int]]]) -> Callable[[tuple[int, str, str]], dict[str, Any]]:
    """Makes an owner's item dict from its (-count, label, IRI) row, with the assets it owns in the order reached."""
    assets: dict[str, list[str]] = {}

    def make(row: tuple[int, str, str]) -> dict[str, Any]:
        if not assets:
            owner, owners, several, nodes = ix.owner, ix.owners, ix.several, ix.nodes
            for _, batch in batches:
                for i in batch:
                    o = owner[i]
                    if o:
                        assets.setdefault(owners[o - 1], []).append(nodes[i])
                    elif i in several:
                        for s in several[i]:
                            assets.setdefault(s, []).append(nodes[i])
        neg, lab, iri = row
        return {"iri": iri, "label": lab, "kind": "person", "count": -neg, "assets": list(assets[iri])}
    return make


def _listify(v: Any) -> list[str]:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


# ----------------------------------------------------------------------------- cycles, orphans

def cycles(source: Any, *, max_length: int = 12, limit: int = 100) -> list[list[str]]:
    """Cycles in the lineage graph (each as a node list), shortest first, bounded in length and number."""
    lg = graph_of(source)
    g = lg.g
    found: list[list[str]] = []
    comps = [c for c in nx.strongly_connected_components(g) if len(c) > 1]
    for comp in sorted(comps, key=lambda c: min(c)):
        sub = nx.DiGraph()
        sub.add_edges_from((u, v) for u in comp for v in g._succ[u] if v in comp)  # noqa: SLF001
        for c in islice(nx.simple_cycles(sub, length_bound=max_length), limit - len(found)):
            i = c.index(min(c))
            found.append(c[i:] + c[:i])
        if len(found) >= limit:
            break
    for u, v, _ in g.edges(keys=True):
        if u == v and [u] not in found and len(found) < limit:
            found.append([u])
    return sorted(found, key=lambda c: (len(c), c))


def orphans(source: Any) -> list[NodeInfo]:
    """Datasets (and reports, returns) with no upstream that are not marked as a system of record.

    These are off-system candidates: data that appears from nowhere.
    """
    lg = graph_of(source)
    g = lg.g
    out = []
    for n, a in g.nodes(data=True):
        if a.get("kind") not in DATA_KINDS or a.get("external") or a.get("system_of_record"):
            continue
        if not g._pred[n]:  # noqa: SLF001
            out.append(node_info(lg, n))
    return sorted(out, key=lambda n: (n.kind, n.label.casefold(), n.iri))


__all__ = ["upstream", "downstream", "lineage", "paths", "impact", "cycles", "orphans", "DIRECTIONS", "IMPACT_GROUPS"]
