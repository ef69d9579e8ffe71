"""``create_app``: the Flask application factory. Pages call catalog/lineage/shapes; no domain logic here."""
from __future__ import annotations

from typing import Any

from flask import Flask, abort, render_template, request

from govgraph import __version__, catalog
from govgraph.errors import UnknownAsset
from govgraph.store import Store, open_store


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config["STORE"]`` is an open Store, or ``STORE_URL`` names one."""
    app = Flask(__name__)
    app.config.update(config or {})
    store: Store = app.config.get("STORE") or open_store(app.config.get("STORE_URL"))
    app.extensions["govgraph.store"] = store

    @app.context_processor
    def _globals() -> dict:
        return {"version": __version__}

    @app.get("/")
    def home():
        return render_template("home.html", counts=catalog.counts_by_kind(store), sources=store.sources())

    @app.get("/asset")
    def asset():
        iri = request.args.get("iri", "")
        try:
            a = catalog.get_asset(store, iri)
        except UnknownAsset as e:
            return render_template("not_found.html", iri=iri, suggestions=catalog.labels(store, e.suggestions)), 404
        return render_template("asset.html", asset=a, turtle=catalog.turtle(store, a.iri))

    return app
