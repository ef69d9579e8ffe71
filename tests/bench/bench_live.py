"""A live record: pages right after a write, on a real `govgraph serve` over a generated estate.

Each page's warm time is the reference. Then, for each page in turn, rounds of one write
(alternately one OpenLineage RunEvent and a one-dataset source written through the API)
followed by the next request to that page, so each sample is the first request of its
kind after a commit (what issue 18 measured at 3-12 s at 10k), then three more requests to it:
the page warm at that revision (the writes change what some pages show: each event adds a run
to the lineage of the dataset it reads, and a discovered table to the findings). Then freshness: how long
after the write's 201 it is visible in search, on the lineage page and among the findings.
Also a hidden asset's 404 ("did you mean") when warm. Loopback only; every loop is bounded.

    python tests/bench/bench_live.py [--datasets 10000] [--rounds 8] [--hide-sensitive] [--stream SECONDS] [--store DIR]

``--hide-sensitive`` serves with restricted assets hidden: the pages are read anonymously, from
the redacted copy of the estate (the generated estate classifies some datasets OFFICIAL-SENSITIVE).

Target (issue 18): after one write, p95 under 200 ms and within 2x of warm; visible
everywhere within 1 s of the 201.

``--stream SECONDS`` runs the stream instead of the rounds: 20 OpenLineage events a second (``--rate``)
posted on a fixed schedule (each reading one of 200 catalogued datasets in turn, writing a new table),
and 5 page requests a second (``--page-rate``, the five pages in turn) sent on a fixed schedule from a
small pool of threads, for SECONDS (300 for the record). Events are sent on schedule whatever is still
in flight (from up to 32 connections: producers do not wait for each other, and concurrent events are
committed together). Reported: page p50/p95 and errors, the events' 201 times, and whether ingest kept
up: per 10 s window, the events answered and the queue at its end (events due but not yet answered),
and the lineage of the last event visible after the stream. Target: page p95 under 300 ms, 0 errors,
no growing queue.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import free_port, wait_for_http  # noqa: E402

from govgraph.auth import TokenFile  # noqa: E402
from govgraph.data.generate import generate  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.store import open_store  # noqa: E402

#: a one-dataset source: a synonym for a catalogued dataset (valid, so an editor's write is accepted)
SYNONYM_TTL = """<{iri}> <http://www.w3.org/2004/02/skos/core#altLabel> "{label}" .\n"""


#: headers of every page request (a group reader's bearer token with ``--group-reader``)
READ_HEADERS: dict[str, str] = {}


def get(url: str, timeout: float = 120) -> tuple[float, int, str]:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=READ_HEADERS), timeout=timeout) as r:
            body = r.read().decode("utf-8", "replace")
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read().decode("utf-8", "replace"), e.code
    return time.perf_counter() - t, status, body


def send(url: str, method: str, body: bytes, ctype: str, token: str) -> int:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": ctype, "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=120) as r:
        r.read()
        return r.status


