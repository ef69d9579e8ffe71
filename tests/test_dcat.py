"""The DCAT catalogue: only open datasets, and it conforms to the DCAT-AP 3.0.1 SHACL shapes (pyshacl)."""
from __future__ import annotations

import io
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

from govgraph.io.dcat import dcat_catalog, write_dcat
from govgraph.io.load import load_files
from govgraph.store import open_store

ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"
SHAPES = Path(__file__).resolve().parents[2] / "shared" / "standards" / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl"
BASE = "https://data.county.example.gov.uk/id/"


@pytest.fixture(scope="module")
def store(module_store):
    st = module_store
    load_files(st, [ESTATE], force=True)
    return st


@pytest.fixture(scope="module")
def shapes():
    assert SHAPES.exists(), f"the DCAT-AP shapes are missing: {SHAPES} (../shared/standards beside the repo)"
    return rdflib.Graph().parse(SHAPES)


def test_only_open_datasets(store):
    g = dcat_catalog(store, "http://127.0.0.1:8080/")
    ds = {str(d) for d in g.subjects(RDF.type, DCAT.Dataset)}
    # OFFICIAL and no personal data; the report is OFFICIAL but derived from personal data and has no
    # dpv:hasPersonalData of its own, so it is published as an aggregate
    assert BASE + "dataset/road-defects" in ds and BASE + "dataset/gritting-routes" in ds
    assert BASE + "dataset/referrals" not in ds and BASE + "dataset/fact-referral" not in ds
    assert not any("/id/person/" in str(o) for o in g.objects())  # no people are published


def test_conforms_to_dcat_ap(store, shapes):
    g = dcat_catalog(store, "http://127.0.0.1:8080/")
    conforms, _, text = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_shapes_catch_a_broken_catalogue(store, shapes):
    g = dcat_catalog(store, "http://127.0.0.1:8080/")
    cat = next(g.subjects(RDF.type, DCAT.Catalog))
    g.remove((cat, DCTERMS.description, None))
    g.remove((None, DCAT.accessURL, None))
    conforms, _, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    assert not conforms


def test_web_and_cli(tmp_path, any_store_url):
    from click.testing import CliRunner
    from govgraph.cli import main
    from govgraph.webapp import create_app
    url = any_store_url
    st = open_store(url)
    load_files(st, [ESTATE], force=True)
    c = create_app({"STORE": st, "SPARQL_POOL": False}).test_client()
    r = c.get("/catalog.ttl")
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    assert r.status_code == 200 and (None, RDF.type, DCAT.Catalog) in g
    r = c.get("/catalog.jsonld")
    assert r.status_code == 200 and len(rdflib.Graph().parse(data=r.data, format="json-ld")) == len(g)
    st.close()
    out = tmp_path / "catalog.ttl"
    res = CliRunner().invoke(main, ["export", "--dcat", "-o", str(out), "--store", url])
    assert res.exit_code == 0, res.output
    assert len(list(rdflib.Graph().parse(out).subjects(RDF.type, DCAT.Dataset))) == 3


def test_write_dcat_jsonld(store):
    buf = io.BytesIO()
    assert write_dcat(store, buf, "jsonld") == 3
