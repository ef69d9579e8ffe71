"""Live derived views are exact: after every write, each view brought up to date by applying the
commit's change equals the same view built afresh, on both backends.

Hypothesis draws sequences of writes (loads and replaces of small generated sources, removals,
patches, SPARQL updates, OpenLineage events) over a small estate whose names overlap on
purpose (the same datasets described by several sources, glossary terms renamed under the
datasets that carry them, lineage between generated and estate datasets).
"""
from __future__ import annotations

import copy
import dataclasses
import uuid

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph import access, discovered, live, search
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import write_source
from govgraph.lineage import live_graph as lineage_graph
from govgraph.lineage.graph import load_fields
from govgraph.lineage.impact_index import ImpactIndex
from govgraph.shapes import asset_scores, kept
from govgraph.store import commit_patches
from live_steps import ESTATE, do, lineage_state, n, ol_event, search_state, validation_state
from live_strategies import BASE, DATASETS, DCAT, DCT, GOV, PEOPLE, RDF, SKOS, SYSTEMS, lit, steps

VIEWS = [(search.SEARCH_VIEW, search_state), (kept.VALIDATION_VIEW, validation_state),
         (lineage_graph.VIEW, lineage_state), (access.RESTRICTED_VIEW, lambda r: (r.named, r.blank_groups)),
         (asset_scores.ASSET_SCORES_VIEW, lambda c: c.scores),
         (access.LINKS_VIEW, lambda x: (x.dependents, x.flows, x.described, x.ends)),
         (discovered.NAMESPACES_VIEW, lambda x: (x.systems, x.of))]


#: searches asked of the applied index and of a fresh build (words, typos, codes, an IRI's segment; facets)
QUERIES = ["road", "Road defects", "care", "carers", "mosiac", "SSDA903", "ssda 903", "refferals", "budget", "d1", ""]
FILTERS = [{}, {"kind": "dataset"}, {"personal": "no"}, {"owner": PEOPLE[0]}, {"system": SYSTEMS[0]}]


def search_answers(store) -> list:
    """What search answers: pages (items, order, totals, facet counts) and "did you mean" suggestions."""
    out = [search.faceted_search(store, q, filters=f, limit=3, offset=o) for q in QUERIES for f in FILTERS
           for o in (0, 2)]
    return out + [search.suggest(store, q) for q in ("mosiac", "refferal", f"{BASE}dataset/d9", "roads", "car")]


def same_index(a: ImpactIndex, b: ImpactIndex) -> bool:
    """Two impact indexes equal field by field (node ids, arrays, ranks: not only by IRI)."""
    return all(getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(ImpactIndex))


def check_views(store) -> None:
    lg = live.view(store, lineage_graph.VIEW)
    kept_ix = lg.__dict__.get("_impact_index")  # patched with the change, if it was one that adds runs or datasets
    assert kept_ix is None or same_index(kept_ix, ImpactIndex.of(lg)), "impact index differs from a fresh one"
    for v, state in VIEWS:
        kept_state = live.view(store, v)
        fresh = v.build(store)
        assert state(kept_state) == state(fresh), f"view {v.name} differs from a fresh build"
        if v is search.SEARCH_VIEW:  # and answers every search as the fresh build does
            m = live.memo(store)
            applied = search_answers(store)
            m.kept[v.name] = live._Kept(store.revision, fresh, v)  # noqa: SLF001 - the same questions to the build
            try:
                assert search_answers(store) == applied, "search answers differ from a fresh build's"
            finally:
                m.kept[v.name] = live._Kept(store.revision, kept_state, v)  # noqa: SLF001


@pytest.fixture(scope="module")
def estate(module_store):
    load_files(module_store, [ESTATE], force=True)
    return module_store


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=5))
def test_views_follow_writes_exactly(estate, sequence):
    check_views(estate)  # whatever earlier examples left
    for step in sequence:
        do(estate, step)
        check_views(estate)


def test_several_commits_are_applied_as_one_change(estate):
    check_views(estate)
    stats = live.memo(estate).stats
    before = {v: stats[v].applied for v in ("search", "validation", "lineage")}
    lineage_made = stats["lineage"].applied + stats["lineage"].built
    write_source(estate, "s0", [ox.Triple(n(DATASETS[0]), n(RDF + "type"), n(DCAT + "Dataset")),
                                ox.Triple(n(DATASETS[0]), n(DCT + "title"), lit("Gritting routes"))],
                 who="test", force=True, may_remove=True)
    write_source(estate, "s1", [ox.Triple(n(DATASETS[1]), n(RDF + "type"), n(DCAT + "Dataset")),
                                ox.Triple(n(DATASETS[1]), n(DCT + "title"), lit("Winter salt"))],
                 who="test", force=True, may_remove=True)
    asset_scores.asset_scores(estate)
    assert live.memo(estate).stats["asset-scores"].applied >= 1  # recounted for the change's scope only
    found = search.search(estate, "gritting")[1]
    assert (DATASETS[0], "Gritting routes") in [(i.iri, i.label) for i in found]
    kept.kept_report(estate)
    lineage_graph.get_graph(estate)  # new datasets: patched; changed titles and types: built afresh
    # two commits, one application (neither view built afresh), one new lineage graph
    assert {v: stats[v].applied for v in ("search", "validation")} == \
        {"search": before["search"] + 1, "validation": before["validation"] + 1}
    assert stats["lineage"].applied + stats["lineage"].built == lineage_made + 1
    before["lineage"] = stats["lineage"].applied
    # a synonym is not read by the lineage graph: kept, not built again
    write_source(estate, "synonyms", [ox.Triple(n(DATASETS[2]), n(SKOS + "altLabel"), lit("Grit bins"))],
                 who="test", force=True, may_remove=True)
    assert lineage_graph.get_graph(estate).revision == estate.revision
    assert stats["lineage"].applied == before["lineage"] + 1
    check_views(estate)


