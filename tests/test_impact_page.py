"""Impact (what breaks if a system or dataset goes): the inbound feeds that would need a new home
and the agreements affected, in the library call, the /impact page and its CSV, the API and the CLI."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from govgraph import lineage
from govgraph.cli import main
from govgraph.lineage.live_graph import get_graph
from govgraph.webapp import create_app

ID = "https://data.county.example.gov.uk/id/"
CAPITA = ID + "system/capita-one"


@pytest.fixture(scope="module")
def client(module_sample_store):
    return create_app({"STORE": module_sample_store, "TESTING": True}).test_client()


def test_inbound_feeds_of_capita_one(module_sample_store):
    res = lineage.impact(module_sample_store, CAPITA)
    lg = get_graph(module_sample_store)
    start = set(res.starting_set)
    feeds = res.inbound
    sources = {f["source_label"] for f in feeds}
    assert {"Shire Constabulary", "Ashdown District Council", "DfE Eligibility Checking Service"} <= sources
    for f in feeds:
        assert f["target"] in start and f["source"] not in start  # into Capita ONE from elsewhere
        assert lg.g.has_edge(f["source"], f["target"])
        assert f["source_external"] == lg.is_external(f["source"])
    flows = [f["flow"] for f in feeds if f["flow"]]
    assert len(flows) == len(set(flows)), "a flow met at the system and at its dataset is one feed"
    # the most precise ends: the dataset it lands in, not the system
    police = next(f for f in feeds if f["source_label"] == "Shire Constabulary")
    assert police["target_label"] == "Capita ONE - Operation Encompass notifications"
    assert police["agreement_label"] == "Operation Encompass information sharing agreement"


def test_agreements_affected(module_sample_store):
    res = lineage.impact(module_sample_store, CAPITA)
    labels = [a["label"] for a in res.agreements]
    assert labels == sorted(labels, key=str.casefold)
    assert "Operation Encompass information sharing agreement" in labels
    assert "Free school meals auto-enrolment: council tax reduction data" in labels
    fsm = next(a for a in res.agreements if a["label"].startswith("Free school meals"))
    assert len(fsm["flows"]) == 4 and fsm["in_force"] and fsm["parties"]
    # an agreement whose flows neither start in what is affected nor touch Capita ONE is not listed
    assert "Disabled Facilities Grant referrals: occupational therapy information sharing" not in labels
    d = res.to_dict()  # the JSON carries both lists
    assert d["inbound"] == res.inbound and d["agreements"] == res.agreements
    # a dataset inside the council: what feeds it are the datasets it is derived from, listed by name
    extract = lineage.impact(module_sample_store, "Capita ONE - Pupil census extract")
    assert [f["source_label"] for f in extract.inbound] == [
        "Capita ONE - Free school meals eligibility", "Capita ONE - Pupil records", "Capita ONE - School enrolments",
        "Capita ONE - SEN support and EHC plans"]
    assert all(f["kind"] == "derived" and not f["source_external"] for f in extract.inbound)


def test_page_links_and_csv(client):
    r = client.get("/asset?iri=" + quote(CAPITA, safe=""))
    assert 'href="/impact?iri=' + CAPITA + '"' in r.get_data(as_text=True)
    r = client.get("/impact?iri=" + quote(CAPITA, safe=""))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "What breaks if Capita ONE is retired or changed" in html
    assert "Inbound feeds needing a new home (8)" in html and "Shire Constabulary" in html
    assert "Operation Encompass information sharing agreement" in html
    assert "Owners to notify" in html
    rows = list(csv.reader(io.StringIO(client.get("/impact.csv?iri=" + quote(CAPITA, safe="")).get_data(as_text=True))))
    assert rows[0] == ["what", "label", "kind", "steps away", "held in", "IRI", "detail"]
    whats = {r[0] for r in rows[1:]}
    assert {"dataset", "report", "return", "owner", "inbound feed", "agreement"} <= whats
    res = lineage.impact(client.application.extensions["govgraph.store"], CAPITA)
    assert len(rows) - 1 == sum(g.count for g in res.groups.values()) + len(res.inbound) + len(res.agreements)
    assert client.get("/impact?iri=" + quote(ID + "system/nope", safe="")).status_code == 404
    assert client.get("/impact").status_code == 404


def test_api_and_cli(client, sample_store_url):
    data = client.get("/api/v1/lineage/impact?iri=" + quote(CAPITA, safe="")).get_json()
    assert len(data["inbound"]) == 8 and data["agreements"]
    r = CliRunner().invoke(main, ["impact", "Capita ONE"], env={"GOVGRAPH_STORE": sample_store_url},
                           catch_exceptions=False)
    assert r.exit_code == 0
    assert "inbound feeds needing a new home: 8" in r.output and "Shire Constabulary ->" in r.output
    assert "agreements affected:" in r.output
    r = CliRunner().invoke(main, ["impact", "Capita ONE", "--format", "json"], env={"GOVGRAPH_STORE": sample_store_url},
                           catch_exceptions=False)
    assert len(json.loads(r.output)["inbound"]) == 8
