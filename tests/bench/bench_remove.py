"""Benchmark: removing a large source against loading it, time and peak memory, on both backends.

Embedded (default 1,000,000 triples of a generated estate): each step runs in its own
subprocess on the same store folder, so its peak RSS (ru_maxrss) is its own:

* ``load``     -- ``load_files`` (unvalidated path) of the file as source "big";
* ``remove``   -- ``Store.remove_source("big")``;
* ``reload``   -- loading "big" again, which first moves the removal's kept triples to its
                  difference graph and empties the old graph, in batches (``removal.reclaim``);
* ``one-transaction remove`` (``--old-runs``, on a copy of the loaded store) -- the removal as it
  was before: one update copying the source to its difference graph and dropping it.

Remote (``--remote-triples``, default 100,000; 0 to skip): a real ``oxigraph serve`` per run;
load then removal through govgraph, with the server's peak RSS for each (VmHWM, reset in between).

Reports medians over ``--runs`` and the ratios to the load of the same run (target: memory <= 1x,
time <= 2x).

    python tests/bench/bench_remove.py [--triples 1000000] [--runs 3] [--old-runs 1] [--remote-triples 100000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import OxigraphServer  # noqa: E402

CHILD = r"""
import json, resource, sys, time
kind, path, url = sys.argv[1:4]
from govgraph.io.load import load_files
from govgraph.audit import revision_update
from govgraph.store import open_store, diff_graph, META_GRAPH
s = open_store(url)
t0 = time.perf_counter()
if kind in ("load", "reload"):
    (r,) = load_files(s, [path], source="big", validate=False)
    n = r.triples
elif kind == "remove":
    n = s.remove_source("big").removed
else:  # the removal as one transaction, as before (same update text as the old Store.remove_source)
    info = s.source("big")
    rec = s.new_record(info.name, "remove", "bench", 0, info.triples, False, "")
    g = info.graph
    s.backend.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{g}> ?p ?o }} }};" + revision_update(rec)
                + f"; ADD SILENT <{g}> TO <{diff_graph(rec.revision, 'removed')}>; DROP SILENT GRAPH <{g}>")
    n = info.triples
s.close()
print(json.dumps({"seconds": time.perf_counter() - t0, "triples": n,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(kind: str, path: Path, url: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), url], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_file(path: Path, triples: int) -> int:
    from govgraph.data.generate import generate
    per_dataset = generate(path, datasets=1000, seed=1)["triples"] / 1000
    return generate(path, datasets=max(1, round(triples / per_dataset)), seed=1)["triples"]


def server_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_hwm(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux)


def table(title: str, runs: dict[str, list[dict]], server: dict[str, list[float]] | None = None) -> None:
    load_s = statistics.median(r["seconds"] for r in runs["load"])
    load_m = statistics.median(r["rss_mb"] for r in runs["load"])
    print(f"\n{title}\n")
    head = "| step | median s | x load time | peak RSS MB | x load RSS |"
    print(head + (" server peak RSS MB |" if server else "") + "\n" + "|---" * (6 if server else 5) + "|")
    for k, v in runs.items():
        if not v:
            continue
        s, m = statistics.median(r["seconds"] for r in v), statistics.median(r["rss_mb"] for r in v)
        row = f"| {k} ({len(v)} runs) | {s:.2f} | {s / load_s:.2f} | {m:.0f} | {m / load_m:.2f} |"
        if server:
            row += f" {statistics.median(server[k]):.0f} |"
        print(row)


def embedded(path: Path, runs: int, old_runs: int) -> None:
    res: dict[str, list[dict]] = {"load": [], "remove": [], "reload": [], "one-transaction remove": []}
    for i in range(max(runs, old_runs)):
        with tempfile.TemporaryDirectory(dir=path.parent) as d:
            url = f"oxigraph:{Path(d) / 'store'}"
            res["load"].append(child("load", path, url))
            if i < old_runs:
                copy = Path(d) / "copy"
                shutil.copytree(Path(d) / "store", copy)
                res["one-transaction remove"].append(child("old", path, f"oxigraph:{copy}"))
                shutil.rmtree(copy)
            if i < runs:
                res["remove"].append(child("remove", path, url))
                res["reload"].append(child("reload", path, url))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.1f} s {v[-1]['rss_mb']:.0f} MB"
                                             for k, v in res.items() if len(v) > i), file=sys.stderr)
    table(f"Embedded store, {res['load'][0]['triples']:,} triples", res)


def remote(path: Path, runs: int) -> None:
    res: dict[str, list[dict]] = {"load": [], "remove": []}
    hwm: dict[str, list[float]] = {"load": [], "remove": []}
    for i in range(runs):
        with tempfile.TemporaryDirectory(dir=path.parent) as d:
            server = OxigraphServer(Path(d) / "server").start()
            try:
                pid = server.proc.pid
                reset_hwm(pid)
                res["load"].append(child("load", path, server.store_url))
                hwm["load"].append(server_hwm_mb(pid))
                reset_hwm(pid)
                res["remove"].append(child("remove", path, server.store_url))
                hwm["remove"].append(server_hwm_mb(pid))
            finally:
                server.stop()
        print(f"remote run {i + 1}: load {res['load'][-1]['seconds']:.1f} s, remove {res['remove'][-1]['seconds']:.1f} s; "
              f"server peak {hwm['load'][-1]:.0f} / {hwm['remove'][-1]:.0f} MB", file=sys.stderr)
    table(f"Remote store (oxigraph serve), {res['load'][0]['triples']:,} triples; peak RSS is govgraph's", res, hwm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--old-runs", type=int, default=1, help="runs of the one-transaction removal (slow)")
    ap.add_argument("--remote-triples", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if args.triples:
            path = Path(d) / "estate.ttl"
            t0 = time.perf_counter()
            n = make_file(path, args.triples)
            print(f"generated {n:,} triples in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            embedded(path, args.runs, args.old_runs)
        if args.remote_triples:
            path = Path(d) / "remote.ttl"
            make_file(path, args.remote_triples)
            remote(path, args.runs)


if __name__ == "__main__":
    main()
