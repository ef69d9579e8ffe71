"""People and teams: what they are accountable for, by role and counted, leavers flagged, on the person
page and in `govgraph info` (issue 19 item 5); on the sample estate."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.responsibilities import responsibilities
from govgraph.webapp import create_app

ID = "https://data.county.example.gov.uk/id/"
HELEN, GILLIAN, SEND = ID + "person/helen-ashworth", ID + "person/gillian-frost", ID + "unit/send"


@pytest.fixture(scope="module")
def store(module_sample_store):
    return module_sample_store


@pytest.fixture(scope="module")
def client(store):
    return create_app({"STORE": store, "TESTING": True}).test_client()


def owned_in_data(store, iri: str, prop: str = "owner") -> set[str]:
    return {str(r["a"]) for r in store.select(f"SELECT ?a WHERE {{ ?a gov:{prop} <{iri}> }}")}


def test_responsibilities_by_role_and_leavers(store):
    helen = responsibilities(store, HELEN)
    groups = helen.by_role()
    assert set(groups) == {"owner"}
    assert {a.iri for _, a in groups["owner"]} == owned_in_data(store, HELEN) and len(groups["owner"]) > 30
    assert helen.left_on == {} and helen.left() == []
    gillian = responsibilities(store, GILLIAN)
    assert gillian.left_on == {GILLIAN: "2025-08-31"}
    assert [p.iri for p in gillian.left("2025-09-01")] == [GILLIAN]
    assert gillian.left("2025-08-30") == []  # not gone yet on that date
    team = responsibilities(store, SEND)
    assert {"owner", "service area"} <= set(team.by_role())
    assert all(h.iri != SEND for h, _ in team.by_role()["owner"])  # the members' assets, through them


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end)]


def test_a_person_page_leads_with_what_they_answer_for(client, store):
    html = client.get(f"/asset?iri={HELEN}").get_data(as_text=True)
    assert html.index('id="accountable"') < html.index('id="findings"') < html.index('id="properties"')
    part = section(html, 'id="accountable"', 'id="findings"')
    owned = owned_in_data(store, HELEN)
    assert f"Information Asset Owner <span class=\"hint\">({len(owned)})</span>" in part
    links = set(re.findall(r'<li><a href="/asset\?iri=([^"&]+)"', part))
    assert len(links) == len(owned)
    # the owner links are no longer repeated under "referred to by"
    assert "Information Asset Owner <span class=\"hint\">these give" not in html
    assert "Left" not in part


def test_a_leaver_is_flagged(client):
    html = client.get(f"/asset?iri={GILLIAN}").get_data(as_text=True)
    part = section(html, 'id="accountable"', 'id="findings"')
    assert "left the council on 31 August 2025" in part and "Elective home education" in part


def test_a_team_page_lists_its_members_roles(client):
    part = section(client.get(f"/asset?iri={SEND}").get_data(as_text=True), 'id="accountable"', 'id="findings"')
    assert "through Hannah Reeves" in part and "Service area" in part


@pytest.fixture
def run(sample_store_url):
    def _run(*args):
        return CliRunner().invoke(main, list(args), env={"GOVGRAPH_STORE": sample_store_url}, catch_exceptions=False)
    return _run


@pytest.mark.parametrize("sample_store_url", ["embedded"], indirect=True)
def test_info_lists_what_a_person_answers_for(run, store):
    r = run("info", "Helen Ashworth")
    assert r.exit_code == 0, r.output
    n = len(owned_in_data(store, HELEN))
    assert f"Accountable for {n} asset(s): Information Asset Owner {n}" in r.output
    assert r.output.index("Accountable for") < r.output.index("All properties")
    assert "Adult social care front door dashboard  [report]" in r.output
    r = run("info", "Gillian Frost")
    assert "LEFT on 2025-08-31" in r.output
    d = json.loads(run("info", "Gillian Frost", "--format", "json").output)
    assert d["left_on"] == {GILLIAN: "2025-08-31"} and len(d["accountable_for"]["owner"]) == 1
    r = run("info", "Mosiac")
    assert r.exit_code != 0 and "did you mean: Mosaic [system]" in r.output
