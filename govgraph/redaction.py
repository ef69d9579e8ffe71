"""A redaction and the copy of an estate it makes: what one reader may not see, removed, and what
visible records say about it replaced by opaque stand-ins.

``govgraph.access`` decides *what* is hidden from a reader (the ``Redaction``); this module
builds the in-memory copy with it applied, one source graph at a time:

* a hidden asset (named, or a blank node classified OFFICIAL-SENSITIVE / SECRET / TOP SECRET
  whose access groups the reader does not hold), the records that only describe it (its
  fields, quality measurements and targets, named or blank) and the blank nodes under any of
  these are removed; references to a hidden thing from visible records point at a placeholder
  ``urn:govgraph:restricted:<keyed hash>`` ("restricted asset"), from which its derivations,
  holding system and the body it is submitted to are kept, so lineage keeps its shape;
* a *renamed* visible record (a flow from or to a hidden asset, or a record linked to one whose
  IRI spells the hidden asset's name) keeps its links and typed values under an opaque IRI
  ``urn:govgraph:renamed:<keyed hash>``, titled "restricted flow" (or "restricted resource"),
  without its own text (labels, descriptions: they name what it moves).

The hashes are keyed with a random secret, an IRI cannot be confirmed by hashing a guess: for an embedded store on
disk, a key kept beside it (``redaction.key``, readable by its owner only: copies kept on disk across a restart use
the same stand-ins, ``govgraph.kept_copies``); for any other store, one per process.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass, field
from itertools import chain
from typing import Iterable, Iterator

import pyoxigraph as ox

from govgraph import kept_state
from govgraph.audit import ChangeRecord, read_history
from govgraph.derived import Derivation
from govgraph.ontology.ns import DCTERMS, DQV, GOV, PROV, RDF, RDFS, XSD
from govgraph.store import SourceInfo, Store, open_store

#: Classifications that make an asset restricted.
RESTRICTED_CLASSIFICATIONS = frozenset(str(c) for c in (GOV.OfficialSensitive, GOV.Secret, GOV.TopSecret))
#: ``?d P ?h``: ``?d`` exists only to describe ``?h`` and is hidden with it.
DEPENDENT_PREDICATES = (str(GOV.fieldOf), str(DQV.computedOn), str(GOV.targetFor))
#: Edges kept from a hidden thing (as its placeholder): derivations, the system holding it and the
#: body a return is submitted to, which is what a lineage graph is drawn from (where a carried dataset lands).
KEPT_EDGES = frozenset({str(PROV.wasDerivedFrom), str(GOV.derivedFromField), str(GOV.heldIn), str(GOV.submittedTo)})
#: A flow's ends: a flow from or to a hidden asset is renamed.
FLOW_ENDS = (str(GOV.source), str(GOV.target))
PLACEHOLDER_PREFIX = "urn:govgraph:restricted:"
PLACEHOLDER_TITLE = "restricted asset"
RESTRICTED_CLASS = str(GOV.RestrictedAsset)
RENAMED_PREFIX = "urn:govgraph:renamed:"
RENAMED_FLOW_TITLE = "restricted flow"
RENAMED_TITLE = "restricted resource"
#: Literal datatypes of free text (dropped from renamed records).
TEXT_TYPES = frozenset({str(XSD.string), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})

_KEY = secrets.token_bytes(32)  # per process, for stores that keep nothing on disk
#: The placeholder key's file, in the folder where an embedded store keeps derived state (``kept_state.folder_of``).
KEY_FILE = "redaction.key"
_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()
_TYPE, _FLOW = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(GOV.Flow))
_CLASSIFICATION, _GROUP = str(GOV.classification), str(GOV.accessGroup)
_RESTRICTED, _TITLE = ox.NamedNode(RESTRICTED_CLASS), ox.NamedNode(str(DCTERMS.title))
_PLACEHOLDER_TITLE = ox.Literal(PLACEHOLDER_TITLE)


def secret_for(store: Store) -> bytes:
    """The key a redaction of ``store`` hashes its stand-ins with: kept beside an embedded store on disk (made on
    first use, readable by its owner only), else this process's."""
    folder = kept_state.folder_of(store)
    if folder is None:
        return _KEY
    path = folder / KEY_FILE
    with _keys_lock:
        key = _keys.get(str(path))
        if key is not None:
            return key
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            key = b""
        if len(key) != 32:  # none yet (or not one of ours): a new key; copies made with another are not reopened
            key = secrets.token_bytes(32)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            os.replace(tmp, path)
        _keys[str(path)] = key
        return key


