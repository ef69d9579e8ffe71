"""Per-asset read protection: which assets a reader may see, and the estate as that reader sees it.

An asset classified OFFICIAL-SENSITIVE (or SECRET / TOP SECRET) is *restricted*: only a
viewer holding one of its ``gov:accessGroup`` values, or an admin, may see it. A
restricted asset with no access group is visible to admins only (fails closed).

Hiding works on the data, not on each page: ``redacted_view`` returns an in-memory copy of
the estate (one per store revision and set of hidden assets, cached) in which

* every triple about a hidden asset, or about a record that exists only to describe it
  (its fields ``gov:fieldOf``, quality measurements ``dqv:computedOn``, quality targets
  ``gov:targetFor``, and blank nodes hanging off any of these), is gone;
* every reference *to* one of them from a visible resource points instead at an opaque
  placeholder ``urn:govgraph:restricted:<keyed hash>`` typed ``gov:RestrictedAsset`` and
  titled "restricted asset"; a hidden thing's derivations (``prov:wasDerivedFrom``,
  ``gov:derivedFromField``) and the system holding it (``gov:heldIn``) are kept from its
  placeholder, so a lineage graph keeps its shape without naming anything hidden.

Pages, search, reports, the JSON API and SPARQL queries all read that copy, so nothing
that reads the graph can find what it does not hold. The placeholder hash is keyed with a
per-process random secret: an IRI cannot be confirmed by hashing a guess.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import weakref
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import pyoxigraph as ox

from govgraph.derived import Derivation, KeptCopies
from govgraph.ontology.ns import DCTERMS, DQV, GOV, PROV, RDF
from govgraph.store import Store, open_store

#: Classifications that make an asset restricted.
RESTRICTED_CLASSIFICATIONS = frozenset(str(c) for c in (GOV.OfficialSensitive, GOV.Secret, GOV.TopSecret))
#: ``?d P ?h``: ``?d`` exists only to describe ``?h`` and is hidden with it.
DEPENDENT_PREDICATES = (str(GOV.fieldOf), str(DQV.computedOn), str(GOV.targetFor))
#: Edges kept from a hidden thing (as its placeholder): derivations and the system holding it,
#: which is what a lineage graph is drawn from (where a carried dataset lands).
KEPT_EDGES = frozenset({str(PROV.wasDerivedFrom), str(GOV.derivedFromField), str(GOV.heldIn)})
PLACEHOLDER_PREFIX = "urn:govgraph:restricted:"
PLACEHOLDER_TITLE = "restricted asset"
RESTRICTED_CLASS = str(GOV.RestrictedAsset)

_KEY = secrets.token_bytes(32)  # per process: placeholders are stable here, unguessable elsewhere


@dataclass(frozen=True)
class Viewer:
    """Who is reading: a token's name, its access groups, and whether it is an admin."""
    name: str | None = None
    groups: frozenset[str] = frozenset()
    admin: bool = False

    @classmethod
    def of(cls, principal) -> "Viewer":
        """The viewer for an authenticated principal (``govgraph.auth.Principal``) or None (anonymous)."""
        if principal is None:
            return ANONYMOUS
        return cls(principal.name, frozenset(getattr(principal, "groups", ()) or ()), principal.role == "admin")


ANONYMOUS = Viewer()


def may_see(viewer: Viewer, groups: Iterable[str]) -> bool:
    """Whether ``viewer`` may see a restricted asset with these access groups."""
    return viewer.admin or bool(viewer.groups & set(groups))


# ----------------------------------------------------------------------------- restricted assets

