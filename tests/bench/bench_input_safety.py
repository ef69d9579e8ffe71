"""Benchmark: what the issue-21 input and output checks cost (refused characters; safe spreadsheet cells).

1. The refused-character checks of a file load against the load itself (``load_files``, validation
   off), on a generated N-Triples file of ``--triples`` triples in an embedded store: the byte scan
   every load runs (``may_spell``), and the SPARQL REGEX query over the parsed triples
   (``check_graph``) that runs only when the byte scan finds a possible character.
2. Writing the IAR of a generated estate as CSV through ``CellWriter`` (every cell a
   ``safe_cell``) against a plain ``csv.writer`` over the same rows.

Runs are interleaved and medians reported (the machine is shared).

    python tests/bench/bench_input_safety.py [--triples 1000000] [--runs 3]
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from govgraph.io.cells import CellWriter
from govgraph.io.characters import check_graph, may_spell
from govgraph.io.iar import read_rows
from govgraph.io.load import load_files
from govgraph.store import open_store, source_graph_iri


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    import pyoxigraph as ox
    from govgraph.data.generate import generate
    with tempfile.TemporaryDirectory(prefix="bench-safety-") as tmp:
        full = Path(tmp) / "estate-full.nt"
        generate(full, max(1, args.triples // 45), 7, 0.05)
        nt = Path(tmp) / "estate.nt"
        with open(full, encoding="utf-8") as src, open(nt, "w", encoding="utf-8") as out:
            out.writelines(itertools.islice(src, args.triples))
        print(f"{args.triples:,} triples; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
        loads, bytescans, scans, plain, safe = [], [], [], [], []
        for run in range(args.runs):
            url = f"oxigraph:{Path(tmp) / f'store-{run}'}"
            store = open_store(url)
            t0 = time.perf_counter()
            load_files(store, [nt], source="estate", validate=False)
            loads.append(time.perf_counter() - t0)  # includes the byte scan
            t0 = time.perf_counter()
            assert not may_spell(nt)
            bytescans.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            check_graph(store, ox.NamedNode(source_graph_iri("estate")), "bench:")
            scans.append(time.perf_counter() - t0)
            rows = [cells for _, cells in read_rows(store)]
            t0 = time.perf_counter()
            w = csv.writer(io.StringIO(), lineterminator="\n")
            w.writerows(rows)
            plain.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            CellWriter(io.StringIO()).writerows(rows)
            safe.append(time.perf_counter() - t0)
            store.close()
        med = statistics.median
        print(f"load_files (validation off, byte scan included): median {med(loads):.2f} s  runs {[round(x, 2) for x in loads]}")
        print(f"byte scan (may_spell) alone:  median {med(bytescans):.2f} s  ({100 * med(bytescans) / med(loads):.1f}% of the load)")
        print(f"triple scan (check_graph, only after a byte-scan hit): median {med(scans):.2f} s "
              f"({100 * med(scans) / med(loads):.0f}% of the load)")
        print(f"IAR CSV, {len(rows):,} rows x {len(rows[0]) if rows else 0}: plain csv.writer median {med(plain):.3f} s; "
              f"CellWriter median {med(safe):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
