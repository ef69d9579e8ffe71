"""Discovered datasets (govgraph.discovered): a dataset first seen in an OpenLineage run that the catalogue
does not describe is searchable as "discovered, not yet catalogued", its system guessed from its namespace,
counted on the dashboard and asked about by a principle 7 finding; catalogued later, it is an ordinary
dataset with its lineage intact. Real events posted to a served app, on both backends."""
from __future__ import annotations

import json
import urllib.parse
import uuid

from govgraph import live as views
from govgraph.io.load import load_files
from govgraph.io.openlineage import minted_dataset_iri, run_iri
from govgraph.search_index import SEARCH_VIEW
from govgraph.shapes.kept import VALIDATION_VIEW
from support import BASE, event, get, post_lineage

NEW = minted_dataset_iri("mssql://mosaic", "dbo.referral_notes")      # a namespace the catalogue's datasets share
ELSEWHERE = minted_dataset_iri("s3://scratch", "exports/notes.csv")  # a namespace nothing matches
MOSAIC = BASE + "system/mosaic"


def _api(srv, path: str, **params) -> dict:
    status, _, body = get(srv.url + "/api/v1/" + path + "?" + urllib.parse.urlencode(params))
    assert status == 200, body[:300]
    return json.loads(body)


def _post_run(srv, token: str) -> str:
    rid = str(uuid.uuid4())
    ev = event(run_id=rid, outputs=[{"namespace": "mssql://mosaic", "name": "dbo.referral_notes",
                                     "facets": {"documentation": {
                                         "_producer": "https://example.org/p",
                                         "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/"
                                                       "DocumentationDatasetFacet.json",
                                         "description": "Notes written by the referral triage job."}}},
                                    {"namespace": "s3://scratch", "name": "exports/notes.csv"}])
    status, body = post_lineage(srv.url, json.dumps(ev).encode(), token)
    assert status == 201, body
    return rid


def _walk(answer: dict) -> tuple:
    return sorted(n["iri"] for n in answer["nodes"]), sorted(json.dumps(e, sort_keys=True) for e in answer["edges"])


def _findings(srv, focus: str) -> list[dict]:
    return [f for f in _api(srv, "validation", focus=focus)["findings"] if f["shape"].endswith("DiscoveredDataset")]


def test_discovered_dataset_is_searchable_counted_and_asked_about(live):
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    _, _, page = get(srv.url + "/")
    assert b"Discovered dataset" not in page
    rid = _post_run(srv, editor)

    hits = {i["iri"]: i for i in _api(srv, "search", q="referral notes")["items"]}
    assert hits[NEW]["kind"] == "discovered"
    assert hits[NEW]["description"] == "Discovered, not yet catalogued. Notes written by the referral triage job."
    assert ELSEWHERE in {i["iri"] for i in _api(srv, "search", q="not yet catalogued")["items"]}

    # its system guessed from the namespace its catalogue neighbours share; none where nothing matches
    assert st.ask(f"ASK {{ <{NEW}> gov:guessedSystem <{MOSAIC}> }}")
    assert not st.ask(f"ASK {{ <{ELSEWHERE}> gov:guessedSystem ?s }}")
    status, _, page = get(srv.url + "/search?" + urllib.parse.urlencode({"kind": "discovered", "system": MOSAIC}))
    assert status == 200 and b"dbo.referral_notes" in page and b"exports/notes.csv" not in page

    # the dashboard counts them; a finding (principle 7, a warning: the run was not refused) asks for an owner
    _, _, page = get(srv.url + "/")
    assert b"Discovered datasets" in page and b"kind=discovered" in page
    for iri in (NEW, ELSEWHERE):
        (f,) = _findings(srv, iri)
        assert f["principle"] == 7 and f["severity"] == "Warning"
        assert "owner" in f["message"] and "classification" in f["message"]
    assert st.ask(f"ASK {{ <{run_iri(rid)}> prov:generated <{NEW}> }}")


