"""Registers: the glossary, the standards and the sharing agreements."""
from __future__ import annotations

from flask import Blueprint, render_template

from govgraph import catalog
from govgraph.agreement_statuses import agreement_statuses
from govgraph.webapp.context import read_store as store

bp = Blueprint("registers", __name__)


@bp.get("/glossary")
def glossary():
    total, terms = catalog.list_assets(store(), kind="term", limit=5000)
    return render_template("register.html", title="Glossary", items=terms, total=total,
                           intro="The council's shared definitions. Datasets link to these terms so "
                                 "everyone means the same thing by the same words.")


@bp.get("/standards")
def standards():
    total, items = catalog.list_assets(store(), kind="standard", limit=5000)
    return render_template("register.html", title="Data standards", items=items, total=total,
                           intro="Standards the council's data follows: identifiers such as UPRN and NHS number, "
                                 "date formats and open data standards. Open one to see which datasets use it.")


@bp.get("/agreements")
def agreements():
    return render_template("agreements.html", rows=agreement_statuses(store()))
