"""Graphs in a real Chromium: each opens fitted to its panel with the focus in view, large fans
are grouped (and expand on a click), nodes are reached by Tab and opened by Enter, and the
drawing links to its table. Screenshots go to tests/artifacts/graph-*.png."""
from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect

B = "https://data.county.example.gov.uk/id/"


def _view(page: Page) -> dict:
    """The drawing's size, the part of it shown, and the focus box (all in drawing units)."""
    return page.evaluate("""() => {
      const svg = document.querySelector('.graph-viewport svg');
      const [x, y, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
      const f = svg.querySelector('.n.focus rect');
      const box = f ? ['x', 'y', 'width', 'height'].map(a => Number(f.getAttribute(a))) : null;
      const vp = document.querySelector('.graph-viewport').getBoundingClientRect();
      return {x, y, w, h, focus: box, panelW: vp.width, panelH: vp.height, scale: vp.width / w};
    }""")


def _focus_in_view(v: dict) -> bool:
    fx, fy, fw, fh = v["focus"]
    return v["x"] <= fx and v["y"] <= fy and fx + fw <= v["x"] + v["w"] and fy + fh <= v["y"] + v["h"]


def _shot(page: Page, artifacts, name: str) -> None:
    panel = page.locator(".graph-panel").first
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(artifacts / f"graph-{name}.png"))


def test_capita_one_at_depth_two_opens_fitted_with_a_group(page: Page, live_server, artifacts):
    page.goto(f"{live_server}/lineage?iri={quote(B + 'system/capita-one', safe='')}&depth=2")
    expect(page.locator(".panzoom-controls")).to_be_visible()
    v = _view(page)
    assert _focus_in_view(v) and v["scale"] >= 0.4
    group = page.locator(".graph-viewport svg a.k-gr")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("+15 datasets in Capita ONE")
    _shot(page, artifacts, "capita-one-depth-2")
    group.click()
    expect(page.locator(".graph-viewport svg a.k-gr")).to_have_count(0)
    assert page.locator(".graph-viewport svg a.k-ds").count() >= 15
    assert _focus_in_view(_view(page))
    _shot(page, artifacts, "capita-one-depth-2-expanded")


def test_an_asset_page_inline_lineage_shows_all_or_says_so(page: Page, live_server, artifacts):
    page.goto(f"{live_server}/asset?iri={quote(B + 'dataset/return-salt', safe='')}")
    expect(page.locator(".graph-viewport svg")).to_be_visible()
    v = _view(page)
    assert _focus_in_view(v)
    svg = page.locator(".graph-viewport svg")
    whole = (v["x"] <= 1 and v["y"] <= 1 and v["x"] + v["w"] >= float(svg.get_attribute("data-w")) - 1
             and v["y"] + v["h"] >= float(svg.get_attribute("data-h")) - 1)
    cue = page.locator(".graph-cue")
    # either the whole drawing is in the panel, or a cue says part of it is not
    assert whole or cue.is_visible()
    _shot(page, artifacts, "asset-salt-return")


def test_a_system_at_one_step_is_grouped_not_a_tall_column(page: Page, live_server, artifacts):
    page.goto(f"{live_server}/lineage?iri={quote(B + 'system/mosaic', safe='')}&depth=1")
    expect(page.locator(".graph-viewport svg a.k-gr").first).to_be_visible()
    v = _view(page)
    assert _focus_in_view(v) and v["scale"] >= 0.4
    assert v["panelH"] <= 0.8 * page.viewport_size["height"]
    _shot(page, artifacts, "mosaic-one-step")


def test_keyboard_tab_to_a_node_and_enter_opens_it(page: Page, live_server, artifacts):
    page.goto(f"{live_server}/lineage?iri={quote(B + 'system/capita-one', safe='')}&depth=2")
    page.locator(".graph-viewport").focus()
    page.keyboard.press("Tab")
    node = page.evaluate("""() => { const a = document.activeElement;
      return a && a.closest('svg') ? a.getAttribute('href') : null; }""")
    assert node and node.startswith("/"), "Tab from the graph panel reaches a node of the drawing"
    for _ in range(12):  # the view follows the keyboard from node to node
        page.keyboard.press("Tab")
        inside = page.evaluate("""() => { const a = document.activeElement, svg = a.closest('svg');
          if (!svg) return null; const r = a.querySelector('rect');
          const [x, y, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
          const rx = +r.getAttribute('x'), ry = +r.getAttribute('y');
          return rx >= x && ry >= y && rx + +r.getAttribute('width') <= x + w + 1 && ry + +r.getAttribute('height') <= y + h + 1; }""")
        if inside is None:
            break
        assert inside, "the focused node is brought into view"
    page.goto(f"{live_server}/lineage?iri={quote(B + 'system/capita-one', safe='')}&depth=2")
    page.locator(".graph-viewport").focus()
    page.keyboard.press("Tab")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url("**" + href.split("#")[0].replace("?", "*"))
    expect(page.locator("h1")).to_be_visible()


def test_the_drawing_links_to_its_table(page: Page, live_server):
    page.goto(f"{live_server}/lineage?iri={quote(B + 'system/capita-one', safe='')}&depth=1")
    page.get_by_role("link", name="Table of this graph").click()
    expect(page.locator("details#graph-table")).to_have_attribute("open", "")
    expect(page.locator("details#graph-table table").last).to_contain_text("Ashdown District Council")
