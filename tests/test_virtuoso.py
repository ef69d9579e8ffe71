"""The remote backend on Virtuoso 7 (Debian ``virtuoso-opensource-7``), a SPARQL server govgraph's
authors did not write, started by the tests in a temporary folder on free loopback ports.

Core flows (load, replace, remove, validate --store, the asset page, export past Virtuoso's row
cap) and what Virtuoso does differently from `oxigraph serve`: its NOW() without a zone and 0/1
booleans, blank node labels, ``DROP ALL`` that drops nothing, its row cap, 500 for a query it
cannot compile, Digest authentication on ``/sparql-auth``.
"""
from __future__ import annotations

import json
import threading
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from govgraph import commit_lock
from govgraph.backends.remote import RowCapped
from govgraph.cli import main
from govgraph.errors import ConflictError, StoreError, StoreQueryFailed
from govgraph.store import LOCK_GRAPH, open_store
from support import VirtuosoServer

FIX = Path(__file__).parent / "fixtures" / "io"
SALT = "https://data.county.example.gov.uk/id/dataset/return-salt"


@pytest.fixture(scope="module")
def sample(open_sample, tmp_path_factory, request):
    """The sample estate on a Virtuoso of this module's own (read-only tests)."""
    s, server = open_sample("virtuoso", tmp_path_factory.mktemp("virtuoso-sample"), request)
    yield s, server
    s.close()
    server.stop()


@pytest.fixture
def url(virtuoso_server) -> str:
    """An emptied Virtuoso store's URL (the session's server)."""
    with open_store(virtuoso_server.store_url) as s:
        s.clear()
    return virtuoso_server.store_url


def _run(url: str, *args):
    return CliRunner().invoke(main, list(args), env={"GOVGRAPH_STORE": url}, catch_exceptions=False)


def test_load_replace_remove_through_the_cli(url, tmp_path):
    r = _run(url, "load", str(FIX / "small.ttl"))
    assert r.exit_code == 0 and "loaded small.ttl: 18 triples" in r.output, r.output
    r = _run(url, "sources", "--format", "json")
    assert [(x["name"], x["triples"]) for x in json.loads(r.output)] == [("small.ttl", 18)]
    changed = tmp_path / "small.ttl"
    changed.write_text((FIX / "small.ttl").read_text().replace("School census", "School census 2"))
    r = _run(url, "load", "--replace", str(changed))
    assert r.exit_code == 0, r.output
    r = _run(url, "query", "SELECT ?t WHERE { ?d dcterms:title ?t } ORDER BY ?t", "--format", "csv")
    assert r.output.splitlines() == ["t", "Pupil roll", "School census 2"]
    r = _run(url, "remove", "small.ttl")
    assert r.exit_code == 0 and "removed small.ttl: 18 triples" in r.output, r.output
    with open_store(url) as s:
        assert s.sources() == []
        assert [(h.source, h.action) for h in s.history()] == [("small.ttl", "load"), ("small.ttl", "replace"),
                                                                ("small.ttl", "remove")]
        # every claim on the commit lock was withdrawn
        assert not s.backend.query(f"ASK {{ GRAPH <{LOCK_GRAPH.value}> {{ ?s ?p ?o }} }}", None, None)


