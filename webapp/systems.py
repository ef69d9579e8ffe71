"""The systems map: the council's systems inside its boundary, partners outside, flows aggregated.

Drawn with the lineage layout and painter (``webapp.svg``): the council's own systems are laid
out in layers inside a box marking the boundary; partners (and the systems they run) stand
outside it, those that only send data on the left and the rest on the right. A table of the
same nodes and links follows the drawing.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import replace
from xml.sax.saxutils import escape

from flask import Blueprint, render_template, request
from markupsafe import Markup

from govgraph.lineage.area_grid import area_grid
from govgraph.lineage.layout import EdgeRoute, Layout, NodeBox
from govgraph.lineage.results import Subgraph
from govgraph.lineage.systems_map import SystemsMap, systems_map
from govgraph.webapp import svg
from govgraph.webapp.context import int_arg, read_store
from govgraph.webapp.filters import asset_url, term
from govgraph.webapp.graphs import interactive

bp = Blueprint("systems", __name__)

#: drawings of the maps still held (a map is kept per store revision and area by the core)
_DRAWN: "weakref.WeakKeyDictionary[SystemsMap, tuple[str, int, int, int]]" = weakref.WeakKeyDictionary()
#: Most systems and partners drawn (the busiest); the table lists every link, a page at a time.
MAX_DRAWN, LINKS_PER_PAGE = 100, 100
GAP, PAD, TOP = 18, 28, 44  # between outside nodes; inside the boundary box; above it (its caption)
COLUMN = svg.NODE_W + 90  # an outside column and the space between it and the boundary
#: From this many council systems on the map, they are drawn in a grid of service-area panels, not in layers.
GRID_FROM = 25


@bp.get("/systems")
def systems():
    area = request.args.get("area", "").strip() or None
    m = systems_map(read_store(), area)  # one answer per store revision and area: so is its drawing
    drawn = _DRAWN.get(m)
    if drawn is None:
        shown = m.busiest(MAX_DRAWN)
        drawn = _DRAWN[m] = (*draw(shown, "Systems map" + (f": {dict(m.service_areas).get(area, '')}" if area else "")),
                             len(shown.nodes))
    drawing, width, height, ndrawn = drawn
    pages = max(1, -(-len(m.links) // LINKS_PER_PAGE))
    page = int_arg("page", 1, 1, pages)
    labels = {n.iri: n for n in m.nodes}
    return render_template("systems.html", m=m, svg=Markup(drawing), width=width, height=height, labels=labels,
                           area=area or "", ndrawn=ndrawn, page=page, pages=pages,
                           grid=len(m.busiest(MAX_DRAWN).inside()) >= GRID_FROM,
                           links=m.links[(page - 1) * LINKS_PER_PAGE:page * LINKS_PER_PAGE])


def draw(m: SystemsMap, title: str) -> tuple[str, int, int]:
    """The map as inline SVG, with the council's boundary drawn around its own systems."""
    sub = m.subgraph(term)
    inside = {n.iri for n in m.inside()}
    inner = Subgraph([n for n in sub.nodes if n.iri in inside],
                     [e for e in sub.edges if e.source in inside and e.target in inside], [])
    panels = []
    if len(inner.nodes) >= GRID_FROM:
        pairs = [(e.source, e.target) for e in inner.edges]
        lay, panels = area_grid([n.iri for n in inner.nodes], m.area_of, pairs, node_w=svg.NODE_W,
                                node_h=svg.NODE_H)
    else:
        lay = svg.layout(inner) if inner.nodes else Layout({}, [], 0.0, 0.0, 0, 0)
    senders = {n.iri for n in m.outside()}
    for l in m.links:
        if l.target in senders:
            senders.discard(l.target)  # receives something: drawn on the right
    # outside nodes in the order of the council systems they exchange data with (fewer crossings)
    near: dict[str, list[float]] = {}
    for l in m.links:
        for a, b in ((l.source, l.target), (l.target, l.source)):
            if a not in inside and b in lay.nodes:
                near.setdefault(a, []).append(lay.nodes[b].cy)
    def bary(n: str) -> tuple[float, str]:
        ys = near.get(n) or [1e9]
        return sum(ys) / len(ys), labels[n]
    labels = {n.iri: n.label.casefold() for n in m.nodes}
    left = sorted((n.iri for n in m.outside() if n.iri in senders), key=bary)
    right = sorted((n.iri for n in m.outside() if n.iri not in senders), key=bary)
    box_w, box_h = max(lay.width, svg.NODE_W + 40) + 2 * PAD - 40, max(lay.height, svg.NODE_H) + 2 * PAD - 40
    # beside the grid, partners wrap into columns no taller than the boundary (a map, not a list)
    step = svg.NODE_H + GAP
    per_col = max(1, int((box_h + GAP) // step)) if panels else max(len(left), len(right), 1)
    ncol = {0: math.ceil(len(left) / per_col), 1: math.ceil(len(right) / per_col)}
    dx = ncol[0] * COLUMN + PAD
    dy = TOP + PAD
    boxes = {k: replace(b, x=b.x + dx, y=b.y + dy) for k, b in lay.nodes.items()}
    routes = [replace(r, points=tuple((x + dx, y + dy) for x, y in r.points)) for r in lay.edges]
    bx, by = dx - PAD + 20, TOP + 20
    for col, ids in ((0, left), (1, right)):
        for i, n in enumerate(ids):
            c, row = divmod(i, per_col)  # column 0 next to the boundary
            x = bx - COLUMN - c * COLUMN if col == 0 else bx + box_w + COLUMN - svg.NODE_W + c * COLUMN
            boxes[n] = NodeBox(n, x, TOP + 20 + row * step, svg.NODE_W, svg.NODE_H, col, i)
    for k, l in enumerate(m.links):
        if l.source in inside and l.target in inside:
            continue
        s, t = boxes[l.source], boxes[l.target]
        if s.x + s.w <= t.x:
            pts = ((s.x + s.w, s.cy), (t.x, t.cy))
        elif t.x + t.w <= s.x:
            pts = ((s.x, s.cy), (t.x + t.w, t.cy))
        else:  # one column: out of the right side and back in
            pts = ((s.x + s.w, s.cy), (s.x + s.w + 30, (s.cy + t.cy) / 2), (t.x + t.w, t.cy))
        routes.append(EdgeRoute(l.source, l.target, pts, index=len(routes)))
    rows = min(per_col, max(len(left), len(right)))
    width = int(bx + box_w + ncol[1] * COLUMN + 20)
    height = int(max(by + box_h, TOP + 20 + rows * step) + 20)
    full = Layout(boxes, routes, float(width), float(height), lay.crossings, lay.layers + 2)
    drawing = svg.render(sub, full, href=asset_url, title=title, term=term)
    boundary = (f'<g class="boundary"><rect x="{int(bx)}" y="{int(by)}" width="{int(box_w)}" height="{int(box_h)}" '
                f'rx="12" fill="#f8f8f8" stroke="#1d70b8" stroke-width="3" stroke-dasharray="10 5"/>'
                f'<text x="{int(bx) + 4}" y="{int(by) - 8}" font-family="Helvetica,Arial,sans-serif" font-size="14" '
                f'font-weight="700" fill="#0b0c0c">The council\'s boundary: its own systems</text></g>')
    boundary += "".join(
        f'<g class="area"><rect x="{int(p.x + dx)}" y="{int(p.y + dy)}" width="{int(p.w)}" height="{int(p.h)}" rx="6" '
        f'fill="#fff" stroke="#b1b4b6"/><text x="{int(p.x + dx) + 10}" y="{int(p.y + dy) + 18}" '
        f'font-family="Helvetica,Arial,sans-serif" font-size="13" font-weight="700" fill="#0b0c0c">'
        f'{escape(p.label)} ({p.count})</text></g>' for p in panels)
    body = interactive(drawing.svg).replace("</defs>", "</defs>" + boundary, 1)
    return body, drawing.width, drawing.height
