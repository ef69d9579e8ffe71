"""OpenLineage ingest as small patches with group commit: history, concurrency, refusals, and the
validation that runs only the checks a change can affect."""
from __future__ import annotations

import json
import threading
import uuid

import pyoxigraph as ox
import pytest

from govgraph.errors import ValidationFailed
from govgraph.io import openlineage as ol
from govgraph.io.openlineage import validate_event, InvalidEvent, ingest_event, run_iri, source_name
from govgraph.io.write import source_triples, write_source
from govgraph.shapes.change import ChangeView, shapes_of, validate_change
from govgraph.store import source_graph_iri
from support import BASE, EXAMPLES, event, post_lineage  # noqa: F401


@pytest.fixture
def store(interfaces_store):
    """The interfaces estate on each backend (conftest.interfaces_store)."""
    return interfaces_store


FIELD = f"{BASE}system/dwh/field.nhs_number"


def misfiled(store, run_id: str) -> dict:
    """An event whose output's alias names a system, not a dataset, in the catalogue: the columns of
    its schema facet would be fields of a system, which the shapes refuse (FieldCore-fieldOf)."""
    from govgraph.ontology.ns import GOV
    alias = ox.Triple(ox.NamedNode(f"{BASE}system/dwh"), ox.NamedNode(str(GOV.alias)), ox.Literal("mssql://dwh/master"))
    if not store.contains(alias.subject, alias.predicate, alias.object, None):
        write_source(store, "catalogue/aliases", {alias}, who="test")
    ev = event(run_id=run_id)
    ev["outputs"][0]["name"] = "master"
    return ev


def count(store, name: str) -> int:
    g = ox.NamedNode(source_graph_iri(name))
    return sum(1 for _ in store.quads(None, None, None, g))


def test_patch_ingest_records_history(store):
    rid = str(uuid.uuid4())
    first = ingest_event(store, event("START", rid, "2026-10-01T01:00:00Z"))
    second = ingest_event(store, event("COMPLETE", rid, "2026-10-01T01:30:00Z"))
    name = first.source
    hist = store.history(name)
    assert [h.action for h in hist] == ["load", "patch"]
    assert second.write.record.revision == hist[-1].revision and second.write.record.action == "patch"
    # START -> COMPLETE replaces the state and adds the end time: nothing else
    assert (hist[-1].added, hist[-1].removed) == (2, 1)
    assert store.source(name).triples == count(store, name) == second.write.triples
    assert store.ask(f"ASK {{ <{run_iri(rid)}> gov:runState 'COMPLETE' }}")
    assert not store.ask(f"ASK {{ <{run_iri(rid)}> gov:runState 'START' }}")


def test_concurrent_events_all_applied(store):
    runs = [str(uuid.uuid4()) for _ in range(12)]
    evs = []
    for i, rid in enumerate(runs):
        job = {"namespace": "airflow", "name": f"job_{i % 3}"}
        evs.append([event("START", rid, "2026-10-01T01:00:00Z", job=job),
                     event("COMPLETE", rid, "2026-10-01T01:30:00Z", job=job),
                     event("COMPLETE", rid, "2026-10-01T01:30:00Z", job=job)])  # a retry: changes nothing
    results, errors = [], []
    barrier = threading.Barrier(len(evs))

    def post(items):
        barrier.wait()
        for ev in items:
            try:
                results.append(ingest_event(store, ev))
            except Exception as e:  # noqa: BLE001
                errors.append(e)
    threads = [threading.Thread(target=post, args=(items,)) for items in evs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r.write.changed for r in results) == 2 * len(runs)
    for rid in runs:
        assert store.ask(f"ASK {{ <{run_iri(rid)}> gov:runState 'COMPLETE' ; prov:startedAtTime ?s ; prov:endedAtTime ?e }}")
    for name in {source_name(e) for items in evs for e in items}:
        assert store.source(name).triples == count(store, name)
    # the same again changes nothing
    rev = store.revision
    assert not any(ingest_event(store, e).write.changed for items in evs for e in items)
    assert store.revision == rev


def test_violation_refused_with_nothing_written_and_same_as_full_validation(store):
    ingest_event(store, event())
    bad = misfiled(store, str(uuid.uuid4()))
    rev, n = store.revision, sum(s.triples for s in store.sources())
    with pytest.raises(ValidationFailed) as e:
        ingest_event(store, bad)
    assert store.revision == rev and sum(s.triples for s in store.sources()) == n
    assert {f.focus for f in e.value.report.violations} == {FIELD, FIELD.replace("nhs_number", "referral_id")}
    # the whole-source write path with full validation refuses the same violations
    name = source_name(bad)
    current = source_triples(store, name)
    triples = set(ol.event_triples(bad, ol.resolve_datasets(store, ol._datasets_of(bad))))
    with pytest.raises(ValidationFailed) as full:
        write_source(store, name, current | triples, who="test", current=current)
    assert {f.key() for f in full.value.report.violations} == {f.key() for f in e.value.report.violations}
    assert store.revision == rev


