"""The format registry (govgraph/io/formats.py): every table of formats is derived from it, and each
registered RDF format really loads and exports through the store."""
from __future__ import annotations

import io

import pytest

from govgraph.io import formats
from govgraph.io.formats import RDF_FORMATS, detect_format
from govgraph import store as store_module
from govgraph.webapp import api

TTL = b"""@prefix gov: <https://w3id.org/govgraph#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/a> a gov:InformationAsset ; rdfs:label "A" .
"""


@pytest.mark.parametrize("f", RDF_FORMATS, ids=lambda f: f.name)
def test_each_rdf_format_round_trips_through_the_store(memory_store, f):
    with memory_store.begin("src") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit(forced=True)
    out = io.BytesIO()
    assert memory_store.dump(out, f.name) == 2
    with memory_store.begin("again") as txn:
        assert txn.load(data=out.getvalue(), fmt=f.name) == 2
        txn.rollback()
    for ext in f.extensions:
        assert detect_format(f"x{ext.upper()}") == f.name


def test_every_table_is_the_registry():
    assert store_module.FORMATS is formats.FORMATS and store_module.QUAD_FORMATS is formats.QUAD_FORMATS
    assert set(formats.INPUT_FORMATS) == set(formats.FORMATS) | {"iar"}
    assert detect_format("register.xlsx") == detect_format("register.csv") == "iar"
    # the write API takes every triple format by each of its media types, and no quad format
    assert set(api.RDF_TYPES.values()) == set(formats.FORMATS) - formats.QUAD_FORMATS
    assert api.RDF_TYPES["application/x-turtle"] == "turtle"
