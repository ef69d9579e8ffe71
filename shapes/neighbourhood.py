"""A scoped validation on a SPARQL server, run here: the triples its checks can read, fetched once.

A compiled check run for some focus nodes reads only triples reachable from those nodes along
its own triple patterns: ``?this gov:carries ?ds . ?ds dpv:hasPersonalData ?pd`` reads the
``gov:carries`` triples of the focus nodes and the ``dpv:hasPersonalData`` triples of what they
carry. ``reach`` finds these walks in the check's SPARQL algebra (rdflib's), as paths of steps
(predicate, direction, repeated) from ``?this``; ``fetch`` follows them on the server, one query
per step depth, into an in-memory store, where the embedded engine runs the checks. A server
such as Virtuoso 7 spends 5-10 ms evaluating each check; following the walks takes a few queries.

The walks are sound by construction: every triple a solution of the check can match is joined,
through variables bound on every solution, to ``?this``; a pattern that is not (a variable left
free, a ``GRAPH``, ``MINUS``, ``SERVICE``, a negated or variable predicate, a pattern reached
only through a value computed by ``BIND``, or an ``EXISTS`` reaching only through an ``OPTIONAL``
variable) makes the check non-local, and it runs on the server as before. A neighbourhood
that grows past ``MAX_TRIPLES`` or meets a blank node it would have to walk from is not used
either: every check then runs on the server.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql.algebra import translateGroupGraphPattern, translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from govgraph.shapes.compiler import _PARSE_LOCK, Check

#: One step of a walk: (predicate IRI, "out" or "in", repeated zero or more times).
Step = tuple[str, str, bool]
Path = tuple[Step, ...]
#: Past this many triples the neighbourhood is not fetched further: the server validates instead.
MAX_TRIPLES = 20_000
#: A node walked out of along this many predicates is read whole (every triple it is the subject of:
#: a node's own description is small, and one pattern is the cheapest for a server to answer).
WHOLE_AT = 4
#: Rounds a repeated step (``rdfs:subClassOf*``) is followed before giving up on the neighbourhood.
MAX_REPEAT = 12
#: The graph the fetched triples are held in, in the in-memory store.
GRAPH = ox.NamedNode("urn:govgraph:neighbourhood")
_CLOSURE = re.compile(r"@CLOSURE:[^@]+@")
_THIS = Variable("this")
_FOCUS = URIRef("urn:govgraph:focus")


class NotLocal(Exception):
    """A check (or a neighbourhood) that cannot be evaluated from the walks."""


# ----------------------------------------------------------------------------- the walks of a check

def reach(check: Check, prologue: str) -> frozenset[Path] | None:
    """The walks from ``?this`` along which ``check``, run for some focus nodes, reads every triple
    it can match; None when it may read triples no walk reaches. A property check's walks are the
    compiler's (its path, then the value's rdf:type for sh:class); a SPARQL check's are found in its text."""
    if check.walks is not None:
        return check.walks
    return reach_text(prologue, check.body)


@lru_cache(maxsize=1024)
def reach_text(prologue: str, body: str) -> frozenset[Path] | None:
    """``reach`` of a compiled check's body (its ``{T}`` and ``{S}`` the focus nodes), found in
    rdflib's algebra of it; None when it may read beyond its walks or rdflib cannot read it."""
    scoped = f"VALUES ?this {{ <{_FOCUS}> }}"
    text = _CLOSURE.sub("<urn:govgraph:class>", body).replace("{T}", scoped).replace("{S}", scoped)
    try:
        with _PARSE_LOCK:
            algebra = translateQuery(parseQuery(prologue + text)).algebra
        walks: set[Path] = set()
        _Walker(walks).part(algebra, {})
    except NotLocal:
        return None
    except Exception:  # noqa: BLE001 - a text rdflib cannot read: the server runs it
        return None
    return frozenset(walks)


