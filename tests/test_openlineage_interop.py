"""OpenLineage events nobody here wrote: Marquez's own test events and the OpenLineage client's,
static lineage (DatasetEvent, JobEvent), database types beside catalogue types, compressed bodies
(openlineage-python's gzip transport, deflate, a zip bomb), and errors that name the field."""
from __future__ import annotations

import gzip
import json
import tracemalloc
import uuid
import zlib
from pathlib import Path

import pyoxigraph as ox
import pytest

from govgraph.errors import BadInput
from govgraph.io.openlineage import (MAX_EVENT_BYTES, InvalidEvent, event_kind, ingest_event, job_iri,
                                     minted_dataset_iri, run_iri, source_name)
from govgraph.io.write import source_triples, write_source
from govgraph.ontology.ns import GOV
from govgraph.webapp.content_coding import CodingError, decoded_body
from support import BASE, EXAMPLES, event, post_lineage  # noqa: F401


@pytest.fixture
def store(interfaces_store):
    """The interfaces estate on each backend (conftest.interfaces_store)."""
    return interfaces_store


FIXTURES = Path(__file__).parent / "fixtures" / "openlineage"
THIRD_PARTY = sorted(p for p in FIXTURES.rglob("*.json"))
#: events Marquez refuses, and so may we (with why)
MARQUEZ_REFUSES = {"fluentd_event_no_run_id.json": "run: 'runId' is a required property"}


def load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def test_fixtures_are_all_there():
    assert len([p for p in THIRD_PARTY if "marquez" in p.parts]) == 23
    assert len([p for p in THIRD_PARTY if "openlineage" in p.parent.name]) == 2
    kinds = [event_kind(load(p)) for p in THIRD_PARTY]
    assert (kinds.count("DatasetEvent"), kinds.count("JobEvent")) == (2, 2)


def test_every_event_marquez_accepts_is_accepted(store):
    """The 23 events of Marquez's tests, the 2 static events of the OpenLineage client's tests and the
    spec's examples, in order: each accepted except the one Marquez refuses too."""
    accepted, refused = [], {}
    for path in THIRD_PARTY + sorted(EXAMPLES.glob("*.json")):
        try:
            res = ingest_event(store, load(path))
            accepted.append(path.name)
            assert store.ask(f"ASK {{ <{res.subject}> ?p ?o }}"), path
        except BadInput as e:
            refused[path.name] = str(e)
    assert len(accepted) == 25 + len(list(EXAMPLES.glob("*.json"))) - len(MARQUEZ_REFUSES)
    assert refused.keys() == MARQUEZ_REFUSES.keys()
    assert all(why in refused[name] for name, why in MARQUEZ_REFUSES.items())
    # what the apples tell: each run, its job and its datasets
    pie = run_iri("bcef9942-cb5c-476a-995b-3e5ca14aff27")
    assert store.ask(f"ASK {{ <{pie}> a prov:Activity ; gov:runState 'COMPLETE' ;"
                     f" prov:used <{minted_dataset_iri('grandmas.kitchen', 'apple.filling')}> ;"
                     f" prov:generated <{minted_dataset_iri('grandmas.kitchen', 'apple.pie')}> ;"
                     f" prov:qualifiedAssociation/prov:hadPlan <{job_iri('grandmas.kitchen', 'prepare_apple_pie')}> }}")


def test_schema_url_is_optional(store):
    ev = load(FIXTURES / "marquez" / "event_without_schema_url.json")
    assert "schemaURL" not in ev
    res = ingest_event(store, ev)
    assert res.write.changed and res.kind == "RunEvent" and not res.warnings
    # still checked against the schema: a bad eventType is refused, naming the field
    with pytest.raises(InvalidEvent) as e:
        ingest_event(store, {**ev, "eventType": "EXPLODED"})
    assert "eventType" in str(e.value)


