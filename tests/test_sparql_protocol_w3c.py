"""The W3C SPARQL 1.1 Protocol tests (``../shared/standards/sparql-tests/protocol``) against a live
govgraph ``/sparql``, on both backends (embedded, and a real ``oxigraph serve`` behind govgraph).

Each test of the manifest is one or more HTTP exchanges (``ht:Request``: method, path, headers,
body and its character encoding) with the expected status class, result format and boolean. They
are sent as written, with ``http.client`` (which adds no header of its own but Host, Content-Length
and Accept-Encoding), to ``/sparql`` in place of the manifest's ``/sparql/``.

Two adaptations, both allowed by the manifest's own comment and needed by govgraph's design:

* govgraph keeps each loaded source in a named graph ``urn:govgraph:source:<name>`` and reads
  only those graphs (its registry and audit graphs are never readable). The suite's data files
  are loaded as sources named after their graphs (``data1.rdf`` ...), and the graph IRIs in the
  ``default-graph-uri`` / ``named-graph-uri`` parameters are mapped to those source graphs. The
  suite names ``data0.rdf`` in six query tests without giving data for it (the queries do not
  depend on its content); govgraph refuses a graph it does not hold (400 "unknown graph", so a
  typo is not an empty answer) and loads no empty source, so it is loaded holding one triple in
  the pattern of the others (``<data0.rdf> a foaf:Document``).
* The update tests do not apply to ``/sparql``, a read-only endpoint: govgraph takes SPARQL
  Update at ``/sparql/update``, with a bearer token, applied to one named source and validated
  (no ``CLEAR ALL``, no protocol dataset). They are run all the same, and must get the
  read-only endpoint's refusal (a 4xx naming ``/sparql/update``); ``NOT_APPLICABLE`` says why,
  test by test. The ``bad_update_*`` tests (and ``bad_multiple_updates``) expect a 4xx, which that
  refusal is, so they pass there, but prove only that ``/sparql`` writes nothing; so they are run
  against ``/sparql/update`` as well, with an editor's token and ``source=data1.rdf`` added (the
  parameter govgraph's update requires), where each must be a 4xx too.
"""
from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib

from govgraph.auth import TokenFile
from govgraph.store import source_graph_iri
from support import LiveServer

SUITE = Path(__file__).resolve().parent.parent.parent / "shared" / "standards" / "sparql-tests" / "protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DATA = "http://kasei.us/2009/09/sparql/data/"

#: Tests that do not apply to a read-only query endpoint, and why.
UPDATE_ELSEWHERE = ("an update: /sparql is read-only; govgraph applies SPARQL Update at /sparql/update "
                    "(bearer token, one named source, validated), not to the whole dataset")
NOT_APPLICABLE = {name: UPDATE_ELSEWHERE for name in (
    "update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
    "update_dataset_full", "update_post_form", "update_post_direct", "update_base_uri")}


def _list(g: rdflib.Graph, head) -> list:
    return list(rdflib.collection.Collection(g, head))


def load_manifest() -> tuple[rdflib.Graph, list[tuple[str, rdflib.term.Node]]]:
    g = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    tests = [(str(t).rsplit("#", 1)[1], t) for t in _list(g, g.value(manifest, MF.entries))]
    return g, tests


GRAPH, TESTS = load_manifest()


def requests_of(test) -> list[dict]:
    """The test's HTTP exchanges, in order: method, path, headers, body bytes and expectations."""
    out = []
    action = GRAPH.value(test, MF.action)
    for req in _list(GRAPH, GRAPH.value(action, HT.requests)):
        body = GRAPH.value(req, HT.body)
        data = None
        if body is not None:
            encoding = str(GRAPH.value(body, CNT.characterEncoding) or "UTF-8")
            data = str(GRAPH.value(body, CNT.chars)).encode(encoding)
        headers = {}
        hlist = GRAPH.value(req, HT.headers)
        for h in _list(GRAPH, hlist) if hlist is not None else []:
            headers[str(GRAPH.value(h, HT.fieldName))] = str(GRAPH.value(h, HT.fieldValue))
        resp = GRAPH.value(req, HT.resp)
        statuses = {str(s).rsplit("#StatusCode", 1)[1][0] for s in GRAPH.objects(resp, MF.expectedStatus)}
        boolean = GRAPH.value(resp, MF.expectedBoolean)
        fmt = GRAPH.value(resp, MF.expectedFormat)
        out.append({"method": str(GRAPH.value(req, HT.methodName)), "path": str(GRAPH.value(req, HT.absolutePath)),
                    "headers": headers, "body": data, "statuses": statuses,
                    "boolean": None if boolean is None else boolean.toPython(),
                    "format": None if fmt is None else str(fmt)})
    return out


def _source_name(graph: str) -> str:
    return graph[len(DATA):]


def _rewrite(path: str) -> str:
    """``/sparql/?...`` as ``/sparql?...``, the suite's data graphs named as govgraph's source graphs."""
    base, _, qs = path.partition("?")
    assert base == "/sparql/", base
    pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
    pairs = [(k, source_graph_iri(_source_name(v)) if k.endswith("graph-uri") and v.startswith(DATA) else v)
             for k, v in pairs]
    return "/sparql" + ("?" + urllib.parse.urlencode(pairs) if pairs else "")


