"""OpenLineage ingest throughput over HTTP: 10,000 RunEvents (START + COMPLETE for 5,000 runs of
100 jobs) posted by concurrent pipelines to a live server, schema and shape validation on.

    python tests/bench/bench_openlineage.py [EVENTS] [THREADS] [gzip]

With ``gzip`` each body is sent gzip-compressed (``Content-Encoding: gzip``, level 3, as
openlineage-python's ``compression="gzip"`` sends it).

Target (issue 7): at least 200 events/s sustained.
"""
from __future__ import annotations

import gzip
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/support.py


def events(n: int) -> list[dict]:
    out = []
    for i in range(n // 2):
        rid = str(uuid.UUID(int=i + 1))
        job = f"job_{i % 100:03d}"
        base = {"run": {"runId": rid}, "job": {"namespace": "airflow", "name": job},
                "inputs": [{"namespace": "mssql://mosaic", "name": "dbo.referrals"},
                           {"namespace": "mssql://dwh", "name": f"staging.t{i % 100}"}],
                "outputs": [{"namespace": "mssql://dwh", "name": f"mart.t{i % 100}", "facets": {
                    "schema": {"_producer": "https://example.org/bench",
                               "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
                               "fields": [{"name": "id", "type": "int"}, {"name": "amount", "type": "decimal"}]}}}],
                "producer": "https://example.org/bench",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
        out.append({**base, "eventType": "START", "eventTime": f"2026-10-01T01:{i % 60:02d}:00Z"})
        out.append({**base, "eventType": "COMPLETE", "eventTime": f"2026-10-01T02:{i % 60:02d}:00Z"})
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    compress = len(sys.argv) > 3 and sys.argv[3] == "gzip"
    from govgraph.auth import TokenFile
    from support import ESTATE, make_server
    tmp = Path(tempfile.mkdtemp())
    (tmp / "tokens").write_text("")
    token = TokenFile(tmp / "tokens").add("bench", "editor")
    srv = make_server(tmp / "store", files=(ESTATE,), TOKEN_FILE=str(tmp / "tokens"))
    evs = events(n)
    # START and COMPLETE of a run go to the same worker, in order, as a pipeline sends them
    queues = [evs[i::threads * 2] + [] for i in range(0)]  # placeholder for clarity below
    per_thread: list[list[dict]] = [[] for _ in range(threads)]
    for k in range(0, len(evs), 2):
        per_thread[(k // 2) % threads] += evs[k:k + 2]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(items):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        local = []
        for ev in items:
            body = json.dumps(ev).encode()
            headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
            if compress:
                body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=3), "gzip"
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/lineage", body, headers)
            r = conn.getresponse()
            data = r.read()
            local.append(time.perf_counter() - t0)
            if r.status not in (200, 201):
                with lock:
                    errors.append(f"{r.status} {data[:200]!r}")
        with lock:
            latencies.extend(local)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(items,)) for items in per_thread]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    st = srv.app.extensions["govgraph.store"]
    runs = st.select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a prov:Activity ; gov:runState 'COMPLETE' }")[0]["n"]
    srv.stop()
    print(f"events: {len(evs):,}  threads: {threads}  gzip: {compress}  errors: {len(errors)}  completed runs in store: {runs}")
    print(f"wall: {wall:.1f} s  throughput: {len(evs) / wall:,.0f} events/s  "
          f"median latency: {statistics.median(latencies) * 1000:.1f} ms  "
          f"p95: {sorted(latencies)[int(len(latencies) * 0.95)] * 1000:.1f} ms")
    if errors:
        print("first errors:", errors[:3])
    print("target >= 200 events/s:", "PASS" if len(evs) / wall >= 200 and not errors else "FAIL")


if __name__ == "__main__":
    main()
