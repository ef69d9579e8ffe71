"""Each fact once: a triple stated by several sources is one triple of the default graph (the RDF
merge), on pages, in `info` and over /sparql; GRAPH queries still see each source's own statements.
On the sample, its Turtle and its IAR CSV state the same facts about the same assets."""
from __future__ import annotations

import datetime as dt
import os
import subprocess

import pyoxigraph as ox

from govgraph import facts
from govgraph.history import estate_asof
from govgraph.io.sparql_update import apply_update
from govgraph.store import open_store
from govgraph.webapp import create_app

PAYROLL = "https://data.county.example.gov.uk/id/dataset/sap-payroll"
COUNT = "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?d) AS ?m) WHERE { ?d a dcat:Dataset }"
PER_SOURCE = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?d a dcat:Dataset } }"


def _n(rows, var="n") -> int:
    return int(rows[0][var])


def test_the_default_graph_is_the_merge_and_graph_sees_each_source(sample_store):
    row = sample_store.select(COUNT)[0]
    assert int(row["n"]) == int(row["m"])  # 197 datasets, once each (was 247)
    assert _n(sample_store.select(PER_SOURCE)) > int(row["m"])  # both sources still state their own
    assert len(sample_store.select(f"SELECT ?o WHERE {{ <{PAYROLL}> gov:owner ?o }}")) == 1
    assert len(sample_store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{PAYROLL}> gov:owner ?o }} }}")) == 2


