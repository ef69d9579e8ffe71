"""Lineage on the sample estate (data/sample), with answers worked out by reading the Turtle.

* SALT: ``return-salt`` <- ``dwh-mart-salt`` (flows.ttl) <- adult client dimension and the
  request, service and reablement facts <- warehouse staging tables <- Mosaic adult datasets
  and ContrOCC service agreements (which themselves derive from Mosaic services).
* SSDA903 field LS: copied from the episodes mart, which copies the fact's DfE code, mapped
  from the staging legal status, copied from Mosaic's ``LEGAL_STATUS`` (fields.ttl).
* DEFECTS.md: claimant data reach Municipal Mutual Insurance with no agreement, and
  Supporting Families claims reach DWP under an agreement that expired on 2025-03-31.
"""
from __future__ import annotations

import pytest

from govgraph.lineage import text
from govgraph.lineage import (downstream, field_trace, impact, lineage, orphans, ownership, paths,
                                      sensitivity, upstream)
from impact_reference import assert_impact_matches_walk

ID = "https://data.county.example.gov.uk/id/"
DS, SYS, PARTNER, FIELD = ID + "dataset/", ID + "system/", ID + "partner/", ID + "field/"
CHECK = "2026-06-01"


@pytest.fixture(scope="module")
def sample(module_sample_store):
    """The sample estate on each backend (embedded, and a real `oxigraph serve`)."""
    return module_sample_store


def test_salt_upstream_reaches_mosaic_and_controcc_through_the_warehouse(sample):
    res = upstream(sample, DS + "return-salt")
    depth = {n.iri.removeprefix(DS): n.depth for n in res.nodes}
    assert depth == {
        "return-salt": 0,
        "dwh-mart-salt": 1,
        "dwh-dim-adult-client": 2, "dwh-fact-asc-request": 2, "dwh-fact-asc-service": 2, "dwh-fact-reablement": 2,
        "dwh-stg-mosaic-adult-person": 3, "dwh-stg-mosaic-asc-assessment": 3, "dwh-stg-mosaic-asc-request": 3,
        "dwh-stg-mosaic-asc-service": 3, "dwh-stg-controcc-service-agreement": 3, "dwh-stg-mosaic-reablement": 3,
        "mosaic-person-adult": 4, "mosaic-asc-assessments": 4, "mosaic-asc-requests": 4, "mosaic-asc-services": 4,
        "controcc-service-agreements": 4, "mosaic-reablement-episodes": 4,
    }
    assert {n.system for n in res.nodes} == {SYS + "data-warehouse", SYS + "mosaic", SYS + "controcc"}
    # both the ETL flow and the derivation are kept as edges between the mart and the return
    kinds = {e.kind for e in res.edges if (e.source, e.target) == (DS + "dwh-mart-salt", DS + "return-salt")}
    assert kinds == {"flow", "derived"}


def test_salt_by_label_and_owners_upstream(sample):
    assert upstream(sample, "SALT return (Short and Long Term Support)", depth=1).iris() == {
        DS + "return-salt", DS + "dwh-mart-salt"}
    own = ownership(sample, DS + "return-salt")
    assert [p.iri for p in own.roles["owner"]] == [ID + "person/helen-ashworth"]
    assert [p.iri for p in own.roles["steward"]] == [ID + "person/priya-sharma"]
    assert own.upstream_owners  # the people who own the Mosaic and ContrOCC sources


def test_mosaic_downstream_and_impact(sample):
    res = impact(sample, SYS + "mosaic")
    held = [i for i in res.starting_set if i != SYS + "mosaic"]
    assert len(held) == 28  # datasets.ttl: 28 datasets gov:heldIn system:mosaic
    assert res.iris("returns") == {DS + "return-salt", DS + "return-ssda903", DS + "return-cin-census",
                                   DS + "return-asc-fr"}  # not the School Census (Capita ONE pupils)
    assert {DS + "pbi-asc-long-term-support", DS + "pbi-salt-validation", DS + "pbi-cla-placements"} <= \
        res.iris("reports")
    districts = {PARTNER + p for p in ("ashdown-dc", "brackenfield-bc", "coldwater-dc", "dunmere-dc", "elmsworth-bc",
                                       "fernley-dc", "greymoor-dc")}  # OT assessments go to all seven
    assert districts | {PARTNER + "shire-healthcare", PARTNER + "shire-constabulary", PARTNER + "nhs-england",
                        PARTNER + "dfe"} <= res.iris("partners")
    assert {SYS + "data-warehouse", SYS + "power-bi", SYS + "controcc"} <= res.iris("systems")
    assert res.count("owners") > 0 and res.to_dict()["counts"]["returns"] == 4
    down = downstream(sample, SYS + "mosaic")
    assert DS + "return-school-census" not in down.iris()
    assert "impact of changing or removing Mosaic" in text.impact_text(res)