def test_a_change_over_the_threshold_is_rebuilt(estate):
    check_views(estate)
    ch = live.changes(estate, estate.revision - 1, estate.revision, 10_000)
    assert ch is not None and len(ch) > 0
    assert live.changes(estate, estate.revision - 1, estate.revision, len(ch) - 1) is None
    assert live.changes(estate, -5, estate.revision, 10_000) is None  # revisions with no record: rebuilt


def test_a_new_source_grown_by_later_commits_is_counted_once(estate):
    """The commit that makes a source names the source graph itself as what it added, and that graph holds what
    later commits added too: the change is counted in triples, not once per graph each is read from (a restart
    after a stream of events into a new source built every view afresh)."""
    r0, name = estate.revision, f"grown-{uuid.uuid4().hex[:8]}"
    write_source(estate, name, [ox.Triple(n(DATASETS[3]), n(SKOS + "altLabel"), lit("Grown 0"))], who="test")
    for i in range(1, 4):
        p = estate.patch(name, who="test")
        p.add([ox.Triple(n(DATASETS[3]), n(SKOS + "altLabel"), lit(f"Grown {i}"))])
        commit_patches([p], forced=True)
    ch = live.changes(estate, r0, estate.revision, 10_000)
    assert ch is not None and len(ch.added) == 7  # the source graph's 4 and the later commits' 3, each read
    assert live.changes(estate, r0, estate.revision, 4) is not None  # 4 triples changed
    assert live.changes(estate, r0, estate.revision, 3) is None
    check_views(estate)


def test_an_openlineage_event_is_applied_to_the_lineage_graph(estate):
    """A run between known datasets (and a table first seen) patches the graph: no build, the graph
    held before is left as it was, and the result equals a fresh build."""
    before = lineage_graph.get_graph(estate)
    stats = live.memo(estate).stats["lineage"]
    built, applied = stats.built, stats.applied
    old_edges = sorted((u, v, k) for u, v, k in before.g.edges(keys=True))
    old_nodes, old_labels = dict(before.g.nodes(data=True)), dict(before.labels)
    out = "dbo.applied_" + uuid.uuid4().hex[:8]
    ingest_event(estate, ol_event("load_a", ["dbo.referrals"], [out], 1000 + uuid.uuid4().int % 10**9))
    after = lineage_graph.get_graph(estate)
    assert (stats.built, stats.applied) == (built, applied + 1)
    assert sorted((u, v, k) for u, v, k in before.g.edges(keys=True)) == old_edges
    assert dict(before.g.nodes(data=True)) == old_nodes and before.labels == old_labels
    runs = [(u, v, a) for u, v, a in after.g.edges(data=True) if a.get("kind") == "run" and v.endswith(out)]
    assert len(runs) == 1 and after.label(runs[0][1]) == out
    check_views(estate)
    # the same run again (a later event of it) is not new: built afresh, still exact
    ingest_event(estate, ol_event("load_a", ["dbo.referrals"], [out], 7))
    ingest_event(estate, ol_event("load_a", ["dbo.referrals"], ["dbo.fact_referral"], 7))
    check_views(estate)


