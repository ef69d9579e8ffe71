"""The kept validation report applies a change by re-running only the shapes the change can alter
(``shapes.kept._affected_shapes``) and keeping the other findings of its scope: after every write it
equals a fresh validation, on both backends."""
from __future__ import annotations

import uuid

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph import live
from govgraph.io.load import load_files
from govgraph.io.write import write_source
from govgraph.shapes import kept
from govgraph.shapes.validate import parse_date, plan_for
from govgraph.webapp import findings
from live_steps import ESTATE, do, n, validation_state
from live_strategies import steps

BASE = "https://data.county.example.gov.uk/id/"
RDF, DCAT, DCT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
SKOS, GOV = "http://www.w3.org/2004/02/skos/core#", "https://w3id.org/govgraph#"


@pytest.fixture(scope="module")
def estate(module_store):
    load_files(module_store, [ESTATE], force=True)
    return module_store


def same_as_fresh(store) -> kept.KeptReport:
    k = kept.kept_report(store)
    assert validation_state(k) == validation_state(kept.VALIDATION_VIEW.build(store))
    return k


def last_change(store) -> live.Change:
    ch = live.changes(store, store.revision - 1, store.revision, 10_000)
    assert ch is not None and len(ch) > 0
    return ch


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=6))
def test_the_kept_report_follows_writes_exactly(estate, sequence):
    same_as_fresh(estate)
    for step in sequence:
        do(estate, step)
        same_as_fresh(estate)


def test_only_the_shapes_a_change_can_alter_run_again(estate):
    same_as_fresh(estate)
    stats = live.memo(estate).stats["validation"]
    plan = plan_for(kept._shapes(parse_date(None)))
    tag = uuid.uuid4().hex[:8]
    d = n(f"{BASE}dataset/kept-{tag}")
    # a new dataset with a type only: its dataset shapes run (and find what it lacks)
    write_source(estate, "kept-" + tag, [ox.Triple(d, n(RDF + "type"), n(DCAT + "Dataset"))],
                 who="test", force=True, may_remove=True)
    assert kept._affected_shapes(estate, plan, last_change(estate))  # the class's shapes
    applied = stats.applied
    lacking = {f.message for f in same_as_fresh(estate).by_focus[d.value]}
    assert stats.applied == applied + 1 and lacking
    # a title: only the shapes reading dct:title (or any predicate) run; the dataset's other findings are kept
    write_source(estate, "kept-" + tag, [ox.Triple(d, n(RDF + "type"), n(DCAT + "Dataset")),
                                         ox.Triple(d, n(DCT + "title"), ox.Literal("Kept report probe"))],
                 who="test", force=True, may_remove=True)
    rerun = kept._affected_shapes(estate, plan, last_change(estate))
    assert rerun == {c.shape for c in plan.checks if c.reads is None or DCT + "title" in c.reads
                     or any(k in ("subjectsOf", "objectsOf") and iri == DCT + "title" for k, iri in c.targets)}
    assert len(rerun) < len({c.shape for c in plan.checks})
    after = same_as_fresh(estate).by_focus[d.value]
    assert stats.applied == applied + 2
    assert any(f.shape not in rerun for f in after)  # kept from before, and still exact
    # a synonym no check reads: nothing runs again, the report is still a fresh one's
    write_source(estate, "kept-syn-" + tag, [ox.Triple(d, n(SKOS + "altLabel"), ox.Literal("Probe synonym"))],
                 who="test", force=True, may_remove=True)
    ch = last_change(estate)
    assert kept._affected_shapes(estate, plan, ch) == {c.shape for c in plan.checks if c.reads is None}
    assert not kept._moves_targets(plan, ch)
    same_as_fresh(estate)
    # the dataset removed: its findings go
    estate.remove_source("kept-" + tag, who="test")
    assert d.value not in same_as_fresh(estate).by_focus


def test_a_drawing_reads_the_severity_of_its_boxes_only(estate):
    """``findings.worst_by_focus`` for some IRIs: the most serious Violation or Warning of each, as the
    kept report has it (what the lineage drawing marks), and nothing for the others."""
    k = kept.kept_report(estate)
    marked = {i: fs[0].severity for i, fs in k.by_focus.items() if fs[0].severity in ("Violation", "Warning")}
    assert marked
    some = sorted(marked)[:3] + [f"{BASE}dataset/not-there", sorted(k.by_focus)[0]]
    assert findings.worst_by_focus(estate, some) == {i: marked[i] for i in some if i in marked}


