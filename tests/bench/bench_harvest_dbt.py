"""Benchmark: `govgraph harvest dbt` of a project of 500 models (target: under 30 s).

The artefacts are generated from the real small project (tests/fixtures/dbt_council, built here
with dbt-core and dbt-duckdb by tests/dbt/env.py, or ``--target`` an already built target folder):
its models, seeds, snapshots, tests and exposure are copied ``--copies`` times under new names
(``stg_children_7``), with their compiled SQL, catalog entries and the build's test outcomes
renamed alike, so the generated manifest.json, catalog.json and run_results.json have the real
shape at scale (6 models a copy: 84 copies are 504 models). Then times, ``--samples`` times each,
medians:

* the reference: ``json.loads`` of the three artefacts (the floor any reader of them reaches);
* a first harvest into an empty embedded store holding the system (read, owners, triples,
  validated write), and the reading alone;
* a no-change re-harvest (read and compare: no new revision).

    python tests/bench/bench_harvest_dbt.py [--copies 84] [--samples 3] [--target DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dbt.env import build_project  # noqa: E402

from govgraph.harvest.dbt import harvest_dbt  # noqa: E402
from govgraph.harvest.writer import match_owners, write_harvest  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.store import open_store  # noqa: E402

SYSTEM = "https://data.county.example.gov.uk/id/system/bench-dwh"
ESTATE = f"""@prefix gov: <https://w3id.org/govgraph#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcterms: <http://purl.org/dc/terms/> .
<https://data.county.example.gov.uk/id/person/helen> a foaf:Person ; foaf:name "Helen Ashworth" .
<{SYSTEM}> a gov:DataWarehouse ; rdfs:label "Bench warehouse" ; dcterms:description "bench" ;
  gov:owner <https://data.county.example.gov.uk/id/person/helen> ;
  gov:custodian <https://data.county.example.gov.uk/id/person/helen> .
"""
COPIED = ("model", "seed", "snapshot", "test")


def scale(target: Path, run_results: Path, out: Path, copies: int) -> dict[str, int]:
    """Write manifest.json, catalog.json and run_results.json of ``copies`` copies of the project's
    models, seeds, snapshots, tests and exposures (sources shared) into ``out``; counts by kind."""
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    results = json.loads(run_results.read_text())
    copied = {u: n for u, n in manifest["nodes"].items() if n["resource_type"] in COPIED}
    names = sorted({n["name"] for n in copied.values() if n["resource_type"] != "test"}
                   | {e["name"] for e in manifest["exposures"].values()}, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9])")

    def renamed(doc, k: int):
        return json.loads(pattern.sub(lambda m: f"{m.group(1)}_{k}", json.dumps(doc)))

    nodes = {u: n for u, n in manifest["nodes"].items() if u not in copied}
    cat_nodes, exposures, res = {}, {}, []
    by_uid = {r["unique_id"]: r for r in results["results"]}
    for k in range(copies):
        for uid, node in copied.items():
            new_uid = renamed(uid, k)
            if new_uid == uid:  # a test named by a hash alone
                new_uid = f"{uid}_{k}"
            nodes[new_uid] = dict(renamed(node, k), unique_id=new_uid)
            if uid in catalog["nodes"]:
                cat_nodes[new_uid] = dict(renamed(catalog["nodes"][uid], k), unique_id=new_uid)
            if uid in by_uid:
                res.append(dict(by_uid[uid], unique_id=new_uid))
        for uid, exp in manifest["exposures"].items():
            new_uid = renamed(uid, k)
            exposures[new_uid] = dict(renamed(exp, k), unique_id=new_uid)
    manifest.update(nodes=nodes, exposures=exposures)
    catalog["nodes"] = cat_nodes
    results["results"] = res
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "catalog.json").write_text(json.dumps(catalog))
    (out / "run_results.json").write_text(json.dumps(results))
    counts: dict[str, int] = {}
    for n in nodes.values():
        counts[n["resource_type"]] = counts.get(n["resource_type"], 0) + 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=84)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--target", type=Path, help="an already built dbt_council target folder (default: build it)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="govgraph-bench-dbt-"))
    try:
        if args.target:
            target, run_results = args.target, args.target.parent / "build_run_results.json"
        else:
            t = time.perf_counter()
            target = build_project(folder)
            run_results = target.parent / "build_run_results.json"
            print(f"built the dbt_council project with dbt in {time.perf_counter() - t:.1f} s")
        big = folder / "big" / "target"
        counts = scale(target, run_results, big, args.copies)
        size = sum(p.stat().st_size for p in big.iterdir())
        print(f"generated {counts} ({size / 1e6:.1f} MB of artefacts)")
        ns = "duckdb:///srv/dbt/council.duckdb"
        refs = []
        for _ in range(args.samples):
            t = time.perf_counter()
            for name in ("manifest.json", "catalog.json", "run_results.json"):
                json.loads((big / name).read_text())
            refs.append(time.perf_counter() - t)
        reads, firsts, agains, cpu_first = [], [], [], []
        for i in range(args.samples):
            url = f"oxigraph:{folder / f'store{i}'}"
            (folder / "estate.ttl").write_text(ESTATE)
            store = open_store(url)
            load_files(store, [folder / "estate.ttl"], source="estate")
            t, c = time.perf_counter(), time.process_time()
            h = harvest_dbt(big, system=SYSTEM, namespace=ns)
            reads.append(time.perf_counter() - t)
            match_owners(store, h)
            res = write_harvest(store, h)
            firsts.append(time.perf_counter() - t)
            cpu_first.append(time.process_time() - c)
            assert res.changed and res.kinds.get("model", 0) == counts["model"], res.line()
            rev = store.revision
            t = time.perf_counter()
            h = harvest_dbt(big, system=SYSTEM, namespace=ns)
            match_owners(store, h)
            again = write_harvest(store, h)
            agains.append(time.perf_counter() - t)
            assert not again.changed and store.revision == rev
            triples, line = res.write.triples, res.line()
            store.close()
        print(line)
        ref = statistics.median(refs)
        print(f"json.loads of the artefacts (reference): {ref:.2f} s")
        print(f"harvest dbt (first, into an empty store): {statistics.median(firsts):.2f} s "
              f"(CPU {statistics.median(cpu_first):.2f} s), of which reading the artefacts "
              f"{statistics.median(reads):.2f} s; {triples:,} triples; ratio to the reference "
              f"{statistics.median(firsts) / ref:.0f}x (target < 30 s)")
        print(f"no-change re-harvest: {statistics.median(agains):.2f} s, no new revision")
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
