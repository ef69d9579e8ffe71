"""Listing the named graphs of a Virtuoso store (as every store open does, to sweep what a crashed
import left): Virtuoso answers ``GRAPH ?g { }`` with one empty row, and scans every quad for
``SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`` (over 60 s at 10,000 datasets), so the
graphs are asked for grouped, which it answers from its graph index."""
from __future__ import annotations

from pathlib import Path

from govgraph.io.load import load_files
from govgraph.store import open_store, source_graph_iri

FIX = Path(__file__).parent / "fixtures" / "io"


def test_the_graphs_are_listed_grouped(virtuoso_server, monkeypatch):
    with open_store(virtuoso_server.store_url) as s:
        s.clear()
        load_files(s, [FIX / "small.ttl"], source="one")
        load_files(s, [FIX / "small.ttl"], source="two", validate=False)
        b = s.backend
        sent: list[str] = []
        query = b.query

        def counting(text, *args, **kwargs):
            sent.append(" ".join(text.split()))
            return query(text, *args, **kwargs)
        monkeypatch.setattr(b, "query", counting)
        graphs = {g.value for g in s.named_graphs()}
        monkeypatch.undo()
        every = {r["g"].value for r in b.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", None, None)}
        assert graphs == every
        assert {source_graph_iri("one"), source_graph_iri("two")} <= graphs
        assert sent[-1] == "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", sent
        assert not any("DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }" in q for q in sent)
    with open_store(virtuoso_server.store_url) as s:  # opening sweeps with the same listing
        assert {x.name for x in s.sources()} == {"one", "two"}
