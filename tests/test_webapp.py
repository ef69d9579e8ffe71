"""The web viewer over the real sample estate, through Flask's test client: every route,
escaping, 404s with suggestions, and the SVG graphs; on the embedded store and on a real `oxigraph serve`."""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from govgraph import catalog, search
from govgraph.agreement_statuses import agreement_statuses
from govgraph.labels import KIND_LABELS
from govgraph.lineage.flows import system_flows
from govgraph.ontology.ns import GOV
from govgraph.webapp import create_app

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def store(module_sample_store):
    """The sample estate on each backend (embedded, and a real `oxigraph serve`)."""
    return module_sample_store


@pytest.fixture(scope="module")
def client(store):
    app = create_app({"STORE": store, "TESTING": True})
    return app.test_client()


def find(store, label: str, kind: str | None = None) -> str:
    """The IRI of the asset whose label contains ``label`` (the shortest such label)."""
    _, items = catalog.list_assets(store, text=label, kind=kind, limit=50)
    assert items, f"nothing labelled like {label!r}"
    return min(items, key=lambda a: len(a.label)).iri


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.data[:500])
    return r.get_data(as_text=True)


def asset_url(iri: str, **args) -> str:
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in args.items())
    return f"/asset?iri={quote(iri, safe='')}{extra}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ----------------------------------------------------------------------------- dashboard

def test_dashboard_counts_scorecard_agreements_and_changes(client, store):
    html = page(client, "/")
    counts = catalog.counts_by_kind(store)
    assert f"{counts['dataset']:,}" in html
    assert "Principles scorecard" in html and "Known owner and quality lead" in html
    assert "Most serious findings" in html and "tag-violation" in html
    body = text_of(html)
    assert "Sharing agreements needing attention" in body and "expired" in body
    assert "Recently changed sources" in body and "sample/" in body
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html


# ----------------------------------------------------------------------------- search

def test_search_finds_the_salt_return_first(client, store):
    html = page(client, "/search?q=SALT")
    first = re.search(r'<ol class="results".*?<a href="([^"]+)">([^<]+)</a>\s*</h3>\s*<span class="tag">([^<]+)<', html, re.S)
    assert first and first.group(2).startswith("SALT return") and first.group(3) == "Statutory return"
    assert "Type" in html and "Personal data" in html  # facets


def test_search_facets_narrow_results(client, store):
    everything = search.faceted_search(store, "")
    systems = search.faceted_search(store, "", filters={"kind": "system"})
    assert 0 < systems.total < everything.total
    html = page(client, "/search?kind=system")
    assert f"{systems.total} results" in text_of(html)
    assert "Type: System" in text_of(html)  # the active filter, removable
    mosaic = find(store, "Mosaic", "system")
    held = search.faceted_search(store, "", filters={"system": mosaic})
    shown = {i.iri for i in held.items}
    assert held.total and all(("system", mosaic) in e.facets for e in search.search_index(store) if e.iri in shown)
    html = page(client, f"/search?system={quote(mosaic, safe='')}")
    assert f"{held.total} result" in text_of(html)
    personal = search.faceted_search(store, "", filters={"personal": "yes"})
    none_personal = search.faceted_search(store, "", filters={"personal": "no"})
    assert personal.total and none_personal.total
    assert "No results" not in page(client, "/search?personal=yes")
    owners = search.faceted_search(store, "").facets["owner"]
    assert len(owners) > 8
    html = page(client, "/search")
    assert "more</summary>" in html and owners[-1].label.split("'")[0] in html  # every value reachable without JS


def test_search_paginates(client, store):
    total = search.faceted_search(store, "").total
    assert total > 20
    p1, p2 = page(client, "/search"), page(client, "/search?page=2")
    assert 'rel="next"' in p1 and 'rel="prev"' in p2
    links = lambda h: set(re.findall(r'<h3><a href="([^"]+)"', h))  # noqa: E731
    assert links(p1) and links(p2) and not links(p1) & links(p2)
    assert page(client, "/search?page=abc")  # a bad page number falls back to page 1


def test_search_with_no_match(client):
    assert "Nothing matches" in page(client, "/search?q=zzzznotathingzzzz")


# ----------------------------------------------------------------------------- asset pages

def test_every_kind_has_an_asset_page(client, store):
    kinds = [k for k in catalog.counts_by_kind(store) if k not in ("measurement", "quality-target")]
    assert {"dataset", "system", "report", "return", "person", "team", "partner", "agreement",
            "standard", "term", "flow"} <= set(kinds)
    for kind in kinds:
        _, items = catalog.list_assets(store, kind=kind, limit=1)
        html = page(client, asset_url(items[0].iri))
        assert "RDF (Turtle)" in html and "<details>" in html
        assert KIND_LABELS[kind] in html


