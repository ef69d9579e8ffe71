"""Change history and as-of views: load, change and remove, then ask for each earlier moment."""
from __future__ import annotations

import datetime as dt

import pytest
from rdflib import URIRef

from govgraph.errors import BadInput
from govgraph.history import asset_asof, asset_history, parse_when, store_asof

A = "http://ex/a"
V1 = b'@prefix ex: <http://ex/> . ex:a ex:name "one" ; ex:owner ex:jane . ex:b ex:name "bee" .'
V2 = b'@prefix ex: <http://ex/> . ex:a ex:name "two" ; ex:owner ex:jane . ex:b ex:name "bee" .'
OTHER = b'@prefix ex: <http://ex/> . ex:a ex:steward ex:sam .'


def write(store, name, data, replace=False):
    with store.begin(name, replace=replace) as txn:
        txn.load(data=data, fmt="turtle")
        return txn.commit()


def names(triples):
    return sorted(str(o) for s, p, o in triples if str(p) == "http://ex/name")


def test_load_change_remove_then_ask_each_earlier_moment(any_store):
    r1 = write(any_store, "s", V1)
    r2 = write(any_store, "other", OTHER)
    r3 = write(any_store, "s", V2, replace=True)
    r4 = any_store.remove_source("other")
    assert [r.revision for r in (r1, r2, r3, r4)] == [1, 2, 3, 4]
    assert names(asset_asof(any_store, A, r1.at)) == ["one"]
    assert names(asset_asof(any_store, A, r3.at)) == ["two"]
    # the steward came with "other" and left with it
    stewards = lambda ts: [str(o) for s, p, o in ts if str(p) == "http://ex/steward"]
    assert stewards(asset_asof(any_store, A, r1.at)) == []
    assert stewards(asset_asof(any_store, A, r2.at)) == ["http://ex/sam"]
    assert stewards(asset_asof(any_store, A, r3.at)) == ["http://ex/sam"]
    assert stewards(asset_asof(any_store, A, r4.at)) == []
    # a whole past store answers SPARQL as it was
    past = store_asof(any_store, r2.at)
    assert sorted(s.name for s in past.sources()) == ["other", "s"]
    rows = past.select("SELECT ?n WHERE { <http://ex/a> <http://ex/name> ?n }")
    assert [str(r["n"]) for r in rows] == ["one"]
    now = store_asof(any_store, r4.at)
    assert [s.name for s in now.sources()] == ["s"]


def test_asset_history_lists_the_changes_that_touched_it(any_store):
    write(any_store, "s", V1)
    write(any_store, "other", OTHER)
    write(any_store, "s", V2, replace=True)
    any_store.remove_source("other")
    hist = asset_history(any_store, A)
    assert [(h.record.source, h.record.action) for h in hist] == [
        ("s", "load"), ("other", "load"), ("s", "replace"), ("other", "remove")]
    replace = hist[2]
    assert names(replace.added) == ["two"] and names(replace.removed) == ["one"]
    # ex:b never changed after its first load
    assert [(h.record.action) for h in asset_history(any_store, "http://ex/b")] == ["load"]


def test_history_survives_reopen(tmp_path):
    from govgraph.store import open_store
    url = f"oxigraph:{tmp_path / 's'}"
    s = open_store(url)
    r1 = write(s, "s", V1)
    write(s, "s", V2, replace=True)
    s.close()
    s = open_store(url)
    assert names(asset_asof(s, A, r1.at)) == ["one"]
    s.close()


def test_bad_dates(any_store):
    with pytest.raises(BadInput, match="no recorded changes"):
        asset_asof(any_store, A, "2026-01-01")
    write(any_store, "s", V1)
    with pytest.raises(BadInput, match="before the first recorded change"):
        asset_asof(any_store, A, "2001-01-01")
    with pytest.raises(BadInput, match="in the future"):
        parse_when("2999-01-01")
    with pytest.raises(BadInput, match="not a date"):
        parse_when("last tuesday")
    assert parse_when("2026-03-01").date() == dt.date(2026, 3, 1)
    assert parse_when("20260301") == parse_when("2026-03-01") == parse_when(dt.date(2026, 3, 1))
    assert parse_when("2026-03-01").time() == dt.time.max  # a date is the end of that day
    now = dt.datetime.now(dt.timezone.utc)
    assert parse_when(now.date().isoformat())  # today is not the future
    with pytest.raises(BadInput, match="in the future"):
        parse_when((now + dt.timedelta(hours=2)).isoformat())  # later today is
    with pytest.raises(BadInput, match="in the future"):
        parse_when((now + dt.timedelta(days=2)).date().isoformat())


def test_cli_history_and_asof(tmp_path):
    from click.testing import CliRunner
    from govgraph.cli import main
    env = {"GOVGRAPH_STORE": f"oxigraph:{tmp_path / 's'}"}
    f1, f2 = tmp_path / "s.ttl", tmp_path / "s2.ttl"
    f1.write_bytes(V1)
    f2.write_bytes(V2)
    run = lambda *a: CliRunner().invoke(main, list(a), env=env, catch_exceptions=False)
    assert run("load", str(f1), "--source", "s").exit_code == 0
    first = run("history", "--format", "json")
    at = __import__("json").loads(first.output)[0]["at"]
    assert run("load", str(f2), "--source", "s", "--replace").exit_code == 0
    r = run("history")
    assert "load" in r.output and "replace" in r.output
    r = run("history", A)
    assert '+ name: two' in r.output and '- name: one' in r.output
    r = run("query", "--asof", at, "--format", "csv", "SELECT ?n WHERE { <http://ex/a> <http://ex/name> ?n }")
    assert r.output.split() == ["n", "one"]
    r = run("query", "--asof", "1999-01-01", "ASK { ?s ?p ?o }")
    assert r.exit_code == 1 and "before the first recorded change" in r.output


def test_past_estate_rebuilds_only_what_changed_and_matches_a_full_rebuild(any_store):
    """store_asof copies untouched sources as they are; the result equals undoing every change."""
    from govgraph.history import _state_at
    recs = [write(any_store, "s", V1), write(any_store, "other", OTHER), write(any_store, "third", V2),
            write(any_store, "s", V2, replace=True), any_store.remove_source("other"),
            write(any_store, "other", V1)]
    for rec in recs:
        full = {name: triples for name, triples in _state_at(any_store, rec.at, None).items() if triples}
        past = store_asof(any_store, rec.at)
        got = {s.name: {(q.subject, q.predicate, q.object) for q in past.quads(None, None, None, __import__(
            "pyoxigraph").NamedNode(s.graph))} for s in past.sources()}
        assert got == full, rec
