"""The JSON API and write API: every route matches the OpenAPI document, responses follow its
schemas, tokens and roles are enforced, and refused writes leave the store unchanged."""
from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from govgraph.auth import hash_token
from govgraph.io.load import load_files
from govgraph.store import open_store
from govgraph.webapp import create_app
from support import tokened_app

ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"
BASE = "https://data.county.example.gov.uk/id/"


@pytest.fixture
def app(tmp_path, any_store):
    st = any_store
    load_files(st, [ESTATE], force=True)
    app = tokened_app(st, tmp_path)
    return app


def auth(app, role):
    return {"Authorization": "Bearer " + app.tokens[role]}


def test_tokens_are_stored_hashed(app, tmp_path):
    text = (tmp_path / "tokens").read_text()
    for tok in app.tokens.values():
        assert tok not in text and hash_token(tok) in text


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_documented_and_every_documented_route_exists(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/v1", "/sparql", "/catalog.")):
            routes.setdefault(_openapi_path(rule.rule), set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {p: {m for m in ops if m in ("get", "post", "put", "delete")} for p, ops in doc["paths"].items()}
    assert routes == documented


GETS = [
    ("/api/v1/assets?kind=dataset", "AssetPage"), ("/api/v1/search?q=road", "AssetPage"),
    ("/api/v1/asset?iri=Road defects", "Asset"), ("/api/v1/lineage/upstream?iri=Referrals dashboard", "Lineage"),
    ("/api/v1/lineage/downstream?iri=Children's referrals&depth=2", "Lineage"),
    ("/api/v1/lineage/impact?iri=Mosaic", "Impact"),
    ("/api/v1/lineage/path?from=Children's referrals&to=Referrals dashboard", "Paths"),
    ("/api/v1/validation", "Validation"), ("/api/v1/sources", "Sources"),
    ("/api/v1/sources/estate.ttl", "Source"),
]


@pytest.mark.parametrize("url,schema", GETS)
def test_responses_follow_the_document(app, url, schema):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    r = app.test_client().get(url)
    assert r.status_code == 200, r.data
    jsonschema.validate(r.get_json(), {"$ref": f"#/components/schemas/{schema}", "components": doc["components"]})


def test_content_of_answers(app):
    c = app.test_client()
    assert c.get("/api/v1/search?q=road").get_json()["items"][0]["iri"] == BASE + "dataset/road-defects"
    a = c.get("/api/v1/asset?iri=Road defects").get_json()
    assert [o["label"] for o in a["owners"]] == ["Ann Owner"]
    up = c.get("/api/v1/lineage/upstream?iri=Referrals dashboard").get_json()
    assert BASE + "dataset/referrals" in {n["iri"] for n in up["nodes"]}
    paths = c.get("/api/v1/lineage/path?from=Children's referrals&to=Referrals dashboard").get_json()
    assert paths["paths"] and paths["paths"][0][0] == BASE + "dataset/referrals"


@pytest.mark.parametrize("url,status", [("/api/v1/asset?iri=no such thing", 404), ("/api/v1/asset", 400),
                                        ("/api/v1/assets?limit=abc", 400), ("/api/v1/assets?kind=spaceship", 400),
                                        ("/api/v1/lineage/path?from=Mosaic", 400), ("/api/v1/sources/nope", 404)])
def test_bad_requests_are_clear_json(app, url, status):
    r = app.test_client().get(url)
    assert r.status_code == status and r.get_json()["error"]


TTL = (f'<{BASE}term/parking> a <http://www.w3.org/2004/02/skos/core#Concept> ;'
       ' <http://www.w3.org/2004/02/skos/core#prefLabel> "Parking" .')
BAD = f'<{BASE}dataset/orphan> a <http://www.w3.org/ns/dcat#Dataset> .'


def test_write_api_roles_and_validation(app):
    c = app.test_client()
    st = app.extensions["govgraph.store"]
    rev = st.revision
    put = lambda body, role=None, ctype="text/turtle": c.put(  # noqa: E731
        "/api/v1/sources/api/terms", data=body, content_type=ctype, headers=auth(app, role) if role else {})
    assert put(TTL).status_code == 401
    assert c.put("/api/v1/sources/api/terms", data=TTL, content_type="text/turtle",
                 headers={"Authorization": "Bearer nope"}).status_code == 401
    assert put(TTL, "reader").status_code == 403
    assert put(TTL, "editor", "text/csv").status_code == 415
    assert put("<not turtle", "editor").status_code == 400
    r = put(BAD, "editor")
    assert r.status_code == 422 and r.get_json()["report"]["findings"]
    assert st.revision == rev
    r = put(TTL, "editor")
    assert r.status_code == 201 and r.get_json()["changed"]
    assert put(TTL, "editor").status_code == 200  # the same content again: unchanged
    assert c.delete("/api/v1/sources/api/terms", headers=auth(app, "editor")).status_code == 403
    assert c.delete("/api/v1/sources/api/terms", headers=auth(app, "admin")).status_code == 200
    assert not st.has_source("api/terms")


def test_sparql_update(app):
    c = app.test_client()
    st = app.extensions["govgraph.store"]
    upd = lambda text, role="editor", source="api/terms": c.post(  # noqa: E731
        f"/sparql/update?source={source}", data=text, content_type="application/sparql-update",
        headers=auth(app, role))
    assert upd(f"INSERT DATA {{ {TTL} }}", "reader").status_code == 403
    r = upd(f"INSERT DATA {{ {TTL} }}")
    assert r.status_code == 200 and r.get_json()["changed"], r.data
    r = upd(f'DELETE {{ ?t skos:prefLabel ?l }} INSERT {{ ?t skos:prefLabel "Car parking" }} WHERE {{ ?t skos:prefLabel ?l }}')
    assert r.status_code == 200
    assert st.ask(f'ASK {{ <{BASE}term/parking> skos:prefLabel "Car parking" }}')
    rev = st.revision
    for text, words in ((f"INSERT DATA {{ {BAD} }}", "violation"), ("LOAD <http://example.org/x.ttl>", "LOAD"),
                        ("INSERT DATA { GRAPH <urn:govgraph:meta> { <urn:a> <urn:b> <urn:c> } }", "GRAPH"),
                        ("INSERT DATA { <urn:a> <urn:b> ", "syntax"), ("SELECT * WHERE { ?s ?p ?o }", "not a SPARQL Update")):
        r = upd(text)
        assert r.status_code in (400, 422) and words in r.get_json()["error"] + str(r.get_json().get("report")), text
    assert st.revision == rev
    r = c.post("/sparql/update?source=x", data="INSERT DATA {}", content_type="text/plain", headers=auth(app, "editor"))
    assert r.status_code == 415


def test_writes_disabled_without_token_file():
    st = open_store("memory:")
    app = create_app({"STORE": st})
    r = app.test_client().put("/api/v1/sources/x", data=TTL, content_type="text/turtle",
                              headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403
