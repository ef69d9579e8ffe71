"""Governance reports over the real sample estate: expected contents, counts checked against
independent SPARQL, the CSV/XLSX/HTML renderings, the CLI and the viewer's report pages."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from govgraph.cli import main
from govgraph.errors import BadInput
from govgraph.io.iar import HEADER, write_iar
from govgraph.ontology.ns import GOV
from govgraph.reports import REPORTS, build_report
from govgraph.reports.model import Gap, Link, cell_text, is_gap
from govgraph.reports.render import to_csv, to_html, to_xlsx

ID = "https://data.county.example.gov.uk/id/"
ON = dt.date(2026, 11, 1)  # inside the window DEFECTS.md promises (2026-01-01 .. 2028-12-31)


def iris(cells) -> set[str]:
    """The IRIs linked from a column's cells."""
    out = set()
    for c in cells:
        for p in (c if isinstance(c, tuple) else (c,)):
            if isinstance(p, Link):
                out.add(p.iri)
    return out


def count(store, where: str) -> int:
    return int(store.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")[0]["n"])


# ----------------------------------------------------------------------------- ROPA

def test_ropa_counts_match_independent_queries(sample_store):
    rep = build_report(sample_store, "ropa", ON)
    t = rep.table("Processing activities")
    assert t.rows, "the sample has personal data"
    council = sample_store.select("SELECT ?l WHERE { ?c a gov:Council ; rdfs:label|skos:prefLabel ?l } LIMIT 1")[0]["l"]
    for row in t.rows:
        purpose, n = row[0], row[t.columns.index("Personal-data datasets")]
        assert cell_text(row[2]) == str(council)
        assert cell_text(row[t.columns.index("Transfers outside the UK")]) == "None recorded"
        if isinstance(purpose, Gap):
            expected = count(sample_store, "?x dpv:hasPersonalData ?pd FILTER NOT EXISTS { ?x dpv:hasPurpose ?p }")
        else:
            expected = count(sample_store, f"""?x dpv:hasPersonalData ?pd .
                {{ ?x dpv:hasPurpose <{purpose.iri}> }} UNION {{ ?f gov:carries ?x ; gov:coveredBy/dpv:hasPurpose <{purpose.iri}> }}""")
        assert n == expected, cell_text(purpose)
    listed = iris(t.column("Purpose"))
    expected_purposes = {str(r["p"]) for r in sample_store.select("""SELECT DISTINCT ?p WHERE { ?x dpv:hasPersonalData ?pd .
        { ?x dpv:hasPurpose ?p } UNION { ?f gov:carries ?x ; gov:coveredBy/dpv:hasPurpose ?p } }""")}
    assert listed == expected_purposes


def test_ropa_shows_gaps_and_recipients(sample_store):
    t = build_report(sample_store, "ropa", ON).table("Processing activities")
    # a purpose whose special category data has no Art 9 condition shows that as a gap
    missing_art9 = count(sample_store, """?x dpv:hasPersonalData dpv:SpecialCategoryPersonalData
        FILTER NOT EXISTS { ?x dpv:hasLegalBasis ?b FILTER(STRSTARTS(STR(?b), STR(eu-gdpr:A9-))) }""")
    gaps = [c for c in t.column("Art 9 condition") if is_gap(c)]
    assert bool(gaps) == bool(missing_art9)
    # every partner a personal dataset is shared with appears as a recipient somewhere
    shared = {str(r["p"]) for r in sample_store.select(
        "SELECT DISTINCT ?p WHERE { ?x dpv:hasPersonalData ?pd ; gov:sharedWith ?p }")}
    assert shared <= iris(t.column("Recipients"))


# ----------------------------------------------------------------------------- IAR

def test_iar_csv_equals_the_iar_export(sample_store):
    rep = build_report(sample_store, "iar", ON)
    buf = io.StringIO()
    write_iar(sample_store, buf)
    assert to_csv(rep) == buf.getvalue()
    t = rep.tables[0]
    assert t.columns == HEADER
    assert len(t.rows) == count(sample_store, "?x a gov:InformationAsset")
    no_owner = count(sample_store, "?x a gov:InformationAsset FILTER NOT EXISTS { ?x gov:owner/foaf:name ?n }")
    assert sum(1 for c in t.column("Owner") if isinstance(c, Gap)) == no_owner


# ----------------------------------------------------------------------------- agreements

def test_agreements_expired_with_flows_and_overdue_reviews(sample_store):
    rep = build_report(sample_store, "agreements", ON)
    expired = iris(rep.table("Expired with flows still running").column("Agreement"))
    assert ID + "agreement/supporting-families-dwp" in expired
    overdue = iris(rep.table("Review overdue").column("Agreement"))
    assert {ID + "agreement/geoplace-dca", ID + "agreement/operation-encompass"} <= overdue
    d = f'"{ON.isoformat()}"^^xsd:date'
    in_force = count(sample_store, f"?x a gov:SharingAgreement ; gov:validFrom ?f ; gov:validUntil ?u "
                                   f"FILTER(?f <= {d} && ?u >= {d})")
    assert len(rep.table("In force").rows) == in_force
    expired_with_flows = count(sample_store, f"?x a gov:SharingAgreement ; gov:validUntil ?u FILTER(?u < {d}) "
                                             "FILTER EXISTS { ?fl gov:coveredBy ?x }")
    assert len(rep.table("Expired with flows still running").rows) == expired_with_flows
    total = count(sample_store, "?x a gov:SharingAgreement")
    assert len(rep.table("In force").rows) + expired_with_flows + len(rep.table("Not in force, no flows").rows) == total


def test_agreements_due_for_review_depends_on_the_date(sample_store):
    row = sample_store.select("""SELECT ?a ?r WHERE { ?a a gov:SharingAgreement ; gov:reviewDate ?r ;
        gov:validFrom ?f ; gov:validUntil ?u FILTER(?r > ?f && ?r < ?u) } ORDER BY ?r LIMIT 1""")[0]
    review = dt.date.fromisoformat(str(row["r"]))
    due = build_report(sample_store, "agreements", review - dt.timedelta(days=30))
    assert str(row["a"]) in iris(due.table("Due for review in the next 90 days").column("Agreement"))
    early = build_report(sample_store, "agreements", review - dt.timedelta(days=200))
    assert str(row["a"]) not in iris(early.table("Due for review in the next 90 days").column("Agreement"))


# ----------------------------------------------------------------------------- ownership

def test_ownership_lists_the_unowned_spreadsheet(sample_store):
    rep = build_report(sample_store, "ownership", ON)
    unowned = rep.table("Assets with no owner")
    assert ID + "dataset/fileshare-highways-claims-tracker" in iris(unowned.column("Asset"))
    row = unowned.rows[[c.iri for c in unowned.column("Asset")].index(ID + "dataset/fileshare-highways-claims-tracker")]
    assert row[unowned.columns.index("Storage")] == "spreadsheet"
    assert row[unowned.columns.index("Open violations")] >= 1  # "asset has an owner" is a Violation
    kinds = "VALUES ?k { dcat:Dataset gov:System gov:DataWarehouse gov:DataLake gov:Database gov:DocumentStore gov:SharingAgreement }"
    assert len(unowned.rows) == count(sample_store, f"{kinds} ?x a ?k FILTER NOT EXISTS {{ ?x gov:owner ?o }}")
    no_steward = rep.table("Datasets with no steward")
    assert {ID + "dataset/capita-one-admissions", ID + "dataset/confirm-works-orders"} <= iris(no_steward.column("Asset"))
    assert len(no_steward.rows) == count(sample_store, "?x a dcat:Dataset FILTER NOT EXISTS { ?x gov:steward ?s }")
    by_owner = rep.table("By owner")
    owned_datasets = int(sample_store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?x ?o WHERE { ?x a dcat:Dataset ; gov:owner ?o } }")[0]["n"])
    assert sum(by_owner.column("Datasets")) == owned_datasets
    by_area = rep.table("By service area")
    assets = count(sample_store, f"{kinds} ?x a ?k")
    assert sum(by_area.column("Assets")) >= assets
    assert sum(by_area.column("Without owner")) >= len(unowned.rows)


# ----------------------------------------------------------------------------- quality

def test_quality_below_target_missing_targets_and_trend(sample_store):
    rep = build_report(sample_store, "quality", ON)
    t = rep.table("Key datasets against targets")
    keys = {str(r["x"]) for r in sample_store.select("SELECT ?x WHERE { ?x gov:keyDataset true }")}
    assert iris(t.column("Dataset")) == keys

    def rows_for(slug: str):
        return [r for r in t.rows if r[0].iri == ID + "dataset/" + slug]
    asc = [r for r in rows_for("mosaic-asc-services") if r[2] == "Completeness"]
    assert asc and asc[0][t.columns.index("Latest value")] == pytest.approx(0.87)
    assert asc[0][t.columns.index("Status")].startswith("below target")
    assert any(r[t.columns.index("Status")].startswith("below target") and r[2] == "Validity"
               for r in rows_for("capita-one-sen"))
    assert any(isinstance(r[t.columns.index("Target")], Gap) for r in rows_for("spydus-members"))
    assert all(r[t.columns.index("Status")] == "not measured" for r in rows_for("sap-payroll"))
    assert any("over 90 days" in r[t.columns.index("Status")] for r in rows_for("capita-one-attendance"))
    # an earlier date leaves later measurements out
    early = build_report(sample_store, "quality", dt.date(2026, 2, 1)).table("Key datasets against targets")
    asc_early = [r for r in early.rows if r[0].iri == ID + "dataset/mosaic-asc-services" and r[2] == "Completeness"]
    assert asc_early[0][early.columns.index("Measured on")] <= "2026-02-01"


# ----------------------------------------------------------------------------- scorecard

def test_scorecard_history_trend_quarters_and_chart(sample_store):
    from govgraph.shapes.validate import validate_store
    validate_store(sample_store, check_date=dt.date(2026, 3, 31), save=True)
    validate_store(sample_store, check_date=dt.date(2026, 6, 30), save=True)
    ds = URIRef(ID + "dataset/report-test-unowned")
    with sample_store.begin("report-test") as txn:  # a new unowned dataset makes principle 7 worse
        txn.add([(ds, RDF.type, DCAT.Dataset), (ds, DCTERMS.title, Literal("Unowned test list")),
                 (ds, DCTERMS.description, Literal("For the scorecard test.")), (ds, GOV.heldIn, URIRef(ID + "system/sharepoint"))])
        txn.commit(forced=True)
    rep = build_report(sample_store, "scorecard", ON)
    history = rep.table("By validation date")
    assert history.columns[2:] == ["2026-03-31", "2026-06-30", "2026-11-01 (now)"]
    assert rep.table("Quarterly view").columns[2:] == ["2026 Q1", "2026 Q2", "2026 Q4"]
    main_t = rep.table("Principles")
    p7 = main_t.find("Principle", "7")[0]
    live = validate_store(sample_store, check_date=ON).scorecard[7]
    assert p7[main_t.columns.index("Conformance now")] == pytest.approx(live.share)
    assert p7[main_t.columns.index("Items checked")] == live.focus_nodes
    assert p7[main_t.columns.index("Trend")].startswith("▼")
    html = to_html(rep)
    assert "<svg" in html and "<polyline" in html


# ----------------------------------------------------------------------------- rendering

def test_xlsx_opens_with_headers_rows_and_neutralised_formulas(sample_store, tmp_path):
    ds = URIRef(ID + "dataset/report-test-formula")
    with sample_store.begin("report-formula") as txn:
        txn.add([(ds, RDF.type, DCAT.Dataset), (ds, RDF.type, GOV.InformationAsset),
                 (ds, DCTERMS.title, Literal('=HYPERLINK("http://evil.example","x")')),
                 (ds, DCTERMS.description, Literal("@SUM(1+1)"))])
        txn.commit(forced=True)
    rep = build_report(sample_store, "iar", ON)
    path = tmp_path / "iar.xlsx"
    path.write_bytes(to_xlsx(rep))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Information Asset Register"]
    ws = wb["Information Asset Register"]
    assert [c.value for c in ws[1]] == HEADER
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > 8
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(rep.tables[0].rows) == count(sample_store, "?x a gov:InformationAsset")
    bad = [r for r in body if r[0] == "report-test-formula"][0]
    assert bad[1].startswith("'=") and bad[2].startswith("'@")
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    unowned = [r for r in body if r[0] == "fileshare-highways-claims-tracker"]
    if unowned:  # an IAR row the sample keeps out of iar.csv but the graph holds
        assert unowned[0][HEADER.index("Owner")] == "— not recorded —"
    csv_rows = list(csv.reader(io.StringIO(to_csv(rep))))
    formula_row = [r for r in csv_rows if r[0] == "report-test-formula"][0]
    assert formula_row[1].startswith("'=") and formula_row[2].startswith("'@")


def test_multi_table_csv_and_html_escape(sample_store):
    rep = build_report(sample_store, "agreements", ON)
    rows = list(csv.reader(io.StringIO(to_csv(rep))))
    titles = [t.title for t in rep.tables]
    assert [r[0] for r in rows if len(r) == 1] == titles
    html = to_html(rep)
    for t in titles:
        assert f"{t} <span" in html
    assert "<script" not in html
    assert '<span class="report-gap">— not recorded —</span>' in to_html(build_report(sample_store, "ownership", ON))


# ----------------------------------------------------------------------------- CLI

def test_cli_report_formats_and_errors(sample_store_url, tmp_path):
    url = sample_store_url
    r = CliRunner()
    res = r.invoke(main, ["report", "agreements", "--store", url, "--format", "csv", "--date", "2026-11-01"])
    assert res.exit_code == 0, res.output
    assert "Supporting Families programme data sharing agreement (DWP)" in res.output
    out = tmp_path / "ownership.xlsx"
    res = r.invoke(main, ["report", "ownership", "--store", url, "-o", str(out), "--date", "2026-11-01"])
    assert res.exit_code == 0, res.output
    assert "Assets with no owner" in openpyxl.load_workbook(out).sheetnames
    res = r.invoke(main, ["report", "ropa", "--store", url, "-o", str(tmp_path / "ropa.html")])
    assert res.exit_code == 0 and "<table>" in (tmp_path / "ropa.html").read_text()
    for args, msg in ((["report", "nonsense"], "unknown report 'nonsense': use one of ropa, iar, scorecard"),
                      (["report", "ropa", "--date", "2026-02-30"], "malformed date '2026-02-30'"),
                      (["report", "ropa", "--date", "01/02/2026"], "malformed date '01/02/2026'"),
                      (["report", "iar", "--format", "xlsx"], "give -o FILE.xlsx")):
        res = r.invoke(main, args + ["--store", url])
        assert res.exit_code == 1
        assert msg in res.output and res.output.count("\n") == 1, res.output


def test_build_report_rejects_unknown_names_and_dates(sample_store):
    with pytest.raises(BadInput, match="unknown report"):
        build_report(sample_store, "minutes")
    with pytest.raises(BadInput, match="malformed date"):
        build_report(sample_store, "ropa", "2026-1-1x")


# ----------------------------------------------------------------------------- viewer

def test_viewer_report_pages_and_downloads(sample_store):
    from govgraph.webapp import create_app
    client = create_app({"STORE": sample_store, "TESTING": True}).test_client()
    page = client.get("/reports/")
    assert page.status_code == 200
    for name in REPORTS:
        assert f"/reports/{name}" in page.get_data(as_text=True)
    res = client.get("/reports/agreements?date=2026-11-01")
    text = res.get_data(as_text=True)
    assert res.status_code == 200 and "Expired with flows still running" in text
    assert "Supporting Families programme data sharing agreement (DWP)" in text
    assert "/asset?iri=" in text or "/asset" in text
    xl = client.get("/reports/iar.xlsx")
    assert xl.status_code == 200 and xl.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(xl.data))
    assert [c.value for c in wb["Information Asset Register"][1]] == HEADER
    csv_res = client.get("/reports/ropa.csv")
    assert csv_res.status_code == 200 and csv_res.get_data(as_text=True).startswith("Purpose,")
    for path in ("/reports/minutes", "/reports/minutes.csv"):
        r = client.get(path)
        assert r.status_code == 404 and "unknown report &#39;minutes&#39;: use one of ropa, iar" in r.get_data(as_text=True)
    r = client.get("/reports/ropa.pdf")
    assert r.status_code == 404 and "unknown report format &#39;pdf&#39;" in r.get_data(as_text=True)
    assert client.get("/reports/ropa?date=2026-99-01").status_code == 400
