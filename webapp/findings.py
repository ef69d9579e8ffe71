"""Validation results for the pages: the kept report of the store, from the shapes package.

The report is kept on the store (``shapes.kept``): validated once, then each commit's change
is applied to it (its scope validated and merged) instead of validating the estate again; the scorecard trend adds the scorecards saved per
check date (``govgraph validate --save``, ``shapes.history``).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from govgraph import access, live
from govgraph.errors import StoreUnavailable
from govgraph.labels import labels, Ref, term_label
from govgraph.shapes import asset_scores, baseline, history, kept
from govgraph.shapes.model import PRINCIPLE_NAMES, SEVERITIES, Finding, ValidationReport
from govgraph.store import Store

log = logging.getLogger(__name__)
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

_lock = threading.Lock()


@dataclass
class FindingRow:
    """A finding with its focus asset's label and kind and the property in plain language."""
    finding: Finding
    focus: Ref
    path_label: str

    @property
    def severity(self) -> str:
        return self.finding.severity

    @property
    def principle(self) -> int:
        return self.finding.principle

    @property
    def principle_name(self) -> str:
        return PRINCIPLE_NAMES.get(self.finding.principle, "Other checks")


@dataclass
class ScoreRow:
    """One principle on the scorecard: share conforming now, and on earlier check dates."""
    principle: int
    name: str
    focus_nodes: int
    conforming: int
    share: float
    history: list[tuple[str, float]]  # (check date, share), oldest first, current included
    violations: int = 0  # things with at least one violation of the principle
    warnings: int = 0  # things with warnings of the principle but no violation
    assets: int | None = None  # assets the principle checks (None: not counted, see shapes.asset_scores)
    assets_meeting: int = 0  # of those, the assets meeting it

    @property
    def asset_share(self) -> float | None:
        """Share of the assets it checks meeting the principle (None when assets were not counted)."""
        if self.assets is None:
            return None
        return self.assets_meeting / self.assets if self.assets else 1.0

    @property
    def change(self) -> float | None:
        """Change in share since the previous check date (None with a single date)."""
        return self.history[-1][1] - self.history[-2][1] if len(self.history) > 1 else None


#: Stores with more triples than this are validated in a background thread, so no page waits
#: minutes for it; pages say validation is in progress meanwhile.
SYNC_LIMIT = 1_000_000
_running: "weakref.WeakKeyDictionary[Store, int]" = weakref.WeakKeyDictionary()
_EMPTY: tuple = (-1, None, {})


#: What was made from a report (its redacted copy, the worst findings, the failing nodes per principle), kept
#: while the report is current: keyed by the ids of the objects it was made from, which it holds so no id is reused.
_made: dict[tuple, tuple[tuple, object]] = {}
_MADE_MOST = 32


def _once(what: str, of: tuple, make):
    """``make()``, made once for the objects ``of`` (a report, and the redaction it was filtered for)."""
    key = (what,) + tuple(id(o) for o in of)
    hit = _made.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], of)):
        return hit[1]
    value = make()
    with _lock:
        if len(_made) >= _MADE_MOST:
            _made.clear()
        _made[key] = (of, value)
    return value


def report(store: Store) -> ValidationReport | None:
    """The validation report for the store's current revision (None while running or if it fails).

    For a redacted copy (``govgraph.access``) it is the original store's report without the
    findings about hidden things (the copy itself is never validated: its placeholders are
    not real assets).
    """
    rep = _entry(access.origin(store))[1]
    r = access.redaction_of(store)
    if rep is None or r is None:
        return rep
    return _once("redacted", (rep, r), lambda: ValidationReport(
        [f for f in rep.findings if access.visible_finding(r, f.focus, f.value)],
        rep.check_date, rep.scorecard, rep.engine))


def pending(store: Store) -> bool:
    """Whether validation of the current revision is still running in the background."""
    store = access.origin(store)
    with _lock:
        return _running.get(store) == store.revision


