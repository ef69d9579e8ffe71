"""Lineage benchmark on a generated estate in an embedded Oxigraph store (not part of the test run).

    python tests/bench/bench_lineage.py [--datasets 100000] [--nodes 1000] [--store DIR] [--keep]

Measures: graph build (core, then the on-demand field layer), upstream+downstream to depth
5 for random nodes (median, p99), impact of the warehouse system (before and after the
field layer is loaded, and as JSON); and, in the same run,
the reference: the same up/down question as SPARQL 1.1 property paths in Oxigraph
(derivations, five steps each way), reporting the ratio. Numbers go to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govgraph.data.generate import generate
from govgraph.data.reference import BASE
from govgraph.lineage.graph import DATA_KINDS, ImpactIndex, build, load_fields
from govgraph.lineage.queries import impact, lineage
from govgraph.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/impact_reference.py
from impact_reference import impact_by_walk  # noqa: E402

PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
STEPS5 = "/".join([f"<{PROV}>"] + [f"<{PROV}>?"] * 4)  # one to five derivation steps


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _impact_runs(lg, n: int):
    """Impact of the warehouse n times: (the times, the last answer)."""
    dwh = BASE + "system/dwh"
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        res = impact(lg, dwh)
        runs.append(time.perf_counter() - t)
    return runs, res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--impact-runs", type=int, default=15)
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
    ImpactIndex.of(lg)  # made once more, to time it: build makes it too
    t_index = time.perf_counter() - t
    core_nodes = lg.g.number_of_nodes()
    impact_core = _impact_runs(lg, args.impact_runs)
    t = time.perf_counter()
    load_fields(lg)
    t_fields = time.perf_counter() - t
    print(f"graph build: {t_build:.1f} s core ({core_nodes:,} nodes; of which impact index {t_index:.2f} s); "
          f"field layer {t_fields:.1f} s more; {lg.g.number_of_nodes():,} nodes, "
          f"{lg.g.number_of_edges():,} edges in all (load average {os.getloadavg()[0]:.1f})", flush=True)

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
    impact_fields = _impact_runs(lg, args.impact_runs)
    for name, (runs, res) in (("field layer not loaded", impact_core), ("field layer loaded", impact_fields)):
        counts = {k: g.count for k, g in res.groups.items()}
        print(f"impact of the warehouse system ({len(res.starting_set) - 1:,} held datasets), {name}: median "
              f"{statistics.median(runs) * 1e3:.0f} ms over {len(runs)} runs (first call {runs[0] * 1e3:.0f} ms, "
              f"max {max(runs) * 1e3:.0f} ms); {counts}", flush=True)
    runs = impact_fields[0]
    plain = []
    for _ in range(5):
        t = time.perf_counter()
        impact_by_walk(lg, dwh)
        plain.append(time.perf_counter() - t)
    print(f"reference, a plain walk (tests/impact_reference.py: walk() and a row per node, no dicts): median "
          f"{statistics.median(plain) * 1e3:.0f} ms over 5 runs; ratio {statistics.median(plain) / statistics.median(runs):.1f}x",
          flush=True)
    t = time.perf_counter()
    body = json.dumps(impact(lg, dwh).to_dict())
    print(f"impact as JSON (to_dict + json.dumps, {len(body) / 1e6:.1f} MB): {(time.perf_counter() - t) * 1e3:.0f} ms",
          flush=True)
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
