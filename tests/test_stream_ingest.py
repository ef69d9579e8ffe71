"""A long stream of small writes costs the same per write at the end as at the start (issue 18's
stream: 20 OpenLineage events a second for 5 minutes): what is read per commit is that commit's
part of the history, not the whole history."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from govgraph import audit, discovered, live, search
from govgraph.audit import read_history
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.lineage import live_graph as lineage_graph
from govgraph.shapes import asset_scores, kept
from govgraph.store import source_graph_iri
from live_steps import ESTATE, lineage_state, ol_event, search_state, validation_state

LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _patch(store, name: str, i: int) -> None:
    with store.patch(name, who="test") as p:
        p.add([ox.Triple(ox.NamedNode(f"https://example.org/thing/{i}"), LABEL, ox.Literal(f"thing {i}"))])
        p.commit()


def _event(i: int) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
            "run": {"runId": f"0b6b1a4e-8b1f-4d6a-9f65-{i:012d}"},
            "job": {"namespace": "airflow", "name": f"job_{i}"},
            "inputs": [{"namespace": "mssql://mosaic", "name": f"dbo.in_{i % 3}"}],
            "outputs": [{"namespace": "mssql://dwh", "name": f"dbo.out_{i}"}],
            "producer": "https://example.org/test",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}


@pytest.mark.parametrize("lookup_range", [audit.LOOKUP_RANGE, 3])
def test_a_range_of_the_history_is_what_the_whole_history_holds_there(memory_store, monkeypatch, lookup_range):
    # ranges up to LOOKUP_RANGE are looked up by revision; wider ones filtered from every record
    monkeypatch.setattr(audit, "LOOKUP_RANGE", lookup_range)
    for i in range(12):
        _patch(memory_store, "a" if i % 3 else "b", i)
    memory_store.remove_source("b")
    rev = memory_store.revision
    every = read_history(memory_store.backend)
    assert [r.revision for r in every] == list(range(1, rev + 1))
    for after, until in [(0, 1), (0, rev), (4, 5), (4, 9), (rev - 1, rev), (rev, rev), (rev, rev + 3), (-2, 2), (9, 4)]:
        assert read_history(memory_store.backend, after, until) == [r for r in every if after < r.revision <= until]
    assert {r.action for r in every} == {"load", "patch", "remove"}


def test_the_kept_history_follows_each_commit(disk_store):
    _patch(disk_store, "a", 0)
    first = disk_store.history()
    for i in range(1, 6):
        _patch(disk_store, "a", i)
        assert disk_store.history() == read_history(disk_store.backend)
    assert disk_store.history()[:1] == first
    # a removal and a new load of the same name rewrite a record (the kept triples move): read afresh
    disk_store.remove_source("a")
    assert disk_store.history() == read_history(disk_store.backend)
    _patch(disk_store, "a", 9)
    assert disk_store.history() == read_history(disk_store.backend)
    assert disk_store.history("a")[-1].action == "load"
    assert [r.revision for r in disk_store.history()] == list(range(1, disk_store.revision + 1))


def test_a_stream_of_events_keeps_its_history_exact(disk_store):
    for i in range(20):
        res = ingest_event(disk_store, _event(i), who="test")
        assert res.write.changed
        assert disk_store.history()[-1].revision == disk_store.revision
    assert disk_store.history() == read_history(disk_store.backend)
    assert disk_store.source_size(ox.NamedNode(source_graph_iri("openlineage/airflow"))) > 20


def _labels(store) -> frozenset:
    return frozenset((q.subject.value, q.object.value) for g in store.graphs() for q in store.quads(None, LABEL, None, g))


def test_views_brought_up_to_date_together_read_the_change_once(memory_store):
    seen: dict[str, list] = {"wide": [], "narrow": []}

    def applier(name):
        def apply(state, store, change):
            seen[name].append(change)
            return _labels(store)
        return apply
    wide = live.LiveView("test-wide", _labels, applier("wide"), threshold=100)
    narrow = live.LiveView("test-narrow", _labels, applier("narrow"), threshold=2)
    _patch(memory_store, "a", 0)
    for v in (narrow, wide):
        live.view(memory_store, v)
    _patch(memory_store, "a", 1)
    assert live.view(memory_store, wide) == live.view(memory_store, narrow) == _labels(memory_store)
    assert len(seen["wide"]) == len(seen["narrow"]) == 1 and seen["wide"][0] is seen["narrow"][0]
    assert len(seen["wide"][0]) == 1 and seen["wide"][0].revisions == (memory_store.revision,)


def test_a_view_behind_by_more_than_its_threshold_applies_the_commits_in_runs(memory_store, monkeypatch):
    applied: list = []

    def apply(state, store, change):
        applied.append(change.revisions)
        return _labels(store)
    view = live.LiveView("test-runs", _labels, apply, threshold=2)
    stats = live.memo(memory_store).stats
    _patch(memory_store, "a", 0)
    live.view(memory_store, view)
    start = memory_store.revision
    for i in range(1, 6):  # five commits of one triple: three runs of at most two
        _patch(memory_store, "a", i)
    assert live.steps(memory_store, start, start + 5, 2) == [start + 2, start + 4, start + 5]
    assert live.view(memory_store, view) == _labels(memory_store)
    assert applied == [(start + 1, start + 2), (start + 3, start + 4), (start + 5,)]
    assert stats["test-runs"].built == 1 and stats["test-runs"].applied == 1
    # a commit larger than the threshold on its own: built afresh
    with memory_store.patch("a", who="test") as p:
        p.add([ox.Triple(ox.NamedNode(f"https://example.org/big/{i}"), LABEL, ox.Literal("big")) for i in range(3)])
        p.commit()
    assert live.steps(memory_store, memory_store.revision - 1, memory_store.revision, 2) is None
    assert live.view(memory_store, view) == _labels(memory_store) and stats["test-runs"].built == 2
    # more runs than MAX_STEPS: built afresh
    monkeypatch.setattr(live, "MAX_STEPS", 2)
    for i in range(10, 15):
        _patch(memory_store, "a", i)
    assert live.steps(memory_store, memory_store.revision - 5, memory_store.revision, 2) is None
    assert live.view(memory_store, view) == _labels(memory_store) and stats["test-runs"].built == 3
    assert len(applied) == 3


def test_the_views_applied_in_runs_equal_fresh_builds(memory_store, monkeypatch):
    """Real views (search, validation, lineage, asset scores, namespaces) behind by more than their threshold
    catch up in runs of commits, and end equal to a fresh build."""
    load_files(memory_store, [ESTATE], force=True)
    views = [(search.SEARCH_VIEW, search_state), (kept.VALIDATION_VIEW, validation_state),
             (lineage_graph.VIEW, lineage_state), (asset_scores.ASSET_SCORES_VIEW, lambda c: c.scores),
             (discovered.NAMESPACES_VIEW, lambda x: (x.systems, x.of))]
    tables = ["dbo.referrals", "dbo.fact_referral", "dbo.road_defects", "dbo.new"]
    ingest_event(memory_store, ol_event("load_x", tables[:1], tables[1:2], 49), who="test")  # the source's load
    for v, _ in views:
        live.view(memory_store, v)
    stats = live.memo(memory_store).stats
    built = {v.name: stats[v.name].built for v, _ in views}
    since = memory_store.revision
    for i in range(8):
        ingest_event(memory_store, ol_event(f"load_{i % 3}", [tables[i % 4]], [tables[(i + 1) % 4], f"dbo.t{i}"], 50 + i),
                     who="test")
    _patch(memory_store, "extra", 1)
    sizes = [r.added + r.removed for r in read_history(memory_store.backend, since, memory_store.revision)]
    limit = max(sizes)
    for v, _ in views:
        monkeypatch.setattr(v, "threshold", limit)
    cuts = live.steps(memory_store, since, memory_store.revision, limit)
    assert cuts is not None and len(cuts) > 2  # several runs, each within the threshold
    for v, state in views:
        assert state(live.view(memory_store, v)) == state(v.build(memory_store)), v.name
        assert stats[v.name].built == built[v.name], f"{v.name} was built afresh"
