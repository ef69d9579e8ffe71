"""``create_app``: the Flask application factory.

Pages are blueprints, one module per page family; they call catalog / lineage /
shapes functions and hold no domain logic. Templates autoescape every value.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template, request

from govgraph import __version__, access, catalog, search
from govgraph.errors import (BadInput, Busy, GovGraphError, InstallationFault, NotRecordedThen, Preparing,
                             StoreUnavailable, UnknownAsset)
from govgraph.labels import labels
from govgraph.store import Store, open_store
from govgraph.webapp import api, base_url, filters, findings, live_reads, openlineage, security
from govgraph.webapp.assets import bp as assets_bp
from govgraph.webapp.context import read_store
from govgraph.webapp.dashboard import bp as dashboard_bp
from govgraph.webapp.graphs import bp as graphs_bp
from govgraph.webapp.impact import bp as impact_bp
from govgraph.webapp.integrations import bp as integrations_bp
from govgraph.webapp.registers import bp as registers_bp
from govgraph.webapp.reports import bp as reports_bp
from govgraph.webapp.search import bp as search_bp
from govgraph.webapp.sharing import bp as sharing_bp
from govgraph.webapp.sparql import bp as sparql_bp
from govgraph.webapp.systems import bp as systems_bp
from govgraph.webapp.validation import bp as validation_bp

log = logging.getLogger(__name__)

#: The main navigation: (endpoint, text).
NAV_ITEMS = [
    ("dashboard.home", "Dashboard"),
    ("search.search", "Search"),
    ("systems.systems", "Systems map"),
    ("integrations.integrations", "Integrations"),
    ("sharing.sharing", "Sharing"),
    ("validation.validation", "Validation"),
    ("registers.agreements", "Agreements"),
    ("registers.standards", "Standards"),
    ("registers.glossary", "Glossary"),
    ("reports.index", "Reports"),
    ("sparql.endpoint", "SPARQL"),
]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config["STORE"]`` is an open Store, or ``STORE_URL`` names one; ``BASE_URL`` is the
    address clients use (absolute URLs are built from it, not from the Host header)."""
    app = Flask(__name__)
    app.config.update(config or {})
    store: Store = app.config["STORE"] if app.config.get("STORE") is not None else open_store(app.config.get("STORE_URL"))
    app.extensions["govgraph.store"] = store
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    filters.register(app)
    security.register(app)  # secure headers, MAX_CONTENT_LENGTH, CSRF, optional read protection
    base_url.install(app)  # absolute URLs from config BASE_URL, never from the Host header
    live_reads.install(app, store)  # LIVE_FOLLOW: derived views follow commits; reads do not wait for them
    if app.config.get("HIDE_SENSITIVE") and app.config.get("LIVE_FOLLOW") and not app.config.get("READ_TOKEN_REQUIRED"):
        access.prepare(store, access.ANONYMOUS)  # a large estate's anonymous copy, under way before the first page

    for bp in (dashboard_bp, search_bp, assets_bp, graphs_bp, integrations_bp, validation_bp, registers_bp, sparql_bp,
               reports_bp, impact_bp, sharing_bp, systems_bp):
        app.register_blueprint(bp)
    # the machine interfaces: JSON API, write API, SPARQL Update, DCAT, OpenLineage
    for bp in (api.bp, api.update_bp, api.dcat_bp, openlineage.bp):
        app.register_blueprint(bp)

    @app.context_processor
    def _globals() -> dict:
        try:
            revision, pending = store.revision, findings.pending(store)
        except StoreUnavailable:  # still render the error page while the store is away
            revision, pending = None, False
        return {"version": __version__, "nav_items": NAV_ITEMS, "store_revision": revision,
                "validation_pending": pending}

    @app.errorhandler(UnknownAsset)
    def _unknown(e: UnknownAsset):
        return not_found(e.iri, e.suggestions)

    @app.errorhandler(NotRecordedThen)
    def _not_then(e: NotRecordedThen):
        return render_template("error.html", title="Not recorded on that date", message=str(e)), 404

    @app.errorhandler(404)
    def _404(e):
        return not_found(request.args.get("iri") or request.path, [])

    @app.errorhandler(BadInput)
    def _bad(e: BadInput):
        return render_template("error.html", title="That request could not be understood", message=str(e)), 400

    @app.errorhandler(StoreUnavailable)
    def _unavailable(e: StoreUnavailable):
        return render_template("error.html", title="The data store is not answering",
                               message=f"{e} Try again in a moment."), 503, {"Retry-After": "5"}

    @app.errorhandler(InstallationFault)
    def _fault(e: InstallationFault):
        log.error("installation fault on %s: %s", request.path, e)
        return render_template("error.html", title="Sorry, there is a problem with the service", message=str(e)), 500

    @app.errorhandler(Busy)
    def _busy(e: Busy):
        preparing = isinstance(e, Preparing)  # the page asks again by itself when it should be ready
        return render_template("error.html", title=e.title if preparing else "The server is busy", message=str(e),
                               refresh=e.retry_after if preparing else None), 503, {"Retry-After": str(e.retry_after)}

    @app.errorhandler(GovGraphError)
    def _gg(e: GovGraphError):
        headers = {"Retry-After": str(e.retry_after)} if e.retry_after is not None else {}
        return render_template("error.html", title="Something went wrong", message=str(e)), e.status, headers

    @app.errorhandler(500)
    def _500(e):
        log.exception("server error on %s", request.path)
        return render_template("error.html", title="Sorry, there is a problem with the service",
                               message="The error has been logged. Try again, or search the directory."), 500

    def not_found(iri: str, suggestions: list[str]):
        """The 404 page: what was asked for, close matches, and a search box."""
        try:
            st = read_store()  # suggestions come from what this reader may see
        except GovGraphError:
            st, suggestions = store, []
        if st is not store:
            suggestions = [s for s in suggestions if catalog.exists(st, s)]
        if not suggestions and iri:
            try:
                suggestions = search.suggest(st, iri)
            except GovGraphError:
                suggestions = []
        refs = labels(st, suggestions) if suggestions else {}
        return render_template("not_found.html", iri=iri, suggestions=[refs[s] for s in suggestions if s in refs],
                               query=_search_words(iri)), 404

    return app


def _search_words(iri: str) -> str:
    """A search query from an IRI's last segment (for the 404 page's search box)."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail.replace("-", " ").replace("_", " ")[:100]
