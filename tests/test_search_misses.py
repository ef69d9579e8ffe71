"""Misses are cheap (issue 18 item 6): "did you mean" for a missing or hidden IRI such as .../dataset/d123,
whose "d" starts a tenth of the index, checks the few entries the other words left against their own words
instead of reading every posting, with the same matches and scores as reading them all."""
from __future__ import annotations

import random
import re
from urllib.parse import quote

import pytest

from govgraph import access, search
from govgraph.search import _cost, _index, _matches, _RESTRICT, _word_hits, _word_hits_among, query_words
from govgraph.webapp import create_app


@pytest.fixture(scope="module")
def store(store_factory, tmp_path_factory):
    with store_factory("embedded", tmp_path_factory.mktemp("misses"), generated=1500) as st:
        yield st


def _every_posting(idx, words, shortest=search.FUZZY_1, whole=False):
    """The matches as found by reading every posting of every word (what _matches did before)."""
    out = None
    for w in set(words):
        hits = _word_hits(idx, w, shortest, whole)
        out = {i: (s >> 3, s & 7) for i, s in hits.items()} if out is None else \
            {i: (max(f, hits[i] >> 3), t + (hits[i] & 7)) for i, (f, t) in out.items() if i in hits}
    return out or {}


def _queries(idx) -> list[str]:
    rng = random.Random(7)
    names = [e.label for e in rng.sample(idx.entries, 40)]
    typos = [n[:3] + n[4:] for n in names[:10]]  # a letter dropped
    return names + typos + ["d123", "dataset d1", "r12", "adult care d7", "mosiac", "ssda 903", "s", "d 1 2",
                            "summary mart", "care plans 12", "analysis mart #76"]


def test_the_same_matches_as_reading_every_posting(store):
    idx = _index(store)
    restricted = 0
    for q in _queries(idx):
        words = query_words(q)
        for shortest in (search.FUZZY_1, 4):
            for whole in (False, True):
                assert _matches(idx, words, shortest, whole) == _every_posting(idx, words, shortest, whole), q
        restricted += any(_cost(idx, w) > _RESTRICT * 50 for w in words)
    assert restricted >= 5  # the queries include words that take the cheap path


def test_an_entrys_own_words_score_as_its_postings(store):
    idx = _index(store)
    rng = random.Random(3)
    among = dict.fromkeys(rng.sample([i for i, p in enumerate(idx.parts) if p is not None], 300))
    for w in ["d", "d1", "r", "care", "adlut", "analysys", "mart", "12", "x"]:
        for shortest in (search.FUZZY_1, 4):
            for whole in (False, True):
                full = {i: s for i, s in _word_hits(idx, w, shortest, whole).items() if i in among}
                assert _word_hits_among(idx, w, among, shortest, whole) == full, w


def test_a_hidden_assets_404_suggests_only_visible_names(store):
    client = create_app({"STORE": store, "HIDE_SENSITIVE": True}).test_client()
    hidden = sorted(access.hidden_from(store, access.ANONYMOUS))
    named = [h for h in hidden if re.search(r"/dataset/d\d{1,3}$", h)]
    assert named
    for iri in named[:5]:
        r = client.get(f"/asset?iri={quote(iri, safe='')}")
        assert r.status_code == 404
        body = r.get_data(as_text=True)
        assert not set(re.findall(r'href="/asset\?iri=([^"]+)"', body)) & set(hidden)  # nothing the reader may not see
        assert "urn:govgraph:" not in body  # nor a redacted copy's opaque names (their hashes are not words)
    # a visible asset's name with a typo is suggested
    visible = next(e for e in search.search_index(store) if e.kind == "system" and e.iri not in hidden
                   and len(e.label) > 6 and e.label.isalpha())
    typo = visible.iri.rsplit("/", 1)[0] + "/" + visible.label[:2] + visible.label[3:]
    body = client.get(f"/asset?iri={quote(typo, safe='')}").get_data(as_text=True)
    assert "Did you mean" in body and f'href="/asset?iri={visible.iri}"' in body


def test_a_missing_iris_numbers_are_whole(store):
    idx = _index(store)
    one = {i for i in _matches(idx, ["d", "12"], whole=True)}
    assert one and all("12" in idx.parts[i].words[search.ADDRESS] or any("12" in w for w in idx.parts[i].words)
                       for i in one)
    assert len(_matches(idx, ["d", "12"])) > len(one)  # as a search word, 12 also starts 120, 1203 ...
    assert search.suggest(store, "https://synthetic.example.gov.uk/id/dataset/d12")[0].endswith("/d12")
