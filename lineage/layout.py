"""Layered (Sugiyama-style) layout for drawing a lineage subgraph left to right.

A pure, deterministic function of the nodes and edges it is given:

1. cycles are broken by reversing the edges of a greedy feedback arc set (Eades, Lin
   and Smyth), so a graph with cycles never hangs and keeps most edges pointing right;
2. layers by longest path, then nodes moved between their neighbours' layers while that
   shortens their edges (chains and sources pulled right next to their consumer);
3. edges spanning several layers run through virtual nodes, one per layer crossed;
4. node order within each layer (``ordering``): barycentre and median sweeps from
   several starts, adjacent swaps, then sifting; the ordering with fewest crossings;
5. coordinates: one column per layer; within a column nodes are placed near the
   mean of their neighbours by isotonic regression, which keeps a minimum gap, so
   nodes never overlap.
"""
from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

from govgraph.lineage.ordering import order_layers

Point = tuple[float, float]


@dataclass(frozen=True)
class NodeBox:
    """A placed node: top-left corner, size, layer, order in layer, and whether it is virtual."""
    id: str
    x: float
    y: float
    w: float
    h: float
    layer: int
    order: int
    virtual: bool = False

    @property
    def cx(self) -> float:
        """Centre x."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """Centre y."""
        return self.y + self.h / 2


@dataclass(frozen=True)
class EdgeRoute:
    """An edge drawn as a polyline from its source's right side to its target's left side."""
    source: str
    target: str
    points: tuple[Point, ...]
    reversed: bool = False  # reversed to break a cycle: drawn right-to-left
    index: int = 0  # position in the input edge list


@dataclass(frozen=True)
class LabelBox:
    """Where an edge's label is drawn: top-left corner and size, in the gap between two layers."""
    x: float
    y: float
    w: float
    h: float


@dataclass
class Layout:
    """Coordinates for every node (real and virtual) and a polyline for every edge."""
    nodes: dict[str, NodeBox]
    edges: list[EdgeRoute]
    width: float
    height: float
    crossings: int
    layers: int
    reversed_edges: list[tuple[str, str]] = field(default_factory=list)
    #: edge index -> the box its label is drawn in (set by ``govgraph.lineage.labels``)
    labels: dict[int, "LabelBox"] = field(default_factory=dict)

    def real_nodes(self) -> list[NodeBox]:
        """The nodes of the input graph (not the virtual ones), in id order."""
        return [b for b in self.nodes.values() if not b.virtual]

    def to_dict(self) -> dict:
        """This layout as a JSON-ready dict."""
        return {"width": self.width, "height": self.height, "crossings": self.crossings, "layers": self.layers,
                "nodes": [asdict(b) for b in self.nodes.values()],
                "edges": [{"source": e.source, "target": e.target, "points": [list(p) for p in e.points],
                           "reversed": e.reversed} for e in self.edges],
                "reversed_edges": [list(e) for e in self.reversed_edges],
                "labels": {str(k): asdict(v) for k, v in sorted(self.labels.items())}}


DEFAULT_SIZE = (160.0, 40.0)


def label_size(label: str, *, char_width: float = 7.0, min_w: float = 90.0, max_w: float = 240.0,
               h: float = 40.0) -> tuple[float, float]:
    """A node size that fits a label on one or two lines (for callers that size by label)."""
    w = len(label) * char_width + 24
    if w > max_w:
        w = max(max_w, len(label) * char_width / 2 + 24)
        return min(w, max_w), h + 16
    return max(min_w, w), h