def test_refused_event_does_not_block_its_round(store):
    ingest_event(store, event())
    good = [event("COMPLETE", str(uuid.uuid4()), job={"namespace": "airflow", "name": f"j{i}"}) for i in range(5)]
    bad = misfiled(store, str(uuid.uuid4()))
    rev = store.revision
    out: dict[int, object] = {}
    barrier = threading.Barrier(len(good) + 1)

    def post(i, ev):
        barrier.wait()
        try:
            out[i] = ingest_event(store, ev)
        except Exception as e:  # noqa: BLE001
            out[i] = e
    threads = [threading.Thread(target=post, args=(i, ev)) for i, ev in enumerate(good + [bad])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(out[len(good)], ValidationFailed)
    assert all(out[i].write.changed for i in range(len(good)))
    assert store.revision > rev
    assert not store.ask(f"ASK {{ <{FIELD}> ?p ?o }}")


def test_http_violation_422(live):  # noqa: F811
    srv, editor, _ = live
    st = srv.app.extensions["govgraph.store"]
    assert post_lineage(srv.url, json.dumps(event()).encode(), editor)[0] == 201
    bad = misfiled(st, str(uuid.uuid4()))
    rev = st.revision
    status, body = post_lineage(srv.url, json.dumps(bad).encode(), editor)
    assert status == 422 and body["report"] and st.revision == rev
    status, body = post_lineage(srv.url, json.dumps(event()).encode(), editor)
    assert status == 200 and not body["changed"] and st.revision == rev


def test_invalid_facet_dropped_every_time(store):
    ev = json.loads((EXAMPLES / "fluentd_event_invalid_dataset_facet.json").read_text())
    for _ in range(2):  # the second answer comes from the facet cache
        res = ingest_event(store, ev)
        assert res.warnings and "ownership dropped" in res.warnings[0]
        with pytest.raises(InvalidEvent) as e:
            validate_event(ev)
        assert e.value.errors
    assert "ownership" in json.dumps(ev)  # the caller's event is left as it was


def test_validation_runs_only_checks_the_change_can_affect(store):
    from govgraph.shapes.validate import plan_for
    plan = plan_for(shapes_of())
    reads = {c.shape: c.reads for c in plan.checks}
    assert all(r is not None for r in reads.values())  # no variable predicates in the principle shapes
    orphan = [r for s, r in reads.items() if s.endswith("LineageOrphan")][0]
    assert "http://www.w3.org/ns/prov#generated" in orphan and "https://w3id.org/govgraph#systemOfRecord" in orphan
    # a run's state change touches no shape: nothing runs, nothing is refused
    ingest_event(store, event("START", "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01", "2026-10-01T01:00:00Z"))
    run = ox.NamedNode(run_iri("0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01"))
    state = ox.NamedNode("https://w3id.org/govgraph#runState")
    rep = validate_change(ChangeView(store, store.graphs(), exact=False),
                          {ox.Triple(run, state, ox.Literal("COMPLETE"))}, set())
    assert rep.findings == []


def test_jobs_of_one_namespace_share_one_source(store):
    a = ingest_event(store, event("START", str(uuid.uuid4()), "2026-10-01T01:00:00Z",
                                  job={"namespace": "airflow", "name": "load_referrals"}))
    b = ingest_event(store, event("START", str(uuid.uuid4()), "2026-10-01T01:00:00Z",
                                  job={"namespace": "airflow", "name": "build_cin_census"}))
    c = ingest_event(store, event("START", str(uuid.uuid4()), "2026-10-01T01:00:00Z",
                                  job={"namespace": "dbt-prod", "name": "build_cin_census"}))
    assert a.source == b.source == "openlineage/airflow" and c.source == "openlineage/dbt-prod"
    names = [s.name for s in store.sources() if s.name.startswith("openlineage/")]
    assert sorted(names) == ["openlineage/airflow", "openlineage/dbt-prod"]
    # each run still names its own job
    jobs = {str(r["job"]) for r in store.select(
        "SELECT ?job WHERE { ?run prov:qualifiedAssociation/prov:hadPlan ?job }", graphs=[
            ox.NamedNode(source_graph_iri("openlineage/airflow"))])}
    assert jobs == {ol.job_iri("airflow", "load_referrals"), ol.job_iri("airflow", "build_cin_census")}
