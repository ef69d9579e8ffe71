"""Search: a live index over names, synonyms, descriptions and glossary terms.

Built with a few bulk queries, then kept up to date by each commit's change (``govgraph.live``), it answers the /search page and API,
the "did you mean" suggestions for an unknown asset, and name resolution (``resolve``).

Matching: every word of the query must start a word of the entry (so "care" finds "carers"),
or be within a small edit distance of one (1 for words of 5-7 letters, 2 from 8; a swap of
two letters counts 1), so "Mosiac" finds Mosaic. Letters and digits are split apart on both
sides ("SSDA903" is indexed as "ssda", "903" and "ssda903"), so "SSDA 903" and "SSDA903"
find each other. Glossary synonyms (``skos:altLabel``, ``skos:hiddenLabel``) are searched as
a field of their own, and a dataset's glossary terms bring their synonyms with them.

Ranking: the exact name, then an exact synonym, then the whole name with typos; then where the words are found (all in the
name > name and synonyms > description and glossary terms > the IRI's last segment); then fewer typos; then data
assets and systems before what describes them; then names starting with the query.
"""
from __future__ import annotations

import bisect
import dataclasses
import heapq
import re
import threading
from dataclasses import dataclass, field

import rdflib

from govgraph.catalog import (KIND_LABELS, KINDS, LABEL_PROPS, MAIN_KINDS, AssetSummary, base_title, exists,
                              kind_of, labels, local_name, term_label)
from govgraph import live
from govgraph.errors import UnknownAsset
from govgraph.ontology.ns import DCAT, DPV, GOV, SKOS
from govgraph.store import Store

#: Kinds left out of search (too fine-grained to be useful as results).
_UNSEARCHED = {"measurement", "quality-target"}
#: Search ranks data assets and systems before the things that describe them.
_SEARCH_RANK = {"dataset": 0, "report": 0, "return": 0, "system": 0, "database": 0, "partner": 1, "agreement": 1,
                "standard": 1, "term": 1, "person": 1, "team": 1, "field": 3, "activity": 3}
#: The search facets, in display order: name -> heading.
SEARCH_FACETS = {"kind": "Type", "owner": "Owner", "area": "Service area", "system": "System",
                 "classification": "Classification", "personal": "Personal data"}
#: Where a word was found, best first: the name, a synonym, the rest (description, glossary terms, codes),
#: the last segment of the IRI ("mosaic-asc-clients").
TITLE, SYNONYM, BODY, ADDRESS = 0, 1, 2, 3
#: Shortest word that may carry one typo, and two; longest that may carry any.
FUZZY_1, FUZZY_2, FUZZY_MAX = 5, 8, 40
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


def _norm(text: str) -> str:
    return " ".join(query_words(text))


@dataclass(frozen=True)
class SearchEntry:
    """One searchable resource with the values its facets need."""
    iri: str
    label: str
    kind: str
    description: str
    haystack: str  # lower-cased label, synonyms, description, glossary terms and codes
    facets: tuple[tuple[str, str], ...]  # (facet name, value) pairs
    synonyms: tuple[str, ...] = ()  # its other names and codes, and its glossary synonyms (skos:altLabel)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet in a result set: its key (an IRI or code), label and count."""
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchPage:
    """One page of a faceted search: total matches, the page's items and facet counts."""
    total: int
    items: list[AssetSummary]
    facets: dict[str, list[FacetValue]]
    filters: dict[str, str]
    offset: int
    limit: int


@dataclass
class _SearchIndex:
    revision: int
    entries: list[SearchEntry]  # sorted by label
    labels: dict[str, str]
    kind_counts: dict[str, int] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)  # sorted, for prefix look-up
    postings: tuple[dict[str, list[int]], ...] = ()  # per field (TITLE ... ADDRESS): token -> entry positions
    facet_postings: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    all_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # facet counts of everything
    names: list[str] = field(default_factory=list)  # per entry: its name, normalised
    synonyms: list[frozenset[str]] = field(default_factory=list)  # per entry: its glossary synonyms, normalised
    bases: list[str] = field(default_factory=list)  # per entry: its name without a closing parenthesis, normalised
    deletes: dict[str, list[str]] | None = None  # word with up to 2 letters deleted -> words (built when first needed)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: per IRI: its entry with its index words per field and normalised synonyms (what a change replaces)
    parts: dict[str, "_Entry"] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    entry: SearchEntry
    words: tuple[tuple[str, ...], ...]  # per field (TITLE ... ADDRESS): its index words, each once over all fields
    alts: frozenset[str]


