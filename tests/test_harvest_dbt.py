"""`govgraph harvest dbt`: a real dbt project (tests/fixtures/dbt_council) built with dbt-core and
dbt-duckdb in their own venv (`dbt build`, `dbt docs generate`), its artefacts harvested into real
stores through the validated write path."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from dbt.env import build_project, run_dbt
from govgraph.cli import main
from govgraph.errors import BadInput
from govgraph.harvest.config import DbtHarvest, run_dbt as harvest_run
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import source_triples
from govgraph.store import open_store

BASE = "https://data.county.example.gov.uk/id/"
GOV = "https://w3id.org/govgraph#"
DQV = "http://www.w3.org/ns/dqv#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SYSTEM = BASE + "system/warehouse"
HELEN = BASE + "person/helen-ashworth"
ESTATE = textwrap.dedent(f"""\
    @prefix gov: <{GOV}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <{HELEN}> a foaf:Person ; foaf:name "Helen Ashworth" .
    <{SYSTEM}> a gov:DataWarehouse ; rdfs:label "Council Warehouse" ; dcterms:description "The council's warehouse" ;
        gov:owner <{HELEN}> ; gov:custodian <{HELEN}> .
    """)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The council dbt project, built once for this module: its project folder (target/ inside)."""
    target = build_project(tmp_path_factory.mktemp("dbt"))
    return target.parent


@pytest.fixture
def store(disk_store, tmp_path):
    (tmp_path / "estate.ttl").write_text(ESTATE)
    load_files(disk_store, [tmp_path / "estate.ttl"], source="estate")
    return disk_store


def _job(project, **kw) -> DbtHarvest:
    ns = "duckdb://" + str(project / "council.duckdb")
    return DbtHarvest(target=str(project / "target"), system="Council Warehouse", namespace=ns,
                      run_results=str(project / "build_run_results.json"), **kw)


def _triples(store, source) -> set[tuple[str, str, str]]:
    return {(t.subject.value, t.predicate.value, t.object.value) for t in source_triples(store, source)}


def ds(name: str) -> str:
    return BASE + f"dataset/warehouse.council.{name}"


def field(name: str) -> str:
    return BASE + f"field/warehouse.council.{name}"


def test_dbt_project_harvested(store, built):
    res = harvest_run(store, _job(built))
    assert res.source == "harvest:dbt:warehouse" and res.changed
    assert res.kinds == {"exposure": 1, "model": 6, "seed": 2, "snapshot": 1, "source": 2}
    assert res.write.record.note.startswith("first harvest: 1 exposure, 6 models, 2 seeds, 1 snapshot, 2 sources, ")
    t = _triples(store, res.source)
    ns = "duckdb://" + str(built / "council.duckdb")
    # datasets named as OpenLineage's dbt integration names them: database.schema.name
    for name in ("main.fct_referrals", "main.stg_children", "main.schools", "mosaic.children",
                 "snapshots.children_snapshot"):
        assert (ds(name), GOV + "alias", f"{ns}/council.{name}") in t
        assert (ds(name), GOV + "heldIn", SYSTEM) in t
    assert (ds("main.fct_referrals"), GOV + "objectKind", "model") in t
    assert (ds("mosaic.children"), GOV + "objectKind", "source") in t
    assert (ds("main.cin_census_return"), RDF_TYPE, GOV + "StatutoryReturn") in t
    assert (ds("main.fct_referrals"), "http://purl.org/dc/terms/description",
            "One row per referral with the child's details.") in t
    # the exposure: a report on the dashboard's page, derived from the mart
    report = BASE + "dataset/warehouse.exposures.childrens_services_dashboard"
    assert (report, RDF_TYPE, GOV + "Report") in t
    assert (report, "http://www.w3.org/ns/dcat#landingPage", "https://bi.example.gov.uk/dashboards/childrens-services") in t
    assert (report, PROV + "wasDerivedFrom", ds("main.mart_children_in_need")) in t
    # fields: types from catalog.json, descriptions from the manifest
    assert (field("main.fct_referrals.nhs_number"), GOV + "physicalType", "BIGINT") in t
    assert (field("main.fct_referrals.age_at_referral"), "http://purl.org/dc/terms/description",
            "Age in whole years on the day of the referral.") in t
    assert (field("main.stg_children.date_of_birth"), GOV + "physicalType", "DATE") in t
    # table lineage from depends_on, field lineage from the compiled SQL
    assert {o for s, p, o in t if s == ds("main.fct_referrals") and p == PROV + "wasDerivedFrom"} == {
        ds("main.stg_referrals"), ds("main.stg_children"), ds("main.referral_sources")}
    assert (ds("main.stg_children"), PROV + "wasDerivedFrom", ds("mosaic.children")) in t
    derived = GOV + "derivedFromField"
    assert (field("main.fct_referrals.nhs_number"), derived, field("main.stg_children.nhs_number")) in t
    assert (field("main.cin_census_return.nhsnumber"), derived, field("main.fct_referrals.nhs_number")) in t
    assert {o for s, p, o in t if s == field("main.fct_referrals.age_at_referral") and p == derived} == {
        field("main.stg_children.date_of_birth"), field("main.stg_referrals.referral_date")}
    assert (field("main.fct_referrals.referral_source"), derived, field("main.referral_sources.label")) in t
    # owners: a person in the store is linked; one who is not is a finding, not a link
    assert (ds("main.stg_children"), GOV + "owner", HELEN) in t
    assert (ds("mosaic.children"), GOV + "owner", HELEN) in t
    assert not any(s == ds("main.fct_referrals") and p == GOV + "owner" for s, p, _ in t)
    assert "main.fct_referrals: owner 'Priya Natarajan' is not a person in the store: not linked " \
           "(record the person, or correct the name where it is written)" in res.warnings
    # personal data suggested from column names
    assert any(s == field("mosaic.children.nhs_number") and p == GOV + "looksPersonal" for s, p, _ in t)


