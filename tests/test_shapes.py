"""Every shape: a conforming fixture (base.ttl) and a violating one (base.ttl changed as violations.trig says).

Also checks that every shape is documented (principle, comment, message, severity), that
both engines agree on the fixtures, and that bad shapes or data give clear errors or findings.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, RDFS

from govgraph.errors import BadInput
from govgraph.ontology.ns import GOV, SH
from govgraph.shapes.compiler import compile_shapes
from govgraph.shapes.loader import GSH, load_shapes, principle_files
from govgraph.shapes.validate import plan_for, reference_store, run, shapes_for
from govgraph.store import Store

FIX = Path(__file__).parent / "fixtures" / "shapes"
DATE = dt.date(2026, 11, 1)
BASE = FIX / "base.ttl"
CASES = FIX / "violations.trig"


def _cases() -> dict[str, dict[str, list[ox.Quad]]]:
    out: dict[str, dict[str, list]] = {}
    for q in ox.parse(path=str(CASES), format=ox.RdfFormat.TRIG):
        _, _, name, kind = q.graph_name.value.split(":")
        out.setdefault(name, {"add": [], "remove": []})[kind].append(ox.Triple(q.subject, q.predicate, q.object))
    return out


CASE_CHANGES = _cases()


def _store(add: list | None = None, remove: list | None = None) -> Store:
    """A memory store with base.ttl (changed) as one committed source."""
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(BASE), format=ox.RdfFormat.TURTLE)}
    for t in remove or []:
        assert t in triples, f"fixture removes a triple base.ttl does not have: {t}"
        triples.discard(t)
    triples |= {ox.Triple(q.subject, q.predicate, q.object) for q in add or []}
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    st = Store.open("memory:")
    with st.begin("fixture") as txn:
        txn.load(data=data, fmt="ntriples")
        txn.commit()
    return st


@pytest.fixture(scope="module")
def shapes():
    return shapes_for(check_date=DATE)


def _shape_names(shapes) -> set[str]:
    return {c.shape.split("#")[1] for c in plan_for(shapes).checks}


def test_every_shape_compiles_to_the_fast_engine(shapes):
    plan = plan_for(shapes)
    assert plan.unsupported == []
    assert len(_shape_names(shapes)) >= 100


def test_every_shape_has_a_violating_fixture(shapes):
    assert _shape_names(shapes) == set(CASE_CHANGES)


def test_every_shape_is_documented(shapes):
    g = shapes.graph
    for name in _shape_names(shapes):
        s = GSH[name]
        comment = str(g.value(s, RDFS.comment) or "")
        principle = g.value(s, GOV.principle)
        assert principle is not None and 1 <= int(principle) <= 12, name
        assert f"Principle {int(principle)}" in comment or f"Principles {int(principle)}" in comment, name
        assert g.value(s, SH.message), name
        assert len(str(g.value(s, SH.message))) > 40, name
        assert g.value(s, SH.severity) in (SH.Violation, SH.Warning, SH.Info), name


def test_base_fixture_conforms_and_targets_every_principle(shapes):
    report = run(_store(), shapes)
    assert report.findings == []
    assert report.conforms
    for p in range(1, 13):
        assert report.scorecard[p].focus_nodes > 0 and report.scorecard[p].share == 1.0


@pytest.mark.parametrize("name", sorted(CASE_CHANGES))
def test_violating_fixture_breaks_its_shape(shapes, name):
    change = CASE_CHANGES[name]
    report = run(_store(change["add"], change["remove"]), shapes)
    hit = [f for f in report.findings if f.shape == str(GSH[name])]
    assert hit, f"{name} not found; got {[f.shape for f in report.findings]}"
    sev = str(shapes.graph.value(GSH[name], SH.severity))[len(str(SH)):]
    assert all(f.severity == sev for f in hit)
    assert all(f.principle == int(shapes.graph.value(GSH[name], GOV.principle)) for f in hit)
    assert all(f.message for f in hit)
    assert report.conforms == (not any(f.severity == "Violation" for f in report.findings))


def test_fast_engine_equals_pyshacl_on_all_fixture_violations(shapes):
    adds = [t for c in CASE_CHANGES.values() for t in c["add"]]
    removes = {t for c in CASE_CHANGES.values() for t in c["remove"]}
    st = _store(adds, list(removes))
    fast = run(st, shapes, engine_name="fast")
    ref = reference_store(st, shapes)
    assert fast.keys() == {f.key() for f in ref}
    assert {f.key(): f.message for f in fast.findings} == {f.key(): f.message for f in ref}
    assert len(fast.findings) > 100


def test_check_date_is_a_parameter():
    st = _store()
    # the agreement is reviewed by 2028-12-31 and valid until 2029-03-31
    early = run(st, shapes_for(check_date=dt.date(2027, 1, 1)))
    late = run(st, shapes_for(check_date=dt.date(2029, 1, 15)))
    after = run(st, shapes_for(check_date=dt.date(2029, 6, 1)))
    assert not early.findings
    assert {f.shape for f in late.findings} >= {str(GSH.AgreementReviewOverdue)}
    assert str(GSH.CrossBoundaryAgreementInForce) not in {f.shape for f in late.findings}
    assert str(GSH.CrossBoundaryAgreementInForce) in {f.shape for f in after.findings}


# ---------------------------------------------------------------------------- bad input

def test_malformed_shapes_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> a sh:NodeShape ;\n  sh:targetClass \n")
    with pytest.raises(BadInput) as e:
        load_shapes(files=[bad])
    assert "malformed shapes file" in str(e.value) and "bad.ttl" in str(e.value)


def test_shapes_with_unknown_terms_are_rejected(tmp_path):
    bad = tmp_path / "typo.ttl"
    bad.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix gov: <https://w3id.org/govgraph#> .
        <urn:s> a sh:NodeShape ; sh:targetClass gov:Sytem ; sh:property [ sh:path gov:ownr ; sh:minCont 1 ] .""")
    with pytest.raises(BadInput) as e:
        load_shapes(files=[bad])
    msg = str(e.value)
    assert "gov:Sytem" in msg and "gov:ownr" in msg and "sh:minCont" in msg


