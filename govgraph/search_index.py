"""The search index: every searchable resource with its index words, kept up to date by each commit.

Built with a few bulk queries, then a live view (``govgraph.live``): a commit's change re-reads
the entries of the resources it touches (its subjects, and the resources they are glossary
terms of: an entry carries its terms' names) and swaps them in, so a write costs in proportion
to what it changed, not to the estate (at 10k datasets, 50,000 entries: a rebuild took seconds).

Entries have stable ids: posting lists and facet postings hold ids (ascending), ``order`` lists
(label, IRI, id) in label order. A changed entry keeps its id; a removed one leaves its id empty
(when empty ids outnumber the entries the index is built afresh). States are not changed once made:
every table is persistent (``govgraph.persistent``: chunked lists, sorted lists, dicts with an
overlay), so an application copies only the chunks it touches (the posting lists of the touched
words, a chunk of the order and of the vocabulary) and shares the rest with the state before: its
cost follows the change, not the estate (tests/test_search_apply.py counts it).
"""
from __future__ import annotations

import array
import bisect
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from govgraph import discovered, kept_state, live, persistent
from govgraph.kinds import kind_of
from govgraph.labels import KINDS, base_title, local_name
from govgraph.ontology.ns import DCAT, DPV, GOV, SKOS
from govgraph.persistent import Map, Sorted, Vec, Work
from govgraph.redaction import PLACEHOLDER_PREFIX, RENAMED_PREFIX
from govgraph.store import Store
from govgraph.typo_index import Deletes

#: Kinds left out of search (too fine-grained to be useful as results).
UNSEARCHED = {"measurement", "quality-target"}
#: The search facets, in display order: name -> heading.
SEARCH_FACETS = {"kind": "Type", "owner": "Owner", "area": "Service area", "system": "System",
                 "classification": "Classification", "personal": "Personal data"}
#: Where a word was found, best first: the name, a synonym, the rest (description, glossary terms, codes),
#: the last segment of the IRI ("mosaic-asc-clients").
TITLE, SYNONYM, BODY, ADDRESS = 0, 1, 2, 3
#: The layout of the index as kept on disk (in the view's key: a file of another layout is built afresh).
LAYOUT = "4"
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


class _Entries(Sequence):
    """The entries in label order (a view of ``SearchIndex.order``: slices and positions as a list's)."""
    __slots__ = ("idx",)

    def __init__(self, idx: "SearchIndex") -> None:
        self.idx = idx

    def __len__(self) -> int:
        return len(self.idx.order)

    def __getitem__(self, i):
        parts = self.idx.parts
        if isinstance(i, slice):
            return [parts[k].entry for _, _, k in self.idx.order[i]]
        return parts[self.idx.order[i][2]].entry

    def __iter__(self):
        parts = self.idx.parts
        return (parts[k].entry for _, _, k in self.idx.order)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (_Entries, list)) and list(self) == list(other)


class _ById:
    """id -> entry (None: an id left empty)."""
    __slots__ = ("parts",)

    def __init__(self, parts: Vec) -> None:
        self.parts = parts

    def __getitem__(self, k: int) -> SearchEntry | None:
        p = self.parts[k]
        return None if p is None else p.entry