def layered_layout(nodes: Iterable[str], edges: Iterable[tuple[str, str]], *,
                   sizes: Mapping[str, tuple[float, float]] | None = None,
                   layer_gap: float = 80.0, node_gap: float = 20.0, margin: float = 20.0,
                   sweeps: int = 12, virtual_height: float = 6.0) -> Layout:
    """Lay out a directed graph left to right in layers; see the module docstring.

    ``nodes`` may omit nodes that edges mention; ``sizes`` maps node id to (width, height)
    (default 160 x 40). The result depends only on the set of nodes, the edges and the
    options, not on input order (ids are sorted first).
    """
    edge_list = [(str(u), str(v)) for u, v in edges]
    ids = sorted(set(map(str, nodes)) | {u for u, _ in edge_list} | {v for _, v in edge_list})
    index = {n: i for i, n in enumerate(ids)}
    n = len(ids)
    sizes = sizes or {}
    size = [tuple(map(float, sizes.get(i, DEFAULT_SIZE))) for i in ids]
    pairs = sorted({(index[u], index[v]) for u, v in edge_list if u != v})

    # 1. break cycles
    order = _fas_order(n, pairs)
    pos = [0] * n
    for p, i in enumerate(order):
        pos[i] = p
    flipped = {(a, b) for a, b in pairs if pos[a] > pos[b]}
    dag = sorted({(b, a) if (a, b) in flipped else (a, b) for a, b in pairs})

    # 2. layers
    layer = _longest_path_layers(n, dag)
    # 3. virtual nodes
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    chains: dict[tuple[int, int], list[int]] = {}
    vsize: list[tuple[float, float]] = list(size)
    vlayer = list(layer)
    for a, b in dag:
        chain = [a]
        for l in range(layer[a] + 1, layer[b]):
            v = len(vlayer)
            vlayer.append(l)
            vsize.append((0.0, virtual_height))
            succ.append([])
            pred.append([])
            chain.append(v)
        chain.append(b)
        chains[(a, b)] = chain
        for x, y in zip(chain, chain[1:]):
            succ[x].append(y)
            pred[y].append(x)
    total = len(vlayer)
    nlayers = (max(vlayer) + 1) if total else 0
    layers: list[list[int]] = [[] for _ in range(nlayers)]
    for v in _initial_order(total, n, succ, vlayer):
        layers[vlayer[v]].append(v)

    # 4. ordering
    layers, crossings = order_layers(layers, succ, pred, sweeps)
    # 5. coordinates
    col_w = [max((vsize[v][0] for v in lay), default=0.0) for lay in layers]
    col_x = []
    x = margin
    for w in col_w:
        col_x.append(x)
        x += w + layer_gap
    cy = _place_y(layers, succ, pred, vsize, node_gap)
    top = min((cy[v] - vsize[v][1] / 2 for v in range(total)), default=0.0)
    shift = margin - top
    boxes: dict[str, NodeBox] = {}
    names: list[str] = ids + [""] * (total - n)
    for (a, b), chain in chains.items():
        for k, v in enumerate(chain[1:-1], 1):
            names[v] = f"~{ids[a]}->{ids[b]}#{k}"
    for l, lay in enumerate(layers):
        for o, v in enumerate(lay):
            w, h = vsize[v]
            if v >= n:
                w = col_w[l]
            bx = col_x[l] + (col_w[l] - w) / 2
            boxes[names[v]] = NodeBox(names[v], round(bx, 2), round(cy[v] + shift - h / 2, 2), w, h, l, o, v >= n)
    width = (col_x[-1] + col_w[-1] + margin) if layers else 2 * margin
    height = max((b.y + b.h for b in boxes.values()), default=0.0) + margin

    routes = []
    for k, (u, v) in enumerate(edge_list):
        a, b = index[u], index[v]
        if a == b:
            routes.append(EdgeRoute(u, v, _self_loop(boxes[u]), False, k))
            continue
        rev = (a, b) in flipped
        chain = chains[(b, a) if rev else (a, b)]
        pts = _polyline([boxes[names[c]] for c in chain])
        routes.append(EdgeRoute(u, v, tuple(reversed(pts)) if rev else tuple(pts), rev, k))
    boxes = dict(sorted(boxes.items(), key=lambda kv: (kv[1].layer, kv[1].order)))
    return Layout(nodes=boxes, edges=routes, width=round(width, 2), height=round(height, 2),
                  crossings=crossings, layers=nlayers,
                  reversed_edges=sorted((ids[a], ids[b]) for a, b in flipped))


