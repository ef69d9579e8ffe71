"""Benchmark: the web viewer over a large generated estate.

Measures, through the real WSGI app (Flask's test client, so server time without the
network): the asset page with a depth-3 lineage SVG for random datasets, reports and
returns; search; and the size of a 300-node lineage SVG, which it saves (with a PNG
taken in Chromium when available) so a person can look at it. The reference measured
in the same run is the domain calls alone (``catalog.get_asset`` + ``lineage.lineage``)
for the same assets, so the ratio shows what the web layer adds.

    python tests/bench/bench_webapp.py [--datasets 100000] [--store DIR] [--samples 200]

The store folder is reused when it already holds the estate (generating and loading
100k datasets takes a few minutes).
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

TARGETS = {"asset_median_ms": 150, "asset_p95_ms": 400, "search_median_ms": 200, "svg_300_kb": 300}
SEARCH_WORDS = ["care", "school", "payments", "SALT", "children", "warehouse", "highways", "Mosaic",
                "council tax", "library loans", "NHS number", "adult social care", "census", "pupil", "invoice",
                "planning applications", "electoral", "safeguarding", "referrals", "address"]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def open_estate(store_dir: Path, datasets: int, seed: int):
    from govgraph.data.generate import generate
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    store = open_store(f"oxigraph:{store_dir}")
    if store.sources():
        print(f"reusing {store_dir}: {store.triple_count():,} triples", flush=True)
        return store
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "estate.ttl"
        t0 = time.perf_counter()
        counts = generate(path, datasets=datasets, seed=seed, defect_rate=0.05)
        print(f"generated {counts['triples']:,} triples in {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        load_files(store, [path], source="generated", validate=False)
        print(f"loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    return store


def timed(client, url: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    r = client.get(url)
    dt = time.perf_counter() - t0
    assert r.status_code == 200, (url, r.status_code, r.data[:300])
    return dt, r.data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--store", type=Path, default=None, help="store folder to build or reuse")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--svg-only", action="store_true", help="only make and measure the 300-node lineage SVG")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "docs" / "screenshots")
    args = ap.parse_args(argv)

    from govgraph import catalog, lineage, search
    from govgraph.webapp import create_app, findings

    tmp = None
    if args.store is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-webapp-"))
        args.store = tmp / "store"
    store = open_estate(args.store, args.datasets, args.seed)
    app = create_app({"STORE": store})
    client = app.test_client()
    rng = random.Random(args.seed)

    if args.svg_only:
        pool = [e.iri for e in search.search_index(store) if e.kind in ("dataset", "report", "return")]
        print(svg_300(store, client, pool, rng, args.out)[0])
        store.close()
        return 0

    # warm-up: the per-revision caches (lineage graph, search index, validation report)
    t0 = time.perf_counter()
    lineage.get_graph(store)
    t_graph = time.perf_counter() - t0
    t0 = time.perf_counter()
    search.search_index(store)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    timed(client, "/")  # starts validating the whole estate (in the background for a large store)
    t_dash = time.perf_counter() - t0
    while findings.pending(store):
        time.sleep(1)
    t_valid = time.perf_counter() - t0
    print(f"warm-up: lineage graph {t_graph:.1f} s, search index {t_index:.1f} s, first dashboard {t_dash:.1f} s, "
          f"validation of the whole estate {t_valid:.1f} s", flush=True)
    t0 = time.perf_counter()
    timed(client, "/")
    print(f"dashboard once warm: {ms(time.perf_counter() - t0)} ms", flush=True)

    pool = [e.iri for e in search.search_index(store) if e.kind in ("dataset", "report", "return")]
    sample = rng.sample(pool, min(args.samples, len(pool)))

    ref, page = [], []
    sizes = []
    for iri in sample:
        t0 = time.perf_counter()
        catalog.get_asset(store, iri)
        lineage.lineage(store, iri, "both", 3)
        ref.append(time.perf_counter() - t0)
        dt, body = timed(client, f"/asset?iri={quote(iri, safe='')}&depth=3")
        page.append(dt)
        sizes.append(len(body))
    searches = []
    for w in SEARCH_WORDS * 3:
        dt, _ = timed(client, f"/search?q={quote(w)}")
        searches.append(dt)
    facet = []
    for w in SEARCH_WORDS:
        dt, _ = timed(client, f"/search?q={quote(w)}&personal=yes&kind=dataset")
        facet.append(dt)

    svg_line, svg_kb = svg_300(store, client, pool, rng, args.out)

    a_med, a_p95 = ms(statistics.median(page)), ms(pct(page, 0.95))
    r_med = ms(statistics.median(ref))
    s_med = ms(statistics.median(searches))
    print()
    print(f"estate: {store.triple_count():,} triples, {len(pool):,} datasets/reports/returns")
    print(f"asset page, depth-3 lineage SVG, {len(page)} random assets: median {a_med} ms, p95 {a_p95} ms, "
          f"max {ms(max(page))} ms (targets {TARGETS['asset_median_ms']} / {TARGETS['asset_p95_ms']} ms); "
          f"median page {statistics.median(sizes) / 1024:.0f} KB")
    print(f"reference (get_asset + lineage only, same assets): median {r_med} ms; page/reference ratio "
          f"{a_med / r_med:.2f}")
    print(f"search, {len(searches)} queries: median {s_med} ms, p95 {ms(pct(searches, 0.95))} ms "
          f"(target {TARGETS['search_median_ms']} ms); with facets median {ms(statistics.median(facet))} ms")
    print(f"300-node lineage SVG: {svg_line} (target {TARGETS['svg_300_kb']} KB)")
    ok = (a_med < TARGETS["asset_median_ms"] and a_p95 < TARGETS["asset_p95_ms"]
          and s_med < TARGETS["search_median_ms"] and (svg_kb is None or svg_kb < TARGETS["svg_300_kb"]))
    print("all targets met" if ok else "SOME TARGETS MISSED")
    store.close()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def svg_300(store, client, pool, rng, out: Path) -> tuple[str, float | None]:
    """Draw a lineage of at least 300 reached nodes (300 drawn); save it and say how big it is."""
    from govgraph import lineage, search
    # a lineage of at least 300 nodes: busy datasets first, then systems (which fan out to what they hold)
    big = None
    systems = [e.iri for e in search.search_index(store) if e.kind == "system"]
    busy = sorted(rng.sample(pool, min(400, len(pool))), key=lambda i: -len(lineage.lineage(store, i, "both", 2).nodes))
    for iri in busy[:5] + sorted(systems):
        for depth in range(1, 11):
            n = len(lineage.lineage(store, iri, "both", depth).nodes)
            if n >= 300:
                big = (iri, depth, n)
                break
        if big:
            break
    svg_line = "no asset reaches 300 nodes"
    svg_kb = None
    if big:
        iri, depth, n = big
        dt, body = timed(client, f"/lineage.svg?iri={quote(iri, safe='')}&depth={depth}")
        svg_kb = len(body) / 1024
        out.mkdir(parents=True, exist_ok=True)
        (out / "lineage-300.svg").write_bytes(body)
        svg_line = (f"{n} nodes reached at depth {depth} (300 drawn): {svg_kb:.0f} KB, served in {ms(dt)} ms; "
                    f"saved to {out / 'lineage-300.svg'}")
        png = snapshot(out / "lineage-300.svg", out / "lineage-300.png")
        if png:
            svg_line += f" and {png}"
    return svg_line, svg_kb


def snapshot(svg: Path, png: Path) -> str | None:
    """A PNG of the SVG's top-left at full size in Chromium (None when Playwright or chromium is missing)."""
    exe = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not exe:
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1600, "height": 1600})
        page.goto(svg.resolve().as_uri())
        page.screenshot(path=str(png))  # the top 1600 x 1600 px at full size (a whole tall graph is too big)
        b.close()
    return str(png)


if __name__ == "__main__":
    sys.exit(main())
