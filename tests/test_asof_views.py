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


def test_asset_page_as_of_each_earlier_moment(estate):
    client, (load, change, removal) = estate
    iri = BASE + "assessments"
    assert "<h1>Assessments</h1>" in get(client, "/asset", iri=iri, asof=load.at.isoformat()).get_data(as_text=True)
    page = get(client, "/asset", iri=iri, asof=change.at.isoformat()).get_data(as_text=True)
    assert "<h1>Single assessments</h1>" in page and "As it was on" in page
    assert get(client, "/asset", iri=iri).status_code == 404  # removed today
    gone = get(client, "/asset", iri=iri, asof=removal.at.isoformat())
    assert gone.status_code == 404 and "was not recorded on" in gone.get_data(as_text=True)
    # the CIN return came with the change: not there at the first load
    r = get(client, "/asset", iri=BASE + "cin-return", asof=load.at.isoformat())
    assert r.status_code == 404 and "was not recorded on" in r.get_data(as_text=True)


def test_a_moment_later_today_is_in_the_future(estate):
    import datetime as dt
    client, _ = estate
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    for path in ("/asset", "/lineage"):
        r = get(client, path, iri=BASE + "assessments", asof=later)
        assert r.status_code == 400 and "in the future" in r.get_data(as_text=True)
    r = get(client, "/sparql", query=DATASETS, format="json", asof=later)
    assert r.status_code == 400 and "in the future" in r.get_data(as_text=True)


def test_cli_asof_each_earlier_moment_and_bad_dates(tmp_path):
    from click.testing import CliRunner
    from govgraph.cli import main
    from govgraph.store import open_store
    url = f"oxigraph:{tmp_path / 'store'}"
    st = open_store(url)
    load, change, removal = write(st, V1, False), write(st, V2, True), st.remove_source("childrens")
    st.close()

    def run(*args):
        return CliRunner().invoke(main, [*args, "--store", url])
    at = lambda rec: rec.at.isoformat()  # noqa: E731
    r = run("info", BASE + "assessments", "--asof", at(load))
    assert r.exit_code == 0 and r.output.startswith("Assessments"), r.output
    assert run("info", "Single assessments", "--asof", at(change)).output.startswith("Single assessments")
    r = run("info", BASE + "assessments", "--asof", at(removal))
    assert r.exit_code == 1 and "unknown asset" in r.output
    r = run("lineage", BASE + "cin-return", "--up", "--asof", at(change), "--format", "json")
    assert r.exit_code == 0, r.output
    assert {n["label"] for n in json.loads(r.output)["nodes"]} >= {"Referrals", "Single assessments"}
    r = run("lineage", BASE + "assessments", "--down", "--asof", at(load), "--format", "json")
    assert r.exit_code == 0 and "CIN census return" not in r.output, r.output
    assert run("lineage", BASE + "cin-return", "--asof", at(load)).exit_code == 1
    r = run("impact", BASE + "referrals", "--asof", at(change), "--format", "json")
    assert r.exit_code == 0 and "CIN census return" in r.output, r.output
    r = run("path", "Referrals", "CIN census return", "--asof", at(change))
    assert r.exit_code == 0 and "Single assessments" in r.output, r.output
    r = run("query", "--asof", at(load), "--format", "csv", DATASETS)
    assert r.output.split() == ["t", "Assessments", "Referrals"]
    import datetime as dt
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    for asof, text in (("2001-01-01", "before the first recorded change"), ("2999-01-01", "in the future"),
                       (later, "in the future"), ("2026-02-30", "not a date"), ("soon", "not a date")):
        for args in (["query", "ASK { ?s ?p ?o }"], ["info", BASE + "assessments"], ["lineage", BASE + "assessments"]):
            r = run(*args, "--asof", asof)
            assert r.exit_code == 1 and text in r.output and r.output.count("\n") == 1, (args, asof, r.output)


def test_concurrent_requests_for_one_past_state_share_one_copy(any_store):
    from concurrent.futures import ThreadPoolExecutor
    load, _ = write(any_store, V1, False), write(any_store, V2, True)
    history._PAST.clear()
    with ThreadPoolExecutor(6) as pool:
        copies = list(pool.map(lambda _: history.estate_asof(any_store, load.at)[0], range(6)))
    assert all(c is copies[0] for c in copies)  # built once, not once per waiting request


def test_a_long_query_as_of_a_date_is_really_stopped(any_store):
    """An as-of estate is held in memory; its queries run in worker processes over a disk copy,
    so the time limit stops an aggregate that yields nothing until the end."""
    import time
    load = write(any_store, V2, False)
    app = create_app({"STORE": any_store, "TESTING": True, "SPARQL_TIMEOUT": 2.0, "SPARQL_WORKERS": 1})
    client = app.test_client()
    try:
        assert titles(get(client, "/sparql", query=DATASETS, format="json", asof=load.at.isoformat())) == [
            "CIN census return", "Referrals", "Single assessments"]
        cross = " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(12))  # (triples)^12 rows
        t0 = time.monotonic()
        r = get(client, "/sparql", query=f"SELECT (COUNT(*) AS ?n) WHERE {{ {cross} }}", format="json",
                asof=load.at.isoformat())
        assert r.status_code == 422 and time.monotonic() - t0 < 10, r.get_data(as_text=True)
        pool = app.extensions["govgraph.query_service"].started_pool
        assert pool.stats.killed == 1
    finally:
        sparql.shutdown(app)
