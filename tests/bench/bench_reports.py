"""Benchmark: the ROPA and IAR reports on a generated 100,000-dataset estate (target < 10 s each).

The estate is written by ``govgraph.data.generate`` and loaded once into an embedded
store (validation off); pass ``--store oxigraph:PATH`` to reuse a loaded one. Each run
builds the report and renders it as CSV. The reference, measured in the same run and
interleaved, is the cheapest query that reads what the IAR shows: every information
asset's triples (``SELECT ?s ?p ?o WHERE { ?s a gov:InformationAsset ; ?p ?o }``),
iterated to the end. Medians are reported because the machine is shared.

    python tests/bench/bench_reports.py --runs 3 [--datasets 100000] [--store oxigraph:PATH] [--xlsx]

``--xlsx`` also times the IAR built and written as XLSX (no target; for comparison with CSV).
"""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govgraph.reports import build_report
from govgraph.reports.render import to_csv, to_xlsx
from govgraph.store import Store, open_store

ON = dt.date(2026, 11, 1)


def prepare(datasets: int, seed: int, workdir: Path) -> str:
    """Generate and load an estate of ``datasets`` datasets; returns the store URL."""
    from govgraph.data.generate import generate
    from govgraph.io.load import load_files
    ttl = workdir / f"estate-{datasets}.ttl"
    t0 = time.perf_counter()
    counts = generate(ttl, datasets, seed, 0.05)
    print(f"generated {counts['triples']:,} triples in {time.perf_counter() - t0:.1f} s", flush=True)
    url = f"oxigraph:{workdir / 'store'}"
    s = open_store(url)
    kw = {"validate": False} if "validate" in inspect.signature(load_files).parameters else {"force": True}
    t0 = time.perf_counter()
    load_files(s, [ttl], source="estate", **kw)
    print(f"loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    s.close()
    return url


def reference(store: Store) -> float:
    """Seconds to read every information asset's triples with one plain SELECT."""
    t0 = time.perf_counter()
    n = sum(1 for _ in store.query("SELECT ?s ?p ?o WHERE { ?s a gov:InformationAsset ; ?p ?o }"))
    assert n > 0
    return time.perf_counter() - t0


def report(store: Store, name: str, fmt: str = "csv") -> tuple[float, int]:
    """Seconds to build one report and render it as CSV (or XLSX), and its rows."""
    t0 = time.perf_counter()
    rep = build_report(store, name, ON)
    (to_xlsx if fmt == "xlsx" else to_csv)(rep)
    return time.perf_counter() - t0, sum(len(t.rows) for t in rep.tables)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--store", help="Reuse a loaded store (oxigraph:PATH) instead of generating one.")
    ap.add_argument("--xlsx", action="store_true", help="Also time the IAR written as XLSX.")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        url = args.store or prepare(args.datasets, args.seed, Path(tmp))
        store = open_store(url)
        print(f"store {url}: {store.triple_count():,} triples; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        times: dict[str, list[float]] = {"reference": [], "ropa": [], "iar": []}
        if args.xlsx:
            times["iar-xlsx"] = []
        rows = {}
        for i in range(args.runs):
            times["reference"].append(reference(store))
            for name in ("ropa", "iar"):
                t, rows[name] = report(store, name)
                times[name].append(t)
            if args.xlsx:
                t, rows["iar-xlsx"] = report(store, "iar", "xlsx")
                times["iar-xlsx"].append(t)
            print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        store.close()
    ref = statistics.median(times["reference"])
    print("\n| path | median s | rows | ratio to reference |\n|---|---|---|---|")
    print(f"| reference (plain SELECT of asset triples) | {ref:.2f} | | 1.00 |")
    ok = True
    for name in ("ropa", "iar"):
        m = statistics.median(times[name])
        ok &= m < 10
        print(f"| {name} (build + CSV) | {m:.2f} | {rows[name]:,} | {m / ref:.2f} |")
    if args.xlsx:
        m = statistics.median(times["iar-xlsx"])
        print(f"| iar (build + XLSX) | {m:.2f} | {rows['iar-xlsx']:,} | {m / ref:.2f} |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("\nboth under 10 s" if ok else "\nOVER the 10 s target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
