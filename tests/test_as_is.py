"""As-is loads with a ratchet: a source committed whatever its findings keeps them as its baseline of
known gaps; later writes are refused only for new violations, fixes shrink the baseline, the history
keeps every state of it, and the CLI, API, pages and scorecard show it. Real loads on an embedded store."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.data.estate import sample_files
from govgraph.errors import BadInput, ValidationFailed
from govgraph.io.load import load_files
from govgraph.io.write import source_triples, write_source
from govgraph.reports.scorecard import build as build_scorecard
from govgraph.shapes import baseline
from govgraph.shapes.model import gap_key
from support import tokened_app

ID = "https://data.county.example.gov.uk/id/"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
UNTITLED = f"{ID}dataset/dwh-stg-confirm-inspection"  # no title in the sample (DEFECTS.md, principle 4)
DEFECTS = (f'<{ID}dataset/tracker> a <http://www.w3.org/ns/dcat#Dataset> ;'
           f' <http://purl.org/dc/terms/title> "Complaints tracker" .\n')


@pytest.fixture
def store(disk_store):
    return disk_store


def _sample() -> list[Path]:
    return [f for f in sample_files() if f.suffix == ".ttl"]


def _without(st, source: str, *triples: ox.Triple) -> set[ox.Triple]:
    return source_triples(st, source) - set(triples)


def test_the_ratchet_on_the_sample_estate(store):
    # a strict load of the sample is refused and changes nothing
    with pytest.raises(ValidationFailed) as refused:
        load_files(store, _sample())
    assert store.revision == 0 and not store.sources()
    expected = {gap_key(f) for f in refused.value.report.violations}
    assert expected

    # as is: committed, the violations recorded as the baselines of the sources describing them
    results = load_files(store, _sample(), as_is=True)
    assert {r.source for r in results} == {f.name for f in _sample()}
    gaps = baseline.baselines(store)
    assert {g.key() for gs in gaps.values() for g in gs} == expected
    untitled = [g for g in gaps["datasets.ttl"] if g.focus == UNTITLED and g.path == str(TITLE.value)]
    assert len(untitled) == 1 and untitled[0].principle == 4
    as_is_rev, known = store.revision, len(gaps["datasets.ttl"])

    # a write adding a violation that no baseline holds is refused, naming it; nothing changes
    titled = sorted((t for t in source_triples(store, "datasets.ttl")
                     if t.predicate == TITLE and t.subject.value != UNTITLED), key=str)[0]
    with pytest.raises(ValidationFailed) as e:
        write_source(store, "datasets.ttl", _without(store, "datasets.ttl", titled), who="editor")
    assert [(f.focus, f.path) for f in e.value.report.violations] == [(titled.subject.value, TITLE.value)]
    assert "introduces 1 violation" in str(e.value)
    assert store.revision == as_is_rev and len(baseline.baselines(store)["datasets.ttl"]) == known

    # a write keeping the known gaps (and adding none) is accepted, the baseline as it was
    note = ox.Triple(ox.NamedNode(UNTITLED), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                     ox.Literal("checked by the data team"))
    res = write_source(store, "datasets.ttl", source_triples(store, "datasets.ttl") | {note}, who="editor")
    assert res.changed and not res.report.baseline
    assert len(baseline.baselines(store)["datasets.ttl"]) == known

    # a fix shrinks the baseline in the same commit
    fix = ox.Triple(ox.NamedNode(UNTITLED), TITLE, ox.Literal("Confirm inspections (staging)"))
    res = write_source(store, "datasets.ttl", source_triples(store, "datasets.ttl") | {fix}, who="editor")
    assert [g.focus for g in res.report.baseline.dropped] == [UNTITLED] and not res.report.baseline.added
    fixed_rev = store.revision
    now = baseline.baselines(store)["datasets.ttl"]
    assert len(now) == known - 1 and UNTITLED not in {g.focus for g in now if g.path == TITLE.value}
    assert [t.gaps for t in baseline.trend(store)["datasets.ttl"]] == [known, known - 1]

    # and it never grows back silently: undoing the fix is a new violation
    with pytest.raises(ValidationFailed) as e:
        write_source(store, "datasets.ttl", _without(store, "datasets.ttl", fix), who="editor")
    assert [f.focus for f in e.value.report.violations] == [UNTITLED]
    assert store.revision == fixed_rev

    # the history keeps each state: as of the as-is load the gap is there, by revision and by time
    then = baseline.baselines(store, as_is_rev)["datasets.ttl"]
    assert UNTITLED in {g.focus for g in then} and len(then) == known
    at = next(r.at for r in store.history() if r.revision == as_is_rev)
    assert len(baseline.baselines_asof(store, at)["datasets.ttl"]) == known
    assert baseline.baselines_asof(store, at - dt.timedelta(days=1)) == {}


def test_an_unparseable_file_is_refused_as_is_and_changes_nothing(store, tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text(DEFECTS + "<x> <y> .\n")
    with pytest.raises(BadInput):
        load_files(store, [bad], as_is=True)
    assert store.revision == 0 and not store.sources() and baseline.baselines(store) == {}


def test_removing_a_source_ends_its_baseline(store, tmp_path):
    f = tmp_path / "tracker.ttl"
    f.write_text(DEFECTS)
    load_files(store, [f], as_is=True)
    assert baseline.baselines(store)["tracker.ttl"]
    rev = store.revision
    store.remove_source("tracker.ttl", who="admin")
    assert baseline.baselines(store) == {} and baseline.baselines(store, rev)["tracker.ttl"]


def test_cli_load_as_is_groups_the_baseline_by_principle(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"
    run = lambda *a: CliRunner().invoke(main, list(a), env={"GOVGRAPH_STORE": url})  # noqa: E731
    f = tmp_path / "tracker.ttl"
    f.write_text(DEFECTS)
    strict = run("load", str(f))
    assert strict.exit_code != 0 and "import rejected" in strict.output
    r = run("load", "--as-is", str(f))
    assert r.exit_code == 0, r.output
    assert "baseline of tracker.ttl:" in r.output and "Principle 7: Known owner and quality lead" in r.output
    assert f"{ID}dataset/tracker [https://w3id.org/govgraph#owner]" in r.output
    bad = tmp_path / "broken.ttl"
    bad.write_text("<x> <y> .\n")
    assert run("load", "--as-is", str(bad)).exit_code != 0
    assert "broken.ttl" not in run("sources").output


def test_api_as_is_write_baselines_and_pages(store, tmp_path):
    app = tokened_app(store, tmp_path)
    c = app.test_client()
    auth = {"Authorization": "Bearer " + app.tokens["editor"]}
    put = lambda body, q="": c.put("/api/v1/sources/api/tracker" + q, data=body,  # noqa: E731
                                   content_type="text/turtle", headers=auth)
    assert put(DEFECTS).status_code == 422 and store.revision == 0
    assert put(DEFECTS, "?as_is=maybe").status_code == 400
    reader = c.put("/api/v1/sources/api/tracker?as_is=true", data=DEFECTS, content_type="text/turtle",
                   headers={"Authorization": "Bearer " + app.tokens["reader"]})
    assert reader.status_code == 403 and store.revision == 0
    r = put(DEFECTS, "?as_is=true")
    assert r.status_code == 201, r.get_json()
    added = r.get_json()["baseline"]["added"]
    assert added and {g["source"] for g in added} == {"api/tracker"}
    assert {g["focus"] for g in added} == {f"{ID}dataset/tracker"}
    rev = store.revision

    b = c.get("/api/v1/baselines").get_json()
    [src] = b["sources"]
    assert src["source"] == "api/tracker" and len(src["gaps"]) == len(added)
    assert src["trend"] == [{"revision": rev, "at": src["trend"][0]["at"], "gaps": len(added)}]
    assert c.get(f"/api/v1/baselines?revision={rev - 1}").get_json()["sources"] == []

    # the same defects again, strictly: nothing new, so accepted (unchanged); a new one is refused
    assert put(DEFECTS).status_code == 200
    worse = DEFECTS + f'<{ID}dataset/tracker2> a <http://www.w3.org/ns/dcat#Dataset> .\n'
    r = put(worse)
    assert r.status_code == 422 and {f["focus"] for f in r.get_json()["report"]["findings"]} == {f"{ID}dataset/tracker2"}
    assert store.revision == rev

    for page in ("/", "/validation"):
        html = c.get(page).get_data(as_text=True)
        assert "Known gaps per source" in html and "api/tracker" in html
    table = [t for t in build_scorecard(store, dt.date.today()).tables if t.title == "Known gaps per source"]
    assert table and table[0].rows[0][:2] == ["api/tracker", len(added)]