_restricted_cache: "weakref.WeakKeyDictionary[Store, tuple[int, dict[str, frozenset[str]]]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def restricted_assets(store: Store) -> dict[str, frozenset[str]]:
    """Every restricted asset of the store's current revision, with its access groups (cached per revision)."""
    rev = store.revision
    with _lock:
        hit = _restricted_cache.get(store)
        if hit is not None and hit[0] == rev:
            return hit[1]
    values = " ".join(f"<{c}>" for c in sorted(RESTRICTED_CLASSIFICATIONS))
    out: dict[str, set[str]] = {}
    for r in store.query(f"SELECT ?s ?g WHERE {{ VALUES ?c {{ {values} }} ?s <{GOV.classification}> ?c "
                         f"OPTIONAL {{ ?s <{GOV.accessGroup}> ?g }} }}"):
        s = r["s"]
        if not isinstance(s, ox.NamedNode):
            continue
        groups = out.setdefault(s.value, set())
        g = r["g"]
        if g is not None:
            groups.add(g.value)
    result = {s: frozenset(g) for s, g in out.items()}
    with _lock:
        _restricted_cache[store] = (rev, result)
    return result


def hidden_from(store: Store, viewer: Viewer) -> frozenset[str]:
    """The restricted assets ``viewer`` may not see (empty for admins)."""
    if viewer.admin:
        return frozenset()
    return frozenset(s for s, groups in restricted_assets(store).items() if not may_see(viewer, groups))


