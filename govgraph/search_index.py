"""The search index: every searchable resource with its index words, kept up to date by each commit.

Built with a few bulk queries, then a live view (``govgraph.live``): a commit's change re-reads
the entries of the resources it touches (its subjects, and the resources they are glossary
terms of: an entry carries its terms' names) and swaps them in, so a write costs in proportion
to what it changed, not to the estate (at 10k datasets, 50,000 entries: a rebuild took seconds).

Entries have stable ids: posting lists and facet postings hold ids, ``rank`` gives an id's place
in label order, ``entries`` lists the entries in that order. A changed entry gets a new id and
its old one is left empty; when empty ids outnumber the entries the index is built afresh.
States are not changed once made: an application copies what it changes (the few posting
lists of the touched words, the id lists) and shares the rest with the state before.
"""
from __future__ import annotations

import bisect
import re
import threading
import array
import sys
from dataclasses import dataclass, field
from typing import NamedTuple

from govgraph import discovered, kept_state, live
from govgraph.kinds import kind_of
from govgraph.labels import KINDS, base_title, local_name
from govgraph.ontology.ns import DCAT, DPV, GOV, SKOS
from govgraph.redaction import PLACEHOLDER_PREFIX, RENAMED_PREFIX
from govgraph.store import Store

#: Kinds left out of search (too fine-grained to be useful as results).
UNSEARCHED = {"measurement", "quality-target"}
#: The search facets, in display order: name -> heading.
SEARCH_FACETS = {"kind": "Type", "owner": "Owner", "area": "Service area", "system": "System",
                 "classification": "Classification", "personal": "Personal data"}
#: Where a word was found, best first: the name, a synonym, the rest (description, glossary terms, codes),
#: the last segment of the IRI ("mosaic-asc-clients").
TITLE, SYNONYM, BODY, ADDRESS = 0, 1, 2, 3
#: The layout of the index as kept on disk (in the view's key: a file of another layout is built afresh).
LAYOUT = "3"
#: IRIs whose local name is a hash, not words (see ``_part``).
OPAQUE = (PLACEHOLDER_PREFIX, RENAMED_PREFIX)
#: Words of a query looked at (the rest are ignored: a query is a few words, not a document).
MAX_WORDS = 16

_RUN = re.compile(r"[^\W_]+")
_PART = re.compile(r"[^\W\d_]+|\d+")


def tokens(text: str) -> list[str]:
    """The index words of a text: its letter and digit runs, and each mixed run whole ("ssda903")."""
    out = []
    for run in _RUN.findall(text.casefold()):
        parts = _PART.findall(run)
        out.extend(parts)
        if len(parts) > 1:
            out.append(run)
    return out


def query_words(text: str) -> list[str]:
    """The words of a query, letters and digits apart ("SSDA903" -> ssda, 903); the first MAX_WORDS."""
    return [p for run in _RUN.findall(text[:2000].casefold()) for p in _PART.findall(run)][:MAX_WORDS]


def norm(text: str) -> str:
    return " ".join(query_words(text))


class SearchEntry(NamedTuple):
    """One searchable resource with the values its facets need (a tuple: millions are read back quickly
    from the kept state after a restart, ``govgraph.kept_state``)."""
    iri: str
    label: str
    kind: str
    description: str
    facets: tuple[tuple[str, str], ...]  # (facet name, value) pairs
    synonyms: tuple[str, ...] = ()  # its other names and codes, and its glossary synonyms (skos:altLabel)


#: Between the fields of ``Part.packed`` (no index word holds it, nor a space).
_FIELD = "\x1e"


class Part(NamedTuple):
    """An entry with what the index keeps of it: its words per field (TITLE ... ADDRESS, each word in
    its best field only; kept packed in one string, one object instead of dozens per entry), its name
    and name without a closing parenthesis, and its normalised synonyms."""
    entry: SearchEntry
    packed: str
    name: str
    base: str
    alts: frozenset[str]

    @property
    def words(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(f.split(" ")) if f else () for f in self.packed.split(_FIELD))

    @property
    def key(self) -> tuple[str, str]:
        return (self.entry.label.lower(), self.entry.iri)