class _Walker:
    """Walks a query's algebra; ``env`` maps each variable bound on every solution reaching a part
    to the walks leading to its values (a variable bound to a constant or a computed value maps to None)."""

    def __init__(self, walks: set[Path]):
        self.walks = walks

    def part(self, node, env: dict) -> dict:
        """The variables bound on every solution of ``node`` (given ``env`` bound on entry)."""
        if not isinstance(node, CompValue):
            raise NotLocal(f"unknown part {node!r}")
        name = node.name
        if name in ("SelectQuery", "Project", "Distinct", "Reduced", "Slice", "OrderBy", "ToMultiSet",
                    "Group", "AggregateJoin", "SubSelect"):
            if name != "Project":
                return self.part(node.p, env)
            # a (sub)query is evaluated on its own (the outer bindings unseen), then joined by its projection
            inner = self.part(node.p, {})
            return {**{v: w for v, w in inner.items() if v in set(node.PV)}, **env}
        if name == "BGP":
            return self.triples(node.triples, env)
        if name == "Join":
            return self.part(node.p2, self.part(node.p1, env))
        if name == "LeftJoin":
            left = self.part(node.p1, env)
            right = self.part(node.p2, left)
            if node.expr is not None:
                self.expr(node.expr, right)
            return left
        if name == "Union":
            a, b = self.part(node.p1, env), self.part(node.p2, env)
            return {v: _merge(a[v], b[v]) for v in a.keys() & b.keys()}
        if name == "Filter":
            inner = self.part(node.p, env)
            self.expr(node.expr, inner)
            return inner
        if name == "Extend":
            inner = self.part(node.p, env)
            self.expr(node.expr, inner)
            return {**inner, node.var: None}
        if name == "values":
            out = dict(env)
            for row in node.res:
                for v, val in row.items():
                    if v == _THIS and val == _FOCUS:  # the focus nodes (the scope put in for {T} / {S})
                        out[v] = _merge(out[v], frozenset({()})) if v in out else frozenset({()})
                    elif v not in env:
                        out[v] = None
            return out
        raise NotLocal(f"{name} is not followed")  # Graph, Minus, Service, ...

    def expr(self, e, env: dict) -> None:
        """Check the patterns of EXISTS / NOT EXISTS inside an expression (evaluated with ``env`` bound)."""
        if isinstance(e, CompValue):
            if e.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                g = e.graph
                if isinstance(g, CompValue) and g.name in ("GroupGraphPatternSub", "GroupOrUnionGraphPattern",
                                                           "GraphGraphPattern", "OptionalGraphPattern"):
                    g = translateGroupGraphPattern(g)
                self.part(g, env)
                return
            for v in e.values():
                self.expr(v, env)
        elif isinstance(e, (list, tuple)):
            for v in e:
                self.expr(v, env)

    def triples(self, triples, env: dict) -> dict:
        """Bind a group's triple patterns, those nearest ``?this`` first (a step back from a node far
        from it, such as every target naming a metric, would fetch far more than one from ``?this``)."""
        env = dict(env)
        todo = list(triples)
        while todo:
            near = []
            for t in todo:
                ends = [(len(min(env[x], key=len)), d) for x, d in ((t[0], "out"), (t[2], "in")) if env.get(x)]
                if ends:
                    near.append((min(ends), t))
            if not near:
                raise NotLocal("a pattern no bound variable reaches")
            depth = min(n[0][0] for n in near)
            for (_, direction), t in [n for n in near if n[0][0] == depth]:
                s, p, o = t
                start, end = (s, o) if direction == "out" else (o, s)
                for w in env[start]:
                    for path in _follow(w, p, direction):
                        self._bind(env, end, path)
                todo.remove(t)
        return env

    def _bind(self, env: dict, term, path: Path) -> None:
        self.walks.add(path)
        if isinstance(term, Variable):
            if term in env and env[term] is not None:
                return  # already bound (each of its values is reached by its own walks)
            if term in env:  # bound to a constant or computed value: its triples are fetched all the same
                return
            env[term] = frozenset({path})
        elif isinstance(term, BNode):
            raise NotLocal("a blank node in a pattern")


def _merge(a, b):
    if a is None or b is None:
        return None
    return a | b


def _follow(walk: Path, p, direction: str) -> list[Path]:
    """The walks through a predicate or property path ``p`` from the end of ``walk``."""
    flip = {"out": "in", "in": "out"}
    if isinstance(p, URIRef):
        return [walk + ((str(p), direction, False),)]
    if isinstance(p, InvPath):
        return _follow(walk, p.arg, flip[direction])
    if isinstance(p, AlternativePath):
        return [x for a in p.args for x in _follow(walk, a, direction)]
    if isinstance(p, SequencePath):
        ends = [walk]
        for a in (p.args if direction == "out" else reversed(p.args)):
            ends = [w for e in ends for w in _follow(e, a, direction)]
        return ends
    if isinstance(p, MulPath) and isinstance(p.path, URIRef):
        return [walk + ((str(p.path), direction, True),)]
    raise NotLocal(f"path {p!r} is not followed")


# ----------------------------------------------------------------------------- the fetch

def _nt(term) -> str:
    return str(term)


