"""Scoped validation evaluated by a remote store (``engine.FETCH_SCOPE`` off: tests/test_validate_fetched.py
covers the default, the checks run here on the scope's neighbourhood) sends its checks in batches (a UNION of subqueries per
BATCH_CHECKS checks) instead of one query each: the same findings as check by check, in far
fewer round trips, on `oxigraph serve` and on Virtuoso 7."""
from __future__ import annotations

import pytest

from govgraph.shapes import engine
from govgraph.shapes.validate import plan_for, shapes_for
from support import counted_queries


@pytest.fixture(scope="module", params=["remote", "virtuoso"])
def remote_sample(request, open_sample, tmp_path_factory):
    s, server = open_sample(request.param, tmp_path_factory.mktemp("batched-" + request.param), request)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "FETCH_SCOPE", False)
        yield s
    s.close()
    server.stop()


def test_batched_checks_give_the_findings_of_single_checks(remote_sample, monkeypatch):
    s = remote_sample
    plan = plan_for(shapes_for())
    scope = sorted({str(r["d"]) for r in s.select("SELECT ?d WHERE { ?d a ?c } ORDER BY ?d LIMIT 60")})
    assert len(scope) > 20
    sent = counted_queries(s, monkeypatch)
    batched = engine.run_plan(s, plan, scope=scope)
    batched_trips = len(sent)
    sent.clear()
    monkeypatch.setattr(engine, "BATCH_CHECKS", 1)
    single = engine.run_plan(s, plan, scope=scope)
    single_trips = len(sent)
    assert batched, "the sample estate has findings in this scope"
    assert batched == single
    assert batched_trips * 2 < single_trips, (batched_trips, single_trips)


def test_a_batch_the_server_refuses_is_run_check_by_check(remote_sample, monkeypatch):
    """A check the server cannot run in a batch does not lose the others' findings."""
    from govgraph.errors import StoreQueryFailed
    s = remote_sample
    plan = plan_for(shapes_for())
    scope = sorted({str(r["d"]) for r in s.select("SELECT ?d WHERE { ?d a ?c } ORDER BY ?d LIMIT 60")})
    expected = engine.run_plan(s, plan, scope=scope)
    query = s.backend.query

    def no_unions(text, *args, **kwargs):
        if "?__check" in text:
            raise StoreQueryFailed("the server could not answer a query (500): too complex")
        return query(text, *args, **kwargs)
    monkeypatch.setattr(s.backend, "query", no_unions)
    assert engine.run_plan(s, plan, scope=scope) == expected
