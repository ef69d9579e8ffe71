"""A reader without access groups on a server with ``HIDE_SENSITIVE``: the lineage of a report fed by
OFFICIAL-SENSITIVE datasets is drawn with "restricted asset" placeholders in a real Chromium, with
no hidden title or name on the page or in its links (flows from or to hidden datasets are renamed
"restricted flow") and no CSP violation; screenshot in tests/artifacts/."""
from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import Page, expect

from support import serve_sample

REPORT = "https://data.county.example.gov.uk/id/dataset/pbi-population-health"


@pytest.fixture(scope="module")
def hiding_server(sample_store_path, tmp_path_factory):
    with serve_sample(sample_store_path, tmp_path_factory.mktemp("browser-access"), threads=2,
                      HIDE_SENSITIVE=True) as url:
        yield url


def test_redacted_lineage_draws_placeholders(page: Page, hiding_server, artifacts):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(hiding_server + "/lineage?" + urllib.parse.urlencode({"iri": REPORT, "direction": "up", "depth": 6}))
    graph = page.locator(".graph-viewport svg")
    expect(graph).to_be_visible()
    drawn = " ".join(graph.locator("text").all_text_contents())
    assert "restricted asset" in drawn and "Population health" in drawn
    content = page.content()
    hrefs = " ".join(urllib.parse.unquote(h or "") for h in
                     page.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    # neither the hidden dataset's title nor its name, as an IRI, a table name in a flow's label, or inside a link
    for hidden in ("Warehouse staging - ICB pseudonymised population health extract", "dwh-stg-icb-population-health",
                   "stg_icb_population_health"):
        assert hidden not in content and hidden not in hrefs
    assert "restricted flow" in content  # the flows from and to hidden datasets, renamed
    page.get_by_role("button", name="Fit").click()
    page.screenshot(path=str(artifacts / "20-redacted-lineage.png"), full_page=True)
    assert not violations, violations
