"""Fewer round trips to a remote store, the same answers: the asset page's reads batched into one
query, every source's record read at once, the lineage graph read by pairs on a remote store.

Each batched read is checked against the separate queries it replaced, on every backend of the
matrix (embedded, `oxigraph serve`, and Virtuoso when GOVGRAPH_TEST_BACKENDS names it); the
lineage graph built over a remote store is checked against the one built over the embedded store
holding the same estate; the round trips of an asset page are counted on the real server.
"""
from __future__ import annotations

import os
import urllib.parse

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import URIRef
from rdflib.compare import isomorphic

from govgraph import catalog
from govgraph import store as store_module
from govgraph.lineage import graph as lineage_graph
from govgraph.lineage import live_graph
from govgraph.store import META_GRAPH
from govgraph.labels import labels
from govgraph.webapp import create_app, graphs

#: the remote backends of the matrix (GOVGRAPH_TEST_BACKENDS, as conftest.py reads it)
REMOTE_BACKENDS = [b for b in (os.environ.get("GOVGRAPH_TEST_BACKENDS") or "embedded,remote").split(",")
                   if b != "embedded"]


def _assets(st) -> list[str]:
    """Assets whose pages read every branch: one covered by an agreement, one whose fields follow
    an identifier standard, a person, a system, an agreement and a dataset with quality measurements
    (as the sample estate has them)."""
    picks = []
    for q in ("SELECT ?s WHERE { ?f gov:carries ?s ; gov:coveredBy ?a } ORDER BY ?s LIMIT 1",
              "SELECT ?s WHERE { ?f gov:fieldOf ?s ; gov:identifierScheme ?std } ORDER BY ?s LIMIT 1",
              "SELECT ?s WHERE { ?s a foaf:Person } ORDER BY ?s LIMIT 1",
              "SELECT ?s WHERE { ?s a gov:System } ORDER BY ?s LIMIT 1",
              "SELECT ?s WHERE { ?s a gov:SharingAgreement } ORDER BY ?s LIMIT 1",
              "SELECT ?s WHERE { ?x dqv:computedOn ?s } ORDER BY ?s LIMIT 1"):
        rows = st.select(q)
        assert rows, q  # the estate has one: else this test would check nothing
        picks.append(str(rows[0]["s"]))
    return picks


def test_the_asset_read_matches_the_separate_queries(sample_store):
    st = sample_store
    for iri in _assets(st):
        s = URIRef(iri)
        a, triples = catalog.asset_and_triples(st, iri)
        # its own triples: as the CONSTRUCT the Turtle came from before, and the same Turtle
        constructed = st.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", bindings={"s": s})
        mine = rdflib.Graph()
        for t in triples:
            mine.add(t)
        assert len(mine) == len(constructed) > 0 and isomorphic(mine, constructed), iri
        assert isomorphic(rdflib.Graph().parse(data=catalog.turtle_of(triples), format="turtle"),
                          rdflib.Graph().parse(data=catalog.turtle(st, iri), format="turtle"))
        # what links to it
        incoming = {(str(r["p"]), str(r["x"])) for r in
                    st.select("SELECT ?x ?p WHERE { ?x ?p ?s FILTER(isIRI(?x)) } LIMIT 2000", bindings={"s": s})}
        assert {(p.iri, v.ref.iri) for p in a.incoming for v in p.values} == incoming, iri
        # the agreements covering it, and its fields' standards
        agreements = {str(r["a"]) for r in st.select("""SELECT DISTINCT ?a WHERE {
            { ?f gov:carries ?s ; gov:coveredBy ?a } UNION { ?f gov:source|gov:target ?s ; gov:coveredBy ?a }
            UNION { ?s gov:coveredBy ?a } }""", bindings={"s": s})}
        standards = {str(r["std"]) for r in st.select(
            "SELECT DISTINCT ?std WHERE { ?f gov:fieldOf ?s ; gov:identifierScheme ?std }", bindings={"s": s})}
        assert sorted(r.iri for r in a.agreements) == (sorted(agreements) if a.kind != "agreement" else []), iri
        assert sorted(r.iri for r in a.standards) == sorted(standards), iri
        # its quality, as read on its own (targets and the latest measurements)
        assert a.quality == catalog.quality(st, iri)
        assert catalog.get_asset(st, iri) == a
    assert a.quality and any(q.value is not None for q in a.quality)  # the last pick has measurements
    for q in a.quality:  # each value as read on its own, one metric at a time
        if q.measured_at is not None:
            v = st.select("""SELECT ?v WHERE { ?x dqv:computedOn ?s ; dqv:isMeasurementOf ?m ;
                             prov:generatedAtTime ?at ; dqv:value ?v } LIMIT 1""",
                          bindings={"s": URIRef(iri), "m": URIRef(q.metric.iri),
                                    "at": rdflib.Literal(q.measured_at, datatype=rdflib.XSD.dateTime)})
            assert q.value == float(v[0]["v"]), q