def _measurements(t, dataset):
    out = {}
    for m, p, o in t:
        if p == DQV + "computedOn" and o == dataset:
            metric = next(o2 for s2, p2, o2 in t if s2 == m and p2 == DQV + "isMeasurementOf")
            value = next(o2 for s2, p2, o2 in t if s2 == m and p2 == DQV + "value")
            words = next(o2 for s2, p2, o2 in t if s2 == m and p2.endswith("#comment"))
            out[metric.rsplit("#", 1)[1]] = (float(value), words)
    return out


def test_dbt_tests_and_documentation_as_quality_measurements(store, built):
    res = harvest_run(store, _job(built))
    t = _triples(store, res.source)
    m = _measurements(t, ds("main.stg_referrals"))
    assert m["uniquenessRate"] == (1.0, "1 of 1 dbt tests passed: unique(referral_id)")
    assert m["validityRate"] == (1.0, "1 of 1 dbt tests passed: accepted_values(outcome)")
    assert m["documentationCoverage"] == (0.167, "described; 0 of 5 columns described")
    m = _measurements(t, ds("main.fct_referrals"))
    assert m["consistencyRate"] == (1.0, "1 of 1 dbt tests passed: relationships(child_id)")
    assert m["documentationCoverage"][0] == 0.333  # described, 2 of 8 columns
    assert set(_measurements(t, ds("mosaic.children"))) == {"uniquenessRate", "completenessRate", "documentationCoverage"}
    # the build's time, as dbt recorded it
    at = json.loads((built / "build_run_results.json").read_text())["metadata"]["generated_at"]
    # compared as times: the store keeps an xsd:dateTime in canonical form (dbt's "...18.720770Z" reads back
    # "...18.72077Z": this failed whenever dbt's microseconds ended in a zero)
    when = dt.datetime.fromisoformat(at)
    assert any(p == PROV + "generatedAtTime" and dt.datetime.fromisoformat(o) == when for _, p, o in t)
    # without a test run's results (docs generate overwrote run_results.json): said, not guessed
    job = _job(built, source="harvest:dbt:no-tests")
    job.run_results = None
    res2 = harvest_run(store, job)
    assert any(w.startswith("14 dbt tests have no outcome in ") and "(its command: generate)" in w
               for w in res2.warnings), res2.warnings
    t2 = _triples(store, res2.source)
    assert set(_measurements(t2, ds("main.stg_referrals"))) == {"documentationCoverage"}


def test_no_change_no_revision_and_a_changed_model_in_words(store, built, tmp_path):
    first = harvest_run(store, _job(built))
    rev = store.revision
    again = harvest_run(store, _job(built))
    assert not again.changed and store.revision == rev and "unchanged (nothing written)" in again.line()
    # the project changes: stg_schools gains a column and loses one; dbt runs again
    project = tmp_path / "changed"
    shutil.copytree(built, project)
    sql = project / "models" / "staging" / "stg_schools.sql"
    sql.write_text("select school_urn, school_name, postcode, upper(phase) as phase_code\nfrom {{ ref('schools') }}\n")
    run_dbt(project, "run", "--select", "stg_schools")
    run_dbt(project, "docs", "generate")
    job = _job(project, source=first.source)
    job.namespace = "duckdb://" + str(built / "council.duckdb")  # the same warehouse, named the same
    job.run_results = str(built / "build_run_results.json")
    res = harvest_run(store, job)
    assert res.changed and store.revision == rev + 1
    note = res.write.record.note
    assert "added 1 column (main.stg_schools.phase_code)" in note and "removed 1 column (main.stg_schools.phase)" in note
    assert [r.note for r in store.history(first.source)][-1] == note


