"""Benchmark: loading a ~1,000,000-triple Turtle file into the embedded store.

Compares govgraph's load path (``govgraph.io.load.load_files``: hidden graph, registry
update, change record; validation off, as in the foundation's unvalidated path) with
``pyoxigraph.Store.bulk_load`` of the same file into a fresh on-disk store, in the same
run. Each measurement runs in its own subprocess so peak RSS is that load's alone.

    python tests/bench/bench_load.py [--triples 1000000] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
kind, path, store_dir = sys.argv[1:4]
t0 = time.perf_counter()
if kind == "bulk_load":
    import pyoxigraph as ox
    s = ox.Store(store_dir)
    s.bulk_load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:bench"))
    s.flush()
    n = len(s)
else:
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    s = open_store("oxigraph:" + store_dir)
    import inspect
    kw = {"validate": False} if "validate" in inspect.signature(load_files).parameters else {}
    (r,) = load_files(s, [path], **kw)
    n = r.triples
    s.close()
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "triples": n, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_file(path: Path, triples: int) -> int:
    """Write a generated estate of about ``triples`` triples (Turtle) with the project's generator."""
    from govgraph.data.generate import generate
    per_dataset = 40  # measured roughly; corrected below
    probe = generate(path, datasets=1000, seed=1)
    per_dataset = probe["triples"] / 1000
    counts = generate(path, datasets=max(1, round(triples / per_dataset)), seed=1)
    return counts["triples"]


def measure(kind: str, path: Path) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(Path(d) / "store")],
                             capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "estate.ttl"
        t0 = time.perf_counter()
        n = make_file(path, args.triples)
        print(f"generated {n:,} triples ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        runs: dict[str, list[dict]] = {"bulk_load": [], "govgraph": []}
        for i in range(args.runs):
            for kind in runs:  # interleaved, so machine noise hits both alike
                runs[kind].append(measure(kind, path))
                print(f"run {i + 1} {kind}: {runs[kind][-1]['seconds']:.2f} s", file=sys.stderr)
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    rss = {k: statistics.median(r["rss_mb"] for r in v) for k, v in runs.items()}
    print(f"| path | median s | triples/s | peak RSS MB |\n|---|---|---|---|")
    for k in runs:
        print(f"| {k} | {med[k]:.2f} | {n / med[k]:,.0f} | {rss[k]:.0f} |")
    print(f"\nratio govgraph / bulk_load: {med['govgraph'] / med['bulk_load']:.2f} (target <= 2.0), "
          f"{n:,} triples, {args.runs} runs")


if __name__ == "__main__":
    main()
