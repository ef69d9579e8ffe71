"""Search: free text over labels, descriptions and glossary terms, with facets and pages."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from govgraph import search as search_index
from govgraph.webapp.context import int_arg, read_store

bp = Blueprint("search", __name__)
PER_PAGE = 20


@bp.get("/search")
def search():
    q = request.args.get("q", "").strip()[:200]
    filters = {name: request.args.get(name, "").strip() for name in search_index.SEARCH_FACETS}
    page_no = int_arg("page", 1, 1, 100000)
    result = search_index.faceted_search(read_store(), q, filters=filters, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE)
    pages = max(1, -(-result.total // PER_PAGE))
    return render_template("search.html", q=q, result=result, page_no=page_no, pages=pages,
                           facet_names=search_index.SEARCH_FACETS)
