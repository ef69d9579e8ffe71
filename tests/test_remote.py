"""The remote SPARQL backend against a real `oxigraph serve`: start-up, outages, interrupted loads."""
from __future__ import annotations

import threading
import time

import pytest

from govgraph.errors import StoreError, StoreUnavailable
from govgraph.io.load import load_files
from govgraph.store import REMOTE_REVISION_TTL, open_store
from support import OxigraphServer, free_port

TTL = b"@prefix ex: <http://ex/> . ex:a ex:p ex:b ; ex:q _:x . _:x ex:r 1 ."


def test_server_down_at_start_names_the_url():
    port = free_port()
    with pytest.raises(StoreUnavailable, match=f"cannot reach the SPARQL server at http://127.0.0.1:{port}/query"):
        open_store(f"sparql+http://127.0.0.1:{port}/query?update=/update")


@pytest.mark.parametrize("command", [["sources"], ["serve", "--port", "0"], ["lineage", "x"]])
def test_cli_with_the_server_down_says_so_in_one_line(command):
    """A real `govgraph` process: exit status 1, one line naming the server, no traceback."""
    import subprocess
    port = free_port()
    url = f"sparql+http://127.0.0.1:{port}/query?update=/update&store=/store"
    p = subprocess.run(["govgraph", *command, "--store", url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.startswith(f"error: cannot reach the SPARQL server at http://127.0.0.1:{port}/query: "), p.stderr
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


def test_bad_remote_url():
    with pytest.raises(StoreError, match="bad SPARQL store URL"):
        open_store("sparql+http:///query")


def test_without_graph_store_protocol_uses_insert_data(oxigraph_server):
    s = open_store(f"sparql+http://127.0.0.1:{oxigraph_server.port}/query?update=/update")
    s.clear()
    with s.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    # the blank node stays one node across the triples that use it
    assert s.ask("ASK { <http://ex/a> <http://ex/q> ?x . ?x <http://ex/r> 1 }")
    s.close()


def test_outage_mid_session_then_recovery(tmp_path):
    server = OxigraphServer(tmp_path / "srv").start()
    try:
        s = open_store(server.store_url)
        with s.begin("one") as txn:
            txn.load(data=TTL, fmt="turtle")
            txn.commit()
        assert len(s.select("SELECT * WHERE { ?s ?p ?o }")) == 3
        from govgraph.webapp import create_app
        client = create_app({"STORE": s, "TESTING": True}).test_client()
        assert client.get("/search?q=a").status_code == 200
        server.stop()
        with pytest.raises(StoreUnavailable, match="not answering"):
            s.select("SELECT * WHERE { ?s ?p ?o }")
        time.sleep(REMOTE_REVISION_TTL + 0.1)  # the revision is trusted that long between reads
        r = client.get("/search?q=a")
        assert r.status_code == 503 and b"not answering" in r.data and r.headers["Retry-After"] == "5"
        restarted = OxigraphServer(tmp_path / "srv")
        restarted.port = server.port
        restarted.start(seconds=180)  # after a kill the database replays its log first
        try:
            assert len(s.select("SELECT * WHERE { ?s ?p ?o }")) == 3  # the same store object recovers
            assert client.get("/search?q=a").status_code == 200
        finally:
            restarted.stop()
    finally:
        server.stop()


@pytest.mark.parametrize("upload", ["no_transaction", "transactional"])
def test_server_killed_during_a_bulk_load_leaves_source_whole_or_absent(tmp_path, upload, monkeypatch):
    big = tmp_path / "big.nt"
    with open(big, "w") as f:
        for i in range(300_000):
            f.write(f"<http://ex/s{i}> <http://ex/p> \"{i}\" .\n")
    server = OxigraphServer(tmp_path / "srv").start()
    url = server.store_url if upload == "no_transaction" else server.transactional_store_url
    s = open_store(url)
    load_files(s, [tmp_path / "big.nt"], source="first")
    errors = []
    # kill the server once part of the new source has reached it (a half-loaded source): right
    # after its second batch of six is taken. (Watching for it from another connection raced the
    # load: loading straight into the new source's graph takes 3 s, and the watcher's query could
    # be answered only once the whole load, commit included, was done.)
    posted: list[str] = []
    post = s.backend._post_triples

    def post_then_kill(graph: str, body: bytes) -> None:
        post(graph, body)
        posted.append(graph)
        if len(posted) == 2:
            server.kill()
    monkeypatch.setattr(s.backend, "_post_triples", post_then_kill)

    def loader():
        try:
            load_files(s, [big], source="second")
        except Exception as e:  # the server dies under it
            errors.append(e)
    t = threading.Thread(target=loader)
    t.start()
    t.join(timeout=120)
    # the batches went into the new source's own graph (or a hidden staging graph), not yet registered
    assert posted and (posted[0] == "urn:govgraph:source:second" or posted[0].startswith("urn:govgraph:staging:"))
    assert errors and isinstance(errors[0], StoreError)
    restarted = OxigraphServer(tmp_path / "srv")
    restarted.port = server.port
    restarted.start(seconds=180)  # after a kill the database replays its log first
    try:
        s2 = open_store(url)
        names = {x.name: x.triples for x in s2.sources()}
        assert names.get("first") == 300_000
        assert names.get("second") in (None, 300_000)
        if "second" not in names:
            # nothing of the interrupted source is visible to readers
            assert s2.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].toPython() == 300_000
            # and loading it again gives the whole source, not the leftovers plus the file
            load_files(s2, [big], source="second")
            assert {x.name: x.triples for x in s2.sources()}["second"] == 300_000
            assert s2.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:govgraph:source:second> { ?s ?p ?o } }"
                             )[0]["n"].toPython() == 300_000
        s2.close()
    finally:
        restarted.stop()


