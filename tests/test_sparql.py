"""/sparql against a live server on 127.0.0.1: real clients (SPARQLWrapper, rdflib SPARQLStore),
the same queries against ``oxigraph serve`` on the same data, and every kind of bad input."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib

from govgraph.io.sparql_text import inspect
from support import ESTATE, PREFIXES, OxigraphServer, get, make_server  # noqa: F401



@pytest.fixture(scope="module")
def server(module_store):
    """A live /sparql over each backend (embedded on disk, and a real `oxigraph serve` behind govgraph)."""
    srv = make_server(module_store, SPARQL_TIMEOUT=3.0, SPARQL_MAX_BYTES=200_000, SPARQL_MAX_QUERY_CHARS=20_000)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory):
    """``oxigraph serve`` holding the same data, as the same named graph as in govgraph."""
    d = tmp_path_factory.mktemp("oxserve")
    assert shutil.which("oxigraph"), "the oxigraph CLI (pip package oxigraph, a test extra) is not installed"
    subprocess.run(["oxigraph", "load", "--location", str(d), "--file", str(ESTATE),
                    "--graph", "urn:govgraph:source:estate.ttl"], check=True, capture_output=True)
    server = OxigraphServer(d, extra_args=("--union-default-graph",)).start()
    yield server.url
    server.stop()


def q(server, query: str, accept: str | None = None) -> tuple[int, str, bytes]:
    return get(server.url + "/sparql?" + urllib.parse.urlencode({"query": query}), accept)


# ----------------------------------------------------------------------------- real clients

COMPARED = {
    "owners": "SELECT ?d ?owner WHERE { ?d a dcat:Dataset ; gov:owner/foaf:name ?owner } ORDER BY ?d",
    "no-owner": "SELECT ?d WHERE { ?d a dcat:Dataset FILTER NOT EXISTS { ?d gov:owner ?o } } ORDER BY ?d",
    "upstream-path": "SELECT ?up WHERE { ?r a gov:Report ; prov:wasDerivedFrom+ ?up } ORDER BY ?up",
    "partner-flows": """SELECT ?f ?d WHERE { ?f a gov:Flow ; gov:carries ?d ; gov:target ?t .
                        ?t a gov:Partner . ?d dpv:hasPersonalData ?pd } ORDER BY ?f""",
    "count-by-class": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c",
    "ask": "ASK { ?s a gov:Flow }",
    "optional-lang": "SELECT ?s ?l WHERE { ?s a foaf:Person OPTIONAL { ?s foaf:name ?l } } ORDER BY ?s",
}


def _bindings(data: dict) -> object:
    if "boolean" in data:
        return data["boolean"]
    return [{k: (v["type"], v["value"], v.get("datatype"), v.get("xml:lang")) for k, v in b.items()}
            for b in data["results"]["bindings"]]


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_same_results_as_oxigraph_serve(server, reference_server, name):
    query = PREFIXES + COMPARED[name]
    s1, _, ours = q(server, query, "application/sparql-results+json")
    s2, _, theirs = get(reference_server + "/query?" + urllib.parse.urlencode({"query": query}),
                        "application/sparql-results+json")
    assert (s1, s2) == (200, 200)
    a, b = json.loads(ours), json.loads(theirs)
    assert _bindings(a) == _bindings(b)
    if "boolean" not in a:
        assert a["results"]["bindings"], "the comparison must cover a non-empty result"


def test_sparqlwrapper_select_and_construct(server):
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(PREFIXES + "SELECT ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t } ORDER BY ?t")
    sw.setReturnFormat(JSON)
    titles = [b["t"]["value"] for b in sw.query().convert()["results"]["bindings"]]
    assert "Road defects" in titles and titles == sorted(titles)
    sw.setMethod("POST")
    sw.setQuery(PREFIXES + "CONSTRUCT { ?d a dcat:Dataset } WHERE { ?d a dcat:Dataset }")
    sw.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == len(titles)


def test_rdflib_sparqlstore(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    st = SPARQLStore(server.url + "/sparql", returnFormat="xml")
    rows = list(st.query(PREFIXES + "SELECT ?p WHERE { ?p a foaf:Person ; foaf:name ?n } ORDER BY ?n"))
    assert [str(r[0]) for r in rows] == ["https://data.county.example.gov.uk/id/person/ann",
                                         "https://data.county.example.gov.uk/id/person/sam"]


@pytest.mark.parametrize("accept,marker", [
    ("application/sparql-results+json", b'"bindings"'), ("application/sparql-results+xml", b"<sparql"),
    ("text/csv", b"t\r\n"), ("text/tab-separated-values", b"?t\n")])
def test_select_formats(server, accept, marker):
    status, ctype, body = q(server, PREFIXES + "SELECT ?t WHERE { ?d dcterms:title ?t }", accept)
    assert status == 200 and ctype.startswith(accept) and marker in body


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                        ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")])
def test_construct_formats(server, accept, fmt):
    status, ctype, body = q(server, PREFIXES + "DESCRIBE <https://data.county.example.gov.uk/id/dataset/road-defects>",
                            accept)
    assert status == 200 and ctype.startswith(accept)
    assert len(rdflib.Graph().parse(data=body, format=fmt)) > 5


def test_post_forms(server):
    query = PREFIXES + "ASK { ?s a gov:Flow }"
    s1, _, b1 = get(server.url + "/sparql", "application/sparql-results+json", "POST",
                    urllib.parse.urlencode({"query": query}).encode(), "application/x-www-form-urlencoded")
    s2, _, b2 = get(server.url + "/sparql", "application/sparql-results+json", "POST", query.encode(),
                    "application/sparql-query")
    assert (s1, s2) == (200, 200) and json.loads(b1)["boolean"] is True and json.loads(b2)["boolean"] is True


def test_dataset_parameters_restricted_to_sources(server):
    graph = "urn:govgraph:source:estate.ttl"
    base = PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    s, _, body = get(server.url + "/sparql?" + urllib.parse.urlencode({"query": base, "default-graph-uri": graph}),
                     "application/sparql-results+json")
    assert s == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 50
    for hidden in ("urn:govgraph:meta", "urn:govgraph:audit"):
        s, _, body = get(server.url + "/sparql?" + urllib.parse.urlencode({"query": base, "default-graph-uri": hidden}))
        assert s == 400 and b"unknown graph" in body
        s, _, body = q(server, f"SELECT * FROM <{hidden}> WHERE {{ ?s ?p ?o }}")
        assert s == 400
        s, _, body = q(server, f"SELECT * WHERE {{ GRAPH <{hidden}> {{ ?s ?p ?o }} }}", "text/csv")
        assert s == 200 and body.strip().count(b"\n") == 0  # header only: no rows


def test_service_description_and_page(server):
    s, ctype, body = get(server.url + "/sparql", "text/turtle")
    g = rdflib.Graph().parse(data=body, format="turtle")
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert s == 200 and (None, rdflib.RDF.type, SD.Service) in g
    assert (None, SD.name, rdflib.URIRef("urn:govgraph:source:estate.ttl")) in g
    s, ctype, body = get(server.url + "/sparql", "text/html")
    assert s == 200 and b"Datasets with no owner" in body and b"prov:wasDerivedFrom+" in body
    s, ctype, body = q(server, PREFIXES + "SELECT ?t WHERE { ?d dcterms:title ?t }", "text/html")
    assert s == 200 and b"Road defects" in body


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("query,status,words", [
    ("SELECT * WHERE { ?s ?p }", 400, b"syntax error"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 400, b"read-only"),
    ("DELETE WHERE { ?s ?p ?o }", 400, b"read-only"),
    ("LOAD <http://example.org/data.ttl>", 400, b"read-only"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 400, b"SERVICE"),
    ("select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }", 400, b"SERVICE"),
    ("", 400, b"empty"),
])
def test_bad_queries(server, query, status, words):
    s, _, body = q(server, query)
    assert s == status and words in body


def test_service_word_inside_strings_is_not_refused(server):
    s, _, body = q(server, 'SELECT ?service WHERE { BIND("SERVICE <x>" AS ?service) } # SERVICE', "text/csv")
    assert s == 200 and b"SERVICE <x>" in body


def test_lexer_sees_keywords_only_as_tokens():
    assert inspect("SELECT * WHERE { ?s <http://x/SERVICE> 'LOAD' ; ex:service ?service }").refused == []
    assert inspect("PREFIX : <urn:> SELECT * { SeRvIcE <urn:x> { ?s ?p ?o } }").refused
    assert inspect("# comment\nPREFIX a: <urn:a#>\n INSERT DATA {}").form == "UPDATE"
    assert inspect("PREFIX a: <urn:a#> SELECT * FROM a:g FROM NAMED <urn:n> {}").from_graphs == ["urn:a#g"]


def test_wrong_content_type_and_accept(server):
    s, _, body = get(server.url + "/sparql", None, "POST", b"query", "text/plain")
    assert s == 415
    s, _, body = get(server.url + "/sparql", None, "POST", b"INSERT DATA {}", "application/sparql-update")
    assert s == 400 and b"read-only" in body
    s, _, body = q(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "image/png")
    assert s == 406


def test_huge_query_refused(server):
    s, _, body = q(server, "SELECT * WHERE { ?s ?p ?o } #" + "x" * 30_000)
    assert s in (413, 414) or (s == 400)


def test_deep_property_path_is_answered_or_limited(server):
    path = "/".join(["prov:wasDerivedFrom*"] * 40)
    s, _, body = q(server, PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a {path} ?b }}", "text/csv")
    assert s in (200, 422)


def test_result_size_limit(server):
    s, _, body = q(server, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", "text/csv")
    assert s == 422 and b"larger than the limit" in body


def test_long_query_is_really_stopped(server):
    """A cross join that would run for minutes is killed at the 3 s limit, and the server keeps answering."""
    assert q(server, "ASK { ?s ?p ?o }")[0] == 200  # the pool starts with the first query
    pool = server.app.extensions["govgraph.query_service"].started_pool  # none on a remote store: the server runs queries
    pool_before = pool.stats.killed if pool else 0
    t0 = time.monotonic()
    s, _, body = q(server, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }")
    took = time.monotonic() - t0
    assert s == 422 and b"time limit" in body and took < 10
    if pool:
        assert pool.stats.killed == pool_before + 1
    s, _, body = q(server, "ASK { ?s ?p ?o }", "application/sparql-results+json")
    assert s == 200 and json.loads(body)["boolean"] is True


def test_queries_see_committed_writes(any_store):
    """The read-only workers reopen the store after each commit (embedded); the server sees it at once (remote)."""
    from govgraph.io.write import write_source
    import pyoxigraph as ox
    srv = make_server(any_store)
    try:
        st = srv.app.extensions["govgraph.store"]
        ask = "ASK { <https://data.county.example.gov.uk/id/term/new> ?p ?o }"
        assert json.loads(q(srv, ask, "application/sparql-results+json")[2])["boolean"] is False
        write_source(st, "extra", [ox.Triple(ox.NamedNode("https://data.county.example.gov.uk/id/term/new"),
                                             ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                                             ox.Literal("New"))], who="test")
        assert json.loads(q(srv, ask, "application/sparql-results+json")[2])["boolean"] is True
    finally:
        srv.stop()


def test_memory_store_runs_in_thread():
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    from govgraph.webapp import create_app
    st = open_store("memory:")
    load_files(st, [ESTATE], force=True)
    app = create_app({"STORE": st})
    r = app.test_client().get("/sparql", query_string={"query": "ASK { ?s a <https://w3id.org/govgraph#Flow> }"},
                              headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.get_json()["boolean"] is True
