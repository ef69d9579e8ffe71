"""Benchmark: the remote SPARQL backend (a real `oxigraph serve`) against the embedded store.

For each estate size, the same operations on both backends, in the same run:
load (the unvalidated load path; the remote one with the store URL docs/deployment.md gives for
Oxigraph server, and once more with plain transactional uploads), validation of one change (a validated replace of a
one-dataset source), lineage (graph build, then upstream+downstream to depth 5 of random
datasets) and the asset page (Flask test client). Reports medians, remote/embedded
ratios (target: each under 3x) and the remote store's round trips (HTTP requests) per operation. The
validated change is measured twice on the remote store, interleaved: as it runs (a scoped validation's
checks run here on the triples they can read, ``shapes/neighbourhood.py``) and with every check evaluated
by the server (``engine.FETCH_SCOPE`` off; its embedded reference is the same).

    python tests/bench/bench_remote.py [--sizes 10000 100000] [--samples 50] [--server virtuoso]

``--server virtuoso`` measures Virtuoso 7 (Debian virtuoso-opensource-7) instead, with
ResultSetMaxRows raised past the estate's largest answer, as docs/deployment.md advises
(no transactional-upload row: that compares Oxigraph's two upload modes). ``--general-commit``
sends every commit in the general form (``govgraph.write_only.ENABLED`` off), as before Stop 19.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import OxigraphServer, VirtuosoServer  # noqa: E402

from govgraph.data.generate import generate  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.lineage import live_graph as lineage_graph  # noqa: E402
from govgraph.lineage.queries import lineage  # noqa: E402
from govgraph.shapes import engine  # noqa: E402
from govgraph.store import open_store  # noqa: E402
from govgraph.webapp import create_app  # noqa: E402
from govgraph import write_only  # noqa: E402

CHANGE = """@prefix dcterms: <http://purl.org/dc/terms/> .
<{iri}> dcterms:alternative "benchmark change {n}" .
"""


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def trips(store) -> int:
    """HTTP requests the store's backend has sent so far (0 for the embedded store)."""
    return getattr(store.backend, "requests", 0)


def measure(store, estate: Path, tmp: Path, samples: int, rng: random.Random,
            rounds: dict[str, float] | None = None) -> dict[str, float]:
    """Medians per operation; ``rounds`` is given the median round trips of each (remote store)."""
    res: dict[str, float] = {}
    rounds = {} if rounds is None else rounds
    res["load s"], _ = timed(load_files, store, [estate], source="estate", validate=False)
    datasets = [str(r["d"]) for r in store.select("SELECT ?d WHERE { ?d a dcat:Dataset } ORDER BY ?d")]
    picks = rng.sample(datasets, min(samples, len(datasets)))
    times, sent, there, sent_there = [], [], [], []
    for i, iri in enumerate(picks[:10]):
        f = tmp / f"change{i}.ttl"
        f.write_text(CHANGE.format(iri=iri, n=i))
        before = trips(store)
        t, _ = timed(load_files, store, [f], source="change", replace=True)
        times.append(t)
        sent.append(trips(store) - before)
        if store.remote:  # interleaved: the same kind of change with every check evaluated by the server
            f.write_text(CHANGE.format(iri=iri, n=f"{i}b"))
            engine.FETCH_SCOPE = False
            try:
                before = trips(store)
                t, _ = timed(load_files, store, [f], source="change", replace=True)
            finally:
                engine.FETCH_SCOPE = True
            there.append(t)
            sent_there.append(trips(store) - before)
    res["validated change ms"] = 1000 * statistics.median(times)
    rounds["validated change ms"] = statistics.median(sent)
    res["validated change ms, checks on the server"] = 1000 * statistics.median(there or times)
    if there:
        rounds["validated change ms, checks on the server"] = statistics.median(sent_there)
    lineage_graph.clear_cache()
    before = trips(store)
    res["lineage build s"], _ = timed(lineage_graph.get_graph, store)
    rounds["lineage build s"] = trips(store) - before
    times = [timed(lineage, store, iri, "both", 5)[0] for iri in picks]
    res["lineage up+down d5 ms"] = 1000 * statistics.median(times)
    client = create_app({"STORE": store, "TESTING": True}).test_client()
    times, sent = [], []
    for iri in picks:
        before = trips(store)
        t, r = timed(client.get, "/asset?iri=" + urllib.parse.quote(iri, safe=""))
        assert r.status_code == 200, r.status_code
        times.append(t)
        sent.append(trips(store) - before)
    res["asset page ms"] = 1000 * statistics.median(times)
    rounds["asset page ms"] = statistics.median(sent)
    from govgraph.webapp import findings
    while findings.pending(store):  # past 1M triples the viewer validates in the background:
        time.sleep(0.2)             # let it finish before the caller closes the store under it
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--server", choices=["oxigraph", "virtuoso"], default="oxigraph")
    ap.add_argument("--general-commit", action="store_true",
                    help="a new source's commit in the general form, not write_only's (the form before Stop 19)")
    args = ap.parse_args()
    write_only.ENABLED = not args.general_commit
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            estate = tmp / "estate.nt"
            counts = generate(estate, datasets=n, seed=1)
            print(f"{n:,} datasets: {counts['triples']:,} triples", file=sys.stderr)
            emb = open_store(f"oxigraph:{tmp / 'embedded'}")
            e = measure(emb, estate, tmp, args.samples, random.Random(n))
            emb.close()
            server = (VirtuosoServer(tmp / "server", max_rows=10_000_000) if args.server == "virtuoso"
                      else OxigraphServer(tmp / "server")).start()
            try:
                rem = open_store(server.store_url)
                sent: dict[str, float] = {}
                r = measure(rem, estate, tmp, args.samples, random.Random(n), sent)
                rem.close()
            finally:
                server.stop()
            if args.server == "oxigraph":
                # the same load with plain Graph Store Protocol uploads (each a server transaction), as on
                # a server without Oxigraph's no_transaction option
                server = OxigraphServer(tmp / "server-tx").start()
                try:
                    plain = open_store(server.transactional_store_url)
                    r["load s (transactional uploads)"], _ = timed(load_files, plain, [estate], source="estate",
                                                                   validate=False)
                    e["load s (transactional uploads)"] = e["load s"]
                    plain.close()
                finally:
                    server.stop()
            for k in e:
                rows.append((n, k, e[k], r[k], r[k] / e[k], sent.get(k)))
                print(f"{n:>7,} {k:<24} embedded {e[k]:10.2f}  remote {r[k]:10.2f}  ratio {r[k] / e[k]:.2f}"
                      + (f"  round trips {sent[k]:g}" if k in sent else ""), file=sys.stderr)
    print("| datasets | measure | embedded | remote | remote/embedded | round trips |\n|---|---|---|---|---|---|")
    for n, k, e, r, ratio, rt in rows:
        print(f"| {n:,} | {k} | {e:.2f} | {r:.2f} | {ratio:.2f} | {'' if rt is None else f'{rt:g}'} |")


if __name__ == "__main__":
    main()