def event(n: int, input_ns: str, input_name: str) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z", "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "airflow", "name": f"live_bench_{n}"},
            "inputs": [{"namespace": input_ns, "name": input_name}],
            "outputs": [{"namespace": "mssql://dwh", "name": f"mart.live_bench_{n}"}],
            "producer": "https://example.org/bench",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return 1000 * statistics.median(xs), 1000 * xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--store", metavar="DIR", help="copy this embedded store (holding an estate, e.g. "
                    "/tmp/govgraph-bench/estate-100000-d0.nt loaded) instead of generating one")
    ap.add_argument("--warm", type=int, default=10)
    ap.add_argument("--hide-sensitive", action="store_true", help="serve with --hide-sensitive (anonymous reads)")
    ap.add_argument("--group-reader", action="store_true",
                    help="with --hide-sensitive: read as a reader holding one access group (not anonymously)")
    ap.add_argument("--stream", type=float, default=0, metavar="SECONDS", help="run the event stream for SECONDS")
    ap.add_argument("--rate", type=float, default=20, help="events a second in the stream")
    ap.add_argument("--page-rate", type=float, default=5, help="page requests a second in the stream")
    ap.add_argument("--threads", type=int, default=0, help="the server's --threads (default: its own)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    url = f"oxigraph:{tmp / 'store'}"
    if args.store:  # an embedded store already holding an estate: copied, so the run leaves it as it was
        shutil.copytree(args.store, tmp / "store")
        store = open_store(url)
    else:
        estate = tmp / "estate.nt"
        generate(estate, datasets=args.datasets, seed=1)
        store = open_store(url)
        load_files(store, [estate], source="estate", validate=False)
    triples = store.triple_count()
    visible = ("FILTER NOT EXISTS { ?d gov:classification ?c FILTER(?c IN (gov:OfficialSensitive, gov:Secret, "
               "gov:TopSecret)) }") if args.hide_sensitive else ""  # a page an anonymous reader may see
    rows = store.select("SELECT ?d ?s ?a WHERE { ?d a dcat:Dataset ; gov:heldIn ?s ; gov:alias ?a %s } ORDER BY ?d LIMIT 1"
                        % visible)
    dataset, system = str(rows[0]["d"]), str(rows[0]["s"])
    # the event reads a dataset by its alias, so its run hangs off a catalogued dataset
    src = rows[0]
    input_ns, input_name = str(src["a"]).rsplit("/", 1)
    input_iri = str(src["d"])
    # the stream's events read from 200 catalogued datasets in turn (the page's dataset among them), so no
    # one lineage picture grows by 20 runs a second; each event writes a new table
    inputs = [tuple(str(r["a"]).rsplit("/", 1)) for r in store.select(
        "SELECT ?d ?a WHERE { ?d a dcat:Dataset ; gov:heldIn ?s ; gov:alias ?a %s } ORDER BY ?d LIMIT 200" % visible)]
    group = str(store.select("SELECT ?g WHERE { ?d gov:accessGroup ?g } ORDER BY ?g LIMIT 1")[0]["g"])
    store.close()
    (tmp / "tokens").write_text("")
    token = TokenFile(tmp / "tokens").add("bench", "editor")
    if args.group_reader:
        READ_HEADERS["Authorization"] = "Bearer " + TokenFile(tmp / "tokens").add("analyst", "reader", [group])
    port = free_port()
    exe = shutil.which("govgraph", path=str(Path(sys.executable).parent)) or "govgraph"
    proc = subprocess.Popen([exe, "serve", "--port", str(port)] + (["--hide-sensitive"] if args.hide_sensitive else [])
                            + (["--threads", str(args.threads)] if args.threads else []),
                            stdout=subprocess.DEVNULL, stderr=(tmp / "server.log").open("wb"),
                            env=dict(os.environ, GOVGRAPH_STORE=url, GOVGRAPH_TOKENS=str(tmp / "tokens")))
    base = f"http://127.0.0.1:{port}"
    q = urllib.parse.quote
    pages = {"dashboard": "/", "search": "/search?q=referrals", "asset page": f"/asset?iri={q(dataset, safe='')}",
             "lineage page": f"/lineage?iri={q(dataset, safe='')}", "validation page": "/validation"}
    counter = iter(range(1, 1_000_000))

    def write() -> float:
        """One write (alternately an OpenLineage event and a one-dataset source); its time to the 201."""
        n = next(counter)
        t = time.perf_counter()
        if n % 2:
            status = send(f"{base}/api/v1/lineage", "POST", json.dumps(event(n, input_ns, input_name)).encode(),
                          "application/json", token)
        else:
            body = SYNONYM_TTL.format(iri=dataset, label=f"Live bench synonym {n}")
            status = send(f"{base}/api/v1/sources/live-{n}", "PUT", body.encode(), "text/turtle", token)
        assert status in (200, 201), status
        return time.perf_counter() - t

    try:
        t0 = time.perf_counter()
        wait_for_http(base + "/search?q=a", seconds=900)
        firsts, preparing = {}, 0
        for name, path in pages.items():  # first build of every view (a group reader's redacted copy: minutes at 100k)
            t = time.perf_counter()
            while True:  # a reader's copy of a large estate is made in the background: 503 "being prepared" meanwhile
                _, status, _ = get(base + path, timeout=1800)
                if status != 503 or time.perf_counter() - t > 1800:
                    break
                preparing += 1
                time.sleep(1)
            firsts[name] = time.perf_counter() - t
        # a large store's first validation runs in the background (the API answers 503 meanwhile): measured
        # after it, as a served estate is after its first minutes
        while get(base + "/api/v1/validation?severity=Violation")[1] == 503 and time.perf_counter() - t0 < 1800:
            time.sleep(1)
        for path in pages.values():
            get(base + path)  # what is counted from the findings (the asset scores), once they are there
        first = time.perf_counter() - t0
        print("first answer of each page after the server answered, s: "
              + ", ".join(f"{name} {x:.1f}" for name, x in firsts.items())
              + (f" ({preparing} answers 503 'being prepared' first, asked again each second)" if preparing else ""),
              flush=True)
        warm = {name: [get(base + path)[0] for _ in range(args.warm)] for name, path in pages.items()}
        if args.stream:
            streamed = stream(base, pages, token, (input_ns, input_name, input_iri), inputs, args)
            return report_stream(args, triples, first, warm, streamed)
        after, again, writes = {}, {}, []
        for name, path in pages.items():
            after[name], again[name] = [], []
            for _ in range(args.rounds):
                writes.append(write())
                after[name].append(get(base + path)[0])
                # the same page warm at the same revision: what it costs to show what the writes made of it
                again[name].append(statistics.median(get(base + path)[0] for _ in range(3)))
        fresh = freshness(base, counter, (input_ns, input_name, input_iri), dataset, token, args.rounds)
        hidden = [get(f"{base}/asset?iri={q('https://example.org/nothing/mosaic-clents', safe='')}")[0]
                  for _ in range(args.warm)]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        server_warnings(tmp / "server.log")
    mode = ((" (--hide-sensitive, read by a reader with one access group)" if args.group_reader else
             " (--hide-sensitive, anonymous reads)") if args.hide_sensitive else "")
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    print(f"{args.datasets:,} datasets, {triples:,} triples{mode}; server up and every page built once in {first:.1f} s; "
          f"{len(writes)} writes (201 median {stats(writes)[0]:.0f} ms)")
    print("Warm before the writes, the first request after each write, and the same page warm at that revision (the\n"
          "median of three requests right after the first: the page as the writes left it, e.g. a lineage grown by\n"
          "each event's run). Medians / p95 in ms.")
    print("| page | warm before | first after a write | warm at that revision | p95 / warm-before p95 | "
          "p95 / same-revision p95 |")
    print("|---|---|---|---|---|---|")
    for name in pages:
        wm, wp = stats(warm[name])
        am, ap_ = stats(after[name])
        sm, sp = stats(again[name])
        print(f"| {name} | {wm:.0f} / {wp:.0f} | {am:.0f} / {ap_:.0f} | {sm:.0f} / {sp:.0f} | {ap_ / wp:.1f}x | "
              f"{ap_ / sp:.1f}x |")
    print("| freshness (201 to visible) | median ms | p95 ms |\n|---|---|---|")
    for name, xs in fresh.items():
        m, p = stats(xs)
        print(f"| {name} | {m:.0f} | {p:.0f} |")
    m, p = stats(hidden)
    print(f"unknown asset 404 with suggestions (warm): median {m:.1f} ms, p95 {p:.1f} ms")


def stream(base: str, pages: dict[str, str], token: str, source: tuple[str, str, str], inputs: list, args) -> dict:
    """The stream: events on a fixed schedule from one thread, pages on a fixed schedule from a pool."""
    input_ns, input_name, input_iri = source
    seconds, start = args.stream, time.perf_counter() + 0.5
    last = int(seconds * args.rate) - 1 + 100_000  # the last event reads the page's dataset: its lineage is looked for
    events: list[tuple] = []  # (due, waited to be sent, 201 time, status, answered), seconds from the start
    reads: list[tuple[float, str, float, int | str]] = []  # (due, page, time, status)
    lock = threading.Lock()

    def post(i: int, due: float) -> None:
        sent = time.perf_counter()
        try:
            ns, name = (input_ns, input_name) if i == last - 100_000 else inputs[i % len(inputs)]
            status = send(f"{base}/api/v1/lineage", "POST",
                          json.dumps(event(100_000 + i, ns, name)).encode(), "application/json", token)
        except Exception as e:  # noqa: BLE001 - counted as an error
            status = type(e).__name__
        with lock:
            events.append((due - start, sent - due, time.perf_counter() - sent, status, time.perf_counter() - start))

    def writer() -> None:
        """Events sent on schedule whatever is still in flight (producers do not wait for each other:
        concurrent events are committed together), from up to 32 connections; past that they queue here."""
        with concurrent.futures.ThreadPoolExecutor(32) as senders:
            for i in range(int(seconds * args.rate)):
                due = start + i / args.rate
                time.sleep(max(0.0, due - time.perf_counter()))
                senders.submit(post, i, due)

    def read(due: float, name: str) -> None:
        try:
            took, status, _ = get(base + pages[name])
        except Exception as e:  # noqa: BLE001 - counted as an error
            took, status = float("nan"), type(e).__name__
        with lock:
            reads.append((due - start, name, took, status))

    w = threading.Thread(target=writer, name="bench-writer")
    w.start()
    names = list(pages)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for i in range(int(seconds * args.page_rate)):
            due = start + i / args.page_rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(read, due, names[i % len(names)])
    w.join()
    t = time.perf_counter()
    q = urllib.parse.quote
    seen = None
    while time.perf_counter() - t < 30:
        if f"live_bench_{last}" in get(f"{base}/api/v1/lineage/downstream?iri={q(input_iri, safe='')}")[2]:
            seen = time.perf_counter() - t
            break
        time.sleep(0.01)
    return {"events": events, "reads": reads, "last_visible": seen, "load": open("/proc/loadavg").read().split()[:3]}


def server_warnings(log: Path, most: int = 12) -> None:
    """The server's warnings (a view built afresh instead of applying a write, errors), printed after the run."""
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()] if log.exists() else []
    rebuilt = [ln for ln in lines if "built afresh" in ln]
    queued = [int(ln.rsplit(" ", 1)[1]) for ln in lines if ln.startswith("Task queue depth is ")]
    print(f"server log: {len(lines)} lines, {len(rebuilt)} views built afresh after a write; requests waited for a "
          f"free server thread {len(queued)} times (deepest queue {max(queued, default=0)})")
    for ln in [ln for ln in lines if not ln.startswith("Task queue depth is ")][:most]:
        print("  " + ln)


