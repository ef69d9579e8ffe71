"""Validation runs, reports, validated imports, scorecard history, the CLI and DCAT-AP shapes."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from govgraph.errors import BadInput, ValidationFailed
from govgraph.ontology.ns import SH
from govgraph.shapes.history import load_report, report_dates, save_report, scorecard_history
from govgraph.shapes.change import ChangeView, change_scope, staged, validate_change
from govgraph.shapes.reference import findings_from_results
from govgraph.shapes.validate import reference_store, run, shapes_for, validate_files, validate_store
from govgraph.store import Store

FIX = Path(__file__).parent / "fixtures" / "shapes"
BASE = FIX / "base.ttl"
DATE = "2026-11-01"
DCAT_AP = Path("/work/shared/standards/dcat-ap/3.0.1")
EX = "https://data.county.example.gov.uk/id/"


def _write(path: Path, text: str) -> Path:
    path.write_text("@prefix gov: <https://w3id.org/govgraph#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dcterms: <http://purl.org/dc/terms/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                    + text)
    return path


def validate_transaction(txn, **kw):
    """The one validated write path over an open transaction, as a file load calls it."""
    return validate_change(ChangeView.of_transactions([txn]), *staged([txn]), what="import rejected", **kw)


def _all_quads(store: Store) -> set:
    return set(store.quads(None, None, None, None))


@pytest.fixture()
def disk_store(any_store):
    """The base fixture, validated, on each backend (embedded on disk, and a real `oxigraph serve`)."""
    st = any_store
    with st.begin("base") as txn:
        txn.load(BASE, fmt="turtle")
        validate_transaction(txn, check_date=DATE)
        txn.commit()
    return st


# ---------------------------------------------------------------------------- report

def test_report_json_keys_text_grouping_and_turtle(tmp_path):
    bad = _write(tmp_path / "bad.ttl", f"<{EX}dataset/x> a dcat:Dataset ; dcterms:title \"X\" .\n")
    report = validate_files([BASE, bad], check_date=DATE)
    assert not report.conforms
    data = json.loads(report.to_json())
    assert data["counts"]["Violation"] == len([f for f in report.findings if f.severity == "Violation"])
    for f in data["findings"]:
        assert set(f) == {"focus", "path", "value", "severity", "principle", "message", "shape"}
        assert isinstance(f["principle"], int) and 1 <= f["principle"] <= 12
    text = report.to_text()
    assert text.index("Principle 2:") < text.index("Principle 4:") < text.index("Principle 7:")
    assert "Violation (" in text and "Warning (" in text
    g = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(g.subjects(rdflib.RDF.type, SH.ValidationResult))) == len(report.findings)
    assert (None, SH.conforms, rdflib.Literal(False)) in g
    assert report.check_date == dt.date(2026, 11, 1)


# ---------------------------------------------------------------------------- imports

def test_rejected_import_leaves_every_quad_unchanged(disk_store, tmp_path):
    before = _all_quads(disk_store)
    bad = _write(tmp_path / "bad.ttl", f"""<{EX}dataset/new> a dcat:Dataset ; dcterms:title "New" ;
        gov:heldIn <{EX}system/mosaic> .\n""")
    from govgraph.io.load import load_files
    with pytest.raises(ValidationFailed) as e:
        load_files(disk_store, [bad], check_date=DATE)
    shapes_hit = {f.shape.split("#")[1] for f in e.value.report.violations}
    assert {"AssetOwner-owner", "DatasetClassified-classification", "DatasetDefined-description"} <= shapes_hit
    assert _all_quads(disk_store) == before
    assert [s.name for s in disk_store.sources()] == ["base"]


def test_rejected_replacement_leaves_every_quad_unchanged(disk_store):
    before = _all_quads(disk_store)
    with disk_store.begin("base", replace=True) as txn:
        txn.load(data=BASE.read_bytes().replace(b'gov:owner xperson:alice ; gov:steward', b'gov:steward'),
                 fmt="turtle")
        with pytest.raises(ValidationFailed):
            validate_transaction(txn, check_date=DATE)
    assert _all_quads(disk_store) == before


def test_warnings_pass_and_are_returned(disk_store, tmp_path):
    ok = _write(tmp_path / "warn.ttl", f"""<{EX}dataset/pupils> gov:keyDataset true .\n""")
    from govgraph.io.load import load_files
    results = load_files(disk_store, [ok], check_date=DATE)
    assert results[0].report.conforms
    assert any("key dataset" in w for w in results[0].warnings)
    assert disk_store.has_source("warn.ttl")


def test_force_commits_and_is_recorded(disk_store, tmp_path):
    bad = _write(tmp_path / "forced.ttl", f"""<{EX}dataset/pupils> gov:classification gov:Confidential .\n""")
    from govgraph.io.load import load_files
    results = load_files(disk_store, [bad], check_date=DATE, force=True)
    assert not results[0].report.conforms
    assert results[0].record.forced
    assert disk_store.history("forced.ttl")[-1].forced


def test_import_scope_is_the_change_and_its_neighbours(disk_store, tmp_path):
    with disk_store.begin("one") as txn:
        txn.load(data=f"<{EX}dataset/pupils> <https://w3id.org/govgraph#masterOf> <{EX}term/child> .".encode(),
                 fmt="ntriples")
        scope = change_scope(ChangeView.of_transactions([txn]), *staged([txn]))
        assert f"{EX}dataset/pupils" in scope and f"{EX}term/child" in scope
        assert f"{EX}flow/to-nhs" not in scope
        report = validate_transaction(txn, check_date=DATE)
        full = run(disk_store, shapes_for(check_date=DATE), graphs=txn.view())
        assert report.keys() == full.for_focus(scope).keys()
        assert any(f.shape.endswith("TwoMasters") for f in report.findings)


# ---------------------------------------------------------------------------- history

def test_reports_are_kept_per_check_date(disk_store):
    r1 = validate_store(disk_store, check_date="2026-03-31", save=True)
    r2 = validate_store(disk_store, check_date="2029-06-30", save=True)
    validate_store(disk_store, check_date="2029-06-30", save=True)  # same date replaces
    assert report_dates(disk_store) == [dt.date(2026, 3, 31), dt.date(2029, 6, 30)]
    hist = scorecard_history(disk_store)
    by = {(h.check_date, h.principle): h for h in hist}
    assert by[(dt.date(2026, 3, 31), 3)].share == 1.0
    assert by[(dt.date(2029, 6, 30), 3)].share < 1.0  # agreement expired and overdue by then
    assert by[(dt.date(2029, 6, 30), 3)].focus_nodes == r2.scorecard[3].focus_nodes
    g = load_report(disk_store, dt.date(2029, 6, 30))
    assert len(list(g.subjects(rdflib.RDF.type, SH.ValidationResult))) == len(r2.findings)
    assert r1.conforms and not r2.conforms
    # report graphs are not sources: validating again sees the same data
    assert validate_store(disk_store, check_date="2026-03-31").keys() == r1.keys()


# ---------------------------------------------------------------------------- profile, CLI

def test_new_system_profile(tmp_path):
    good = _write(tmp_path / "good.ttl", f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{EX}system/new> a gov:System ; rdfs:label "New CRM" ; dcterms:description "Customer contact." ;
          gov:owner <{EX}person/a> ; gov:custodian <{EX}person/a> ; gov:serviceArea <{EX}unit/u> ;
          gov:vendor "Acme" ; gov:hosting "supplier cloud" .
        <{EX}person/a> a <http://xmlns.com/foaf/0.1/Person> .
        <{EX}dataset/contacts> a dcat:Dataset ; gov:heldIn <{EX}system/new> ; dcterms:title "Contacts" ;
          dcterms:description "Customer contacts." ; gov:owner <{EX}person/a> ; gov:classification gov:Official .
        <{EX}field/contacts.uprn> a gov:Field ; gov:keyIdentifier true ; gov:identifierScheme <{EX}standard/uprn> .
        <{EX}flow/f> a gov:Flow ; gov:mechanism gov:API .\n""")
    assert validate_files([good], profile="new-system").findings == []
    bad = _write(tmp_path / "bad.ttl", f"""<{EX}system/new> a gov:System .
        <{EX}field/x> a gov:Field ; gov:keyIdentifier true .
        <{EX}flow/f> a gov:Flow ; gov:mechanism gov:Manual .\n""")
    shapes = {f.shape.split("#")[1] for f in validate_files([bad], profile="new-system").findings}
    assert {"NewSystem-owner", "NewSystem-label", "NewSystemKeyIdentifier", "NewSystemIntegration",
            "NewSystemHoldsData"} <= shapes


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govgraph.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_cli_validate_files_formats_and_exit_codes(tmp_path):
    ok = _cli("validate", str(BASE), "--date", DATE, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "conforms" in ok.stdout
    bad = _write(tmp_path / "bad.ttl", f"<{EX}dataset/x> a dcat:Dataset .\n")
    res = _cli("validate", str(bad), "--format", "json", "--date", DATE, cwd=tmp_path)
    assert res.returncode == 1
    assert json.loads(res.stdout)["findings"][0]["principle"] in range(1, 13)
    ttl = _cli("validate", str(bad), "--format", "turtle", cwd=tmp_path)
    assert ttl.returncode == 1 and "sh:ValidationReport" in ttl.stdout
    prof = _cli("validate", "--profile", "new-system", str(bad), cwd=tmp_path)
    assert prof.returncode == 1 and "Principle 7" in prof.stdout


def test_cli_validate_bad_inputs_are_one_line_errors(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n")
    res = _cli("validate", str(broken), cwd=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr and "broken.ttl" in res.stderr
    res = _cli("validate", str(BASE), "--date", "31/12/2026", cwd=tmp_path)
    assert res.returncode == 1 and "YYYY-MM-DD" in res.stderr and "Traceback" not in res.stderr
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<s> a sh:NodeShape ; sh:targetClass\n")
    res = _cli("validate", str(BASE), "--shapes", str(shapes), cwd=tmp_path)
    assert res.returncode == 1 and "malformed shapes file" in res.stderr and "Traceback" not in res.stderr
    res = _cli("validate", str(BASE), "--profile", "nope", cwd=tmp_path)
    assert res.returncode == 1 and "new-system" in res.stderr


def test_cli_validate_store_and_save(tmp_path, any_store_url):
    url = any_store_url
    st = Store.open(url)
    with st.begin("base") as txn:
        txn.load(BASE, fmt="turtle")
        txn.commit()
    st.close()
    res = _cli("validate", "--store", "--store-url", url, "--date", DATE, "--save", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    st = Store.open(url)
    try:
        assert report_dates(st) == [dt.date(2026, 11, 1)]
    finally:
        st.close()


# ---------------------------------------------------------------------------- DCAT-AP

@pytest.mark.parametrize("example", sorted((DCAT_AP / "examples").glob("*.ttl")), ids=lambda p: p.name)
def test_dcat_ap_shapes_run_through_the_same_engine(example):
    shapes_file = DCAT_AP / "dcat-ap-SHACL.ttl"
    report = validate_files([example], shape_files=[shapes_file])
    assert report.engine == "pyshacl"  # DCAT-AP uses sh:or / sh:node, which the SPARQL compiler hands over
    data = rdflib.Graph().parse(example)
    sg = rdflib.Graph().parse(shapes_file)
    _c, results, _t = pyshacl.validate(data, shacl_graph=sg, inference="none")
    expected = {f.key()[:4] for f in findings_from_results(results, sg) if not f.shape.startswith("_:")}
    got = {f.key()[:4] for f in report.findings if not f.shape.startswith("_:")}
    assert got == expected
    assert all(f.severity in ("Violation", "Warning", "Info") for f in report.findings)
