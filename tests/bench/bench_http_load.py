"""Bounded load test: a real `govgraph serve` on 127.0.0.1 over a generated estate.

Several client threads request asset pages and run SPARQL queries for a fixed time (the
loop stops by itself; loopback only). Reports sustained requests/s, error rate and
latency percentiles per kind of request. The reference is one client thread doing the
same, in the same run (the ratio shows how throughput scales with concurrency).

    python tests/bench/bench_http_load.py [--datasets 10000] [--seconds 30] [--threads 8]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import free_port, wait_for_http  # noqa: E402

from govgraph.data.generate import generate  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.store import open_store  # noqa: E402

QUERIES = [
    "SELECT ?d ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t ; gov:owner ?o } LIMIT 50",
    "SELECT ?s (COUNT(?d) AS ?n) WHERE { ?d gov:heldIn ?s } GROUP BY ?s",
    "SELECT ?f ?p WHERE { ?f a gov:Flow ; gov:target ?p . ?p a gov:Partner } LIMIT 100",
]


def run_load(base: str, iris: list[str], seconds: float, threads: int) -> dict[str, list]:
    """Hammer the server from ``threads`` threads for ``seconds``; (latency, ok) per kind."""
    results: dict[str, list] = {"asset": [], "sparql": []}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            if rng.random() < 0.7:
                kind, url = "asset", f"{base}/asset?iri={urllib.parse.quote(rng.choice(iris), safe='')}"
                req = urllib.request.Request(url)
            else:
                kind = "sparql"
                req = urllib.request.Request(f"{base}/sparql?query={urllib.parse.quote(rng.choice(QUERIES))}",
                                             headers={"Accept": "application/sparql-results+json"})
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
                    ok = r.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                results[kind].append((time.perf_counter() - t, ok))
    ts = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def summary(results: dict[str, list], seconds: float) -> list[tuple]:
    rows = []
    for kind, rs in results.items():
        lat = sorted(r[0] for r in rs)
        errors = sum(1 for r in rs if not r[1])
        p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
        rows.append((kind, len(rs) / seconds, errors / max(1, len(rs)), 1000 * statistics.median(lat), 1000 * p95))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        estate = Path(d) / "estate.nt"
        generate(estate, datasets=args.datasets, seed=1)
        url = f"oxigraph:{Path(d) / 'store'}"
        store = open_store(url)
        load_files(store, [estate], source="estate", validate=False)
        iris = [str(r["d"]) for r in store.select("SELECT ?d WHERE { ?d a dcat:Dataset }")]
        store.close()
        port = free_port()
        proc = subprocess.Popen(["govgraph", "serve", "--port", str(port), "--threads", str(args.threads)],
                                env=dict(os.environ, GOVGRAPH_STORE=url), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/search?q=a", seconds=600)
            run_load(base, iris, 5, args.threads)  # warm caches (lineage graph, search index, workers)
            single = summary(run_load(base, iris, args.seconds / 2, 1), args.seconds / 2)
            many = summary(run_load(base, iris, args.seconds, args.threads), args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    print(f"{args.datasets:,} datasets, {args.threads} client threads for {args.seconds:g} s "
          f"(reference: 1 thread for {args.seconds / 2:g} s)")
    print("| requests | clients | req/s | error rate | median ms | p95 ms |\n|---|---|---|---|---|---|")
    for label, rows in (("1", single), (str(args.threads), many)):
        for kind, rps, err, med, p95 in rows:
            print(f"| {kind} | {label} | {rps:.1f} | {err:.3%} | {med:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