def _pack(words: list[tuple[str, ...]]) -> str:
    return _FIELD.join(" ".join(w) for w in words)


class Deletes:
    """The typo index: every indexed word of letters (3 or more) under itself and each way of deleting up
    to 2 of its letters. Shared by the states of one index and only ever grown: a word no longer
    indexed stays in it and finds no posting (``search._candidates`` checks every candidate)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table: dict[str, list[str]] | None = None
        self.words: set[str] = set()

    def __getstate__(self) -> dict:
        return {}  # kept on disk without its table: made again when first needed (govgraph.kept_state)

    def __setstate__(self, _state: dict) -> None:
        self.__init__()

    def get(self, vocabulary: list[str]) -> dict[str, list[str]]:
        with self.lock:
            if self.table is None:
                self.table = {}
                self._add(vocabulary)
            return self.table

    def grow(self, words) -> None:
        """Add new words (once the table is made; before that they come with it)."""
        with self.lock:
            if self.table is not None:
                self._add(words)

    def _add(self, words) -> None:
        d = self.table
        for tok in words:
            if len(tok) >= 3 and tok.isalpha() and tok not in self.words:
                self.words.add(tok)
                for k in deletions(tok, 2):
                    d.setdefault(k, []).append(tok)


def deletions(word: str, depth: int) -> set[str]:
    out, layer = {word}, {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1:] for w in layer for i in range(len(w))}
        out |= layer
    return out


@dataclass
class SearchIndex:
    revision: int
    labels: dict[str, str]                   # IRI -> its name, for every named resource
    ids: dict[str, int]                      # IRI -> id of its entry
    parts: list[Part | None]                 # id -> its entry's parts (None: replaced or gone)
    entry: list[SearchEntry | None]          # id -> entry
    names: list[str | None]                  # id -> name, normalised
    bases: list[str | None]                  # id -> name without a closing parenthesis, normalised
    synonyms: list[frozenset[str] | None]    # id -> glossary synonyms, normalised
    order: list[int]                         # ids in (label, IRI) order
    keys: list[tuple[str, str]]              # their (label, IRI) keys, in that order
    rank: list[int]                          # id -> place in ``order`` (-1: none)
    entries: list[SearchEntry]               # the entries in that order
    tokens: list[str]                        # every indexed word, sorted, for prefix look-up
    postings: tuple[dict[str, list[int]], ...]  # per field (TITLE ... ADDRESS): word -> ids
    facet_postings: dict[tuple[str, str], list[int]]
    all_counts: dict[str, dict[str, int]]    # facet counts of everything
    deletes: Deletes = field(default_factory=Deletes)

    # kept on disk (``govgraph.kept_state``) with its id lists as machine integers: one bytes object per
    # list instead of one object per id, read back as ``array`` (a list's interface) in a fraction of the time
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["order"], state["rank"] = _ints(self.order), _ints(self.rank)
        state["postings"] = tuple(_table(p) for p in self.postings)
        state["facet_postings"] = _table(self.facet_postings)
        state["byteorder"] = sys.byteorder
        return state

    def __setstate__(self, state: dict) -> None:
        if state.pop("byteorder", None) != sys.byteorder:
            raise ValueError("kept on a machine of another byte order")
        state["order"], state["rank"] = _array(state["order"]), _array(state["rank"])
        postings = state["postings"]
        if not (isinstance(postings, tuple) and len(postings) == 4):
            raise ValueError("kept postings of another shape")
        state["postings"] = tuple(_untable(p) for p in postings)
        state["facet_postings"] = _untable(state["facet_postings"])
        self.__dict__.update(state)

    @property
    def kind_counts(self) -> dict[str, int]:
        return dict(sorted(self.all_counts["kind"].items()))


def _ints(ids) -> bytes:
    return array.array("i", ids).tobytes()


def _table(lists: dict) -> tuple[list, bytes, bytes]:
    """A table of id lists as (its keys, every list end to end, where each ends): three objects, not one a key."""
    ends, ids = array.array("i"), array.array("i")
    for lst in lists.values():
        ids.extend(lst)
        ends.append(len(ids))
    return list(lists), ids.tobytes(), ends.tobytes()


def _untable(table: tuple) -> dict:
    """``_table``'s table again, each list an ``array`` slice (made in C, no call per list)."""
    keys, ids, ends = table
    ids, ends = _array(ids), _array(ends)
    if not isinstance(keys, list) or len(keys) != len(ends) or (ends and ends[-1] != len(ids)):
        raise ValueError("a kept table of another shape")
    starts = array.array("i", [0])
    starts.extend(ends[:-1])
    return {k: ids[a:b] for k, a, b in zip(keys, starts, ends)}