def _entry(store: Store) -> tuple[int, ValidationReport | None, dict]:
    rev = store.revision
    memo = live.memo(store)
    with _lock:
        held = memo.peek(kept.VALIDATION_VIEW.name)
        if held is not None and held[0] == rev and kept.VALIDATION_VIEW.current(held[1]):
            return rev, held[1].report, held[1].by_focus
        if _running.get(store) == rev:
            return _EMPTY
        # nothing kept yet on a large store: the first validation runs in the background (later
        # revisions apply their change to the kept report, see shapes.kept); a report kept on disk for this
        # revision is read instead (a second at 100k datasets: pages show it rather than "running")
        background = held is None and store.triple_count() > SYNC_LIMIT \
            and not memo.kept_on_disk(store, kept.VALIDATION_VIEW)
        if background:
            _running[store] = rev
    if background:
        threading.Thread(target=_validate, args=(store, rev, True), daemon=True, name="govgraph-validate").start()
        return _EMPTY
    return _validate(store, rev)


def _validate(store: Store, rev: int, background: bool = False) -> tuple[int, ValidationReport | None, dict]:
    try:
        k = kept.kept_report(store)
        entry = (rev, k.report, k.by_focus)
    except StoreUnavailable:
        # a remote store went away: keep nothing, so the first request after it returns validates
        # again (caching "no report" would hide every finding until the next change)
        with _lock:
            if _running.get(store) == rev:
                del _running[store]
        if background:
            log.warning("validation stopped: the store is not answering")
            return _EMPTY
        raise
    except Exception:  # a broken shape file must not take the viewer down
        log.exception("validation failed; pages show no findings")
        entry = (rev, None, {})
    with _lock:
        if _running.get(store) == rev:
            del _running[store]
    return entry


def kept_for_asset(store: Store, iri: str, on: dt.date) -> tuple[dt.date | None, list[FindingRow]]:
    """An asset's findings in the last validation report kept on or before ``on`` (its check date, or None)."""
    kept, fs = history.kept_findings(access.origin(store), iri, on)
    r = access.redaction_of(store)
    return kept, _rows(store, [f for f in fs if access.visible_finding(r, f.focus, f.value)])


def for_asset(store: Store, iri: str) -> list[FindingRow] | None:
    """An asset's findings, most serious first (None when no report is available)."""
    rev, rep, by_focus = _entry(access.origin(store))
    if rep is None:
        return None
    r = access.redaction_of(store)
    if r is not None and r.covers(iri):
        return []
    return _rows(store, [f for f in by_focus.get(iri, []) if access.visible_finding(r, f.focus, f.value)])


