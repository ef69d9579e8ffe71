"""A governance officer's and an architect's everyday journeys in a real Chromium, over a
real server on the sample estate; screenshots of the main pages go to tests/artifacts/."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect



def shot(page: Page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_salt_return_to_mosaic_integrations(page: Page, live_server, artifacts):
    page.goto(live_server + "/")
    shot(page, artifacts, "01-dashboard")
    page.get_by_label("Search the data directory").fill("SALT")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("result")
    shot(page, artifacts, "02-search-salt")
    page.locator("ol.results h3 a", has_text="SALT").first.click()
    expect(page.locator("h1")).to_contain_text("SALT")

    graph = page.locator(".graph-viewport svg")
    expect(graph).to_be_visible()
    drawn = " ".join(graph.locator("text").all_text_contents())  # drawn words, not hover titles
    for system in ("in Mosaic", "in ContrOCC", "Warehouse"):
        assert system in drawn, f"{system} is upstream of the SALT return"
    expect(page.locator(".panzoom-controls")).to_be_visible()  # JavaScript added pan and zoom
    shot(page, artifacts, "03-asset-salt-return")

    # the graph as a table, for screen readers, names the same upstream systems
    page.get_by_text("The same graph as a table").click()
    expect(page.locator("details table").first).to_contain_text("Mosaic")  # links; then the assets

    # click through to Mosaic: a dataset held in Mosaic in the (fitted) graph, then its system
    page.get_by_role("button", name="Fit").click()
    page.locator(".graph-viewport svg a", has=page.locator("text", has_text="in Mosaic")).first.click()
    expect(page.locator("h1")).to_contain_text("Mosaic")
    page.locator("dl.summary dd a", has_text=re.compile(r"^Mosaic$")).first.click()
    expect(page.locator("h1")).to_have_text("Mosaic")
    shot(page, artifacts, "04-asset-mosaic")

    page.get_by_role("link", name="Integrations", exact=True).last.click()
    expect(page.locator("h1")).to_contain_text("Integrations of Mosaic")
    rows = page.locator("#list ~ div table tbody tr")
    assert rows.count() >= 3, "Mosaic integrates with several systems"
    expect(page.locator("table.matrix")).to_be_visible()
    shot(page, artifacts, "05-integrations-mosaic")


def test_expired_agreement_from_the_dashboard(page: Page, live_server, artifacts):
    page.goto(live_server + "/")
    section = page.locator("section", has=page.get_by_role("heading", name="Sharing agreements needing attention"))
    expired = section.locator("tr", has=page.locator(".tag", has_text="expired")).first
    expect(expired).to_be_visible()
    name = expired.locator("td a").first.text_content()
    expired.locator("td a").first.click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("h1 + p .tag").first).to_have_text("expired")
    expect(page.locator("#properties + dl.summary")).to_contain_text("valid until")
    shot(page, artifacts, "06-asset-expired-agreement")
    page.goto(live_server + "/agreements")
    shot(page, artifacts, "07-agreements")


def test_keyboard_skip_link_and_focus(page: Page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0, "the skip link becomes visible when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pan_and_zoom(page: Page, live_server):
    page.goto(live_server + "/search?q=Mosaic&kind=system")
    page.locator("ol.results h3 a", has_text="Mosaic").first.click()
    svg = page.locator(".graph-viewport svg")
    before = svg.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    zoomed = svg.get_attribute("viewBox")
    assert zoomed != before and float(zoomed.split()[2]) < float(before.split()[2])
    vp = page.locator(".graph-viewport")
    vp.focus()
    page.keyboard.press("ArrowRight")
    assert svg.get_attribute("viewBox").split()[0] != zoomed.split()[0]
    page.get_by_role("button", name="Fit").click()
    box = vp.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.locator("h1")).to_have_text("Mosaic")  # a drag does not follow a link


def test_works_without_javascript(browser, live_server, artifacts):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(live_server + "/search?q=SALT")
    page.locator("ol.results h3 a", has_text="SALT").first.click()
    expect(page.locator(".graph-viewport svg")).to_be_visible()
    expect(page.locator(".panzoom-controls")).to_be_hidden()
    page.get_by_label("Steps to follow").select_option("1")
    page.get_by_role("button", name="Redraw").click()
    assert re.search(r"depth=1", page.url)
    n = int(re.search(r"(\d+) assets", page.locator(".graph-toolbar").text_content()).group(1))
    assert n >= 2
    ctx.close()


def test_screenshots_of_the_main_pages(page: Page, live_server, artifacts):
    """Every main page renders without a server error; the screenshots are for people to look at."""
    for name, url in [("08-validation", "/validation"), ("09-glossary", "/glossary"), ("10-standards", "/standards"),
                      ("11-integrations", "/integrations"), ("12-search-facets", "/search?personal=yes")]:
        resp = page.goto(live_server + url)
        assert resp.status == 200, url
        shot(page, artifacts, name)
    page.goto(live_server + "/search?q=SALT")
    page.locator("ol.results h3 a", has_text="SALT").first.click()
    page.get_by_role("link", name="Ownership graph").click()
    expect(page.locator("h1")).to_contain_text("Ownership of")
    shot(page, artifacts, "13-ownership-salt")
    page.go_back()
    page.get_by_role("link", name="Lineage graph").click()
    resp = page.goto(page.url.split("#")[0].replace("/asset?", "/lineage?") + "&depth=6")
    assert resp.status == 200
    shot(page, artifacts, "14-lineage-salt-depth6")
    resp = page.goto(live_server + "/asset?iri=https://data.county.example.gov.uk/id/system/mosiac")
    assert resp.status == 404
    expect(page.get_by_role("heading", name="Did you mean")).to_be_visible()
    shot(page, artifacts, "15-not-found")


def test_a_person_page_and_a_search_with_a_typo(page: Page, live_server, artifacts):
    """A governance officer looks up who answers for what (a leaver flagged), and searches with a typo."""
    page.goto(live_server + "/search?q=" + "Gilian Frost")  # a typo in the first name
    page.locator("ol.results h3 a", has_text="Gillian Frost").first.click()
    expect(page.locator("h1")).to_have_text("Gillian Frost")
    accountable = page.get_by_role("heading", name="Accountable for")
    expect(accountable).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="left the council on 31 August 2025")).to_be_visible()
    shot(page, artifacts, "16-person-leaver")
    page.goto(live_server + "/asset?iri=https://data.county.example.gov.uk/id/person/helen-ashworth")
    box = page.get_by_role("heading", name="Accountable for").bounding_box()
    assert box and box["y"] < 900, box  # it leads the page, in the first screenful
    expect(page.get_by_role("heading", name=re.compile(r"Information Asset Owner \(\d+\)"))).to_be_visible()
    shot(page, artifacts, "17-person-owner")
    page.goto(live_server + "/search?q=" + "Mosiac")
    expect(page.locator("ol.results h3 a").first).to_have_text("Mosaic")
