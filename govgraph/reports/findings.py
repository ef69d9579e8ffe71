"""Open validation findings per asset, from the kept validation report for a date (or a fresh run).

Reports read the newest report kept by ``govgraph validate --save`` on or before the
report date; when none is kept they validate the estate for that date without saving.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyoxigraph as ox

from govgraph.shapes.history import report_dates, report_graph_iri
from govgraph.shapes.validate import validate_store
from govgraph.store import Store

_SH = "http://www.w3.org/ns/shacl#"


@dataclass
class OpenFindings:
    """Violation and warning counts per focus node, and where they came from."""
    violations: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)
    source: str = ""

    def of(self, iris) -> tuple[int, int]:
        """(violations, warnings) summed over some focus nodes."""
        return sum(self.violations[i] for i in iris), sum(self.warnings[i] for i in iris)


def kept_dates(store: Store, on: dt.date) -> list[dt.date]:
    """Check dates of kept validation reports on or before ``on``, oldest first."""
    return [d for d in report_dates(store) if d <= on]


def open_findings(store: Store, on: dt.date) -> OpenFindings:
    """Violations and warnings per focus node as of ``on`` (kept report, else a fresh unsaved run)."""
    out = OpenFindings()
    dates = kept_dates(store, on)
    if dates:
        graph = ox.NamedNode(report_graph_iri(dates[-1]))
        q = f"""SELECT ?focus ?sev (COUNT(*) AS ?n) WHERE {{ ?r <{_SH}focusNode> ?focus ; <{_SH}resultSeverity> ?sev }}
                GROUP BY ?focus ?sev"""
        for r in store.query(q, graphs=[graph], prefixes=False):
            sev = r["sev"].value.rsplit("#", 1)[-1]
            target = out.violations if sev == "Violation" else out.warnings if sev == "Warning" else None
            if target is not None:
                target[r["focus"].value] += int(r["n"].value)
        out.source = f"validation report kept for {dates[-1].isoformat()}"
        return out
    report = validate_store(store, check_date=on)
    for f in report.findings:
        if f.severity == "Violation":
            out.violations[f.focus] += 1
        elif f.severity == "Warning":
            out.warnings[f.focus] += 1
    out.source = f"validation run for {on.isoformat()} (no kept report on or before that date)"
    return out
