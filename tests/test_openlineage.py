"""OpenLineage ingest: schema validation with the local spec, mapping to PROV and fields, run states,
idempotence, the openlineage-python client's HTTP transport against a live server, and the CLI."""
from __future__ import annotations

import json
import uuid

import pytest

from govgraph.errors import BadInput
from govgraph.io.openlineage import InvalidEvent, ingest_event, run_iri, validate_event
from govgraph.io.load import load_files
from govgraph.store import open_store
from support import BASE, ESTATE, EXAMPLES, event, post_lineage  # noqa: F401



@pytest.fixture
def store(interfaces_store):
    """The interfaces estate on each backend (conftest.interfaces_store)."""
    return interfaces_store


def ask(store, q: str) -> bool:
    return store.ask(q)


def test_run_becomes_activity_matched_by_alias(store):
    res = ingest_event(store, event())
    assert res.write.changed
    run = run_iri("0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01")
    assert ask(store, f"ASK {{ <{run}> a prov:Activity ; prov:used <{BASE}dataset/referrals> ;"
                      f" prov:generated <{BASE}dataset/fact-referral> ; gov:runState 'COMPLETE' }}")
    # schema facet -> fields of the catalogue dataset; columnLineage -> field derivation
    assert ask(store, f"ASK {{ <{BASE}field/fact-referral.nhs_number> a gov:Field ;"
                      f" gov:fieldOf <{BASE}dataset/fact-referral> ; gov:physicalType 'varchar' ;"
                      f" gov:derivedFromField <{BASE}field/referrals.nhs> ; gov:transformation 'copied' }}")


def test_unknown_datasets_get_stable_iris(store):
    ev = event()
    ev["outputs"] = [{"namespace": "s3://bucket", "name": "exports/referrals.csv"}]
    ingest_event(store, ev)
    ingest_event(store, event(run_id=str(uuid.uuid4()), outputs=ev["outputs"]))
    rows = store.select("SELECT DISTINCT ?d WHERE { ?r prov:generated ?d }")
    assert [str(r["d"]) for r in rows] == [BASE + "dataset/openlineage/s3%3A%2F%2Fbucket/exports%2Freferrals.csv"]
    assert ask(store, "ASK { ?d gov:alias 's3://bucket/exports/referrals.csv' ; a prov:Entity }")


def test_same_event_twice_changes_nothing(store):
    ingest_event(store, event())
    rev, n = store.revision, store.triple_count()
    again = ingest_event(store, event())
    assert not again.write.changed and store.revision == rev and store.triple_count() == n


def test_start_then_complete_and_late_start(store):
    rid = str(uuid.uuid4())
    ingest_event(store, event("START", rid, "2026-10-01T01:00:00Z"))
    run = run_iri(rid)
    assert ask(store, f"ASK {{ <{run}> gov:runState 'START' ; prov:startedAtTime ?t }}")
    ingest_event(store, event("COMPLETE", rid, "2026-10-01T01:30:00Z"))
    assert ask(store, f"ASK {{ <{run}> gov:runState 'COMPLETE' ; prov:endedAtTime ?e ; prov:startedAtTime ?s }}")
    rev = store.revision
    ingest_event(store, event("START", rid, "2026-10-01T01:00:00Z"))  # a late duplicate START
    assert store.revision == rev and ask(store, f"ASK {{ <{run}> gov:runState 'COMPLETE' }}")


def test_failed_run_generates_nothing(store):
    rid = str(uuid.uuid4())
    ingest_event(store, event("START", rid, "2026-10-01T01:00:00Z"))
    ingest_event(store, event("FAIL", rid, "2026-10-01T01:05:00Z"))
    run = run_iri(rid)
    assert ask(store, f"ASK {{ <{run}> gov:runState 'FAIL' ; prov:used ?i }}")
    assert not ask(store, f"ASK {{ <{run}> prov:generated ?o }}")


def test_an_event_without_a_run_id_is_refused(store):
    rev = store.revision
    with pytest.raises(InvalidEvent):
        ingest_event(store, json.loads((EXAMPLES / "fluentd_event_no_run_id.json").read_text()))
    assert store.revision == rev


@pytest.mark.parametrize("name,facet", [("fluentd_event_invalid_dataset_facet.json", "outputs[0].facets.ownership"),
                                        ("fluentd_event_invalid_job_facet.json", "job.facets.ownership"),
                                        ("fluentd_event_invalid_run_facet.json", "run.facets.parent")])
