"""Exporters for a lineage subgraph: a self-contained SVG (from ``layout.py``), Mermaid and Graphviz DOT."""
from __future__ import annotations

from xml.sax.saxutils import escape

from govgraph.lineage.layout import Layout, label_size, layered_layout
from govgraph.lineage.results import EdgeInfo, Subgraph

FORMATS = ("svg", "mermaid", "dot")

#: fill colours by node kind (the web viewer has its own richer palette)
COLOURS = {"dataset": "#e8f1fb", "report": "#fdf3e1", "return": "#fde8e8", "system": "#eaf5ea",
           "partner": "#f1e9f7", "field": "#f4f4f4", "person": "#fffbe0", "unit": "#eef7f7"}
_DOT_SHAPES = {"system": "box3d", "partner": "hexagon", "report": "note", "return": "tab",
               "field": "plaintext", "person": "ellipse", "unit": "folder"}


def layout_subgraph(sub: Subgraph, **options) -> Layout:
    """Lay out a subgraph with node sizes that fit the labels."""
    sizes = {n.iri: label_size(n.label) for n in sub.nodes}
    return layered_layout([n.iri for n in sub.nodes], [(e.source, e.target) for e in sub.edges],
                          sizes=sizes, **options)


def export(sub: Subgraph, fmt: str) -> str:
    """A subgraph as text in ``fmt`` (svg, mermaid or dot)."""
    if fmt == "svg":
        return to_svg(sub)
    if fmt == "mermaid":
        return to_mermaid(sub)
    if fmt == "dot":
        return to_dot(sub)
    raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


def edge_label(e: EdgeInfo) -> str:
    """A short label for an edge: mechanism for flows, activity for runs, else the kind."""
    if e.mechanism:
        return e.mechanism.rsplit("#", 1)[-1]
    if e.kind == "run":
        return e.label or "run"
    return {"derived": "", "carried": "", "holds": "holds", "held_in": "held in"}.get(e.kind, e.label or e.kind)


def to_svg(sub: Subgraph, layout: Layout | None = None) -> str:
    """A simple standalone SVG drawing of the subgraph, left to right."""
    lay = layout or layout_subgraph(sub)
    info = {n.iri: n for n in sub.nodes}
    focus = set(sub.focus)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:g}" height="{lay.height:g}" '
           f'viewBox="0 0 {lay.width:g} {lay.height:g}" font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for route, e in zip(lay.edges, sub.edges):
        d = "M" + " L".join(f"{x:g},{y:g}" for x, y in route.points)
        dash = ' stroke-dasharray="5,3"' if route.reversed else ""
        colour = "#c0392b" if e.crosses_boundary else "#555"
        out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.3"{dash} '
                   f'marker-end="url(#arrow)"><title>{escape(_edge_title(e))}</title></path>')
    for box in lay.real_nodes():
        n = info.get(box.id)
        label = n.label if n else box.id
        kind = n.kind if n else "other"
        stroke = ' stroke="#1a4c8b" stroke-width="3"' if box.id in focus else ' stroke="#777" stroke-width="1"'
        out.append(f'<g class="node {escape(kind)}" data-iri="{escape(box.id, {chr(34): "&quot;"})}">'
                   f'<title>{escape(box.id)}</title>'
                   f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" rx="6" '
                   f'fill="{COLOURS.get(kind, "#ffffff")}"{stroke}/>')
        lines = _wrap(label, box.w)
        y0 = box.cy - (len(lines) - 1) * 7 - (4 if n and (n.personal or n.external) else 0)
        for i, line in enumerate(lines):
            out.append(f'<text x="{box.cx:g}" y="{y0 + i * 14 + 4:g}" text-anchor="middle">{escape(line)}</text>')
        tags = [kind] + (["personal"] if n and n.personal else []) + (["external"] if n and n.external else [])
        out.append(f'<text x="{box.cx:g}" y="{box.y + box.h - 4:g}" text-anchor="middle" font-size="9" '
                   f'fill="#666">{escape(" · ".join(tags))}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _edge_title(e: EdgeInfo) -> str:
    bits = [e.label or e.kind]
    if e.mechanism:
        bits.append(e.mechanism.rsplit("#", 1)[-1])
    if e.agreement:
        bits.append(f"agreement {e.agreement}")
    if e.crosses_boundary:
        bits.append("crosses the council boundary")
    return "; ".join(bits)


def _wrap(label: str, width: float, char_width: float = 7.0) -> list[str]:
    per = max(8, int((width - 16) / char_width))
    if len(label) <= per:
        return [label]
    cut = label.rfind(" ", 0, per + 1)
    cut = cut if cut > 0 else per
    rest = label[cut:].strip()
    return [label[:cut].strip(), rest if len(rest) <= per else rest[: per - 1] + "…"]


def to_mermaid(sub: Subgraph) -> str:
    """A Mermaid flowchart (left to right) of the subgraph."""
    ids = {n.iri: f"n{i}" for i, n in enumerate(sub.nodes)}
    lines = ["flowchart LR"]
    shapes = {"system": ("[(", ")]"), "partner": ("{{", "}}"), "report": ("([", "])"),
              "return": ("[[", "]]"), "field": (">", "]"), "person": ("((", "))")}
    for n in sub.nodes:
        o, c = shapes.get(n.kind, ("[", "]"))
        lines.append(f'    {ids[n.iri]}{o}"{_mm(n.label)}"{c}')
    for e in sub.edges:
        if e.source not in ids or e.target not in ids:
            continue
        lab = edge_label(e)
        arrow = "-.->" if e.crosses_boundary else "-->"
        lines.append(f'    {ids[e.source]} {arrow}{"|" + _mm(lab) + "|" if lab else ""} {ids[e.target]}')
    for i, f in enumerate(sub.focus):
        if f in ids:
            lines.append(f"    style {ids[f]} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _mm(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;").replace("\n", " ")


def to_dot(sub: Subgraph) -> str:
    """A Graphviz DOT digraph (rankdir=LR) of the subgraph; node ids are the IRIs."""
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="sans-serif"];']
    focus = set(sub.focus)
    for n in sub.nodes:
        attrs = [f'label="{_dq(n.label)}"', f'fillcolor="{COLOURS.get(n.kind, "#ffffff")}"']
        if n.kind in _DOT_SHAPES:
            attrs.append(f"shape={_DOT_SHAPES[n.kind]}")
        if n.iri in focus:
            attrs.append("penwidth=3")
        lines.append(f'  "{_dq(n.iri)}" [{", ".join(attrs)}];')
    for e in sub.edges:
        attrs = []
        lab = edge_label(e)
        if lab:
            attrs.append(f'label="{_dq(lab)}"')
        if e.crosses_boundary:
            attrs.append('color="#c0392b", style=dashed')
        lines.append(f'  "{_dq(e.source)}" -> "{_dq(e.target)}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dq(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
