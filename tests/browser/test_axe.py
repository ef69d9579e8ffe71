"""Every page of the viewer against axe-core's WCAG 2.2 AA rules, in a real Chromium over the sample estate.

axe-core comes from npm (``scripts/test.sh`` installs it into tests/browser/.axe, which git
ignores; its code is never committed). The page's Content-Security-Policy forbids injected
scripts, so these pages are opened in a context that lets axe in (``bypass_csp``); the
policy itself is tested in test_csp.py.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

AXE = Path(__file__).resolve().parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ID = "https://data.county.example.gov.uk/id/"


def _asset(iri: str, view: str = "asset") -> str:
    return f"/{view}?iri=" + quote(iri, safe="")


PAGES = {
    "dashboard": "/",
    "search": "/search?q=Mosaic",
    "search-typo": "/search?q=Mosiac",
    "dataset": _asset(ID + "dataset/mosaic-person-child"),
    "return": _asset(ID + "dataset/return-salt"),
    "system": _asset(ID + "system/mosaic"),
    "partner": _asset(ID + "partner/ashdown-dc"),
    "person": _asset(ID + "person/helen-ashworth"),
    "agreement": _asset(ID + "agreement/disabled-facilities-grants"),
    "lineage": _asset(ID + "system/capita-one", "lineage"),
    "ownership": _asset(ID + "system/mosaic", "ownership"),
    "ownership-person": _asset(ID + "person/fiona-macleod", "ownership"),
    "lineage-table": _asset(ID + "system/capita-one", "lineage/table") + "&depth=2",
    "ownership-table": _asset(ID + "person/fiona-macleod", "ownership/table"),
    "fields": _asset(ID + "dataset/return-salt", "fields"),
    "impact": _asset(ID + "system/capita-one", "impact"),
    "systems": "/systems",
    "sharing": "/sharing",
    "integrations": "/integrations",
    "integrations-mosaic": "/integrations?system=" + quote(ID + "system/mosaic", safe=""),
    "validation": "/validation",
    "agreements": "/agreements",
    "standards": "/standards",
    "glossary": "/glossary",
    "reports": "/reports/",
    **{f"report-{n}": f"/reports/{n}" for n in ("ropa", "iar", "scorecard", "agreements", "ownership", "quality")},
    "sparql": "/sparql",
    "asof": _asset(ID + "system/mosaic") + "&asof=2026-01-01",
    "not-found": _asset(ID + "dataset/no-such-thing"),
}


@pytest.fixture(scope="module")
def axe_page(browser, browser_context_args):
    assert AXE.is_file(), f"axe-core is not installed at {AXE}: run scripts/test.sh (it installs it from npm)"
    context = browser.new_context(**browser_context_args, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_meets_wcag22_aa(axe_page, live_server, name):
    page = axe_page
    page.goto(live_server + PAGES[name])
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    problems = [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [(n["target"], n.get("failureSummary", "")[:300]) for n in v["nodes"][:5]], "count": len(v["nodes"])}
                for v in result["violations"]]
    assert not problems, f"{PAGES[name]}:\n" + json.dumps(problems, indent=1)
