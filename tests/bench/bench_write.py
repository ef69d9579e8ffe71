"""Validated single-dataset writes on a generated estate, through each caller of the one validated write
path (``shapes.change.validate_change``): ``write_source`` (the write API), ``load_files`` of a one-line
file, and ``ingest_event`` (OpenLineage patches). Medians; not part of the pass/fail test run.

Run: ``python tests/bench/bench_write.py [DATASETS]`` (default 10000; the estate is cached in /tmp).
"""
import statistics, sys, time, uuid, tempfile
from pathlib import Path
import pyoxigraph as ox
from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.io.write import write_source
from govgraph.io.openlineage import ingest_event
from govgraph.store import Store

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
est = Path(tempfile.gettempdir()) / "govgraph-bench" / f"estate-{n}-d5.nt"
est.parent.mkdir(exist_ok=True)
if not est.exists():
    generate(est, n, seed=4, defect_rate=0.05)
tmp = Path(tempfile.mkdtemp(prefix="wb-"))
st = Store.open(f"oxigraph:{tmp/'db'}")
load_files(st, [est], validate=False)
B = "https://synthetic.example.gov.uk/id/"
G = "https://w3id.org/govgraph#"
N = ox.NamedNode
def med(xs): return 1000 * statistics.median(xs)
t = []
for i in range(25):
    ds = N(f"{B}dataset/d{(n // 2) + i}")
    trip = {ox.Triple(ds, N(G + "steward"), N(f"{B}person/p1")), ox.Triple(ds, N(G + "owner"), N(f"{B}person/p2"))}
    t0 = time.perf_counter(); write_source(st, f"w{i}", trip, who="bench"); t.append(time.perf_counter() - t0)
print(f"write_source one dataset: {med(t):.1f} ms")
t = []
for i in range(15):
    f = tmp / f"one{i}.ttl"
    f.write_text(f"<{B}dataset/d{(n // 3) + i}> <{G}steward> <{B}person/p3> .\n")
    t0 = time.perf_counter(); load_files(st, [f]); t.append(time.perf_counter() - t0)
print(f"load_files one dataset: {med(t):.1f} ms")
t = []
for i in range(60):
    rid = str(uuid.uuid4())
    for et, tm in (("START", "2026-10-01T01:00:00Z"), ("COMPLETE", "2026-10-01T02:00:00Z")):
        ev = {"eventType": et, "eventTime": tm, "run": {"runId": rid},
              "job": {"namespace": "bench", "name": f"job{i % 10}"},
              "inputs": [{"namespace": "mssql://a", "name": f"dbo.in{i % 7}"}],
              "outputs": [{"namespace": "mssql://b", "name": f"dbo.out{i % 5}"}],
              "producer": "https://example.org/p",
              "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
        t0 = time.perf_counter(); ingest_event(st, ev); t.append(time.perf_counter() - t0)
print(f"ingest_event (patch path): {med(t):.1f} ms")