def search_index(store: Store) -> list[SearchEntry]:
    """Every searchable resource, built with a few bulk queries and kept up to date by each commit's change."""
    return _index(store).entries


def asset_counts(store: Store) -> dict[str, int]:
    """How many searchable resources of each kind the store holds (from the search index)."""
    return dict(_index(store).kind_counts)


def _index(store: Store) -> _SearchIndex:
    return live.view(store, SEARCH_VIEW)


_FACT_NAMES = {str(GOV.owner): "owner", str(GOV.serviceArea): "area", str(GOV.heldIn): "system",
               str(GOV.classification): "classification", str(DPV.hasPersonalData): "personal",
               str(DCAT.theme): "theme", str(GOV.definedBy): "theme", str(SKOS.notation): "code"}
#: Name properties, the first found naming a resource (the others are its further names); codes last.
_NAME_PROPS = ("rdfs:label", "dcterms:title", "foaf:name", "skos:prefLabel", "skos:notation")


def _values(subjects: list[str] | None, var: str = "s") -> str:
    return "" if subjects is None else f"VALUES ?{var} {{ {' '.join(f'<{s}>' for s in subjects)} }} "


def _read(store: Store, subjects: list[str] | None) -> tuple:
    """What the entries of ``subjects`` (None: every resource) are made of, in an order independent of how
    the store returns rows (so an entry read alone equals the same entry read with all the others)."""
    q, vs = store.query, _values(subjects)
    types: dict[str, set[str]] = {}
    wanted = " ".join(f"<{t}>" for t, k in KINDS if k not in _UNSEARCHED)
    for r in q(f"SELECT ?s ?t WHERE {{ {vs}VALUES ?t {{ {wanted} }} ?s a ?t FILTER(isIRI(?s)) }}"):
        types.setdefault(r["s"].value, set()).add(r["t"].value)
    named: dict[str, set[tuple[int, str]]] = {}
    for i, p in enumerate(_NAME_PROPS):
        for r in q(f"SELECT ?s ?l WHERE {{ {vs}?s {p} ?l }}"):
            named.setdefault(r["s"].value, set()).add((i, r["l"].value))
    alts: dict[str, list[str]] = {}
    for r in q(f"SELECT ?s ?l WHERE {{ {vs}?s skos:altLabel|skos:hiddenLabel ?l }}"):
        alts.setdefault(r["s"].value, []).append(r["l"].value)
    descs: dict[str, str] = {}
    for r in q(f"SELECT ?s ?d WHERE {{ {vs}?s dcterms:description|skos:definition ?d }}"):
        s, d = r["s"].value, r["d"].value
        descs[s] = min(descs.get(s, d), d)
    facts: dict[str, set[tuple[str, str]]] = {}
    for r in q("SELECT ?s ?p ?o WHERE { %sVALUES ?p { %s } ?s ?p ?o }" % (vs, " ".join(f"<{p}>" for p in _FACT_NAMES))):
        facts.setdefault(r["s"].value, set()).add((_FACT_NAMES[r["p"].value], r["o"].value))
    labels_: dict[str, str] = {}
    others: dict[str, list[str]] = {}  # further names and codes of a resource
    for s, names in named.items():
        ordered = [lab for _, lab in sorted(names)]
        labels_[s] = ordered[0]
        others[s] = [lab for lab in ordered[1:] if lab != ordered[0]]
    return types, labels_, others, {s: sorted(v) for s, v in alts.items()}, descs, \
        {s: sorted(v) for s, v in facts.items()}


