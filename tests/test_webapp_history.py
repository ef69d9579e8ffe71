"""The asset page's History section and its as-of view, through the Flask test client."""
from __future__ import annotations

import urllib.parse

import pytest

from govgraph.webapp import create_app

BASE = "https://data.county.example.gov.uk/id/"
V1 = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<{BASE}dataset/roads> a dcat:Dataset ; dcterms:title "Road defects" ; dcterms:description "Potholes reported." ."""
V2 = V1.replace("Road defects", "Highway defects").replace("Potholes reported.", "Potholes and cracks reported.")


def write(store, data: str, replace: bool):
    with store.begin("roads", replace=replace) as txn:
        txn.load(data=data.encode(), fmt="turtle")
        return txn.commit()


@pytest.fixture
def client_and_records(any_store):
    first = write(any_store, V1, False)
    second = write(any_store, V2, True)
    app = create_app({"STORE": any_store, "TESTING": True})
    return app.test_client(), first, second


def page(client, **args):
    return client.get("/asset?" + urllib.parse.urlencode({"iri": BASE + "dataset/roads", **args}))


def test_history_section_lists_each_change(client_and_records):
    client, first, second = client_and_records
    body = page(client).get_data(as_text=True)
    assert 'id="history"' in body
    assert body.count("<td>load") == 1 and body.count("<td>replace") == 1
    assert "+ title: Highway defects" in body and "− title: Road defects" in body.replace("&minus;", "−")


def test_asof_shows_the_asset_as_it_was(client_and_records):
    client, first, second = client_and_records
    old = page(client, asof=first.at.isoformat()).get_data(as_text=True)
    assert "As it was on" in old and "<h1>Road defects</h1>" in old and "Highway defects</h1>" not in old
    now = page(client, asof=second.at.isoformat()).get_data(as_text=True)
    assert "<h1>Highway defects</h1>" in now


@pytest.mark.parametrize("asof,status,text", [
    ("2001-01-01", 400, "before the first recorded change"),
    ("2999-01-01", 400, "in the future"),
    ("last week", 400, "not a date"),
])
def test_bad_asof_dates_are_clear_400s(client_and_records, asof, status, text):
    client, *_ = client_and_records
    r = page(client, asof=asof)
    assert r.status_code == status and text in r.get_data(as_text=True)
