"""Governance reports generated from the graph: ROPA, IAR, scorecard, agreements, ownership, quality.

Each report module has ``build(store, on) -> Report``; ``render`` writes a Report as
CSV, XLSX or HTML. The CLI (``govgraph report``) and the viewer (``/reports``) both call
``build_report`` here.
"""
from __future__ import annotations

import datetime as dt
import importlib

from govgraph.errors import BadInput
from govgraph.reports.common import parse_date
from govgraph.reports.model import Report
from govgraph.store import Store

#: name -> (module, one-line description), in the order the viewer lists them.
REPORTS: dict[str, tuple[str, str]] = {
    "ropa": ("govgraph.reports.ropa", "Record of processing activities (UK GDPR Article 30), per purpose"),
    "iar": ("govgraph.reports.iar", "Information Asset Register in the council column layout"),
    "scorecard": ("govgraph.reports.scorecard", "Data principles scorecard: now, earlier validations, quarters"),
    "agreements": ("govgraph.reports.agreements", "Sharing agreements: in force, review due, expired with flows"),
    "ownership": ("govgraph.reports.ownership", "Ownership per owner and service area, and assets without one"),
    "quality": ("govgraph.reports.quality", "Data quality of key datasets against targets, with the trend"),
}


def check_name(name: str) -> str:
    """The report name, or BadInput listing the names there are."""
    if name not in REPORTS:
        raise BadInput(f"unknown report {name!r}: use one of {', '.join(REPORTS)}")
    return name


def build_report(store: Store, name: str, on: dt.date | str | None = None) -> Report:
    """Build the report called ``name`` for date ``on`` (a date, YYYY-MM-DD text, or None for today)."""
    module = importlib.import_module(REPORTS[check_name(name)][0])
    return module.build(store, parse_date(on))


__all__ = ["REPORTS", "Report", "build_report", "check_name", "parse_date"]
