"""Benchmark: building the redacted copy a reader without access groups reads (``--hide-sensitive``).

Loads the sample estate (and, with ``--datasets N``, a generated estate of N datasets beside
it) into an embedded store on disk, then times ``access.redaction_for`` (what is hidden, which
records only describe it, which visible IRIs are renamed) and ``access.redact`` (the copy) for
the anonymous reader, ``--samples`` times each, bypassing the per-revision cache. Medians.

    python tests/bench/bench_access.py [--datasets 0] [--samples 7]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from govgraph import access
from govgraph.io.load import load_files
from govgraph.store import open_store

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=0, help="also load a generated estate of this many datasets")
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = open_store(f"oxigraph:{Path(d) / 'store'}")
        load_files(store, sorted((REPO / "data" / "sample").glob("*.ttl")), validate=False)
        if args.datasets:
            from govgraph.data.generate import generate
            estate = Path(d) / "estate.nt"
            generate(estate, datasets=args.datasets, seed=1)
            load_files(store, [estate], source="estate", validate=False)
        triples = sum(1 for _ in store.quads(None, None, None, None))
        viewer = access.ANONYMOUS
        access.restricted_assets(store)  # cached per revision, as in the server
        plan, build = [], []
        for _ in range(args.samples):
            t = time.perf_counter()
            r = access.redaction_for(store, viewer)
            t1 = time.perf_counter()
            view = access.redact(store, r)
            t2 = time.perf_counter()
            plan.append(t1 - t), build.append(t2 - t1)
        kept = sum(1 for _ in view.quads(None, None, None, None))
        print(f"estate: {triples:,} triples, {len(r.hidden):,} hidden assets, "
              f"{len(r.dependents):,} dependent records, {len(getattr(r, 'renamed', ())):,} renamed; "
              f"copy {kept:,} triples")
        print(f"redaction_for: median {statistics.median(plan) * 1000:.0f} ms; "
              f"redact: median {statistics.median(build) * 1000:.0f} ms; "
              f"total median {statistics.median(p + b for p, b in zip(plan, build)) * 1000:.0f} ms "
              f"({args.samples} samples)")


if __name__ == "__main__":
    main()
