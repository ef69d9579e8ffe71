"""Privacy by construction: what the DCAT export publishes does not depend on a server evaluating a negation.

The store under test is real (the sample estate, embedded and on `oxigraph serve`), wrapped in a
backend that behaves like Virtuoso 7 with several default graphs: every ``FILTER NOT EXISTS { ... }``
is cut out of the query text before the query runs. The export must still publish exactly the
OFFICIAL datasets that hold no personal data, and none of the 18 OFFICIAL datasets that do. A
second wrapper caps every answer at a few rows, as servers do silently: the export then refuses.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCAT, RDF

from govgraph.errors import StoreError
from govgraph.io.dcat import dcat_catalog
from govgraph.io.open_data import CANDIDATES, is_open, open_datasets
from govgraph.ontology.ns import DPV, GOV
from govgraph.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PUBLIC = "https://data.county.example.gov.uk/catalogue/"
_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{", re.IGNORECASE)


def drop_not_exists(text: str) -> tuple[str, int]:
    """``text`` without its ``FILTER NOT EXISTS { ... }`` blocks (braces balanced), and how many were cut."""
    cut = 0
    while (m := _NOT_EXISTS.search(text)) is not None:
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text, cut = text[:m.start()] + " " + text[i:], cut + 1
    return text, cut


class NegationBlind:
    """A store backend that runs every query without its FILTER NOT EXISTS blocks."""

    def __init__(self, inner):
        self.inner, self.url, self.exclusive, self.dropped = inner, inner.url, inner.exclusive, 0

    def query(self, text, default, named, timeout=None):
        text, cut = drop_not_exists(text)
        self.dropped += cut
        return self.inner.query(text, default, named, timeout)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class _Capped:
    def __init__(self, res, cap):
        self.variables, self._rows = res.variables, list(itertools.islice(res, cap))

    def __iter__(self):
        return iter(self._rows)


class RowCapped(NegationBlind):
    """A store backend whose SELECT answers stop silently after ``cap`` rows."""

    def __init__(self, inner, cap):
        super().__init__(inner)
        self.cap = cap

    def query(self, text, default, named, timeout=None):
        res = self.inner.query(text, default, named, timeout)
        return _Capped(res, self.cap) if hasattr(res, "variables") else res


@pytest.fixture(scope="module")
def sample_graph():
    g = rdflib.Graph()
    for f in sorted(SAMPLE.glob("*.ttl")):
        g.parse(f)
    return g


@pytest.fixture(scope="module")
def expected(sample_graph):
    """OFFICIAL datasets, and those of them with personal data, read from the sample files by triple lookups."""
    official = {str(d) for d in sample_graph.subjects(GOV.classification, GOV.Official)
                if (d, RDF.type, DCAT.Dataset) in sample_graph}
    personal = {str(d) for d in sample_graph.subjects(DPV.hasPersonalData, None)}
    return official, official & personal


def test_drop_not_exists():
    text, cut = drop_not_exists("SELECT * { ?a ?b ?c FILTER NOT EXISTS { ?a ?x ?y FILTER NOT EXISTS { ?y ?p ?q } } "
                                "filter  not exists{ ?a a ?t } }")
    assert cut == 2 and "EXISTS" not in text.upper() and text.count("{") == text.count("}") == 1


def test_a_negation_blind_server_publishes_no_personal_data(module_sample_store, expected):
    official, personal = expected
    assert len(personal) == 18 and len(official) == 73
    blind = Store(module_sample_store.url, NegationBlind(module_sample_store.backend))
    # the wrapper really loses the negation: the candidate query now lets the personal datasets through
    candidates = {str(r["d"]) for r in blind.select(CANDIDATES)}
    assert personal <= candidates and blind.backend.dropped >= 3
    g = dcat_catalog(blind, PUBLIC)
    published = {str(d) for d in g.subjects(RDF.type, DCAT.Dataset)}
    assert published & personal == set()
    assert published == official - personal and len(published) == 55
    assert published == {str(d) for d in dcat_catalog(module_sample_store, PUBLIC).subjects(RDF.type, DCAT.Dataset)}


def test_a_silently_capped_answer_publishes_nothing(module_sample_store):
    capped = Store(module_sample_store.url, RowCapped(module_sample_store.backend, 20))
    with pytest.raises(StoreError, match="nothing is published from a partial answer"):
        open_datasets(capped)


@pytest.mark.parametrize("facts,open_", [
    ([(GOV.classification, GOV.Official)], True),
    ([(GOV.classification, GOV.Official), (GOV.anonymisation, GOV.Aggregated)], True),
    ([], False),  # no marking confirmed: not published
    ([(GOV.classification, GOV.Official), (GOV.classification, GOV.OfficialSensitive)], False),
    ([(GOV.classification, GOV.Official), (DPV.hasPersonalData, DPV.PersonalData)], False),
    ([(GOV.classification, GOV.Official), (DPV.hasDataSubject, DPV.Child)], False),
    ([(GOV.classification, GOV.Official), (GOV.anonymisation, GOV.Pseudonymised)], False),
])
def test_is_open(facts, open_):
    assert is_open(facts) is open_
