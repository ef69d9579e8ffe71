"""Per-asset read protection: which assets a reader may see, and the estate as that reader sees it.

An asset classified OFFICIAL-SENSITIVE (or SECRET / TOP SECRET) is *restricted*: only a
viewer holding one of its ``gov:accessGroup`` values, or an admin, may see it. A
restricted asset with no access group is visible to admins only (fails closed). A blank
node so classified (JSON-LD without ``@id``) is restricted the same way.

Hiding works on the data, not on each page: ``redacted_view`` returns an in-memory copy of
the estate (one per store revision and redaction, cached; after a commit that leaves the redaction
as it was, the copy follows it: only the sources written are redacted again) built by ``govgraph.redaction``:
hidden assets and the records that only describe them are gone, references to them point at
opaque placeholders (lineage keeps its shape), and visible records whose IRI would spell a
hidden name (flows from or to a hidden asset, records linked to one whose IRI contains its
name) appear under opaque IRIs without their own text. This module decides *what* is hidden
from whom (``redaction_for``) and keeps the copies.

Pages, search, reports, the JSON API and SPARQL queries all read that copy, so nothing
that reads the graph can find what it does not hold.
"""
from __future__ import annotations

import logging
import re
import threading
import weakref
from dataclasses import dataclass, field, replace
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode

from govgraph import kept_copies, kept_state, live
from govgraph.derived import KeptCopies
from govgraph.errors import Preparing
from govgraph.ontology.ns import GOV
from govgraph.redaction import (DEPENDENT_PREDICATES, FLOW_ENDS, PLACEHOLDER_TITLE, RESTRICTED_CLASSIFICATIONS,
                                Redaction, follow, is_placeholder, is_renamed, redact, secret_for)
from govgraph.store import Store

log = logging.getLogger(__name__)


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

@dataclass(frozen=True)
class Restricted:
    """The restricted assets of one store revision: named ones with their access groups, and the
    access-group sets of restricted blank-node assets (which have no name to list)."""
    named: dict[str, frozenset[str]]
    blank_groups: frozenset[frozenset[str]]
    #: hidden named assets per set of viewer groups, filled as readers come (see ``hidden_from``)
    hidden: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, compare=False, hash=False)


_lock = threading.Lock()
_VALUES = " ".join(f"<{c}>" for c in sorted(RESTRICTED_CLASSIFICATIONS))
_READ = (str(GOV.classification), str(GOV.accessGroup))


def _read(store: Store, subjects: list[str] | None = None) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    named: dict[str, set[str]] = {}
    blank: dict[str, set[str]] = {}
    # some subjects: each one's classification, filtered (VALUES of both had the store scan every restricted
    # resource: 3 ms a subject at 100k datasets)
    pick = f"VALUES ?c {{ {_VALUES} }} ?s <{GOV.classification}> ?c " if subjects is None else \
        "VALUES ?s { %s } ?s <%s> ?c FILTER(?c IN (%s)) " % (" ".join(f"<{s}>" for s in subjects), GOV.classification,
                                                              ", ".join(_VALUES.split()))
    for r in store.query(f"SELECT ?s ?g WHERE {{ {pick}OPTIONAL {{ ?s <{GOV.accessGroup}> ?g }} }}"):
        s, g = r["s"], r["g"]
        groups = (named if isinstance(s, ox.NamedNode) else blank).setdefault(s.value, set())
        if g is not None:
            groups.add(g.value)
    return named, blank


def _build(store: Store) -> Restricted:
    named, blank = _read(store)
    return Restricted({s: frozenset(g) for s, g in named.items()}, frozenset(frozenset(g) for g in blank.values()))


def _apply(r: Restricted, store: Store, change: live.Change) -> Restricted | None:
    """Kept as it is unless the change touches a classification or an access group; then those subjects read again."""
    touched = [q for q in change.quads if q.predicate.value in _READ]
    if not touched:
        return r
    if any(not isinstance(q.subject, ox.NamedNode) for q in touched):
        return None
    dirty = sorted({q.subject.value for q in touched})
    gone = set(dirty)
    named = {s: g for s, g in r.named.items() if s not in gone}
    named.update((s, frozenset(g)) for s, g in _read(store, dirty)[0].items())
    return Restricted(named, r.blank_groups)


