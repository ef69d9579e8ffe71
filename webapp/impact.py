"""The impact page: what breaks if a system or dataset is retired or changed, and its CSV."""
from __future__ import annotations

import io

from flask import Blueprint, Response, render_template

from govgraph import catalog, lineage
from govgraph.io.cells import CellWriter
from govgraph.webapp.context import iri_arg, read_store

bp = Blueprint("impact", __name__)

#: Items listed per group on the page (the CSV has them all).
SHOWN = 200


@bp.get("/impact")
def impact():
    st = read_store()
    a = catalog.get_asset(st, iri_arg())  # unknown IRI -> 404 with suggestions
    res = lineage.impact(st, a.iri)
    return render_template("impact.html", asset=a, res=res, shown=SHOWN)


@bp.get("/impact.csv")
def impact_csv():
    st = read_store()
    a = catalog.get_asset(st, iri_arg())
    out = io.StringIO()
    CellWriter(out).writerows(lineage.impact(st, a.iri).table())
    slug = "".join(c if c.isalnum() else "-" for c in a.label.lower()).strip("-")[:60] or "asset"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="impact-{slug}.csv"'})