def test_outage_answers_503_on_every_interface_and_validation_recovers(tmp_path, sample_server_path, monkeypatch):
    """Pages, /sparql, the JSON API and OpenLineage answer 503 while the server is gone (killed),
    and the first requests after it returns succeed, validation findings included."""
    import json
    import shutil
    import urllib.parse
    from govgraph import store as store_module
    from govgraph.auth import TokenFile
    from govgraph.webapp import create_app
    from support import event
    # trust the revision for the whole test, so requests go on to the queries that need the server
    monkeypatch.setattr(store_module, "REMOTE_REVISION_TTL", 3600)
    shutil.copytree(sample_server_path, tmp_path / "srv")
    server = OxigraphServer(tmp_path / "srv").start()
    tokens = tmp_path / "tokens"
    tokens.write_text("")
    editor = TokenFile(tokens).add("pipeline", "editor")
    s = open_store(server.store_url)
    try:
        client = create_app({"STORE": s, "TESTING": True, "TOKEN_FILE": str(tokens)}).test_client()
        salt = "https://data.county.example.gov.uk/id/dataset/return-salt"
        asset = "/asset?iri=" + urllib.parse.quote(salt, safe="")
        sparql = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s a <http://www.w3.org/ns/dcat#Dataset> }"})
        json_accept = {"Accept": "application/sparql-results+json"}
        assert client.get("/search?q=SALT").status_code == 200
        server.kill()
        for url, headers in ((asset, {}), ("/validation", {}), (sparql, json_accept), ("/api/v1/sources", {})):
            r = client.get(url, headers=headers)
            assert r.status_code == 503 and r.headers["Retry-After"] == "5", (url, r.status_code, r.data[:300])
            assert b"not answering" in r.data, url
        r = client.post("/api/v1/lineage", data=json.dumps(event()), content_type="application/json",
                        headers={"Authorization": "Bearer " + editor})
        assert r.status_code == 503, r.data[:300]
        restarted = OxigraphServer(tmp_path / "srv")
        restarted.port = server.port
        restarted.start(seconds=180)  # after a kill the database replays its log first
        try:
            html = client.get("/validation").get_data(as_text=True)
            assert "tag-violation" in html, "validation after the outage found nothing (a cached failure?)"
            assert "Principle 7" in html
            assert client.get(asset).status_code == 200
            r = client.get(sparql, headers=json_accept)
            assert r.status_code == 200 and r.get_json()["boolean"] is True
            assert client.get("/api/v1/sources").status_code == 200
        finally:
            restarted.stop()
    finally:
        s.close()
        server.stop()


def test_server_killed_during_background_validation_then_validated_again(tmp_path, sample_server_path, monkeypatch):
    """A validation interrupted by an outage is not kept as 'no findings': it runs again after."""
    import shutil
    from govgraph import store as store_module
    from govgraph.webapp import create_app, findings
    monkeypatch.setattr(store_module, "REMOTE_REVISION_TTL", 3600)
    monkeypatch.setattr(findings, "SYNC_LIMIT", 0)  # validate in the background, as for a large estate
    shutil.copytree(sample_server_path, tmp_path / "srv")
    server = OxigraphServer(tmp_path / "srv").start()
    s = open_store(server.store_url)
    restarted = OxigraphServer(tmp_path / "srv")
    restarted.port = server.port
    try:
        client = create_app({"STORE": s, "TESTING": True}).test_client()
        assert b"Validation of the current data is running" in client.get("/validation").data
        time.sleep(0.2)
        server.kill()
        deadline = time.monotonic() + 60
        while findings.pending(s) and time.monotonic() < deadline:
            time.sleep(0.05)
        restarted.start(seconds=180)  # after a kill the database replays its log first
        deadline = time.monotonic() + 120
        html = client.get("/validation").get_data(as_text=True)
        while "is running" in html and time.monotonic() < deadline:
            time.sleep(0.2)
            html = client.get("/validation").get_data(as_text=True)
        assert "tag-violation" in html and "Principle 7" in html
    finally:
        s.close()
        restarted.stop()
        server.stop()
