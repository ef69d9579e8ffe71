"""The scorecard over assets (issue 19, item 8): the share of datasets, reports, returns and systems
meeting each principle, a field's finding counted against its dataset, kept up to date by writes,
and shown on the dashboard."""
from __future__ import annotations

import re

from govgraph.io.sparql_update import apply_update
from govgraph.labels import labels
from govgraph.shapes import kept
from govgraph.shapes.asset_scores import ASSET_KINDS, asset_scores
from govgraph.store_graphs import source_graph_iri
from govgraph.webapp import create_app

GOV = "https://w3id.org/govgraph#"


def failing_assets_from_findings(store) -> dict[int, set[str]]:
    """The reference: every Violation or Warning, on an asset or on a field of one, by principle."""
    rep = kept.kept_report(store).report
    bad = [f for f in rep.findings if f.severity in ("Violation", "Warning") and not f.focus.startswith("_:")]
    kinds = labels(store, {f.focus for f in bad})
    owner = {r["f"].value: r["d"].value for r in store.query(
        f"SELECT ?f ?d WHERE {{ ?f <{GOV}fieldOf> ?d }}", prefixes=False)}
    out: dict[int, set[str]] = {}
    for f in bad:
        k = kinds[f.focus].kind if f.focus in kinds else None
        if k in ASSET_KINDS:
            out.setdefault(f.principle, set()).add(f.focus)
        elif k == "field" and f.focus in owner:
            out.setdefault(f.principle, set()).add(owner[f.focus])
    return out


def test_share_is_over_assets_with_fields_counted_against_their_dataset(module_sample_store):
    scores = asset_scores(module_sample_store)
    card = kept.kept_report(module_sample_store).report.scorecard
    reference = failing_assets_from_findings(module_sample_store)
    assert scores and set(scores) == set(card)
    for p, s in scores.items():
        assert s.failing == len(reference.get(p, ())), p
        assert 0 < s.assets <= card[p].focus_nodes, p  # fields, terms, flows ... are not assets
    # principle 1's failures are glossary terms and fields: the fields' datasets fail, the terms count for nothing
    assert scores[1].failing >= 1
    assert any(s.assets < card[p].focus_nodes for p, s in scores.items())
    # the point of the issue: the focus-node share hides failing assets behind the many fields and flows
    assert any(s.share < card[p].share - 0.01 for p, s in scores.items())


def test_a_write_that_breaks_an_asset_lowers_its_principle(sample_store):
    before = asset_scores(sample_store)[7]
    g = source_graph_iri("sample/estate")
    ds = next(r["s"].value for r in sample_store.query(
        f"SELECT ?s WHERE {{ GRAPH <{g}> {{ ?s <{GOV}owner> ?o }} ?s a <http://www.w3.org/ns/dcat#Dataset> "
        f"FILTER NOT EXISTS {{ GRAPH ?h {{ ?s <{GOV}owner> ?p }} FILTER(?h != <{g}>) }} }} ORDER BY ?s", prefixes=False)
        if r["s"].value not in failing_assets_from_findings(sample_store).get(7, set()))
    apply_update(sample_store, "sample/estate", f"DELETE WHERE {{ <{ds}> gov:owner ?o }}", who="test", force=True)
    after = asset_scores(sample_store)[7]
    assert after.assets == before.assets
    assert after.meeting == before.meeting - 1
    assert after.failing == len(failing_assets_from_findings(sample_store)[7])


def test_dashboard_shows_the_assets_meeting_each_principle(module_sample_store):
    client = create_app({"STORE": module_sample_store, "TESTING": True}).test_client()
    html = re.sub(r"\s+", " ", client.get("/").get_data(as_text=True))
    for p, s in asset_scores(module_sample_store).items():
        pct = f"{int(s.share * 100)}%"  # rounded down: an asset short of the principle never reads 100%
        assert re.search(rf"principle={p}\">{p}\. [^<]+</a></th> <td class=\"num score\">{pct}<br>"
                         rf"<span class=\"hint\">{s.meeting} of {s.assets}</span>", html), p
    # a principle short of 100% draws a red remainder, the green part rounded down
    short = next(s for s in asset_scores(module_sample_store).values() if s.failing)
    assert f'<span class="w-{int(short.share * 100)}"></span>' in html


def test_scorecard_report_has_the_asset_share_for_today_only(module_sample_store):
    import datetime as dt
    from govgraph.reports import build_report
    scores = asset_scores(module_sample_store)
    main = build_report(module_sample_store, "scorecard", dt.date.today()).tables[0]
    for row in main.rows:
        s = scores[row[0]]
        assert (float(row[main.columns.index("Assets meeting it")]), row[main.columns.index("Assets checked")],
                row[main.columns.index("Assets meeting")]) == (s.share, s.assets, s.meeting)
    earlier = build_report(module_sample_store, "scorecard", dt.date.today() - dt.timedelta(days=30)).tables[0]
    assert {r[earlier.columns.index("Assets checked")] for r in earlier.rows} == {"—"}
