"""Measuring a drawing: the lineage graphs the viewer draws, laid out by govgraph and by Graphviz
``dot`` on the same nodes, edges, box sizes and label sizes, and the same geometric measures
for both: edge crossings (pairs of drawn edges whose curves cross outside any box), drawing
area, and overlaps (node-node, label-node, label-label). Used by tests/test_layout.py and
tests/bench/bench_layout.py."""
from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass

from govgraph import lineage
from govgraph.lineage import grouping
from govgraph.lineage.graph import DATA_KINDS, build
from govgraph.lineage.results import Subgraph
from govgraph.webapp import svg
from govgraph.webapp.filters import term
from govgraph.webapp.graphs import DEFAULT_DEPTH, MAX_DRAWN, SYSTEM_DEPTH, nearest

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Curve = list[tuple[float, float]]
SAMPLES = 8  # points per cubic piece


@dataclass
class Drawing:
    """What is measured: real node boxes, label boxes, edge curves, overall size."""
    nodes: list[Box]
    labels: list[Box]
    edges: list[Curve]
    width: float
    height: float
    ends: list[tuple[int, int]]  # each edge's source and target, as indexes into ``nodes``


@dataclass
class Quality:
    crossings: int
    area: float
    node_node: int
    label_node: int
    label_label: int

    @property
    def overlaps(self) -> int:
        return self.node_node + self.label_node + self.label_label


# ----------------------------------------------------------------------------- the graphs

def drawn_graphs(store, count: int = 50, *, kinds: frozenset[str] = DATA_KINDS | {"system"},
                 collapse: bool = True) -> list[tuple[str, Subgraph]]:
    """``count`` lineage graphs as the viewer draws them (default depth, both ways, fans collapsed),
    for data assets and systems (``kinds``) with at least two links, picked in a seeded random order;
    ``collapse=False``: as drawn with every group expanded (the worst case: up to MAX_DRAWN boxes)."""
    lg = build(store)
    candidates = sorted(n for n, a in lg.g.nodes(data=True)
                        if a.get("kind") in kinds and lg.g.degree(n) >= 2)
    random.Random(0).shuffle(candidates)  # spread over kinds and systems, the same every run
    out: list[tuple[str, Subgraph]] = []
    for iri in candidates:
        kind = lg.g.nodes[iri].get("kind")
        res = lineage.lineage(lg, iri, "both", SYSTEM_DEPTH if kind == "system" else DEFAULT_DEPTH)
        sub = grouping.collapse_fanouts(res.subgraph())[0] if collapse else res.subgraph()
        if len(sub.nodes) > MAX_DRAWN:
            sub = nearest(sub, MAX_DRAWN)
        if len(svg.bundle_edges(sub.edges)) >= 2:
            out.append((iri, sub))
        if len(out) == count:
            break
    return out


# ----------------------------------------------------------------------------- ours

def ours(sub: Subgraph) -> Drawing:
    """The viewer's layout of a subgraph, as drawn by webapp/svg.py (cubic pieces between polyline points)."""
    lay = svg.layout(sub, term)
    real = lay.real_nodes()
    at = {b.id: i for i, b in enumerate(real)}
    nodes = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in real]
    labels = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in lay.labels.values()]
    edges = []
    for r in lay.edges:
        pts = r.points
        curve: Curve = [pts[0]]
        for (px, py), (qx, qy) in zip(pts, pts[1:]):
            mx = (px + qx) / 2
            curve.extend(_cubic((px, py), (mx, py), (mx, qy), (qx, qy))[1:])
        edges.append(curve)
    return Drawing(nodes, labels, edges, lay.width, lay.height, [(at[r.source], at[r.target]) for r in lay.edges])


# ----------------------------------------------------------------------------- dot

def dot_source(sub: Subgraph) -> tuple[str, list[tuple[float, float]]]:
    """The DOT text for a subgraph (same box sizes, gaps and label sizes as ours), and each edge's label size."""
    ids = {n.iri: f"n{i}" for i, n in enumerate(sub.nodes)}
    lines = ["digraph G {", "rankdir=LR;", f"ranksep={svg.LAYER_GAP / 72:.3f};", f"nodesep={18 / 72:.3f};",
             f'node [shape=box fixedsize=true width={svg.NODE_W / 72:.4f} height={svg.NODE_H / 72:.4f} label=""];',
             'edge [fontname="Helvetica" fontsize=11];']
    lines += [f"{ids[n.iri]};" for n in sub.nodes]
    sizes = []
    for b in svg.bundle_edges(sub.edges, term):
        if b.edge.source not in ids or b.edge.target not in ids:
            continue
        text = svg._short(b.text, svg.LABEL_CHARS) if b.text else ""
        lab = f' [label="{text}"]' if text else ""
        sizes.append((svg.label_width(text), svg.LABEL_H) if text else (0.0, 0.0))
        lines.append(f"{ids[b.edge.source]} -> {ids[b.edge.target]}{lab};")
    lines.append("}")
    return "\n".join(lines), sizes


