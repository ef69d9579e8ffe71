"""Restarts: the first pages of a real `govgraph serve` after a restart, with derived state kept on disk.

A generated estate is loaded into an embedded store; then three servers in turn over the same store:
1. cold: nothing kept; each page built once (the search index and the validation report are then
   written beside the store, ``govgraph.kept_state``);
2. restart: the kept files are read (same revision);
3. restart after one write made by the second server (its state is applied, not saved again within
   30 s): the kept files are read and the write's change applied.
For each server: seconds from start to the first answer (``/search?q=a``, which needs the search
index), then the first request of each page, and the first ``/api/v1/validation`` (the kept report).
Loopback only; every wait is bounded.

    python tests/bench/bench_restart.py [--datasets 10000] [--dir DIR] [--per-page N]

With ``--per-page N``: then, N times, a fresh server for each page (dashboard, search, asset page, lineage page,
validation page) asked for it at once: wall and CPU seconds from start to its first answer, beside the time a
process takes to import the web app (the reference of the same run: the machine is shared).

Target (issue 18): restart to first page under 5 s at 100k.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import cpu_seconds, free_port, import_reference  # noqa: E402

from govgraph import kept_state  # noqa: E402
from govgraph.auth import TokenFile  # noqa: E402
from govgraph.data.generate import generate  # noqa: E402
from govgraph.io.load import load_files  # noqa: E402
from govgraph.store import open_store  # noqa: E402


def get(url: str) -> tuple[float, int]:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=900) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return time.perf_counter() - t, status




def serve(url: str, tokens: Path) -> tuple[subprocess.Popen, str, float, float]:
    """A server started; its base URL, seconds from start until it answered a search, and the CPU seconds it
    used until then."""
    port = free_port()
    exe = shutil.which("govgraph", path=str(Path(sys.executable).parent)) or "govgraph"
    t = time.perf_counter()
    proc = subprocess.Popen([exe, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, GOVGRAPH_STORE=url, GOVGRAPH_TOKENS=str(tokens)))
    base = f"http://127.0.0.1:{port}"
    for _ in range(9000):  # 900 s at most
        try:
            with urllib.request.urlopen(base + "/search?q=a", timeout=900) as r:
                r.read()
                return proc, base, time.perf_counter() - t, cpu_seconds(proc.pid)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not answer")


def first_answer(url: str, tokens: Path, path: str) -> tuple[float, float, bool]:
    """A fresh server asked for ``path`` at once (its connection retried until it listens): seconds from start to
    the answer, the server's CPU seconds until then, and whether the page said validation is still running."""
    port = free_port()
    exe = shutil.which("govgraph", path=str(Path(sys.executable).parent)) or "govgraph"
    t = time.perf_counter()
    proc = subprocess.Popen([exe, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, GOVGRAPH_STORE=url, GOVGRAPH_TOKENS=str(tokens)))
    try:
        for _ in range(30000):  # 600 s at most
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as r:
                    body = r.read()
                return time.perf_counter() - t, cpu_seconds(proc.pid), b"is running" in body
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)
        raise SystemExit("the server did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=120)




def per_page(url: str, tokens: Path, pages: dict[str, str], repeats: int) -> list[str]:
    """Restart to the first answer of each page, each from a fresh server (medians of ``repeats``)."""
    got: dict[str, list[tuple[float, float, bool]]] = {n: [] for n in pages}
    refs = []
    for _ in range(repeats):
        refs.append(import_reference())
        for name, path in pages.items():
            got[name].append(first_answer(url, tokens, path))
    ref_cpu = statistics.median(r[1] for r in refs)
    lines = [f"\nrestart to first answer, a fresh server per page, same revision as kept (medians of {repeats}); "
             f"load average {os.getloadavg()[0]:.1f}; reference (import govgraph.webapp.app): wall "
             f"{statistics.median(r[0] for r in refs):.2f} s, CPU {ref_cpu:.2f} s",
             "| page | wall s | CPU s | CPU / reference | said validation is running |", "|---|---|---|---|---|"]
    for name, xs in got.items():
        cpu = statistics.median(x[1] for x in xs)
        lines.append(f"| {name} | {statistics.median(x[0] for x in xs):.2f} | {cpu:.2f} | {cpu / ref_cpu:.1f} | "
                     f"{sum(x[2] for x in xs)}/{len(xs)} |")
    return lines


def kept_files_written(folder: Path, after: float, seconds: float = 600,
                       views: tuple[str, ...] = ("search", "validation", "lineage")) -> bool:
    end = time.monotonic() + seconds
    files = [folder / kept_state.FOLDER / f"{v}.pickle" for v in views]
    while time.monotonic() < end:
        if all(f.exists() and f.stat().st_mtime >= after for f in files):
            return True
        time.sleep(0.2)
    return False


def run(args, tmp: Path) -> None:
    estate = tmp / "estate.nt"
    folder = tmp / "store"
    url = f"oxigraph:{folder}"
    reused = folder.exists()  # --dir: a store loaded by an earlier run (its kept files, if any, are used)
    if not reused:
        generate(estate, datasets=args.datasets, seed=1)
    store = open_store(url)
    if not reused:
        load_files(store, [estate], source="estate", validate=False)
    triples = store.triple_count()
    dataset = str(store.select("SELECT ?d WHERE { ?d a dcat:Dataset } ORDER BY ?d LIMIT 1")[0]["d"])
    store.close()
    (tmp / "tokens").write_text("")
    token = TokenFile(tmp / "tokens").add("bench", "editor")
    q = urllib.parse.quote
    pages = {"search": "/search?q=referrals", "dashboard": "/", "asset page": f"/asset?iri={q(dataset, safe='')}",
             "validation (API)": "/api/v1/validation?severity=Violation"}
    rows = []
    per_page_lines: list[str] = []
    for label in ("cold (nothing kept)" if not reused else "first (files kept by earlier runs)", "restart (kept, same revision)", "restart after one write (kept + applied)"):
        started = time.time()
        proc, base, first, cpu = serve(url, tmp / "tokens")
        try:
            times = {name: get(base + path)[0] for name, path in pages.items()}
            if label.startswith(("cold", "first")):
                ok = kept_files_written(folder, 0 if reused else started)
                assert ok, "the kept files were not written"
                get(base + "/")  # the validation report is made: the scorecard counts the asset scores (kept too)
                assert kept_files_written(folder, 0 if reused else started, 600, ("asset-scores",))
                if reused:  # a view built by this server (say, of a new layout) is written before it stops
                    kept_files_written(folder, started, 120, ("lineage",))
            elif label.startswith("restart (kept"):
                body = f'<{dataset}> <http://www.w3.org/2004/02/skos/core#altLabel> "Restart bench synonym" .\n'
                req = urllib.request.Request(f"{base}/api/v1/sources/restart-bench", data=body.encode(), method="PUT",
                                             headers={"Content-Type": "text/turtle",
                                                      "Authorization": "Bearer " + token})
                with urllib.request.urlopen(req, timeout=600) as r:
                    r.read()
                get(base + "/search?q=restart")  # applied in that server
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        rows.append((label, first, cpu, times))
        if args.per_page and label.startswith(("cold", "first")):  # before the write: the kept files are current
            per_page_lines = per_page(url, tmp / "tokens", {
                "search": pages["search"], "dashboard": "/", "asset page": pages["asset page"],
                "lineage page": f"/lineage?iri={q(dataset, safe='')}", "validation page": "/validation"}, args.per_page)
    sizes = {p.name: p.stat().st_size for p in (folder / kept_state.FOLDER).iterdir()}
    print(f"{args.datasets:,} datasets, {triples:,} triples; kept files: "
          + ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sorted(sizes.items())))
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| server | start to first search s | its CPU s | " + " | ".join(f"first {n} s" for n in pages) + " |")
    print("|---|---|---|" + "---|" * len(pages))
    for label, first, cpu, times in rows:
        print(f"| {label} | {first:.2f} | {cpu:.2f} | " + " | ".join(f"{times[n]:.2f}" for n in pages) + " |")
    print("\n".join(per_page_lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--per-page", type=int, default=0, metavar="N",
                    help="then restart a fresh server for each page's first answer, N times (medians)")
    ap.add_argument("--dir", type=Path, help="keep the estate and store here and reuse them in later runs "
                                             "(the first server is then cold only if nothing was kept)")
    args = ap.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args, args.dir)
        return
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
