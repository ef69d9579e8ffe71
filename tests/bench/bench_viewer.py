"""Benchmark: the impact page, the systems map and the sharing page over a generated estate.

Through the real WSGI app (Flask's test client: server time without the network), each page
warm (the lineage graph of the revision built once, as a running server has it): the median
and 95th percentile over repeated requests, impact for random systems and datasets. Also the
size of the systems-map page (the drawing is inline). Targets from issue 19: each page under
300 ms median once warm.

    python tests/bench/bench_viewer.py [--datasets 10000] [--store DIR] [--samples 30]

The store folder is reused when it already holds the estate.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_webapp import ms, open_estate, pct, timed  # noqa: E402

TARGET_MS = 300


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--store", type=Path, default=None, help="store folder to build or reuse")
    ap.add_argument("--samples", type=int, default=30)
    args = ap.parse_args(argv)

    from govgraph.lineage.live_graph import get_graph
    from govgraph.webapp import create_app

    store_dir = args.store or Path(f"/tmp/govgraph-bench-viewer-{args.datasets}")
    store = open_estate(store_dir, args.datasets, args.seed)
    client = create_app({"STORE": store, "TESTING": True}).test_client()
    t0 = time.perf_counter()
    lg = get_graph(store)
    print(f"lineage graph: {lg.g.number_of_nodes():,} nodes, {lg.g.number_of_edges():,} edges "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    rng = random.Random(args.seed)
    systems = sorted(n for n, a in lg.g.nodes(data=True) if a.get("kind") == "system" and not a.get("external"))
    datasets = sorted(n for n, a in lg.g.nodes(data=True) if a.get("kind") == "dataset")
    # impact of the system holding most datasets (a warehouse: the worst case) is measured on its own
    biggest = max(systems, key=lambda s: len(lg.held.get(s, ())))
    impact_urls = [f"/impact?iri={quote(i, safe='')}" for i in
                   rng.sample(systems, min(len(systems), args.samples // 2)) + rng.sample(datasets, args.samples // 2)]
    pages = {
        "impact (random systems and datasets)": impact_urls,
        f"impact ({lg.label(biggest)}, {len(lg.held.get(biggest, ())):,} datasets)":
            [f"/impact?iri={quote(biggest, safe='')}"] * max(5, args.samples // 3),
        "systems map": ["/systems"] * args.samples,
        "sharing": ["/sharing"] * args.samples,
        "impact CSV (the biggest system)": [f"/impact.csv?iri={quote(biggest, safe='')}"] * max(5, args.samples // 3),
    }
    failed = False
    for name, urls in pages.items():
        first, body = timed(client, urls[0])  # cold for this page: its per-revision indexes are built here
        times = [timed(client, u)[0] for u in urls]
        med, p95 = ms(statistics.median(times)), ms(pct(times, 0.95))
        ok = "ok" if med < TARGET_MS or "CSV" in name else "OVER TARGET"
        failed |= ok != "ok"
        print(f"{name:55} first {ms(first):8.1f} ms  median {med:7.1f} ms  p95 {p95:7.1f} ms  "
              f"({len(body) / 1024:,.0f} KB)  {ok}", flush=True)
    store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
