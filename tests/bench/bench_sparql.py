"""/sparql against ``oxigraph serve`` on the same generated estate: 10 governance queries, medians.

    python tests/bench/bench_sparql.py [DATASETS] [REPEATS]

Both servers hold the same triples (govgraph: one source graph, queried as the default
graph; oxigraph serve: the default graph). Each query is sent over HTTP with a kept-alive
connection, alternating between the servers, REPEATS times; the ratio of medians
govgraph / oxigraph must be under 1.5 for every query (issue 7).
"""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/support.py

P = """PREFIX gov: <https://w3id.org/govgraph#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dpv: <https://w3id.org/dpv#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
QUERIES = {
    "datasets-by-owner": "SELECT ?owner (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; gov:owner ?owner } GROUP BY ?owner ORDER BY DESC(?n) LIMIT 20",
    "no-owner": "SELECT ?d WHERE { ?d a dcat:Dataset FILTER NOT EXISTS { ?d gov:owner ?o } } LIMIT 1000",
    "personal-to-partners": """SELECT ?f ?d ?t WHERE { ?f a gov:Flow ; gov:carries ?d ; gov:target ?t .
        ?d dpv:hasPersonalData ?pd . { ?t a gov:Partner } UNION { ?t gov:operatedBy/a gov:Partner } } LIMIT 1000""",
    "uncovered-boundary-flows": """SELECT ?f WHERE { ?f a gov:Flow ; gov:carries ?d ; gov:target ?t . ?t a gov:Partner .
        ?d dpv:hasPersonalData ?pd FILTER NOT EXISTS { ?f gov:coveredBy ?a } }""",
    "report-upstream-path": """SELECT ?r (COUNT(DISTINCT ?up) AS ?n) WHERE { ?r a gov:Report ; prov:wasDerivedFrom+ ?up }
        GROUP BY ?r ORDER BY DESC(?n) LIMIT 10""",
    "datasets-per-system": "SELECT ?s (COUNT(?d) AS ?n) WHERE { ?d gov:heldIn ?s } GROUP BY ?s ORDER BY DESC(?n)",
    "classification-counts": "SELECT ?c (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; gov:classification ?c } GROUP BY ?c",
    "title-search": """SELECT ?d ?t WHERE { ?d dcterms:title ?t FILTER(CONTAINS(LCASE(?t), "referral")) } LIMIT 100""",
    "owners-who-left": "SELECT ?d ?p WHERE { ?d gov:owner ?p . ?p gov:leftOn ?when } LIMIT 1000",
    "describe-one": "DESCRIBE ?d WHERE { ?d a dcat:Dataset } LIMIT 1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(conn: http.client.HTTPConnection, path: str, query: str) -> tuple[float, bytes]:
    body = urllib.parse.urlencode({"query": query})
    accept = "text/turtle" if "DESCRIBE" in query else "application/sparql-results+json"
    t0 = time.perf_counter()
    conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
    r = conn.getresponse()
    data = r.read()
    dt_ = time.perf_counter() - t0
    if r.status != 200:
        raise RuntimeError(f"{path} answered {r.status}: {data[:300]!r}")
    return dt_, data


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    tmp = Path(tempfile.mkdtemp())
    nt = tmp / "estate.nt"
    t0 = time.perf_counter()
    from govgraph.data.generate import generate
    generate(nt, n, 7)
    print(f"generated {n:,} datasets in {time.perf_counter() - t0:.0f} s ({nt.stat().st_size / 1e6:.0f} MB)")
    # govgraph
    from govgraph.store import open_store
    from support import LiveServer
    from govgraph.webapp import create_app
    st = open_store(f"oxigraph:{tmp / 'gg'}")
    with st.begin("estate") as txn:
        txn.load(nt, fmt="ntriples")
        txn.commit(forced=True, note="benchmark")
    print(f"govgraph store: {st.triple_count():,} triples")
    srv = LiveServer(create_app({"STORE": st}))
    # oxigraph serve, same triples
    subprocess.run(["oxigraph", "load", "--location", str(tmp / "ox"), "--file", str(nt)], check=True,
                   capture_output=True)
    # compacted like govgraph's store after a large load (the CLI's advice for a read-heavy workload)
    subprocess.run(["oxigraph", "optimize", "--location", str(tmp / "ox")], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(["oxigraph", "serve", "--location", str(tmp / "ox"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    gg = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
    ox_ = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    rows = []
    print(f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    try:
        for name, q in QUERIES.items():
            a, b = [], []
            timed(gg, "/sparql", P + q)  # warm both
            timed(ox_, "/query", P + q)
            for _ in range(repeats):
                a.append(timed(gg, "/sparql", P + q)[0])
                b.append(timed(ox_, "/query", P + q)[0])
            ma, mb = statistics.median(a), statistics.median(b)
            rows.append((name, ma, mb, ma / mb))
            print(f"{name:<26} govgraph {ma * 1000:8.1f} ms   oxigraph {mb * 1000:8.1f} ms   ratio {ma / mb:5.2f}",
                  flush=True)
    finally:
        proc.terminate()
        srv.stop()
        st.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    worst = max(r[3] for r in rows)
    print(f"worst ratio {worst:.2f}: {'PASS' if worst < 1.5 else 'FAIL'} (target < 1.5 for each query)")


if __name__ == "__main__":
    main()
