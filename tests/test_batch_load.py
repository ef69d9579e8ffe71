"""Several files in one load are validated together: references between them resolve, each file
stays its own source, a refusal commits none of them, and a strict load reports what
``govgraph validate`` of the same files reports."""
from __future__ import annotations

import pytest

from govgraph.data.estate import sample_files
from govgraph.errors import ValidationFailed
from govgraph.io.load import load_files
from govgraph.shapes.validate import validate_files

SYSTEM = """@prefix gov: <https://w3id.org/govgraph#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/id/system/crm> a gov:System ; rdfs:label "Customer records" ;
    gov:owner <https://example.org/id/person/ann> .
<https://example.org/id/person/ann> a foaf:Person ; foaf:name "Ann Owner" .
"""
DATASET = """@prefix gov: <https://w3id.org/govgraph#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dpv: <https://w3id.org/dpv#> .
<https://example.org/id/dataset/contacts> a dcat:Dataset ; dcterms:title "Contacts" ;
    dcterms:description "Who contacted the council." ;
    gov:heldIn <https://example.org/id/system/crm> ;
    gov:owner <https://example.org/id/person/ann> ;
    gov:classification gov:Official .
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "systems.ttl").write_text(SYSTEM)
    (tmp_path / "datasets.ttl").write_text(DATASET)
    return tmp_path / "datasets.ttl", tmp_path / "systems.ttl"


def test_files_referring_to_each_other_load_together(any_store, files):
    datasets, systems = files
    alone = validate_files([datasets])
    together = validate_files([datasets, systems])
    assert len(together.violations) < len(alone.violations), "the fixture must depend on the other file"
    with pytest.raises(ValidationFailed) as refused:
        load_files(any_store, [datasets])
    assert "is not described in the store or in this load" in str(refused.value.report.to_text())
    assert not any_store.sources()

    results = load_files(any_store, [datasets, systems])
    assert [r.source for r in results] == ["datasets.ttl", "systems.ttl"]  # each file its own source
    assert {s.name for s in any_store.sources()} == {"datasets.ttl", "systems.ttl"}
    assert results[-1].report is not None


def test_a_refused_batch_commits_nothing(any_store, files, tmp_path):
    datasets, systems = files
    bad = tmp_path / "bad.ttl"
    bad.write_text(DATASET.replace("contacts", "orphans").replace("<https://example.org/id/person/ann>",
                                                                   "<https://example.org/id/person/nobody>"))
    before = any_store.revision
    with pytest.raises(ValidationFailed):
        load_files(any_store, [datasets, systems, bad])
    assert not any_store.sources() and any_store.revision == before


def test_a_strict_load_of_the_sample_reports_what_validate_reports(memory_store):
    turtle = [f for f in sample_files() if f.suffix == ".ttl"]
    expected = {f.key() for f in validate_files(turtle).violations}
    assert expected, "the sample breaks some principles on purpose"
    with pytest.raises(ValidationFailed) as refused:
        load_files(memory_store, turtle)
    assert {f.key() for f in refused.value.report.violations} == expected
    assert not memory_store.sources()
