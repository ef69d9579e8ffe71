"""/sparql as other tools use it: SPARQLWrapper in its default mode (``format``/``output``/``results``
beside ``Accept``), ``Accept`` against those parameters, one query per request, HEAD; and, with the
store on a real ``oxigraph serve``, nothing but standard SPARQL 1.1 sent to the server (issue 20,
items 3 and 5). Both backends, live servers on 127.0.0.1."""
from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid
import xml.dom.minidom
from pathlib import Path

import pytest
import rdflib

from govgraph.io import sparql_guard
from govgraph.ontology.ns import PREFIXES as PREDECLARED
from support import PREFIXES, get, make_server

DATASETS = PREFIXES + "SELECT ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t } ORDER BY ?t"
GRAPH = PREFIXES + "CONSTRUCT { ?d a dcat:Dataset ; dcterms:title ?t } WHERE { ?d a dcat:Dataset ; dcterms:title ?t }"
SYNTAX = Path(__file__).resolve().parent.parent.parent / "shared" / "standards" / "sparql-tests" / "syntax-query"


@pytest.fixture(scope="module")
def server(module_store):
    srv = make_server(module_store, SPARQL_TIMEOUT=10.0)
    srv.remote = module_store.remote
    yield srv
    srv.stop()


def _titles(server) -> list[str]:
    s, _, body = get(server.url + "/sparql?" + urllib.parse.urlencode({"query": DATASETS}),
                     "application/sparql-results+json")
    assert s == 200
    return [b["t"]["value"] for b in json.loads(body)["results"]["bindings"]]


# ----------------------------------------------------------------------------- SPARQLWrapper, default mode

@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_default_mode_select(server, method):
    """onlyConneg=False (the default): format=, output=, results= sent beside Accept."""
    from SPARQLWrapper import JSON, XML, SPARQLWrapper
    sw = SPARQLWrapper(server.url + "/sparql")
    assert sw.onlyConneg is False
    sw.setMethod(method)
    sw.setQuery(DATASETS)
    sw.setReturnFormat(JSON)
    titles = [b["t"]["value"] for b in sw.query().convert()["results"]["bindings"]]
    assert titles == _titles(server) and "Road defects" in titles
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert isinstance(doc, xml.dom.minidom.Document)
    assert [n.firstChild.data for n in doc.getElementsByTagName("literal")] == titles


@pytest.mark.parametrize("fmt", ["turtle", "n3", "json-ld", "rdf+xml", "xml"])
def test_sparqlwrapper_default_mode_construct(server, fmt):
    from SPARQLWrapper import SPARQLWrapper
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(GRAPH)
    sw.setReturnFormat(fmt)
    res = sw.query()
    ctype = res.info()["content-type"]
    out = res.convert()
    if isinstance(out, rdflib.Graph):  # RDF/XML and JSON-LD come back parsed
        g = out
    else:  # Turtle as bytes
        g = rdflib.Graph().parse(data=out, format="turtle")
    expected = {"turtle": "text/turtle", "n3": "text/turtle", "json-ld": "application/ld+json",
                "rdf+xml": "application/rdf+xml", "xml": "application/rdf+xml"}[fmt]
    assert ctype.startswith(expected)
    assert len(g) == 2 * len(_titles(server))


# ----------------------------------------------------------------------------- Accept and format

def _ask(server, params: dict, accept: str | None, query: str = DATASETS, method: str = "GET"):
    url = server.url + "/sparql?" + urllib.parse.urlencode({"query": query, **params}, doseq=True)
    return get(url, accept, method)