def _keyed(secret: bytes, prefix: str, text: str) -> str:
    return prefix + hmac.new(secret or _KEY, text.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class Redaction:
    """What one reader may not see in one estate.

    ``hidden``: restricted named assets; ``dependents``: named records that only describe a
    hidden asset; ``renamed``: visible named records shown under an opaque IRI; ``clearance``:
    the reader's access groups that open restricted blank-node assets (None when no such asset
    is hidden from the reader; otherwise one whose groups miss ``clearance`` is hidden).
    """
    hidden: frozenset[str]
    dependents: frozenset[str] = frozenset()
    renamed: frozenset[str] = frozenset()
    clearance: frozenset[str] | None = None
    #: the key stand-ins are hashed with (``secret_for``; empty: this process's)
    secret: bytes = field(default=b"", repr=False)
    _covered: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    _digest: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_covered", self.hidden | self.dependents)

    def __bool__(self) -> bool:
        return bool(self.hidden) or self.clearance is not None

    @property
    def key(self) -> tuple:
        """What distinguishes this redaction's copy from another of the same estate revision."""
        return self.hidden, self.clearance

    def covers(self, iri: str | None) -> bool:
        """Whether ``iri`` is hidden (an asset or one of its fields, measurements, targets)."""
        return bool(iri) and iri in self._covered

    def conceals(self, term: str | None) -> bool:
        """Whether a term (IRI or ``_:`` blank node) is not shown as written: hidden, renamed, or a
        blank node while restricted blank-node assets are hidden (they cannot be told apart by name)."""
        return bool(term) and (term in self._covered or term in self.renamed
                               or (self.clearance is not None and term.startswith("_:")))

    def hides_blank(self, groups: Iterable[str]) -> bool:
        """Whether a restricted blank-node asset with these access groups is hidden."""
        return self.clearance is not None and not self.clearance & set(groups)

    def placeholder(self, iri: str) -> str:
        """The opaque stand-in for a hidden IRI (stable for its store, keyed so it cannot be guessed)."""
        return _keyed(self.secret, PLACEHOLDER_PREFIX, iri)

    def renaming(self, iri: str) -> str:
        """The opaque IRI a renamed visible record is shown under."""
        return _keyed(self.secret, RENAMED_PREFIX, iri)

    @property
    def digest(self) -> str:
        """A name for this redaction (what it hides, describes as hidden, renames, its clearance and key): equal
        for equal redactions, so a copy kept on disk is reopened only under the redaction it was made with."""
        if not self._digest:
            h = hashlib.sha256(self.secret or _KEY)
            for part in (self.hidden, self.dependents, self.renamed, self.clearance or ()):
                h.update(b"\x00".join(sorted(x.encode("utf-8") for x in part)) + b"\x01")
            h.update(b"blank" if self.clearance is not None else b"-")
            self._digest.append(h.hexdigest()[:32])
        return self._digest[0]


def is_placeholder(iri: str) -> bool:
    """Whether ``iri`` is a placeholder minted by a redaction."""
    return iri.startswith(PLACEHOLDER_PREFIX)


def is_renamed(iri: str) -> bool:
    """Whether ``iri`` is the opaque IRI of a renamed record."""
    return iri.startswith(RENAMED_PREFIX)


# ----------------------------------------------------------------------------- one source graph

def _below(quads: list[ox.Quad], top, marked: set[str], stop: set[str] = frozenset()) -> set[str]:
    """``marked`` plus every blank node (not in ``stop``) reached from a subject ``top(subject)`` accepts
    or from one already marked, to a fixed point."""
    while True:
        new = {q.object.value for q in quads if isinstance(q.object, ox.BlankNode) and q.object.value not in marked
               and q.object.value not in stop
               and ((isinstance(q.subject, ox.BlankNode) and q.subject.value in marked) or top(q.subject))}
        if not new:
            return marked
        marked |= new


def _hidden_blanks(quads: list[ox.Quad], r: Redaction) -> set[str]:
    """Blank nodes of one graph that are hidden things: restricted blank-node assets the reader may
    not see, and blank records that only describe a hidden thing (named or blank)."""
    groups: dict[str, set[str]] = {}
    if r.clearance is not None:
        groups = {q.subject.value: set() for q in quads if isinstance(q.subject, ox.BlankNode)
                  and q.predicate.value == _CLASSIFICATION and q.object.value in RESTRICTED_CLASSIFICATIONS}
        for q in quads:
            if q.predicate.value == _GROUP and isinstance(q.subject, ox.BlankNode) and q.subject.value in groups:
                groups[q.subject.value].add(q.object.value)
    hidden = {b for b, gs in groups.items() if r.hides_blank(gs)}
    describing = [q for q in quads if isinstance(q.subject, ox.BlankNode) and q.predicate.value in DEPENDENT_PREDICATES]
    while describing:  # blank fields of hidden datasets, measurements on those fields, ...
        new = {q.subject.value for q in describing if q.subject.value not in hidden and (
            (isinstance(q.object, ox.NamedNode) and r.covers(q.object.value))
            or (isinstance(q.object, ox.BlankNode) and q.object.value in hidden))}
        if not new:
            break
        hidden |= new
    return hidden


def _redacted_quads(store: Store, graph: ox.NamedNode, r: Redaction) -> Iterator[ox.Triple]:
    """The triples of one source graph as the redaction allows, references mapped to stand-ins."""
    return _redacted(list(store.quads(None, None, None, graph)), graph, r)


def _redacted(quads: list[ox.Quad], graph: ox.NamedNode, r: Redaction) -> Iterator[ox.Triple]:
    """``quads`` (those of one source graph, or every triple of some named subjects of one that hold no
    blank node: see ``_follow_source``) as the redaction allows, with a placeholder's and a renamed
    record's stand-in triples for the placeholders and renamed records they use."""
    hidden_b = _hidden_blanks(quads, r)

    def concealed(t) -> bool:  # a hidden thing, shown (if at all) as its placeholder
        return ((isinstance(t, ox.NamedNode) and r.covers(t.value))
                or (isinstance(t, ox.BlankNode) and t.value in hidden_b))

    def renamed(t) -> bool:
        return isinstance(t, ox.NamedNode) and t.value in r.renamed

    # blank nodes under hidden things go with them; those under renamed records lose their text
    under_hidden = _below(quads, concealed, set(), hidden_b)
    under_renamed = _below(quads, renamed, set(), hidden_b | under_hidden) if r.renamed else set()
    used: set[str] = set()
    flows: dict[str, bool] = {}

    def mapped(term):
        if isinstance(term, ox.BlankNode):
            if term.value not in hidden_b:
                return term
            ph = r.placeholder(f"_:{graph.value} {term.value}")
        elif not isinstance(term, ox.NamedNode):
            return term
        elif r.covers(term.value):
            ph = r.placeholder(term.value)
        elif term.value in r.renamed:
            return ox.NamedNode(r.renaming(term.value))
        else:
            return term
        used.add(ph)
        return ox.NamedNode(ph)

    for q in quads:
        s, p, o = q.subject, q.predicate, q.object
        if isinstance(s, ox.BlankNode) and s.value in under_hidden:
            continue
        if concealed(s):
            if p.value in KEPT_EDGES and (isinstance(o, ox.NamedNode) or concealed(o)):
                yield ox.Triple(mapped(s), p, mapped(o))
            continue
        if isinstance(o, ox.BlankNode) and o.value in under_hidden:
            continue
        if renamed(s) or (isinstance(s, ox.BlankNode) and s.value in under_renamed):
            if isinstance(o, ox.Literal) and o.datatype.value in TEXT_TYPES:
                continue  # its own words name what it carries
            if renamed(s):
                flows[s.value] = flows.get(s.value, False) or (p == _TYPE and o == _FLOW)
        yield ox.Triple(mapped(s), p, mapped(o))
    for ph in sorted(used):
        yield from _standing_in(ox.NamedNode(ph))
    for iri, is_flow in sorted(flows.items()):
        yield ox.Triple(ox.NamedNode(r.renaming(iri)), ox.NamedNode(str(RDFS.label)),
                        ox.Literal(RENAMED_FLOW_TITLE if is_flow else RENAMED_TITLE))


def _standing_in(ph: ox.NamedNode) -> tuple[ox.Triple, ox.Triple]:
    """What a copy says of a placeholder it uses."""
    return ox.Triple(ph, _TYPE, _RESTRICTED), ox.Triple(ph, _TITLE, _PLACEHOLDER_TITLE)


def redact(store: Store, r: Redaction, into: str = "memory:") -> Store:
    """A new store (``into``: in memory, or an empty embedded store on disk) holding every source of ``store`` with
    ``r`` applied (same source names)."""
    out = open_store(into)
    for src in store.sources():
        graph = ox.NamedNode(src.graph)
        with out.begin(src.name, who="redacted view", loaded_from=src.loaded_from) as txn:
            g = txn.graph
            out.add_quads((ox.Quad(t.subject, t.predicate, t.object, g) for t in _redacted_quads(store, graph, r)),
                          bulk=into != "memory:")  # a new store on disk: no one reads it until it is made
            txn.commit(note="redacted view")
    out.derivation = copy_derivation(store, store.revision, r)  # history and validation are read from the original
    return out


def copy_derivation(store: Store, revision: int, r: Redaction) -> Derivation:
    """What a copy of ``store`` under ``r`` exact for ``revision`` derives from (its key names the three)."""
    parent = store.derivation.key if store.derivation else (id(store), store.url)
    return Derivation(key=("redacted", parent, revision) + r.key, origin=store, redaction=r)


def redacted_revision(copy: Store) -> int | None:
    """The revision of the original a redacted copy is exact for (None if ``copy`` is not one)."""
    d = copy.derivation
    return d.key[2] if d is not None and d.key[:1] == ("redacted",) else None


def follow(copy: Store, store: Store, r: Redaction) -> Store | None:
    """Bring a redacted copy of ``store`` up to its current revision, if it was made with ``r`` (the
    redaction of the current revision, so nothing newly hidden is kept) and every commit since is
    recorded. A source those commits changed in place is followed triple by triple when the change and
    the records it touches hold no blank node (``_follow_source``); any other source they wrote is
    redacted again whole (a redaction works one source graph at a time). The copy's own derived views
    then apply what changed in it as changes.

    Returns the copy (changed in place: readers holding it see each source switch at its commit,
    under the same redaction), or None when it has to be made afresh (``redact``)."""
    since, d = redacted_revision(copy), copy.derivation
    until = store.revision
    if since is None or d.redaction != r or d.origin is not store or since > until:
        return None
    records = read_history(store.backend, since, until) if until > since else []  # these commits' only
    if len(records) != until - since:
        return None  # a commit without a record: not known what it wrote
    by_source: dict[str, list[ChangeRecord]] = {}
    for rec in records:
        by_source.setdefault(rec.source, []).append(rec)
    for name, recs in sorted(by_source.items()):
        if not store.has_source(name):
            if copy.has_source(name):
                copy.remove_source(name, who="redacted view")
            continue
        src = store.source(name)
        graph = ox.NamedNode(src.graph)
        if copy.has_source(name):
            subjects = _touched(store, recs)
            if subjects is not None and _follow_source(copy, store, src, subjects, r):
                continue
        with copy.begin(name, replace=copy.has_source(name), who="redacted view", loaded_from=src.loaded_from) as txn:
            g = txn.graph
            copy.add_quads(ox.Quad(t.subject, t.predicate, t.object, g) for t in _redacted_quads(store, graph, r))
            txn.commit(note="redacted view")
    copy.derivation = copy_derivation(store, until, r)
    return copy


# ----------------------------------------------------------------------------- following a change

#: Above this many triples changed in one source since the copy's revision, the source is redacted
#: again whole rather than followed triple by triple.
FOLLOW_LIMIT = 20_000


def _touched(store: Store, recs: list[ChangeRecord]) -> set[ox.NamedNode] | None:
    """The subjects of the triples these commits (all to one source) added and removed, or None if
    the source must be redacted again whole: a commit loaded or removed it, the change is larger than
    FOLLOW_LIMIT, or it holds a blank node (which blank nodes a redaction hides is worked out over
    the whole source graph)."""
    if any(rec.action not in ("replace", "patch") for rec in recs) or sum(
            rec.added + rec.removed for rec in recs) > FOLLOW_LIMIT:
        return None
    subjects: set[ox.NamedNode] = set()
    for rec in recs:
        for g in rec.added_graphs + rec.removed_graphs:
            for q in store.quads(None, None, None, ox.NamedNode(g)):
                if not isinstance(q.subject, ox.NamedNode) or isinstance(q.object, ox.BlankNode):
                    return None
                subjects.add(q.subject)
    return subjects


def _follow_source(copy: Store, store: Store, src: SourceInfo, subjects: set[ox.NamedNode], r: Redaction) -> bool:
    """Make the copy's source ``src.name`` say what a fresh redaction would of ``subjects``: their triples
    (as they are now) redacted again and compared with the copy's, and the placeholders whose use
    changed given or rid of their stand-in triples. False (nothing written) if one of those subjects
    has a blank node among its objects.

    Exact because, with no blank node in play, a named subject's triple is kept, dropped or mapped by
    that triple and ``r`` alone; a renamed record's title by its own triples; and a placeholder's
    stand-in triples by whether anything in the graph still uses it, which is read from the copy."""
    name, graph = src.name, ox.NamedNode(src.graph)
    quads = []
    for s in subjects:
        for q in store.quads(s, None, None, graph):
            if isinstance(q.object, ox.BlankNode):
                return False
            quads.append(q)
    cg = ox.NamedNode(copy.source(name).graph)
    new = {t for t in _redacted(quads, graph, r) if not _is_standing_in(t)}
    old: set[ox.Triple] = set()
    for s in subjects:
        shown = ox.NamedNode(r.placeholder(s.value) if r.covers(s.value) else
                             r.renaming(s.value) if s.value in r.renamed else s.value)
        old.update(t for t in _triples(copy.quads(shown, None, None, cg)) if not _is_standing_in(t))
    add, rem = new - old, old - new
    for ph in {term for t in add | rem for term in (t.subject, t.object)
               if isinstance(term, ox.NamedNode) and is_placeholder(term.value)}:
        used = any(_uses(t, ph) for t in add) or any(
            t not in rem and _uses(t, ph) for t in _triples(chain(copy.quads(None, None, ph, cg),
                                                                  copy.quads(ph, None, None, cg))))
        if used != copy.contains(ph, _TYPE, _RESTRICTED, cg):
            (add if used else rem).update(_standing_in(ph))
    if add or rem:
        with copy.patch(name, who="redacted view", loaded_from=src.loaded_from) as p:
            p.add(add)
            p.remove(rem)
            p.commit(note="redacted view")
    return True


def _triples(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    return (ox.Triple(q.subject, q.predicate, q.object) for q in quads)


def _is_standing_in(t: ox.Triple) -> bool:
    """Whether ``t`` is one of a placeholder's stand-in triples (no redacted triple of a record is)."""
    return is_placeholder(t.subject.value) and t in _standing_in(t.subject)


def _uses(t: ox.Triple, ph: ox.NamedNode) -> bool:
    """Whether the redacted triple ``t`` uses the placeholder ``ph`` (a reference to it, or an edge kept from it)."""
    return t.object == ph or (t.subject == ph and t.predicate.value in KEPT_EDGES)


__all__ = ["DEPENDENT_PREDICATES", "FLOW_ENDS", "PLACEHOLDER_TITLE", "RENAMED_FLOW_TITLE", "RENAMED_TITLE",
           "RESTRICTED_CLASSIFICATIONS", "Redaction", "copy_derivation", "follow", "is_placeholder", "is_renamed",
           "redact", "redacted_revision"]