def worst_by_focus(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """For each of ``iris`` with a Violation or Warning, the most serious severity (looked up for those
    only: a drawing's few boxes, not every asset with a finding)."""
    rev, rep, by_focus = _entry(access.origin(store))
    r = access.redaction_of(store)
    out = {}
    for iri in iris:
        fs = by_focus.get(iri)
        if fs and r is not None:
            fs = [] if r.covers(iri) else [f for f in fs if access.visible_finding(r, f.focus, f.value)]
        if fs and fs[0].severity in ("Violation", "Warning"):
            out[iri] = fs[0].severity
    return out


def worst(store: Store, limit: int = 10) -> list[FindingRow] | None:
    """The most serious findings: violations first, spread across principles."""
    rep = report(store)
    if rep is None:
        return None
    return _rows(store, _once("worst", (rep,), lambda: _first_per_rule(rep.findings))[:limit])


def _first_per_rule(findings: list[Finding]) -> list[Finding]:
    """For each severity and principle, its first finding (by focus, then message), most serious first: one per
    principle and severity, so one rule cannot fill the list (one pass, not a sort of every finding)."""
    first: dict[tuple[int, int, str], tuple] = {}
    for f in findings:
        key = (_RANK.get(f.severity, 9), f.principle, f.severity)
        order = (f.focus, f.message)
        held = first.get(key)
        if held is None or order < held[0]:
            first[key] = (order, f)
    return [first[k][1] for k in sorted(first)]


@dataclass
class FindingGroup:
    """Findings of one rule: the shared message, and the assets it was found on."""
    message: str
    path_label: str
    count: int
    rows: list[FindingRow]


def grouped(store: Store, *, principle: int | None = None, severity: str | None = None,
            limit_per_rule: int = 60) -> dict[int, dict[str, list[FindingGroup]]] | None:
    """Findings grouped by principle, then severity, then rule (one message, many assets)."""
    rep = report(store)
    if rep is None:
        return None
    groups: dict[int, dict[str, dict[tuple[str, str], list[Finding]]]] = defaultdict(lambda: defaultdict(dict))
    for f in rep.findings:
        if (principle is None or f.principle == principle) and (severity is None or f.severity == severity):
            groups[f.principle][f.severity].setdefault((f.shape, f.message), []).append(f)
    out: dict[int, dict[str, list[FindingGroup]]] = {}
    for p in sorted(groups):
        out[p] = {}
        for sev in SEVERITIES:
            rules = groups[p].get(sev)
            if not rules:
                continue
            out[p][sev] = []
            for (_, message), fs in sorted(rules.items(), key=lambda kv: (-len(kv[1]), kv[0][1])):
                fs.sort(key=lambda f: f.focus)
                rows = _rows(store, fs[:limit_per_rule])
                rows.sort(key=lambda r: r.focus.label.lower())
                out[p][sev].append(FindingGroup(message, rows[0].path_label if rows else "", len(fs), rows))
    return out


def scorecard(store: Store) -> list[ScoreRow] | None:
    """The principles scorecard now, with the share on each earlier saved check date."""
    rep = report(store)
    if rep is None or not rep.scorecard:
        return None
    earlier: dict[int, list[tuple[str, float]]] = defaultdict(list)
    try:
        for entry in history.scorecard_history(access.origin(store)):
            if entry.check_date != rep.check_date:
                earlier[entry.principle].append((entry.check_date.isoformat(), entry.share))
    except Exception:
        log.exception("could not read saved scorecards")
    bad = _once("failing", (rep,), lambda: _failing_by_principle(rep.findings))
    try:
        by_asset = asset_scores.asset_scores(access.origin(store)) or {}
    except Exception:
        log.exception("could not count the assets meeting each principle")
        by_asset = {}
    rows = []
    for p, s in sorted(rep.scorecard.items()):
        hist = sorted(earlier.get(p, [])) + [(rep.check_date.isoformat(), s.share)]
        v, w = bad.get(p, _NONE)["Violation"], bad.get(p, _NONE)["Warning"]
        a = by_asset.get(p)
        rows.append(ScoreRow(p, PRINCIPLE_NAMES.get(p, "Other checks"), s.focus_nodes, s.conforming, s.share, hist,
                             len(v), len(w - v), a.assets if a else None, a.meeting if a else 0))
    return rows


_NONE = {"Violation": frozenset(), "Warning": frozenset()}


def _failing_by_principle(findings: list[Finding]) -> dict[int, dict[str, set[str]]]:
    """Per principle, the focus nodes with a Violation of it and those with a Warning."""
    bad: dict[int, dict[str, set[str]]] = defaultdict(lambda: {"Violation": set(), "Warning": set()})
    for f in findings:
        if f.severity in ("Violation", "Warning"):
            bad[f.principle][f.severity].add(f.focus)
    return dict(bad)


def _rows(store: Store, fs: list[Finding]) -> list[FindingRow]:
    iris = {f.focus for f in fs if not f.focus.startswith("_:")}
    refs = labels(store, iris) if iris else {}
    out = []
    for f in fs:
        ref = refs.get(f.focus) or Ref(f.focus, f.focus, "thing")
        out.append(FindingRow(f, ref, term_label(f.path)[0] if f.path and not f.path.startswith(("(", "[", "^")) else (f.path or "")))
    return out


def known_gaps(st: Store) -> list[baseline.SourceGaps]:
    """Each source's baseline of known gaps and its trend, without gaps about what the reader may not see."""
    rows = baseline.summaries(access.origin(st))
    r = access.redaction_of(st)
    if r is None:
        return rows
    return [baseline.SourceGaps(x.source, [g for g in x.gaps if access.visible_finding(r, g.focus, g.value)], x.trend)
            for x in rows]
