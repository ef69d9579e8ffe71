"""Small things a governance officer noticed (issue 19, item 8): the scorecard shows what fails each
principle; an as-of page shows validation as it stood then; history names what changes point at;
the graph legend lists every colour drawn; wide report tables keep their first column; UK dates."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest

from govgraph.shapes.validate import validate_store
from govgraph.webapp import create_app, findings

ID = "https://data.county.example.gov.uk/id/"
HELEN = ID + "person/helen-ashworth"


@pytest.fixture(scope="module")
def client(module_sample_store):
    return create_app({"STORE": module_sample_store, "TESTING": True}).test_client()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_scorecard_counts_what_fails_each_principle(client, module_sample_store):
    html = client.get("/").get_data(as_text=True)
    rep = findings.report(module_sample_store)
    assert rep is not None and rep.violations
    for p in sorted({f.principle for f in rep.violations}):
        n = len({f.focus for f in rep.violations if f.principle == p})
        assert re.search(rf'principle={p}&amp;severity=Violation">{n} with violations</a>', html), p
    assert "bar bar-failing" in html


def test_asof_page_shows_the_validation_kept_then(sample_store):
    client = create_app({"STORE": sample_store, "TESTING": True}).test_client()
    iri = next(f.focus for f in findings.report(sample_store).violations if f.focus.startswith(ID + "dataset/"))
    today = dt.date.today()
    url = f"/asset?iri={quote(iri, safe='')}&asof={today.isoformat()}"
    validate_store(sample_store, check_date=today + dt.timedelta(days=400), save=True)  # kept, but after the date
    body = text(client.get(url).get_data(as_text=True))
    assert f"No validation report was kept on or before {today.day} {today:%B %Y}" in body
    validate_store(sample_store, check_date=today, save=True)
    body = text(client.get(url).get_data(as_text=True))
    assert f"As validated on {today.day} {today:%B %Y}" in body and "Violation" in body
    assert "Validation has not been run" not in body


def test_history_names_the_things_a_change_points_at(client, module_sample_store):
    from govgraph import lineage
    lg = lineage.get_graph(module_sample_store)
    owned = next(n for n, a in lg.g.nodes(data=True) if a.get("owner") == HELEN and a.get("kind") == "dataset")
    html = client.get("/asset?iri=" + quote(owned, safe="")).get_data(as_text=True)
    history = html.split('id="history"')[1].split('id="rdf"')[0]
    assert f'">Helen Ashworth</a></li>' in history
    assert f": {HELEN}</li>" not in history
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d</td>", history)  # UK date, not 2026-12-04


@pytest.mark.parametrize("iri, kinds", [(HELEN, ["Person"]), (ID + "system/mosaic", ["Person", "Team"])])
def test_ownership_legend_lists_every_colour_drawn(client, iri, kinds):
    html = client.get("/ownership?iri=" + quote(iri, safe="")).get_data(as_text=True)
    legend = html.split('aria-label="Key to the graph"')[1].split("</ul>")[0]
    for k in kinds:
        assert f"</svg>{k}</li>" in legend
    assert "Role: owner, steward, custodian or member" in legend
    fills = set(re.findall(r'\.k-(\w\w) rect\.b\{fill:(#\w+)\}', html))
    drawn = set(re.findall(r'<a class="n (k-\w\w)', html))
    legend_fills = set(re.findall(r'fill="(#\w+)"', legend))
    for cls, colour in fills:
        if "k-" + cls in drawn:
            assert colour in legend_fills, cls


def test_wide_report_tables_and_uk_dates(client):
    html = client.get("/reports/ropa").get_data(as_text=True)
    assert '<div class="table-scroll sticky-first">' in html
    today = dt.date.today()
    assert f"Report date {today.day} {today:%B %Y}" in html
    assert not re.search(r">\s*\d{4}-\d{2}-\d{2}\s*<", html)  # no ISO dates in cells
