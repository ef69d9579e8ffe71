"""Integrations for architects: every flow between systems as a matrix and a list, filterable by system."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from govgraph import catalog
from govgraph.agreement_statuses import agreement_statuses
from govgraph.lineage.flows import FlowRow, system_flows
from govgraph.webapp.context import int_arg
from govgraph.webapp.context import read_store as store

bp = Blueprint("integrations", __name__)

#: System pairs listed per page of the flows table (each pair with all its flows).
PAIRS_PER_PAGE = 20


@bp.get("/integrations")
def integrations():
    st = store()
    system = request.args.get("system", "").strip() or None
    if system:
        catalog.get_asset(st, system)  # unknown IRI -> 404 with suggestions
    flows = system_flows(st, system)
    every = system_flows(st) if system else flows
    systems = sorted({r for f in every for r in (f.source_system, f.target_system)}, key=lambda r: r.label.lower())
    ends = sorted({r for f in flows for r in (f.source_system, f.target_system)}, key=lambda r: r.label.lower())
    matrix: dict[tuple[str, str], list[FlowRow]] = {}
    for f in flows:
        matrix.setdefault((f.source_system.iri, f.target_system.iri), []).append(f)
    focus = next((s for s in systems if s.iri == system), None) if system else None
    status = {a.agreement.iri: a.status for a in agreement_statuses(st)}
    pairs = list(matrix.values())  # flows grouped by (sending system, receiving system), in list order
    pages = max(1, -(-len(pairs) // PAIRS_PER_PAGE))
    page = int_arg("page", 1, 1, pages)
    shown = pairs[(page - 1) * PAIRS_PER_PAGE:page * PAIRS_PER_PAGE]
    return render_template("integrations.html", flows=flows, systems=systems, ends=ends, matrix=matrix,
                           system=system, focus=focus, agreement_status=status, pairs=shown, page=page,
                           pages=pages, npairs=len(pairs), pairs_per_page=PAIRS_PER_PAGE)
