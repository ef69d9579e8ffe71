"""Jinja filters and globals for presentation only: links to assets, percentages, dates, tags."""
from __future__ import annotations


import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request, url_for

from govgraph import dates
from govgraph.labels import KIND_LABELS, term_label


def asset_url(iri: str | None, now: bool = False) -> str:
    """The page of an asset; on a page "as of" a date, the asset as of that date too (``now``: today's)."""
    if not iri:
        return "#"
    asof = None if now or not has_request_context() else g.get("asof_text")
    return url_for("assets.asset", iri=iri, asof=asof) if asof else url_for("assets.asset", iri=iri)


def pct(v: float | None, digits: int = 0, down: bool = False) -> str:
    """0.934 -> '93%' (or an en dash when unknown); ``down``: rounded down, so a share short of 1 never reads 100%."""
    if v is None:
        return "–"
    if down:
        v = math.floor(v * 10 ** (digits + 2)) / 10 ** (digits + 2)
    return f"{v * 100:.{digits}f}%"


def nice_date(v: Any) -> str:
    """An ISO date or datetime as '1 April 2026' (or the input when not a date)."""
    if v is None or v == "":
        return "–"
    if isinstance(v, dt.datetime):
        return f"{v.day} {v:%B %Y, %H:%M}"
    if isinstance(v, dt.date):
        return f"{v.day} {v:%B %Y}"
    s = str(v)
    if len(s) > 10:
        d = dates.instant(s)
        return f"{d.day} {d:%B %Y, %H:%M}" if d else s
    d2 = dates.day_of(s)
    return f"{d2.day} {d2:%B %Y}" if d2 else s


def term(iri: str | None) -> str:
    """A vocabulary term's plain label (mechanisms, frequencies, classifications ...)."""
    if not iri:
        return "–"
    lab = term_label(iri)[0]
    if lab.isupper() and "/frequency/" in iri:  # EU frequency codes: DAILY -> daily
        return lab.replace("_", " ").lower()
    return lab


def kind_label(kind: str) -> str:
    """'return' -> 'Statutory return'."""
    return KIND_LABELS.get(kind, kind.replace("-", " ").capitalize())


_PLURALS = {"Person": "People", "Community of practice": "Communities of practice",
            "Team / service area": "Teams and service areas", "Glossary": "Glossaries", "Council": "Councils"}


def plural(kind: str, n: int = 2) -> str:
    """The kind's label, plural unless n == 1: 'person' -> 'People'."""
    lab = kind_label(kind)
    if n == 1:
        return lab
    return _PLURALS.get(lab) or (lab if lab.endswith("s") else lab + "s")


def value_text(v) -> str:
    """How a property value reads: vocabulary codes such as frequencies in plain words."""
    if v.ref is not None and v.ref.kind == "thing" and "/frequency/" in v.ref.iri:
        return term(v.ref.iri)
    return v.text


def modify_query(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=True)
    for k, v in changes.items():
        if v is None or v == "":
            args.pop(k, None)
        else:
            args[k] = v
    return request.path + ("?" + urlencode(args) if args else "")


def register(app: Flask) -> None:
    """Install the filters and globals on an app."""
    app.jinja_env.filters.update(asset_url=asset_url, pct=pct, nice_date=nice_date, term=term,
                                 kind_label=kind_label, plural=plural, value_text=value_text)
    app.jinja_env.globals.update(asset_url=asset_url, modify_query=modify_query)
