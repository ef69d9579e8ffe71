"""A grid of service areas for a large systems map: each area a labelled panel holding its systems,
the panels in rows, so that sixty systems make a block that fits a screen, not a column 5,000 px tall.

The layered layout (``lineage.layout``) suits a few dozen nodes; past that a map whose systems mostly
feed one warehouse puts them all in one layer. Here the busiest panel (the one with the most links,
usually the warehouse and reporting) sits in the middle of the grid so that the links to it are short
and come from every side; the other panels are in order of their area's name. Links are routed from
the side of one box facing the other: the drawing is a map of who talks to whom, and the table
beside it lists every link.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from govgraph.lineage.layout import EdgeRoute, Layout, NodeBox

#: Systems stacked in one column of a panel before it starts another.
PER_COLUMN = 3
PANEL_PAD, TITLE_H, PANEL_GAP = 12, 26, 48
NO_AREA = "No service area recorded"


@dataclass(frozen=True)
class Panel:
    """A service area's panel on the grid."""
    label: str
    x: float
    y: float
    w: float
    h: float
    count: int


def area_grid(ids: list[str], area: dict[str, str], edges: list[tuple[str, str]], *, node_w: float, node_h: float,
              gap: float = 18.0, margin: float = 24.0, aspect: float = 1.6) -> tuple[Layout, list[Panel]]:
    """Place ``ids`` in panels by ``area`` (id -> area label), the panels in a grid about ``aspect`` wide to tall.

    ``edges`` are (source, target) pairs among ``ids``; each gets a route (``index``: its position).
    """
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(area.get(i) or NO_AREA, []).append(i)
    degree = {i: 0 for i in ids}
    for s, t in edges:
        if s in degree and t in degree:
            degree[s] += 1
            degree[t] += 1
    order = sorted(groups, key=lambda a: (a == NO_AREA, a.casefold()))
    # panel sizes: a column of up to PER_COLUMN systems, more columns side by side
    size = {}
    for a in order:
        cols = max(1, math.ceil(len(groups[a]) / PER_COLUMN))
        rows = min(len(groups[a]), PER_COLUMN)
        size[a] = (cols * node_w + (cols - 1) * gap + 2 * PANEL_PAD, TITLE_H + rows * node_h + (rows - 1) * gap + PANEL_PAD)
    pw = max(w for w, _ in size.values()) if size else node_w
    ph = max(h for _, h in size.values()) if size else node_h
    ncols = max(1, min(len(order), round(math.sqrt(len(order) * aspect * ph / pw))))
    nrows = math.ceil(len(order) / ncols) if order else 0
    # the busiest area in the middle cell
    if order:
        busiest = max(order, key=lambda a: (sum(degree[i] for i in groups[a]), a))
        order.remove(busiest)
        middle = (nrows // 2) * ncols + ncols // 2
        order.insert(min(middle, len(order)), busiest)
    boxes: dict[str, NodeBox] = {}
    panels: list[Panel] = []
    for k, a in enumerate(order):
        r, c = divmod(k, ncols)
        px, py = margin + c * (pw + PANEL_GAP), margin + r * (ph + PANEL_GAP)
        w, h = size[a]
        panels.append(Panel(a, px, py, w, h, len(groups[a])))
        members = sorted(groups[a], key=lambda i: -degree[i])
        for j, i in enumerate(members):
            col, row = divmod(j, PER_COLUMN)
            boxes[i] = NodeBox(i, px + PANEL_PAD + col * (node_w + gap), py + TITLE_H + row * (node_h + gap),
                               node_w, node_h, r, k * 100 + j)
    width = margin * 2 + ncols * pw + (ncols - 1) * PANEL_GAP if order else 0.0
    height = margin * 2 + nrows * ph + (nrows - 1) * PANEL_GAP if order else 0.0
    routes = [EdgeRoute(s, t, side_route(boxes[s], boxes[t]), index=k)
              for k, (s, t) in enumerate(edges) if s in boxes and t in boxes]
    return Layout(boxes, routes, float(width), float(height), 0, nrows), panels


def side_route(s: NodeBox, t: NodeBox) -> tuple[tuple[float, float], ...]:
    """From the side of ``s`` facing ``t`` to the side of ``t`` facing ``s`` (left/right, or top/bottom in a column)."""
    if s.x + s.w <= t.x:
        return (s.x + s.w, s.cy), (t.x, t.cy)
    if t.x + t.w <= s.x:
        return (s.x, s.cy), (t.x + t.w, t.cy)
    # one above the other: out of the right side and back in, bowed by the distance
    bow = min(60.0, 20.0 + abs(t.cy - s.cy) / 10)
    return (s.x + s.w, s.cy), (s.x + s.w + bow, (s.cy + t.cy) / 2), (t.x + t.w, t.cy)
