"""As-of views of the whole estate: the lineage and ownership pages and the SPARQL endpoint
"as of" a past date, after loading, changing and removing (issue 8)."""
from __future__ import annotations

import html
import json
import re
import urllib.parse

import pytest

from govgraph import history
from govgraph.webapp import create_app, sparql

BASE = "https://data.county.example.gov.uk/id/dataset/"
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> ."""
V1 = PREFIXES + f"""
<{BASE}referrals> a dcat:Dataset ; dcterms:title "Referrals" .
<{BASE}assessments> a dcat:Dataset ; dcterms:title "Assessments" ; prov:wasDerivedFrom <{BASE}referrals> ."""
V2 = V1.replace('"Assessments"', '"Single assessments"') + f"""
<{BASE}cin-return> a dcat:Dataset ; dcterms:title "CIN census return" ; prov:wasDerivedFrom <{BASE}assessments> ."""
DATASETS = "SELECT ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t } ORDER BY ?t"


def write(store, data: str, replace: bool):
    with store.begin("childrens", replace=replace) as txn:
        txn.load(data=data.encode(), fmt="turtle")
        return txn.commit()


@pytest.fixture
def estate(any_store):
    """(test client, [load, change, removal]) with today's estate empty."""
    records = [write(any_store, V1, False), write(any_store, V2, True), any_store.remove_source("childrens")]
    app = create_app({"STORE": any_store, "TESTING": True})
    yield app.test_client(), records
    sparql.shutdown(app)


def get(client, path, **args):
    return client.get(path + "?" + urllib.parse.urlencode(args))


def titles(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [b["t"]["value"] for b in json.loads(resp.get_data())["results"]["bindings"]]


def test_lineage_page_as_of_each_earlier_moment(estate):
    client, (load, change, removal) = estate
    iri = BASE + "assessments"
    first = get(client, "/lineage", iri=iri, asof=load.at.isoformat())
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and "As it was on" in body
    assert "Lineage of Assessments" in body and "Referrals" in body and "CIN census return" not in body
    second = get(client, "/lineage", iri=iri, asof=change.at.isoformat()).get_data(as_text=True)
    assert "Lineage of Single assessments" in second and "CIN census return" in second
    # links on a past page keep the date, and the depth form carries it
    links = [urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(h)).query)
             for h in re.findall(r'href="(/asset\?[^"]+)"', second)]
    assert links and all(q.get("asof") == [change.at.isoformat()] for q in links)
    assert f'name="asof" value="{change.at.isoformat()}"' in second
    # today the source is gone
    assert get(client, "/lineage", iri=iri).status_code == 404
    assert get(client, "/lineage", iri=iri, asof=removal.at.isoformat()).status_code == 404


def test_lineage_svg_and_ownership_as_of(estate):
    client, (load, change, _) = estate
    svg = get(client, "/lineage.svg", iri=BASE + "cin-return", asof=change.at.isoformat())
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "Referrals" in svg.get_data(as_text=True)
    assert get(client, "/lineage.svg", iri=BASE + "cin-return", asof=load.at.isoformat()).status_code == 404
    own = get(client, "/ownership", iri=BASE + "assessments", asof=load.at.isoformat())
    assert own.status_code == 200 and "Ownership of Assessments" in own.get_data(as_text=True)


def test_sparql_as_of_each_earlier_moment(estate):
    client, (load, change, removal) = estate
    ask = lambda **a: get(client, "/sparql", query=DATASETS, format="json", **a)
    assert titles(ask(asof=load.at.isoformat())) == ["Assessments", "Referrals"]
    r = ask(asof=change.at.isoformat())
    assert titles(r) == ["CIN census return", "Referrals", "Single assessments"]
    assert r.headers["X-As-Of"] == change.at.isoformat()
    assert titles(ask(asof=removal.at.isoformat())) == []
    assert titles(ask()) == [] and "X-As-Of" not in ask().headers
    # a date (end of that day) after the last change is today's estate
    assert titles(ask(asof=removal.at.date().isoformat())) == []


def test_sparql_as_of_over_post_and_on_the_query_page(estate):
    client, (load, _, _) = estate
    r = client.post("/sparql?" + urllib.parse.urlencode({"asof": load.at.isoformat()}), data=DATASETS,
                    content_type="application/sparql-query", headers={"Accept": "application/sparql-results+json"})
    assert titles(r) == ["Assessments", "Referrals"]
    page = client.get("/sparql?" + urllib.parse.urlencode({"query": DATASETS, "asof": load.at.isoformat()}),
                      headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Results as the directory was on" in page and "Referrals" in page


@pytest.mark.parametrize("asof,text", [
    ("2001-01-01", "before the first recorded change"),
    ("2999-01-01", "in the future"),
    ("yesterday", "not a date"),
])
def test_bad_asof_dates_are_clear_400s(estate, asof, text):
    client, _ = estate
    r = get(client, "/sparql", query=DATASETS, format="json", asof=asof)
    assert r.status_code == 400 and text in r.get_data(as_text=True) and r.mimetype == "text/plain"
    r = get(client, "/lineage", iri=BASE + "assessments", asof=asof)
    assert r.status_code == 400 and text in r.get_data(as_text=True)


def test_past_estate_is_built_once_per_past_state(any_store):
    load, change = write(any_store, V1, False), write(any_store, V2, True)
    a, _ = history.estate_asof(any_store, load.at)
    b, _ = history.estate_asof(any_store, load.at.isoformat())
    assert a is b  # same past state, same copy
    c, _ = history.estate_asof(any_store, change.at)
    assert c is not a and c.triple_count() > a.triple_count()
    # a later write does not change what the past looked like, nor the cached copy
    write(any_store, V1, True)
    assert history.estate_asof(any_store, load.at)[0] is a