@dataclass
class SearchIndex:
    """The index of one revision. Its tables are persistent (``govgraph.persistent``): a change makes a
    new index sharing all but the chunks it touched, so an application costs what the change does."""
    revision: int
    labels: Map                              # IRI -> its name, for every named resource
    ids: Map                                 # IRI -> id of its entry
    parts: Vec                               # id -> its entry's parts (None: an id left empty)
    order: Sorted                            # (label casefolded, IRI, id) of every entry, in that order
    tokens: Sorted                           # every indexed word, sorted, for prefix look-up
    postings: tuple[Map, ...]                # per field (TITLE ... ADDRESS): word -> ids, ascending
    facet_postings: Map                      # (facet, value) -> ids, ascending
    all_counts: dict[str, dict[str, int]]    # facet counts of everything
    deletes: Deletes = field(default_factory=Deletes)

    @property
    def entries(self) -> _Entries:
        """The entries in (label, IRI) order."""
        return _Entries(self)

    @property
    def entry(self) -> _ById:
        """id -> entry."""
        return _ById(self.parts)

    # kept on disk (``govgraph.kept_state``) as plain lists and dicts, its id lists as machine integers: one
    # bytes object per table instead of one object per id, read back as ``array`` slices (a list's interface)
    def __getstate__(self) -> dict:
        return {"revision": self.revision, "labels": self.labels.plain(), "ids": self.ids.plain(),
                "parts": list(self.parts), "order": list(self.order), "tokens": list(self.tokens),
                "postings": tuple(_table(p) for p in self.postings), "facet_postings": _table(self.facet_postings),
                "all_counts": self.all_counts, "deletes": self.deletes, "byteorder": sys.byteorder}

    def __setstate__(self, state: dict) -> None:
        if state.pop("byteorder", None) != sys.byteorder:
            raise ValueError("kept on a machine of another byte order")
        postings = state["postings"]
        if not (isinstance(postings, tuple) and len(postings) == 4):
            raise ValueError("kept postings of another shape")
        for name, kind in (("labels", dict), ("ids", dict), ("parts", list), ("order", list), ("tokens", list)):
            if not isinstance(state[name], kind):
                raise ValueError(f"a kept {name} of another shape")
        state["labels"], state["ids"] = Map(state["labels"]), Map(state["ids"])
        state["parts"], state["order"], state["tokens"] = Vec(state["parts"]), Sorted(state["order"]), \
            Sorted(state["tokens"])
        state["postings"] = tuple(Map(_untable(p)) for p in postings)
        state["facet_postings"] = Map(_untable(state["facet_postings"]))
        self.__dict__.update(state)

    @property
    def kind_counts(self) -> dict[str, int]:
        return dict(sorted(self.all_counts["kind"].items()))


def _table(lists: Map) -> tuple[list, bytes, bytes]:
    """A table of id lists as (its keys, every list end to end, where each ends): three objects, not one a key."""
    keys, ends, ids = [], array.array("i"), array.array("i")
    for key, lst in lists.items():
        keys.append(key)
        ids.extend(lst)
        ends.append(len(ids))
    return keys, ids.tobytes(), ends.tobytes()


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
    wanted = [f"<{t}>" for t, k in KINDS if k not in UNSEARCHED]
    # every resource: each class's members from the index; some: each subject's types, filtered (both VALUES had
    # the store scan every typed resource once the subjects were many: 2.3 s for 100 at 100k datasets; see facts)
    types_q = f"SELECT ?s ?t WHERE {{ VALUES ?t {{ {' '.join(wanted)} }} ?s a ?t FILTER(isIRI(?s)) }}" \
        if subjects is None else f"SELECT ?s ?t WHERE {{ {vs}?s a ?t FILTER(?t IN ({', '.join(wanted)})) }}"
    for r in q(types_q):
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
    preds = [f"<{p}>" for p in _FACT_NAMES]
    # (the same: VALUES ?p with VALUES ?s had the store scan those predicates' triples: 400 ms for 10 subjects)
    facts_q = "SELECT ?s ?p ?o WHERE { VALUES ?p { %s } ?s ?p ?o }" % " ".join(preds) if subjects is None else \
        "SELECT ?s ?p ?o WHERE { %s?s ?p ?o FILTER(?p IN (%s)) }" % (vs, ", ".join(preds))
    for r in q(facts_q):
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
    return SearchIndex(revision, Map(labels_), Map({p.entry.iri: i for i, p in enumerate(parts)}), Vec(parts),
                       Sorted([(*p.key, i) for i, p in enumerate(parts)]), Sorted(sorted(set().union(*postings))),
                       tuple(Map(p) for p in postings), Map(facet_postings), all_counts)


