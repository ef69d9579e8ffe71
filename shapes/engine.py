"""The fast engine: compiled SHACL checks run as SPARQL inside Oxigraph over the store's graphs.

Gives the same results as pyshacl over the same data (see tests/test_validate_engines.py),
without copying the estate into rdflib. ``scope`` restricts validation to some focus nodes
(an import touching one asset), which keeps re-validation independent of estate size.
"""
from __future__ import annotations

import re
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Sequence

import pyoxigraph as ox
import rdflib
from rdflib import Literal, URIRef

from govgraph.ontology.ns import GOV, SH
from govgraph.shapes import neighbourhood
from govgraph.shapes.compiler import Check, Plan, target_pattern
from govgraph.shapes.loader import ontology
from govgraph.shapes.model import Finding, PrincipleScore, term_text
from govgraph.errors import StoreQueryFailed
from govgraph.store import Store
from govgraph.terms import to_rdflib

_RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_CLOSURE = re.compile(r"@CLOSURE:([^@]+)@")
#: Above this many scope nodes a VALUES block costs more than a full run filtered to the scope.
MAX_SCOPE = 2000


def subclass_edges(store: Store, graphs: Sequence[ox.NamedNode]) -> set[tuple[str, str]]:
    """rdfs:subClassOf edges (sub, super) from the ontology and the data being validated.

    The edges of the live sources are read once per store revision; a view that adds
    staged graphs to them (a transaction or patch being validated) reads only those.
    """
    live, view = set(store.graphs()), set(graphs)
    if live <= view:  # every live source is in the view
        edges = set(_live_edges(store))
        if view - live:
            edges |= _data_edges(store, sorted(view - live, key=str))
        return edges
    return _ontology_edges() | _data_edges(store, graphs)


def _ontology_edges() -> set[tuple[str, str]]:
    return {(str(s), str(o)) for s, o in ontology().subject_objects(rdflib.RDFS.subClassOf)
            if isinstance(s, URIRef) and isinstance(o, URIRef)}


def _data_edges(store: Store, graphs: Sequence[ox.NamedNode]) -> set[tuple[str, str]]:
    edges = set()
    for q in store.query(f"SELECT ?s ?o WHERE {{ ?s <{_RDFS_SUBCLASS}> ?o }}", graphs=graphs, prefixes=False):
        if isinstance(q["s"], ox.NamedNode) and isinstance(q["o"], ox.NamedNode):
            edges.add((q["s"].value, q["o"].value))
    return edges


_edges_cache: "weakref.WeakKeyDictionary[Store, tuple[int, frozenset]]" = weakref.WeakKeyDictionary()


def _live_edges(store: Store) -> frozenset[tuple[str, str]]:
    rev = store.revision
    hit = _edges_cache.get(store)
    if hit is None or hit[0] != rev:
        hit = (rev, frozenset(_ontology_edges() | _data_edges(store, store.graphs())))
        _edges_cache[store] = hit
    return hit[1]


def closure_fn(edges: set[tuple[str, str]]) -> Callable[[str], set[str]]:
    """A function giving a class and all its subclasses (cycle-safe)."""
    subs: dict[str, set[str]] = {}
    for s, o in edges:
        subs.setdefault(o, set()).add(s)
    cache: dict[str, set[str]] = {}

    def closure(c: str) -> set[str]:
        if c not in cache:
            seen, todo = {c}, [c]
            while todo:
                for s in subs.get(todo.pop(), ()):
                    if s not in seen:
                        seen.add(s)
                        todo.append(s)
            cache[c] = seen
        return cache[c]
    return closure


def _scope_values(scope: Sequence[str] | None) -> str:
    if scope is None:
        return ""
    return "VALUES ?this { " + " ".join(f"<{s}>" for s in scope) + " }"


