"""Principle 11 ("We will build and look to retain the best analytics capabilities available"): its own
name, its own checks (analytics owner named and still here, documented method, analytics tool owned and
run), its own scorecard row, and the same answers from the fast engine and pyshacl on every example."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govgraph.reports import build_report
from govgraph.shapes.model import PRINCIPLE_NAMES
from govgraph.shapes.validate import reference_store, run, shapes_for
from govgraph.store import Store
from govgraph.webapp import create_app

FIX = Path(__file__).parent / "fixtures" / "shapes"
DATE = dt.date(2026, 11, 1)
GSH = "https://w3id.org/govgraph/shapes#"
X = "https://data.county.example.gov.uk/id/"
P11_GAPS = {"AnalyticsOwner", "AnalyticsOwnerCurrent", "AnalyticsMethod", "AnalyticsTool"}

PREFIXES = """@prefix gov: <https://w3id.org/govgraph#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix xdataset: <https://data.county.example.gov.uk/id/dataset/> .
@prefix xperson: <https://data.county.example.gov.uk/id/person/> .
@prefix xsystem: <https://data.county.example.gov.uk/id/system/> .
@prefix xstandard: <https://data.county.example.gov.uk/id/standard/> .
@prefix xclass: <https://data.county.example.gov.uk/id/class/> .
"""


@pytest.fixture(scope="module")
def shapes():
    return shapes_for(check_date=DATE)


def _store(extra: str = "") -> Store:
    """The conforming shapes fixture (tests/fixtures/shapes/base.ttl) plus ``extra`` Turtle, as one source."""
    st = Store.open("memory:")
    with st.begin("fixture") as txn:
        txn.load(FIX / "base.ttl", fmt="turtle")
        if extra:
            txn.load(data=PREFIXES + extra, fmt="turtle")
        txn.commit(forced=True)
    return st


def _p11(st: Store, shapes) -> set[tuple[str, str, str | None]]:
    """(shape, focus, value) of every principle 11 finding; the fast engine and pyshacl must agree on all findings."""
    fast = run(st, shapes, engine_name="fast")
    ref = reference_store(st, shapes)
    assert fast.keys() == {f.key() for f in ref}
    return {(f.shape[len(GSH):], f.focus[len(X):], f.value) for f in fast.findings if f.principle == 11}


def test_principle_11_has_its_own_name_from_the_seed():
    assert PRINCIPLE_NAMES[11] != PRINCIPLE_NAMES[10]
    assert "analytics capabilities" in PRINCIPLE_NAMES[11] and "retain" in PRINCIPLE_NAMES[11]
    assert "analytics" not in PRINCIPLE_NAMES[10]


def test_principle_11_checks_are_warnings_of_principle_11(shapes):
    from govgraph.shapes.validate import plan_for
    checks = {c.shape[len(GSH):]: c for c in plan_for(shapes).checks if c.principle == 11}
    assert P11_GAPS <= set(checks)
    assert all(checks[n].severity == "Warning" for n in P11_GAPS)
    assert {c.shape for c in plan_for(shapes).checks if c.principle == 10} == {GSH + "AnalyticsLinked",
                                                                               GSH + "DatasetCore-analytics"}


def test_conforming_outputs_give_no_principle_11_finding(shapes):
    # base.ttl: a report with an analyst and a method link, a return with an analyst and its specification,
    # an analytics product with an analyst and a method statement, all in an owned warehouse with a custodian
    assert _p11(_store(), shapes) == set()


def test_missing_analytics_owner(shapes):
    st = _store("""xdataset:kpi a dcat:Dataset, gov:Report ; gov:heldIn xsystem:dwh ; gov:method "Note KPI-1" .""")
    assert _p11(st, shapes) == {("AnalyticsOwner", "dataset/kpi", X + "dataset/kpi")}


def test_analytics_owner_who_has_left_by_the_check_date(shapes):
    people = """xperson:gone a foaf:Person ; gov:leftOn "2026-10-31"^^xsd:date .
        xperson:going a foaf:Person ; gov:leftOn "2026-12-31"^^xsd:date .
        xdataset:a a dcat:Dataset, gov:Report ; gov:heldIn xsystem:dwh ; gov:method "m" ; gov:analyticsOwner xperson:gone .
        xdataset:b a dcat:Dataset, gov:Report ; gov:heldIn xsystem:dwh ; gov:method "m" ; gov:analyticsOwner xperson:going ."""
    assert _p11(_store(people), shapes) == {("AnalyticsOwnerCurrent", "dataset/a", X + "person/gone")}
    later = shapes_for(check_date=dt.date(2027, 1, 1))
    assert {f for f in _p11(_store(people), later)} == {
        ("AnalyticsOwnerCurrent", "dataset/a", X + "person/gone"),
        ("AnalyticsOwnerCurrent", "dataset/b", X + "person/going")}


def test_method_a_specification_counts_for_a_return_not_for_a_report(shapes):
    st = _store("""
        xdataset:rtn a dcat:Dataset, gov:StatutoryReturn ; gov:heldIn xsystem:dwh ; gov:analyticsOwner xperson:bob ;
            dcterms:conformsTo xstandard:ssda903-guide .
        xdataset:rep a dcat:Dataset, gov:Report ; gov:heldIn xsystem:dwh ; gov:analyticsOwner xperson:bob ;
            dcterms:conformsTo xstandard:nhs-number .
        xdataset:model a dcat:Dataset ; gov:analytics true ; gov:heldIn xsystem:dwh ; gov:analyticsOwner xperson:bob .""")
    assert _p11(st, shapes) == {("AnalyticsMethod", "dataset/rep", X + "dataset/rep"),
                                ("AnalyticsMethod", "dataset/model", X + "dataset/model")}


def test_analytics_tool_needs_an_owner_and_a_custodian(shapes):
    st = _store("""
        xsystem:shiny a gov:System ; rdfs:label "Shiny server" ; gov:owner xperson:alice .
        xsystem:qlik a gov:System ; rdfs:label "Qlik" ; gov:custodian xperson:bob .
        xdataset:a a dcat:Dataset, gov:Report ; gov:heldIn xsystem:shiny ; gov:analyticsOwner xperson:bob ; gov:method "m" .
        xdataset:b a dcat:Dataset ; gov:analytics true ; gov:heldIn xsystem:qlik ; gov:analyticsOwner xperson:bob ; gov:method "m" .""")
    assert _p11(st, shapes) == {("AnalyticsTool", "dataset/a", X + "system/shiny"),
                                ("AnalyticsTool", "dataset/b", X + "system/qlik")}


def test_what_counts_as_an_analytics_output(shapes):
    st = _store("""
        xclass:Dashboard rdfs:subClassOf gov:Report .
        xdataset:sub a dcat:Dataset, xclass:Dashboard ; gov:heldIn xsystem:dwh .
        xdataset:rep-not-analytics a dcat:Dataset, gov:Report ; gov:analytics false ; gov:heldIn xsystem:dwh .
        xdataset:plain a dcat:Dataset ; gov:analytics false ; gov:heldIn xsystem:dwh .""")
    found = _p11(st, shapes)
    # a subclass of gov:Report declared in the data is a report; gov:analytics false does not exempt a report;
    # a dataset that is neither a report, a return nor an analytics product is not checked
    assert found == {(n, d, X + d) for n in ("AnalyticsOwner", "AnalyticsMethod")
                     for d in ("dataset/sub", "dataset/rep-not-analytics")}


def test_malformed_analytics_statements_are_violations(shapes):
    st = _store("""xdataset:care-report gov:analyticsOwner xsystem:dwh . xdataset:dwh-care gov:method xperson:bob .""")
    report = run(st, shapes)
    bad = {(f.shape[len(GSH):], f.severity) for f in report.findings if f.principle == 11}
    assert bad == {("AnalyticsRecord-owner", "Violation"), ("AnalyticsRecord-method", "Violation")}
    assert {f.key() for f in report.findings} == {f.key() for f in reference_store(st, shapes)}


def test_scorecard_row_11_counts_analytics_outputs_only(shapes):
    st = _store("""
        xdataset:kpi a dcat:Dataset, gov:Report ; gov:heldIn xsystem:dwh .
        xdataset:plain a dcat:Dataset ; gov:heldIn xsystem:dwh .""")
    card = run(st, shapes).scorecard
    # base.ttl's report, return and analytics product, plus the new report; not the plain dataset
    assert (card[11].focus_nodes, card[11].conforming) == (4, 3)
    assert card[10].focus_nodes >= 5 and card[10].conforming == card[10].focus_nodes


# ---------------------------------------------------------------------------- the sample estate

@pytest.fixture(scope="module")
def sample_report(module_sample_store):
    return run(module_sample_store, shapes_for(check_date=DATE))


def test_sample_principle_11_row(sample_report):
    s = sample_report.scorecard[11]
    # 18 reports (16 in Power BI, 2 on the Shiny server), 5 returns, 4 analytics products; 8 with a gap
    assert (s.focus_nodes, s.conforming) == (27, 19)
    gaps = {(f.shape[len(GSH):], f.focus.rsplit("/", 1)[1]) for f in sample_report.findings if f.principle == 11}
    assert gaps == {("AnalyticsOwner", "pbi-home-care-capacity"), ("AnalyticsOwner", "return-asc-fr"),
                    ("AnalyticsOwnerCurrent", "dwh-early-help-risk-model"),
                    ("AnalyticsOwnerCurrent", "pbi-send-ehcp-timeliness"),
                    ("AnalyticsMethod", "pbi-workforce"), ("AnalyticsMethod", "dwh-roni-model"),
                    ("AnalyticsTool", "shiny-jsna-profiles"), ("AnalyticsTool", "shiny-health-inequalities")}
    assert sample_report.counts["Violation"] == 18
    text = sample_report.to_text()
    assert f"Principle 11: {PRINCIPLE_NAMES[11]}" in text and f"Principle 10: {PRINCIPLE_NAMES[10]}" in text


def test_scorecard_report_has_rows_10_and_11(module_sample_store):
    table = build_report(module_sample_store, "scorecard", DATE).table("Principles")
    names = {str(r[0]): r[1] for r in table.rows}
    assert names["10"] == PRINCIPLE_NAMES[10] and names["11"] == PRINCIPLE_NAMES[11]
    row = table.find("Principle", "11")[0]
    assert row[table.columns.index("Items checked")] == 27


def test_dashboard_and_validation_page_show_principle_11(module_sample_store):
    client = create_app({"STORE": module_sample_store, "TESTING": True}).test_client()
    dash = client.get("/").get_data(as_text=True)
    assert PRINCIPLE_NAMES[11] in dash and PRINCIPLE_NAMES[10] in dash
    page = client.get("/validation?principle=11").get_data(as_text=True)
    assert f"Principle 11: {PRINCIPLE_NAMES[11]}" in page and "Principle 10:" not in page
    assert "shiny-jsna-profiles" in page