def apply(idx: SearchIndex, store: Store, change: live.Change) -> SearchIndex | None:
    """The index after ``change``: the entries of its subjects read again, and of the resources whose
    glossary terms they are; the rest shared with ``idx``."""
    if change.blank_subjects:
        return None  # blank nodes' names are kept under their labels only: built afresh
    dirty = sorted(change.subjects)
    # (a UNION, not VALUES ?p: the store answers each pattern from its index, not by a scan)
    themed = {r["s"].value for r in store.query(
        "SELECT DISTINCT ?s WHERE { %s{ ?s <%s> ?v } UNION { ?s <%s> ?v } }" % (_values(dirty, "v"), DCAT.theme,
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
    if empty + sum(i not in new for i in old) > len(idx.ids) + 1000:
        return None  # more empty ids than entries: built afresh, compact
    out = _Changing(idx)
    for iri in dirty:
        out.labels.pop(iri, None)
        if iri in labels_:
            out.labels[iri] = labels_[iri]
    for iri, k in old.items():
        if iri not in new:
            out.remove(iri, k)
    for iri, p in new.items():
        if iri in old:
            out.change(old[iri], p)
        else:
            out.add(p)
    return out.done(store.revision)


class _Changing:
    """A new index state being made from an old one: edits copies of its persistent tables (which copy only
    the chunks they touch), so the old state is left as it was for its readers."""

    def __init__(self, idx: SearchIndex):
        self.idx = idx
        self.labels, self.ids, self.parts, self.order = idx.labels.edit(), idx.ids.edit(), idx.parts.edit(), \
            idx.order.edit()
        self.postings = tuple(p.edit() for p in idx.postings)
        self.facet_postings = idx.facet_postings.edit()
        self.all_counts = dict(idx.all_counts)  # a facet's counts copied when first changed
        self.counted: set[str] = set()
        self.lists: dict[tuple, list | Sorted] = {}  # (field or "facet", key) -> its id list, being changed
        self.words: set[str] = set()  # words whose postings changed

    def _ids(self, where, key) -> list | Sorted:
        lst = self.lists.get((where, key))
        if lst is None:
            table = self.facet_postings if where == "facet" else self.postings[where]
            had = table.get(key, ())
            # a long list is made chunked (once), then copied per chunk changed
            lst = (had if isinstance(had, Sorted) else Sorted(had)).edit() if len(had) > 2 * persistent.CHUNK \
                else Work.copy(had)
            self.lists[(where, key)] = lst
        return lst

    def _count(self, fv: tuple[str, str], by: int) -> None:
        name, value = fv
        if name not in self.counted:
            self.counted.add(name)
            self.all_counts[name] = dict(Work.copy(self.all_counts[name].items()))
        c = self.all_counts[name]
        c[value] = c.get(value, 0) + by
        if not c[value]:
            del c[value]

    def _edit(self, where, key, k: int, add: bool) -> None:
        lst = self._ids(where, key)
        if isinstance(lst, Sorted):
            lst.insert(k) if add else lst.remove(k)
        elif add:
            bisect.insort(lst, k)
        else:
            del lst[bisect.bisect_left(lst, k)]

    def _words(self, k: int, words, add: bool) -> None:
        for where, toks in enumerate(words):
            for tok in toks:
                self._edit(where, tok, k, add)
                self.words.add(tok)

    def _facets(self, k: int, facets, add: bool) -> None:
        for fv in facets:
            self._edit("facet", fv, k, add)
            self._count(fv, 1 if add else -1)

    def remove(self, iri: str, k: int) -> None:
        p = self.parts[k]
        del self.ids[iri]
        self.parts[k] = None
        self.order.remove((*p.key, k))
        self._words(k, p.words, False)
        self._facets(k, p.entry.facets, False)

    def add(self, p: Part) -> None:
        k = len(self.parts)
        self.parts.append(p)
        self.ids[p.entry.iri] = k
        self.order.insert((*p.key, k))
        self._words(k, p.words, True)
        self._facets(k, p.entry.facets, True)

    def change(self, k: int, p: Part) -> None:
        """Entry ``k`` changed to ``p``: only the words and facets that differ are edited (a new synonym
        touches its own words' lists, not those of every word of the entry)."""
        was = self.parts[k]
        self.parts[k] = p
        if was.key != p.key:
            self.order.remove((*was.key, k))
            self.order.insert((*p.key, k))
        old, new = [set(w) for w in was.words], [set(w) for w in p.words]
        self._words(k, [sorted(o - n) for o, n in zip(old, new)], False)
        self._words(k, [sorted(n - o) for o, n in zip(old, new)], True)
        self._facets(k, [fv for fv in was.entry.facets if fv not in p.entry.facets], False)
        self._facets(k, [fv for fv in p.entry.facets if fv not in was.entry.facets], True)

    def done(self, revision: int) -> SearchIndex:
        for (where, key), lst in self.lists.items():
            table = self.facet_postings if where == "facet" else self.postings[where]
            if not len(lst):
                table.pop(key, None)
            else:
                table[key] = lst.done() if isinstance(lst, Sorted) else lst
        vocab = self.idx.tokens
        if self.words:
            vocab = vocab.edit()
            for tok in sorted(self.words):
                indexed = any(tok in p for p in self.postings)
                listed = tok in vocab
                if indexed and not listed:
                    vocab.insert(tok)
                elif listed and not indexed:
                    vocab.remove(tok)
            vocab.done()
            self.idx.deletes.grow(self.words)
        return SearchIndex(revision, self.labels.done(), self.ids.done(), self.parts.done(), self.order.done(), vocab,
                           tuple(p.done() for p in self.postings), self.facet_postings.done(), self.all_counts,
                           self.idx.deletes)


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
