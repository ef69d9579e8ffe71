"""Benchmark the synthetic estate generator: seconds, triples, triples/s and peak RSS per size.

Each run happens in its own subprocess so peak RSS is measured per size. Sizes below
100,000 datasets report the median of 3 runs, larger ones a single run. Prints a
markdown table. Not collected by pytest (bench_*.py).

    python tests/bench/bench_generate.py [--sizes 1000 10000 100000] [--format nt|ttl]
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(datasets: int, out: Path) -> dict:
    """Generate one estate in this process; returns timings, counts and peak RSS."""
    from govgraph.data.generate import generate

    start = time.perf_counter()
    counts = generate(out, datasets, seed=1)
    seconds = time.perf_counter() - start
    size = out.stat().st_size
    out.unlink()
    return {"datasets": datasets, "seconds": seconds, "triples": counts["triples"], "bytes": size,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_in_subprocess(datasets: int, folder: Path, suffix: str) -> dict:
    out = folder / f"estate-{datasets}{suffix}"
    proc = subprocess.run([sys.executable, __file__, "--child", str(datasets), str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def measure(datasets: int, runs: int, folder: Path, suffix: str) -> dict:
    """Median seconds (and the largest peak RSS) over ``runs`` subprocess runs."""
    results = [run_in_subprocess(datasets, folder, suffix) for _ in range(runs)]
    best = dict(results[0])
    best["seconds"] = statistics.median(r["seconds"] for r in results)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    best["runs"] = runs
    return best


def table(rows: list[dict], suffix: str) -> str:
    lines = [f"| datasets | runs | seconds | triples | triples/s | file size ({suffix}) | peak RSS |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['datasets']:,} | {r['runs']} | {r['seconds']:.2f} | {r['triples']:,} | "
                     f"{r['triples'] / r['seconds']:,.0f} | {r['bytes'] / 1e6:,.1f} MB | {r['peak_rss_mb']:.0f} MB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    p.add_argument("--format", choices=("nt", "ttl"), default="nt")
    p.add_argument("--child", nargs=2, metavar=("DATASETS", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_once(int(args.child[0]), Path(args.child[1]))))
        return 0
    suffix = "." + args.format
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp:
        rows = []
        for n in args.sizes:
            rows.append(measure(n, 3 if n < 100_000 else 1, Path(tmp), suffix))
            print(f"{n:,} datasets: {rows[-1]['seconds']:.2f} s", file=sys.stderr, flush=True)
    print(table(rows, suffix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
