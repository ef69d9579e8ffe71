"""The impact page: what breaks if a system or dataset is retired or changed, and its CSV."""
from __future__ import annotations

import io

from flask import Blueprint, Response, render_template

from govgraph import lineage
from govgraph.io.cells import CellWriter
from govgraph.webapp.context import iri_arg, read_store
from govgraph.webapp.filters import kind_label

bp = Blueprint("impact", __name__)

#: Items listed per group on the page (the CSV has them all).
SHOWN = 50


@bp.get("/impact")
def impact():
    res = lineage.impact(read_store(), iri_arg())  # unknown IRI -> 404 with suggestions
    # the heading needs only the name and kind (the full asset read model of a warehouse lists thousands of datasets)
    asset = {"iri": res.root, "label": res.root_label, "kind_label": kind_label(res.root_kind)}
    return render_template("impact.html", asset=asset, res=res, shown=SHOWN)


@bp.get("/impact.csv")
def impact_csv():
    res = lineage.impact(read_store(), iri_arg())
    out = io.StringIO()
    CellWriter(out).writerows(res.table())
    slug = "".join(c if c.isalnum() else "-" for c in res.root_label.lower()).strip("-")[:60] or "asset"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="impact-{slug}.csv"'})