#: The restricted assets as a view kept on the store (``govgraph.live``).
#: kept on disk beside an embedded store (``govgraph.kept_state``), as the redaction links are: with them a restart
#: works out a reader's redaction in a second rather than 8-9 s at 100k datasets (the links' build 6-7 s)
RESTRICTED_VIEW = live.LiveView("restricted", _build, _apply, exact=True,  # a new classification hides at once
                                key=kept_state.code_key("restricted", "1"), save_lock=_lock)


@dataclass(frozen=True)
class Links:
    """What a redaction is worked out from besides the restricted assets, kept live: for each IRI, the
    named records that only describe it (``DEPENDENT_PREDICATES``: its fields, measurements, targets)
    and the named flows from or to it (``FLOW_ENDS``); and, per named subject, what it points at so."""
    dependents: dict[str, frozenset[str]]
    flows: dict[str, frozenset[str]]
    described: dict[str, frozenset[str]]  # d -> the IRIs it describes
    ends: dict[str, frozenset[str]]  # flow -> its ends


_LINKED = frozenset(DEPENDENT_PREDICATES) | frozenset(FLOW_ENDS)


def _read_links(store: Store, subjects: list[str] | None) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    described: dict[str, set[str]] = {}
    ends: dict[str, set[str]] = {}
    values = "" if subjects is None else "VALUES ?d { %s } " % " ".join(f"<{d}>" for d in subjects)
    preds = " ".join(f"<{p}>" for p in sorted(_LINKED))
    for r in store.query(f"SELECT ?d ?p ?h WHERE {{ {values}VALUES ?p {{ {preds} }} ?d ?p ?h FILTER(isIRI(?d)) }}"):
        p, h = r["p"].value, r["h"]
        if p in FLOW_ENDS:
            ends.setdefault(r["d"].value, set()).add(h.value)
        elif isinstance(h, ox.NamedNode):
            described.setdefault(r["d"].value, set()).add(h.value)
    return described, ends


