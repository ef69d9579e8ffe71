"""The search index's application of one write, timed: what the follower of `govgraph serve` spends on it.

Alternately one OpenLineage RunEvent (reading a catalogued dataset by its alias, writing a new table)
and a one-dataset source (a synonym) are committed to an embedded store, and each change is applied to
the index the write before left (``search_index.apply``, as ``govgraph.live`` does). Reported: the medians,
p95 and max per kind (the first of each kind apart: it makes the long lists it touches chunked, once),
the items copied per write (``persistent.Work``), and what merging the largest overlay would copy.
Writes go to the store given (use a copy).

    python tests/bench/bench_search_apply.py --store DIR [--rounds 20]
    python tests/bench/bench_search_apply.py --datasets 10000 [--rounds 20]   (generates and loads into a temporary store)

Target (issue 18): proportional to the change, not the estate: under 10 ms at 10k and the same at 100k.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pyoxigraph as ox

from govgraph import live, search_index
from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import write_source
from govgraph.persistent import Work, merge_at
from govgraph.store import open_store

ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")


def event(n: int, ns: str, name: str) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z", "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "airflow", "name": f"apply_bench_{n}"}, "inputs": [{"namespace": ns, "name": name}],
            "outputs": [{"namespace": "mssql://dwh", "name": f"mart.apply_bench_{n}"}],
            "producer": "https://example.org/bench", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"}


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", help="an embedded store's folder (written to)")
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    folder = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="bench-search-apply-")) / "store"
    store = open_store(f"oxigraph:{folder}")
    if not args.store:
        generate(folder.parent / "estate.nt", datasets=args.datasets, seed=1)
        load_files(store, [folder.parent / "estate.nt"], source="estate", validate=False)
    row = store.select("SELECT ?d ?a WHERE { ?d a dcat:Dataset ; gov:heldIn ?s ; gov:alias ?a } ORDER BY ?d LIMIT 1")[0]
    dataset, (ns, name) = ox.NamedNode(str(row["d"])), str(row["a"]).rsplit("/", 1)
    t = time.perf_counter()
    idx = search_index.build(store)
    print(f"{store.triple_count():,} triples, {len(idx.order):,} entries, {len(idx.tokens):,} words; "
          f"built in {time.perf_counter() - t:.1f} s")
    times: dict[str, list[float]] = {"event": [], "source": []}
    copied: dict[str, list[int]] = {"event": [], "source": []}
    for n in range(2 * args.rounds + 2):
        kind, before = ("source", "event")[n % 2], store.revision
        if kind == "event":
            ingest_event(store, event(n, ns, name))
        else:
            write_source(store, f"apply-bench-{uuid.uuid4().hex[:8]}", [ox.Triple(dataset, ALT, ox.Literal(f"Apply {n}"))],
                         who="bench", force=True, may_remove=True)
        change = live.changes(store, before, store.revision, live.DEFAULT_THRESHOLD)
        w, t = Work.copied, time.perf_counter()
        idx = search_index.apply(idx, store, change)
        times[kind].append((time.perf_counter() - t) * 1000)
        copied[kind].append(Work.copied - w)
        assert idx is not None, "built afresh, not applied"
    print("| write | first ms | median ms | p95 ms | max ms | items copied (median) |\n|---|---|---|---|---|---|")
    for kind, xs in times.items():
        print(f"| {kind} | {xs[0]:.1f} | {statistics.median(xs[1:]):.1f} | {p95(xs[1:]):.1f} | {max(xs[1:]):.1f} | "
              f"{statistics.median(copied[kind][1:]):,.0f} |")
    biggest = max((idx.labels, idx.ids, *idx.postings, idx.facet_postings), key=len)
    t = time.perf_counter()
    dict(biggest.base)
    print(f"merging the largest overlay copies {len(biggest.base):,} entries ({(time.perf_counter() - t) * 1000:.0f} ms), "
          f"once in every {merge_at(len(biggest.base)):,} changed keys; load {open('/proc/loadavg').read().split()[:3]}")
    store.close()


if __name__ == "__main__":
    main()