def test_a_facet_off_its_schema_is_dropped_with_a_warning(store, name, facet):
    """As Marquez does: the run is kept; the facet that breaks its own schema is left out, and the
    run records why (the schema's whole complaint, naming the field)."""
    res = ingest_event(store, json.loads((EXAMPLES / name).read_text()))
    assert res.write.changed
    assert len(res.warnings) == 1 and res.warnings[0].startswith(facet + " dropped")
    assert "is a required property" in res.warnings[0] and facet + "." in res.warnings[0]
    assert ask(store, f"ASK {{ <{res.run}> a prov:Activity ; gov:ingestWarning ?w }}")
    assert res.to_dict()["dropped"] == res.warnings
    with pytest.raises(InvalidEvent):
        validate_event(json.loads((EXAMPLES / name).read_text()))  # strict validation still says what is wrong


@pytest.mark.parametrize("name", ["client_python_example_full_event.json", "client_python_serde_example_run_event.json",
                                  "fluentd_event_simple.json"])
def test_valid_example_events_ingested(store, name):
    res = ingest_event(store, json.loads((EXAMPLES / name).read_text()))
    assert res.write.changed
    assert ask(store, f"ASK {{ <{res.run}> a prov:Activity }}")


def test_schema_failures(store):
    for bad in ({"eventType": "START"}, [], {**event(), "eventType": "EXPLODED"},
                {**event(), "run": {"runId": "not-a-uuid"}} if False else {**event(), "run": {}},
                {**event(), "eventTime": 5}):
        with pytest.raises(BadInput):
            ingest_event(store, bad)


def test_cli_ingest(tmp_path, any_store_url):
    from click.testing import CliRunner
    from govgraph.cli import main
    url = any_store_url
    st = open_store(url)
    load_files(st, [ESTATE], force=True)
    st.close()
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join(json.dumps(e) for e in (event("START", time="2026-10-01T01:00:00Z"), event(), event())))
    r = CliRunner().invoke(main, ["ingest-openlineage", str(f), "--store", url])
    assert r.exit_code == 0, r.output
    assert "ingested 3 events: 2 changed the graph, 1 were already recorded" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(event()) + "\n{not json\n")
    r = CliRunner().invoke(main, ["ingest-openlineage", str(bad), "--store", url])
    assert r.exit_code == 1 and "bad.jsonl:2" in r.output


# ----------------------------------------------------------------------------- over HTTP

def test_openlineage_python_client_http_transport(live):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
    srv, editor, _ = live
    transport = HttpTransport(HttpConfig(url=srv.url, endpoint="api/v1/lineage",
                                         auth=ApiKeyTokenProvider({"apiKey": editor})))
    client = OpenLineageClient(transport=transport)
    rid = str(uuid.uuid4())
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime="2026-10-01T02:00:00Z", run=Run(runId=rid),
                             job=Job(namespace="ssis", name="load_fact_referral"),
                             inputs=[InputDataset(namespace="mssql://mosaic", name="dbo.referrals")],
                             outputs=[OutputDataset(namespace="mssql://dwh", name="dbo.fact_referral")],
                             producer="https://example.org/test"))
    st = srv.app.extensions["govgraph.store"]
    assert st.ask(f"ASK {{ <{run_iri(rid)}> gov:runState 'COMPLETE' ; prov:generated <{BASE}dataset/fact-referral> }}")


def _post(srv, body: bytes, token: str | None, ctype="application/json"):
    return post_lineage(srv.url, body, token, ctype=ctype)


def test_http_bad_input_writes_nothing(live):
    srv, editor, reader = live
    st = srv.app.extensions["govgraph.store"]
    rev = st.revision
    good = json.dumps(event()).encode()
    assert _post(srv, good, None)[0] == 401
    assert _post(srv, good, "wrong-token")[0] == 401
    assert _post(srv, good, reader)[0] == 403
    assert _post(srv, good, editor, "text/plain")[0] == 415
    assert _post(srv, b"{not json", editor)[0] == 400
    status, body = _post(srv, json.dumps({**event(), "eventType": "EXPLODED"}).encode(), editor)
    assert status == 400 and "eventType" in body["error"]
    status, body = _post(srv, json.dumps(json.loads((EXAMPLES / "fluentd_event_no_run_id.json").read_text())).encode(), editor)
    assert status == 400 and body["errors"]
    assert st.revision == rev
    status, body = _post(srv, json.dumps(json.loads((EXAMPLES / "fluentd_event_invalid_dataset_facet.json").read_text())).encode(), editor)
    assert status == 201 and "ownership dropped" in body["dropped"][0]
    rev = st.revision
    assert _post(srv, good, editor)[0] == 201
    assert _post(srv, good, editor)[0] == 200