def _array(data: bytes) -> array.array:
    if not isinstance(data, bytes):
        raise ValueError("a kept id list is not bytes")
    a = array.array("i")
    a.frombytes(data)
    return a


_FACT_NAMES = {str(GOV.owner): "owner", str(GOV.serviceArea): "area", str(GOV.heldIn): "system",
               str(GOV.classification): "classification", str(DPV.hasPersonalData): "personal",
               str(DCAT.theme): "theme", str(GOV.definedBy): "theme", str(SKOS.notation): "code",
               str(GOV.guessedSystem): "guessed"}
#: Name properties, in the order they name a resource (the others are its further names); codes last.
_NAME_PROPS = ("rdfs:label", "dcterms:title", "foaf:name", "skos:prefLabel", "skos:notation")


def _values(subjects: list[str] | None, var: str = "s") -> str:
    return "" if subjects is None else f"VALUES ?{var} {{ {' '.join(f'<{s}>' for s in subjects)} }} "


def _read(store: Store, subjects: list[str] | None) -> tuple:
    """What the entries of ``subjects`` (None: every resource) are made of, in an order independent of how
    the store returns rows (so an entry read alone equals the same entry read with all the others)."""
    q, vs = store.query, _values(subjects)
    one: dict[str, str] = {}  # each IRI one string object, shared by every table (kept on disk once)
    iri = lambda v: one.setdefault(v, v)  # noqa: E731
    types: dict[str, set[str]] = {}
    wanted = " ".join(f"<{t}>" for t, k in KINDS if k not in UNSEARCHED)
    for r in q(f"SELECT ?s ?t WHERE {{ {vs}VALUES ?t {{ {wanted} }} ?s a ?t FILTER(isIRI(?s)) }}"):
        types.setdefault(iri(r["s"].value), set()).add(r["t"].value)
    named: dict[str, set[tuple[int, str]]] = {}
    for i, p in enumerate(_NAME_PROPS):
        for r in q(f"SELECT ?s ?l WHERE {{ {vs}?s {p} ?l }}"):
            named.setdefault(iri(r["s"].value), set()).add((i, r["l"].value))
    alts: dict[str, set[str]] = {}
    for r in q(f"SELECT ?s ?l WHERE {{ {vs}?s skos:altLabel|skos:hiddenLabel ?l }}"):
        alts.setdefault(iri(r["s"].value), set()).add(r["l"].value)
    descs: dict[str, str] = {}
    for r in q(f"SELECT ?s ?d WHERE {{ {vs}?s dcterms:description|skos:definition ?d }}"):
        s, d = iri(r["s"].value), r["d"].value
        descs[s] = min(descs.get(s, d), d)
    facts: dict[str, set[tuple[str, str]]] = {}
    for r in q("SELECT ?s ?p ?o WHERE { %sVALUES ?p { %s } ?s ?p ?o }" % (vs, " ".join(f"<{p}>" for p in _FACT_NAMES))):
        facts.setdefault(iri(r["s"].value), set()).add((_FACT_NAMES[r["p"].value], iri(r["o"].value)))
    labels_: dict[str, str] = {}
    others: dict[str, list[str]] = {}  # further names and codes of a resource
    for s, names in named.items():
        ordered = [lab for _, lab in sorted(names)]
        labels_[s] = ordered[0]
        others[s] = [lab for lab in dict.fromkeys(ordered[1:]) if lab != ordered[0]]
    return types, labels_, others, {s: sorted(v) for s, v in alts.items()}, descs, \
        {s: sorted(v) for s, v in facts.items()}


