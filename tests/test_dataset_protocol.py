"""The remote backend refuses a SPARQL server that ignores the protocol's dataset
(``default-graph-uri`` / ``named-graph-uri``): govgraph keeps its registry, audit trail and
unfinished loads in graphs readers must never see, and reads only through the dataset it sends.

The server that ignores it is a real third-party one: rdflib-endpoint 0.6.3 (PyPI, in its own
venv: tests/rdflib_endpoint/env.py), which answers every query over the union of all graphs.
`oxigraph serve` honours it, and the check then costs nothing more.
"""
from __future__ import annotations

import json
import urllib.parse

import pytest

from govgraph.backends.remote import DatasetIgnored
from govgraph.io.load import load_files
from govgraph.store import LOCK_GRAPH, open_store
from support import RdflibEndpointServer, get

TTL = b"<http://ex/a> <http://ex/p> <http://ex/b> ."


@pytest.fixture(scope="module")
def rdflib_endpoint():
    server = RdflibEndpointServer().start()
    yield server
    server.stop()


def _raw_select(server: RdflibEndpointServer, query: str, **params: str) -> list[dict]:
    body = urllib.parse.urlencode({"query": query, **params}).encode()
    status, _, data = get(server.url + "/", accept="application/sparql-results+json", method="POST", data=body,
                          ctype="application/x-www-form-urlencoded")
    assert status == 200, data[:300]
    return json.loads(data)["results"]["bindings"]


def test_the_server_does_ignore_the_dataset(rdflib_endpoint):
    """The premise, on the server itself: an empty default graph still matches its triples."""
    get(rdflib_endpoint.url + "/", method="POST", ctype="application/sparql-update",
        data=b"INSERT DATA { GRAPH <urn:test:g> { <urn:a> <urn:b> <urn:c> } }")
    try:
        assert _raw_select(rdflib_endpoint, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": "urn:test:none"})
    finally:
        get(rdflib_endpoint.url + "/", method="POST", ctype="application/sparql-update",
            data=b"DROP SILENT GRAPH <urn:test:g>")


def test_a_load_is_refused_and_nothing_hidden_is_read(rdflib_endpoint, tmp_path):
    """Opening works (nothing read yet); a load (validated, as the CLI's) reads through a dataset
    before it commits, finds the server ignoring it and stops: no source is registered, the claim
    on the commit lock is withdrawn, and no query answers."""
    s = open_store(rdflib_endpoint.store_url)
    f = tmp_path / "one.nt"
    f.write_bytes(TTL)
    try:
        with pytest.raises(DatasetIgnored, match="ignores the protocol's default-graph-uri"):
            load_files(s, [f], source="one")
        assert s.backend.dataset_honoured is False
        with pytest.raises(DatasetIgnored):
            s.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
        assert s.sources() == []  # nothing was registered (the registry is read by its graph's name)
        # the refused load left no claim on the commit lock behind
        assert not _raw_select(rdflib_endpoint, f"SELECT * WHERE {{ GRAPH <{LOCK_GRAPH.value}> {{ ?s ?p ?o }} }}")
    finally:
        s.close()
        get(rdflib_endpoint.url + "/", method="POST", ctype="application/sparql-update", data=b"DROP SILENT ALL")


def test_the_viewer_answers_with_the_error_not_hidden_data(rdflib_endpoint):
    """/sparql and the pages over such a server answer 502 with the reason, never the audit graph."""
    from govgraph.webapp import create_app
    get(rdflib_endpoint.url + "/", method="POST", ctype="application/sparql-update",
        data=b"INSERT DATA { GRAPH <urn:govgraph:audit> { <urn:x> <urn:said> \"secret\" } }")
    s = open_store(rdflib_endpoint.store_url)
    try:
        client = create_app({"STORE": s, "TESTING": True}).test_client()
        r = client.get("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?o WHERE { ?s ?p ?o }"}),
                       headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 502 and b"default-graph-uri" in r.data, r.data[:300]
        assert b"secret" not in r.data
        page = client.get("/search?q=secret")
        assert page.status_code == 502 and b"secret</" not in page.data, page.data[-500:]
    finally:
        s.close()
        get(rdflib_endpoint.url + "/", method="POST", ctype="application/sparql-update", data=b"DROP SILENT ALL")


def test_a_server_that_honours_it_is_confirmed_once(oxigraph_server):
    """`oxigraph serve`: while empty the check is repeated; once data exists it is confirmed and
    not sent again."""
    s = open_store(oxigraph_server.store_url)
    try:
        s.clear()
        s.backend.dataset_honoured = None
        with s.begin("one") as txn:
            txn.load(data=TTL, fmt="ntriples")
            txn.commit()
        assert s.backend.dataset_honoured is True
        assert len(s.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")) == 1  # the source only, no registry
    finally:
        s.close()
