"""The catalogue read API over a small fixture (the sample estate is covered in its own tests)."""
from __future__ import annotations

from pathlib import Path

import pytest

from govgraph import catalog, search
from govgraph.errors import UnknownAsset
from govgraph.io.load import load_files
from govgraph.labels import term_label

FIX = Path(__file__).parent / "fixtures" / "io"
BASE = "https://data.county.example.gov.uk/id/"


@pytest.fixture
def store(any_store):
    load_files(any_store, [FIX / "small.ttl"])
    return any_store


def test_get_asset_resolves_roles_and_labels(store):
    a = catalog.get_asset(store, BASE + "dataset/school-census")
    assert a.label == "School census" and a.kind == "dataset"
    assert [o.label for o in a.owners] == ["Jane Smith"]
    assert [s.label for s in a.systems] == ["Capita ONE"]
    assert a.classification == "OFFICIAL-SENSITIVE"
    assert a.description.startswith("Termly pupil-level census")
    labels = {p.label for p in a.properties}
    assert {"Information Asset Owner", "held in", "security classification", "title"} <= labels
    d = a.to_dict()
    assert d["kind_label"] == "Dataset" and d["owners"][0]["label"] == "Jane Smith"


def test_incoming_links(store):
    p = catalog.get_asset(store, BASE + "person/jane-smith")
    assert p.kind == "person"
    owned = [v.text for prop in p.incoming if prop.label == "Information Asset Owner" for v in prop.values]
    assert sorted(owned) == ["Capita ONE", "Pupil roll", "School census"]


def test_unknown_asset_suggests_close_matches(store):
    with pytest.raises(UnknownAsset):
        catalog.get_asset(store, BASE + "dataset/school-censsus")
    assert search.suggest(store, BASE + "dataset/school-censsus")[0] == BASE + "dataset/school-census"


def test_resolve_by_label_or_iri(store):
    assert search.resolve(store, "capita one") == BASE + "system/capita-one"
    assert search.resolve(store, BASE + "dataset/pupil-roll") == BASE + "dataset/pupil-roll"
    with pytest.raises(UnknownAsset):
        search.resolve(store, "nothing like it at all")


def test_list_and_search_with_filters(store):
    total, items = catalog.list_assets(store, kind="dataset")
    assert total == 2 and [i.label for i in items] == ["Pupil roll", "School census"]
    total, items = search.search(store, "census")
    assert [i.label for i in items][0] == "School census"
    total, items = search.search(store, "maintained school")  # matches the description
    assert [i.label for i in items] == ["Pupil roll"]
    total, items = catalog.list_assets(store, classification="OFFICIAL-SENSITIVE")
    assert [i.label for i in items] == ["School census"]
    total, items = catalog.list_assets(store, owner=BASE + "person/jane-smith", system=BASE + "system/capita-one")
    assert total == 2
    total, items = catalog.list_assets(store, kind="dataset", limit=1, offset=1)
    assert total == 2 and [i.label for i in items] == ["School census"]
    with pytest.raises(ValueError, match="unknown kind"):
        catalog.list_assets(store, kind="spaceship")


def test_counts_by_kind(store):
    assert catalog.counts_by_kind(store) == {"dataset": 2, "person": 1, "system": 1}


def test_turtle_of_one_asset(store):
    ttl = catalog.turtle(store, BASE + "system/capita-one")
    assert "Capita ONE" in ttl and "gov:System" in ttl


def test_term_labels_come_from_the_ontology():
    assert term_label("https://w3id.org/govgraph#steward")[0] == "data steward"
    assert "accountable" in term_label("https://w3id.org/govgraph#owner")[1]


def test_resolve_by_the_start_of_one_name(store):
    assert search.resolve(store, "school cen") == BASE + "dataset/school-census"
    assert search.resolve(store, "pupil") == BASE + "dataset/pupil-roll"
    with pytest.raises(UnknownAsset) as e:
        search.resolve(store, "census of everything")
    assert e.value.suggestions == []