def test_unsupported_manifest_version_refused_by_name(store, built, tmp_path):
    target = tmp_path / "old" / "target"
    shutil.copytree(built / "target", target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v7.json"
    manifest["metadata"]["dbt_version"] = "1.3.2"
    (target / "manifest.json").write_text(json.dumps(manifest))
    rev = store.revision
    with pytest.raises(BadInput, match=r"manifest/v7\.json \(dbt 1\.3\.2\) is not supported"):
        harvest_run(store, DbtHarvest(target=str(target), system="Council Warehouse"))
    assert store.revision == rev
    with pytest.raises(BadInput, match="no manifest.json"):
        harvest_run(store, DbtHarvest(target=str(tmp_path), system="Council Warehouse"))


def test_openlineage_events_of_the_dbt_run_meet_the_harvested_models(store, built):
    harvest_run(store, _job(built))
    ns = "duckdb://" + str(built / "council.duckdb")
    ev = {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
          "run": {"runId": "1c6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a70"},
          "job": {"namespace": "dbt", "name": "council.main.council_warehouse.fct_referrals"},
          "inputs": [{"namespace": ns, "name": "council.main.stg_children"}],
          "outputs": [{"namespace": ns, "name": "council.main.fct_referrals"}],
          "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/dbt",
          "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
    ingest_event(store, ev)
    run = ox.NamedNode(BASE + "run/1c6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a70")
    used = {q.object.value for q in store.quads(run, ox.NamedNode(PROV + "used"), None, None)}
    made = {q.object.value for q in store.quads(run, ox.NamedNode(PROV + "generated"), None, None)}
    assert used == {ds("main.stg_children")} and made == {ds("main.fct_referrals")}


def test_cli_and_config(tmp_path, built):
    url = f"oxigraph:{tmp_path / 'store'}"
    (tmp_path / "estate.ttl").write_text(ESTATE)
    with open_store(url) as s:
        load_files(s, [tmp_path / "estate.ttl"], source="estate")
    ns = "duckdb://" + str(built / "council.duckdb")
    r = CliRunner().invoke(main, ["harvest", "dbt", str(built / "target"), "--system", "Council Warehouse",
                                  "--namespace", ns, "--store", url])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("harvest:dbt:warehouse: 1 exposure, 6 models, 2 seeds, 1 snapshot, 2 sources, ")
    # run_results.json of `docs generate` has no test outcomes: said so
    assert "dbt tests have no outcome in" in r.output
    (tmp_path / "harvest.toml").write_text(textwrap.dedent(f"""\
        [[dbt]]
        target = "{built / 'target'}"
        system = "Council Warehouse"
        namespace = "{ns}"
        run_results = "{built / 'build_run_results.json'}"
        source = "harvest:dbt:council"
        """))
    r = CliRunner().invoke(main, ["harvest", "--config", str(tmp_path / "harvest.toml"), "--store", url, "-q"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("harvest:dbt:council: 1 exposure, 6 models") and "first harvest" in r.output
    r = CliRunner().invoke(main, ["history", "--source", "harvest:dbt:council", "--store", url])
    assert r.exit_code == 0 and "first harvest: 1 exposure, 6 models, 2 seeds, 1 snapshot, 2 sources" in r.output
    (tmp_path / "bad.toml").write_text('[[dbt]]\nsystem = "Council Warehouse"\n')
    r = CliRunner().invoke(main, ["harvest", "--config", str(tmp_path / "bad.toml"), "--store", url])
    assert r.exit_code != 0 and "[[dbt]] entry 1: needs target and system" in r.output


def test_unparsable_sql_and_no_catalog_keep_what_is_known(store, built, tmp_path):
    target = tmp_path / "odd" / "target"
    shutil.copytree(built / "target", target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["nodes"]["model.council_warehouse.mart_children_in_need"]["compiled_code"] = "select ((( from where"
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "catalog.json").unlink()
    res = harvest_run(store, DbtHarvest(target=str(target), system="Council Warehouse", namespace="duckdb://x"))
    assert any(w.startswith("model mart_children_in_need: sqlglot cannot parse its compiled SQL") for w in res.warnings)
    assert "no catalog.json (run `dbt docs generate`): column types unknown, columns only as documented" in res.warnings
    t = _triples(store, res.source)
    # the mart keeps its table-level lineage from depends_on; documented columns are still fields, untyped
    assert (ds("main.mart_children_in_need"), PROV + "wasDerivedFrom", ds("main.fct_referrals")) in t
    assert not any(s.startswith(field("main.mart_children_in_need.")) and p == GOV + "derivedFromField"
                   for s, p, _ in t)
    assert (field("main.fct_referrals.age_at_referral"), "http://www.w3.org/2000/01/rdf-schema#label",
            "age_at_referral") in t
    assert not any(p == GOV + "physicalType" for _, p, _ in t)