def test_the_dashboard_worst_findings_are_one_per_principle_and_severity_most_serious_first(estate):
    """``findings.worst``: for each severity and principle the first finding by focus and message, the most
    serious first (against a sort of every finding, what it was before it became one pass), made once per report
    (the same rows again while the revision stands; fresh ones after a write)."""
    rank = {"Violation": 0, "Warning": 1, "Info": 2}
    rep = findings.report(estate)
    ordered = sorted(rep.findings, key=lambda f: (rank[f.severity], f.principle, f.focus, f.message))
    expected, seen = [], set()
    for f in ordered:
        if (f.severity, f.principle) not in seen:
            seen.add((f.severity, f.principle))
            expected.append(f)
    assert len(expected) > 3
    assert [r.finding for r in findings.worst(estate, limit=100)] == expected
    assert [r.finding for r in findings.worst(estate, limit=3)] == expected[:3]
    # a write that adds a finding more serious than any on its principle's list moves it to the top of its group
    tag = uuid.uuid4().hex[:8]
    d = f"{BASE}dataset/0000-worst-{tag}"  # sorts before every other focus
    write_source(estate, "worst-" + tag, [ox.Triple(n(d), n(RDF + "type"), n(DCAT + "Dataset"))], who="test",
                 as_is=True)
    try:
        after = [r.finding for r in findings.worst(estate, limit=100)]
        assert any(f.focus == d for f in after)
        assert not any(f.focus == d for f in expected)
    finally:
        estate.remove_source("worst-" + tag, who="test")
    assert [r.finding for r in findings.worst(estate, limit=100)] == expected


def test_a_new_day_runs_again_only_the_checks_that_read_the_date(estate, monkeypatch):
    """The kept report of an earlier check date is brought to the new day by running again the shapes whose
    checks read the date (agreements in force, reviews overdue, owners who left, recent measurements), not the
    whole estate: after a write on the new day it equals a fresh validation on that day, and the asset scores
    counted from it equal a fresh count; neither view is built afresh."""
    from govgraph.shapes import asset_scores
    import datetime as dt
    day = {"d": dt.date(2019, 6, 1)}
    monkeypatch.setattr(kept, "parse_date", lambda text=None: day["d"])
    tag = uuid.uuid4().hex[:8]
    owner = estate.select("SELECT ?o WHERE { ?d a dcat:Dataset ; gov:owner ?o } ORDER BY ?o LIMIT 1")[0]["o"]
    # the owner leaves in 2025: still here on the first day, gone on the second
    write_source(estate, "leaver-" + tag, [ox.Triple(n(str(owner)), n(GOV + "leftOn"), ox.Literal(
        "2025-01-01", datatype=n("http://www.w3.org/2001/XMLSchema#date")))], who="test", as_is=True)
    m = live.memo(estate)
    m.forget("validation")
    m.forget("asset-scores")
    before = kept.kept_report(estate)
    asset_scores.asset_scores(estate)
    assert not any(f.shape.endswith("#OwnerCurrent") for f in before.report.findings)
    day["d"] = dt.date(2031, 6, 1)
    built = (m.stats["validation"].built, m.stats["asset-scores"].built)
    d = n(f"{BASE}dataset/redated-{tag}")
    write_source(estate, "redated-" + tag, [ox.Triple(d, n(RDF + "type"), n(DCAT + "Dataset"))], who="test",
                 as_is=True)
    try:
        after = same_as_fresh(estate)
        fresh = kept.VALIDATION_VIEW.build(estate)
        assert after.report.check_date == dt.date(2031, 6, 1)
        assert (after.nodes, after.failing) == (fresh.nodes, fresh.failing)
        left = {f.focus for f in after.report.findings if f.shape.endswith("#OwnerCurrent")}
        assert left and after.redated is not None and after.redated == (dt.date(2019, 6, 1), frozenset(left))
        assert asset_scores.asset_scores(estate) == asset_scores.count(estate, fresh)
        assert (m.stats["validation"].built, m.stats["asset-scores"].built) == built
    finally:
        estate.remove_source("redated-" + tag, who="test")
        estate.remove_source("leaver-" + tag, who="test")
        m.forget("validation")
        m.forget("asset-scores")


def test_a_new_day_without_a_write_brings_the_report_to_the_day(estate, monkeypatch):
    """No write on the new day: the kept report is still exact for the revision but not for the day; asked for,
    it is brought to the day (the date's checks run again), not built afresh. A served app (the memo followed)
    answers a page from the kept report at once while its follower does that, then from the new day's."""
    import datetime as dt
    import time
    day = {"d": dt.date(2019, 6, 1)}
    monkeypatch.setattr(kept, "parse_date", lambda text=None: day["d"])
    m = live.memo(estate)
    m.forget("validation")
    assert kept.kept_report(estate).report.check_date == dt.date(2019, 6, 1)
    built = m.stats["validation"].built
    day["d"] = dt.date(2019, 6, 2)
    assert findings.report(estate).check_date == dt.date(2019, 6, 2)  # not followed: brought to the day at once
    assert m.stats["validation"].built == built
    day["d"] = dt.date(2019, 6, 3)
    m.follow = True
    try:
        with live.reading_kept():
            assert findings.report(estate).check_date == dt.date(2019, 6, 2)  # the follower is on it
        deadline = time.monotonic() + 30
        while m.pending.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        with live.reading_kept():
            assert findings.report(estate).check_date == dt.date(2019, 6, 3)
        assert m.stats["validation"].built == built
        assert validation_state(kept.kept_report(estate)) == validation_state(kept.VALIDATION_VIEW.build(estate))
    finally:
        m.follow = False
        m.forget("validation")
