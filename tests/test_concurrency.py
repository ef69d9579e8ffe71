"""Concurrency against a real `govgraph serve` (embedded store, and a real `oxigraph serve`): readers never
see half a source; writers are serialised."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from govgraph.auth import hash_token
from support import OxigraphServer, free_port, wait_for_http

N = 15_000  # triples per upload (enough that a write takes a while)


def body(tag: str) -> bytes:
    return "".join(f'<http://ex/{tag}/s{i}> <http://ex/p> "{tag} {i}" .\n' for i in range(N)).encode()


def count(base: str, graph: str) -> int:
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    req = urllib.request.Request(f"{base}/sparql?query={urllib.parse.quote(q)}",
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return int(json.load(r)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(params=["embedded", "remote"])
def server(request, tmp_path):
    """A real `govgraph serve` over an embedded store, and over a real `oxigraph serve`."""
    tokens = tmp_path / "tokens"
    # admin: the uploads replace a source's every triple, a removal in effect (govgraph.io.write.is_removal)
    tokens.write_text(f"writer admin {hash_token('secret-token')}\n")
    port = free_port()
    if request.param == "embedded":
        store = f"oxigraph:{tmp_path / 'store'}"
    else:
        oxigraph = OxigraphServer(tmp_path / "oxigraph").start()
        request.addfinalizer(oxigraph.stop)
        store = oxigraph.store_url
    env = dict(os.environ, GOVGRAPH_STORE=store, GOVGRAPH_TOKENS=str(tokens))
    proc = subprocess.Popen(["govgraph", "serve", "--port", str(port), "--threads", "8"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/", proc=proc)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def put(base: str, name: str, data: bytes) -> int:
    req = urllib.request.Request(f"{base}/api/v1/sources/{name}", data=data, method="PUT",
                                 headers={"Content-Type": "application/n-triples",
                                          "Authorization": "Bearer secret-token"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{e.code}: {e.read()[:500]!r}") from None


def test_readers_never_see_a_half_imported_source(server):
    graph = "urn:govgraph:source:big"
    seen: list[tuple[float, int]] = []  # (when the query was sent, what it counted)
    stop = threading.Event()
    errors: list[Exception] = []

    def reader():
        while not stop.is_set():
            try:
                t = time.monotonic()
                seen.append((t, count(server, graph)))
            except urllib.error.HTTPError as e:
                if e.code != 400:  # 400: the graph is not a source yet
                    errors.append(e)
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                errors.append(e)
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        assert put(server, "big", body("a")) == 201
        loaded = time.monotonic()
        time.sleep(0.3)
        assert put(server, "big", body("b")) == 201  # a replacement: readers see old or new, never a mix
        time.sleep(0.3)
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60)
    assert errors == []
    assert seen, "the readers got no answers"
    # before the first upload commits the source is absent (0); never anything in between;
    # once it is there it stays whole through its replacement
    assert {n for _, n in seen} <= {0, N}, f"a reader saw a partial source: {sorted({n for _, n in seen})[:10]}"
    assert {n for t, n in seen if t > loaded} == {N}


def test_two_writers_to_one_source_are_serialised(server):
    results: list[int] = []
    ts = [threading.Thread(target=lambda tag=tag: results.append(put(server, "shared", body(tag)))) for tag in "xy"]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=300)
    assert sorted(results) == [201, 201]
    assert count(server, "urn:govgraph:source:shared") == N
    q = "SELECT DISTINCT ?t WHERE { GRAPH <urn:govgraph:source:shared> { ?s ?p ?o } BIND(SUBSTR(STR(?o), 1, 1) AS ?t) }"
    req = urllib.request.Request(f"{server}/sparql?query={urllib.parse.quote(q)}",
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        tags = {b["t"]["value"] for b in json.load(r)["results"]["bindings"]}
    assert len(tags) == 1, f"the two uploads were interleaved: {tags}"
