"""Lineage benchmark on a generated estate in an embedded Oxigraph store (not part of the test run).

    python tests/bench/bench_lineage.py [--datasets 100000] [--nodes 1000] [--store DIR] [--keep]

Measures: graph build (core, then the on-demand field layer), upstream+downstream to depth
5 for random nodes (median, p99), impact of the warehouse system; and, in the same run,
the reference: the same up/down question as SPARQL 1.1 property paths in Oxigraph
(derivations, five steps each way), reporting the ratio. Numbers go to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govgraph.data.generate import BASE, generate
from govgraph.lineage.graph import DATA_KINDS, build, load_fields
from govgraph.lineage.queries import impact, lineage
from govgraph.store import open_store

PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
STEPS5 = "/".join([f"<{PROV}>"] + [f"<{PROV}>?"] * 4)  # one to five derivation steps


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--store", type=Path, help="Reuse (or create) the store here instead of a temporary one.")
    ap.add_argument("--keep", action="store_true", help="Keep the temporary store.")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-lineage-"))
    path = args.store or work / "store"
    fresh = not (path.exists() and any(path.iterdir()))
    store = open_store(f"oxigraph:{path}")
    if fresh:
        nt = work / "estate.nt"
        t = time.perf_counter()
        counts = generate(nt, args.datasets, seed=args.seed, defect_rate=0.02)
        print(f"generated {counts['datasets']:,} datasets, {counts['fields']:,} fields, {counts['flows']:,} flows, "
              f"{counts['triples']:,} triples in {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        with store.begin("estate") as tx:
            tx.load(nt, fmt="ntriples")
            tx.commit()
        print(f"loaded into the embedded store in {time.perf_counter() - t:.1f} s", flush=True)
        nt.unlink()

    t = time.perf_counter()
    lg = build(store)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    load_fields(lg)
    t_fields = time.perf_counter() - t
    print(f"graph build: {t_build:.1f} s core ({lg.g.number_of_nodes() - sum(len(v) for v in lg.fields_of.values()):,}"
          f" nodes); field layer {t_fields:.1f} s more; {lg.g.number_of_nodes():,} nodes, "
          f"{lg.g.number_of_edges():,} edges in all", flush=True)

    rnd = random.Random(args.seed)
    candidates = sorted(n for n, a in lg.g.nodes(data=True) if a.get("kind") in DATA_KINDS)
    sample = rnd.sample(candidates, min(args.nodes, len(candidates)))
    times, sizes = [], []
    for n in sample:
        t = time.perf_counter()
        res = lineage(lg, n, "both", 5)
        times.append(time.perf_counter() - t)
        sizes.append(len(res.nodes))
    med, p99 = statistics.median(times) * 1e3, _pct(times, 99) * 1e3
    print(f"up+down depth 5 over {len(sample)} random datasets: median {med:.2f} ms, p99 {p99:.2f} ms "
          f"(median {statistics.median(sizes):.0f} nodes per answer, max {max(sizes)})", flush=True)

    ref_times, ref_sizes = [], []
    q = ("SELECT DISTINCT ?x WHERE { { ?n %s ?x } UNION { ?x %s ?n } }" % (STEPS5, STEPS5))
    for n in sample:
        t = time.perf_counter()
        rows = list(store.query(q.replace("?n", f"<{n}>"), prefixes=False))
        ref_times.append(time.perf_counter() - t)
        ref_sizes.append(len(rows) + 1)
    rmed, rp99 = statistics.median(ref_times) * 1e3, _pct(ref_times, 99) * 1e3
    print(f"reference, SPARQL property paths (derivations only, 1-5 steps each way) on the same nodes: "
          f"median {rmed:.2f} ms, p99 {rp99:.2f} ms (median {statistics.median(ref_sizes):.0f} nodes); "
          f"ratio reference/engine: median {rmed / med:.1f}x, p99 {rp99 / p99:.1f}x", flush=True)

    dwh = BASE + "system/dwh"
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        res = impact(lg, dwh)
        runs.append(time.perf_counter() - t)
    counts = {k: g.count for k, g in res.groups.items()}
    print(f"impact of the warehouse system ({len(res.starting_set) - 1:,} held datasets): median "
          f"{statistics.median(runs) * 1e3:.0f} ms over 5 runs (first call {runs[0] * 1e3:.0f} ms); "
          f"{counts}", flush=True)
    ref = (f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?d <https://w3id.org/govgraph#heldIn> <{dwh}> . "
           f"?x <{PROV}>* ?d }}")
    t = time.perf_counter()
    n_ref = int(next(iter(store.query(ref, prefixes=False)))[0].value)
    t_ref = time.perf_counter() - t
    print(f"reference, SPARQL: downstream of the warehouse's datasets by prov:wasDerivedFrom* ({n_ref:,} nodes): "
          f"{t_ref * 1e3:.0f} ms; ratio {t_ref / statistics.median(runs):.1f}x", flush=True)

    store.close()
    if not args.keep and not args.store:
        shutil.rmtree(work, ignore_errors=True)
    elif not args.store:
        print(f"store kept at {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