def test_changes_applied_before_the_field_layer_is_loaded(estate):
    """Neither the graph held before a change nor the one after it needs the field layer first, and
    adding it to one of them leaves the other as it was."""
    tag = uuid.uuid4().hex[:8]
    f1, f2 = f"{BASE}field/unloaded-{tag}-a", f"{BASE}field/unloaded-{tag}-b"  # a field layer to add
    write_source(estate, "fields-" + tag, [ox.Triple(n(f1), n(GOV + "fieldOf"), n(DATASETS[0])),
                                           ox.Triple(n(f2), n(GOV + "fieldOf"), n(DATASETS[1])),
                                           ox.Triple(n(f2), n(GOV + "derivedFromField"), n(f1))], who="test", as_is=True)
    live.memo(estate).forget(lineage_graph.VIEW.name)
    before = lineage_graph.get_graph(estate)
    assert not before.fields_loaded
    old_edges = sorted((u, v, k) for u, v, k in before.g.edges(keys=True))
    out = "dbo.unloaded_" + uuid.uuid4().hex[:8]
    ingest_event(estate, ol_event("load_b", ["dbo.referrals"], [out], 2000 + uuid.uuid4().int % 10**9))
    patched = lineage_graph.get_graph(estate)
    write_source(estate, "synonyms", [ox.Triple(n(DATASETS[3]), n(SKOS + "altLabel"), lit("Unloaded synonym"))],
                 who="test", force=True, may_remove=True)
    kept_graph = lineage_graph.get_graph(estate)
    assert kept_graph is not patched and not patched.fields_loaded and not kept_graph.fields_loaded
    assert kept_graph.g is patched.g  # the synonym touches nothing the graph reads: shared, nothing copied
    patched_edges, patched_nodes = sorted(patched.g.edges(keys=True)), len(patched.g)
    assert live.memo(estate).stats["lineage"].applied >= 2
    assert lineage_state(kept_graph) == lineage_state(lineage_graph.build(estate))  # loads its field layer
    # ... into a copy of its own: the graph it shared is as it was, and takes its own field layer later
    assert kept_graph.g is not patched.g and not patched.fields_loaded and len(patched.g) == patched_nodes
    assert sorted(patched.g.edges(keys=True)) == patched_edges and f1 in kept_graph.g and f1 not in patched.g
    mine, fresh = lineage_state(patched), lineage_state(lineage_graph.build(estate))
    assert mine[:6] + mine[7:] == fresh[:6] + fresh[7:]  # all but the revision (the synonym's is later)
    assert not before.fields_loaded and sorted((u, v, k) for u, v, k in before.g.edges(keys=True)) == old_edges
    load_fields(before)
    assert lineage_state(kept_graph) == lineage_state(lineage_graph.build(estate))
    check_views(estate)


def test_the_impact_index_is_patched_with_new_runs_and_datasets(estate):
    """A change that adds runs and new datasets patches the impact index (new nodes last, the new data
    nodes ranked among the others, every code recounted) into exactly what a fresh one is, field by
    field; the index held before is left as it was."""
    live.memo(estate).forget(lineage_graph.VIEW.name)
    before = lineage_graph.get_graph(estate)
    old = before.impact_index
    old_copy = dataclasses.replace(old, **{f.name: copy.copy(getattr(old, f.name)) for f in dataclasses.fields(old)})
    stats = live.memo(estate).stats["lineage"]
    built, applied = stats.built, stats.applied
    tag = uuid.uuid4().hex[:8]
    new = [f"{BASE}dataset/new-{tag}-{i}" for i in range(3)]
    write_source(estate, "new-" + tag, [t for i, d in enumerate(new) for t in (
        ox.Triple(n(d), n(RDF + "type"), n(DCAT + "Dataset")),
        ox.Triple(n(d), n(DCT + "title"), lit(["Aardvark counts", "Road defects", "zz last"][i])))],
                 who="test", force=True, may_remove=True)
    ingest_event(estate, ol_event("load_a", ["dbo.referrals"], ["dbo.patched_" + tag], 3000 + uuid.uuid4().int % 10**9))
    after = lineage_graph.get_graph(estate)
    ix = after.impact_index
    assert (stats.built, stats.applied) == (built, applied + 1)  # both commits applied as one patch
    assert ix.ranks == old.ranks + 3 and set(new) <= set(ix.rank_iris) and ix.nodes[:len(old.nodes)] == old.nodes
    assert same_index(ix, ImpactIndex.of(after))
    assert same_index(old, old_copy) and same_index(old, ImpactIndex.of(before))  # the old graph's, untouched
    # the patch itself, from the graph before to the graph after (what ``_patched`` asks for)
    added = [x for x in after.g if x not in before.g]
    sources = {u for u, v in after.g.edges() if not before.g.has_edge(u, v)}
    assert same_index(old.patched(after, added, sources), ImpactIndex.of(after))
    check_views(estate)


def test_a_large_build_is_moved_out_of_the_garbage_collectors_reach(estate, monkeypatch):
    """What a view's build made is frozen when the build took long (``live.FREEZE_AFTER``): later full collections
    do not walk it (a large estate's views, with ``--hide-sensitive``, held every page 1-2.5 s a collection)."""
    import gc
    monkeypatch.setattr(live.memo(estate), "disk", None)  # built, not read from disk (which freezes too)
    monkeypatch.setattr(live, "FREEZE_AFTER", 0.0)
    live.memo(estate).forget(search.SEARCH_VIEW.name)
    before = gc.get_freeze_count()
    idx = live.view(estate, search.SEARCH_VIEW)
    assert gc.get_freeze_count() > before
    assert not gc.is_tracked(idx) or idx not in gc.get_objects(generation=2)
    monkeypatch.setattr(live, "FREEZE_AFTER", 3600.0)  # a quick build: nothing frozen
    live.memo(estate).forget(search.SEARCH_VIEW.name)
    before = gc.get_freeze_count()
    live.view(estate, search.SEARCH_VIEW)
    assert gc.get_freeze_count() <= before  # (frozen objects freed meanwhile lower it)