@pytest.mark.parametrize("query,params,accept,expected", [
    # Accept names a format this query has: it wins
    (DATASETS, {"format": "json"}, "application/sparql-results+xml", "application/sparql-results+xml"),
    (DATASETS, {"output": "xml", "results": "xml"}, "text/csv", "text/csv"),
    (GRAPH, {"format": "turtle"}, "application/ld+json", "application/ld+json"),
    # no Accept, */*, or a browser's: the parameter decides (the query page's own "Results as")
    (DATASETS, {"format": "xml"}, None, "application/sparql-results+xml"),
    (DATASETS, {"output": "csv"}, "*/*", "text/csv"),
    (DATASETS, {"format": "csv"}, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/csv"),
    (GRAPH, {"format": "json-ld"}, "*/*", "application/ld+json"),
    (GRAPH, {"results": "rdf+xml"}, None, "application/rdf+xml"),
    (GRAPH, {"format": "xml"}, "*/*", "application/rdf+xml"),
    (GRAPH, {"format": "json"}, None, "application/ld+json"),
    (GRAPH, {"format": "n3"}, "*/*;q=0.1", "text/turtle"),
    # SPARQLWrapper's pair for RDF/XML and JSON-LD: the short name, then the media type
    (GRAPH, {"format": ["json-ld", "application/ld+json"]}, "*/*", "application/ld+json"),
    # Accept names nothing this form has: the parameter still answers
    (GRAPH, {"format": "turtle"}, "application/sparql-results+json", "text/turtle"),
    # no parameter: Accept, and the defaults
    (DATASETS, {}, None, "application/sparql-results+json"),
    (GRAPH, {}, "*/*", "text/turtle"),
])
def test_accept_wins_over_format_parameters(server, query, params, accept, expected):
    s, ctype, body = _ask(server, params, accept, query)
    assert s == 200 and ctype.startswith(expected), (s, ctype, body[:200])


@pytest.mark.parametrize("query,params,accept,words", [
    (DATASETS, {"format": "turtle"}, None, b"cannot answer a SELECT query as 'turtle'"),
    (DATASETS, {"format": "turtle"}, "*/*", b"cannot answer a SELECT query"),
    (DATASETS, {"format": "pdf"}, None, b"unknown format 'pdf'"),
    (GRAPH, {}, "image/png", b"cannot answer a CONSTRUCT query"),
])
def test_formats_that_do_not_fit_are_406(server, query, params, accept, words):
    s, _, body = _ask(server, params, accept, query)
    assert s == 406 and words in body


# ----------------------------------------------------------------------------- one query, HEAD

def test_several_query_parameters_are_400(server):
    s, _, body = get(server.url + "/sparql?query=ASK%7B%7D&query=SELECT%20*%20%7B%7D")
    assert s == 400 and b"2 'query' parameters" in body
    s, _, body = get(server.url + "/sparql", None, "POST", b"query=ASK%7B%7D&query=ASK%7B%7D",
                     "application/x-www-form-urlencoded")
    assert s == 400 and b"2 'query' parameters" in body
    s, _, body = get(server.url + "/sparql?query=ASK%7B%7D", None, "POST", b"query=ASK%7B%7D",
                     "application/x-www-form-urlencoded")
    assert s == 400 and b"2 'query' parameters" in body
    s, _, body = get(server.url + "/sparql?query=ASK%7B%7D", None, "POST", b"ASK {}", "application/sparql-query")
    assert s == 400 and b"two queries" in body
    s, _, body = get(server.url + "/sparql?query=ASK%7B%7D", "application/sparql-results+json")
    assert s == 200 and json.loads(body)["boolean"] is True


def _head(server, path: str, accept: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("HEAD", path, headers={"Accept": accept} if accept else {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_head_answers_as_get_without_a_body(server):
    path = "/sparql?" + urllib.parse.urlencode({"query": DATASETS})
    s, headers, body = _head(server, path, "text/csv")
    g_status, g_ctype, g_body = get(server.url + path, "text/csv")
    assert (s, g_status) == (200, 200) and body == b""
    assert headers["Content-Type"] == g_ctype and int(headers["Content-Length"]) == len(g_body)
    s, headers, body = _head(server, "/sparql?" + urllib.parse.urlencode({"query": "SELECT * { ?s ?p }"}))
    assert s == 400 and body == b""
    s, headers, body = _head(server, "/sparql", "text/turtle")  # the service description
    assert s == 200 and headers["Content-Type"].startswith("text/turtle") and body == b""


# ----------------------------------------------------------------------------- no pass-through (remote)

PRAGMA = "DEFINE input:default-graph-uri <urn:govgraph:meta> SELECT * WHERE { ?s ?p ?o } LIMIT 5"
NAMED_PRAGMA = ("DEFINE input:named-graph-uri <urn:govgraph:audit> "
                "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5")


@pytest.mark.parametrize("query,words", [
    (PRAGMA, b"'DEFINE' (line 1, column 1) is not standard SPARQL 1.1"),
    (NAMED_PRAGMA, b"'DEFINE' (line 1, column 1)"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 5\nOPTION (QUIETCAST)", b"'OPTION' (line 2, column 1)"),
])
def test_server_pragmas_are_refused(server, query, words):
    """Refused on both backends (Oxigraph cannot parse them either); on a remote store, before the server sees them."""
    s, _, body = _ask(server, {}, "application/sparql-results+json", query)
    assert s == 400
    if server.remote:
        assert words in body and b"Virtuoso's DEFINE pragmas are refused" in body


@pytest.mark.parametrize("query,words", [
    ("SELECT ?s WHERE { ?s ?p ?o FILTER(bif:contains(?o, 'road')) } LIMIT 5", b"the undeclared prefix bif:"),
    ("SELECT ?s WHERE { ?s ?p ?o FILTER(sql:x(?o)) } LIMIT 5", b"the undeclared prefix sql:"),
    ("PREFIX b: <bif:> SELECT ?s WHERE { ?s ?p ?o FILTER(b:contains(?o, 'road')) } LIMIT 5",
     b"the extension function <bif:contains>"),
    ("SELECT ?s WHERE { ?s ?p ?o FILTER(<http://example.org/f>(?o)) } LIMIT 5",
     b"the extension function <http://example.org/f>"),
])
def test_extensions_are_refused_for_a_remote_store(server, query, words):
    """A remote server could map its own prefixes and functions onto anything; an embedded store runs
    the same texts in Oxigraph, which knows no such prefix or function (a 400 of its own)."""
    s, _, body = _ask(server, {}, "application/sparql-results+json", query)
    assert s == 400
    if server.remote:
        assert words in body, body
    else:
        assert b"not standard SPARQL 1.1" not in body, body  # Oxigraph's own error: strict mode is for remote stores


@pytest.mark.parametrize("query", [
    DATASETS,
    GRAPH,
    PREFIXES + "SELECT ?d (xsd:integer(COUNT(?p)) AS ?n) WHERE { ?d a dcat:Dataset OPTIONAL { ?d gov:owner ?p } } "
               "GROUP BY ?d ORDER BY ?d",
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT (xsd:string(1) AS ?one) WHERE {}",
    PREFIXES + "ASK { ?r a gov:Report ; prov:wasDerivedFrom+ ?up FILTER(STRSTARTS(STR(?up), 'https')) }",
    "SELECT ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t } ORDER BY ?t",  # predeclared prefixes only
])
def test_standard_queries_still_run(server, query):
    s, _, body = _ask(server, {}, "application/sparql-results+json, text/turtle;q=0.9", query)
    assert s == 200, body


def test_hidden_graphs_stay_unreadable(server):
    """Every standard way to name the registry or audit graph is refused or sees nothing."""
    for hidden in ("urn:govgraph:meta", "urn:govgraph:audit"):
        s, _, _ = _ask(server, {"default-graph-uri": hidden}, "text/csv", "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert s == 400
        s, _, _ = _ask(server, {}, "text/csv", f"SELECT * FROM <{hidden}> WHERE {{ ?s ?p ?o }} LIMIT 1")
        assert s == 400
        s, _, body = _ask(server, {}, "text/csv", f"SELECT * WHERE {{ GRAPH <{hidden}> {{ ?s ?p ?o }} }} LIMIT 1")
        assert s == 200 and body.strip().count(b"\n") == 0


# ----------------------------------------------------------------------------- the strict parser itself

def _syntax_tests() -> list[tuple[str, str, bool]]:
    MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    g = rdflib.Graph().parse(SYNTAX / "manifest.ttl", format="turtle", publicID=(SYNTAX / "manifest.ttl").as_uri())
    out = []
    for t in g.subjects(MF.action, None):
        kind = str(g.value(t, rdflib.RDF.type)).rsplit("#", 1)[1]
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(str(g.value(t, MF.action))).path))
        out.append((path.name, path.read_bytes().decode("utf-8", "surrogateescape"), kind.startswith("Positive")))
    return sorted(out)


def test_strict_mode_accepts_the_w3c_positive_syntax_tests():
    """Every positive SPARQL 1.1 query syntax test of the W3C suite passes strict mode, but the one
    calling an extension function (by design); the verdict is cached per text."""
    prefixes = {p: str(ns) for p, ns in PREDECLARED.items()}
    refused = {name: sparql_guard.refusal(text, strict=True, predeclared=prefixes)
               for name, text, positive in _syntax_tests() if positive}
    assert len(refused) == 63
    assert {n: w for n, w in refused.items() if w} == {
        "syntax-select-expr-04.rq": "the extension function <http://example/function> " + sparql_guard.NOT_STANDARD}
    hits = sparql_guard._refusal_strict.cache_info().hits
    text = DATASETS + f"\n# a text not seen before {uuid.uuid4()}"
    sparql_guard.refusal(text, strict=True, predeclared=prefixes)
    sparql_guard.refusal(text, strict=True, predeclared=prefixes)
    assert sparql_guard._refusal_strict.cache_info().hits == hits + 1


def test_negative_syntax_tests_never_answer(server):
    """The W3C negative syntax tests: none is answered, on either backend (strict mode refuses 21 of the
    31 itself; the rest are grammatical but break scoping or VALUES rules, which the engine refuses)."""
    negatives = [(n, t) for n, t, positive in _syntax_tests() if not positive]
    assert len(negatives) == 31
    for name, text in negatives:
        url = server.url + "/sparql?" + urllib.parse.urlencode({"query": text.encode("utf-8", "surrogateescape")})
        s, _, body = get(url, "application/sparql-results+json")
        assert s == 400, (name, s, body)
