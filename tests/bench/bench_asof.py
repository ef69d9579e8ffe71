"""Benchmark: the as-of view of an asset with 1,000 past changes (target under 300 ms).

Builds a store with one asset changed 1,000 times (one patch each, as pipelines and
the write API make them) beside an estate of N generated datasets, then times the
as-of asset page (``/asset?iri=...&asof=...``) at dates spread over the history; the
reference is the same asset's page today, measured in the same run. Then the whole
estate as of a date (lineage page, SPARQL count): the first view, which builds the past
copy, and warm views against the same views today. Medians.

    python tests/bench/bench_asof.py [--datasets 10000] [--changes 1000] [--samples 30]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox

from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.store import open_store
from govgraph.webapp import create_app

ASSET = "https://bench.example/id/dataset/changing"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=1_000)
    ap.add_argument("--samples", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        estate = Path(d) / "estate.nt"
        generate(estate, datasets=args.datasets, seed=1)
        store = open_store(f"oxigraph:{Path(d) / 'store'}")
        load_files(store, [estate], source="estate", validate=False)
        s = ox.NamedNode(ASSET)
        records = []
        t0 = time.perf_counter()
        for i in range(args.changes):
            with store.patch("changing") as p:
                if i:
                    p.remove([ox.Triple(s, TITLE, ox.Literal(f"title {i - 1}"))])
                p.add([ox.Triple(s, TITLE, ox.Literal(f"title {i}"))])
                records.append(p.commit())
        print(f"{args.changes} changes in {time.perf_counter() - t0:.1f} s")
        client = create_app({"STORE": store, "TESTING": True}).test_client()
        url = "/asset?iri=" + urllib.parse.quote(ASSET, safe="")
        rng = random.Random(1)
        now, past = [], []
        for _ in range(args.samples):
            rec = rng.choice(records)
            t = time.perf_counter()
            r = client.get(url + "&asof=" + urllib.parse.quote(rec.at.isoformat()))
            past.append(time.perf_counter() - t)
            assert r.status_code == 200 and f"title {rec.revision - records[0].revision}".encode() in r.data
            t = time.perf_counter()
            assert client.get(url).status_code == 200
            now.append(time.perf_counter() - t)
        med_past, med_now = 1000 * statistics.median(past), 1000 * statistics.median(now)
        print(f"| view | median ms |\n|---|---|\n| as-of page ({args.changes} past changes) | {med_past:.1f} |"
              f"\n| page today (reference) | {med_now:.1f} |\n\nratio {med_past / med_now:.2f}; "
              f"target: as-of under 300 ms")
        estate_views(client, store, records, args.samples)
        store.close()


def estate_views(client, store, records, samples: int) -> None:
    """The whole estate as of a date: the lineage page and a SPARQL count, cold (the past
    copy is built) and warm (cached), against the same views today."""
    row = store.select("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
                       "<http://www.w3.org/ns/prov#wasDerivedFrom> ?x } ORDER BY ?d LIMIT 1")
    iri = str(row[0]["d"])
    when = urllib.parse.quote(records[len(records) // 2].at.isoformat())
    lineage = "/lineage?iri=" + urllib.parse.quote(iri, safe="")
    count = "/sparql?format=json&query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

    def timed(url: str) -> float:
        t = time.perf_counter()
        r = client.get(url)
        assert r.status_code == 200, r.data[:300]
        return time.perf_counter() - t

    cold = timed(lineage + "&asof=" + when)
    rows = []
    for name, url in (("lineage page", lineage), ("SPARQL count of all triples", count)):
        past = statistics.median(timed(url + "&asof=" + when) for _ in range(samples))
        today = statistics.median(timed(url) for _ in range(samples))
        rows.append((name, past, today))
    print(f"\nwhole estate ({store.triple_count():,} triples) as of a date: first view {cold:.2f} s "
          f"(builds the past copy)\n\n| view | as of, warm, median ms | today, median ms | ratio |\n|---|---|---|---|")
    for name, past, today in rows:
        print(f"| {name} | {1000 * past:.1f} | {1000 * today:.1f} | {past / today:.2f} |")


if __name__ == "__main__":
    main()