def test_salt_return_page(client, store):
    salt = find(store, "SALT", "return")
    html = page(client, asset_url(salt))
    body = text_of(html)
    assert "Information Asset Owner" in body and "Steward" in body and "Custodian" in body
    assert "Lineage" in body and "<svg" in html and "Download SVG" in body
    svg = html[html.index("<svg"):html.index("</svg>")]
    for system in ("Mosaic", "ContrOCC", "arehouse"):
        assert system in svg, system
    assert "The same graph as a table" in body and "Validation findings" in body
    assert "@prefix" in html  # raw turtle


def test_asset_quality_against_targets(client, store):
    rows = store.select("SELECT DISTINCT ?d WHERE { ?t gov:targetFor ?d }")
    assert rows
    html = page(client, asset_url(str(rows[0]["d"])))
    assert "Quality against targets" in html
    assert "meets target" in html or "below target" in html or "not measured" in html


def test_vocabulary_term_page(client):
    html = page(client, asset_url(str(GOV.Report)))
    assert "Vocabulary term" in html


def test_turtle_download(client, store):
    salt = find(store, "SALT", "return")
    r = client.get(f"/asset.ttl?iri={quote(salt, safe='')}")
    assert r.status_code == 200 and r.mimetype == "text/turtle" and b"SALT" in r.data


# ----------------------------------------------------------------------------- lineage graphs

def test_lineage_depth_and_direction(client, store):
    salt = find(store, "SALT", "return")
    one = page(client, f"/lineage?iri={quote(salt, safe='')}&depth=1")
    three = page(client, f"/lineage?iri={quote(salt, safe='')}&depth=3")
    n = lambda h: int(re.search(r"(\d+) assets,", h).group(1))  # noqa: E731
    assert n(one) < n(three)
    up = page(client, f"/lineage?iri={quote(salt, safe='')}&depth=3&direction=up")
    assert '<option value="up" selected>' in up
    assert page(client, f"/lineage?iri={quote(salt, safe='')}&depth=banana")  # falls back to the default


def test_lineage_svg_download_is_valid_and_linked(client, store):
    mosaic = find(store, "Mosaic", "system")
    r = client.get(f"/lineage.svg?iri={quote(mosaic, safe='')}&depth=2")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert "attachment" in r.headers["Content-Disposition"] and ".svg" in r.headers["Content-Disposition"]
    root = ET.fromstring(r.data)
    assert root.tag == f"{SVG_NS}svg"
    links = root.findall(f".//{SVG_NS}a")
    # an asset's page, or for a group of more than 8 similar assets, the lineage page with that group shown in full
    groups = [a for a in links if a.get("href", "").startswith("/lineage?") and "expand=" in a.get("href")]
    assert groups, "Mosaic holds dozens of datasets: they are drawn as a group"
    assert links and all(a.get("href", "").startswith("/asset?iri=") for a in links if a not in groups)
    assert all(a.find(f"{SVG_NS}title") is not None for a in links)  # hover text on every node
    focus = [a for a in links if "focus" in a.get("class", "")]
    assert len(focus) == 1 and "Mosaic" in "".join(focus[0].itertext())
    paths = root.findall(f".//{SVG_NS}path")
    assert any(p.get("class", "").startswith("e x") for p in paths), "Mosaic shares data outside the council: a dashed edge"
    labels = [t.text for t in root.findall(f".//{SVG_NS}text") if t.get("class") == "el"]
    assert labels, "flows are labelled with their mechanism"


def test_lineage_marks_personal_data_and_findings_in_text(client, store):
    mosaic = find(store, "Mosaic", "system")
    svg = client.get(f"/lineage.svg?iri={quote(mosaic, safe='')}&depth=2").get_data(as_text=True)
    assert ">PD<" in svg or ">SC<" in svg
    assert "personal data" in svg


def test_ownership_pages(client, store):
    salt = find(store, "SALT", "return")
    html = page(client, f"/ownership?iri={quote(salt, safe='')}")
    assert "Ownership of" in html and "<svg" in html and "Owners of everything upstream" in html
    owner = catalog.get_asset(store, salt).owners or catalog.get_asset(store, find(store, "Mosaic", "system")).owners
    person = page(client, f"/ownership?iri={quote(owner[0].iri, safe='')}")
    assert "is accountable for" in person and "<svg" in person
    team = catalog.list_assets(store, kind="team", limit=50)[1]
    html = page(client, f"/ownership?iri={quote(team[0].iri, safe='')}")
    assert "Ownership of" in html
    r = client.get(f"/ownership.svg?iri={quote(salt, safe='')}")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"


def test_field_lineage(client, store):
    rows = store.select("SELECT ?d (COUNT(?f) AS ?n) WHERE { ?f gov:fieldOf ?d ; gov:derivedFromField ?u } "
                        "GROUP BY ?d ORDER BY DESC(?n) LIMIT 1")
    assert rows
    html = page(client, f"/fields?iri={quote(str(rows[0]['d']), safe='')}")
    assert "Field lineage of" in html and "Original sources" in html and "derived from" in html