def _part(iri: str, ts: set[str], labels_: dict[str, str], others: dict[str, list[str]], alts: dict[str, list[str]],
          descs: dict[str, str], facts: dict[str, list[tuple[str, str]]], shared: dict | None = None) -> Part | None:
    """The part of ``iri``; ``shared`` (one per build) makes equal facet lists one object (kept on disk once)."""
    kind = kind_of(ts)
    if kind in UNSEARCHED:
        return None
    lab = labels_.get(iri) or local_name(iri)
    desc = descs.get(iri, "")
    if kind == discovered.KIND:  # seen in lineage only: said so, and found by it
        desc = f"{discovered.NOTE} {desc}".strip()
    extra, fac = [], [("kind", kind)]
    personal = False
    for name, v in facts.get(iri, ()):
        if name == "guessed":  # a discovered dataset's guessed system is its system facet; a catalogued one has its own
            if kind == discovered.KIND:
                fac.append(("system", v))
        elif name == "theme":
            extra += [labels_.get(v, v), *alts.get(v, ())]
        elif name == "personal":
            personal = True
        elif name != "code":
            fac.append((name, v))
    if kind in ("dataset", "report", "return"):
        fac.append(("personal", "yes" if personal else "no"))
    syn = tuple(dict.fromkeys([*others.get(iri, ()), *alts.get(iri, ())]))
    facets = tuple(dict.fromkeys(fac))
    if shared is not None:
        facets = shared.setdefault(facets, facets)
    e = SearchEntry(iri, lab, kind, desc, facets, syn)
    seen: set[str] = set()
    words = []
    # a redacted copy's opaque names (urn:govgraph:restricted:<hash>) hold no words: hex runs such as "0", "d"
    address = "" if iri.startswith(OPAQUE) else local_name(e.iri)
    for text in (e.label, " ".join(e.synonyms), " ".join([desc, *extra]), address):
        new = tuple(sorted(set(tokens(text)) - seen))
        seen.update(new)
        words.append(new)
    name, base = norm(lab), norm(base_title(lab))
    return Part(e, _pack(words), name, name if base == name else base,
                frozenset(norm(a) for a in alts[iri]) if iri in alts else _NONE)


_NONE: frozenset[str] = frozenset()


def build(store: Store) -> SearchIndex:
    """The index of every searchable resource of the store (ids in label order)."""
    revision = store.revision
    types, labels_, others, alts, descs, facts = _read(store, None)
    shared: dict = {}
    parts = [p for p in (_part(i, ts, labels_, others, alts, descs, facts, shared) for i, ts in types.items())
             if p is not None]
    parts.sort(key=lambda p: p.key)
    postings: tuple[dict[str, list[int]], ...] = ({}, {}, {}, {})
    facet_postings: dict[tuple[str, str], list[int]] = {}
    all_counts: dict[str, dict[str, int]] = {f: {} for f in SEARCH_FACETS}
    for i, p in enumerate(parts):
        for where, words in enumerate(p.words):
            post = postings[where]
            for tok in words:
                post.setdefault(tok, []).append(i)
        for fv in p.entry.facets:
            facet_postings.setdefault(fv, []).append(i)
            c = all_counts[fv[0]]
            c[fv[1]] = c.get(fv[1], 0) + 1
    n = len(parts)
    entries = [p.entry for p in parts]
    return SearchIndex(revision, labels_, {p.entry.iri: i for i, p in enumerate(parts)}, list(parts), list(entries),
                       [p.name for p in parts], [p.base for p in parts], [p.alts for p in parts], list(range(n)),
                       [p.key for p in parts], list(range(n)), entries, sorted(set().union(*postings)), postings,
                       facet_postings, all_counts)


