"""Lineage engine on a small hand-written estate (tests/fixtures/lineage/estate.ttl).

Expected answers are worked out by reading the fixture: Mosaic and ContrOCC feed the
warehouse, the warehouse builds the SALT mart and return; Mosaic shares client records
with the NHS under an agreement in force, and case records with the police with none.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from govgraph.errors import BadInput, UnknownAsset
from govgraph.lineage import export, text
from govgraph.lineage.graph import build, load_fields
from govgraph.lineage.live_graph import get_graph
from govgraph.lineage import (cycles, downstream, field_trace, impact, lineage, orphans, ownership, paths,
                                      sensitivity, trace_dataset_fields, upstream)
from govgraph.store import Store, open_store
from impact_reference import assert_impact_matches_walk

FIX = Path(__file__).parent / "fixtures" / "lineage"
ID = "https://data.county.example.gov.uk/id/"
DS, SYS, PARTNER, FIELD, PERSON = ID + "dataset/", ID + "system/", ID + "partner/", ID + "field/", ID + "person/"
CHECK = "2026-06-01"


@pytest.fixture
def estate(any_store) -> Store:
    """The fixture estate on each backend (embedded, and a real `oxigraph serve`)."""
    with any_store.begin("estate") as tx:
        tx.load(FIX / "estate.ttl")
        tx.commit()
    return any_store


# ----------------------------------------------------------------------------- graph

def test_graph_has_flow_edges_with_attributes(estate):
    lg = get_graph(estate)
    edges = lg.g.get_edge_data(SYS + "mosaic", PARTNER + "nhs-icb")
    (key, attrs), = edges.items()
    assert key == ID + "flow/mosaic-nhs"
    assert attrs["kind"] == "flow"
    assert attrs["mechanism"].endswith("#API")
    assert attrs["agreement"] == ID + "agreement/nhs-isa"
    assert attrs["carries"] == (DS + "mosaic-asc-clients",)
    assert attrs["graph"].startswith("urn:govgraph:source:")
    # the carried dataset lands at the partner, with the same flow's attributes
    carried = lg.g.get_edge_data(DS + "mosaic-asc-clients", PARTNER + "nhs-icb")
    assert [a["kind"] for a in carried.values()] == ["carried"]


def test_graph_node_attributes(estate):
    lg = get_graph(estate)
    n = lg.g.nodes
    assert n[DS + "mosaic-asc-clients"]["kind"] == "dataset"
    assert n[DS + "mosaic-asc-clients"]["special"] and n[DS + "mosaic-asc-clients"]["personal"]
    assert n[DS + "salt"]["kind"] == "return" and n[DS + "salt"]["anonymised"]
    assert n[DS + "asc-dashboard"]["kind"] == "report"
    assert n[SYS + "dwh"]["kind"] == "system"
    assert n[PARTNER + "police"]["external"] and n[SYS + "collect"]["external"]
    assert not n[SYS + "mosaic"]["external"]
    assert n[DS + "dwh-asc-clients"]["held_in"] == SYS + "dwh"
    assert n[DS + "mosaic-cla"]["owner"] == PERSON + "alice"
    assert FIELD + "ssda903.LS" not in lg.g  # the field layer is loaded on demand
    load_fields(lg)
    assert n[FIELD + "ssda903.LS"]["kind"] == "field"
    assert lg.fields_of[DS + "ssda903"] and lg.g.has_edge(FIELD + "mosaic-cla.dob", FIELD + "ssda903.DOB")
    # derivations point from upstream to derived; runs from used to generated
    assert lg.g.has_edge(DS + "mosaic-asc-clients", DS + "dwh-asc-clients")
    assert lg.g.get_edge_data(DS + "care-codes", DS + "ssda903")["urn:run:903-build"]["kind"] == "run"


def test_cache_is_per_revision_and_sees_imports(estate):
    first = get_graph(estate)
    assert get_graph(estate) is first  # cached
    assert DS + "new-extract" not in first.g
    with estate.begin("more") as tx:
        tx.load(data=b"""@prefix prov: <http://www.w3.org/ns/prov#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
            <https://data.county.example.gov.uk/id/dataset/new-extract> a dcat:Dataset ;
              prov:wasDerivedFrom <https://data.county.example.gov.uk/id/dataset/salt> .""")
        tx.commit()
    second = get_graph(estate)
    assert second is not first and second.revision == first.revision + 1
    assert DS + "new-extract" in downstream(estate, DS + "salt").iris()
    estate.remove_source("more")
    assert DS + "new-extract" not in downstream(estate, DS + "salt").iris()


