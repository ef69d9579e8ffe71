"""Absolute URLs come from the configured base URL, never from the Host header (issue 21, finding 12)."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.errors import BadInput
from govgraph.webapp import create_app
from govgraph.webapp.base_url import base_url_for, parse_base_url

EVIL = "evil.attacker.example"
TTL = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix gov: <https://w3id.org/govgraph#> .
<https://data.county.example.gov.uk/id/dataset/roads> a dcat:Dataset, gov:InformationAsset ;
    dcterms:title "Roads" ; dcterms:description "Road defects" ."""


@pytest.fixture
def store(memory_store):
    with memory_store.begin("roads.ttl") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit(forced=True)
    return memory_store


def _urls(app) -> list[tuple[str, dict]]:
    """Every GET route without parameters, plus answers that are redirects or carry absolute URLs."""
    urls = [(r.rule, {}) for r in app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and not r.rule.startswith("/static")]
    return urls + [
        ("/sparql", {"Accept": "text/turtle"}),               # service description
        ("/sparql", {"Accept": "application/ld+json"}),
        ("/catalog.jsonld", {}), ("/catalog.ttl", {}), ("/api/v1/openapi.json", {}),
        ("/reports", {}),                                      # redirect to /reports/
        ("/reports//ropa", {}), ("/api//v1/sources", {}),      # redirects merging slashes
        ("/asset?iri=https://data.county.example.gov.uk/id/dataset/roads", {}),
        ("/no/such/page", {}),
    ]


@pytest.mark.parametrize("base", ["https://data.example.gov.uk/", "http://127.0.0.1:8080/"])
def test_a_forged_host_header_appears_in_no_answer(store, base):
    app = create_app({"STORE": store, "BASE_URL": base})
    c = app.test_client()
    seen_base = 0
    redirects = 0
    for url, headers in _urls(app):
        for forged in ({"Host": EVIL}, {"Host": f"{EVIL}:8443", "X-Forwarded-Host": EVIL,
                                        "X-Forwarded-Proto": "https", "Forwarded": f"host={EVIL}"}):
            r = c.get(url, headers={**headers, **forged})
            text = r.get_data(as_text=True) + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
            assert EVIL not in text, f"{url} answers with the forged host ({r.status_code})"
            seen_base += base.rstrip("/") in text
            if 300 <= r.status_code < 400:
                redirects += 1
                loc = r.headers["Location"]
                assert not re.match(r"^[a-z]+://", loc) or loc.startswith(base), loc
    assert redirects >= 6  # /reports, /reports//ropa and /api//v1/sources, with each header set
    assert seen_base >= 10  # catalogue, service description and OpenAPI name the configured base
    ttl = c.get("/catalog.ttl", headers={"Host": EVIL}).get_data(as_text=True)
    assert f"<{base}catalog" in ttl or f"{base}catalog" in ttl


def test_a_base_url_path_is_the_prefix_of_every_absolute_url(store):
    base = "https://example.org/govgraph/"
    c = create_app({"STORE": store, "BASE_URL": base}).test_client()
    sd = c.get("/govgraph/sparql", headers={"Accept": "text/turtle", "Host": EVIL}).get_data(as_text=True)
    assert f"<{base}sparql>" in sd and EVIL not in sd
    same = c.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)  # a proxy that strips it
    assert f"<{base}sparql>" in same
    r = c.get("/govgraph/reports", headers={"Host": EVIL})
    assert r.status_code in (301, 308) and r.headers["Location"] in (f"{base}reports/", "/govgraph/reports/")


def test_the_default_base_url_comes_from_the_bind_address():
    assert base_url_for("127.0.0.1", 8080) == "http://127.0.0.1:8080/"
    assert base_url_for("::1", 9000) == "http://[::1]:9000/"
    assert parse_base_url("https://data.example.gov.uk/") == ("https", "data.example.gov.uk", "443", "")
    assert parse_base_url("http://h:81/a/b/") == ("http", "h:81", "81", "/a/b")
    for bad in ("ftp://x/", "data.example.gov.uk", "https:///", "https://x/?q=1", "https://u:p@x/", "http://h:99999/"):
        with pytest.raises(BadInput):
            parse_base_url(bad)


def test_serve_refuses_a_bad_base_url(tmp_path):
    r = CliRunner().invoke(main, ["serve", "--store", f"oxigraph:{tmp_path / 's'}", "--base-url", "javascript:alert(1)"])
    assert r.exit_code != 0 and "base URL" in r.output
    assert not (tmp_path / "s").exists()  # refused before the store was opened
