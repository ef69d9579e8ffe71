"""The impact, systems map and sharing pages in a real Chromium over the sample estate:
what a governance officer and an architect see, with screenshots in tests/artifacts/, and
the systems map usable by keyboard (tab to a system, Enter opens it)."""
from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect

CAPITA = "https://data.county.example.gov.uk/id/system/capita-one"


def shot(page: Page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_impact_of_retiring_capita_one(page: Page, live_server, artifacts):
    page.goto(live_server + "/asset?iri=" + quote(CAPITA, safe=""))
    page.get_by_role("link", name="Impact if retired or changed").click()
    expect(page.locator("h1")).to_have_text("What breaks if Capita ONE is retired or changed")
    inbound = page.locator("#inbound + div table tbody tr")
    assert inbound.count() >= 5, "council tax data from the districts and police notifications come in"
    expect(page.locator("#inbound + div table")).to_contain_text("Shire Constabulary")
    expect(page.locator("#agreements + div table")).to_contain_text("Operation Encompass")
    shot(page, artifacts, "20-impact-capita-one")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download as CSV").click()
    text = open(dl.value.path(), encoding="utf-8").read()
    assert text.startswith("what,label,kind") and "inbound feed" in text


def test_systems_map_boundary_and_keyboard(page: Page, live_server, artifacts):
    page.goto(live_server + "/systems")
    expect(page.locator("h1")).to_have_text("Systems map")
    svg = page.locator(".graph-viewport svg")
    expect(svg).to_be_visible()
    boundary = svg.locator("g.boundary rect").bounding_box()
    # every council system is drawn inside the boundary, every partner outside it
    for a in svg.locator("a.n").all():
        box = a.locator("rect.b").bounding_box()
        inside = (boundary["x"] <= box["x"] and box["x"] + box["width"] <= boundary["x"] + boundary["width"]
                  and boundary["y"] <= box["y"] and box["y"] + box["height"] <= boundary["y"] + boundary["height"])
        external = "ext" in (a.get_attribute("class") or "")
        assert inside != external, a.locator("title").text_content()
    shot(page, artifacts, "21-systems-map")
    # keyboard: tab through the page until a system in the drawing has focus, then Enter opens it
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('svg') !== null"):
            break
    else:
        raise AssertionError("no node of the systems map could be reached with Tab")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url("**" + href)
    expect(page.locator("h1")).to_be_visible()
    # a service area keeps its systems and what they exchange data with
    page.goto(live_server + "/systems")
    page.get_by_label("Service area").select_option(label="Children's Social Care")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".graph-viewport svg")).to_contain_text("Mosaic")
    shot(page, artifacts, "22-systems-map-childrens-social-care")


def test_sharing_gaps_first(page: Page, live_server, artifacts):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sharing", exact=True).click()
    expect(page.locator("h1")).to_have_text("Personal data leaving the council")
    rows = page.locator("table.sharing tbody tr")
    assert rows.count() >= 10
    expect(rows.first).to_have_class("gap")
    expect(rows.first).to_contain_text("Department for Work and Pensions")
    shot(page, artifacts, "23-sharing")
    page.get_by_label("Only crossings with a gap").check()
    page.get_by_role("button", name="Show").click()
    assert page.locator("table.sharing tbody tr.gap").count() == page.locator("table.sharing tbody tr").count() >= 2
