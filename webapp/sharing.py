"""Personal data leaving the council: every boundary crossing with its legal footing, gaps first."""
from __future__ import annotations

import io

from flask import Blueprint, Response, render_template, request

from govgraph.io.cells import CellWriter
from govgraph.lineage.sharing import sharing as sharing_of
from govgraph.webapp.context import int_arg, read_store

bp = Blueprint("sharing", __name__)


def _result():
    res = sharing_of(read_store(), check_date=request.args.get("date") or None)
    if request.args.get("gaps"):
        res = res.only_gaps()
    return res


#: Crossings listed per page (gaps come first, so the first page holds them; the CSV has every one).
PER_PAGE = 100


@bp.get("/sharing")
def sharing():
    res = _result()
    pages = max(1, -(-len(res.crossings) // PER_PAGE))
    page = int_arg("page", 1, 1, pages)
    return render_template("sharing.html", res=res, gaps_only=bool(request.args.get("gaps")),
                           date=request.args.get("date") or "", page=page, pages=pages,
                           shown=res.crossings[(page - 1) * PER_PAGE:page * PER_PAGE])


@bp.get("/sharing.csv")
def sharing_csv():
    res = _result()
    out = io.StringIO()
    CellWriter(out).writerows(res.table())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="sharing-{res.check_date}.csv"'})
