"""The change history (issue 8): every kind of write records who, when, which source and the
triples it added and removed, and nothing sent through the API can edit the audit graph."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from govgraph.auth import TokenFile
from govgraph.cli import main
from govgraph.io.load import load_files
from govgraph.store import AUDIT_GRAPH, open_store, source_graph_iri
from govgraph.webapp import create_app, sparql

ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"
BASE = "https://data.county.example.gov.uk/id/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TERMS = f'<{BASE}term/parking> a <{SKOS}Concept> ; <{SKOS}prefLabel> "Parking" .'
TERMS2 = TERMS + f' <{BASE}term/waste> a <{SKOS}Concept> ; <{SKOS}prefLabel> "Waste" .'
EVENT = {
    "eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
    "run": {"runId": "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01"},
    "job": {"namespace": "ssis", "name": "load_fact_referral"},
    "inputs": [{"namespace": "mssql://mosaic", "name": "dbo.referrals"}],
    "outputs": [{"namespace": "mssql://dwh", "name": "dbo.fact_referral"}],
    "producer": "https://example.org/ssis-openlineage",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def source_set(store, name: str) -> set[tuple]:
    """The triples of one source, read straight from its graph (empty when it is not there: a removed
    source's graph may still keep its triples for the history, unregistered)."""
    if not store.has_source(name):
        return set()
    g = ox.NamedNode(source_graph_iri(name))
    return {(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, g)}


def audit(store) -> list[str]:
    return sorted(str(q) for q in store.quads(None, None, None, AUDIT_GRAPH))


class Checker:
    """Runs one write and checks the one change record it leaves against the source's triples."""

    def __init__(self, store):
        self.store = store

    def write(self, source: str, action: str, who: str, do):
        before, n = source_set(self.store, source), len(self.store.history())
        t0 = dt.datetime.now(dt.timezone.utc)
        do()
        t1 = dt.datetime.now(dt.timezone.utc)
        after = source_set(self.store, source)
        new = self.store.history()[n:]
        assert len(new) == 1, new
        rec = new[0]
        assert (rec.source, rec.action, rec.who) == (source, action, who)
        assert t0 - dt.timedelta(seconds=1) <= rec.at <= t1 + dt.timedelta(seconds=1)
        assert (rec.added, rec.removed) == (len(after - before), len(before - after)), (rec, len(before), len(after))
        assert rec.added or rec.removed
        return rec


@pytest.fixture
def app(tmp_path, disk_store):
    st = disk_store
    load_files(st, [ESTATE], force=True, who="setup")
    tokens = tmp_path / "tokens"
    tokens.write_text("# name role hash\n")
    tf = TokenFile(tokens)
    app = create_app({"STORE": st, "TOKEN_FILE": str(tokens), "TESTING": True})
    app.tokens = {r: tf.add(f"t-{r}", r) for r in ("reader", "editor", "admin")}
    yield app
    sparql.shutdown(app)


def auth(app, role):
    return {"Authorization": "Bearer " + app.tokens[role]}


def test_every_api_write_kind_is_recorded(app):
    c, st = app.test_client(), app.extensions["govgraph.store"]
    check = Checker(st)

    def ok(resp, *codes):
        assert resp.status_code in codes, resp.get_data(as_text=True)

    put = lambda body: c.put("/api/v1/sources/api/terms", data=body, content_type="text/turtle",  # noqa: E731
                             headers=auth(app, "editor"))
    check.write("api/terms", "load", "t-editor", lambda: ok(put(TERMS), 201))
    check.write("api/terms", "replace", "t-editor", lambda: ok(put(TERMS2), 201))
    upd = 'DELETE { ?t skos:prefLabel "Waste" } INSERT { ?t skos:prefLabel "Waste and recycling" } ' \
          'WHERE { ?t skos:prefLabel "Waste" }'
    rec = check.write("api/terms", "replace", "t-editor", lambda: ok(c.post(
        "/sparql/update?source=api/terms", data=upd, content_type="application/sparql-update",
        headers=auth(app, "editor")), 200))
    assert (rec.added, rec.removed) == (1, 1)
    ol_source = "openlineage/ssis"
    check.write(ol_source, "load", "t-editor", lambda: ok(c.post(
        "/api/v1/lineage", data=json.dumps(EVENT), content_type="application/json", headers=auth(app, "editor")), 201))
    later = dict(EVENT, run={"runId": "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a02"}, eventTime="2026-10-02T02:00:00Z")
    check.write(ol_source, "patch", "t-editor", lambda: ok(c.post(
        "/api/v1/lineage", data=json.dumps(later), content_type="application/json", headers=auth(app, "editor")), 201))
    check.write("api/terms", "remove", "t-admin", lambda: ok(c.delete(
        "/api/v1/sources/api/terms", headers=auth(app, "admin")), 200))
    # the history is served as recorded
    hist = [(r.source, r.action, r.who) for r in st.history()]
    assert hist == [("estate.ttl", "load", "setup"), ("api/terms", "load", "t-editor"),
                    ("api/terms", "replace", "t-editor"), ("api/terms", "replace", "t-editor"),
                    (ol_source, "load", "t-editor"), (ol_source, "patch", "t-editor"),
                    ("api/terms", "remove", "t-admin")]


def test_every_cli_write_kind_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVGRAPH_USER", "cli-tester")
    url = f"oxigraph:{tmp_path / 'store'}"
    f1, f2 = tmp_path / "terms.ttl", tmp_path / "terms2.ttl"
    f1.write_text(TERMS)
    f2.write_text(TERMS2)
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(EVENT) + "\n")

    def run(*args):
        res = CliRunner().invoke(main, [*args, "--store", url])
        assert res.exit_code == 0, res.output
        return res

    run("load", str(ESTATE), "--force")
    run("load", str(f1), "--source", "terms")
    run("load", str(f2), "--source", "terms", "--replace")
    run("ingest-openlineage", str(events))
    run("remove", "terms")
    recs = json.loads(run("history", "--format", "json").output)
    assert [(r["source"], r["action"], r["who"]) for r in recs] == [
        ("estate.ttl", "load", "cli-tester"), ("terms", "load", "cli-tester"), ("terms", "replace", "cli-tester"),
        ("openlineage/ssis", "load", "cli-tester"), ("terms", "remove", "cli-tester")]
    assert [(r["added"], r["removed"]) for r in recs[1:3]] == [(2, 0), (2, 0)]
    assert (recs[4]["added"], recs[4]["removed"]) == (0, 4)
    assert recs[3]["added"] > 0
    times = [dt.datetime.fromisoformat(r["at"]) for r in recs]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    st = open_store(url)
    try:
        assert [r.revision for r in st.history()] == [1, 2, 3, 4, 5]
    finally:
        st.close()