def apply(idx: SearchIndex, store: Store, change: live.Change) -> SearchIndex | None:
    """The index after ``change``: the entries of its subjects read again, and of the resources whose
    glossary terms they are; the rest shared with ``idx``."""
    if change.blank_subjects:
        return None  # blank nodes' names are kept under their labels only: built afresh
    dirty = sorted(change.subjects)
    themed = {r["s"].value for r in store.query(
        "SELECT DISTINCT ?s WHERE { %sVALUES ?p { <%s> <%s> } ?s ?p ?v }" % (_values(dirty, "v"), DCAT.theme,
                                                                           GOV.definedBy))} if dirty else set()
    redo = sorted(set(dirty) | themed)
    types, labels_, others, alts, descs, facts = _read(store, redo) if redo else ({}, {}, {}, {}, {}, {})
    terms = sorted({v for fs in facts.values() for n, v in fs if n == "theme"} - set(redo))
    if terms:  # the names and synonyms of glossary terms not themselves changed
        _, t_labels, _, t_alts, _, _ = _read(store, terms)
        labels_, alts = {**t_labels, **labels_}, {**t_alts, **alts}
    new = {i: p for i in redo if types.get(i) for p in [_part(i, types[i], labels_, others, alts, descs, facts)] if p}
    old = {i: idx.ids[i] for i in redo if i in idx.ids}
    # entries read again unchanged stay as they are
    for i in [i for i, k in old.items() if i in new and idx.parts[k] == new[i]]:
        del old[i], new[i]
    empty = len(idx.parts) - len(idx.ids)
    if empty + len(old) > len(idx.ids) + 1000:
        return None  # more empty ids than entries: built afresh, compact
    out = _Changing(idx)
    for iri in dirty:
        out.labels.pop(iri, None)
        if iri in labels_:
            out.labels[iri] = labels_[iri]
    for iri, k in old.items():
        out.remove(iri, k)
    for iri, p in new.items():
        out.add(p)
    return out.done(store.revision)