# ----------------------------------------------------------------------------- up / down

def test_salt_upstream_reaches_mosaic_and_controcc_through_warehouse(estate):
    res = upstream(estate, DS + "salt")
    depth = {n.iri: n.depth for n in res.nodes}
    assert depth == {DS + "salt": 0, DS + "dwh-salt-mart": 1, DS + "dwh-asc-clients": 2,
                     DS + "dwh-asc-payments": 2, DS + "mosaic-asc-clients": 3, DS + "controcc-payments": 3}
    systems = {n.system for n in res.nodes}
    assert systems == {SYS + "dwh", SYS + "mosaic", SYS + "controcc"}


def test_depth_limit_and_label_lookup(estate):
    res = upstream(estate, "SALT return", depth=2)
    assert res.root == DS + "salt"
    assert max(n.depth for n in res.nodes) == 2
    assert DS + "mosaic-asc-clients" not in res.iris()


def test_mosaic_downstream(estate):
    res = downstream(estate, SYS + "mosaic")
    got = res.iris()
    expected = {SYS + "mosaic", DS + "mosaic-asc-clients", DS + "mosaic-cla", PARTNER + "police",
                PARTNER + "nhs-icb", SYS + "dwh", DS + "dwh-asc-clients", DS + "ssda903", SYS + "collect",
                DS + "dwh-salt-mart", PARTNER + "dfe", DS + "asc-dashboard", DS + "salt", PARTNER + "nhse"}
    assert got == expected
    # the Mosaic -> warehouse flow names what it carries, so the walk follows those datasets
    # rather than everything the warehouse system sends on (Power BI is not reached as a system)
    assert SYS + "powerbi" not in got
    # ContrOCC's data is not downstream of Mosaic, even though both land in the warehouse
    assert DS + "controcc-payments" not in got and DS + "dwh-asc-payments" not in got


def test_dataset_landing_in_a_system_does_not_flow_on_through_it(estate):
    res = downstream(estate, DS + "controcc-payments")
    assert SYS + "dwh" in res.iris()  # it lands there
    assert SYS + "collect" not in res.iris() and SYS + "powerbi" not in res.iris()


def test_filters_kind_system_and_boundary(estate):
    assert {n.kind for n in downstream(estate, SYS + "mosaic", kinds=["partner"]).nodes} == {"system", "partner"}
    in_dwh = downstream(estate, SYS + "mosaic", system=SYS + "dwh")
    assert {n.iri for n in in_dwh.nodes} - {SYS + "mosaic"} == {SYS + "dwh", DS + "dwh-asc-clients", DS + "ssda903",
                                                              DS + "dwh-salt-mart", DS + "salt"}
    crossing = downstream(estate, DS + "mosaic-cla", crossing=True)
    assert crossing.iris() == {DS + "mosaic-cla", PARTNER + "police", PARTNER + "dfe", SYS + "collect"}


def test_both_directions_and_json(estate):
    res = lineage(estate, DS + "dwh-asc-clients", "both", depth=1)
    assert res.iris() == {DS + "dwh-asc-clients", DS + "mosaic-asc-clients", DS + "dwh-salt-mart",
                          DS + "asc-dashboard"}
    data = json.loads(json.dumps(res.to_dict()))
    assert data["root"] == DS + "dwh-asc-clients" and len(data["nodes"]) == 4


# ----------------------------------------------------------------------------- impact, paths

