"""Layout benchmark: govgraph's layered layout against Graphviz dot on the same lineage graphs
(not part of the test run; needs the Debian ``graphviz`` package).

    python tests/bench/bench_layout.py [--datasets 10000] [--graphs 50] [--store DIR]

For the sample estate and a generated estate: 50 lineage graphs as the viewer draws them
(default depth, both directions, fans above 8 collapsed, parallel edges bundled), and 10 systems
of the generated estate with every group expanded (the largest drawings), laid out by
``govgraph.webapp.svg.layout`` and by ``dot -Tjson`` with the same box sizes, gaps and label
sizes; both measured the same way (tests/layout_quality.py): edge crossings, drawing area,
overlaps node-node / label-node / label-label, and time to lay out. Numbers go to
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govgraph.data.estate import load_sample
from govgraph.data.generate import generate
from govgraph.store import open_store
from govgraph.webapp.graphs import MAX_DRAWN

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/layout_quality.py
from layout_quality import dot, drawn_graphs, measure, ours  # noqa: E402


def run(name: str, store, count: int, **which) -> None:
    graphs = drawn_graphs(store, count, **which)
    rows = {"ours": [], "dot": []}
    for _, sub in graphs:
        for who, fn in (("ours", ours), ("dot", dot)):
            t = time.perf_counter()
            d = fn(sub)
            rows[who].append((time.perf_counter() - t, measure(d)))
    sizes = [len(sub.nodes) for _, sub in graphs]
    print(f"\n{name}: {len(graphs)} graphs, nodes per graph median {statistics.median(sizes):.0f}, max {max(sizes)} "
          f"(load average {os.getloadavg()[0]:.1f})")
    print("| layout | crossings total | crossings median | graphs with fewer crossings than the other | "
          "area median (Mpx²) | area total (Mpx²) | overlaps node-node / label-node / label-label | time median (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for who, other in (("ours", "dot"), ("dot", "ours")):
        qs = [q for _, q in rows[who]]
        fewer = sum(1 for a, b in zip(qs, (q for _, q in rows[other])) if a.crossings < b.crossings)
        print(f"| {'govgraph' if who == 'ours' else 'Graphviz dot'} | {sum(q.crossings for q in qs)} | "
              f"{statistics.median(q.crossings for q in qs):.0f} | {fewer} | "
              f"{statistics.median(q.area for q in qs) / 1e6:.2f} | {sum(q.area for q in qs) / 1e6:.1f} | "
              f"{sum(q.node_node for q in qs)} / {sum(q.label_node for q in qs)} / {sum(q.label_label for q in qs)} | "
              f"{statistics.median(t for t, _ in rows[who]) * 1e3:.0f} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--graphs", type=int, default=50)
    ap.add_argument("--systems", type=int, default=10, help="systems drawn with every group expanded")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--store", type=Path, help="Reuse (or create) the generated estate's store here.")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-layout-"))

    sample = open_store(f"oxigraph:{work / 'sample'}")
    load_sample(sample)
    run("sample estate", sample, args.graphs)
    sample.close()

    path = args.store or work / "estate"
    fresh = not (path.exists() and any(path.iterdir()))
    store = open_store(f"oxigraph:{path}")
    if fresh:
        nt = work / "estate.nt"
        generate(nt, args.datasets, seed=args.seed, defect_rate=0.02)
        with store.begin("estate") as tx:
            tx.load(nt, fmt="ntriples")
            tx.commit()
        nt.unlink()
    run(f"generated estate ({args.datasets:,} datasets)", store, args.graphs)
    run(f"generated estate, systems with every group expanded (worst case, up to {MAX_DRAWN} boxes)", store,
        args.systems, kinds=frozenset({"system"}), collapse=False)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