def report_stream(args, triples: int, first: float, warm: dict, s: dict) -> None:
    mode = ((" (--hide-sensitive, read by a reader with one access group)" if args.group_reader else
             " (--hide-sensitive, anonymous reads)") if args.hide_sensitive else "")
    events, reads = s["events"], s["reads"]
    bad_e = [e for e in events if e[3] not in (200, 201)]
    bad_r = [r for r in reads if r[3] != 200]
    print(f"{args.datasets:,} datasets, {triples:,} triples{mode}; stream {args.stream:.0f} s: {args.rate:g} events/s, "
          f"{args.page_rate:g} page requests/s; server up and every page built once in {first:.1f} s; "
          f"load average at the end {' '.join(s['load'])}")
    print(f"events: {len(events)} sent, {len(bad_e)} errors; 201 median {stats([e[2] for e in events])[0]:.0f} ms, "
          f"p95 {stats([e[2] for e in events])[1]:.0f} ms; the last event's lineage visible "
          + (f"{1000 * s['last_visible']:.0f} ms after the last 201" if s["last_visible"] is not None
             else "not within 30 s"))
    ok = [r[2] for r in reads if r[3] == 200]
    m, p = stats(ok) if ok else (float("nan"), float("nan"))
    print(f"pages: {len(reads)} requests, {len(bad_r)} errors {sorted({str(r[3]) for r in bad_r})}; "
          f"all pages median {m:.0f} ms, p95 {p:.0f} ms")
    print("| page | warm median ms | stream median ms | stream p95 ms |\n|---|---|---|---|")
    for name in warm:
        xs = [r[2] for r in reads if r[1] == name and r[3] == 200]
        if xs:
            print(f"| {name} | {stats(warm[name])[0]:.0f} | {stats(xs)[0]:.0f} | {stats(xs)[1]:.0f} |")
    print("| window s | events due | answered in the window | queue at its end (due, not answered) "
          "| due to 201, p95 ms | page p95 ms |\n|---|---|---|---|---|---|")
    for lo in range(0, int(args.stream), 10):
        hi = lo + 10
        due = [e for e in events if lo <= e[0] < hi]
        answered = sum(1 for e in events if lo <= e[4] < hi)
        queue = sum(1 for e in events if e[0] < hi <= e[4])
        lag = stats([e[1] + e[2] for e in due])[1] if due else float("nan")
        ps = [r[2] for r in reads if lo <= r[0] < hi and r[3] == 200]
        print(f"| {lo}-{hi} | {len(due)} | {answered} | {queue} | {lag:.0f} | "
              f"{stats(ps)[1] if ps else float('nan'):.0f} |")