class _Changing:
    """A new index state being made from an old one: copies what it changes, shares the rest."""

    def __init__(self, idx: SearchIndex):
        self.idx = idx
        self.labels = dict(idx.labels)
        self.ids = dict(idx.ids)
        self.parts, self.entry, self.names = list(idx.parts), list(idx.entry), list(idx.names)
        self.bases, self.synonyms, self.rank = list(idx.bases), list(idx.synonyms), list(idx.rank)
        self.order, self.keys, self.entries = list(idx.order), list(idx.keys), list(idx.entries)
        self.postings = tuple(dict(p) for p in idx.postings)
        self.facet_postings = dict(idx.facet_postings)
        self.all_counts = {f: dict(c) for f, c in idx.all_counts.items()}
        self.copied: set[tuple] = set()  # posting lists copied already
        self.words: set[str] = set()  # words whose postings changed
        self.first = len(self.order)  # first place in the order that moved

    def _list(self, table: dict, key, where) -> list[int]:
        lst = table.get(key)
        if lst is None or (where, key) not in self.copied:
            self.copied.add((where, key))
            lst = table[key] = list(lst or ())
        return lst

    def remove(self, iri: str, k: int) -> None:
        p = self.parts[k]
        del self.ids[iri]
        self.parts[k] = self.entry[k] = self.names[k] = self.bases[k] = self.synonyms[k] = None
        pos = bisect.bisect_left(self.keys, p.key)  # (ranks past ``first`` are stale until ``done``)
        del self.order[pos], self.keys[pos], self.entries[pos]
        self.rank[k] = -1
        self.first = min(self.first, pos)
        for where, words in enumerate(p.words):
            for tok in words:
                lst = self._list(self.postings[where], tok, where)
                lst.remove(k)
                if not lst:
                    del self.postings[where][tok]
                self.words.add(tok)
        for fv in p.entry.facets:
            lst = self._list(self.facet_postings, fv, "facet")
            lst.remove(k)
            if not lst:
                del self.facet_postings[fv]
            c = self.all_counts[fv[0]]
            c[fv[1]] -= 1
            if not c[fv[1]]:
                del c[fv[1]]

    def add(self, p: Part) -> None:
        k = len(self.parts)
        self.ids[p.entry.iri] = k
        self.parts.append(p), self.entry.append(p.entry), self.names.append(p.name)
        self.bases.append(p.base), self.synonyms.append(p.alts), self.rank.append(-1)
        pos = bisect.bisect_left(self.keys, p.key)
        self.order.insert(pos, k), self.keys.insert(pos, p.key), self.entries.insert(pos, p.entry)
        self.first = min(self.first, pos)
        for where, words in enumerate(p.words):
            for tok in words:
                self._list(self.postings[where], tok, where).append(k)
                self.words.add(tok)
        for fv in p.entry.facets:
            self._list(self.facet_postings, fv, "facet").append(k)
            c = self.all_counts[fv[0]]
            c[fv[1]] = c.get(fv[1], 0) + 1

    def done(self, revision: int) -> SearchIndex:
        order, rank = self.order, self.rank
        for pos in range(self.first, len(order)):
            rank[order[pos]] = pos
        vocab = self.idx.tokens
        if self.words:
            vocab = list(vocab)
            for tok in sorted(self.words):
                indexed = any(tok in p for p in self.postings)
                at = bisect.bisect_left(vocab, tok)
                listed = at < len(vocab) and vocab[at] == tok
                if indexed and not listed:
                    vocab.insert(at, tok)
                elif listed and not indexed:
                    del vocab[at]
            self.idx.deletes.grow(self.words)
        return SearchIndex(revision, self.labels, self.ids, self.parts, self.entry, self.names, self.bases,
                           self.synonyms, order, self.keys, rank, self.entries, vocab, self.postings,
                           self.facet_postings, self.all_counts, self.idx.deletes)


kept_state.keep_classes(SearchIndex, SearchEntry, Part, Deletes)
#: The search index as a live view (``govgraph.live``).
SEARCH_VIEW = live.LiveView("search", build, apply,
                            key=kept_state.code_key("search", str(discovered.KIND), LAYOUT, "opaque names unindexed"),
                            summary=lambda idx: idx.kind_counts, summary_ok=lambda counts: _is_counts(counts))


def _is_counts(counts) -> bool:
    """Whether kept kind counts (the view's summary, read back after a restart) are a dict of names to counts."""
    return isinstance(counts, dict) and all(type(k) is str and type(v) is int and v >= 0 for k, v in counts.items())


def index(store: Store) -> SearchIndex:
    """The search index of ``store`` at its current revision."""
    return live.view(store, SEARCH_VIEW)


def kind_counts(store: Store) -> dict[str, int]:
    """How many searchable resources of each kind ``store`` holds (after a restart, read from the kept
    summary before the index itself: ``live.Memo.summary``)."""
    return live.memo(store).summary(store, SEARCH_VIEW)


__all__ = ["SearchEntry", "SearchIndex", "SEARCH_FACETS", "SEARCH_VIEW", "TITLE", "SYNONYM", "BODY", "ADDRESS",
           "MAX_WORDS", "UNSEARCHED", "index", "kind_counts", "norm", "query_words", "tokens"]