def test_mosaic_impact_grouped_and_counted(estate):
    res = impact(estate, SYS + "mosaic")
    assert res.starting_set == [SYS + "mosaic", DS + "mosaic-asc-clients", DS + "mosaic-cla"]
    assert res.iris("datasets") == {DS + "mosaic-asc-clients", DS + "mosaic-cla", DS + "dwh-asc-clients",
                                    DS + "dwh-salt-mart"}
    assert res.iris("reports") == {DS + "asc-dashboard"}
    assert res.iris("returns") == {DS + "ssda903", DS + "salt"}
    assert res.iris("partners") == {PARTNER + "police", PARTNER + "nhs-icb", PARTNER + "dfe", PARTNER + "nhse"}
    assert res.iris("systems") == {SYS + "dwh", SYS + "collect", SYS + "powerbi"}
    owners = {o["iri"]: o["count"] for o in res.groups["owners"].items}
    # Carol owns the warehouse clients, the dashboard and the warehouse system (where Mosaic data
    # lands); Alice the two Mosaic datasets and SSDA903; Dan the SALT mart
    assert owners == {PERSON + "carol": 3, PERSON + "alice": 3, PERSON + "dan": 1}
    assert res.to_dict()["counts"]["returns"] == 2


def test_paths_between_system_and_return(estate):
    res = paths(estate, SYS + "mosaic", DS + "salt")
    assert res.direction == "down"
    assert res.paths == [[SYS + "mosaic", DS + "mosaic-asc-clients", DS + "dwh-asc-clients", DS + "dwh-salt-mart",
                          DS + "salt"]]
    assert [e.kind for e in res.hops[0]] == ["holds", "derived", "derived", "derived"]
    back = paths(estate, DS + "salt", DS + "controcc-payments")
    assert back.direction == "up" and back.paths[0][0] == DS + "controcc-payments"
    none = paths(estate, DS + "asc-dashboard", DS + "controcc-payments")
    assert none.direction == "none" and none.paths == []


def test_paths_are_bounded(estate):
    assert paths(estate, DS + "mosaic-asc-clients", DS + "salt", max_hops=2).paths == []
    assert len(paths(estate, DS + "mosaic-asc-clients", DS + "salt", max_hops=3).paths) == 1


# ----------------------------------------------------------------------------- cycles, orphans

def test_cycles_found_and_walks_terminate(estate):
    assert cycles(estate) == [[DS + "loop-a", DS + "loop-b"]]
    res = downstream(estate, DS + "loop-a", depth=50)
    assert res.iris() == {DS + "loop-a", DS + "loop-b"}
    assert paths(estate, DS + "loop-a", DS + "loop-b").paths == [[DS + "loop-a", DS + "loop-b"]]


def test_orphans_are_sourceless_datasets_not_systems_of_record(estate):
    assert {n.iri for n in orphans(estate)} == {DS + "offsystem"}


# ----------------------------------------------------------------------------- sensitivity

def test_personal_data_reaches_police_without_agreement(estate):
    res = sensitivity(estate, check_date=CHECK)
    by = {l.node.iri: l for l in res.landings}
    police = by[PARTNER + "police"]
    assert not police.covered
    assert police.path == [DS + "mosaic-cla", PARTNER + "police"]
    (hop,) = police.boundary_hops
    assert hop["agreement"] is None and hop["flow"] == ID + "flow/mosaic-police"
    nhs = by[PARTNER + "nhs-icb"]
    assert nhs.covered and nhs.boundary_hops[0]["agreement_in_force"]
    # an expired agreement with another partner does not cover the COLLECT upload
    collect = by[SYS + "collect"]
    assert not collect.covered
    assert not collect.boundary_hops[0]["agreement_in_force"] and not collect.boundary_hops[0]["partner_is_party"]
    # the aggregated SALT return is where the trail stops: NHS England is not reached
    assert by[DS + "salt"].stopped and PARTNER + "nhse" not in by
    # a statutory return submitted to DfE is a legal duty, not a share needing an agreement
    dfe = by[PARTNER + "dfe"]
    assert dfe.covered and dfe.boundary_hops[0]["statutory"]
    assert {l.node.iri for l in res.uncovered()} == {PARTNER + "police", SYS + "collect"}