def test_unknown_term_inside_sparql_constraint_is_rejected(tmp_path):
    bad = tmp_path / "sparql.ttl"
    bad.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix gov: <https://w3id.org/govgraph#> .
        <urn:s> a sh:NodeShape ; sh:targetClass gov:System ;
          sh:sparql [ sh:select "SELECT $this WHERE { $this gov:ownerr ?x }" ] .""")
    with pytest.raises(BadInput, match="gov:ownerr"):
        load_shapes(files=[bad])


def test_file_without_shapes_is_rejected(tmp_path):
    empty = tmp_path / "none.ttl"
    empty.write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(BadInput, match="no SHACL shapes"):
        load_shapes(files=[empty])


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(BadInput, match="new-system"):
        shapes_for(profile="no-such-profile")


def test_wrong_datatype_literals_are_findings_in_both_engines(shapes):
    st = _store(add=list(ox.parse(input=b"""
        <https://data.county.example.gov.uk/id/person/bob> <https://w3id.org/govgraph#leftOn> "2026-13-45"^^<http://www.w3.org/2001/XMLSchema#date> .
        <https://data.county.example.gov.uk/id/dataset/pupils> <https://w3id.org/govgraph#keyDataset> "yes" .
        """, format=ox.RdfFormat.N_TRIPLES)))
    fast = run(st, shapes)
    shapes_hit = {f.shape.split("#")[1] for f in fast.findings}
    assert {"PersonCore-leftOn", "DatasetCore-keyDataset"} <= shapes_hit
    assert fast.keys() == {f.key() for f in reference_store(st, shapes)}


def test_subclass_cycle_is_a_finding_not_a_hang(shapes):
    st = _store(add=list(ox.parse(input=b"""
        <urn:x:A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <urn:x:B> .
        <urn:x:B> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <urn:x:A> .
        <urn:x:item> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:x:A> .
        """, format=ox.RdfFormat.N_TRIPLES)))
    report = run(st, shapes)
    cyc = {f.focus for f in report.findings if f.shape == str(GSH.NoSubclassCycle)}
    assert cyc == {"urn:x:A", "urn:x:B"}


def test_compiler_reports_unsupported_shapes():
    g = rdflib.Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:or ( [ sh:class <urn:D> ] [ sh:class <urn:E> ] ) .""",
                             format="turtle")
    plan = compile_shapes(g)
    assert plan.unsupported and "urn:s" in plan.unsupported[0]


def test_shape_files_are_one_per_principle_group():
    names = {p.name for p in principle_files()}
    for n in ("core.ttl", "p01_standards.ttl", "p02_integrity.ttl", "p03_sharing.ttl", "p04_definitions.ttl",
              "p05_reporting.ttl", "p06_quality.ttl", "p07_ownership.ttl", "p08_community.ttl",
              "p09_access.ttl", "p10_culture.ttl", "p11_analytics.ttl", "p12_lawful.ttl"):
        assert n in names
    for p in principle_files():
        g = rdflib.Graph().parse(p)
        for s in set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape)):
            assert isinstance(s, rdflib.URIRef), f"{p.name}: blank node shape"