def dot(sub: Subgraph) -> Drawing:
    """Graphviz dot's layout of the same graph, read back from ``dot -Tjson``."""
    text, sizes = dot_source(sub)
    out = subprocess.run(["dot", "-Tjson"], input=text.encode(), capture_output=True, check=True, timeout=120)
    g = json.loads(out.stdout)
    x0, y0, x1, y1 = map(float, g["bb"].split(","))
    nodes = []
    for o in g.get("objects", []):
        cx, cy = map(float, o["pos"].split(","))
        w, h = float(o["width"]) * 72, float(o["height"]) * 72
        nodes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    labels, edges, ends = [], [], []
    for e in g.get("edges", []):
        ends.append((e["tail"], e["head"]))
        pts = [tuple(map(float, t.split(","))) for t in e["pos"].split() if not t.startswith(("e,", "s,"))]
        curve: Curve = [pts[0]]
        for i in range(0, len(pts) - 3, 3):
            curve.extend(_cubic(*pts[i:i + 4])[1:])
        edges.append(curve)
        if "lp" in e:
            lx, ly = map(float, e["lp"].split(","))
            w, h = sizes[e["_gvid"]]
            labels.append((lx - w / 2, ly - h / 2, lx + w / 2, ly + h / 2))
    return Drawing(nodes, labels, edges, x1 - x0, y1 - y0, ends)


# ----------------------------------------------------------------------------- measures

def measure(d: Drawing) -> Quality:
    """Crossings, area and overlaps of a drawing."""
    return Quality(crossings(d), round(d.width * d.height), _overlapping(d.nodes, d.nodes),
                   _overlapping(d.labels, d.nodes, same=False), _overlapping(d.labels, d.labels))


def crossings(d: Drawing, slack: float = 2.0, near: float = 30.0) -> int:
    """Pairs of edges whose curves cross at a point outside every node box (grown by ``slack``).

    Two edges that share a node may meet close to it (within ``near``) as they converge on
    it: that is not counted as a crossing.
    """
    segs = [[(a, b) for a, b in zip(c, c[1:])] for c in d.edges]
    bbs = [_bbox(c) for c in d.edges]
    grown = [_grow(b, slack) for b in d.nodes]
    count = 0
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            if not _meet(bbs[i], bbs[j]):
                continue
            shared = set(d.ends[i]) & set(d.ends[j])
            boxes = grown + [_grow(d.nodes[k], near) for k in shared]
            if _curves_cross(segs[i], segs[j], boxes):
                count += 1
    return count


def _grow(b: Box, by: float) -> Box:
    return (b[0] - by, b[1] - by, b[2] + by, b[3] + by)


def _curves_cross(a, b, boxes) -> bool:
    for p, q in a:
        sa = (min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))
        for r, s in b:
            if not _meet(sa, (min(r[0], s[0]), min(r[1], s[1]), max(r[0], s[0]), max(r[1], s[1]))):
                continue
            x = _intersection(p, q, r, s)
            if x is not None and not any(b0 <= x[0] <= b2 and b1 <= x[1] <= b3 for b0, b1, b2, b3 in boxes):
                return True
    return False


def _intersection(p, q, r, s):
    d = (q[0] - p[0]) * (s[1] - r[1]) - (q[1] - p[1]) * (s[0] - r[0])
    if abs(d) < 1e-9:
        return None  # parallel (a shared straight run is not a crossing)
    t = ((r[0] - p[0]) * (s[1] - r[1]) - (r[1] - p[1]) * (s[0] - r[0])) / d
    u = ((r[0] - p[0]) * (q[1] - p[1]) - (r[1] - p[1]) * (q[0] - p[0])) / d
    if 0 < t < 1 and 0 < u < 1:
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return None


def _overlapping(a: list[Box], b: list[Box], same: bool | None = None) -> int:
    """Pairs of boxes that overlap by more than half a pixel (within one list when ``a is b``)."""
    n = 0
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if a is b and j <= i:
                continue
            if min(x[2], y[2]) - max(x[0], y[0]) > 0.5 and min(x[3], y[3]) - max(x[1], y[1]) > 0.5:
                n += 1
    return n


def _bbox(c: Curve) -> Box:
    xs, ys = [p[0] for p in c], [p[1] for p in c]
    return (min(xs), min(ys), max(xs), max(ys))


def _meet(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _cubic(p0, p1, p2, p3) -> Curve:
    out = []
    for k in range(SAMPLES + 1):
        t = k / SAMPLES
        m = 1 - t
        out.append((m ** 3 * p0[0] + 3 * m * m * t * p1[0] + 3 * m * t * t * p2[0] + t ** 3 * p3[0],
                    m ** 3 * p0[1] + 3 * m * m * t * p1[1] + 3 * m * t * t * p2[1] + t ** 3 * p3[1]))
    return out