ATTEMPTS = [
    "INSERT DATA { GRAPH <urn:govgraph:audit> { <urn:x> a gov:ChangeRecord } }",
    "DELETE WHERE { GRAPH <urn:govgraph:audit> { ?s ?p ?o } }",
    "WITH <urn:govgraph:audit> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <urn:govgraph:audit> WHERE { ?s ?p ?o }",
    "DROP GRAPH <urn:govgraph:audit>",
    "CLEAR ALL",
    "DROP ALL",
    "MOVE <urn:govgraph:source:estate.ttl> TO <urn:govgraph:audit>",
    "COPY DEFAULT TO <urn:govgraph:audit>",
    "ADD DEFAULT TO <urn:govgraph:audit>",
    "CREATE GRAPH <urn:govgraph:audit2>",
]


@pytest.mark.parametrize("text", ATTEMPTS)
def test_sparql_update_cannot_touch_the_audit_graph(app, text):
    c, st = app.test_client(), app.extensions["govgraph.store"]
    before, rev = audit(st), st.revision
    r = c.post("/sparql/update?source=estate.ttl", data=text, content_type="application/sparql-update",
               headers=auth(app, "admin"))
    assert r.status_code == 400 and "not allowed" in r.get_json()["error"], r.get_data(as_text=True)
    r = c.post("/sparql/update", data={"update": text, "source": "estate.ttl"}, headers=auth(app, "admin"))
    assert r.status_code == 400
    assert audit(st) == before and st.revision == rev


def test_no_other_route_edits_the_audit_graph(app):
    c, st = app.test_client(), app.extensions["govgraph.store"]
    before, history = audit(st), st.history()
    # an update of a source's own triples that names change records touches only that source's copy
    r = c.post("/sparql/update?source=estate.ttl", data="DELETE WHERE { ?c a gov:ChangeRecord ; ?p ?o }",
               content_type="application/sparql-update", headers=auth(app, "admin"))
    assert r.status_code == 200 and not r.get_json()["changed"], r.get_data(as_text=True)
    # the read-only endpoint refuses updates, whatever the method
    for resp in (c.get("/sparql", query_string={"query": "DELETE WHERE { ?s ?p ?o }"}, headers=auth(app, "admin")),
                 c.post("/sparql", data={"query": "CLEAR ALL"}, headers=auth(app, "admin")),
                 c.post("/sparql", data="DROP GRAPH <urn:govgraph:audit>", content_type="application/sparql-update",
                        headers=auth(app, "admin"))):
        assert resp.status_code in (400, 415), resp.get_data(as_text=True)
    # the audit graph is not a source: it cannot be deleted, replaced or read as one
    assert c.delete("/api/v1/sources/urn:govgraph:audit", headers=auth(app, "admin")).status_code == 404
    assert c.get("/api/v1/sources/urn:govgraph:audit").status_code == 404
    r = c.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "urn:govgraph:audit"})
    assert r.status_code == 400
    assert audit(st) == before and st.history() == history
    # a source that carries look-alike change records is data, never history
    forged = (f"<urn:govgraph:change:999:forged> a <https://w3id.org/govgraph#ChangeRecord> ; "
              f"<https://w3id.org/govgraph#revision> 999 ; <https://w3id.org/govgraph#sourceName> \"estate.ttl\" .")
    r = c.put("/api/v1/sources/api/forged", data=TERMS + forged, content_type="text/turtle", headers=auth(app, "editor"))
    assert r.status_code == 201, r.get_data(as_text=True)
    after = st.history()
    assert after[:-1] == history and (after[-1].source, after[-1].action) == ("api/forged", "load")
    assert 999 not in {h.revision for h in after}