# ----------------------------------------------------------------------------- registers, integrations, validation

def test_integrations_matrix_and_filter(client, store):
    html = page(client, "/integrations")
    assert "Matrix" in html and "Mechanism" in html
    mosaic = find(store, "Mosaic", "system")
    html = page(client, f"/integrations?system={quote(mosaic, safe='')}")
    flows = system_flows(store, mosaic)
    assert flows and f"Flows ({len(flows)})" in html
    assert all(mosaic in (f.source_system.iri, f.target_system.iri, f.source.iri, f.target.iri) for f in flows)
    assert len(flows) < len(system_flows(store))
    assert client.get("/integrations?system=https://nowhere.example/x").status_code == 404


def test_validation_page_groups_and_filters(client):
    html = page(client, "/validation")
    assert "Principle 7" in html and "tag-violation" in html
    only = page(client, "/validation?principle=3&severity=Violation")
    assert "Principle 3" in only and "Principle 7:" not in only
    assert 'href="/asset?iri=' in only


def test_registers(client, store):
    glossary = page(client, "/glossary")
    _, terms = catalog.list_assets(store, kind="term", limit=1)
    assert terms[0].label in glossary
    standards = page(client, "/standards")
    assert "UPRN" in standards and "NHS number" in standards
    agreements = text_of(page(client, "/agreements"))
    assert "expired" in agreements and "in force" in agreements


# ----------------------------------------------------------------------------- errors and safety

def test_unknown_iri_is_a_404_with_suggestions(client, store):
    mosaic = find(store, "Mosaic", "system")
    r = client.get(asset_url(mosaic + "x"))
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Did you mean" in html and "Mosaic" in html and 'role="search"' in html
    for url in ("/asset", "/asset?iri=", "/lineage?iri=urn:nothing", "/lineage.svg?iri=not%20an%20iri",
                "/ownership?iri=urn:x", "/fields?iri=urn:x", "/no/such/page", asset_url("<>\"'")):
        assert client.get(url).status_code == 404, url


def test_static_files(client):
    assert client.get("/static/style.css").status_code == 200
    js = client.get("/static/panzoom.js")
    assert js.status_code == 200 and b"pointerdown" in js.data


@pytest.fixture
def hostile(sample_store):
    """The sample estate plus a dataset whose title and description are HTML."""
    ds = URIRef("https://data.county.example.gov.uk/id/dataset/xss")
    mosaic = find(sample_store, "Mosaic", "system")
    with sample_store.begin("xss") as txn:
        txn.add([(ds, RDF.type, DCAT.Dataset), (ds, DCTERMS.title, Literal("<script>alert(1)</script>")),
                 (ds, DCTERMS.description, Literal('"><img src=x onerror=alert(2)>')),
                 (ds, GOV.heldIn, URIRef(mosaic))])
        txn.commit(forced=True)
    return create_app({"STORE": sample_store}).test_client(), str(ds)


def test_html_in_the_graph_renders_as_text(hostile):
    client, ds = hostile
    for url in (asset_url(ds), "/search?q=script", f"/lineage?iri={quote(ds, safe='')}",
                f"/lineage.svg?iri={quote(ds, safe='')}", "/search?q=%3Cscript%3E"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url
    html = client.get(asset_url(ds)).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    ET.fromstring(client.get(f"/lineage.svg?iri={quote(ds, safe='')}").data)  # still well-formed XML


def test_large_stores_validate_in_the_background(sample_store, monkeypatch):
    from govgraph.webapp import findings
    monkeypatch.setattr(findings, "SYNC_LIMIT", 0)  # treat the sample as a large estate
    client = create_app({"STORE": sample_store}).test_client()
    # the JSON API does not wait for it either: 503 with a time to try again (it starts the validation)
    api = client.get("/api/v1/validation?focus=" + quote("https://data.county.example.gov.uk/id/dataset/referrals", safe=""))
    assert api.status_code == 503 and api.headers["Retry-After"] == "10", api.data
    assert "first validation is still running" in api.get_json()["error"]
    first = client.get("/validation")
    assert first.status_code == 200 and b"Validation of the current data is running" in first.data
    deadline = time.monotonic() + 120
    while findings.pending(sample_store) and time.monotonic() < deadline:
        time.sleep(0.2)
    done = client.get("/validation").get_data(as_text=True)
    assert "is running" not in done and "tag-violation" in done
    assert client.get("/api/v1/validation").get_json()["findings"]


def test_integrations_flag_an_expired_agreement(client, store):
    expired = [a for a in agreement_statuses(store) if a.status == "expired" and a.flows]
    assert expired, "the sample has an expired agreement that flows still name"
    html = "".join(page(client, f"/integrations?page={n}") for n in range(1, 6))  # the table is paged
    row = next(r for r in html.split("<tr>") if expired[0].agreement.label in r)
    assert "tag-expired" in row and ">expired<" in row