def fetch(query: Callable[[str], Iterable], scope: Sequence[str], walks: Iterable[Path]) -> list[ox.Triple]:
    """The triples along ``walks`` from the ``scope`` nodes: ``query(text)`` runs a SELECT over the
    graphs being validated, one query per step depth (a repeated step: per round). Raises NotLocal past MAX_TRIPLES, or
    where a walk goes on from a blank node or back from a literal."""
    trie: dict = {}
    for w in walks:
        node = trie
        for step in w:
            node = node.setdefault(step, {})
    reader = _Reader(query)
    level = [(trie, frozenset(ox.NamedNode(n) for n in scope))]
    while level:
        asks = [(step, nodes, child) for sub, nodes in level for step, child in sub.items() if nodes]
        found = reader.steps([(s, n) for s, n, _ in asks])
        level = [(child, found[i]) for i, (_, _, child) in enumerate(asks) if child]
    return sorted(reader.got, key=str)


class _Reader:
    """The triples read so far, indexed by the node they were read from."""

    def __init__(self, query: Callable[[str], Iterable]):
        self.query = query
        self.got: set[ox.Triple] = set()
        self.whole: set = set()  # nodes whose every outgoing triple has been read
        self.ends: dict[tuple[str, str, str], set] = {}  # (predicate, direction, node) -> the nodes it leads to
        self.read: set[tuple[str, str, str]] = set()  # (predicate, direction, node) read

    def steps(self, asks: list[tuple[Step, frozenset]]) -> list[frozenset]:
        """Follow each (step, start nodes): the nodes each reaches (a repeated step: all, itself included)."""
        reached = [set(nodes) if step[2] else set() for step, nodes in asks]
        frontier = [set(nodes) for _, nodes in asks]
        for _ in range(MAX_REPEAT):
            todo = [i for i, f in enumerate(frontier) if f]
            if not todo:
                return [frozenset(r) for r in reached]
            self._read([(asks[i][0], frontier[i]) for i in todo])
            for i in todo:
                pred, direction, repeated = asks[i][0]
                ends = {e for n in frontier[i] for e in self.ends.get((pred, direction, str(n)), ())}
                frontier[i] = (ends - reached[i]) if repeated else set()
                reached[i] |= ends
        raise NotLocal(f"a repeated step followed more than {MAX_REPEAT} times")

    def _read(self, asks: list[tuple[Step, set]]) -> None:
        wanted: dict[tuple[str, ox.NamedNode], set[str]] = {}  # (direction, node) -> predicates
        for (pred, direction, _), nodes in asks:
            for n in nodes:
                if isinstance(n, ox.BlankNode) or (direction == "in" and isinstance(n, ox.Literal)):
                    raise NotLocal("a walk from a blank node or back from a literal")
                if isinstance(n, ox.Literal) or n in self.whole or (pred, direction, str(n)) in self.read:
                    continue  # nothing goes out of a literal; already read
                wanted.setdefault((direction, n), set()).add(pred)
        whole = {n for (d, n), preds in wanted.items() if d == "out" and len(preds) >= WHOLE_AT}
        # each predicate in a pattern of its own, never a VALUES-bound one: a freshly loaded Virtuoso 7.2
        # took 55 s over ``VALUES (?o ?p) { ... } ?s ?p ?o`` (10,000 datasets), a scan of every quad
        by_pred: dict[tuple[str, str], set[str]] = {}
        for (d, n), preds in wanted.items():
            if not (d == "out" and n in whole):
                for p in preds:
                    by_pred.setdefault((d, p), set()).add(_nt(n))
        parts = []
        if whole:
            parts.append(f"{{ VALUES ?s {{ {' '.join(sorted(_nt(n) for n in whole))} }} ?s ?p ?o }}")
        for (d, p), nodes in sorted(by_pred.items()):
            end = "?s" if d == "out" else "?o"
            parts.append(f"{{ VALUES {end} {{ {' '.join(sorted(nodes))} }} ?s <{p}> ?o BIND(<{p}> AS ?p) }}")
        if not parts:
            return
        for r in self.query(f"SELECT ?s ?p ?o WHERE {{ {' UNION '.join(parts)} }}"):
            self.got.add(ox.Triple(r["s"], r["p"], r["o"]))
            self.ends.setdefault((r["p"].value, "out", str(r["s"])), set()).add(r["o"])
            self.ends.setdefault((r["p"].value, "in", str(r["o"])), set()).add(r["s"])
            if len(self.got) > MAX_TRIPLES:
                raise NotLocal(f"a neighbourhood of over {MAX_TRIPLES:,} triples")
        self.whole |= whole
        self.read |= {(p, d, str(n)) for (d, n), preds in wanted.items() for p in preds}


__all__ = ["reach", "fetch", "NotLocal", "MAX_TRIPLES", "GRAPH", "Path", "Step"]