def _text(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    return term_text(to_rdflib(term))


def _ill_typed(lexical_term, datatype: str) -> bool:
    lit = to_rdflib(lexical_term)
    if not isinstance(lit, Literal) or str(lit.datatype or "") != datatype:
        return True
    return bool(Literal(str(lit), datatype=URIRef(datatype)).ill_typed)


class ScopeTargets:
    """Which scope nodes each target selects, found with two small queries instead of per-check joins."""

    def __init__(self, store: Store, graphs: Sequence[ox.NamedNode], scope: Sequence[str],
                 closure: Callable[[str], set[str]]):
        self.store, self.graphs, self.scope, self.closure = store, graphs, list(scope), closure
        values = _scope_values(self.scope)
        self.types: dict[str, set[str]] = {}
        for r in store.query(f"SELECT ?this ?t WHERE {{ {values} ?this <{RDF_TYPE}> ?t }}", graphs=graphs,
                             prefixes=False):
            if isinstance(r["t"], ox.NamedNode):
                self.types.setdefault(r["this"].value, set()).add(r["t"].value)
        self._pred: dict[tuple[str, str], set[str]] = {}
        self._nodes: dict[tuple[tuple[str, str], ...], list[str]] = {}

    def _by_predicate(self, kind: str, p: str) -> set[str]:
        if (kind, p) not in self._pred:
            pattern = f"?this <{p}> ?__o" if kind == "subjectsOf" else f"?__s <{p}> ?this"
            # whether each scope node has one such triple (not every one: a system is the object of thousands)
            q = f"SELECT ?this WHERE {{ {_scope_values(self.scope)} FILTER EXISTS {{ {pattern} }} }}"
            self._pred[(kind, p)] = {r["this"].value for r in self.store.query(q, graphs=self.graphs, prefixes=False)}
        return self._pred[(kind, p)]

    def nodes(self, targets: tuple[tuple[str, str], ...]) -> list[str]:
        """The scope nodes any of ``targets`` selects (once per targets: many checks share theirs)."""
        hit = self._nodes.get(targets)
        if hit is None:
            hit = self._nodes[targets] = self._select(targets)
        return hit

    def _select(self, targets: tuple[tuple[str, str], ...]) -> list[str]:
        out: set[str] = set()
        for kind, iri in targets:
            if kind == "class":
                cls = self.closure(iri)
                out |= {n for n, ts in self.types.items() if ts & cls}
            elif kind == "node":
                out |= {iri} & set(self.scope)
            else:
                out |= self._by_predicate(kind, iri)
        return sorted(out)


#: Checks sent in one query to a remote store (a UNION of their SELECTs as subqueries): each
#: check alone costs a round trip, which a server's latency makes the larger part of a scoped
#: validation (94 queries for a one-asset change on Virtuoso). The embedded store runs them one by one.
BATCH_CHECKS = 24
#: Whether a scoped run on a server reads the checks' neighbourhood and runs them here (``_run_fetched``);
#: False: the server evaluates every check (batched), as the tests compare.
FETCH_SCOPE = True


def _check_text(plan: Plan, check: Check, closure: Callable[[str], set[str]],
                scope: ScopeTargets | None) -> str | None:
    """The query of one compiled check without the prologue (None: the scope has no target of it)."""
    body = _CLOSURE.sub(lambda m: " ".join(f"<{c}>" for c in sorted(closure(m.group(1)))), check.body)
    if scope is None:
        pattern, inner = target_pattern(check.targets, closure), ""
    else:
        nodes = scope.nodes(check.targets)
        if not nodes:
            return None
        pattern = inner = _scope_values(nodes)
    return body.replace("{T}", pattern).replace("{S}", inner)


def _findings(check: Check, solutions: Iterable, names: set[str]) -> list[Finding]:
    """A check's solutions as findings."""
    out = []
    for sol in solutions:
        value = sol["value"] if "value" in names else None
        if check.datatype and value is not None and isinstance(value, ox.Literal) \
                and value.datatype.value == check.datatype and not _ill_typed(value, check.datatype):
            continue  # Oxigraph could not cast it but rdflib (the reference) accepts it as well-formed
        path = _text(sol["path"]) if "path" in names and sol["path"] is not None else check.path
        focus = _text(sol["this"])
        if focus is None:
            continue
        if check.component == "SPARQL" and value is None:
            value = sol["this"]  # SHACL-SPARQL: sh:value defaults to the focus node
        out.append(Finding(focus=focus, path=path, value=_text(value), severity=check.severity,
                           principle=check.principle, message=check.message, shape=check.shape))
    return out


def run_check(store: Store, graphs: Sequence[ox.NamedNode], plan: Plan, check: Check,
              closure: Callable[[str], set[str]], scope: ScopeTargets | None = None) -> list[Finding]:
    """Run one compiled check (over every target, or the scope's targets) and turn its solutions into findings."""
    text = _check_text(plan, check, closure, scope)
    if text is None:
        return []
    res = store.query(plan.prologue + text, graphs=graphs, prefixes=False)
    return _findings(check, res, {v.value for v in res.variables})


def run_batch(store: Store, graphs: Sequence[ox.NamedNode], plan: Plan, checks: Sequence[Check],
              closure: Callable[[str], set[str]], scope: ScopeTargets | None = None) -> list[Finding]:
    """Several checks in one query: each check's SELECT as a subquery in a UNION, its solutions
    told apart by ``?__check``. A batch the server cannot run is run again check by check."""
    texts = [(i, t) for i, c in enumerate(checks) if (t := _check_text(plan, c, closure, scope)) is not None]
    if len(texts) < 2:
        return [f for i, _ in texts for f in run_check(store, graphs, plan, checks[i], closure, scope)]
    union = " UNION ".join(f"{{ {{ {t} }} BIND({i} AS ?__check) }}" for i, t in texts)
    try:
        res = store.query(f"{plan.prologue}SELECT * WHERE {{ {union} }}", graphs=graphs, prefixes=False)
    except StoreQueryFailed:
        return [f for i, _ in texts for f in run_check(store, graphs, plan, checks[i], closure, scope)]
    names = {v.value for v in res.variables}
    by_check: dict[int, list] = {}
    for sol in res:
        by_check.setdefault(int(sol["__check"].value), []).append(sol)
    return [f for i, sols in sorted(by_check.items()) for f in _findings(checks[i], sols, names)]


def run_plan(store: Store, plan: Plan, graphs: Sequence[ox.NamedNode] | None = None,
             scope: Sequence[str] | None = None, workers: int = 2) -> list[Finding]:
    """Every finding of a compiled plan over ``graphs`` (default: the live sources), optionally scoped."""
    graphs = list(graphs) if graphs is not None else store.graphs()
    closure = closure_fn(subclass_edges(store, graphs))
    if scope is not None and len(scope) > MAX_SCOPE:
        keep = set(scope)
        return [f for f in run_plan(store, plan, graphs, None, workers) if f.focus in keep]
    if scope is not None and not scope:
        return []
    findings: list[Finding] = []
    if workers > 1 and scope is None:
        with ThreadPoolExecutor(workers) as ex:
            for part in ex.map(lambda c: run_check(store, graphs, plan, c, closure), plan.checks):
                findings += part
    else:
        remote = not store.backend.capabilities.local_engine
        # a server: the checks' neighbourhood fetched and validated here, else fewer round trips
        here = _run_fetched(store, graphs, plan, scope, closure) if remote and FETCH_SCOPE and scope is not None else None
        if here is not None:
            return sorted(set(here), key=Finding.sort_key)
        targets = ScopeTargets(store, graphs, scope, closure) if scope is not None else None
        if not remote:
            for c in plan.checks:
                findings += run_check(store, graphs, plan, c, closure, targets)
        else:
            for k in range(0, len(plan.checks), BATCH_CHECKS):
                findings += run_batch(store, graphs, plan, plan.checks[k:k + BATCH_CHECKS], closure, targets)
    return sorted(set(findings), key=Finding.sort_key)


def _target_walks(plan: Plan) -> set[neighbourhood.Path]:
    """The walks ``ScopeTargets`` reads: the focus nodes' types, the predicates of the other targets."""
    walks: set[neighbourhood.Path] = {((RDF_TYPE, "out", False),)}
    for c in plan.checks:
        for kind, iri in c.targets:
            if kind in ("subjectsOf", "objectsOf"):
                walks.add(((iri, "out" if kind == "subjectsOf" else "in", False),))
    return walks


def _run_fetched(store: Store, graphs: Sequence[ox.NamedNode], plan: Plan, scope: Sequence[str],
                 closure: Callable[[str], set[str]]) -> list[Finding] | None:
    """A scoped run on a server, evaluated here (``shapes.neighbourhood``): the triples every check can
    read from the scope, fetched in a few queries into an in-memory store, the checks run on it by the
    embedded engine; the checks that may read beyond their walks run on the server, batched. None when
    the neighbourhood cannot be used (too large, or a walk from a blank node): the caller runs them all there."""
    walks = _target_walks(plan)
    here, there = [], []
    for c in plan.checks:
        reach = neighbourhood.reach(c, plan.prologue)
        (here if reach is not None else there).append(c)
        walks |= reach or set()
    if not here:
        return None
    try:
        triples = neighbourhood.fetch(lambda q: store.query(q, graphs=graphs, prefixes=False), scope, walks)
    except neighbourhood.NotLocal:
        return None
    local = Store.open("memory:")
    try:
        local.add_quads(ox.Quad(t.subject, t.predicate, t.object, neighbourhood.GRAPH) for t in triples)
        inside = [neighbourhood.GRAPH]
        targets = ScopeTargets(local, inside, scope, closure)
        findings = [f for c in here for f in run_check(local, inside, plan, c, closure, targets)]
    finally:
        local.close()
    if there:
        remote = ScopeTargets(store, graphs, scope, closure)
        for k in range(0, len(there), BATCH_CHECKS):
            findings += run_batch(store, graphs, plan, there[k:k + BATCH_CHECKS], closure, remote)
    return findings


def scorecard(store: Store, plan: Plan, findings: Iterable[Finding],
              graphs: Sequence[ox.NamedNode] | None = None) -> dict[int, PrincipleScore]:
    """Per principle: focus nodes its shapes target, and how many have no Violation or Warning."""
    graphs = list(graphs) if graphs is not None else store.graphs()
    closure = closure_fn(subclass_edges(store, graphs))
    failing: dict[int, set[str]] = {}
    for f in findings:
        if f.severity in ("Violation", "Warning"):
            failing.setdefault(f.principle, set()).add(f.focus)
    cache: dict[tuple[str, str], set[str]] = {}
    out = {}
    for principle, targets in sorted(plan.principle_targets.items()):
        if not principle:
            continue
        nodes: set[str] = set()
        for t in targets:
            if t not in cache:
                q = "SELECT ?this WHERE " + target_pattern((t,), closure)
                cache[t] = {_text(s["this"]) for s in store.query(q, graphs=graphs, prefixes=False)}
            nodes |= cache[t]
        bad = len(nodes & failing.get(principle, set()))
        out[principle] = PrincipleScore(principle, len(nodes), len(nodes) - bad)
    return out


__all__ = ["run_plan", "run_check", "run_batch", "BATCH_CHECKS", "FETCH_SCOPE", "scorecard", "subclass_edges", "closure_fn", "MAX_SCOPE", "GOV", "SH"]