def test_sensitivity_from_one_asset_and_agreement_dates(estate):
    res = sensitivity(estate, DS + "mosaic-asc-clients", check_date="2030-01-01")
    nhs = next(l for l in res.landings if l.node.iri == PARTNER + "nhs-icb")
    assert not nhs.covered  # the NHS agreement ended in March 2029
    assert sensitivity(estate, DS + "care-codes").notices  # not personal data


# ----------------------------------------------------------------------------- fields, ownership

def test_field_traced_to_source_fields_with_transformation(estate):
    t = field_trace(estate, FIELD + "ssda903.LS")
    assert t.transformation == "legal status mapped to DfE codes through the lookup"
    assert {r.iri for r in t.roots()} == {FIELD + "mosaic-cla.legal_status", FIELD + "care-codes.code"}
    src = next(s for s in t.sources if s.iri == FIELD + "mosaic-cla.legal_status")
    assert src.dataset == DS + "mosaic-cla" and src.system == SYS + "mosaic"
    all_fields = trace_dataset_fields(estate, DS + "ssda903")
    assert [f.label for f in all_fields] == ["DOB", "LS"]
    with pytest.raises(BadInput):
        field_trace(estate, DS + "ssda903")


def test_ownership_of_salt_mart(estate):
    res = ownership(estate, DS + "dwh-asc-clients")
    assert [p.iri for p in res.roles["owner"]] == [PERSON + "carol"]
    assert res.roles["owner"][0].unit_label == "Business Intelligence"
    owners = [e["person"]["iri"] for e in res.upstream_owners]
    assert owners == [PERSON + "alice"]
    mart = ownership(estate, DS + "salt")
    assert [e["person"]["iri"] for e in mart.upstream_owners][0] == PERSON + "dan"
    assert mart.upstream_owners[0]["person"]["left_on"] == "2025-01-31"
    assert any(n.kind == "person" for n in mart.subgraph().nodes)


# ----------------------------------------------------------------------------- bad input

def test_unknown_asset_suggests_close_matches(estate):
    with pytest.raises(UnknownAsset) as e:
        upstream(estate, DS + "mosaic-asc-client")
    assert DS + "mosaic-asc-clients" in e.value.suggestions
    with pytest.raises(UnknownAsset) as e:
        impact(estate, "Mosiac")
    assert SYS + "mosaic" in e.value.suggestions


@pytest.mark.parametrize("depth", [0, -3])
def test_bad_depth(estate, depth):
    with pytest.raises(BadInput):
        upstream(estate, DS + "salt", depth=depth)


def test_huge_depth_is_clamped_with_notice(estate):
    res = upstream(estate, DS + "salt", depth=10_000)
    assert res.depth == 50 and "clamped" in res.notices[0]


def test_bad_direction(estate):
    with pytest.raises(BadInput):
        lineage(estate, DS + "salt", "sideways")


# ----------------------------------------------------------------------------- rendering

def test_text_tree_and_exports(estate):
    res = upstream(estate, DS + "salt")
    tree = text.lineage_text(res)
    assert "SALT mart" in tree and "Care payments" in tree and "└─" in tree
    sub = res.subgraph()
    svg = export.to_svg(sub)
    assert svg.startswith("<svg") and svg.count("<rect") == len(sub.nodes)
    mm = export.to_mermaid(sub)
    assert mm.startswith("flowchart LR") and mm.count("-->") == len(sub.edges)
    dot = export.to_dot(sub)
    assert dot.count(" -> ") == len(sub.edges) and '"SALT return"' in dot or 'label="SALT return"' in dot


def test_build_is_deterministic(estate):
    a, b = build(estate), build(estate)
    assert sorted(a.g.edges(keys=True)) == sorted(b.g.edges(keys=True))
    assert dict(a.g.nodes(data=True)) == dict(b.g.nodes(data=True))


# ----------------------------------------------------------------------------- fast paths agree with plain walks

