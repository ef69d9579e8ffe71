"""Does an OpenLineage event cost more after thousands of others? Per-event ingest time against events already
ingested, in-process on an embedded store holding a generated estate (issue 18's stream: 20 events a second for
5 minutes is 6,000 events).

    python tests/bench/bench_stream_growth.py [--datasets 10000] [--events 5000] [--window 500] [--estate FILE.nt]

Events are ingested one after another as ``bench_live.py --stream`` sends them (each reads one of 200 catalogued
datasets and writes a new table). Per window: the median time of an event and the CPU time of the ingesting thread,
and, read after the window, one commit's change record (``read_history`` of one revision: what every live view
reads per commit) and the whole history read afresh (what ``Store.history``, behind the dashboard's recent changes,
read at every revision before it kept its records and appended the new ones). Target: the last window costs what
the first does (no growth with the number of events).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govgraph.audit import read_history
from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.store import open_store

from bench_live import event  # the same RunEvent as the live benchmark's stream


def timed(f, n: int = 20) -> float:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=5_000)
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--estate", help="an N-Triples estate to load instead of generating one")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-growth-"))
    try:
        estate = Path(args.estate) if args.estate else tmp / "estate.nt"
        if not args.estate:
            generate(estate, datasets=args.datasets, seed=1)
        store = open_store(f"oxigraph:{tmp / 'store'}")
        load_files(store, [estate], source="estate", validate=False)
        inputs = [tuple(str(r["a"]).rsplit("/", 1)) for r in store.select(
            "SELECT ?d ?a WHERE { ?d a dcat:Dataset ; gov:heldIn ?s ; gov:alias ?a } ORDER BY ?d LIMIT 200")]
        print(f"{store.triple_count():,} triples; {args.events} events in windows of {args.window}")
        print("| events ingested | median ms an event | thread CPU ms an event | one change record ms "
              "| whole history read afresh ms (what Store.history read per revision before) |\n|---|---|---|---|---|")
        done = 0
        while done < args.events:
            took, cpu = [], time.thread_time()
            for _ in range(args.window):
                t = time.perf_counter()
                ingest_event(store, event(done, *inputs[done % len(inputs)]), who="bench")
                took.append(time.perf_counter() - t)
                done += 1
            cpu = 1000 * (time.thread_time() - cpu) / args.window
            rev = store.revision
            one = timed(lambda: read_history(store.backend, rev - 1, rev))
            store.history()  # kept from here: a later call reads only what is new
            history = timed(lambda: (store.forget_history(), store.history()), 3)
            print(f"| {done:,} | {1000 * statistics.median(took):.1f} | {cpu:.1f} | {one:.2f} | {history:.0f} |",
                  flush=True)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("load average", open("/proc/loadavg").read().split()[:3], file=sys.stderr)


if __name__ == "__main__":
    main()