def _entry(iri: str, ts: set[str], labels_: dict[str, str], others: dict[str, list[str]], alts: dict[str, list[str]],
           descs: dict[str, str], facts: dict[str, list[tuple[str, str]]]) -> _Entry | None:
    kind = kind_of(ts)
    if kind in _UNSEARCHED:
        return None
    lab = labels_.get(iri) or local_name(iri)
    desc = descs.get(iri, "")
    extra, fac = [], [("kind", kind)]
    personal = False
    for name, v in facts.get(iri, ()):
        if name == "theme":
            extra += [labels_.get(v, v), *alts.get(v, ())]
        elif name == "personal":
            personal = True
        elif name != "code":
            fac.append((name, v))
    if kind in ("dataset", "report", "return"):
        fac.append(("personal", "yes" if personal else "no"))
    syn = tuple(dict.fromkeys([*others.get(iri, ()), *alts.get(iri, ())]))
    haystack = " ".join([lab, *syn, desc, *extra]).lower()
    e = SearchEntry(iri, lab, kind, desc, haystack, tuple(dict.fromkeys(fac)), syn)
    seen: set[str] = set()
    words = []
    for text in (e.label, " ".join(e.synonyms), " ".join([desc, *extra]), local_name(e.iri)):
        new = tuple(sorted(set(tokens(text)) - seen))
        seen.update(new)
        words.append(new)
    return _Entry(e, tuple(words), frozenset(_norm(a) for a in alts.get(iri, ())))


def _build_index(store: Store) -> _SearchIndex:
    revision = store.revision
    types, labels_, others, alts, descs, facts = _read(store, None)
    parts = {}
    for iri, ts in types.items():
        p = _entry(iri, ts, labels_, others, alts, descs, facts)
        if p is not None:
            parts[iri] = p
    return _assemble(revision, parts, labels_)


def _assemble(revision: int, parts: dict[str, _Entry], labels_: dict[str, str]) -> _SearchIndex:
    """The index of these entries: sorted by label, with its postings and facet counts."""
    ordered = sorted(parts.values(), key=lambda p: (p.entry.label.lower(), p.entry.iri))
    postings: tuple[dict[str, list[int]], ...] = ({}, {}, {}, {})
    facet_postings: dict[tuple[str, str], list[int]] = {}
    all_counts: dict[str, dict[str, int]] = {f: {} for f in SEARCH_FACETS}
    for i, p in enumerate(ordered):
        for where, words in enumerate(p.words):
            post = postings[where]
            for tok in words:
                post.setdefault(tok, []).append(i)
        for fv in p.entry.facets:
            facet_postings.setdefault(fv, []).append(i)
            c = all_counts[fv[0]]
            c[fv[1]] = c.get(fv[1], 0) + 1
    plain = [p.entry for p in ordered]
    vocabulary = sorted(set().union(*postings))
    return _SearchIndex(revision, plain, labels_, dict(sorted(all_counts["kind"].items())), vocabulary, postings,
                        facet_postings, all_counts, [_norm(e.label) for e in plain],
                        [p.alts for p in ordered], [_norm(base_title(e.label)) for e in plain], parts=parts)


def _apply(idx: _SearchIndex, store: Store, change: live.Change) -> _SearchIndex | None:
    """The index after ``change``: the entries of its subjects read again, and of the resources whose
    glossary terms they are (an entry carries its terms' names); the rest kept."""
    if change.blank_subjects:
        return None  # names of blank nodes are kept by their label only: rebuilt
    dirty = sorted(change.subjects)
    if not dirty:
        return dataclasses.replace(idx, revision=store.revision, deletes=idx.deletes, lock=threading.Lock())
    themed = {r["s"].value for r in store.query(
        "SELECT DISTINCT ?s WHERE { %sVALUES ?p { <%s> <%s> } ?s ?p ?v }" % (_values(dirty, "v"), DCAT.theme, GOV.definedBy))}
    redo = sorted(set(dirty) | themed)
    types, labels_, others, alts, descs, facts = _read(store, redo)
    terms = sorted({v for fs in facts.values() for n, v in fs if n == "theme"} - set(redo))
    if terms:  # the names and synonyms of glossary terms not themselves changed
        _, t_labels, _, t_alts, _, _ = _read(store, terms)
        labels_ = {**t_labels, **labels_}
        alts = {**t_alts, **alts}
    all_labels = dict(idx.labels)
    for s in dirty:
        all_labels.pop(s, None)
    changed = set(dirty)
    all_labels.update((s, v) for s, v in labels_.items() if s in changed)
    parts = dict(idx.parts)
    for iri in redo:
        parts.pop(iri, None)
        ts = types.get(iri)
        if ts:
            p = _entry(iri, ts, labels_, others, alts, descs, facts)
            if p is not None:
                parts[iri] = p
    return _assemble(store.revision, parts, all_labels)


#: The search index as a live view (govgraph.live): a change re-reads the entries it touches.
SEARCH_VIEW = live.LiveView("search", _build_index, _apply)


# ----------------------------------------------------------------------------- typos

