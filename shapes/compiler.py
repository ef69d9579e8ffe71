"""Compiles SHACL shapes into SPARQL SELECT queries that Oxigraph runs over the whole store.

Each supported constraint becomes one ``Check``: a query that returns the focus nodes
(and values) that break it. Targets (``sh:targetClass`` with the subclass closure,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``) become a target
pattern; validating only some focus nodes adds a ``VALUES ?this`` block to it. SHACL-SPARQL
constraints run with the target pattern injected into their outer WHERE clause.
Shapes using anything else are listed as unsupported, and the caller falls back to pyshacl.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import rdflib
from rdflib import Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, XSD
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from govgraph.ontology.ns import SH

from govgraph.shapes.loader import principle_of

#: Constraint parameters the compiler turns into SPARQL.
SUPPORTED = {SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH["in"], SH.hasValue, SH.nodeKind,
             SH.pattern, SH.flags, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive}
#: Shape-level terms that carry no constraint.
PASSIVE = {RDF.type, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property,
           SH.path, SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group, SH.deactivated,
           SH.sparql, SH.defaultValue}
#: Datatypes whose well-formedness Oxigraph can test by casting the lexical form.
CASTABLE = {str(XSD[t]) for t in ("boolean", "integer", "decimal", "double", "float", "date", "dateTime",
                                  "time", "string", "int", "long", "short", "byte", "nonNegativeInteger",
                                  "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                  "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
                                  "duration", "dayTimeDuration", "yearMonthDuration")}
_NODEKIND_FILTER = {
    "IRI": "!isIRI(?value)", "Literal": "!isLiteral(?value)", "BlankNode": "!isBlank(?value)",
    "BlankNodeOrIRI": "isLiteral(?value)", "BlankNodeOrLiteral": "isIRI(?value)",
    "IRIOrLiteral": "isBlank(?value)",
}
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
#: Subqueries that project the focus node: validating some focus nodes restricts them too ({S}).
_INNER = re.compile(r"\{\s*SELECT\s+(?:DISTINCT\s+)?[$?]this\s+WHERE\s*\{", re.IGNORECASE)


class Unsupported(Exception):
    """A shape uses SHACL features the SPARQL compiler does not translate."""


@dataclass
class Check:
    """One compiled constraint: a SELECT returning ?this (and ?value, ?path) for each result."""
    shape: str
    severity: str
    principle: int
    message: str
    path: str | None
    targets: tuple[tuple[str, str], ...]
    body: str  # the query: {T} where the target pattern goes, {S} where a scope restriction may go
    component: str
    datatype: str | None = None  # for sh:datatype: verify candidate ill-typed literals in Python
    #: the predicate IRIs the query reads (targets aside), recorded when compiled; None: any predicate
    #: (a variable or negated one, or a text rdflib cannot parse). A change adding or removing none of them cannot alter its findings.
    reads: frozenset[str] | None = None
    #: the walks from ?this along which the query reads every triple it can match (``shapes.neighbourhood``),
    #: as the compiler wrote them for a property check; None: found from the text when needed
    walks: frozenset | None = None

    def query(self, target_pattern: str) -> str:
        return self.body.replace("{T}", target_pattern)


@dataclass
class Plan:
    """Every compiled check of a shape set, the targets of each principle, and what could not be compiled."""
    checks: list[Check]
    unsupported: list[str]
    prologue: str
    principle_targets: dict[int, set[tuple[str, str]]] = field(default_factory=dict)


def _n3(t) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        return t.n3()
    raise Unsupported(f"blank node {t} cannot appear in a compiled constraint")


def _severity(g: rdflib.Graph, shape) -> str:
    s = g.value(shape, SH.severity)
    return str(s)[len(str(SH)):] if s is not None else "Violation"


def _message(g: rdflib.Graph, node, fallback) -> str:
    msgs = sorted(str(m) for m in g.objects(node, SH.message)) or sorted(str(m) for m in g.objects(fallback, SH.message))
    return msgs[0] if msgs else ""


def _targets(g: rdflib.Graph, shape) -> list[tuple[str, str]]:
    out = []
    for kind, pred in (("class", SH.targetClass), ("node", SH.targetNode),
                       ("subjectsOf", SH.targetSubjectsOf), ("objectsOf", SH.targetObjectsOf)):
        for o in g.objects(shape, pred):
            if not isinstance(o, URIRef):
                raise Unsupported(f"{shape}: non-IRI target {o}")
            out.append((kind, str(o)))
    if (shape, RDF.type, rdflib.RDFS.Class) in g or (shape, RDF.type, rdflib.OWL.Class) in g:
        out.append(("class", str(shape)))  # implicit class target
    if g.value(shape, SH.target) is not None:
        raise Unsupported(f"{shape}: SHACL-AF sh:target")
    return out


def _path_text(g: rdflib.Graph, path) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    inv = g.value(path, SH.inversePath)
    if isinstance(inv, URIRef):
        return f"^<{inv}>"
    raise Unsupported(f"complex property path {path}")


def target_pattern(targets: tuple[tuple[str, str], ...], closure, scope: str = "") -> str:
    """The graph pattern binding ?this to every target node (subclass closure applied)."""
    parts = []
    for kind, iri in targets:
        if kind == "class":
            classes = " ".join(f"<{c}>" for c in sorted(closure(iri)))
            parts.append(f"{{ ?this <{RDF.type}> ?__tc . VALUES ?__tc {{ {classes} }} }}")
        elif kind == "node":
            parts.append(f"{{ VALUES ?this {{ <{iri}> }} }}")
        elif kind == "subjectsOf":
            parts.append(f"{{ ?this <{iri}> ?__to . }}")
        else:
            parts.append(f"{{ ?__ts <{iri}> ?this . }}")
    union = " UNION ".join(parts) if parts else "{ FILTER(false) }"
    return f"{{ SELECT DISTINCT ?this WHERE {{ {scope} {union} }} }}"


def _property_checks(g: rdflib.Graph, ps, targets, principle: int) -> list[Check]:
    for p in set(g.predicates(ps, None)):
        if p not in SUPPORTED and p not in PASSIVE and not str(p).startswith("https://w3id.org/govgraph") \
                and not str(p).startswith(str(rdflib.RDFS)):
            raise Unsupported(f"{ps}: {p}")
    if g.value(ps, SH.sparql) is not None:
        raise Unsupported(f"{ps}: sh:sparql on a property shape")
    path = _path_text(g, g.value(ps, SH.path))
    sev, msg, shape = _severity(g, ps), _message(g, ps, ps), str(ps)
    path_iri = path[1:-1] if path.startswith("<") else path
    reads = frozenset({path.lstrip("^")[1:-1]})
    step = (path.lstrip("^")[1:-1], "in" if path.startswith("^") else "out", False)

    def mk(body: str, comp: str, dtype: str | None = None) -> Check:
        # a sh:class check also reads rdf:type (the value's class, closed over subclasses)
        walks = frozenset({(step,), (step, (str(RDF.type), "out", False))} if comp == "Class" else {(step,)})
        return Check(shape, sev, principle, msg, path_iri, tuple(targets), body, comp, dtype,
                     reads | {str(RDF.type)} if comp == "Class" else reads, walks)
    out: list[Check] = []
    v = g.value(ps, SH.minCount)
    if v is not None and int(v) > 0:
        n = int(v)
        if n == 1:
            out.append(mk(f"SELECT ?this WHERE {{ {{T}} FILTER NOT EXISTS {{ ?this {path} ?__v }} }}", "MinCount"))
        else:
            out.append(mk(f"SELECT ?this WHERE {{ {{T}} OPTIONAL {{ ?this {path} ?__v }} }} GROUP BY ?this "
                          f"HAVING (COUNT(DISTINCT ?__v) < {n})", "MinCount"))
    v = g.value(ps, SH.maxCount)
    if v is not None:
        out.append(mk(f"SELECT ?this WHERE {{ {{T}} ?this {path} ?__v }} GROUP BY ?this "
                      f"HAVING (COUNT(DISTINCT ?__v) > {int(v)})", "MaxCount"))
    value_filters: list[tuple[str, str, str | None]] = []
    for c in g.objects(ps, SH["class"]):
        value_filters.append((f"FILTER NOT EXISTS {{ ?value <{RDF.type}> ?__c . VALUES ?__c {{ @CLOSURE:{c}@ }} }}",
                              "Class", None))
    for d in g.objects(ps, SH.datatype):
        cond = f"!isLiteral(?value) || datatype(?value) != <{d}>"
        extra = ""
        if str(d) in CASTABLE:
            extra = (f"BIND(IF(isLiteral(?value) && datatype(?value) = <{d}>, <{d}>(STR(?value)), 0) AS ?__ok) ")
            cond += " || !BOUND(?__ok)"
        value_filters.append((f"{extra}FILTER({cond})", "Datatype", str(d)))
    lst = g.value(ps, SH["in"])
    if lst is not None:
        items = list(Collection(g, lst))
        # a conjunction of negations: Virtuoso 7.2 evaluates !(sameTerm(..) || sameTerm(..)) as true
        # even when the first term matches
        nands = " && ".join(f"!sameTerm(?value, {_n3(i)})" for i in items) or "true"
        value_filters.append((f"FILTER({nands})", "In", None))
    for k in g.objects(ps, SH.nodeKind):
        name = str(k)[len(str(SH)):]
        value_filters.append((f"FILTER({_NODEKIND_FILTER[name]})", "NodeKind", None))
    pat = g.value(ps, SH.pattern)
    if pat is not None:
        flags = g.value(ps, SH.flags)
        fl = f", {Literal(str(flags)).n3()}" if flags is not None else ""
        value_filters.append((f"FILTER(isBlank(?value) || !REGEX(STR(?value), {Literal(str(pat)).n3()}{fl}))",
                              "Pattern", None))
    for pred, op, comp in ((SH.minInclusive, ">=", "MinInclusive"), (SH.maxInclusive, "<=", "MaxInclusive"),
                           (SH.minExclusive, ">", "MinExclusive"), (SH.maxExclusive, "<", "MaxExclusive")):
        lim = g.value(ps, pred)
        if lim is not None:
            value_filters.append((f"FILTER(!COALESCE(?value {op} {_n3(lim)}, false))", comp, None))
    for filt, comp, dtype in value_filters:
        out.append(mk(f"SELECT DISTINCT ?this ?value WHERE {{ {{T}} ?this {path} ?value . {filt} }}", comp, dtype))
    hv = g.value(ps, SH.hasValue)
    if hv is not None:
        out.append(mk(f"SELECT ?this WHERE {{ {{T}} FILTER NOT EXISTS {{ ?this {path} {_n3(hv)} }} }}", "HasValue"))
    return out


_PARSE_LOCK = threading.Lock()  # pyparsing's packrat cache is shared by every thread using the grammar


@lru_cache(maxsize=512)
def sparql_reads(text: str) -> frozenset[str] | None:
    """The predicate IRIs a SPARQL SELECT reads, from rdflib's algebra of it (EXISTS patterns and
    property paths included); None when a predicate is a variable or a negated path (it may read any)."""
    try:
        with _PARSE_LOCK:
            algebra = translateQuery(parseQuery(text)).algebra
    except Exception:  # noqa: BLE001 - text rdflib cannot read (Oxigraph may): assume it reads anything
        return None
    out: set[str] = set()
    return frozenset(out) if _walk(algebra, out, set()) else None


def _path_predicates(p, out: set[str]) -> bool:
    if isinstance(p, URIRef):
        out.add(str(p))
        return True
    if isinstance(p, InvPath):
        return _path_predicates(p.arg, out)
    if isinstance(p, MulPath):
        return _path_predicates(p.path, out)
    if isinstance(p, (SequencePath, AlternativePath)):
        return all(_path_predicates(a, out) for a in p.args)
    return False  # a variable, a negated property set


def _walk(node, out: set[str], seen: set[int]) -> bool:
    if id(node) in seen:
        return True
    seen.add(id(node))
    if isinstance(node, CompValue):
        # BGP: a translated group; TriplesBlock: one inside EXISTS (rdflib translates those when it runs
        # them), its triples flat, subject-predicate-object after each other
        if node.name in ("BGP", "TriplesBlock"):
            flat = [x for t in node.triples for x in t]
            if len(flat) % 3 or not all(_path_predicates(flat[i], out) for i in range(1, len(flat), 3)):
                return False
        return all(_walk(v, out, seen) for v in node.values())
    if isinstance(node, (list, tuple)):
        return all(_walk(v, out, seen) for v in node)
    return True


def _sparql_checks(g: rdflib.Graph, shape, targets, principle: int, prologue: str) -> list[Check]:
    out = []
    for c in g.objects(shape, SH.sparql):
        if g.value(c, SH.deactivated) == Literal(True):
            continue
        q = g.value(c, SH.select)
        if q is None:
            raise Unsupported(f"{shape}: SPARQL constraint without sh:select")
        text = str(q)
        if "$PATH" in text or "$currentShape" in text or "$shapesGraph" in text:
            raise Unsupported(f"{shape}: SPARQL constraint uses $PATH/$currentShape/$shapesGraph")
        m = _WHERE.search(text)
        if not m:
            raise Unsupported(f"{shape}: cannot find the WHERE clause")
        rest = _INNER.sub(lambda i: i.group(0) + " {S} ", text[m.end():])
        body = text[: m.end()] + " {T} " + rest
        out.append(Check(str(shape), _severity(g, shape), principle, _message(g, c, shape), None,
                         tuple(targets), body, "SPARQL", reads=sparql_reads(prologue + text)))
    return out


def _prologue(g: rdflib.Graph) -> str:
    lines = {}
    for decl in g.objects(None, SH.declare):
        p, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
        if p is not None and ns is not None:
            lines[str(p)] = f"PREFIX {p}: <{ns}>\n"
    return "".join(lines[k] for k in sorted(lines))


def compile_shapes(g: rdflib.Graph) -> Plan:
    """Compile every active shape in ``g``; shapes that cannot be compiled are listed in ``unsupported``."""
    checks: list[Check] = []
    unsupported: list[str] = []
    principle_targets: dict[int, set[tuple[str, str]]] = {}
    node_shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(SH.property, None)) \
        | set(g.subjects(SH.targetClass, None)) | set(g.subjects(SH.sparql, None))
    prop_shapes = set(g.objects(None, SH.property)) | set(g.subjects(RDF.type, SH.PropertyShape))
    node_shapes -= prop_shapes
    prologue = _prologue(g)
    for ns in sorted(node_shapes, key=str):
        if g.value(ns, SH.deactivated) == Literal(True):
            continue
        try:
            targets = _targets(g, ns)
            for p in set(g.predicates(ns, None)):
                if p not in PASSIVE and not str(p).startswith("https://w3id.org/govgraph") \
                        and not str(p).startswith(str(rdflib.RDFS)) and p != SH.prefixes and p != rdflib.OWL.imports:
                    raise Unsupported(f"{ns}: node-level {p}")
            principle = principle_of(g, ns)
            if targets:
                principle_targets.setdefault(principle, set()).update(targets)
            checks += _sparql_checks(g, ns, targets, principle, prologue)
            for ps in g.objects(ns, SH.property):
                if g.value(ps, SH.deactivated) == Literal(True):
                    continue
                pp = principle_of(g, ps)
                if targets:
                    principle_targets.setdefault(pp, set()).update(targets)
                checks += _property_checks(g, ps, targets + _targets(g, ps), pp)
        except Unsupported as e:
            unsupported.append(str(e))
    for ps in sorted(prop_shapes, key=str):  # property shapes with their own targets
        if any(g.subjects(SH.property, ps)) or g.value(ps, SH.deactivated) == Literal(True):
            continue
        try:
            targets = _targets(g, ps)
            if targets:
                checks += _property_checks(g, ps, targets, principle_of(g, ps))
        except Unsupported as e:
            unsupported.append(str(e))
    return Plan(checks, unsupported, prologue, principle_targets)