def test_export_pages_past_the_row_cap(sample, tmp_path, sample_server_path):
    """Virtuoso answers at most 10,000 rows; the sample has more triples, and all are exported."""
    s, server = sample
    expected = {q.triple for q in ox.parse(path=str(sample_server_path.parent / "sample.nq"),
                                           format=ox.RdfFormat.N_QUADS)
                if q.graph_name.value.startswith("urn:govgraph:source:")}
    assert len(expected) > VirtuosoServer.MAX_ROWS
    out = tmp_path / "all.nt"
    r = _run(s.url, "export", "--format", "ntriples", "-o", str(out))
    assert r.exit_code == 0, r.output
    got = [q.triple for q in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)]
    assert len(got) == len(set(got)) == len(expected)

    def ground(triples):
        return {t for t in triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    assert ground(got) == ground(expected)


def test_a_capped_answer_is_refused_not_truncated(sample):
    s, server = sample
    with pytest.raises(RowCapped, match="larger than the limit of 10000 rows"):
        s.select("SELECT * WHERE { ?s ?p ?o }")
    from govgraph.webapp import create_app
    client = create_app({"STORE": s, "TESTING": True}).test_client()
    r = client.get("/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}),
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 422 and b"larger than the limit of 10000 rows" in r.data, (r.status_code, r.data[:300])


def test_validate_store_and_asset_pages(sample):
    s, server = sample
    r = _run(s.url, "validate", "--store", "--format", "json")
    assert r.exit_code == 1, r.output[-2000:]  # the sample estate has violations
    report = json.loads(r.output)
    assert report["conforms"] is False
    from govgraph.webapp import create_app
    client = create_app({"STORE": s, "TESTING": True}).test_client()
    html = client.get("/validation").get_data(as_text=True)
    assert "tag-violation" in html and "Principle 7" in html
    page = client.get("/asset?iri=" + urllib.parse.quote(SALT, safe=""))
    assert page.status_code == 200 and b"Return" in page.data
    ttl = client.get("/asset.ttl?iri=" + urllib.parse.quote(SALT, safe=""))
    assert ttl.status_code == 200, ttl.data[:500]
    triples = list(ox.parse(ttl.data, format=ox.RdfFormat.TURTLE))
    assert any(t.subject == ox.NamedNode(SALT) for t in triples)


def test_a_query_the_server_cannot_run_is_a_502_with_its_message(sample):
    """Virtuoso answers 500 to a query it cannot compile: that is final (502), not an outage (503)."""
    s, server = sample
    bad = 'SELECT * WHERE { ?s ?p ?o FILTER(?o < NOW() - "PT120S"^^<http://www.w3.org/2001/XMLSchema#dayTimeDuration>) }'
    with pytest.raises(StoreQueryFailed, match="SQ200"):
        s.select(bad)
    from govgraph.webapp import create_app
    client = create_app({"STORE": s, "TESTING": True}).test_client()
    r = client.get("/sparql?" + urllib.parse.urlencode({"query": bad}), headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 502 and b"SQ200" in r.data and "Retry-After" not in r.headers, (r.status_code, r.data[:300])


def test_commit_lock_with_the_server_clock(url, monkeypatch):
    """A lapsed claim (server time long past) is cleared; a live one of another writer is waited for."""
    s = open_store(url)
    node, pred, at = "urn:govgraph:lock:commit", "urn:govgraph:claim", "urn:govgraph:claimedAt"
    s.backend.update(f"INSERT DATA {{ GRAPH <{LOCK_GRAPH.value}> {{ <{node}> <{pred}> <urn:govgraph:claim:old> . "
                     f"<urn:govgraph:claim:old> <{at}> \"2001-01-01T00:00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime> }} }}")
    with s.begin("one") as txn:
        txn.load(data=b"<http://ex/a> <http://ex/p> <http://ex/b> .", fmt="ntriples")
        txn.commit()
    assert not s.backend.query(f"ASK {{ GRAPH <{LOCK_GRAPH.value}> {{ ?s ?p ?o }} }}", None, None)
    # another writer's live claim, stamped with the server's NOW()
    s.backend.update(commit_lock.claim_op(node, pred, "urn:govgraph:claim:other"))
    monkeypatch.setattr(commit_lock, "COMMIT_LOCK_WAIT", 1.0)
    with pytest.raises(ConflictError, match="commit lock"):
        with s.begin("two") as txn:
            txn.load(data=b"<http://ex/a> <http://ex/p> <http://ex/c> .", fmt="ntriples")
            txn.commit()
    assert [x.name for x in s.sources()] == ["one"]
    s.close()


def test_concurrent_writers_take_turns(url):
    """Two store objects loading at once: both commits land, with distinct revisions."""
    stores = [open_store(url) for _ in range(2)]
    errors: list[BaseException] = []

    def load(i: int) -> None:
        try:
            for k in range(3):
                with stores[i].begin(f"w{i}-{k}") as txn:
                    txn.load(data=f"<http://ex/{i}> <http://ex/p> \"{k}\" .".encode(), fmt="ntriples")
                    txn.commit()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=load, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with open_store(url) as s:
        assert len(s.sources()) == 6
        assert sorted(h.revision for h in s.history()) == list(range(1, 7))
    for st in stores:
        st.close()


def test_digest_authentication_on_sparql_auth(virtuoso_server):
    """Virtuoso's /sparql-auth takes only HTTP Digest: the credentials in the URL answer it."""
    port = virtuoso_server.port
    with open_store(f"sparql+http://dba:dba@127.0.0.1:{port}/sparql-auth?update=/sparql-auth") as s:
        assert s.backend.query("ASK { }", None, None) is not None
        s.backend.update("INSERT DATA { GRAPH <urn:test:digest> { <urn:a> <urn:b> <urn:c> } }")
        assert bool(s.backend.query("ASK { GRAPH <urn:test:digest> { <urn:a> <urn:b> <urn:c> } }", None, None))
        s.backend.update("DROP SILENT GRAPH <urn:test:digest>")
    with pytest.raises(StoreError, match="refused the credentials"):
        open_store(f"sparql+http://dba:wrong@127.0.0.1:{port}/sparql-auth")