def _deletions(word: str, depth: int) -> set[str]:
    out, layer = {word}, {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1:] for w in layer for i in range(len(w))}
        out |= layer
    return out


def _deletes(idx: _SearchIndex) -> dict[str, list[str]]:
    """Every indexed word of letters (3 or more) under itself and each way of deleting up to 2 of its letters."""
    with idx.lock:
        if idx.deletes is None:
            d: dict[str, list[str]] = {}
            for tok in idx.tokens:
                if len(tok) >= 3 and tok.isalpha():
                    for k in _deletions(tok, 2):
                        d.setdefault(k, []).append(tok)
            idx.deletes = d
        return idx.deletes


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from a to b; ``limit + 1`` once over limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = [], list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def _candidates(idx: _SearchIndex, word: str, shortest: int = FUZZY_1) -> dict[str, int]:
    """Indexed words the query word may mean, with the typos each costs: those it starts (0), and close ones
    (for words of ``shortest`` letters or more)."""
    lo = bisect.bisect_left(idx.tokens, word)
    hi = bisect.bisect_left(idx.tokens, word + "\uffff")
    out = {tok: 0 for tok in idx.tokens[lo:hi]}
    if shortest <= len(word) <= FUZZY_MAX and word.isalpha():
        limit = 1 if len(word) < FUZZY_2 else 2
        deletes = _deletes(idx)
        for k in _deletions(word, limit):
            for tok in deletes.get(k, ()):
                if tok not in out:
                    d = edit_distance(word, tok, limit)
                    if d <= limit:
                        out[tok] = d
    return out


# ----------------------------------------------------------------------------- matching and ranking

def _word_hits(idx: _SearchIndex, word: str, shortest: int = FUZZY_1) -> dict[int, int]:
    """Entry position -> where the word is found and with how many typos, as ``field * 8 + typos`` (best kept)."""
    hits: dict[int, int] = {}
    for tok, typos in _candidates(idx, word, shortest).items():
        for where in (TITLE, SYNONYM, BODY, ADDRESS):
            score = where * 8 + typos
            for i in idx.postings[where].get(tok, ()):
                if hits.get(i, 99) > score:
                    hits[i] = score
    return hits


def _matches(idx: _SearchIndex, words: list[str], shortest: int = FUZZY_1) -> dict[int, tuple[int, int]]:
    """Entries matching every word: position -> (worst field of any word, total typos)."""
    out: dict[int, tuple[int, int]] | None = None
    for w in sorted(set(words), key=len, reverse=True):  # long words are the rarest: intersect them first
        hits = _word_hits(idx, w, shortest)
        if out is None:
            out = {i: (s >> 3, s & 7) for i, s in hits.items()}
        else:
            out = {i: (max(f, hits[i] >> 3), t + (hits[i] & 7)) for i, (f, t) in out.items() if i in hits}
        if not out:
            break
    return out or {}


def _rank_key(idx: _SearchIndex, phrase: str):
    n = phrase.count(" ")  # a name of as many words, each matched (with typos, or as its start), is the whole name
    def key(item: tuple[int, tuple[int, int]]):
        i, (where, typos) = item
        e = idx.entries[i]
        exact = 0 if phrase in (idx.names[i], idx.bases[i]) else 1 if phrase in idx.synonyms[i] \
            else 2 if where == TITLE and typos and idx.names[i].count(" ") == n else 3
        return (exact, where, typos, _SEARCH_RANK.get(e.kind, 2), not idx.names[i].startswith(phrase),
                e.label.lower(), i)
    return key


