"""The DCAT catalogue: only open datasets, and it conforms to the DCAT-AP 3.0.1 SHACL shapes (pyshacl)."""
from __future__ import annotations

import io
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

from click.testing import CliRunner
from rdflib import URIRef

from govgraph.cli import main
from govgraph.errors import BadInput
from govgraph.io.dcat import dcat_catalog, public_base, write_dcat
from govgraph.io.load import load_files
from govgraph.store import open_store
from govgraph.webapp import create_app

ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"
SHAPES = Path(__file__).resolve().parents[2] / "shared" / "standards" / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl"
BASE = "https://data.county.example.gov.uk/id/"
PUBLIC = "https://data.county.example.gov.uk/catalogue/"


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


def test_web_and_cli(tmp_path, any_store_url, monkeypatch):
    url = any_store_url
    st = open_store(url)
    load_files(st, [ESTATE], force=True)
    # the catalogue's links come from the configured BASE_URL, not from the Host header a client sends
    c = create_app({"STORE": st, "SPARQL_POOL": False, "BASE_URL": "https://data.example.org/gg/"}).test_client()
    r = c.get("/gg/catalog.ttl", headers={"Host": "evil.example"})
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    assert r.status_code == 200 and (URIRef("https://data.example.org/gg/catalog"), RDF.type, DCAT.Catalog) in g
    assert b"evil.example" not in r.data and b"localhost" not in r.data
    r = c.get("/gg/catalog.jsonld")
    assert r.status_code == 200 and len(rdflib.Graph().parse(data=r.data, format="json-ld")) == len(g)
    st.close()
    out = tmp_path / "catalog.ttl"
    monkeypatch.delenv("GOVGRAPH_BASE_URL", raising=False)
    res = CliRunner().invoke(main, ["export", "--dcat", "-o", str(out), "--store", url])
    assert res.exit_code == 1 and "--base https://" in res.output and "GOVGRAPH_BASE_URL" in res.output
    assert not out.exists()  # refused before anything is written
    for local in ("http://localhost:8080/", "http://127.0.0.1/", "http://[::1]:8080/", "http://0.0.0.0:8080/"):
        res = CliRunner().invoke(main, ["export", "--dcat", "-o", str(out), "--store", url, "--base", local])
        assert res.exit_code == 1 and "local address" in res.output and not out.exists(), (local, res.output)
    res = CliRunner().invoke(main, ["export", "--dcat", "-o", str(out), "--store", url, "--base", PUBLIC])
    assert res.exit_code == 0, res.output
    assert len(list(rdflib.Graph().parse(out).subjects(RDF.type, DCAT.Dataset))) == 3
    assert b"localhost" not in out.read_bytes() and (PUBLIC + "catalog").encode() in out.read_bytes()
    monkeypatch.setenv("GOVGRAPH_BASE_URL", "https://portal.example.net")  # as `serve --base-url` reads it
    res = CliRunner().invoke(main, ["export", "--dcat", "--format", "jsonld", "--store", url])
    assert res.exit_code == 0, res.output
    g = rdflib.Graph().parse(data=res.stdout_bytes, format="json-ld")
    assert (URIRef("https://portal.example.net/catalog"), RDF.type, DCAT.Catalog) in g


def test_write_dcat_jsonld(store):
    buf = io.BytesIO()
    assert write_dcat(store, buf, "jsonld", PUBLIC) == 3
    assert len(rdflib.Graph().parse(data=buf.getvalue(), format="json-ld")) == len(dcat_catalog(store, PUBLIC))


def test_public_base():
    assert public_base("https://data.example.gov.uk") == "https://data.example.gov.uk/"
    for bad in (None, "", "ftp://x.example/", "https://x.example/?a=1", "http://localhost/", "http://app.localhost/",
                "http://127.0.0.2:9/", "http://[::1]/", "http://169.254.1.1/", "http://0.0.0.0/"):
        with pytest.raises(BadInput):
            public_base(bad)