@dataclass(frozen=True)
class Redaction:
    """What one viewer may not see in one estate: hidden assets and the records that only describe them."""
    hidden: frozenset[str]
    dependents: frozenset[str] = frozenset()
    _covered: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_covered", self.hidden | self.dependents)

    def __bool__(self) -> bool:
        return bool(self.hidden)

    def covers(self, iri: str | None) -> bool:
        """Whether ``iri`` is hidden (an asset or one of its fields, measurements, targets)."""
        return bool(iri) and iri in self._covered

    @staticmethod
    def placeholder(iri: str) -> str:
        """The opaque stand-in for a hidden IRI (stable in this process, keyed so it cannot be guessed)."""
        return PLACEHOLDER_PREFIX + hmac.new(_KEY, iri.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def is_placeholder(iri: str) -> bool:
    """Whether ``iri`` is a placeholder minted by a redaction."""
    return iri.startswith(PLACEHOLDER_PREFIX)


def redaction_for(store: Store, viewer: Viewer, extra_hidden: Iterable[str] = ()) -> Redaction:
    """The redaction of ``store`` for ``viewer`` (plus ``extra_hidden`` assets, e.g. hidden at another date)."""
    hidden = hidden_from(store, viewer) | frozenset(extra_hidden)
    if not hidden:
        return Redaction(frozenset())
    dependents: set[str] = set()
    frontier = set(hidden)
    preds = " ".join(f"<{p}>" for p in DEPENDENT_PREDICATES)
    pairs = [(r["d"], r["h"].value) for r in
             store.query(f"SELECT ?d ?h WHERE {{ VALUES ?p {{ {preds} }} ?d ?p ?h FILTER(isIRI(?h)) }}")]
    while frontier:  # fields of hidden datasets, measurements on those fields, ...
        new = {d.value for d, h in pairs if h in frontier and isinstance(d, ox.NamedNode)} - dependents - hidden
        dependents |= new
        frontier = new
    return Redaction(hidden, frozenset(dependents))


# ----------------------------------------------------------------------------- the redacted copy

def _redacted_quads(store: Store, graph: ox.NamedNode, r: Redaction) -> Iterator[ox.Triple]:
    """The triples of one source graph as the redaction allows, references mapped to placeholders."""
    quads = list(store.quads(None, None, None, graph))
    covered_bnodes: set[str] = set()
    # blank nodes hanging off hidden subjects are hidden too (to a fixed point)
    changed = True
    while changed:
        changed = False
        for q in quads:
            s, o = q.subject, q.object
            if isinstance(o, ox.BlankNode) and o.value not in covered_bnodes and (
                    (isinstance(s, ox.NamedNode) and r.covers(s.value))
                    or (isinstance(s, ox.BlankNode) and s.value in covered_bnodes)):
                covered_bnodes.add(o.value)
                changed = True
    used: set[str] = set()

    def mapped(term):
        if isinstance(term, ox.NamedNode) and r.covers(term.value):
            ph = r.placeholder(term.value)
            used.add(ph)
            return ox.NamedNode(ph)
        return term

    for q in quads:
        s, p, o = q.subject, q.predicate, q.object
        if isinstance(s, ox.BlankNode) and s.value in covered_bnodes:
            continue
        if isinstance(s, ox.NamedNode) and r.covers(s.value):
            if p.value in KEPT_EDGES and isinstance(o, ox.NamedNode):
                yield ox.Triple(mapped(s), p, mapped(o))
            continue
        if isinstance(o, ox.BlankNode) and o.value in covered_bnodes:
            continue
        yield ox.Triple(s, p, mapped(o))
    for ph in sorted(used):
        node = ox.NamedNode(ph)
        yield ox.Triple(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(RESTRICTED_CLASS))
        yield ox.Triple(node, ox.NamedNode(str(DCTERMS.title)), ox.Literal(PLACEHOLDER_TITLE))


def redact(store: Store, r: Redaction) -> Store:
    """A new in-memory store holding every source of ``store`` with ``r`` applied (same source names)."""
    out = open_store("memory:")
    for src in store.sources():
        graph = ox.NamedNode(src.graph)
        with out.begin(src.name, who="redacted view", loaded_from=src.loaded_from) as txn:
            g = txn.graph
            out.add_quads(ox.Quad(t.subject, t.predicate, t.object, g) for t in _redacted_quads(store, graph, r))
            txn.commit(note="redacted view")
    # history and validation are read from the original
    parent = store.derivation.key if store.derivation else (id(store), store.url)
    out.derivation = Derivation(key=("redacted", parent, store.revision, r.hidden), origin=store, redaction=r)
    return out


#: How many redacted copies are kept per store (each is a full in-memory copy).
VIEWS_KEPT = 4
#: Redacted copies per original store: (revision, hidden set) -> Store.
_views: "weakref.WeakKeyDictionary[Store, KeptCopies[Store]]" = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()
_build_lock = threading.Lock()  # one build at a time, for every store: two readers asking at once share the work


def redacted_view(store: Store, viewer: Viewer, extra_hidden: Iterable[str] = ()) -> Store:
    """The estate as ``viewer`` may see it: ``store`` itself when nothing is hidden, else a cached redacted copy.

    Copies are keyed by the store revision and the set of hidden assets, so viewers with
    different groups but the same hidden set share one copy.
    """
    hidden = hidden_from(store, viewer) | frozenset(extra_hidden)
    if not hidden:
        return store
    with _views_lock:
        kept = _views.get(store)
        if kept is None:
            kept = _views[store] = KeptCopies(VIEWS_KEPT, _build_lock)
    return kept.get((store.revision, hidden), lambda: redact(store, redaction_for(store, viewer, extra_hidden)))


def origin(store: Store) -> Store:
    """The store a redacted copy was made from (the store itself otherwise)."""
    return store.derivation.origin if store.derivation and store.derivation.origin else store


def redaction_of(store: Store) -> Redaction | None:
    """The redaction applied to a redacted copy (None for an ordinary store)."""
    return store.derivation.redaction if store.derivation else None


def visible_finding(r: Redaction | None, focus: str, value: str | None) -> bool:
    """Whether a validation finding (focus node, offending value) may be shown under redaction ``r``."""
    return r is None or not (r.covers(focus) or r.covers(value))


def visible_triple(r: Redaction | None, triple: tuple) -> bool:
    """Whether a triple (rdflib or string terms) mentions nothing ``r`` hides."""
    return r is None or not any(r.covers(str(t)) for t in triple)


def visible_changes(changes: list, r: Redaction | None) -> list:
    """An asset's change records (``history.AssetChange``) without triples that mention hidden things."""
    if r is None:
        return changes
    out = []
    for c in changes:
        added = [t for t in c.added if visible_triple(r, t)]
        removed = [t for t in c.removed if visible_triple(r, t)]
        if added or removed or not (c.added or c.removed):
            out.append(replace(c, added=added, removed=removed))
    return out


__all__ = ["ANONYMOUS", "PLACEHOLDER_TITLE", "Redaction", "Viewer", "hidden_from", "is_placeholder", "may_see",
           "origin", "redact", "redacted_view", "redaction_for", "redaction_of", "restricted_assets",
           "visible_changes", "visible_finding", "visible_triple"]
