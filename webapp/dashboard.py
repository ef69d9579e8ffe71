"""The dashboard: what the store holds, the principles scorecard, the worst findings,
agreements needing attention and recently changed sources."""
from __future__ import annotations

from flask import Blueprint, render_template

from govgraph import access, search
from govgraph.agreement_statuses import agreement_statuses
from govgraph.webapp import findings
from govgraph.webapp.context import read_store

bp = Blueprint("dashboard", __name__)

#: The order of the "what the directory holds" tiles: data first, then who and how.
TILE_ORDER = ["dataset", "report", "return", "discovered", "system", "database", "flow", "agreement", "partner", "person",
              "team", "standard", "term", "field", "purpose", "dpia", "ethics", "community", "council"]


@bp.get("/")
def home():
    st = read_store()
    agreements = [a for a in agreement_statuses(st) if a.needs_attention]
    changes = list(reversed(access.origin(st).history()))[:8]  # source-level records only
    counts = search.asset_counts(st)
    ordered = {k: counts[k] for k in sorted(counts, key=lambda k: (TILE_ORDER.index(k) if k in TILE_ORDER else 99, k))}
    return render_template("dashboard.html", counts=ordered, agreements=agreements,
                           changes=changes, scorecard=findings.scorecard(st),
                           worst=findings.worst(st, limit=8), known_gaps=findings.known_gaps(st))
