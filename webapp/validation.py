"""The validation report: findings grouped by principle and severity, each linked to its asset."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from govgraph.shapes.model import PRINCIPLE_NAMES, SEVERITIES
from govgraph.webapp import findings
from govgraph.webapp.context import int_arg, read_store as store

bp = Blueprint("validation", __name__)


@bp.get("/validation")
def validation():
    st = store()
    principle = int_arg("principle", 0, 0, 12) or None
    severity = request.args.get("severity") if request.args.get("severity") in SEVERITIES else None
    rep = findings.report(st)
    return render_template("validation.html", report=rep, groups=findings.grouped(st, principle=principle, severity=severity),
                           scorecard=findings.scorecard(st), principle=principle, severity=severity,
                           known_gaps=findings.known_gaps(st),
                           principles=PRINCIPLE_NAMES, severities=SEVERITIES)