# ----------------------------------------------------------------------------- cycles

def _fas_order(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Eades-Lin-Smyth greedy order: edges pointing backwards in it form a small feedback arc set."""
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        succ[a].append(b)
        pred[b].append(a)
    outd = [len(s) for s in succ]
    ind = [len(p) for p in pred]
    alive = [True] * n
    sinks = [i for i in range(n) if outd[i] == 0]
    sources = [i for i in range(n) if ind[i] == 0 and outd[i] > 0]
    heapq.heapify(sinks)
    heapq.heapify(sources)
    left: list[int] = []
    right: list[int] = []
    remaining = n
    # nodes that are neither sources nor sinks, by best delta (outdeg - indeg), lazily updated
    delta_heap = [(-(outd[i] - ind[i]), i) for i in range(n)]
    heapq.heapify(delta_heap)

    def remove(i: int) -> None:
        nonlocal remaining
        alive[i] = False
        remaining -= 1
        for j in succ[i]:
            if alive[j]:
                ind[j] -= 1
                if ind[j] == 0:
                    heapq.heappush(sources, j)
                heapq.heappush(delta_heap, (-(outd[j] - ind[j]), j))
        for j in pred[i]:
            if alive[j]:
                outd[j] -= 1
                if outd[j] == 0:
                    heapq.heappush(sinks, j)
                heapq.heappush(delta_heap, (-(outd[j] - ind[j]), j))

    while remaining:
        progressed = True
        while progressed:
            progressed = False
            while sinks:
                i = heapq.heappop(sinks)
                if alive[i] and outd[i] == 0:
                    remove(i)
                    right.append(i)
                    progressed = True
            while sources:
                i = heapq.heappop(sources)
                if alive[i] and ind[i] == 0:
                    remove(i)
                    left.append(i)
                    progressed = True
        while remaining and delta_heap:
            d, i = heapq.heappop(delta_heap)
            if alive[i] and -d == outd[i] - ind[i]:
                remove(i)
                left.append(i)
                break
    return left + right[::-1]


# ----------------------------------------------------------------------------- layers

def _longest_path_layers(n: int, dag: list[tuple[int, int]]) -> list[int]:
    """Layer = longest path from a source; then each source moves right next to its nearest consumer."""
    succ: list[list[int]] = [[] for _ in range(n)]
    ind = [0] * n
    for a, b in dag:
        succ[a].append(b)
        ind[b] += 1
    layer = [0] * n
    ready = [i for i in range(n) if ind[i] == 0]
    heapq.heapify(ready)
    sources = list(ready)
    while ready:
        a = heapq.heappop(ready)
        for b in succ[a]:
            layer[b] = max(layer[b], layer[a] + 1)
            ind[b] -= 1
            if ind[b] == 0:
                heapq.heappush(ready, b)
    for s in sources:
        if succ[s]:
            layer[s] = min(layer[b] for b in succ[s]) - 1
    return _shorten(n, dag, layer)


def _shorten(n: int, dag: list[tuple[int, int]], layer: list[int], rounds: int = 8) -> list[int]:
    """Move nodes between their neighbours' layers while that shortens their edges in total.

    A node with more edges in than out is drawn as far left as its predecessors allow, any other
    as far right as its successors allow (the local optimum of the total edge
    span that network-simplex layering minimises globally): fewer virtual nodes, fewer crossings.
    """
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for a, b in dag:
        succ[a].append(b)
        pred[b].append(a)
    for _ in range(rounds):
        moved = False
        # right to left, so a chain feeding one consumer moves right together, up to its consumer
        for v in sorted(range(n), key=lambda i: (-layer[i], i)):
            if not pred[v] or not succ[v]:
                continue
            lo = max(layer[u] for u in pred[v]) + 1
            hi = min(layer[w] for w in succ[v]) - 1
            want = lo if len(pred[v]) > len(succ[v]) else hi
            if want != layer[v] and lo <= want <= hi:
                layer[v] = want
                moved = True
        for s in range(n):  # sources follow: right next to their nearest consumer
            if not pred[s] and succ[s]:
                want = min(layer[w] for w in succ[s]) - 1
                if want != layer[s]:
                    layer[s] = want
                    moved = True
        if not moved:
            break
    return layer


def _initial_order(total: int, n: int, succ: list[list[int]], layer: list[int]) -> list[int]:
    """A depth-first order from the sources (by id): keeps chains together before the sweeps."""
    has_pred = [False] * total
    for a in range(total):
        for b in succ[a]:
            has_pred[b] = True
    seen = [False] * total
    out: list[int] = []
    roots = [i for i in range(total) if not has_pred[i]]
    for r in sorted(roots, key=lambda i: (layer[i], i)) + list(range(total)):
        if seen[r]:
            continue
        stack = [r]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            out.append(v)
            stack.extend(sorted(succ[v], reverse=True))
    return out


# ----------------------------------------------------------------------------- coordinates

def _place_y(layers: list[list[int]], succ: list[list[int]], pred: list[list[int]],
             size: list[tuple[float, float]], gap: float, rounds: int = 8) -> dict[int, float]:
    """Centre y of every node: near its neighbours' mean, never closer than ``gap`` to the next node."""
    cy: dict[int, float] = {}
    for lay in layers:
        y = 0.0
        for i, v in enumerate(lay):
            if i:
                y += size[lay[i - 1]][1] / 2 + gap + size[v][1] / 2
            cy[v] = y
    # centre every column on the tallest one before pulling nodes towards their neighbours
    for r in range(rounds):
        order = range(1, len(layers)) if r % 2 == 0 else range(len(layers) - 2, -1, -1)
        nbrs = pred if r % 2 == 0 else succ
        for l in order:
            lay = layers[l]
            want, weight = [], []
            for v in lay:
                ns = nbrs[v]
                if ns:
                    want.append(sum(cy[u] for u in ns) / len(ns))
                    weight.append(1.0 + len(ns))
                else:
                    want.append(cy[v])
                    weight.append(0.5)
            seps = [size[lay[i]][1] / 2 + gap + size[lay[i + 1]][1] / 2 for i in range(len(lay) - 1)]
            for v, y in zip(lay, separated(want, weight, seps)):
                cy[v] = y
    return cy


def separated(want: list[float], weight: list[float], seps: list[float]) -> list[float]:
    """Positions closest (weighted least squares) to ``want`` with y[i+1] - y[i] >= seps[i] (PAV)."""
    offs = [0.0]
    for s in seps:
        offs.append(offs[-1] + s)
    t = [w - o for w, o in zip(want, offs)]
    blocks: list[list[float]] = []  # [weighted mean, total weight, count]
    for ti, wi in zip(t, weight):
        blocks.append([ti, wi, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    z: list[float] = []
    for m, _, c in blocks:
        z.extend([m] * c)
    return [zi + o for zi, o in zip(z, offs)]


def _polyline(chain: list[NodeBox]) -> list[Point]:
    """Right side of the source, straight through each virtual node's column, left side of the target."""
    first, last = chain[0], chain[-1]
    pts: list[Point] = [(first.x + first.w, first.cy)]
    for b in chain[1:-1]:
        pts.append((b.x, b.cy))
        pts.append((b.x + b.w, b.cy))
    pts.append((last.x, last.cy))
    return [(round(x, 2), round(y, 2)) for x, y in pts]


def _self_loop(b: NodeBox) -> tuple[Point, ...]:
    r = min(b.h / 2, 14.0)
    x, y = b.x + b.w, b.cy
    return ((x, y - r / 2), (x + r, y - r), (x + r, y + r), (x, y + r / 2))


__all__ = ["NodeBox", "EdgeRoute", "LabelBox", "Layout", "separated", "layered_layout", "label_size", "DEFAULT_SIZE"]
