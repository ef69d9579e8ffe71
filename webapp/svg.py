"""Draw a lineage or ownership subgraph as SVG on the server.

Coordinates come from ``govgraph.lineage.layout``; this module only paints: boxes
coloured by kind *and* labelled with the kind in text, badges for personal data,
outside-the-boundary and validation findings, the focus asset outlined, edges labelled
with their mechanism, boundary-crossing edges dashed, every node a link with a hover
title. Every string is XML-escaped. Markup is kept compact (classes, integer
coordinates) so a 300-node graph stays well under 300 KB.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

from govgraph.lineage.grouping import is_group
from govgraph.lineage.labels import place_edge_labels
from govgraph.lineage.layout import LabelBox, Layout, layered_layout
from govgraph.lineage.results import EdgeInfo, NodeInfo, Subgraph

NODE_W, NODE_H = 200, 72
LAYER_GAP = 120.0
LABEL_CHARS = 26

#: kind -> (css class, text shown in the box)
KIND_STYLE = {
    "dataset": ("k-ds", "DATASET"), "report": ("k-rp", "REPORT"), "return": ("k-rt", "STATUTORY RETURN"),
    "system": ("k-sy", "SYSTEM"), "database": ("k-sy", "DATABASE"), "partner": ("k-pa", "PARTNER"),
    "organisation": ("k-pa", "ORGANISATION"), "field": ("k-fd", "FIELD"), "person": ("k-pe", "PERSON"),
    "unit": ("k-un", "TEAM"), "team": ("k-un", "TEAM"), "agreement": ("k-ag", "AGREEMENT"),
    "group": ("k-gr", "GROUP"),
}

_STYLE = """
.n rect.b{stroke:#0b0c0c;stroke-width:1}
.k-ds rect.b{fill:#d2e2f1}.k-rp rect.b{fill:#cce2d8}.k-rt rect.b{fill:#fff2cc}.k-sy rect.b{fill:#eeefef}
.k-pa rect.b{fill:#e7e1f2;stroke-dasharray:5 3;stroke-width:2}.k-fd rect.b{fill:#f3f2f1}.k-pe rect.b{fill:#fde0d2}
.k-un rect.b{fill:#f3f2f1}.k-gr rect.b{fill:#fff;stroke-width:2;stroke-dasharray:2 2}.k-ag rect.b{fill:#fff}.k-ot rect.b{fill:#fff}
.n.ext rect.b{stroke:#4c2c92;stroke-width:2;stroke-dasharray:5 3}
.n.focus rect.b{stroke:#0b0c0c;stroke-width:4}
.n text{font:13px Helvetica,Arial,sans-serif;fill:#0b0c0c}
.n text.k{font-size:10px;font-weight:700;letter-spacing:.04em;fill:#383f43}
.n text.s{font-size:11px;fill:#383f43}
.n.focus text:not([class]){font-weight:700}
.n:hover rect.b,.n:focus rect.b{stroke-width:3;stroke:#1d70b8}
.bg rect{stroke:none}.bg text{font:bold 10px Helvetica,Arial,sans-serif;fill:#fff;text-anchor:middle}
.pd rect{fill:#b6410a}.sc rect{fill:#942514}.vf rect{fill:#d4351c}.vw rect{fill:#594d00}.fo rect{fill:#0b0c0c}
.e{fill:none;stroke:#505a5f;stroke-width:1.5;marker-end:url(#ah)}
.e.x{stroke:#4c2c92;stroke-width:2;stroke-dasharray:7 4;marker-end:url(#ax)}
.e.d{stroke:#8a9196}
.e.o{stroke:#b58840}
.e.m{stroke-width:3}
.el{font:11px Helvetica,Arial,sans-serif;text-anchor:middle;fill:#0b0c0c;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
"""


@dataclass
class Drawing:
    """An SVG document and its size."""
    svg: str
    width: int
    height: int


@dataclass
class Bundle:
    """The flows between one (source, target) pair drawn as one line: a representative edge and how many."""
    edge: EdgeInfo
    count: int
    text: str  # the label drawn on the line ("SFTP", "SFTP ×3", "3 links")


def bundle_edges(edges: Iterable[EdgeInfo], term: Callable[[str | None], str] = lambda s: s or "") -> list[Bundle]:
    """Parallel edges between the same pair as one bundle with a count (a boundary crossing is the representative)."""
    groups: dict[tuple[str, str], list[EdgeInfo]] = {}
    for e in edges:
        groups.setdefault((e.source, e.target), []).append(e)
    out = []
    for es in groups.values():
        rep = es[0]
        for e in es[1:]:
            if (e.crosses_boundary and not rep.crosses_boundary) or (e.mechanism and not rep.mechanism):
                rep = e
        texts = sorted({t for t in (_edge_text(e, term) for e in es) if t})
        n = len(es)
        if n == 1:
            text = texts[0] if texts else ""
        elif len(texts) == 1:
            text = f"{texts[0]} ×{n}"
        else:
            text = f"{n} links"
        out.append(Bundle(rep, n, text))
    return out


def label_width(text: str) -> float:
    """Drawn width of an edge label (11px Helvetica, about 6.2 px a character, with a little room)."""
    return round(6.2 * len(text) + 8, 1)


LABEL_H = 14.0


def layout(sub: Subgraph, term: Callable[[str | None], str] = lambda s: s or "") -> Layout:
    """Place a subgraph's nodes with the lineage layered layout (every box the same size), then its edge labels."""
    ids = [n.iri for n in sub.nodes]
    keep = set(ids)
    bundles = [b for b in bundle_edges(sub.edges, term) if b.edge.source in keep and b.edge.target in keep]
    lay = layered_layout(ids, [(b.edge.source, b.edge.target) for b in bundles],
                         sizes={i: (NODE_W, NODE_H) for i in ids}, layer_gap=LAYER_GAP, node_gap=18.0, margin=24.0)
    return place_edge_labels(lay, {k: (label_width(_short(b.text, LABEL_CHARS)), LABEL_H)
                                   for k, b in enumerate(bundles) if b.text}, margin=24.0)


def render(sub: Subgraph, lay: Layout | None = None, *, href: Callable[[str], str], title: str = "",
           findings: dict[str, str] | None = None, term: Callable[[str | None], str] = lambda s: s or "",
           standalone: bool = False) -> Drawing:
    """Paint a subgraph placed by ``lay`` (computed here when not given).

    ``href`` gives each node's link; ``findings`` maps IRIs to "Violation" / "Warning"
    for nodes with validation findings; ``term`` turns a mechanism IRI into its label.
    ``standalone`` adds the XML prolog for the downloadable file.
    """
    lay = lay or layout(sub, term)
    findings = findings or {}
    width, height = int(lay.width) + 1, int(lay.height) + 1
    nodes = {n.iri: n for n in sub.nodes if n.iri in lay.nodes}
    focus = set(sub.focus)
    out: list[str] = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage-svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" role="group" tabindex="-1" aria-labelledby="svg-title">')
    out.append(f'<title id="svg-title">{escape(title or "Lineage graph")}</title>')
    out.append(f"<style>{_STYLE}</style>")
    out.append('<defs><marker id="ah" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" '
               'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#505a5f"/></marker>'
               '<marker id="ax" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" '
               'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#4c2c92"/></marker></defs>')
    keep = set(nodes)
    bundles = [b for b in bundle_edges(sub.edges, term) if b.edge.source in keep and b.edge.target in keep]
    paths: list[str] = []
    labels: list[str] = []
    for r in lay.edges:
        if r.index >= len(bundles):
            continue
        paths.append(_edge(bundles[r.index], r.points, lay.labels.get(r.index), labels, term))
    out.append('<g class="edges">' + "".join(paths) + "</g>")
    out.append('<g class="edge-labels" aria-hidden="true">' + "".join(labels) + "</g>")
    out.append('<g class="nodes">')
    for iri, n in nodes.items():
        b = lay.nodes[iri]
        out.append(_node(n, (int(b.x), int(b.y)), href(iri), iri in focus, findings.get(iri)))
    out.append("</g></svg>")
    return Drawing("".join(out), width, height)


def dedupe_edges(edges: Iterable[EdgeInfo]) -> list[EdgeInfo]:
    """One edge per (source, target): parallel flows share a line (a boundary crossing wins)."""
    return [b.edge for b in bundle_edges(edges)]


def _edge(b: Bundle, points: tuple[tuple[float, float], ...], box: LabelBox | None, labels: list[str],
          term: Callable) -> str:
    e = b.edge
    pts = [(int(x), int(y)) for x, y in points]
    d = [f"M{pts[0][0]} {pts[0][1]}"]
    for (px, py), (qx, qy) in zip(pts, pts[1:]):
        if py == qy:
            d.append(f"H{qx}")
        else:
            mx = (px + qx) // 2
            d.append(f"C{mx} {py} {mx} {qy} {qx} {qy}")
    cls = "e x" if e.crosses_boundary else ("e d" if e.kind in ("derived", "field") else
                                              "e o" if e.kind in ("owner", "steward", "custodian", "member") else "e")
    if b.count > 1:
        cls += " m"
    tip = _edge_tip(e, term) + (" (crosses the council boundary)" if e.crosses_boundary else "")
    if b.count > 1:
        tip = f"{b.count} links: {tip}"
    if b.text and box is not None:
        # in the gap between two columns, where the layout left room for it: never over a box or another label
        labels.append(f'<text class="el" x="{int(box.x + box.w / 2)}" y="{int(box.y + box.h - 3)}">'
                      f'{escape(_short(b.text, LABEL_CHARS))}</text>')
    return f'<path class="{cls}" d="{"".join(d)}"><title>{escape(tip)}</title></path>'


def _edge_tip(e: EdgeInfo, term: Callable) -> str:
    parts = [e.label or e.kind]
    if e.mechanism:
        parts.append(f"by {term(e.mechanism)}")
    if e.frequency:
        parts.append(term(e.frequency))
    if e.transformation:
        parts.append(e.transformation)
    return ", ".join(p for p in parts if p)


def _edge_text(e: EdgeInfo, term: Callable) -> str:
    if e.mechanism:
        return term(e.mechanism)
    if e.kind in ("derived",):
        return ""
    if e.kind == "field":
        return e.transformation or ""
    if e.kind in ("holds", "held-in", "held_in", "flow", "carried"):
        return ""
    return e.label or ""


def _node(n: NodeInfo, p: tuple[int, int], link: str, is_focus: bool, finding: str | None) -> str:
    x, y = p
    cls, kind_text = KIND_STYLE.get(n.kind, ("k-ot", n.kind.upper()))
    classes = f"n {cls}" + (" ext" if n.external else "") + (" focus" if is_focus else "")
    facts = [kind_text.capitalize().replace("_", " "), n.label]
    if n.system_label and n.kind not in ("system", "partner"):
        facts.append(f"held in {n.system_label}")
    if n.owner_label:
        facts.append(f"owner {n.owner_label}")
    if n.special:
        facts.append("special category personal data")
    elif n.personal:
        facts.append("personal data")
    if n.external:
        facts.append("outside the council")
    if finding:
        facts.append(f"validation: {finding.lower()}s found")
    if is_focus:
        facts.append("the asset in focus")
    tip = " · ".join(facts)
    # badges from the right-hand edge: validation, personal data
    badges = []
    bx = x + NODE_W - 4
    for text, bcls, cond in (("!" if finding == "Violation" else "?", "vf" if finding == "Violation" else "vw", finding),
                             ("SC" if n.special else "PD", "sc" if n.special else "pd", n.personal or n.special)):
        if not cond:
            continue
        w = 8 + 7 * len(text)
        bx -= w
        badges.append(f'<g class="bg {bcls}"><rect x="{bx}" y="{y + 4}" width="{w}" height="14" rx="2"/>'
                      f'<text x="{bx + w // 2}" y="{y + 15}">{escape(text)}</text></g>')
        bx -= 3
    kind_line = kind_text + (" · OUTSIDE" if n.external and n.kind not in ("partner", "organisation") else "")
    focus_mark = "▶ " if is_focus else ""
    sub_line = f"in {n.system_label}" if n.system_label and n.kind not in ("system", "partner") else ""
    if is_group(n.iri):
        sub_line = "Select to show each one"
    max_kind = max(6, (bx - x - 8) // 7)
    return (f'<a class="{classes}" href={quoteattr(link)}><title>{escape(tip)}</title>'
            f'<rect class="b" x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="3"/>'
            f'<text class="k" x="{x + 8}" y="{y + 15}">{escape(_short(kind_line, max_kind))}</text>'
            + "".join(f'<text x="{x + 8}" y="{y + 32 + 16 * i}">{escape(line)}</text>'
                      for i, line in enumerate(_wrap(focus_mark + n.label, LABEL_CHARS)))
            + (f'<text class="s" x="{x + 8}" y="{y + 65}">{escape(_short(sub_line, LABEL_CHARS + 4))}</text>' if sub_line else "")
            + "".join(badges) + "</a>")


def _wrap(s: str, n: int) -> list[str]:
    """A label on at most two lines of about ``n`` characters, broken between words."""
    if len(s) <= n:
        return [s]
    cut = s.rfind(" ", 0, n + 1)
    if cut < n // 2:
        cut = n
    return [s[:cut].rstrip(), _short(s[cut:].strip(), n)]


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"
