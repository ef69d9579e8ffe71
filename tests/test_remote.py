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
        restarted.start()
        try:
            assert len(s.select("SELECT * WHERE { ?s ?p ?o }")) == 3  # the same store object recovers
            assert client.get("/search?q=a").status_code == 200
        finally:
            restarted.stop()
    finally:
        server.stop()


def test_server_killed_during_a_bulk_load_leaves_source_whole_or_absent(tmp_path):
    big = tmp_path / "big.nt"
    with open(big, "w") as f:
        for i in range(300_000):
            f.write(f"<http://ex/s{i}> <http://ex/p> \"{i}\" .\n")
    server = OxigraphServer(tmp_path / "srv").start()
    s = open_store(server.store_url)
    load_files(s, [tmp_path / "big.nt"], source="first")
    errors = []

    def loader():
        try:
            load_files(s, [big], source="second")
        except Exception as e:  # the server dies under it
            errors.append(e)
    t = threading.Thread(target=loader)
    t.start()
    # kill the server once part of the new source has reached it (a half-loaded source)
    probe = open_store(server.store_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = probe.backend.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:govgraph:source:second> { ?s ?p ?o } }",
                                None, None)
        if int(next(iter(n))["n"].value) > 0:
            break
        time.sleep(0.01)
    server.kill()
    t.join(timeout=120)
    assert errors and isinstance(errors[0], StoreError)
    restarted = OxigraphServer(tmp_path / "srv")
    restarted.port = server.port
    restarted.start()
    try:
        s2 = open_store(restarted.store_url)
        names = {x.name: x.triples for x in s2.sources()}
        assert names.get("first") == 300_000
        assert names.get("second") in (None, 300_000)
        if "second" not in names:
            # nothing of the interrupted source is visible to readers
            assert s2.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].toPython() == 300_000
        s2.close()
    finally:
        restarted.stop()
