"""Validated writes of a whole source from triples: the path the web write API and ingest share.

Like ``load_files``, every write parses into a hidden graph, is validated against the
principle shapes with what it touches (``govgraph.shapes.imports``), and commits only
if nothing is violated; otherwise ``ValidationFailed`` carries the report and the
store is unchanged. A write whose triples equal the source's current triples commits
nothing (so repeating a request changes nothing, not even the history).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from govgraph.errors import BadInput, NeedsAdmin
from govgraph.io.characters import check_triples
from govgraph.ontology.ns import PREFIXES
from govgraph.store import FORMATS, ChangeRecord, Store, source_graph_iri
from govgraph.terms import to_rdflib

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class WriteResult:
    """What a write did: the source, its size, and the change record (None when unchanged)."""
    source: str
    triples: int
    record: ChangeRecord | None
    report: object | None = None

    @property
    def changed(self) -> bool:
        return self.record is not None

    def to_dict(self) -> dict:
        r = self.record
        out = {"source": self.source, "triples": self.triples, "changed": self.changed}
        if r is not None:
            out.update(revision=r.revision, added=r.added, removed=r.removed, action=r.action)
        rep = self.report
        if rep is not None and hasattr(rep, "counts"):
            out["warnings"] = rep.counts.get("Warning", 0)
        return out


def source_triples(store: Store, name: str) -> set[ox.Triple]:
    """The current triples of a source (empty if it is not loaded)."""
    if not store.has_source(name):
        return set()
    g = ox.NamedNode(source_graph_iri(name))
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, g)}


def canonical(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """Triples as the store gives them back (typed literals in canonical form), so they compare equal.

    Only triples with a literal object other than a plain ``xsd:string`` can change on the way
    through the store; those go through a scratch store, the others are kept as they are.
    """
    same, other = set(), []
    for t in triples:
        o = t.object
        if isinstance(o, ox.Literal) and (o.language is not None or o.datatype != _XSD_STRING):
            other.append(t)
        else:
            same.add(t)
    if not other:
        return same
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in other)
    same.update(ox.Triple(q.subject, q.predicate, q.object)
                for q in scratch.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return same


_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


#: A replacement that drops more than this many triples is a removal in effect, whatever the source's size.
LARGE_REMOVAL = 100_000


def is_removal(had: int, dropped: int) -> bool:
    """Whether replacing a source of ``had`` triples with content lacking ``dropped`` of them is a removal in
    effect: it drops more than half of the source (emptying it, or leaving a token triple, included) or more
    than ``LARGE_REMOVAL`` triples. Such a replacement needs an admin, as removing the source does."""
    return dropped > LARGE_REMOVAL or 2 * dropped > had


def check_not_removal(name: str, had: int, dropped: int) -> None:
    """NeedsAdmin (naming what to do) when a replacement of ``name`` is a removal in effect (``is_removal``)."""
    if is_removal(had, dropped):
        share = "more than half" if 2 * dropped > had else f"more than {LARGE_REMOVAL:,}"
        raise NeedsAdmin(
            f"replacing source {name!r} would drop {dropped:,} of its {had:,} triples ({share}): that is a removal, "
            f"which needs an admin. An admin can make this change with an admin token, or remove the source "
            f"(DELETE /api/v1/sources/{name}, or `govgraph remove`) and load the new content.")


def parse_triples(data: bytes, fmt: str) -> list[ox.Triple]:
    """The triples of an RDF document held in memory (``fmt``: a name of ``store.FORMATS``); BadInput
    when it is not valid RDF or holds none."""
    try:
        triples = [q.triple if hasattr(q, "triple") else q for q in ox.parse(data, FORMATS[fmt])]
    except SyntaxError as e:
        raise BadInput(f"not valid RDF: {e}") from None
    if not triples:
        raise BadInput("no triples found in the body")
    return triples


def write_source(store: Store, name: str, triples: Iterable[ox.Triple], *, who: str,
                 loaded_from: str = "", current: set[ox.Triple] | None = None,
                 force: bool = False, may_remove: bool = False, note: str = "") -> WriteResult:
    """Replace (or create) the source ``name`` with ``triples``, validated; unchanged content commits nothing.
    ``note``: what changed, in words, kept with the change record.

    Added triples with NUL or bidirectional controls are refused (BadInput naming the triple,
    ``govgraph.io.characters``). Unless ``may_remove`` (the caller acts for an admin), a replacement that is a removal in effect
    (``is_removal``: most of the source dropped) is refused with NeedsAdmin before anything is written.
    """
    new = canonical(triples)
    old = source_triples(store, name) if current is None else current
    exists = store.has_source(name)
    if exists and new == old:
        return WriteResult(name, len(new), None)
    check_triples(new - old, f"source {name!r}:")  # what was stored before is not refused again
    if exists and not may_remove:
        check_not_removal(name, len(old), len(old - new))
    # replace=True: create or replace, also if another worker creates the source meanwhile (the later write wins)
    with store.begin(name, replace=True, who=who, loaded_from=loaded_from) as txn:
        if len(new) > BULK_THRESHOLD:  # the bulk loader pays off only for large writes
            buf = io.BytesIO()
            ox.serialize(sorted(new, key=str), buf, ox.RdfFormat.N_TRIPLES)
            txn.load(data=buf.getvalue(), fmt="ntriples", label=loaded_from or name)
        elif new:
            txn.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in new)
        report = validate_change(txn, added=new - old, removed=old - new, force=force)
        rec = txn.commit(forced=force and not getattr(report, "conforms", True), note=note)
    return WriteResult(name, len(new), rec, report)


#: Writes with more triples than this go through Oxigraph's bulk loader.
BULK_THRESHOLD = 20_000
_shape_cache: dict = {}
_VOCAB = tuple(str(ns) for ns in PREFIXES.values())


def _shapes(check_date: dt.date):
    """The principle shapes for a check date, loaded and compiled once (they are reference data)."""
    from govgraph.shapes.validate import shapes_for
    hit = _shape_cache.get(check_date)
    if hit is None:
        _shape_cache.clear()
        hit = _shape_cache[check_date] = shapes_for(None, None, check_date)
    return hit


def change_scope(store: Store, txn, added: set[ox.Triple], removed: set[ox.Triple]) -> list[str] | None:
    """The focus nodes a change can affect: subjects and estate objects of the changed triples, and the
    nodes pointing at those subjects (as ``govgraph.shapes.imports.import_scope``, but over the change
    only, so validating an append does not grow with the source). None: validate everything."""
    from govgraph.shapes.engine import MAX_SCOPE
    subjects: set[str] = set()
    nodes: set[str] = set()
    for t in added | removed:
        if not isinstance(t.subject, ox.NamedNode):
            return None
        subjects.add(t.subject.value)
        if isinstance(t.object, ox.NamedNode) and t.predicate.value != _RDF_TYPE and not t.object.value.startswith(_VOCAB):
            nodes.add(t.object.value)
    nodes |= subjects
    if len(nodes) > MAX_SCOPE:
        return None
    if subjects:
        values = " ".join(f"<{n}>" for n in sorted(subjects))
        q = f"SELECT DISTINCT ?s WHERE {{ VALUES ?n {{ {values} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
        nodes |= {r["s"].value for r in store.query(q, graphs=txn.view(), prefixes=False)}
    return None if len(nodes) > MAX_SCOPE else sorted(nodes)


def validate_change(txn, *, added: set[ox.Triple], removed: set[ox.Triple], force: bool = False):
    """Validate a transaction over the nodes its change touches; refuse it only for violations it introduces.

    A pipeline reporting a run over a dataset that already breaks a rule (say, a
    missing lawful basis) must not be blocked by that old finding: violations in the
    change's scope are compared with the same scope before the change, and only new
    ones refuse it (ValidationFailed with the report of the new violations).
    """
    from govgraph.shapes.imports import refuse_new_violations
    from govgraph.shapes.validate import parse_date, run
    store = txn.store
    shapes = _shapes(parse_date(None))
    scope = change_scope(store, txn, added, removed)
    after = run(store, shapes, graphs=txn.view(), scope=scope, with_scorecard=False)
    if after.conforms or force:
        return after
    return refuse_new_violations(
        after, lambda: run(store, shapes, graphs=store.graphs(), scope=scope, with_scorecard=False),
        "change rejected")


# ----------------------------------------------------------------------------- patches (small changes)

class InexactView(Exception):
    """A patch's view still shows triples it removes, and a check that could be affected reads them:
    validate through the exact (whole-source) path instead."""


class _View:
    def __init__(self, graphs):
        self._graphs = list(graphs)

    def view(self):
        return list(self._graphs)


_RDF_TYPE_NODE = ox.NamedNode(_RDF_TYPE)
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_IRI_RE = re.compile(r"<([^<>\s\"{}|^`\\]*)>")
_PNAME_RE = re.compile(r"(?<![\w?$:/#.-])([A-Za-z][\w-]*)?:([A-Za-z_0-9][\w-]*(?:\.[\w-]+)*)")
_PREFIX_RE = re.compile(r"PREFIX\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>", re.I)
_A_RE = re.compile(r"(?<![\w?$:\"'])a(?![\w:\"'])")
_PROJECTION_RE = re.compile(r"SELECT\s.*?WHERE", re.S | re.I)
_VAR_PREDICATE_RE = re.compile(r"[?$]\w+\s+[?$]\w+\s+[?$<\w\"'(\[_]")
_NEGATED_RE = re.compile(r"(?:[?$]\w+\s+|>\s+|[A-Za-z][\w-]*:[\w-]*\s+|(?<!\|)\|(?!\|)\s*|/\s*|\^\s*)!\s*[(<^\w]")
_reads_cache: dict[int, tuple] = {}


def check_reads(plan, check) -> frozenset[str] | None:
    """The predicate IRIs a compiled check's query can read (None: any, a variable or negated predicate).

    Over-approximates: every IRI written in the query counts (a class or value IRI too), and
    ``a`` or a class closure counts as rdf:type. A check that reads none of the predicates a
    change adds or removes gives the same findings before and after it.
    """
    hit = _reads_cache.get(id(plan))
    if hit is None or hit[0] is not plan:
        prefixes = {p or "": ns for p, ns in _PREFIX_RE.findall(plan.prologue)}
        hit = (plan, prefixes, {})
        _reads_cache.clear()
        _reads_cache[id(plan)] = hit
    _plan, prefixes, per_check = hit
    key = id(check)
    if key in per_check and per_check[key][0] is check:
        return per_check[key][1]
    body = check.body
    stripped = _PROJECTION_RE.sub(" ", body.replace("{T}", " "))
    if _VAR_PREDICATE_RE.search(stripped) or _NEGATED_RE.search(stripped):
        reads = None
    else:
        iris = set(_IRI_RE.findall(body))
        for p, local in _PNAME_RE.findall(body):
            if (p or "") in prefixes:
                iris.add(prefixes[p or ""] + local)
        if _A_RE.search(body) or "@CLOSURE:" in body:
            iris.add(_RDF_TYPE)
        reads = frozenset(iris)
    per_check[key] = (check, reads)
    return reads


def _new_nodes(store: Store, nodes: set[str], staged: set[str]) -> set[str]:
    """Those of ``nodes`` in no triple of the store outside the ``staged`` graphs (internal graphs,
    history included: a node that ever existed is not new)."""
    out = set()
    for n in nodes:
        node = ox.NamedNode(n)
        if not any(q.graph_name.value not in staged for pat in ((node, None, None), (None, None, node))
                   for q in store.quads(*pat, None)):
            out.add(n)
    return out


def validate_patch(store: Store, graphs: list, *, added: set[ox.Triple], removed: set[ox.Triple],
                   force: bool = False):
    """``validate_change`` for a staged patch (``graphs``: the live sources plus the staged additions).

    Runs only the checks whose findings the change can alter: those reading a predicate the
    change adds or removes, those whose targets it changes (the types of the touched nodes;
    the predicate of a subjectsOf/objectsOf target), all of them if it changes rdfs:subClassOf.
    Types given to nodes that are new (in no triple yet) count as a target change only: any
    check reaching a new node from another one reads the new triple that links them. The
    others give the same findings on the scope before and after, so they cannot introduce a
    violation. The report holds the findings of the checks run. Raises ``InexactView`` when a
    check run reads a predicate of a removed triple (the view still shows removals), and
    ValidationFailed, as ``validate_change``, for violations the change introduces.
    """
    from govgraph.shapes import engine
    from govgraph.shapes.compiler import Plan
    from govgraph.shapes.imports import refuse_new_violations
    from govgraph.shapes.model import Report
    from govgraph.shapes.validate import parse_date, plan_for, run
    shapes = _shapes(parse_date(None))
    plan = plan_for(shapes)
    changed = added | removed
    if not changed:
        return Report([], shapes.check_date, {}, "fast")
    if plan.unsupported or any(t.predicate.value == _SUBCLASS for t in changed):
        checks = None  # validate with every shape
    else:
        typed = {t.subject.value for t in added if t.predicate == _RDF_TYPE_NODE and isinstance(t.subject, ox.NamedNode)}
        live = {g.value for g in store.graphs()}
        new = _new_nodes(store, typed, {g.value for g in graphs} - live)
        preds = {t.predicate.value for t in changed
                 if not (t.predicate == _RDF_TYPE_NODE and t.subject.value in new and t in added)}
        types = {t.object.value for t in changed if t.predicate == _RDF_TYPE_NODE and isinstance(t.object, ox.NamedNode)}
        closure = engine.closure_fn(engine.subclass_edges(store, graphs)) if types else None
        checks = []
        for c in plan.checks:
            reads = check_reads(plan, c)
            if reads is None or reads & preds \
                    or any(k != "class" and k != "node" and iri in preds for k, iri in c.targets) \
                    or (closure is not None and any(k == "class" and closure(iri) & types for k, iri in c.targets)):
                checks.append(c)
        removed_preds = {t.predicate.value for t in removed}
        if any(check_reads(plan, c) is None or check_reads(plan, c) & removed_preds for c in checks):
            raise InexactView()
    if checks is not None and not checks:
        return Report([], shapes.check_date, {}, "fast")
    if checks is None and removed:
        raise InexactView()
    scope = change_scope(store, _View(graphs), added, removed)
    if checks is None:
        after = run(store, shapes, graphs=graphs, scope=scope, with_scorecard=False)
        before_fn = lambda: run(store, shapes, graphs=store.graphs(), scope=scope, with_scorecard=False)  # noqa: E731
    else:
        sub = Plan(checks=checks, unsupported=[], prologue=plan.prologue, principle_targets=plan.principle_targets)
        after = Report(engine.run_plan(store, sub, graphs, scope), shapes.check_date, {}, "fast")
        before_fn = lambda: Report(engine.run_plan(store, sub, store.graphs(), scope),  # noqa: E731
                                   shapes.check_date, {}, "fast")
    if after.conforms or force:
        return after
    return refuse_new_violations(after, before_fn, "change rejected")