def test_impact_matches_a_plain_walk_on_the_sample_estate(sample):
    from govgraph.lineage.graph import build, load_fields
    lg = build(sample)  # a graph of its own: the field layer is loaded half way
    for fields in (False, True):
        if fields:
            load_fields(lg)
        for root in sorted(n for n, a in lg.g.nodes(data=True) if a["kind"] != "field" or fields):
            assert_impact_matches_walk(lg, root)


def test_ssda903_field_traced_to_mosaic(sample):
    t = field_trace(sample, FIELD + "return-ssda903.LS")
    chain = []
    while t.sources:
        chain.append((t.iri.removeprefix(FIELD), t.transformation))
        (t,) = t.sources
    chain.append((t.iri.removeprefix(FIELD), t.transformation))
    assert chain == [
        ("return-ssda903.LS", "Copied unchanged."),
        ("dwh-mart-ssda903-episodes.LS", "Copied unchanged."),
        ("dwh-fact-cla-episode.ls", "Mapped to DfE legal status codes (C1, C2, V2, E1 ...)."),
        ("dwh-stg-mosaic-cla-episode.legal_status", "Copied unchanged by the nightly load."),
        ("mosaic-cla-episodes.LEGAL_STATUS", None),
    ]
    assert t.system == SYS + "mosaic"
    roots = {r.iri.removeprefix(FIELD) for r in field_trace(sample, FIELD + "return-ssda903.DECOM").roots()}
    # DECOM: the fact's episode start is the later of the episode and placement start dates
    assert roots == {"mosaic-cla-episodes.START_DATE", "mosaic-cla-placements.START_DATE"}


def test_personal_data_reaching_partners_without_agreement(sample):
    res = sensitivity(sample, check_date=CHECK)
    bad = {l.node.iri: l for l in res.uncovered()}
    assert set(bad) == {PARTNER + "municipal-mutual", PARTNER + "dwp"}
    insurer = bad[PARTNER + "municipal-mutual"]
    assert insurer.path == [DS + "crm-highways-claims", PARTNER + "municipal-mutual"]
    assert insurer.boundary_hops[0]["flow"] == ID + "flow/crm-to-insurer-claims"
    assert insurer.boundary_hops[0]["reason"] == "no sharing agreement recorded on the flow"
    dwp = bad[PARTNER + "dwp"]
    assert dwp.boundary_hops[0]["agreement"] == ID + "agreement/supporting-families-dwp"
    assert not dwp.boundary_hops[0]["agreement_in_force"]
    # the aggregated SALT return is where adult social care data stops being personal
    salt = next(l for l in res.landings if l.node.iri == DS + "return-salt")
    assert salt.stopped


def test_orphans_match_defects(sample):
    found = {n.iri for n in orphans(sample)}
    # DEFECTS.md, principle 2 lineage orphans
    assert {DS + "dwh-stg-legacy-swift-history", DS + "dwh-ref-ons-population-estimates",
            DS + "pbi-home-care-capacity", DS + "dwh-early-help-risk-model"} <= found


def test_paths_and_exports_on_sample(sample):
    p = paths(sample, SYS + "mosaic", DS + "return-salt")
    assert p.direction == "down" and p.paths
    assert all(path[0] == SYS + "mosaic" and path[-1] == DS + "return-salt" for path in p.paths)
    res = lineage(sample, DS + "dwh-mart-salt", "both", depth=2)
    from govgraph.lineage import export
    svg = export.to_svg(res.subgraph())
    assert svg.count("<rect") == len(res.nodes)