def freshness(base: str, counter, source: tuple[str, str, str], dataset: str, token: str, rounds: int) -> dict[str, list]:
    """Seconds from a write's 201 until search and lineage show it (polled, 5 s at most), and until the
    findings of the new revision answer (the kept report is exact for the revision it answers at:
    tests/test_live.py)."""
    q = urllib.parse.quote
    input_ns, input_name, input_iri = source
    out: dict[str, list] = {"search": [], "lineage": [], "findings": []}

    def until(url: str, marker: str, since: float) -> float:
        deadline = since + 5
        while time.perf_counter() < deadline:
            if marker in get(url)[2]:
                return time.perf_counter() - since
            time.sleep(0.01)
        return float("inf")

    for _ in range(rounds):
        n = next(counter)
        body = SYNONYM_TTL.format(iri=dataset, label=f"Freshness probe zq{n}x")
        send(f"{base}/api/v1/sources/fresh-{n}", "PUT", body.encode(), "text/turtle", token)
        done = time.perf_counter()
        out["search"].append(until(f"{base}/api/v1/search?q=zq{n}x", dataset, done))
        out["findings"].append(until(f"{base}/api/v1/validation?focus={q(dataset, safe='')}", '"findings"', done))
        send(f"{base}/api/v1/lineage", "POST", json.dumps(event(n, input_ns, input_name)).encode(), "application/json", token)
        done = time.perf_counter()
        out["lineage"].append(until(f"{base}/api/v1/lineage/downstream?iri={q(input_iri, safe='')}",
                                    f"live_bench_{n}", done))
    return out


if __name__ == "__main__":
    main()