def _inverse(by_subject: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for d, hs in by_subject.items():
        for h in hs:
            out.setdefault(h, set()).add(d)
    return {h: frozenset(ds) for h, ds in out.items()}


def _build_links(store: Store) -> Links:
    described, ends = _read_links(store, None)
    described_ = {d: frozenset(hs) for d, hs in described.items()}
    ends_ = {f: frozenset(hs) for f, hs in ends.items()}
    return Links(_inverse(described_), _inverse(ends_), described_, ends_)


def _repoint(by_subject: dict, inverse: dict, subject: str, now: frozenset[str]) -> None:
    for h in by_subject.get(subject, frozenset()) - now:
        left = inverse[h] - {subject}
        if left:
            inverse[h] = left
        else:
            del inverse[h]
    for h in now - by_subject.get(subject, frozenset()):
        inverse[h] = inverse.get(h, frozenset()) | {subject}
    if now:
        by_subject[subject] = now
    else:
        by_subject.pop(subject, None)


def _apply_links(links: Links, store: Store, change: live.Change) -> Links | None:
    """Kept as it is unless the change touches a describing predicate or a flow's end; then those named
    subjects are read again (copies of the maps, with their entries swapped)."""
    dirty = sorted({q.subject.value for q in change.quads
                    if q.predicate.value in _LINKED and isinstance(q.subject, ox.NamedNode)})
    if not dirty:
        return links
    described, ends = _read_links(store, dirty)
    out = Links(dict(links.dependents), dict(links.flows), dict(links.described), dict(links.ends))
    for d in dirty:
        _repoint(out.described, out.dependents, d, frozenset(described.get(d, ())))
        _repoint(out.ends, out.flows, d, frozenset(ends.get(d, ())))
    return out


#: The links a redaction is worked out from, as a view kept on the store (``govgraph.live``).
LINKS_VIEW = live.LiveView("redaction-links", _build_links, _apply_links, key=kept_state.code_key("redaction-links", "1"))
kept_state.keep_classes(Restricted, Links)


def _restricted(store: Store) -> Restricted:
    return live.view(store, RESTRICTED_VIEW)


def restricted_assets(store: Store) -> dict[str, frozenset[str]]:
    """Every restricted named asset of the store's current revision, with its access groups."""
    return _restricted(store).named


def hidden_from(store: Store, viewer: Viewer) -> frozenset[str]:
    """The restricted named assets ``viewer`` may not see (empty for admins)."""
    if viewer.admin:
        return frozenset()
    r = _restricted(store)
    hit = r.hidden.get(viewer.groups)
    if hit is None:
        # every request of a reader asks (a page, its 404, its suggestions): worked out once per
        # revision and set of groups (54,000 checks at 100k datasets), a few distinct sets at most
        hit = frozenset(s for s, groups in r.named.items() if not may_see(viewer, groups))
        with _lock:
            if len(r.hidden) < 256:
                r.hidden[viewer.groups] = hit
    return hit


def blank_clearance(store: Store, viewer: Viewer) -> frozenset[str] | None:
    """None when ``viewer`` may see every restricted blank-node asset of ``store``; else the viewer's
    groups that open any of them (a blank node whose groups miss these is hidden: new ones fail closed)."""
    sets = _restricted(store).blank_groups
    if viewer.admin or all(may_see(viewer, g) for g in sets):
        return None
    return viewer.groups & frozenset().union(*sets)


def _hidden_key(store: Store, viewer: Viewer, extra_hidden: Iterable[str]) -> tuple:
    # the kept set itself when nothing is added: a copy of 50,000 IRIs a request, hashed and compared
    # in full by the cache of redacted copies, cost about 40 ms of every hidden-mode page at 100k
    hidden, extra = hidden_from(store, viewer), frozenset(extra_hidden)
    return (hidden | extra if extra - hidden else hidden), blank_clearance(store, viewer)


#: Visible records linked to a hidden asset whose IRI contains its name (at least two words) are renamed.
_WORDS = re.compile(r"[^a-z0-9]+")


def _local_words(iri: str) -> str:
    """The last path segment of an IRI, lower-case, words joined by single hyphens and framed by them."""
    return "-" + _WORDS.sub("-", re.split(r"[/#]", iri)[-1].lower()).strip("-") + "-"


def spells(iri: str, hidden: str) -> bool:
    """Whether ``iri``'s local name contains ``hidden``'s (of two words or more) and more besides."""
    name, own = _local_words(hidden), _local_words(iri)
    return name.count("-") >= 3 and name in own and name != own


def _renamed(store: Store, hidden: frozenset[str], covered: frozenset[str], blank_flows: set[str]) -> frozenset[str]:
    """Visible named records shown under opaque IRIs: flows from or to a hidden asset, and records linked
    to one (either way) whose IRI spells its name (see ``spells``; the store picks the candidates)."""
    out = set(blank_flows) - covered
    if not hidden:
        return frozenset(out)
    flows = live.view(store, LINKS_VIEW).flows
    out |= {r for h in hidden for r in flows.get(h, ())} - covered
    names = {h: n for h in hidden if (n := _local_words(h)).count("-") >= 3}
    if not names:
        return frozenset(out)
    pairs = " ".join(f'(<{h}> "{n}")' for h, n in sorted(names.items()))
    spelled = 'CONTAINS(CONCAT("-", REPLACE(LCASE(STR(?r)), "[^a-z0-9]+", "-"), "-"), ?name)'
    for row in store.query(f"SELECT DISTINCT ?r ?h WHERE {{ VALUES (?h ?name) {{ {pairs} }} "
                           f"{{ ?r ?p ?h }} UNION {{ ?h ?p ?r }} FILTER(isIRI(?r) && {spelled}) }}"):
        r = row["r"].value
        if r not in out and r not in covered and spells(r, row["h"].value):
            out.add(r)
    return frozenset(out)


def _blank_records(store: Store, viewer: Viewer) -> tuple[set[str], set[str]]:
    """For the restricted blank-node assets hidden from ``viewer``: the named records that only describe
    them (fields, measurements, targets) and the named flows from or to them (one query: blank node
    labels are only comparable within one answer)."""
    deps = "|".join(f"<{p}>" for p in DEPENDENT_PREDICATES)
    rows = store.query(f"SELECT ?b ?g ?d ?f WHERE {{ VALUES ?c {{ {_VALUES} }} ?b <{GOV.classification}> ?c "
                       f"FILTER(isBlank(?b)) {{ OPTIONAL {{ ?b <{GOV.accessGroup}> ?g }} }} "
                       f"UNION {{ ?d ({deps})+ ?b FILTER(isIRI(?d)) }} "
                       f"UNION {{ ?f <{GOV.source}>|<{GOV.target}> ?b FILTER(isIRI(?f)) }} }}")
    groups: dict[str, set[str]] = {}
    linked: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        b = r["b"].value
        groups.setdefault(b, set())
        if r["g"] is not None:
            groups[b].add(r["g"].value)
        for var in ("d", "f"):
            if r[var] is not None:
                linked.setdefault(b, []).append((var, r[var].value))
    dependents: set[str] = set()
    flows: set[str] = set()
    for b, gs in groups.items():
        if not may_see(viewer, gs):
            for var, iri in linked.get(b, ()):
                (dependents if var == "d" else flows).add(iri)
    return dependents, flows


def redaction_for(store: Store, viewer: Viewer, extra_hidden: Iterable[str] = ()) -> Redaction:
    """The redaction of ``store`` for ``viewer`` (plus ``extra_hidden`` assets, e.g. hidden at another date),
    worked out once and kept while commits leave it as it is (``REDACTIONS_VIEW``)."""
    extra = frozenset(extra_hidden)
    key = (viewer.groups, viewer.admin, extra)
    kept = live.view(store, REDACTIONS_VIEW)
    hit = kept.get(key)
    if hit is None:
        hit = _worked_out(store, viewer, extra)
        with _lock:
            if len(kept) >= 64:
                kept.clear()
            kept[key] = hit
    return hit


def _apply_redactions(kept: dict, store: Store, change: live.Change) -> dict:
    """The redactions worked out so far, kept while a change cannot alter them: it touches no
    classification, access group, describing predicate or flow end, no blank node, and (for each
    redaction) no hidden asset (a record newly linked to one may spell its name, see ``_renamed``).
    A new object whenever one is dropped, never the one given: a redaction still being worked out
    from the revision before is then not kept for this one."""
    if not kept:
        return kept
    terms: set[str] = set()
    for q in change.quads:
        if not isinstance(q.subject, ox.NamedNode) or isinstance(q.object, ox.BlankNode) \
                or q.predicate.value in _READ or q.predicate.value in _LINKED:
            return {}
        terms.add(q.subject.value)
        if isinstance(q.object, ox.NamedNode):
            terms.add(q.object.value)
    left = {k: r for k, r in kept.items() if not any(t in r.hidden for t in terms)}
    return kept if len(left) == len(kept) else left


#: The redactions of the current revision per reader (groups, admin, extra hidden assets): at 100k datasets one
#: took 0.4 s to work out (its renamed records are found by a query over every hidden asset's links), which
#: every OpenLineage event of a stream paid with ``--hide-sensitive`` before the redacted copy could follow it.
REDACTIONS_VIEW = live.LiveView("redactions", lambda store: {}, _apply_redactions, exact=True, changes_in_place=True)


def _worked_out(store: Store, viewer: Viewer, extra_hidden: frozenset[str]) -> Redaction:
    hidden, clearance = _hidden_key(store, viewer, extra_hidden)
    if not hidden and clearance is None:
        return Redaction(frozenset())
    blank_deps, blank_flows = _blank_records(store, viewer) if clearance is not None else (set(), set())
    dependents: set[str] = set(blank_deps)
    frontier = set(hidden) | dependents
    describing = live.view(store, LINKS_VIEW).dependents
    while frontier:  # fields of hidden datasets, measurements on those fields, ...
        new = {d for h in frontier for d in describing.get(h, ())} - dependents - hidden
        dependents |= new
        frontier = new
    covered = hidden | frozenset(dependents)
    return Redaction(hidden, frozenset(dependents), _renamed(store, hidden, covered, blank_flows), clearance,
                     secret_for(store))


# ----------------------------------------------------------------------------- the redacted copy

#: How many redacted copies are kept per store (each is a full in-memory copy).
VIEWS_KEPT = 4
#: Redacted copies per original store: (revision, hidden set, blank clearance) -> Store.
_views: "weakref.WeakKeyDictionary[Store, KeptCopies[Store]]" = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()
_build_lock = threading.Lock()  # one build at a time, for every store: two readers asking at once share the work


#: Triples past which a reader's first copy, asked for by a request that must not wait for it (``wait=False``: the
#: served pages, the JSON API and ``/sparql``), is made in a background thread while the request is answered
#: ``Preparing`` (503, Retry-After): at 100k datasets (4.75 million triples) a copy takes about 70 s, longer than a
#: browser or a client waits. A reader whose copy of an earlier revision is kept has it followed as before.
BACKGROUND_COPY = 1_000_000
#: Seconds a request answered ``Preparing`` is asked to wait before it asks again.
PREPARING_RETRY = 10
_preparing: set[tuple] = set()  # (store id, key) of copies being made in the background


def redacted_view(store: Store, viewer: Viewer, extra_hidden: Iterable[str] = (), *, wait: bool = True) -> Store:
    """The estate as ``viewer`` may see it: ``store`` itself when nothing is hidden, else a cached redacted copy.

    Copies are keyed by the store revision, the set of hidden named assets and the groups that
    open restricted blank-node assets, so viewers with different groups but the same hidden set
    share one copy. The readers' copies are brought up to date after each commit by the store's
    follower when it follows (``READERS_VIEW``); meanwhile a read may be answered from the copy kept
    for the revision before (``live.answering_from_kept``). With ``wait=False``, a copy to be made
    afresh of a store over ``BACKGROUND_COPY`` triples is made in the background and ``Preparing`` raised.
    """
    hidden, clearance = key = _hidden_key(store, viewer, extra_hidden)
    if not hidden and clearance is None:
        return store
    kept = _copies_of(store)
    hit = kept.peek((store.revision,) + key)
    if hit is not None:
        return hit
    seen = live.memo(store).peek(READERS_VIEW.name)
    if seen is None or key not in seen[1]:
        readers = live.view(store, READERS_VIEW)
        readers[key] = (viewer, tuple(extra_hidden))
        while len(readers) > VIEWS_KEPT:
            readers.pop(next(iter(readers)))
    if live.answering_from_kept(store):
        earlier = kept.find(lambda k: k[1:] == key)
        if earlier is not None:
            return earlier
    if not wait and kept.find(lambda k: k[1:] == key) is None and store.triple_count() > BACKGROUND_COPY \
            and not kept_copies.kept(store, redaction_for(store, viewer, extra_hidden)):  # a copy to reopen: waited for
        _prepare(store, viewer, tuple(extra_hidden), key, kept)
        raise Preparing("The directory as you may see it is being prepared: a copy of the estate without what "
                        f"is restricted ({store.triple_count():,} triples: about a minute). This page will be "
                        "ready shortly.", retry_after=PREPARING_RETRY)
    return _copy(store, viewer, extra_hidden, key, kept)


def _copies_of(store: Store) -> KeptCopies:
    """The readers' copies kept for ``store`` (none yet: an empty set of them, kept from now on)."""
    with _views_lock:
        kept = _views.get(store)
        if kept is None:
            kept = _views[store] = KeptCopies(VIEWS_KEPT, _build_lock)
        return kept


def prepare(store: Store, viewer: Viewer) -> None:
    """Start making ``viewer``'s copy in the background if it would be made in the background when first asked for
    (a served estate over ``BACKGROUND_COPY`` triples with something hidden from the reader), so the first page
    finds it made or under way."""
    if store.triple_count() <= BACKGROUND_COPY:
        return
    key = _hidden_key(store, viewer, ())
    if key[0] or key[1] is not None:
        kept = _copies_of(store)
        seen = live.view(store, READERS_VIEW)
        seen.setdefault(key, (viewer, ()))
        _prepare(store, viewer, (), key, kept)


def _prepare(store: Store, viewer: Viewer, extra: tuple, key: tuple, kept: KeptCopies) -> None:
    """Make the copy for ``key`` in a background thread, unless one is being made."""
    tag = (id(store), key)
    with _views_lock:
        if tag in _preparing:
            return
        _preparing.add(tag)

    def run() -> None:
        try:
            _copy(store, viewer, extra, key, kept)
        except Exception:  # noqa: BLE001 - the next request for it asks again (and meets the error itself)
            log.exception("could not prepare a reader's copy of the estate")
        finally:
            with _views_lock:
                _preparing.discard(tag)

    threading.Thread(target=run, daemon=True, name="govgraph-redacted-copy").start()


def _copy(store: Store, viewer: Viewer, extra_hidden: Iterable[str], key: tuple, kept: KeptCopies) -> Store:
    def build() -> Store:
        r = redaction_for(store, viewer, extra_hidden)
        # the copy made for the same hidden set at an earlier revision follows the change when
        # the redaction is the same (else, e.g. after a classification changed, it is made afresh);
        # it stays under its earlier key meanwhile, for reads answered from what is kept; after a restart, the copy
        # kept on disk under the same redaction is reopened and followed (``kept_copies``)
        earlier = kept.find(lambda k: k[1:] == key)
        followed = follow(earlier, store, r) if earlier is not None else None
        if followed is None and earlier is None:
            reopened = kept_copies.reopen(store, r)
            followed = follow(reopened, store, r) if reopened is not None else None
            if followed is not None:  # its own views (kept on disk beside it) follow its commits, as below
                live.memo(followed).follow = live.memo(store).follow
            elif reopened is not None:  # the commits since are not all recorded: made afresh in its folder
                kept_copies.discard(reopened)
        if followed is not None:
            kept_copies.mark(store, followed)
            return followed
        copy = redact(store, r, kept_copies.fresh(store, r) or "memory:")
        kept_copies.made(store, copy)
        kept_copies.mark(store, copy, now=True)
        # the copy's own views (its search index ...) follow its commits as the original's do
        live.memo(copy).follow = live.memo(store).follow
        return copy

    return kept.get((store.revision,) + key, build)


def _follow_readers(readers: dict, store: Store, change: live.Change) -> dict:
    """Bring the copy of each reader seen lately up to date (the follower does this after each commit)."""
    with _views_lock:
        kept = _views.get(store)
    if kept is not None:
        for key, (viewer, extra) in list(readers.items()):
            if _hidden_key(store, viewer, extra) == key:
                _copy(store, viewer, extra, key, kept)
    return readers


#: The readers whose redacted copies are kept (hidden set and blank clearance -> a viewer and its extra hidden
#: assets), a view kept on the store so that its follower brings their copies up to date after each commit.
READERS_VIEW = live.LiveView("redacted-copies", lambda store: {}, _follow_readers, threshold=10**9,
                             changes_in_place=True, follow_first=True)


def origin(store: Store) -> Store:
    """The store a redacted copy was made from (the store itself otherwise)."""
    return store.derivation.origin if store.derivation and store.derivation.origin else store


def redaction_of(store: Store) -> Redaction | None:
    """The redaction applied to a redacted copy (None for an ordinary store)."""
    return store.derivation.redaction if store.derivation else None


def visible_finding(r: Redaction | None, focus: str, value: str | None) -> bool:
    """Whether a validation finding (focus node, offending value) may be shown under redaction ``r``
    (not about anything hidden or renamed, nor about a blank node while blank-node assets are hidden)."""
    return r is None or not (r.conceals(focus) or r.conceals(value))


def visible_triple(r: Redaction | None, triple: tuple) -> bool:
    """Whether a triple (rdflib or string terms) mentions nothing ``r`` hides or renames."""
    return r is None or not any(r.conceals("_:" + t if isinstance(t, BNode) else str(t)) for t in triple)


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


__all__ = ["ANONYMOUS", "PLACEHOLDER_TITLE", "Redaction", "Viewer", "blank_clearance", "hidden_from", "is_placeholder",
           "is_renamed", "may_see", "origin", "prepare", "redact", "redacted_view", "redaction_for", "redaction_of",
           "restricted_assets", "spells", "LINKS_VIEW",
           "visible_changes", "visible_finding", "visible_triple"]
