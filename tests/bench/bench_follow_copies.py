"""What the follower costs for each reader's redacted copy it keeps up to date (``--hide-sensitive``).

A served app with ``--hide-sensitive`` keeps a copy of the estate for each reader seen lately (the anonymous one
is started when the app starts) and brings every copy up to date after each commit, beside the store's own views.
This measures, in process (the web app through Flask's test client, as ``govgraph serve`` runs it, with the live
follower), the CPU one OpenLineage event costs the whole process from its POST until every follower has applied it
(the store's and each copy's), in three modes, each in a fresh process over the same store:

- ``none``: no ``--hide-sensitive`` (the reference of the same run);
- ``anonymous``: ``--hide-sensitive``, read anonymously (one copy);
- ``both``: read anonymously and by a reader holding one access group (two copies).

After each event the search page is read once per reader. An embedded store holding an estate (``--store DIR``) is
copied once for the run; the first mode that needs a copy makes it on disk beside the copied store (minutes at
100k, not timed), and the later modes reopen it, as a restart does.

    python tests/bench/bench_follow_copies.py --store DIR [--events 40] [--work DIR]
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
import urllib.parse
import uuid
from pathlib import Path

from bench_live import event  # the same OpenLineage event as the stream's (this folder is on the path when run)

MODES = ("none", "anonymous", "both")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, metavar="DIR", help="an embedded store holding an estate (copied)")
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--work", metavar="DIR", help="keep the copied store (and the readers' copies made beside it) "
                    "here for later runs (default: a temporary folder, removed)")
    ap.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one mode, in this process (run by main)
    ap.add_argument("--copied", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mode:
        print(json.dumps(measure(args.copied, args.mode, args.events)))
        return
    tmp = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-follow-copies-"))
    try:
        if not (tmp / "store").exists():
            shutil.copytree(args.store, tmp / "store")
        got = {}
        for mode in MODES:
            out = subprocess.run([sys.executable, __file__, "--store", args.store, "--events", str(args.events),
                                  "--mode", mode, "--copied", str(tmp / "store")],
                                 check=True, capture_output=True, text=True).stdout
            got[mode] = json.loads(out.strip().splitlines()[-1])
            print(f"{mode}: ready in {got[mode]['ready']:.1f} s", flush=True)
        ref = got["none"]["cpu_median"]
        print(f"{args.events} OpenLineage events a mode; CPU of the whole process per event, from its POST until "
              "every follower has applied it (ms)")
        print("| mode | readers' copies | CPU median | CPU p90 | wall median | CPU / no copies |")
        print("|---|---|---|---|---|---|")
        for mode, copies in zip(MODES, (0, 1, 2)):
            g = got[mode]
            print(f"| {mode} | {copies} | {g['cpu_median']:.1f} | {g['cpu_p90']:.1f} | {g['wall_median']:.1f} | "
                  f"{g['cpu_median'] / ref:.2f}x |")
    finally:
        if not args.work:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(folder: str, mode: str, events: int) -> dict:
    from govgraph import access, live
    from govgraph.auth import TokenFile
    from govgraph.store import open_store
    from govgraph.webapp import create_app

    store = open_store(f"oxigraph:{folder}")
    tokens = Path(folder).parent / "tokens"
    tokens.write_text("")
    editor = TokenFile(tokens).add("bench", "editor")
    group = str(store.select("SELECT ?g WHERE { ?d gov:accessGroup ?g } ORDER BY ?g LIMIT 1")[0]["g"])
    reader = TokenFile(tokens).add("analyst", "reader", [group])
    row = store.select("SELECT ?d ?a WHERE { ?d a dcat:Dataset ; gov:heldIn ?s ; gov:alias ?a FILTER NOT EXISTS { "
                       "?d gov:classification ?c FILTER(?c IN (gov:OfficialSensitive, gov:Secret, gov:TopSecret)) } }"
                       " ORDER BY ?d LIMIT 1")[0]
    dataset, (ns, name) = str(row["d"]), str(row["a"]).rsplit("/", 1)
    app = create_app({"STORE": store, "LIVE_FOLLOW": True, "HIDE_SENSITIVE": mode != "none",
                      "TOKEN_FILE": str(tokens)})
    client = app.test_client()
    readers = [{}] + ([{"Authorization": "Bearer " + reader}] if mode == "both" else [])
    q = urllib.parse.quote
    pages = ["/", "/search?q=referrals", f"/asset?iri={q(dataset, safe='')}", f"/lineage?iri={q(dataset, safe='')}",
             "/validation"]
    t = time.perf_counter()
    for headers in readers:  # every view built (a copy made or reopened) before anything is timed
        for page in pages:
            while (r := client.get(page, headers=headers)).status_code == 503:  # a copy being prepared
                time.sleep(2)
            assert r.status_code == 200, (page, r.status_code)
    # a large store's first validation runs in the background (503 meanwhile); then nothing else running: the
    # process idle for a second (kept states are written by child processes, not counted here)
    while client.get("/api/v1/validation?severity=Violation").status_code == 503:
        time.sleep(1)
    while True:
        c0 = time.process_time()
        time.sleep(1)
        if time.process_time() - c0 < 0.05 or time.perf_counter() - t > 1800:
            break
    ready = time.perf_counter() - t
    memo = live.memo(store)
    cpu, wall = [], []
    for _ in range(events):
        body = event(uuid.uuid4().int % 10**12, ns, name)  # a new job and table each time, whatever ran before
        c0, w0 = time.process_time(), time.perf_counter()
        r = client.post("/api/v1/lineage", json=body, headers={"Authorization": "Bearer " + editor})
        assert r.status_code in (200, 201), r.status_code
        assert memo.wait_applied(store, store.revision, 30)
        kept = access._views.get(store)  # noqa: SLF001 - the copies the follower keeps up to date
        for copy in {id(c): c for c in (kept._items.values() if kept is not None else ())}.values():  # noqa: SLF001
            live.memo(copy).wait_applied(copy, copy.revision, 30)
        for headers in readers:
            assert client.get(pages[1], headers=headers).status_code == 200
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        time.sleep(0.2)
    cpu.sort()
    return {"ready": ready, "cpu_median": statistics.median(cpu), "cpu_p90": cpu[int(len(cpu) * 0.9)],
            "wall_median": statistics.median(wall)}


if __name__ == "__main__":
    main()
