"""Search (govgraph/search.py): typos, glossary synonyms, digits split and joined, relevance ranking,
"did you mean" suggestions and name resolution; on the sample estate and on a small estate made to rank."""
from __future__ import annotations

import time

import pytest

from govgraph import search
from govgraph.errors import UnknownAsset
from govgraph.io.load import load_files

BASE = "https://data.county.example.gov.uk/id/"


@pytest.fixture(scope="module")
def store(module_sample_store):
    return module_sample_store


def labels(store, q, n=5):
    return [(i.label, i.kind) for i in search.search(store, q, limit=n)[1]]


def test_words_split_letters_from_digits_and_keep_the_whole():
    assert search.tokens("SSDA903 return") == ["ssda", "903", "ssda903", "return"]
    assert search.query_words("SSDA903") == search.query_words("ssda 903") == ["ssda", "903"]
    assert search.query_words("Children's social-care") == ["children", "s", "social", "care"]


def test_a_long_query_is_bounded(store):
    words = search.query_words("mosaic " * 5000 + "x" * 100000)
    assert len(words) == search.MAX_WORDS
    t0 = time.perf_counter()
    search.search(store, "safegaurdingsafegaurding " * 2000)
    assert time.perf_counter() - t0 < 2


def test_edit_distance_counts_a_swap_as_one():
    assert search.edit_distance("mosiac", "mosaic", 2) == 1
    assert search.edit_distance("safegaurding", "safeguarding", 2) == 1
    assert search.edit_distance("census", "censsus", 2) == 1
    assert search.edit_distance("kitten", "sitting", 2) == 3  # over the limit: limit + 1
    assert search.edit_distance("abc", "abcdef", 1) == 2


def test_a_typo_finds_mosaic(store):
    got = labels(store, "Mosiac")
    assert got[0] == ("Mosaic", "system")
    assert all("Mosaic" in lab for lab, _ in got)
    assert labels(store, "safegaurding concern")[0] == ("Safeguarding concern", "term")


def test_two_typos_only_on_long_words(store):
    assert labels(store, "safgaurding concern")[0] == ("Safeguarding concern", "term")  # 12 letters: 2 allowed
    assert search.search(store, "Msiac")[0] == 0  # 5 letters: one typo allowed, this is two
    assert search.search(store, "Mosaicc")[0] > 0  # 7 letters, one typo


def test_short_words_match_only_as_written(store):
    # "care" is too short for typos: it does not find "core" or "card" words (it does find "carers", a prefix)
    idx = search._index(store)
    assert set(search._candidates(idx, "care").values()) == {0}
    assert all(t.startswith("care") for t in search._candidates(idx, "care"))


def test_glossary_synonyms(store):
    assert labels(store, "NHS no")[0] == ("NHS number", "standard")
    assert labels(store, "nhs no.")[0] == ("NHS number", "standard")
    ehcp = labels(store, "EHCP", 50)
    assert ehcp[0] == ("Education, health and care plan", "term")
    assert len(ehcp) > 1  # datasets about the term come with it
    cla = labels(store, "CLA")
    assert ("Looked after child", "term") in labels(store, "child looked after", 20)
    assert cla  # the abbreviation matches titles and the term's synonym


def test_digits_split_and_joined(store):
    joined, split = search.search(store, "SSDA903", limit=1000), search.search(store, "SSDA 903", limit=1000)
    assert joined[0] == split[0] > 5
    assert {i.iri for i in joined[1]} == {i.iri for i in split[1]}
    assert joined[1][0].label.startswith("SSDA903 return")
    assert labels(store, "ssda 903 episodes")[0] == ("Warehouse mart - SSDA903 episodes", "dataset")


def test_suggestions_for_a_missing_asset_come_from_the_index(store):
    mosaic = BASE + "system/mosaic"
    assert search.suggest(store, BASE + "system/mosiac")[0] == mosaic
    assert search.suggest(store, mosaic + "x")[0] == mosaic
    assert search.suggest(store, BASE + "system/zzzz-qqqq") == []
    assert search.suggest(store, BASE + "system/capita-onee")[0] == BASE + "system/capita-one"  # a last resort
    assert search.search(store, "capita onee")[0] == 0  # not in search: 4-letter words match as written
    with pytest.raises(UnknownAsset) as e:
        search.resolve(store, "Mosiac")
    assert e.value.suggestions[0] == mosaic
    assert search.resolve(store, "mosaic") == mosaic


RANKED = """
@prefix gov: <https://w3id.org/govgraph#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix ex: <https://example.org/id/> .
ex:a a gov:InformationAsset ; dcterms:title "Waste collections" .
ex:b a gov:InformationAsset ; dcterms:title "Bins and waste collections by round" .
ex:c a gov:InformationAsset ; dcterms:title "Refuse rounds" ; dcat:theme ex:t .
ex:t a skos:Concept ; skos:prefLabel "Household refuse" ; skos:altLabel "Waste collections" .
ex:d a gov:InformationAsset ; dcterms:title "Street cleansing" ; dcterms:description "Includes waste collections from litter bins." .
ex:e a gov:InformationAsset ; dcterms:title "Wsate collections log" .
ex:f a gov:InformationAsset ; dcterms:title "Fly tipping" .
"""


def test_relevance_order(memory_store, tmp_path):
    path = tmp_path / "ranked.ttl"
    path.write_text(RANKED, "utf-8")
    load_files(memory_store, [path], validate=False)
    got = [i.iri.rsplit("/", 1)[-1] for i in search.search(memory_store, "waste collections")[1]]
    # exact title, exact synonym (the term), title words with fewer typos first, then glossary term and description
    assert got == ["a", "t", "b", "e", "c", "d"]
    page = search.faceted_search(memory_store, "waste collections", limit=2, offset=2)
    assert page.total == 6 and [i.iri.rsplit("/", 1)[-1] for i in page.items] == ["b", "e"]
