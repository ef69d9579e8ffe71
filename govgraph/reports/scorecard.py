"""The principles scorecard: conformance per principle now and at each kept validation date.

"Now" is a validation of the live estate for the report date (not saved); earlier
columns come from the scorecards kept by ``govgraph validate --save`` (one per check
date, ``govgraph.shapes.history``). The quarterly view takes the last validation of each
quarter, which is what the Data Working Group compares.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from govgraph.dates import check_date
from govgraph.reports.model import Cell, Chart, Percent, Report, Series, Table
from govgraph.shapes.asset_scores import asset_scores
from govgraph.shapes.baseline import summaries
from govgraph.shapes.history import scorecard_history
from govgraph.shapes.model import PRINCIPLE_NAMES
from govgraph.shapes.validate import parse_date, validate_store
from govgraph.store import Store

NOW = "Now"


def quarter(d: dt.date) -> str:
    """'2026 Q2' for a date in April-June 2026."""
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def read(store: Store, on: dt.date) -> tuple[dict[str, dict[int, tuple[float, int, int]]], list[str]]:
    """Scores by column (ISO date of each kept report before ``on``, then 'Now') -> principle -> (share, checked, conforming)."""
    columns: dict[str, dict[int, tuple[float, int, int]]] = defaultdict(dict)
    for e in scorecard_history(store):
        if e.check_date < on:
            columns[e.check_date.isoformat()][e.principle] = (e.share, e.focus_nodes, e.conforming)
    live = validate_store(store, check_date=on)
    for p, s in live.scorecard.items():
        columns[NOW][p] = (s.share, s.focus_nodes, s.conforming)
    order = sorted(c for c in columns if c != NOW) + [NOW]
    return dict(columns), order


def build(store: Store, on: dt.date) -> Report:
    """The scorecard report for date ``on``, with history, quarterly view and a chart."""
    columns, order = read(store, on)
    dates = {c: (on if c == NOW else check_date(c)) for c in order}
    principles = sorted({p for c in columns.values() for p in c if p})
    earlier = [c for c in order if c != NOW]

    # assets meeting each principle: counted from the store's kept validation, which is for today
    assets = (asset_scores(store) or {}) if on == parse_date(None) else {}
    main: list[list[Cell]] = []
    for p in principles:
        share, checked, ok = columns[NOW].get(p, (None, 0, 0))
        prev_col = next((c for c in reversed(earlier) if p in columns[c]), None)
        prev = columns[prev_col][p][0] if prev_col else None
        a = assets.get(p)
        main.append([p, PRINCIPLE_NAMES.get(p, ""), Percent(a.share) if a else "—", a.assets if a else "—",
                     a.meeting if a else "—", Percent(share) if share is not None else "not checked",
                     checked, ok, Percent(prev) if prev is not None else "—", prev_col or "—", _trend(share, prev)])

    history = [[p, PRINCIPLE_NAMES.get(p, "")] + [_pct(columns[c].get(p)) for c in order] for p in principles]
    quarters: dict[str, str] = {}
    for c in order:  # later columns overwrite earlier ones in the same quarter
        quarters[quarter(dates[c])] = c
    q_names = list(quarters)
    quarterly = [[p, PRINCIPLE_NAMES.get(p, "")] + [_pct(columns[quarters[q]].get(p)) for q in q_names]
                 for p in principles]

    labels = tuple(f"{dates[c].isoformat()}" + (" (now)" if c == NOW else "") for c in order)
    chart = Chart("Conformance per principle", labels, tuple(
        Series(f"{p}. {PRINCIPLE_NAMES.get(p, '')}", tuple((labels[i], columns[c][p][0])
                                                           for i, c in enumerate(order) if p in columns[c]))
        for p in principles))
    overall = _overall(columns[NOW])
    summary = [("Validations kept before this date", str(len(earlier))),
               ("Overall conformance now", str(Percent(overall)) if overall is not None else "—"),
               ("Principles improving", str(sum(1 for r in main if str(r[-1]).startswith("▲")))),
               ("Principles worse", str(sum(1 for r in main if str(r[-1]).startswith("▼"))))]
    notes = ["Assets meeting it: the share of the datasets, reports, returns and systems a principle checks with no "
             "violation or warning of it, on themselves or their fields (counted for today's date only).",
             "Conformance: the share of the items a principle's shapes check that have no violation or warning.",
             f"'Now' validates the estate as it stands for {on.isoformat()} (not saved); earlier columns are the "
             "scorecards kept by `govgraph validate --save` on those dates.",
             "Quarterly view: the last validation in each quarter."]
    if not earlier:
        notes.append("No earlier validation is kept yet, so there is no trend: run `govgraph validate --save` "
                     "each quarter to build the history.")
    tables = [
        Table("Principles", ["Principle", "Name", "Assets meeting it", "Assets checked", "Assets meeting",
                             "Conformance now", "Items checked", "Conforming",
                             "Previous", "Previous date", "Trend"], main),
        Table("By validation date", ["Principle", "Name"] + [labels[i] for i in range(len(order))], history),
        Table("Quarterly view", ["Principle", "Name"] + q_names, quarterly),
    ]
    gaps = summaries(store)
    if gaps:
        summary.append(("Known gaps (as-is loads)", str(sum(g.count for g in gaps))))
        tables.append(Table("Known gaps per source", ["Source", "Known gaps", "By principle", "Trend"], [
            [g.source, g.count, ", ".join(f"{p}: {n}" for p, n in g.per_principle.items()) or "none left",
             " → ".join(str(t.gaps) for t in g.trend[-8:])] for g in gaps],
            ["Violations a source was loaded with as it is (`govgraph load --as-is`): tolerated until fixed, "
             "while a write adding a new one is refused. Trend: the count after each change to the baseline."]))
    return Report("scorecard", "Data principles scorecard", dt.date.today(), on, tables, notes, summary, chart)


def _pct(score: tuple[float, int, int] | None) -> Cell:
    return Percent(score[0]) if score is not None else "—"


def _trend(now: float | None, prev: float | None) -> str:
    if now is None or prev is None:
        return "first validation" if now is not None else "—"
    diff = (now - prev) * 100
    if abs(diff) < 0.05:
        return "→ no change"
    return f"{'▲' if diff > 0 else '▼'} {diff:+.1f} points"


def _overall(scores: dict[int, tuple[float, int, int]]) -> float | None:
    checked = sum(s[1] for s in scores.values())
    return sum(s[2] for s in scores.values()) / checked if checked else None
