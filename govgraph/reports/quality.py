"""Data quality of key datasets: each quality dimension against its target, and the trend.

Targets are ``gov:QualityTarget`` (dataset, metric, target value); measurements are
``dqv:QualityMeasurement`` with a value and a time. Only measurements made on or before
the report date count, so a past date shows the quality as it was then known.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import URIRef

from govgraph.labels import ontology
from govgraph.ontology.ns import DQV
from govgraph.reports.common import date_of, few, label_links, sorted_links, split, term_text
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.store import Store

#: A measurement older than this many days before the report date is stale (principle 6).
RECENT_DAYS = 90

COLUMNS = ["Dataset", "Owner", "Dimension", "Metric", "Target", "Latest value", "Measured on", "Status",
           "Trend", "Measurements"]
DIMENSION_COLUMNS = ["Dimension", "Measures", "Meeting target", "Below target", "Not measured", "No target"]

_TARGETS = """SELECT ?ds ?metric (MAX(?tv) AS ?target) (GROUP_CONCAT(DISTINCT COALESCE(STR(?o), ""); separator=" ") AS ?owners)
WHERE { ?ds gov:keyDataset true .
  OPTIONAL { ?t gov:targetFor ?ds ; gov:metric ?metric ; gov:targetValue ?tv } OPTIONAL { ?ds gov:owner ?o }
} GROUP BY ?ds ?metric"""

_MEASUREMENTS = """SELECT ?ds ?metric ?value ?at WHERE { ?ds gov:keyDataset true .
  ?m dqv:computedOn ?ds ; dqv:isMeasurementOf ?metric ; dqv:value ?value . OPTIONAL { ?m prov:generatedAtTime ?at }
}"""


@dataclass
class Measure:
    """One dataset's one metric: its target and its measurements (date, value), oldest first."""
    dataset: str
    metric: str
    target: float | None = None
    history: list[tuple[dt.date | None, float]] = field(default_factory=list)

    @property
    def latest(self) -> tuple[dt.date | None, float] | None:
        return self.history[-1] if self.history else None

    def status(self, on: dt.date) -> str:
        """meets target | below target | not measured | no target, plus a note when stale."""
        if self.latest is None:
            return "not measured"
        if self.target is None:
            return "no target"
        when, value = self.latest
        text = "meets target" if value >= self.target else "below target"
        if when is not None and (on - when).days > RECENT_DAYS:
            text += f"; last measured over {RECENT_DAYS} days ago"
        return text


def read(store: Store, on: dt.date) -> tuple[dict[tuple[str, str], Measure], dict[str, list[str]], set[str]]:
    """Measures of key datasets known on ``on``, owners per dataset, and key datasets with no target."""
    measures: dict[tuple[str, str], Measure] = {}
    owners: dict[str, list[str]] = {}
    untargeted: set[str] = set()
    for r in store.select(_TARGETS):
        ds = str(r["ds"])
        owners[ds] = split(r.get("owners"))
        if "metric" not in r:
            untargeted.add(ds)
            continue
        measures[(ds, str(r["metric"]))] = Measure(ds, str(r["metric"]),
                                                   float(r["target"]) if "target" in r else None)
    for r in store.select(_MEASUREMENTS):
        when = date_of(r.get("at"))
        if when is not None and when > on:
            continue
        ds, metric = str(r["ds"]), str(r["metric"])
        m = measures.setdefault((ds, metric), Measure(ds, metric))
        try:
            m.history.append((when, float(r["value"])))
        except ValueError:
            continue
    for m in measures.values():
        m.history.sort(key=lambda h: h[0] or dt.date.min)
    return measures, owners, untargeted - {ds for ds, _ in measures}


def build(store: Store, on: dt.date) -> Report:
    """The data quality report for key datasets on date ``on``."""
    measures, owners, untargeted = read(store, on)
    found = label_links(store, set(owners) | {o for os_ in owners.values() for o in os_})
    rows: list[list[Cell]] = []
    for m in measures.values():
        rows.append(_row(m, on, found, owners))
    for ds in untargeted:
        rows.append([found[ds], sorted_links(found, owners.get(ds, [])) or Gap(),
                     Gap("— no quality target recorded —"), "", Gap(), Gap("— not measured —"), "", "no target", "", ""])
    rows.sort(key=lambda r: (str(r[0]).lower(), str(r[2]).lower()))
    dims = _by_dimension(measures.values(), on)
    below = sum(1 for m in measures.values() if m.status(on).startswith("below"))
    summary = [("Key datasets", f"{len(owners):,}"), ("Measures (dataset × metric)", f"{len(measures):,}"),
               ("Below target", f"{below:,}"), ("Key datasets with no quality target", f"{len(untargeted):,}")]
    notes = [f"Measurements made after {on.isoformat()} are left out. A measurement older than {RECENT_DAYS} "
             "days is flagged (principle 6 asks for a recent measurement).",
             "Trend compares the latest measurement with the one before it."]
    tables = [Table("Key datasets against targets", COLUMNS, rows),
              Table("By dimension", DIMENSION_COLUMNS, dims,
                    ["UK Government Data Quality Framework dimensions; counts are dataset × metric measures."])]
    return Report("quality", "Data quality of key datasets", dt.date.today(), on, tables, notes, summary)


def dimension_of(metric: str) -> str:
    """The quality dimension a metric measures (from the ontology), as words."""
    dim = ontology().value(URIRef(metric), DQV.inDimension)
    return term_text(str(dim)).capitalize() if dim is not None else term_text(metric)


def _row(m: Measure, on: dt.date, found: dict[str, Link], owners: dict[str, list[str]]) -> list[Cell]:
    latest = m.latest
    status = m.status(on)
    return [found[m.dataset], sorted_links(found, owners.get(m.dataset, [])) or Gap(), dimension_of(m.metric),
            term_text(m.metric), m.target if m.target is not None else Gap("— no target —"),
            latest[1] if latest else Gap("— not measured —"),
            latest[0].isoformat() if latest and latest[0] else ("" if not latest else Gap()),
            status, _trend(m), few([f"{d.isoformat() if d else '?'}: {v:.3f}" for d, v in m.history[::-1]], 6,
                                   "earlier")]


def _trend(m: Measure) -> str:
    if len(m.history) < 2:
        return "first measurement" if m.history else ""
    prev, last = m.history[-2][1], m.history[-1][1]
    diff = last - prev
    if abs(diff) < 1e-9:
        return "→ no change"
    return f"{'▲' if diff > 0 else '▼'} {diff:+.3f}"


def _by_dimension(measures, on: dt.date) -> list[list[Cell]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in measures:
        c = counts[dimension_of(m.metric)]
        c["all"] += 1
        s = m.status(on)
        c["meets" if s.startswith("meets") else "below" if s.startswith("below")
          else "unmeasured" if s == "not measured" else "untargeted"] += 1
    return [[d, c["all"], c["meets"], c["below"], c["unmeasured"], c["untargeted"]] for d, c in sorted(counts.items())]
