"""Benchmark: `govgraph harvest db` of a PostgreSQL schema of 2,000 tables x 25 columns.

Starts a real PostgreSQL (tests/support.py: initdb + pg_ctl on a loopback port), creates the
schema (a primary key per table, a foreign key on every tenth table, comments on some columns),
then times, ``--samples`` times each, medians:

* SQLAlchemy's own ``MetaData.reflect`` of the schema (the floor a reflection-based harvest can reach);
* a first harvest into an empty embedded store holding the system (read, triples, validated write);
* a no-change re-harvest (read and compare: no new revision).

    python tests/bench/bench_harvest.py [--tables 2000] [--columns 25] [--samples 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import PostgresServer  # noqa: E402

from govgraph.harvest.database import harvest_database  # noqa: E402
from govgraph.harvest.writer import write_harvest  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.store import open_store  # noqa: E402

SYSTEM = "https://data.county.example.gov.uk/id/system/bench-dwh"
ESTATE = f"""@prefix gov: <https://w3id.org/govgraph#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcterms: <http://purl.org/dc/terms/> .
<https://data.county.example.gov.uk/id/person/ann> a foaf:Person ; foaf:name "Ann" .
<{SYSTEM}> a gov:DataWarehouse ; rdfs:label "Bench warehouse" ; dcterms:description "bench" ;
  gov:owner <https://data.county.example.gov.uk/id/person/ann> ; gov:custodian <https://data.county.example.gov.uk/id/person/ann> .
"""


def create_schema(url: str, tables: int, columns: int) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE SCHEMA bench"))
        for i in range(tables):
            cols = ["id integer PRIMARY KEY"] + [f"c{j:02d} {('text', 'integer', 'date', 'varchar(40)')[j % 4]}"
                                                 for j in range(1, columns)]
            if i % 10 == 9:
                cols[-1] = f"c{columns - 1:02d} integer REFERENCES bench.t{i - 1:04d}(id)"
            c.execute(sa.text(f"CREATE TABLE bench.t{i:04d} ({', '.join(cols)})"))
            c.execute(sa.text(f"COMMENT ON COLUMN bench.t{i:04d}.c01 IS 'column one of table {i}'"))
    eng.dispose()


def median_of(samples: int, fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(samples):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--columns", type=int, default=25)
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args()
    pg = PostgresServer().start()
    folder = Path(tempfile.mkdtemp())
    try:
        url = pg.url()
        t = time.perf_counter()
        create_schema(url, args.tables, args.columns)
        print(f"created {args.tables:,} tables x {args.columns} columns in {time.perf_counter() - t:.1f} s")

        def reflect():
            eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
            md = sa.MetaData()
            md.reflect(eng, schema="bench")
            eng.dispose()
            return md
        t_reflect, md = median_of(args.samples, reflect)
        assert len(md.tables) == args.tables

        (folder / "estate.ttl").write_text(ESTATE)
        firsts, reads, agains, cpu_first, cpu_again = [], [], [], [], []
        for k in range(args.samples):
            store = open_store(f"oxigraph:{folder / f'store{k}'}")
            load_files(store, [folder / "estate.ttl"], source="estate")
            t, c = time.perf_counter(), time.process_time()
            h = harvest_database(url, system=SYSTEM, schemas=["bench"])
            t_read = time.perf_counter() - t
            res = write_harvest(store, h)
            firsts.append(time.perf_counter() - t)
            cpu_first.append(time.process_time() - c)
            reads.append(t_read)
            assert res.changed and res.tables == args.tables
            rev = store.revision
            t, c = time.perf_counter(), time.process_time()
            again = write_harvest(store, harvest_database(url, system=SYSTEM, schemas=["bench"]))
            agains.append(time.perf_counter() - t)
            cpu_again.append(time.process_time() - c)
            assert not again.changed and store.revision == rev
            triples = res.write.triples
            store.close()
        first, read, again_t = (statistics.median(x) for x in (firsts, reads, agains))
        print(f"SQLAlchemy MetaData.reflect: {t_reflect:.2f} s")
        print(f"harvest (first, into an empty store): {first:.2f} s (CPU {statistics.median(cpu_first):.2f} s), "
              f"of which reading the database {read:.2f} s; {triples:,} triples; ratio to reflect "
              f"{first / t_reflect:.1f}x (target < 60 s)")
        print(f"no-change re-harvest: {again_t:.2f} s (CPU {statistics.median(cpu_again):.2f} s), no new revision "
              f"(target < 10 s)")
        print(f"(CPU: this process only, not the database server's; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores)")
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