def test_dataset_event_is_static_lineage(store):
    """A DatasetEvent describes its dataset: no run. Uncatalogued: a prov:Entity with its description;
    catalogued: its schema becomes fields with the database's types as physical types."""
    rev = store.revision
    res = ingest_event(store, load(FIXTURES / "marquez" / "event_dataset_event.json"))
    d = minted_dataset_iri("my-dataset-namespace", "my-dataset-name")
    assert (res.kind, res.subject, res.run, res.source) == ("DatasetEvent", d, None, "openlineage/my-dataset-namespace")
    assert store.revision > rev and store.ask(f"ASK {{ <{d}> a prov:Entity ; gov:alias 'my-dataset-namespace/my-dataset-name' }}")
    assert not store.ask("ASK { ?r a prov:Activity }")
    ev = {"eventTime": "2026-10-01T02:00:00Z", "producer": "https://example.org/catalog-sync",
          "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
          "dataset": {"namespace": "mssql://dwh", "name": "dbo.fact_referral", "facets": {
              "documentation": {"_producer": "https://example.org/p", "_schemaURL": "https://example.org/s",
                                "description": "not the catalogue's words"},
              "schema": {"_producer": "https://example.org/p", "_schemaURL": "https://example.org/s",
                         "fields": [{"name": "referral_id", "type": "INT"}, {"name": "nhs_number", "type": "VARCHAR(10)"}]}}}}
    res = ingest_event(store, ev)
    assert res.subject == f"{BASE}dataset/fact-referral" and res.write.changed
    assert store.ask(f"ASK {{ <{BASE}field/fact-referral.nhs_number> gov:fieldOf <{BASE}dataset/fact-referral> ;"
                     f" gov:physicalType 'VARCHAR(10)' }}")
    # the catalogue keeps its own description
    assert not store.ask(f"ASK {{ <{BASE}dataset/fact-referral> dcterms:description \"not the catalogue's words\" }}")
    assert not ingest_event(store, ev).write.changed  # the same event twice changes nothing


def test_job_event_declares_the_jobs_inputs_and_outputs(store):
    """A JobEvent: the job (prov:Plan) with the datasets it is declared to read and write, no run;
    the next JobEvent restates the whole set."""
    ev = load(FIXTURES / "marquez" / "event_job_event.json")
    res = ingest_event(store, ev)
    j = job_iri("my-scheduler-namespace", "myjob")
    assert (res.kind, res.subject, res.run) == ("JobEvent", j, None)
    inp = minted_dataset_iri("my-datasource-namespace", "instance.schema.input-1")
    out1 = minted_dataset_iri("my-datasource-namespace", "instance.schema.output-1")
    assert store.ask(f"ASK {{ <{j}> a prov:Plan ; gov:declaredInput <{inp}> ; gov:declaredOutput <{out1}> }}")
    assert not store.ask("ASK { ?r a prov:Activity }")
    moved = json.loads(json.dumps(ev))
    moved["eventTime"] = "2021-01-01T00:00:00Z"
    moved["outputs"] = [{"namespace": "mssql://dwh", "name": "dbo.fact_referral"}]
    ingest_event(store, moved)
    assert store.ask(f"ASK {{ <{j}> gov:declaredOutput <{BASE}dataset/fact-referral> }}")
    assert not store.ask(f"ASK {{ <{j}> gov:declaredOutput <{out1}> }}")
    assert store.ask(f"ASK {{ <{j}> gov:declaredInput <{inp}> }}")
    # the OpenLineage client's JobEvent, with schema facets on both sides
    res = ingest_event(store, load(FIXTURES / "openlineage" / "serde_example_job_event.json"))
    assert store.ask(f"ASK {{ <{res.subject}> gov:declaredInput ?a ; gov:declaredOutput ?b }}")


def test_database_types_kept_beside_the_catalogue_types(store):
    """A schema facet with the database's own types on a catalogued dataset whose fields have logical
    types: the run is kept (no violation), each field has both; a changed type replaces the old one."""
    f = ox.NamedNode(f"{BASE}field/fact-referral.nhs_number")
    cat = {ox.Triple(f, ox.NamedNode(str(p)), o) for p, o in (
        (GOV.fieldOf, ox.NamedNode(f"{BASE}dataset/fact-referral")), (GOV.dataType, ox.Literal("text")))}
    cat.add(ox.Triple(f, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(str(GOV.Field))))
    write_source(store, "catalogue/fields", cat, who="test")
    res = ingest_event(store, event())  # nhs_number: varchar, referral_id: int
    assert res.write.changed and store.ask(f"ASK {{ <{res.run}> gov:runState 'COMPLETE' }}")
    assert store.ask(f"ASK {{ <{f.value}> gov:dataType 'text' ; gov:physicalType 'varchar' }}")
    ev = event(run_id=str(uuid.uuid4()))
    ev["outputs"][0]["facets"]["schema"]["fields"][1]["type"] = "nvarchar(10)"
    ingest_event(store, ev)
    types = {str(r["t"]) for r in store.select(f"SELECT ?t WHERE {{ <{f.value}> gov:physicalType ?t }}")}
    assert types == {"nvarchar(10)"}
    assert store.ask(f"ASK {{ <{f.value}> gov:dataType 'text' }}")


