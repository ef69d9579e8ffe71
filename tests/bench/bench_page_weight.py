"""Benchmark: the weight of every page with a drawing (issue 19: under 300 KB), on a generated estate.

Through the real WSGI app (Flask's test client), the HTML of: the systems map (every service
area too), the lineage page of the busiest systems at one to three steps, the asset page with its
inline lineage for random datasets and the busiest systems, the ownership graph of the people
owning most, and the impact page; plus the stylesheet and script every drawing page loads. The
tables of a drawing's nodes and edges (its own page, paged) and the drawings with every group
drawn in full are measured too. Prints
each family's largest page with the shared static files added (what a first visit downloads:
uncompressed, as govgraph's server sends it; and gzipped, as a proxy compressing responses would).

    python tests/bench/bench_page_weight.py [--datasets 10000] [--store DIR] [--samples 20]
"""
from __future__ import annotations

import argparse
import gzip
import html
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_webapp import open_estate  # noqa: E402

TARGET_KB = 300
STATIC = ["/static/style.css", "/static/panzoom.js"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--store", type=Path, default=None, help="store folder to build or reuse")
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args(argv)

    from govgraph.lineage.live_graph import get_graph
    from govgraph.lineage.systems_map import systems_map
    from govgraph.webapp import create_app

    store = open_estate(args.store or Path(f"/tmp/govgraph-bench-viewer-{args.datasets}"), args.datasets, args.seed)
    client = create_app({"STORE": store, "TESTING": True}).test_client()
    t0 = time.perf_counter()
    lg = get_graph(store)
    print(f"lineage graph: {lg.g.number_of_nodes():,} nodes in {time.perf_counter() - t0:.1f} s", flush=True)

    def get(url: str) -> tuple[int, int]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        return len(r.data), len(gzip.compress(r.data, 6))

    static, static_gz = (sum(x) for x in zip(*(get(u) for u in STATIC)))
    rng = random.Random(args.seed)
    nodes = lg.g.nodes(data=True)
    systems = sorted((n for n, a in nodes if a.get("kind") == "system" and not a.get("external")),
                     key=lambda s: -lg.g.degree(s))[:5]
    datasets = rng.sample(sorted(n for n, a in nodes if a.get("kind") == "dataset"), args.samples)
    owners = [o for o, _ in Counter(a.get("owner") for _, a in nodes if a.get("owner")).most_common(3)]
    areas = [iri for iri, _ in systems_map(store, None).service_areas]
    q = lambda i: quote(i, safe="")  # noqa: E731
    families = {
        "systems map (all, and each service area)": ["/systems"] + [f"/systems?area={q(a)}" for a in areas],
        "lineage, busiest systems, 1-3 steps": [f"/lineage?iri={q(s)}&depth={d}" for s in systems for d in (1, 2, 3)],
        "asset page with inline lineage": [f"/asset?iri={q(i)}" for i in datasets + systems],
        "ownership graph, people owning most": [f"/ownership?iri={q(o)}" for o in owners],
        "impact, busiest systems": [f"/impact?iri={q(s)}" for s in systems],
        "a graph's table page (busiest, page 1)": [f"/lineage/table?iri={q(s)}&depth=3" for s in systems]
        + [f"/ownership/table?iri={q(o)}" for o in owners],
    }
    # the same drawings with every group drawn in full (the link "Show every group in full")
    every = [html.unescape(m) for u in families["lineage, busiest systems, 1-3 steps"] + families[
        "ownership graph, people owning most"] for m in re.findall(r'<a href="([^"]+)">Show every group in full',
                                                                    client.get(u).get_data(as_text=True))]
    families["the same with every group drawn in full"] = every
    failed = False
    print(f"static files every drawing page loads: {static / 1024:,.0f} KB ({static_gz / 1024:,.0f} KB gzipped)")
    for name, urls in families.items():
        sizes = sorted(get(u) for u in urls)
        worst = (sizes[-1][0] + static) / 1024
        ok = "ok" if worst < TARGET_KB else "OVER TARGET"
        failed |= ok != "ok"
        print(f"{name:45} {len(urls):3} pages  median {sizes[len(sizes) // 2][0] / 1024:6.0f} KB  "
              f"largest {sizes[-1][0] / 1024:6.0f} KB (+ static {worst:6.0f} KB; gzipped "
              f"{(sizes[-1][1] + static_gz) / 1024:5.0f} KB)  {ok}", flush=True)
    store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
