"""Graph pages: lineage (with depth and direction), ownership and field lineage, as inline
SVG with a text table of the same edges, plus downloadable SVG files."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, Response, g, render_template, request, url_for
from markupsafe import Markup

from govgraph import catalog, lineage
from govgraph.errors import UnknownAsset
from govgraph.labels import label, labels, Ref
from govgraph.lineage import grouping
from govgraph.lineage.results import EdgeInfo, NodeInfo, Subgraph
from govgraph.responsibilities import responsibilities
from govgraph.store import Store
from govgraph.webapp import findings, svg
from govgraph.webapp.context import int_arg, iri_arg, view_store
from govgraph.webapp.filters import asset_url, term

bp = Blueprint("graphs", __name__)

DEFAULT_DEPTH, SYSTEM_DEPTH, MAX_DEPTH = 4, 2, 10
#: Most assets a lineage reaches that its table lists; the nearest are kept (a notice says so).
MAX_NODES = 300
#: Most boxes drawn in one graph; the nearest are kept (the table and a notice say so). A 300-box drawing
#: with every group expanded weighed 300 KB at 100k datasets (issue 19's target: any drawing under 300 KB).
MAX_DRAWN = 250
#: Most groups a request may ask to draw in full.
MAX_EXPANDED = 200
#: Datasets listed per link in the table (a bulk flow can carry thousands).
CARRIES_SHOWN = 5
#: Rows of each table shown under a drawing; a longer table is on its own page (page weight: issue 19).
INLINE_ROWS = 25
#: Rows of each table on one page of a graph's own table page.
TABLE_ROWS = 100
DIRECTIONS = {"both": "Upstream and downstream", "up": "Upstream only (where it comes from)",
              "down": "Downstream only (where it goes)"}


@dataclass
class EdgeRow:
    """One edge of a drawn graph, with labels, for the screen-reader table."""
    source: NodeInfo
    target: NodeInfo
    how: str
    mechanism: str
    frequency: str
    agreement: Ref | None
    carries: list[Ref]
    crosses_boundary: bool
    carries_more: int = 0


@dataclass
class GraphView:
    """A drawn graph: inline SVG, its edges as rows, and the controls that made it."""
    iri: str
    label: str
    kind: str
    svg: Markup
    width: int
    height: int
    nodes: list[NodeInfo]
    rows: list[EdgeRow]
    download: str
    depth: int | None = None
    direction: str | None = None
    notices: list[str] = field(default_factory=list)
    expand_all: str | None = None  # a link drawing every group in full, when some are collapsed
    table: str | None = None  # the page listing every node and edge (the drawing's table, paged)
    inline_rows: int = INLINE_ROWS

    @property
    def table_pages(self) -> int:
        """Pages of the graph's own table page."""
        return max(1, -(-max(len(self.rows), len(self.nodes)) // TABLE_ROWS))


def lineage_args(system: bool = False) -> tuple[int, str]:
    """Depth and direction from the query string (clamped, with defaults; systems fan out, so fewer steps)."""
    direction = request.args.get("direction", "both")
    default = SYSTEM_DEPTH if system else DEFAULT_DEPTH
    return int_arg("depth", default, 1, MAX_DEPTH), direction if direction in DIRECTIONS else "both"


def lineage_names(st: Store, iri: str, kind: str) -> list[str]:
    """The IRIs whose names ``lineage_view`` lists for an asset (its edges' agreements and carried
    datasets), for the asset page to read with the asset's own (one query to a remote store)."""
    depth, direction = lineage_args(system=kind in ("system", "database"))
    try:
        sub = lineage.lineage(st, iri, direction, depth).subgraph()
    except UnknownAsset:
        return []  # lineage_view says so
    return sorted(_names_shown(sub if len(sub.nodes) <= MAX_NODES else nearest(sub, MAX_NODES)))


def lineage_view(st: Store, iri: str, kind: str = "dataset", *, draw: bool = True,
                 known: dict[str, Ref] | None = None) -> GraphView:
    """The lineage graph of an asset at the depth and direction the request asks for (``draw``: with its SVG;
    ``known``: names already read, as ``lineage_names`` chose them)."""
    depth, direction = lineage_args(system=kind in ("system", "database"))
    res = lineage.lineage(st, iri, direction, depth)
    root = res.node(res.root)
    title = f"Lineage of {root.label if root else iri}, {depth} step{'s' if depth != 1 else ''} {direction}"
    sub = res.subgraph()
    notices = list(res.notices)
    expanded = expand_args()
    # fans are grouped before the cap, so a group counts every asset it stands for
    drawn, groups = grouping.collapse_fanouts(sub, expanded=expanded)
    if len(drawn.nodes) > MAX_DRAWN:
        notices.append(f"{len(drawn.nodes):,} boxes would be drawn; the {MAX_DRAWN} nearest are. "
                       f"Choose fewer steps or one direction to see the rest.")
        drawn = nearest(drawn, MAX_DRAWN)
    if len(sub.nodes) > MAX_NODES:
        notices.append(f"{len(sub.nodes):,} assets are reached; the table lists the {MAX_NODES} nearest.")
        sub = nearest(sub, MAX_NODES)
    view = _view(st, sub, iri, title,
                 url_for("graphs.lineage_svg", iri=iri, depth=depth, direction=direction, expand=expanded or None,
                         asof=_asof_text()), drawn=drawn, draw=draw, known=known)
    view.table = url_for("graphs.lineage_table", iri=iri, depth=depth, direction=direction, asof=_asof_text())
    if groups:
        notices.append(f"{len(groups)} group{'s' if len(groups) != 1 else ''} of more than {grouping.THRESHOLD} "
                       f"similar assets {'are' if len(groups) != 1 else 'is'} drawn as one box; select a group to "
                       f"show each asset in it, or see them in the table below.")
        view.expand_all = _with_expanded(expanded + [grp.key for grp in groups])
    view.depth, view.direction, view.notices = depth, direction, notices
    return view


def expand_args() -> list[str]:
    """The groups to draw in full, from ``expand=`` (group keys: 10 hex digits; others ignored, at most 200)."""
    keys = [k for k in request.args.getlist("expand") if len(k) == 10 and all(c in "0123456789abcdef" for c in k)]
    return list(dict.fromkeys(keys))[:MAX_EXPANDED]


def _with_expanded(keys: list[str]) -> str:
    """This page again with the groups ``keys`` drawn in full."""
    args = request.args.to_dict(flat=False)
    args["expand"] = list(dict.fromkeys(keys))
    endpoint = {"graphs.lineage_svg": "graphs.lineage_page", "graphs.ownership_svg": "graphs.ownership"}.get(
        request.endpoint, request.endpoint)
    return url_for(endpoint, **(request.view_args or {}), **args) + ("#graph" if "ownership" in endpoint else "#lineage")


def _href(expanded: list[str]):
    """Node links: an asset's page, or for a group node this page with that group drawn in full."""
    def href(iri: str) -> str:
        if grouping.is_group(iri):
            return _with_expanded(expanded + [iri[len(grouping.GROUP_PREFIX):]])
        return asset_url(iri)
    return href


def nearest(sub: Subgraph, limit: int) -> Subgraph:
    """The ``limit`` nodes nearest the focus (nodes come ordered by hop depth) and the edges between them."""
    keep = sorted(sub.nodes, key=lambda n: (n.iri not in sub.focus, n.depth))[:limit]
    ids = {n.iri for n in keep}
    return Subgraph(keep, [e for e in sub.edges if e.source in ids and e.target in ids], sub.focus)


def ownership_view(st: Store, iri: str, kind: str, *, draw: bool = True) -> GraphView:
    """Who owns, stewards and holds what: for a data asset or system, or for a person or team."""
    if kind in ("person", "team"):
        sub = responsibility_subgraph(st, iri)
    else:
        sub = lineage.ownership(st, iri).subgraph()
    title = label(st, iri)
    expanded = expand_args()
    drawn, groups = grouping.collapse_fanouts(sub, expanded=expanded)
    notices = []
    if len(drawn.nodes) > MAX_DRAWN:
        notices.append(f"{len(drawn.nodes):,} boxes would be drawn; the {MAX_DRAWN} nearest are, and the table lists "
                       f"every one.")
        drawn = nearest(drawn, MAX_DRAWN)
    view = _view(st, sub, iri, f"Ownership of {title}",
                 url_for("graphs.ownership_svg", iri=iri, expand=expanded or None, asof=_asof_text()), drawn=drawn,
                 draw=draw)
    view.table = url_for("graphs.ownership_table", iri=iri, asof=_asof_text())
    view.notices = notices
    if groups:
        view.expand_all = _with_expanded(expanded + [grp.key for grp in groups])
    return view


def responsibility_subgraph(st: Store, iri: str) -> Subgraph:
    """A person's or team's responsibilities as a drawable graph (person/team -> role -> asset)."""
    r = responsibilities(st, iri)
    nodes: dict[str, NodeInfo] = {iri: NodeInfo(iri, r.holder.label, "unit" if r.holder.kind == "team" else "person")}
    edges: list[EdgeInfo] = []
    for member in r.members:
        nodes.setdefault(member.iri, NodeInfo(member.iri, member.label, "person", depth=1))
        edges.append(EdgeInfo(iri, member.iri, "member", label="member"))
    for holder, role, a in r.roles:
        nodes.setdefault(holder.iri, NodeInfo(holder.iri, holder.label, "unit" if holder.kind == "team" else "person",
                                              depth=1))
        # depth: steps from the person or team in focus (so a long list of assets can be grouped)
        nodes.setdefault(a.iri, NodeInfo(a.iri, a.label, a.kind, depth=1 if holder.iri == iri else 2))
        edges.append(EdgeInfo(holder.iri, a.iri, role, label=role))
    return Subgraph(list(nodes.values()), edges, [iri])


def _names_shown(sub: Subgraph) -> set[str]:
    """The IRIs a view's table names besides its nodes: the edges' agreements and carried datasets."""
    return {e.agreement for e in sub.edges if e.agreement} | {c for e in sub.edges for c in e.carries[:CARRIES_SHOWN]}


def _view(st: Store, sub: Subgraph, iri: str, title: str, download: str, *, standalone: bool = False,
          drawn: Subgraph | None = None, draw: bool = True, known: dict[str, Ref] | None = None) -> GraphView:
    """``sub`` is listed in the table; ``drawn`` (its fans collapsed, by default ``sub``) is drawn (unless not ``draw``);
    ``known``: names already read (the others are asked for)."""
    drawing = svg.Drawing("", 0, 0)
    if draw:
        # past estates ("as of") are not validated: a badge there would cost a full validation of the copy
        drawn = drawn or sub
        severity = findings.worst_by_focus(st, [n.iri for n in drawn.nodes]) if g.get("asof") is None else {}
        lay = svg.layout(drawn, term)
        drawing = svg.render(drawn, lay, href=_href(expand_args()), title=title, term=term,
                             standalone=standalone,
                             findings=severity)
    nodes = {n.iri: n for n in sub.nodes}
    known = known or {}
    extra = _names_shown(sub)
    missing = [i for i in extra if i not in known]
    refs = {**{i: known[i] for i in extra if i in known}, **(labels(st, missing) if missing else {})}
    rows = []
    for e in svg.dedupe_edges(sub.edges):
        if e.source in nodes and e.target in nodes:
            rows.append(EdgeRow(nodes[e.source], nodes[e.target], e.label or e.kind.replace("_", " "),
                                term(e.mechanism) if e.mechanism else "", term(e.frequency) if e.frequency else "",
                                refs.get(e.agreement) if e.agreement else None,
                                [refs[c] for c in e.carries[:CARRIES_SHOWN] if c in refs], e.crosses_boundary,
                                max(0, len(e.carries) - CARRIES_SHOWN)))
    rows.sort(key=lambda r: (r.source.depth, r.source.label.lower(), r.target.label.lower()))
    first = nodes.get(sub.focus[0]) if sub.focus else None
    return GraphView(iri, first.label if first else iri, first.kind if first else "", Markup(interactive(drawing.svg)),
                     drawing.width, drawing.height, sub.nodes, rows, download)


def interactive(svg_text: str) -> str:
    """An inline drawing whose nodes are links is a group of controls, not an image (WCAG: an image
    holds no interactive content, axe's nested-interactive); its title still names it."""
    return svg_text.replace(' role="img" ', ' role="group" ', 1)


def _svg_response(view: GraphView, name: str) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + str(view.svg)
    slug = "".join(c if c.isalnum() else "-" for c in view.label.lower()).strip("-")[:60] or "graph"
    return Response(body, mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{slug}.svg"'})


def _asof_text() -> str | None:
    return g.get("asof_text")


# ----------------------------------------------------------------------------- routes

@bp.get("/lineage")
def lineage_page():
    st, asof = view_store()
    a = catalog.get_asset(st, iri_arg())
    return render_template("lineage.html", asset=a, lineage=lineage_view(st, a.iri, a.kind), directions=DIRECTIONS,
                           asof=asof)


@bp.get("/lineage.svg")
def lineage_svg():
    st, _ = view_store()
    a = catalog.get_asset(st, iri_arg())
    return _svg_response(lineage_view(st, a.iri, a.kind), "lineage")


@bp.get("/lineage/table")
def lineage_table():
    st, asof = view_store()
    a = catalog.get_asset(st, iri_arg())
    view = lineage_view(st, a.iri, a.kind, draw=False)
    drawing = url_for("graphs.lineage_page", iri=a.iri, depth=view.depth, direction=view.direction, asof=_asof_text())
    return _table_page(view, a, "Lineage", drawing + "#lineage", asof)


@bp.get("/ownership")
def ownership():
    st, asof = view_store()
    a = catalog.get_asset(st, iri_arg())
    view = ownership_view(st, a.iri, a.kind)
    detail = lineage.ownership(st, a.iri) if a.kind not in ("person", "team") else None
    resp = responsibilities(st, a.iri) if a.kind in ("person", "team") else None
    pages = max(1, -(-len(resp.roles) // TABLE_ROWS)) if resp else 1
    page = int_arg("page", 1, 1, pages)
    roles = resp.roles[(page - 1) * TABLE_ROWS:page * TABLE_ROWS] if resp else []
    return render_template("ownership.html", asset=a, graph=view, detail=detail, resp=resp, roles=roles, page=page,
                           pages=pages, per_page=TABLE_ROWS, asof=asof)


@bp.get("/ownership/table")
def ownership_table():
    st, asof = view_store()
    a = catalog.get_asset(st, iri_arg())
    view = ownership_view(st, a.iri, a.kind, draw=False)
    return _table_page(view, a, "Ownership", url_for("graphs.ownership", iri=a.iri, asof=_asof_text()) + "#graph", asof)


def _table_page(view: GraphView, a: catalog.Asset, what: str, drawing: str, asof):
    """Every node and edge of a drawing as tables, a page at a time (the drawing links here)."""
    page = int_arg("page", 1, 1, view.table_pages)
    lo, hi = (page - 1) * TABLE_ROWS, page * TABLE_ROWS
    return render_template("graph_table.html", asset=a, graph=view, what=what, drawing=drawing, page=page,
                           pages=view.table_pages, rows=view.rows[lo:hi], nodes=view.nodes[lo:hi], per_page=TABLE_ROWS,
                           asof=asof)


@bp.get("/ownership.svg")
def ownership_svg():
    st, _ = view_store()
    a = catalog.get_asset(st, iri_arg())
    return _svg_response(ownership_view(st, a.iri, a.kind), "ownership")


@bp.get("/fields")
def fields():
    st, asof = view_store()
    a = catalog.get_asset(st, iri_arg())
    traces = lineage.trace_dataset_fields(st, a.iri)
    return render_template("fields.html", asset=a, traces=traces, asof=asof)