def test_cataloguing_a_discovered_dataset_keeps_its_lineage(live, tmp_path):
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    rid = _post_run(srv, editor)
    assert _findings(srv, NEW)
    upstream_before = _api(srv, "lineage/upstream", iri=NEW)
    assert BASE + "dataset/referrals" in json.dumps(upstream_before)
    assert {i["iri"]: i["kind"] for i in _api(srv, "search", q="referral notes")["items"]}[NEW] == "discovered"

    # a curator's load describes the same IRI
    ttl = tmp_path / "notes.ttl"
    ttl.write_text(f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix gov: <https://w3id.org/govgraph#> .
<{NEW}> a dcat:Dataset ; dcterms:title "Referral notes" ; dcterms:description "Triage notes on referrals." ;
  gov:owner <{BASE}person/ann> ; gov:steward <{BASE}person/sam> ; gov:heldIn <{MOSAIC}> ;
  gov:classification gov:Official .
""")
    load_files(st, [ttl], force=True)

    hits = {i["iri"]: i for i in _api(srv, "search", q="referral notes")["items"]}
    assert hits[NEW]["kind"] == "dataset" and hits[NEW]["label"] == "Referral notes"
    assert "not yet catalogued" not in hits[NEW]["description"]
    assert NEW not in {i["iri"] for i in _api(srv, "search", q="not yet catalogued")["items"]}
    assert not _findings(srv, NEW) and _findings(srv, ELSEWHERE)
    upstream_after = _api(srv, "lineage/upstream", iri=NEW)
    assert _walk(upstream_after) == _walk(upstream_before)  # the same nodes and links, its node now a dataset
    assert {n["iri"]: n["kind"] for n in upstream_after["nodes"]}[NEW] == "dataset"
    assert st.ask(f"ASK {{ <{run_iri(rid)}> prov:generated <{NEW}> }}")
    status, _, page = get(srv.url + "/search?kind=discovered")
    assert b"exports/notes.csv" in page and b"dbo.referral_notes" not in page

    # the views were brought up to date by applying the changes, and equal a fresh build
    m = views.memo(st)
    assert m.stats["search"].applied, m.stats
    assert m.stats["validation"].applied, m.stats
    fresh_search, fresh_report = SEARCH_VIEW.build(st), VALIDATION_VIEW.build(st)
    assert views.view(st, SEARCH_VIEW).entries == fresh_search.entries
    assert sorted(views.view(st, VALIDATION_VIEW).report.findings, key=lambda f: f.sort_key()) == \
        sorted(fresh_report.report.findings, key=lambda f: f.sort_key())


def test_cataloguing_under_another_iri_moves_the_lineage_by_alias(live, tmp_path):
    """The catalogue describes the discovered dataset under the council's own IRI with its alias: the runs and
    its lineage move onto that dataset, and the discovered node is gone from search and findings."""
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    rid = _post_run(srv, editor)
    rid2 = str(uuid.uuid4())  # a second run reads it
    ev = event(run_id=rid2, inputs=[{"namespace": "mssql://mosaic", "name": "dbo.referral_notes"}],
               outputs=[{"namespace": "s3://scratch", "name": "exports/summary.csv"}])
    status, body = post_lineage(srv.url, json.dumps(ev).encode(), editor)
    assert status == 201, body
    upstream_before = _api(srv, "lineage/upstream", iri=NEW)
    downstream_before = _api(srv, "lineage/downstream", iri=NEW)
    assert "exports%2Fsummary.csv" in json.dumps(downstream_before)

    own = BASE + "dataset/referral-notes"
    ttl = tmp_path / "notes.ttl"
    ttl.write_text(f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix gov: <https://w3id.org/govgraph#> .
<{own}> a dcat:Dataset ; dcterms:title "Referral notes" ; dcterms:description "Triage notes on referrals." ;
  gov:owner <{BASE}person/ann> ; gov:steward <{BASE}person/sam> ; gov:heldIn <{MOSAIC}> ;
  gov:classification gov:Official ; gov:alias "mssql://mosaic/dbo.referral_notes" .
""")
    (res,) = load_files(st, [ttl], force=True)
    (moved,) = res.catalogued
    assert (moved.discovered, moved.dataset) == (NEW, own) and len(moved.sources) == 1
    assert moved.sources[0].startswith("openlineage/")

    # nothing points at the discovered node any more; the runs and the column point at the catalogue's dataset
    assert not st.ask(f"ASK {{ {{ <{NEW}> ?p ?o }} UNION {{ ?s ?p <{NEW}> }} }}")
    assert st.ask(f"ASK {{ <{run_iri(rid)}> prov:generated <{own}> . <{run_iri(rid2)}> prov:used <{own}> }}")
    assert not st.ask(f"ASK {{ <{own}> a prov:Entity }}") and not st.ask(f"ASK {{ <{own}> gov:guessedSystem ?s }}")

    def renamed(answer: dict) -> tuple:
        return _walk(json.loads(json.dumps(answer).replace(NEW, own)))
    assert _walk(_api(srv, "lineage/upstream", iri=own)) == renamed(upstream_before)
    assert _walk(_api(srv, "lineage/downstream", iri=own)) == renamed(downstream_before)
    hits = {i["iri"]: i for i in _api(srv, "search", q="referral notes")["items"]}
    assert NEW not in hits and hits[own]["kind"] == "dataset"
    assert not _findings(srv, NEW) and not _findings(srv, own) and _findings(srv, ELSEWHERE)
    rec = st.history()[-1]
    assert rec.source.startswith("openlineage/") and "catalogued" in rec.note and own in rec.note

    # a later run naming the dataset resolves to the catalogue's IRI; loading again moves nothing
    rid3 = _post_run(srv, editor)
    assert st.ask(f"ASK {{ <{run_iri(rid3)}> prov:generated <{own}> }}")
    assert not st.ask(f"ASK {{ ?s ?p <{NEW}> }}")
    ttl.write_text(ttl.read_text().replace("Triage notes on referrals.", "Triage notes."))
    (again,) = load_files(st, [ttl], force=True, replace=True)
    assert again.catalogued == []

    # every maintained view equals a fresh build
    fresh_search, fresh_report = SEARCH_VIEW.build(st), VALIDATION_VIEW.build(st)
    assert views.view(st, SEARCH_VIEW).entries == fresh_search.entries
    assert sorted(views.view(st, VALIDATION_VIEW).report.findings, key=lambda f: f.sort_key()) == \
        sorted(fresh_report.report.findings, key=lambda f: f.sort_key())


def test_an_upload_cataloguing_a_discovered_dataset_says_so(live):
    """Through the write API: the answer names what was catalogued; the run now generates the upload's dataset."""
    import urllib.request
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    rid = _post_run(srv, editor)
    own = BASE + "dataset/referral-notes"
    ttl = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix gov: <https://w3id.org/govgraph#> .
<{own}> a dcat:Dataset ; dcterms:title "Referral notes" ; gov:owner <{BASE}person/ann> ;
  gov:steward <{BASE}person/sam> ; gov:heldIn <{MOSAIC}> ; gov:classification gov:Official ;
  gov:alias "mssql://mosaic/dbo.referral_notes" .
"""
    req = urllib.request.Request(srv.url + "/api/v1/sources/curated?as_is=true", data=ttl.encode(), method="PUT",
                                 headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {editor}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 201
        body = json.loads(r.read())
    (moved,) = body["catalogued"]
    assert moved["discovered"] == NEW and moved["dataset"] == own and moved["sources"][0].startswith("openlineage/")
    assert st.ask(f"ASK {{ <{run_iri(rid)}> prov:generated <{own}> }}")
    assert not st.ask(f"ASK {{ ?s ?p <{NEW}> }}")
