"""The new pages on a generated estate of 10,000 datasets beside the sample, in a real Chromium:
each opens without overflowing the window sideways, the systems map opens fitted to its panel,
every page with a drawing weighs under 300 KB, and a full-page screenshot of each is kept in
tests/artifacts/10k-*.png, with the first screen of each (issue 19: look at them)."""
from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from support import LiveServer

ID = "https://data.county.example.gov.uk/id/"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
MAX_DRAWING_PAGE = 300_000  # bytes: issue 19's page weight of any drawing


def _asset(iri: str, view: str = "asset") -> str:
    return f"/{view}?iri=" + quote(iri, safe="")


PAGES = {
    "dashboard": "/",
    "impact-capita-one": _asset(ID + "system/capita-one", "impact"),
    "systems": "/systems",
    "sharing": "/sharing",
    "person-helen-ashworth": _asset(ID + "person/helen-ashworth"),
    "asset-mosaic-person-child": _asset(ID + "dataset/mosaic-person-child"),
    "lineage-capita-one": _asset(ID + "system/capita-one", "lineage") + "&depth=2",
}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """As a UK reader sees it (date fields read dd/mm/yyyy)."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture(scope="module")
def server_10k(tmp_path_factory):
    from govgraph.data.generate import generate
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    from govgraph.webapp import create_app
    d = tmp_path_factory.mktemp("estate10k")
    store = open_store(f"oxigraph:{d / 'store'}")
    load_files(store, sorted(SAMPLE.glob("*.ttl")), validate=False)
    generate(d / "estate.nt", datasets=10_000, seed=6, defect_rate=0.05)
    load_files(store, [d / "estate.nt"], source="generated", validate=False)
    server = LiveServer(create_app({"STORE": store}), threads=4)
    try:
        for path in PAGES.values():  # warm: the first request builds the lineage graph, search index, validation
            urllib.request.urlopen(server.url + path, timeout=900).read()
        yield server.url
    finally:
        server.stop()
        store.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_on_10k_estate(page: Page, server_10k, artifacts, name):
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.ok and r.request.method == "GET" else None)
    r = page.goto(server_10k + PAGES[name], wait_until="load")
    assert r is not None and r.ok, r and r.status
    expect(page.locator("h1")).to_be_visible()
    # nothing pushes the page wider than the window (wide tables scroll inside their own box)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow} px wider than the window"
    if page.locator(".graph-viewport svg").count():
        assert sum(sizes) < MAX_DRAWING_PAGE, f"{name}: {sum(sizes):,} bytes with its styles and script"
    if name == "systems":  # no focus on the map: it opens on the whole drawing
        v = page.evaluate("""() => {
          const svg = document.querySelector('.graph-viewport svg');
          const [x, y, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
          return {x, y, w, h, W: Number(svg.dataset.w), H: Number(svg.dataset.h)};
        }""")
        assert v["x"] <= 0 and v["y"] <= 0 and v["x"] + v["w"] >= v["W"] and v["y"] + v["h"] >= v["H"], v
        expect(page.locator(".graph-cue")).to_be_hidden()
    page.screenshot(path=str(artifacts / f"10k-{name}.png"), full_page=True)
    page.screenshot(path=str(artifacts / f"10k-{name}-first-screen.png"))  # what opens, at a size one can look at