def test_impact_matches_a_plain_walk_from_every_asset(estate):
    lg = get_graph(estate)
    for fields in (False, True):  # with and without the field layer (fields as roots too, once loaded)
        if fields:
            load_fields(lg)
        for root in sorted(lg.g):
            assert_impact_matches_walk(lg, root)


def test_impact_matches_a_plain_walk_when_a_field_is_also_a_dataset(estate):
    # a dataset also declared a field, with field derivations to and from it: the field layer
    # then adds edges (and a first label) to a core node, so impact's index is made again
    with estate.begin("field-dataset") as tx:
        tx.load(data=b"""@prefix gov: <https://w3id.org/govgraph#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
            @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
            <https://data.county.example.gov.uk/id/dataset/odd> a dcat:Dataset, gov:Field ; rdfs:label "Odd one" ;
              gov:derivedFromField <https://data.county.example.gov.uk/id/field/odd-src> ;
              gov:heldIn <https://data.county.example.gov.uk/id/system/dwh> ;
              gov:owner <https://data.county.example.gov.uk/id/person/alice> .
            <https://data.county.example.gov.uk/id/field/odd-out> a gov:Field ; rdfs:label "Odd out" ;
              gov:derivedFromField <https://data.county.example.gov.uk/id/dataset/odd> .""")
        tx.commit()
    lg = get_graph(estate)
    assert lg.label(DS + "odd") == "odd"  # no title: the field layer's rdfs:label comes later
    for root in sorted(lg.g):
        assert_impact_matches_walk(lg, root)
    load_fields(lg)
    assert lg.label(DS + "odd") == "Odd one"
    for root in sorted(lg.g):
        assert_impact_matches_walk(lg, root)
    odd = impact(lg, FIELD + "odd-src")
    assert DS + "odd" in odd.iris("datasets") and SYS + "dwh" in odd.iris("systems")
    assert [i["label"] for i in impact(lg, SYS + "dwh").groups["datasets"].items if i["iri"] == DS + "odd"] == [
        "Odd one"]


def test_impact_items_are_made_when_read(estate):
    res = impact(estate, SYS + "mosaic")
    g = res.groups["datasets"]
    assert g.head(2) == g.items[:2] and g.head(100) == g.items and len(g.items) == g.count == 4
    assert g == impact(estate, SYS + "mosaic").groups["datasets"]
    g.items[0]["label"] = "changed"
    assert res.to_dict()["groups"]["datasets"]["items"][0]["label"] == "changed"  # what was read is what is sent
    assert impact(estate, SYS + "mosaic").to_dict()["groups"]["datasets"]["items"][0]["label"] != "changed"


def test_reach_down_visits_as_walk_does(estate):
    from govgraph.lineage.traverse import reach_down, reach_ids, walk
    lg = get_graph(estate)
    for fields in (False, True):
        if fields:
            load_fields(lg)
        ix = lg.impact_index
        for root in lg.g:
            want = list(walk(lg, root, "down", None).depth.items())
            assert list(reach_down(lg, root).items()) == want
            if root in ix.ids:
                assert [(ix.nodes[i], d) for d, batch in reach_ids(lg, root) for i in batch] == want


def test_owners_in_store_order_across_sources(estate):
    with estate.begin("more-owners") as tx:
        tx.load(data=b"""@prefix gov: <https://w3id.org/govgraph#> .
            <https://data.county.example.gov.uk/id/dataset/mosaic-cla>
              gov:owner <https://data.county.example.gov.uk/id/person/bob>,
                        <https://data.county.example.gov.uk/id/person/alice> .""")
        tx.commit()
    lg = get_graph(estate)
    owners = lg.g.nodes[DS + "mosaic-cla"]["owner"]
    rows = [r["o"] for r in estate.select("SELECT ?o WHERE { <%s> gov:owner ?o }" % (DS + "mosaic-cla"))]
    assert list(owners) == list(dict.fromkeys(str(o) for o in rows))
    assert sorted(owners) == [PERSON + "alice", PERSON + "bob"]