def test_a_producer_that_is_not_a_uri(store):
    """Marquez takes any text as producer: kept as an agent of its own, and the run says why."""
    res = ingest_event(store, event(producer="ssis package v2"))
    assert res.write.changed and len(res.warnings) == 1
    assert res.warnings[0].startswith("producer 'ssis package v2' is not an absolute IRI (")
    assert "Invalid IRI code point" in res.warnings[0]  # the whole cause, as pyoxigraph gives it
    assert store.ask(f"ASK {{ <{res.run}> gov:ingestWarning ?w ; prov:qualifiedAssociation/prov:agent ?a ."
                     " ?a rdfs:label 'ssis package v2' }")
    assert res.to_dict()["warnings"] == res.warnings and res.to_dict()["dropped"] == []


def test_errors_name_the_field_and_show_the_whole_cause(store):
    with pytest.raises(InvalidEvent) as e:
        ingest_event(store, {**event(), "run": {"runId": 5}})
    assert "run.runId: 5 is not of type 'string'" in str(e.value)
    with pytest.raises(BadInput) as e:
        ingest_event(store, {**event(), "job": {"namespace": "ssis", "name": "bad\ud800name"}})
    assert "event.job.name" in str(e.value) and "U+D800" in str(e.value)
    long = "x" * 400
    ev = event()
    ev["outputs"][0]["facets"]["schema"]["fields"] = long
    res = ingest_event(store, ev)
    assert res.warnings and long in res.warnings[0] and "outputs[0].facets.schema.fields" in res.warnings[0]


# ----------------------------------------------------------------------------- compressed bodies