def test_sparql_endpoint_counts_each_dataset_once(sample_store):
    app = create_app({"STORE": sample_store})
    q = "PREFIX dcat: <http://www.w3.org/ns/dcat#> " + COUNT
    r = app.test_client().get("/sparql", query_string={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    b = r.get_json()["results"]["bindings"][0]
    assert b["n"]["value"] == b["m"]["value"]
    # an asset page names its owner once
    page = app.test_client().get("/asset", query_string={"iri": PAYROLL}).get_data(as_text=True)
    owner = page.split("Information Asset Owner</dt>", 1)[1].split("</dd>", 1)[0]
    assert owner.count("Karen Dobson") == 1, owner


def test_info_shows_each_fact_once(sample_store_url):
    out = subprocess.run(["govgraph", "info", "SAP HR - Payroll results", "--store", sample_store_url],
                         capture_output=True, text=True, env={**os.environ, "GOVGRAPH_USER": "t"}, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1] for ln in out.stdout.splitlines() if ":" in ln}
    assert lines["Information Asset Owner"].strip() == "Karen Dobson"
    basis = [x.strip() for x in lines["lawful basis"].split(";")]
    assert basis == ["UK GDPR Art 6(1)(b)", "UK GDPR Art 6(1)(c)"], basis  # each once (both sources state both)


def test_a_fact_leaves_the_merge_only_when_no_source_states_it(any_store):
    s, p = ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p")
    both, only_one = ox.Triple(s, p, ox.Literal("both")), ox.Triple(s, p, ox.Literal("one"))
    nt = f"{both.subject} {both.predicate} {both.object} .\n{only_one.subject} {only_one.predicate} {only_one.object} .\n"
    for name, data in (("x", nt), ("y", f"{both.subject} {both.predicate} {both.object} .\n")):
        with any_store.begin(name) as txn:
            txn.load(data=data.encode(), fmt="ntriples")
            txn.commit()

    def merged() -> list[str]:
        return sorted(str(r["o"]) for r in any_store.select("SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }"))
    assert merged() == ["both", "one"]
    with any_store.patch("x") as pt:  # a patch removing a fact another source states keeps it
        pt.remove([both])
        pt.commit()
    assert merged() == ["both", "one"]
    with any_store.begin("y", replace=True) as txn:  # a replacement dropping the last statement of it
        txn.load(data=b"<http://ex/a> <http://ex/p> \"new\" .", fmt="ntriples")
        txn.commit()
    assert merged() == ["new", "one"]
    with any_store.patch("y") as pt:
        pt.add([only_one])
        pt.commit()
    any_store.remove_source("x")  # "one" is still stated by y
    assert merged() == ["new", "one"]
    any_store.remove_source("y")
    assert merged() == []


def _objects(store) -> list[str]:
    return sorted(str(r["o"]) for r in store.select("SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }"))


def _load(store, name: str, nt: str, *, replace: bool = False) -> None:
    with store.begin(name, replace=replace) as txn:
        txn.load(data=nt.encode(), fmt="ntriples")
        txn.commit()


A = '<http://ex/a> <http://ex/p> "{}" .\n'


def test_large_sources_are_merged_in_bulk_and_withdrawn_in_batches(any_store, monkeypatch, tmp_path):
    # the embedded store merges a source of MERGE_IN_UPDATE triples or more by the bulk loader before
    # its commit (its file parsed again, or with blank nodes its graph copied), and withdraws a removed
    # one's in batches; here every source counts as large
    monkeypatch.setattr(facts, "MERGE_IN_UPDATE", 1)
    _load(any_store, "x", A.format("both") + A.format("one") + '_:b <http://ex/p> "blank" .\n')
    (tmp_path / "y.nt").write_text(A.format("both") + '<http://ex/c> <http://ex/p> "c" .\n')
    with any_store.begin("y") as txn:
        txn.load(tmp_path / "y.nt", fmt="ntriples")
        txn.commit()
    assert _n(any_store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> ?o }")) == 4
    any_store.remove_source("y")
    _load(any_store, "y", A.format("both"))
    assert _objects(any_store) == ["both", "one"]
    assert _n(any_store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> ?o }")) == 3
    any_store.remove_source("x")
    assert _objects(any_store) == ["both"]
    assert _n(any_store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> ?o }")) == 1
    any_store.remove_source("y")
    assert _objects(any_store) == []


def test_sparql_update_changes_the_merge(any_store):
    _load(any_store, "x", A.format("both"))
    _load(any_store, "y", A.format("both") + A.format("kept"))
    apply_update(any_store, "x", 'DELETE DATA { <http://ex/a> <http://ex/p> "both" } ;'
                                 ' INSERT DATA { <http://ex/a> <http://ex/p> "new" }', who="t", force=True,
                 may_remove=True)
    assert _objects(any_store) == ["both", "kept", "new"]  # y still states "both"
    apply_update(any_store, "y", 'DELETE DATA { <http://ex/a> <http://ex/p> "both" }', who="t", force=True,
                 may_remove=True)
    assert _objects(any_store) == ["kept", "new"]


def test_a_store_written_before_the_merge_was_kept_is_brought_up_to_date_on_open(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"
    with open_store(url) as st:
        _load(st, "x", A.format("both") + A.format("one"))
        _load(st, "y", A.format("both"))
        # as a store written before: no merge, and the registry does not say one is kept
        st.backend.update(st.merge.incomplete() + "; CLEAR DEFAULT")
    with open_store(url) as st:
        assert _objects(st) == ["both", "one"]
        assert facts.is_kept(st.backend, st.merge)
        assert _n(st.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")) == 2


def test_an_interrupted_bulk_merge_is_rebuilt_on_open(tmp_path, monkeypatch):
    # a load that stops between its bulk merge and its commit (kill -9): the merge holds triples of a
    # source that never committed, and the registry says it is not complete
    url = f"oxigraph:{tmp_path / 'store'}"
    with open_store(url) as st:
        _load(st, "x", A.format("one"))
        st.backend.update(st.merge.incomplete() + '; INSERT DATA { <http://ex/a> <http://ex/p> "ghost" }')
        assert _objects(st) == ["ghost", "one"]
    with open_store(url) as st:
        assert _objects(st) == ["one"]


def test_as_of_views_show_each_fact_once(sample_store):
    past, _ = estate_asof(sample_store, dt.datetime.now(dt.timezone.utc))
    row = past.select(COUNT)[0]
    assert int(row["n"]) == int(row["m"])


def test_only_text_surely_without_blank_nodes_is_parsed_again_into_the_merge():
    for text, may in [(b'<a> <b> "x (y) [z] _:q" .', False), (b'<a> <b> _:q .', True), (b'<a> <b> [ <c> 1 ] .', True),
                      (b'<a> <b> ( 1 2 ) .', True), (b'<a(> <b> """ ( \n [ """ . # ( [', False),
                      (b"<a> <b> 'it''s' .", False), (b'<a> <b> "esc \\" ( " .', False),
                      (b'<a> <b> "x" .\n<c> <d> [] .', True)]:
        assert facts.may_name_blank_nodes(text, "turtle") is may, text
    assert facts.may_name_blank_nodes(b'<a> <b> "c" .', "rdfxml")  # other formats: not known, so copied


def test_reads_never_see_the_merge_ahead_of_the_registry(sample_store):
    """While a large write changes the merge before its commit (``Store.merge_changing``), reads over every
    live source take the registered graphs as their default graph: what the merge holds early is not seen."""
    early = ox.NamedNode("http://ex/not-yet-committed")
    ask = f"ASK {{ <{early.value}> a dcat:Dataset }}"
    app = create_app({"STORE": sample_store}).test_client()
    q = {"query": "PREFIX dcat: <http://www.w3.org/ns/dcat#> " + ask}
    in_merge = sample_store.merge.add_triples([ox.Triple(early, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                                          ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"))])
    with sample_store.merge_changing():
        sample_store.backend.update(in_merge)  # what a bulk merge writes ahead of its commit
        assert not bool(sample_store.query(ask))
        assert sample_store.default_graph_names() == tuple(g.value for g in sample_store.graphs())
        assert app.get("/sparql", query_string=q, headers={"Accept": "application/sparql-results+json"}
                       ).get_json()["boolean"] is False
        row = sample_store.select(COUNT)[0]
        assert int(row["n"]) > int(row["m"])  # the registered graphs' union: a triple stated twice counts twice
    # (had the write committed, its source graph would hold it; here only the merge does, and now it is read)
    assert bool(sample_store.query(ask))
    sample_store.backend.update(in_merge.replace("INSERT DATA", "DELETE DATA"))
