"""Personal data leaving the council: every boundary crossing with its legal footing, gaps first."""
from __future__ import annotations

import io

from flask import Blueprint, Response, render_template, request

from govgraph.io.cells import CellWriter
from govgraph.lineage.sharing import sharing as sharing_of
from govgraph.webapp.context import read_store

bp = Blueprint("sharing", __name__)


def _result():
    res = sharing_of(read_store(), check_date=request.args.get("date") or None)
    if request.args.get("gaps"):
        res.crossings = res.gaps()
    return res


@bp.get("/sharing")
def sharing():
    res = _result()
    return render_template("sharing.html", res=res, gaps_only=bool(request.args.get("gaps")),
                           date=request.args.get("date") or "")


@bp.get("/sharing.csv")
def sharing_csv():
    res = _result()
    out = io.StringIO()
    CellWriter(out).writerows(res.table())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="sharing-{res.check_date}.csv"'})
