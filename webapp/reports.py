"""Reports in the viewer: each governance report as a page, and as a CSV or XLSX download."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for

from govgraph.errors import BadInput
from govgraph.reports import REPORTS, build_report, check_name
from govgraph.reports.render import MEDIA_TYPES, render, template_helpers
from govgraph.webapp.context import read_store as store
from govgraph.webapp.filters import asset_url

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_context_processor
def _helpers() -> dict:
    return template_helpers()


@bp.get("/")
def index():
    """The list of reports."""
    return render_template("reports/index.html", reports=[(n, d) for n, (_, d) in REPORTS.items()])


@bp.get("/<name>")
def report(name: str):
    """One report as a page (``?date=YYYY-MM-DD`` for another report date)."""
    _known(name)
    date = request.args.get("date") or None
    rep = build_report(store(), name, date)
    return render_template("reports/page.html", report=rep, link_url=asset_url,
                           download_url=lambda fmt: url_for("reports.download", name=name, fmt=fmt, date=date))


def _known(name: str) -> None:
    """A 404 naming the reports there are, for a name that is not one of them."""
    try:
        check_name(name)
    except BadInput as e:
        _no_such(str(e))


def _no_such(message: str) -> None:
    abort(Response(render_template("error.html", title="No such report", message=message), status=404,
                   content_type="text/html; charset=utf-8"))


@bp.get("/<name>.<fmt>")
def download(name: str, fmt: str):
    """One report as a CSV or XLSX file."""
    _known(name)
    if fmt not in ("csv", "xlsx"):
        _no_such(f"unknown report format {fmt!r}: download csv or xlsx, or open /reports/{name} for the page")
    rep = build_report(store(), name, request.args.get("date") or None)
    filename = f"{name}-{rep.as_of.isoformat()}.{fmt}"
    return Response(render(rep, fmt), mimetype=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
