"""Edge labels for a layered layout, placed so they never overlap a node or each other.

Every label goes in the gap between two adjacent layers that its edge crosses (near the
source when edges converge on the target, else near the target), at the height the edge
has half-way across the gap. The gaps hold no node boxes (virtual nodes included), so a
label inside a gap cannot overlap a node; a gap is widened when its widest label needs
it, moving every layer to its right. Within one gap the labels are sorted by height and
spread apart by weighted least squares with a minimum spacing (``layout.separated``),
so no two labels overlap. A pure, deterministic function of the layout and label sizes.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from typing import Mapping

from govgraph.lineage.layout import LabelBox, Layout, Point, separated


def place_edge_labels(lay: Layout, sizes: Mapping[int, tuple[float, float]], *, pad: float = 8.0,
                      spacing: float = 3.0, margin: float = 20.0) -> Layout:
    """A copy of ``lay`` with a ``LabelBox`` for each edge index in ``sizes`` (w, h); gaps widened as needed.

    Self-loops and edges between nodes in the same layer get no label.
    """
    if not lay.nodes or not sizes:
        return lay
    nlayers = lay.layers
    col_left = [float("inf")] * nlayers
    col_right = [float("-inf")] * nlayers
    for b in lay.nodes.values():
        col_left[b.layer] = min(col_left[b.layer], b.x)
        col_right[b.layer] = max(col_right[b.layer], b.x + b.w)

    def layer_of(x: float) -> int:
        return max(0, bisect_right(col_left, x + 0.01) - 1)

    fan_out: dict[str, int] = {}
    fan_in: dict[str, int] = {}
    for e in lay.edges:
        fan_out[e.source] = fan_out.get(e.source, 0) + 1
        fan_in[e.target] = fan_in.get(e.target, 0) + 1

    # 1. which gap each label goes in, and the height its edge has there
    wanted: dict[int, list[tuple[float, int, float, float]]] = {}  # gap -> (y, edge index, w, h)
    by_index = {e.index: e for e in lay.edges}
    for k, (w, h) in sorted(sizes.items()):
        e = by_index.get(k)
        if e is None or e.source == e.target or len(e.points) < 2:
            continue
        segs = [(e.points[i], e.points[i + 1]) for i in range(0, len(e.points) - 1, 2)]
        near_source = fan_in[e.target] > fan_out[e.source] and not e.reversed
        (px, py), (qx, qy) = segs[0] if near_source else segs[-1]
        gap = layer_of(min(px, qx))
        if gap >= nlayers - 1 or layer_of(max(px, qx)) != gap + 1:
            continue
        wanted.setdefault(gap, []).append(((py + qy) / 2, k, float(w), float(h)))

    # 2. widen gaps that are too narrow for their widest label; shift the layers right of them
    extra = [0.0] * nlayers
    for gap, items in wanted.items():
        need = max(w for _, _, w, _ in items) + 2 * pad
        extra[gap + 1] = max(0.0, need - (col_left[gap + 1] - col_right[gap]))
    shift = [0.0] * nlayers
    for l in range(1, nlayers):
        shift[l] = shift[l - 1] + extra[l]

    # 3. spread the labels of each gap apart vertically
    boxes: dict[int, LabelBox] = {}
    for gap, items in sorted(wanted.items()):
        items.sort()
        cx = (col_right[gap] + shift[gap] + col_left[gap + 1] + shift[gap + 1]) / 2
        seps = [items[i][3] / 2 + spacing + items[i + 1][3] / 2 for i in range(len(items) - 1)]
        for (_, k, w, h), y in zip(items, separated([i[0] for i in items], [1.0] * len(items), seps)):
            boxes[k] = LabelBox(round(cx - w / 2, 2), round(y - h / 2, 2), w, h)

    # 4. keep everything inside the drawing: move down if a label rose above the margin
    top = min((b.y for b in boxes.values()), default=margin)
    dy = max(0.0, margin - top)
    nodes = {i: replace(b, x=round(b.x + shift[b.layer], 2), y=round(b.y + dy, 2)) for i, b in lay.nodes.items()}
    edges = [replace(e, points=tuple(_moved(p, shift[layer_of(p[0])], dy) for p in e.points)) for e in lay.edges]
    labels = {k: replace(b, y=round(b.y + dy, 2)) for k, b in boxes.items()}
    bottom = max([b.y + b.h for b in labels.values()] + [b.y + b.h for b in nodes.values()])
    return replace(lay, nodes=nodes, edges=edges, labels=labels, width=round(lay.width + shift[-1], 2),
                   height=round(max(lay.height + dy, bottom + margin), 2))


def _moved(p: Point, dx: float, dy: float) -> Point:
    return (round(p[0] + dx, 2), round(p[1] + dy, 2))


__all__ = ["place_edge_labels"]
