"""The dashboard: what the store holds, the principles scorecard, the worst findings,
agreements needing attention and recently changed sources."""
from __future__ import annotations

from flask import Blueprint, render_template

from govgraph import catalog
from govgraph.webapp import findings
from govgraph.webapp.context import store

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():
    st = store()
    agreements = [a for a in catalog.agreement_statuses(st) if a.needs_attention]
    changes = list(reversed(st.history()))[:8]
    return render_template("dashboard.html", counts=catalog.counts_by_kind(st), agreements=agreements,
                           changes=changes, scorecard=findings.scorecard(st),
                           worst=findings.worst(st, limit=8))