@pytest.fixture(scope="module")
def server(module_store, tmp_path_factory):
    """govgraph over each backend, holding the suite's data files as sources named after their graphs."""
    from govgraph.io.load import load_files
    from govgraph.webapp import create_app
    d = tmp_path_factory.mktemp("w3c-protocol")
    for name in ("data0.rdf", "data1.rdf", "data2.rdf", "data3.rdf"):
        src = SUITE / name.replace(".rdf", ".nt")
        target = d / name.replace(".rdf", ".nt")
        # data0: named by the suite, with no data; one triple in the pattern of the others (govgraph
        # loads no empty source), which no test's answer depends on
        target.write_bytes(src.read_bytes() if src.exists() else
                           f"<{DATA}{name}> <{rdflib.RDF.type}> <http://xmlns.com/foaf/0.1/Document> .\n".encode())
        load_files(module_store, [target], source=name, force=True)
    tokens = d / "tokens"
    tokens.write_text("")
    editor = TokenFile(tokens).add("w3c-editor", "editor")
    srv = LiveServer(create_app({"STORE": module_store, "SPARQL_WORKERS": 2, "SPARQL_TIMEOUT": 10.0,
                                 "TOKEN_FILE": str(tokens)}))
    srv.editor = editor
    yield srv
    srv.stop()


def exchange(server, req: dict, update: bool = False) -> tuple[int, str, bytes]:
    """One request, to ``/sparql`` or (``update``) to ``/sparql/update`` with an editor's token and a source."""
    path, headers = _rewrite(req["path"]), req["headers"]
    if update:
        path = path.replace("/sparql", "/sparql/update", 1) + ("&" if "?" in path else "?") + "source=data1.rdf"
        headers = {**headers, "Authorization": "Bearer " + server.editor}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(req["method"], path, body=req["body"], headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read()
    finally:
        conn.close()


def read_boolean(ctype: str, body: bytes) -> bool:
    if ctype.startswith("application/sparql-results+json"):
        return json.loads(body)["boolean"]
    assert ctype.startswith("application/sparql-results+xml"), ctype
    el = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
    return el.text.strip() == "true"


TABULAR = ("application/sparql-results+xml", "application/sparql-results+json", "text/csv",
           "text/tab-separated-values")
RDF = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


@pytest.mark.parametrize("name,test", TESTS, ids=[n for n, _ in TESTS])
def test_w3c_protocol(server, name, test):
    for req in requests_of(test):
        status, ctype, body = exchange(server, req)
        if name in NOT_APPLICABLE:  # the read-only endpoint's refusal, and nothing written
            assert status == 400 and b"/sparql/update" in body, (status, body)
            return
        assert str(status)[0] in req["statuses"], (status, body)
        if req["format"] == "boolean":
            assert read_boolean(ctype, body) in ((True, False) if req["boolean"] is None else (req["boolean"],))
        elif req["format"] == "tabular":
            assert ctype.split(";")[0].strip() in TABULAR, ctype
        elif req["format"] == "RDF":
            mt = ctype.split(";")[0].strip()
            assert mt in RDF, ctype
            rdflib.Graph().parse(data=body, format=RDF[mt])
        if req["boolean"] is not None and req["format"] != "boolean":
            assert read_boolean(ctype, body) is req["boolean"]


BAD_UPDATES = [(n, t) for n, t in TESTS if n.startswith("bad_update") or n == "bad_multiple_updates"]


@pytest.mark.parametrize("name,test", BAD_UPDATES, ids=[n for n, _ in BAD_UPDATES])
def test_w3c_protocol_bad_updates_at_the_update_endpoint(server, name, test):
    for req in requests_of(test):
        status, _, body = exchange(server, req, update=True)
        assert req["statuses"] == {"4"} and str(status)[0] == "4", (status, body)
    assert _data1_unchanged(server)


def _data1_unchanged(server) -> bool:
    path = "/sparql/?default-graph-uri=" + urllib.parse.quote(DATA + "data1.rdf")
    s, ctype, body = exchange(server, {"method": "POST", "path": path, "body": b"SELECT ?s ?p ?o { ?s ?p ?o }",
                                       "headers": {"Content-Type": "application/sparql-query", "Accept": "text/csv"}})
    return s == 200 and body.decode().split() == ["s,p,o", f"{DATA}data1.rdf,{rdflib.RDF.type},"
                                                  "http://xmlns.com/foaf/0.1/Document"]


def test_update_endpoint_takes_one_update_and_no_protocol_dataset(server):
    """What bad_multiple_updates and bad_update_dataset_conflict mean, with operations govgraph allows."""
    one = f"INSERT DATA {{ <{DATA}x> <{DATA}p> 1 }}"
    body = urllib.parse.urlencode([("update", one), ("update", one)]).encode()
    req = {"method": "POST", "path": "/sparql/", "body": body,
           "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    s, _, answer = exchange(server, req, update=True)
    assert s == 400 and b"2 'update' parameters" in answer
    req = {"method": "POST", "path": f"/sparql/?using-graph-uri={urllib.parse.quote(DATA + 'data1.rdf')}",
           "body": one.encode(), "headers": {"Content-Type": "application/sparql-update"}}
    s, _, answer = exchange(server, req, update=True)
    assert s == 400 and b"using-graph-uri is not taken" in answer
    assert _data1_unchanged(server)


def test_suite_is_complete():
    """The manifest read here is the suite's: 34 protocol tests, 7 of them updates this endpoint does not take."""
    assert len(TESTS) == 34 and len(BAD_UPDATES) == 7
    assert set(NOT_APPLICABLE) <= {n for n, _ in TESTS}
