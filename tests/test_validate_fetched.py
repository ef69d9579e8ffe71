"""A scoped validation on a SPARQL server runs here, on the triples its checks can read
(``shapes/neighbourhood.py``): the same findings as the embedded store holding the same estate,
for every node of the sample estate in turn, on `oxigraph serve` (where they are also those of the
server evaluating every check) and on Virtuoso 7, in a few round trips instead of one or more per
batch of checks. Checks whose reads the walks cannot bound, and neighbourhoods too large to fetch,
are left to the server."""
from __future__ import annotations

import pytest
import rdflib

from govgraph.shapes import engine, neighbourhood
from govgraph.shapes.compiler import Check, compile_shapes
from govgraph.shapes.validate import plan_for, shapes_for
from support import counted_queries


@pytest.fixture(scope="module")
def embedded(open_sample, tmp_path_factory, request):
    s, _ = open_sample("embedded", tmp_path_factory.mktemp("fetched-embedded"), request)
    yield s
    s.close()


@pytest.fixture(scope="module", params=["remote", "virtuoso"])
def remote(request, open_sample, tmp_path_factory):
    s, server = open_sample(request.param, tmp_path_factory.mktemp("fetched-" + request.param), request)
    yield request.param, s
    s.close()
    server.stop()


def _scopes(store) -> list[list[str]]:
    """Every subject of the sample estate, five at a time, and sixty at once."""
    nodes = sorted({str(r["s"]) for r in store.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")})
    assert len(nodes) > 100
    return [nodes[i:i + 5] for i in range(0, len(nodes), 5)] + [nodes[:60]]


def test_every_shipped_check_is_read_from_its_walks():
    plan = plan_for(shapes_for())
    assert [c.shape for c in plan.checks if neighbourhood.reach(c, plan.prologue) is None] == []
    # the walks the compiler wrote for its property checks are those found in their text
    written = [c for c in plan.checks if c.walks is not None]
    assert len(written) > 100
    for c in written:
        assert c.walks == neighbourhood.reach_text(plan.prologue, c.body), (c.shape, c.component)


def test_the_findings_here_are_the_embedded_stores(remote, embedded, monkeypatch):
    name, s = remote
    plan = plan_for(shapes_for())
    found = 0
    for scope in _scopes(embedded):
        sent = counted_queries(s, monkeypatch)
        here = engine.run_plan(s, plan, scope=scope)
        assert len(sent) <= 8, (scope, len(sent))  # the closure's query (once), then the walks' depths
        monkeypatch.undo()
        assert here == engine.run_plan(embedded, plan, scope=scope), scope
        if name == "remote":  # oxigraph serve evaluates every check as the embedded store does
            monkeypatch.setattr(engine, "FETCH_SCOPE", False)
            assert here == engine.run_plan(s, plan, scope=scope), scope
            monkeypatch.undo()
        found += len(here)
    assert found > 50, "the sample estate has findings to compare"


def _check(body: str) -> Check:
    return Check("urn:shape", "Violation", 0, "", None, (("class", "urn:C"),), body, "SPARQL")


def test_a_path_check_walks_back():
    """An inverse path (``sh:path [ sh:inversePath p ]``) walks back into the focus node."""
    g = rdflib.Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:S> a sh:NodeShape ; sh:targetClass <urn:C> ;
            sh:property [ sh:path [ sh:inversePath <urn:p> ] ; sh:minCount 1 ; sh:class <urn:D> ] .""",
                             format="turtle")
    plan = compile_shapes(g)
    assert plan.checks and not plan.unsupported
    for c in plan.checks:
        assert c.walks == neighbourhood.reach_text(plan.prologue, c.body)
        assert (("urn:p", "in", False),) in c.walks


@pytest.mark.parametrize("body", [
    "SELECT $this WHERE { {T} ?x <urn:p> ?y }",  # a pattern nothing bound reaches: it reads every <urn:p>
    "SELECT $this WHERE { {T} GRAPH ?g { $this <urn:p> ?y } }",
    "SELECT $this WHERE { {T} $this ?p ?y }",  # any predicate
    "SELECT $this WHERE { {T} $this !<urn:p> ?y }",
    "SELECT $this WHERE { {T} BIND(IRI(CONCAT(STR($this), '#x')) AS ?x) ?x <urn:p> ?y }",
    "SELECT $this WHERE { {T} OPTIONAL { $this <urn:p> ?x } FILTER NOT EXISTS { ?x <urn:q> ?y } }",
    "SELECT $this WHERE { {T} MINUS { $this <urn:p> ?y } }",
    "SELECT $this WHERE { {T} { SELECT ?x WHERE { ?x <urn:p> ?y } } $this <urn:q> ?x }",  # a subquery sees no outer binding
    # ... nor is its own variable seen outside
    "SELECT $this WHERE { { SELECT $this WHERE { {S} $this <urn:p> ?x } } {T} ?x <urn:q> ?y }",
])
def test_reads_beyond_the_walks_are_left_to_the_server(body):
    assert neighbourhood.reach(_check(body), "") is None


def test_walks_follow_paths_both_ways():
    walks = neighbourhood.reach(_check(
        "SELECT $this WHERE { {T} ?m <urn:on> $this ; <urn:metric>/^<urn:metric> ?t . "
        "FILTER EXISTS { $this <urn:type>/<urn:sub>* ?k } }"), "")
    # (each walk's steps are read on the way: a walk through a path is listed whole)
    assert walks == {(("urn:on", "in", False),),
                     (("urn:on", "in", False), ("urn:metric", "out", False), ("urn:metric", "in", False)),
                     (("urn:type", "out", False), ("urn:sub", "out", True))}


def test_checks_the_walks_cannot_bound_run_on_the_server(remote, embedded, monkeypatch):
    """A check rdflib cannot read (here: any that reads a predicate variable) is left to the server,
    the others still run here."""
    name, s = remote
    plan = plan_for(shapes_for())
    scope = _scopes(embedded)[-1]
    real = neighbourhood.reach
    local = {c.shape for c in plan.checks[::2]}
    monkeypatch.setattr(neighbourhood, "reach", lambda c, p: real(c, p) if c.shape in local else None)
    sent = counted_queries(s, monkeypatch)
    mixed = engine.run_plan(s, plan, scope=scope)
    assert any("?__check" in q for q in sent)  # the server evaluated the others, batched
    monkeypatch.undo()
    expected = engine.run_plan(embedded, plan, scope=scope)
    assert [f for f in mixed if f.shape in local] == [f for f in expected if f.shape in local]
    if name == "remote":
        assert mixed == expected


def test_a_neighbourhood_too_large_is_validated_on_the_server(remote, embedded, monkeypatch):
    name, s = remote
    plan = plan_for(shapes_for())
    scope = _scopes(embedded)[-1]
    monkeypatch.setattr(neighbourhood, "MAX_TRIPLES", 10)
    sent = counted_queries(s, monkeypatch)
    findings = engine.run_plan(s, plan, scope=scope)
    assert any("?__check" in q for q in sent)  # the server evaluated the checks
    monkeypatch.undo()
    if name == "remote":
        assert findings == engine.run_plan(embedded, plan, scope=scope)