def faceted_search(store: Store, text: str = "", *, filters: dict[str, str] | None = None,
                   limit: int = 20, offset: int = 0) -> SearchPage:
    """Search names, synonyms, descriptions and glossary terms, narrowed by facets (see the module's notes).

    ``filters`` maps facet names (see SEARCH_FACETS) to a value: an IRI, a kind name,
    or ``yes``/``no`` for personal data. Facet counts are over the matches with every filter applied.
    """
    idx = _index(store)
    filters = {k: v for k, v in (filters or {}).items() if k in SEARCH_FACETS and v}
    words = query_words(text)
    found = _matches(idx, words) if words else None
    for fv in filters.items():
        allowed = idx.facet_postings.get(fv, ())
        if found is None:
            found = {i: (0, 0) for i in allowed}
        else:
            found = {i: found[i] for i in allowed if i in found}
    if found is None:
        hits, total = idx.entries, len(idx.entries)
        page = hits[offset:offset + limit]
    else:
        total = len(found)
        if words:
            ranked = heapq.nsmallest(offset + limit, found.items(), key=_rank_key(idx, " ".join(words)))
            page = [idx.entries[i] for i, _ in ranked[offset:]]
        else:
            page = [idx.entries[i] for i in sorted(found)[offset:offset + limit]]
        hits = [idx.entries[i] for i in found]
    if found is None:
        counts = idx.all_counts
    else:
        counts = {f: {} for f in SEARCH_FACETS}
        for e in hits:
            for name, v in e.facets:
                c = counts[name]
                c[v] = c.get(v, 0) + 1
    facets: dict[str, list[FacetValue]] = {}
    for name, c in counts.items():
        vals = [FacetValue(v, _facet_label(name, v, idx.labels), n, filters.get(name) == v) for v, n in c.items()]
        vals.sort(key=lambda fv: (-fv.count, fv.label.lower()))
        facets[name] = vals
    items = [AssetSummary(e.iri, e.label, e.kind, e.description) for e in page]
    return SearchPage(total, items, facets, filters, offset, limit)


def search(store: Store, text: str, *, limit: int = 50, offset: int = 0) -> tuple[int, list[AssetSummary]]:
    """Free-text search, best first: (total matches, one page)."""
    page = faceted_search(store, text, limit=limit, offset=offset)
    return page.total, page.items


def _facet_label(name: str, value: str, labels_: dict[str, str]) -> str:
    if name == "kind":
        return KIND_LABELS.get(value, value)
    if name == "personal":
        return "Holds personal data" if value == "yes" else "No personal data"
    return labels_.get(value) or term_label(value)[0]


# ----------------------------------------------------------------------------- suggestions and names

def suggest(store: Store, text: str, limit: int = 5) -> list[str]:
    """IRIs of the best matches for an unknown IRI's last segment or a name (for 'did you mean')."""
    key = local_name(text) if text.startswith(("http://", "https://", "urn:")) else text
    words = query_words(key)
    if not words:
        return []
    idx = _index(store)
    found = _matches(idx, words) or _matches(idx, words, 4)  # nothing: let 4-letter words carry a typo too
    ranked = heapq.nsmallest(limit, found.items(), key=_rank_key(idx, " ".join(words)))
    return [idx.entries[i].iri for i, _ in ranked]


def resolve(store: Store, text: str) -> str:
    """An IRI from an IRI, an exact (case-insensitive) name, or the start of exactly one name.

    UnknownAsset otherwise, with the best search matches (typos allowed) as suggestions.
    """
    text = text.strip()
    if text.startswith(("http://", "https://", "urn:")) and exists(store, text):
        return text
    for test, what in (("LCASE(STR(?l)) = LCASE(?q)", "that name"), ("STRSTARTS(LCASE(STR(?l)), LCASE(?q))", "names starting so")):
        rows = store.select(f"SELECT ?s (GROUP_CONCAT(STR(?l); separator='\\n') AS ?ls) WHERE {{ ?s {LABEL_PROPS} ?l . "
                            f"FILTER({test}) }} GROUP BY ?s LIMIT 10", bindings={"q": rdflib.Literal(text)})
        found = [str(r["s"]) for r in rows]
        if len(found) > 1:
            # a title that is the text plus a parenthesis ("SALT return (Short and Long Term Support)")
            # is the one meant; then the main kinds of asset over flows, fields and quality records
            titled = [str(r["s"]) for r in rows if any(base_title(l) == text.casefold() for l in str(r["ls"]).split("\n"))]
            refs = labels(store, found)
            main = [i for i in (titled or found) if refs[i].kind in MAIN_KINDS]
            if len(titled) == 1:
                found = titled
            elif len(main) == 1:
                found = main
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            found.sort(key=lambda i: (refs[i].kind not in MAIN_KINDS, refs[i].label.casefold()))
            raise UnknownAsset(f"{text} (several assets have {what}: give the full name or the IRI)", found,
                               names=[f"{refs[i].label} [{refs[i].kind}]" for i in found])
    near = suggest(store, text) if len(text) >= 3 else []
    refs = labels(store, near)
    raise UnknownAsset(text, near, names=[f"{refs[i].label} [{refs[i].kind}]" for i in near])