def test_decoded_body_limits_what_it_inflates():
    body = json.dumps(event()).encode()
    assert decoded_body(gzip.compress(body), "gzip", 10_000) == body
    assert decoded_body(gzip.compress(body[:50]) + gzip.compress(body[50:]), "gzip", 10_000) == body  # two members
    assert decoded_body(zlib.compress(body), "deflate", 10_000) == body
    raw = zlib.compressobj(wbits=-15)
    assert decoded_body(raw.compress(body) + raw.flush(), "deflate", 10_000) == body  # raw deflate
    assert decoded_body(body, None, 10) == body and decoded_body(body, "identity", 10) == body
    gz = gzip.compress(body)
    for data, coding, limit, status in ((body, "br", 10_000, 415), (gz, "gzip, gzip", 10_000, 415),
                                        (b"not gzip", "gzip", 10_000, 400), (gz[:-12], "gzip", 10_000, 400),
                                        (gz + b"junk", "gzip", 10_000, 400), (gz, "gzip", 100, 413),
                                        (zlib.compress(body), "deflate", 100, 413)):
        with pytest.raises(CodingError) as e:
            decoded_body(data, coding, limit)
        assert e.value.status == status, (coding, status, str(e.value))
    # a bomb: 200 MB of zeros in ~200 KB; decoding stops at the limit, memory stays near it
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    packed = b"".join(bomb.compress(chunk) for _ in range(200)) + bomb.flush()
    assert len(packed) < 1_000_000
    tracemalloc.start()
    with pytest.raises(CodingError) as e:
        decoded_body(packed, "gzip", 5_000_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert e.value.status == 413 and peak < 3 * 5_000_000


def _post(srv, body: bytes, token: str, coding: str | None = None):
    return post_lineage(srv.url, body, token, coding=coding)


def test_openlineage_python_gzip_transport_all_three_kinds(live):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (DatasetEvent, InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent,
                                             RunState, StaticDataset)
    from openlineage.client.facet_v2 import schema_dataset
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    transport = HttpTransport(HttpConfig(url=srv.url, endpoint="api/v1/lineage", compression="gzip",
                                         auth=ApiKeyTokenProvider({"apiKey": editor})))
    client = OpenLineageClient(transport=transport)
    rid = str(uuid.uuid4())
    schema = schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="nhs_number", type="varchar")])
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime="2026-10-01T02:00:00Z", run=Run(runId=rid),
                             job=Job(namespace="ssis", name="load_fact_referral"),
                             inputs=[InputDataset(namespace="mssql://mosaic", name="dbo.referrals")],
                             outputs=[OutputDataset(namespace="mssql://dwh", name="dbo.fact_referral",
                                                    facets={"schema": schema})],
                             producer="https://example.org/test"))
    client.emit(JobEvent(eventTime="2026-10-01T03:00:00Z", producer="https://example.org/test",
                         job=Job(namespace="ssis", name="load_fact_referral"),
                         inputs=[InputDataset(namespace="mssql://mosaic", name="dbo.referrals")],
                         outputs=[OutputDataset(namespace="mssql://dwh", name="dbo.fact_referral")]))
    client.emit(DatasetEvent(eventTime="2026-10-01T03:00:00Z", producer="https://example.org/test",
                             dataset=StaticDataset(namespace="s3://exports", name="referrals.csv")))
    assert st.ask(f"ASK {{ <{run_iri(rid)}> gov:runState 'COMPLETE' ; prov:generated <{BASE}dataset/fact-referral> }}")
    assert st.ask(f"ASK {{ <{BASE}field/fact-referral.nhs_number> gov:physicalType 'varchar' }}")
    assert st.ask(f"ASK {{ <{job_iri('ssis', 'load_fact_referral')}> gov:declaredOutput <{BASE}dataset/fact-referral> }}")
    assert st.ask(f"ASK {{ <{minted_dataset_iri('s3://exports', 'referrals.csv')}> a prov:Entity }}")


def test_http_deflate_and_bombs(live):
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    body = json.dumps(load(FIXTURES / "marquez" / "event_simple.json")).encode()
    status, res = _post(srv, zlib.compress(body), editor, "deflate")
    assert status == 201 and res["kind"] == "RunEvent"
    assert _post(srv, gzip.compress(body), editor, "gzip")[0] == 200  # the same event: nothing new
    rev = st.revision
    bomb = gzip.compress(b"[" + b" " * (MAX_EVENT_BYTES + 10) + b"]", 9)
    status, res = _post(srv, bomb, editor, "gzip")
    assert status == 413 and "once decoded" in res["error"]
    status, res = _post(srv, body, editor, "br")
    assert status == 415 and "'br'" in res["error"]
    status, res = _post(srv, gzip.compress(body)[:-20], editor, "gzip")
    assert status == 400 and "not valid gzip" in res["error"]
    assert st.revision == rev
    # a static event over HTTP answers with what it described
    status, res = _post(srv, (FIXTURES / "marquez" / "event_dataset_event.json").read_bytes(), editor)
    assert status == 201 and res["kind"] == "DatasetEvent" and res["run"] is None
    assert res["source"] == source_name(load(FIXTURES / "marquez" / "event_dataset_event.json"))
    assert res["subject"] in {t.subject.value for t in source_triples(st, res["source"])}


def test_cli_ingests_static_lineage_and_names_warnings(tmp_path, any_store_url):
    from click.testing import CliRunner

    from govgraph.cli import main
    lines = [load(FIXTURES / "marquez" / n) for n in ("event_job_event.json", "event_dataset_event.json",
                                                         "event_required_only.json")]
    lines.append(event(producer="ssis package v2"))
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join(json.dumps(e) for e in lines))
    r = CliRunner().invoke(main, ["ingest-openlineage", str(f), "--store", any_store_url])
    assert r.exit_code == 0, r.output
    assert "ingested 4 events: 4 changed the graph, 0 were already recorded" in r.output
    assert f"warning: RunEvent {run_iri(lines[3]['run']['runId'])}: producer 'ssis package v2' is not an absolute IRI" in r.output