def test_an_unknown_asset_is_still_unknown(sample_store):
    from govgraph.errors import UnknownAsset
    with pytest.raises(UnknownAsset):
        catalog.asset_and_triples(sample_store, "https://data.county.example.gov.uk/id/dataset/no-such-thing")


def test_the_sources_match_their_records_read_one_by_one(sample_store):
    st = sample_store
    sources = st.sources()
    assert len(sources) == len(st.graphs()) > 0
    for info in sources:
        meta = {q.predicate.value: q.object.value
                for q in st.backend.quads(ox.NamedNode(info.graph), None, None, META_GRAPH)}
        assert info.name == meta["https://w3id.org/govgraph#sourceName"]
        assert info.triples == int(meta["https://w3id.org/govgraph#tripleCount"])
        assert info.loaded_from == meta.get("https://w3id.org/govgraph#loadedFrom", "")


def _norm(v):
    """An attribute as compared: lists and tuples (carried datasets, owners) in any order the server gave."""
    return repr(sorted(map(repr, v))) if isinstance(v, (list, tuple, set, frozenset)) else repr(v)


def _shape(lg) -> tuple[list, list]:
    g = lg.g
    nodes = sorted((n, sorted((k, _norm(v)) for k, v in d.items())) for n, d in g.nodes(data=True))
    edges = sorted((u, v, sorted((k, _norm(x)) for k, x in d.items())) for u, v, d in g.edges(data=True))
    return nodes, edges


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_the_lineage_graph_on_a_remote_store_is_the_embedded_one(open_sample, backend, tmp_path, request):
    """Read by pairs on a remote store (one query a predicate), by value on the embedded one
    (one query a value): the same graph, node for node and edge for edge."""
    emb, _ = open_sample("embedded", tmp_path / "e", request)
    rem, server = open_sample(backend, tmp_path / "r", request)
    try:
        live_graph.clear_cache()
        a, b = lineage_graph.build(emb), lineage_graph.build(rem)
        assert a.g.number_of_nodes() > 100 and a.g.number_of_edges() > 100
        assert _shape(a) == _shape(b)
        assert {k: sorted(v) for k, v in a.held.items()} == {k: sorted(v) for k, v in b.held.items()}
        assert a.labels == b.labels
        assert {k: {n: _norm(v) for n, v in d.items()} for k, d in a.info.items()} == \
            {k: {n: _norm(v) for n, v in d.items()} for k, d in b.info.items()}
    finally:
        emb.close()
        rem.close()
        server.stop()


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_an_asset_page_takes_few_round_trips(open_sample, backend, tmp_path, request, monkeypatch):
    """Counted on the real server: once the lineage graph and the validation report are cached, a
    dataset's page reads the asset, the names it shows (its own links' and its lineage's, in one
    query) and its history's quads, and no more; the same page twice."""
    st, server = open_sample(backend, tmp_path, request)
    try:
        app = create_app({"STORE": st, "TESTING": True})
        client = app.test_client()
        iri = _assets(st)[0]
        url = "/asset?iri=" + urllib.parse.quote(iri, safe="")
        first = client.get(url)
        assert first.status_code == 200
        monkeypatch.setattr(store_module, "REMOTE_REVISION_TTL", 3600.0)  # no revision check in between
        before = st.backend.requests
        again = client.get(url)
        used = st.backend.requests - before
        assert again.status_code == 200 and again.data == first.data
        with app.test_request_context(url):  # its lineage table names things, read with the asset's names
            shown = graphs.lineage_names(st, iri, "dataset")
            assert shown
            a, _, names = catalog.asset_with_names(st, iri, lambda kind: shown)
            assert sorted(names) == sorted(shown) and names == labels(st, shown)
            assert graphs.lineage_view(st, iri, a.kind, known=names, draw=False).rows == \
                graphs.lineage_view(st, iri, a.kind, draw=False).rows
        # the asset read (quality included), its names with the lineage neighbours' names, the history's
        # quads: 3 (12 before they were batched)
        assert used == 3, used
    finally:
        st.close()
        server.stop()
