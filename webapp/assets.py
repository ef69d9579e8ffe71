"""The asset page: any resource's properties in plain language, its people, standards,
agreements, quality, validation findings, lineage graph and raw Turtle."""
from __future__ import annotations

from flask import Blueprint, Response, render_template

from govgraph import catalog
from govgraph.errors import UnknownAsset
from govgraph.webapp import findings, graphs
from govgraph.webapp.context import iri_arg, store

bp = Blueprint("assets", __name__)

#: Kinds whose page shows a lineage graph.
LINEAGE_KINDS = {"dataset", "report", "return", "system", "database"}
#: Kinds that have an ownership graph.
OWNERSHIP_KINDS = LINEAGE_KINDS | {"person", "team"}


@bp.get("/asset")
def asset():
    st = store()
    iri = iri_arg()
    try:
        a = catalog.get_asset(st, iri)
    except UnknownAsset:
        label, comment = catalog.term_label(iri)
        if not comment:
            raise
        return render_template("term.html", iri=iri, label=label, comment=comment)
    lineage = graphs.lineage_view(st, a.iri, a.kind) if a.kind in LINEAGE_KINDS else None
    status = next((s for s in catalog.agreement_statuses(st) if s.agreement.iri == a.iri), None) \
        if a.kind == "agreement" else None
    return render_template("asset.html", asset=a, turtle=catalog.turtle(st, a.iri), agreement=status,
                           findings=findings.for_asset(st, a.iri), lineage=lineage,
                           has_ownership=a.kind in OWNERSHIP_KINDS,
                           has_fields=any(p.iri.endswith("#fieldOf") for p in a.incoming))


@bp.get("/asset.ttl")
def asset_turtle():
    st = store()
    a = catalog.get_asset(st, iri_arg())
    return Response(catalog.turtle(st, a.iri), mimetype="text/turtle")
