"""Search: a live index over names, synonyms, descriptions and glossary terms.

The index (``govgraph.search_index``) is built with a few bulk queries, then kept up to date by
each commit's change; it answers the /search page and API, the "did you mean" suggestions for an
unknown asset, and name resolution (``resolve``).

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

import heapq
import itertools
from dataclasses import dataclass

import rdflib

from govgraph.catalog import AssetSummary, exists
from govgraph.errors import UnknownAsset
from govgraph.labels import KIND_LABELS, LABEL_PROPS, MAIN_KINDS, base_title, labels, local_name, term_label
from govgraph.search_index import (ADDRESS, BODY, MAX_WORDS, SEARCH_FACETS, SEARCH_VIEW, SYNONYM, TITLE,  # noqa: F401
                                    Part, SearchEntry, SearchIndex, index, kind_counts, query_words, tokens)
from govgraph.store import Store
from govgraph.typo_index import deletions

#: Search ranks data assets and systems before the things that describe them.
_SEARCH_RANK = {"dataset": 0, "report": 0, "return": 0, "system": 0, "database": 0, "partner": 1, "agreement": 1,
                "standard": 1, "term": 1, "person": 1, "team": 1, "field": 3, "activity": 3}
#: Shortest word that may carry one typo, and two; longest that may carry any.
FUZZY_1, FUZZY_2, FUZZY_MAX = 5, 8, 40


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


def search_index(store: Store) -> list[SearchEntry]:
    """Every searchable resource in label order (kept up to date by each commit: ``govgraph.search_index``)."""
    return _index(store).entries


def asset_counts(store: Store) -> dict[str, int]:
    """How many searchable resources of each kind the store holds (from the search index, or the counts kept
    beside it while it is read after a restart)."""
    return kind_counts(store)


_index = index


# ----------------------------------------------------------------------------- typos

def _deletes(idx: SearchIndex) -> dict[str, list[str]]:
    """The typo index (made when first needed, then grown by each change: ``search_index.Deletes``)."""
    return idx.deletes.get(idx.tokens)


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


def _candidates(idx: SearchIndex, word: str, shortest: int = FUZZY_1, whole: bool = False) -> dict[str, int]:
    """Indexed words the query word may mean, with the typos each costs: those it starts (0), and close ones
    (for words of ``shortest`` letters or more). ``whole``: a number matches that number only."""
    lo, hi = _prefix_range(idx, word, whole)
    out = {tok: 0 for tok in idx.tokens[lo:hi]}
    for tok, d in _fuzzy(idx, word, shortest).items():
        out.setdefault(tok, d)
    return out


def _prefix_range(idx: SearchIndex, word: str, whole: bool = False) -> tuple[int, int]:
    """Where the indexed words starting with ``word`` are in ``idx.tokens`` (``whole``: a number, only itself)."""
    lo = idx.tokens.bisect_left(word)
    if whole and word.isdigit():
        return lo, lo + (lo < len(idx.tokens) and idx.tokens[lo] == word)
    return lo, idx.tokens.bisect_left(word + "\uffff")


def _fuzzy(idx: SearchIndex, word: str, shortest: int) -> dict[str, int]:
    """Indexed words within one or two typos of ``word`` that it does not start (none for short words)."""
    out: dict[str, int] = {}
    if shortest <= len(word) <= FUZZY_MAX and word.isalpha():
        limit = 1 if len(word) < FUZZY_2 else 2
        deletes = _deletes(idx)
        for k in deletions(word, limit):
            for tok in deletes.get(k, ()):
                if tok not in out and not tok.startswith(word):
                    d = edit_distance(word, tok, limit)
                    if d <= limit:
                        out[tok] = d
    return out


# ----------------------------------------------------------------------------- matching and ranking

def _word_hits(idx: SearchIndex, word: str, shortest: int = FUZZY_1, whole: bool = False) -> dict[int, int]:
    """Entry position -> where the word is found and with how many typos, as ``field * 8 + typos`` (best kept)."""
    hits: dict[int, int] = {}
    for tok, typos in _candidates(idx, word, shortest, whole).items():
        for where in (TITLE, SYNONYM, BODY, ADDRESS):
            score = where * 8 + typos
            for i in idx.postings[where].get(tok, ()):
                if hits.get(i, 99) > score:
                    hits[i] = score
    return hits


def _matches(idx: SearchIndex, words: list[str], shortest: int = FUZZY_1,
             whole: bool = False) -> dict[int, tuple[int, int]]:
    """Entries matching every word: position -> (worst field of any word, total typos); ``whole``: numbers
    match only themselves, not the numbers they start (for a whole name, such as a missing IRI's).

    The cheapest word is looked up first; a later word whose postings outnumber the entries still in the
    running is checked against those entries' own words instead (a missing IRI's "d" of "d123" starts a
    tenth of the index: the 404's "did you mean" reads a few entries, not every posting)."""
    out: dict[int, tuple[int, int]] | None = None
    cost = {w: _cost(idx, w, whole) for w in set(words)}
    for w in sorted(cost, key=lambda w: (cost[w], -len(w), w)):
        if out is None:
            hits = _word_hits(idx, w, shortest, whole)
            out = {i: (s >> 3, s & 7) for i, s in hits.items()}
        else:
            hits = _word_hits_among(idx, w, out, shortest, whole) if len(out) * _RESTRICT < cost[w] \
                else _word_hits(idx, w, shortest, whole)
            out = {i: (max(f, hits[i] >> 3), t + (hits[i] & 7)) for i, (f, t) in out.items() if i in hits}
        if not out:
            break
    return out or {}


#: An entry's words cost about this many postings to check (see ``_matches``).
_RESTRICT = 24
#: Words starting more indexed words than this are counted as costing one posting a word (no exact count).
_COUNT_UP_TO = 64


def _cost(idx: SearchIndex, word: str, whole: bool = False) -> int:
    """About how many postings looking ``word`` up reads (its prefix words' postings; fuzzy ones not counted)."""
    lo, hi = _prefix_range(idx, word, whole)
    if hi - lo > _COUNT_UP_TO:
        return (hi - lo) * 8
    return sum(len(p.get(tok, ())) for tok in idx.tokens[lo:hi] for p in idx.postings)


def _word_hits_among(idx: SearchIndex, word: str, among: dict[int, object], shortest: int = FUZZY_1,
                     whole: bool = False) -> dict[int, int]:
    """``_word_hits`` for the entries ``among`` only, from each entry's own words (the same scores)."""
    fuzzy = _fuzzy(idx, word, shortest)
    whole = whole and word.isdigit()
    hits: dict[int, int] = {}
    for i in among:
        part = idx.parts[i]
        if part is None:
            continue
        best = 99
        for where, toks in enumerate(part.words):
            if where * 8 >= best:  # fields in order, best first: a later one cannot do better
                break
            for tok in toks:
                typos = 0 if (tok == word if whole else tok.startswith(word)) else fuzzy.get(tok)
                if typos is not None and where * 8 + typos < best:
                    best = where * 8 + typos
        if best < 99:
            hits[i] = best
    return hits


def _ranked(idx: SearchIndex, found: dict[int, tuple[int, int]], phrase: str, n: int,
            got: list[Part] | None = None) -> list[SearchEntry]:
    """The best ``n`` entries ``found`` (``got``: their parts, if read already), best first."""
    ranked = heapq.nsmallest(n, zip(found.values(), idx.parts.take(found) if got is None else got),
                             key=_rank_key(phrase))
    return [p.entry for _, p in ranked]


def _rank_key(phrase: str):
    n = phrase.count(" ")  # a name of as many words, each matched (with typos, or as its start), is the whole name

    def key(item: tuple[tuple[int, int], Part]):
        (where, typos), p = item
        e = p.entry
        exact = 0 if phrase in (p.name, p.base) else 1 if phrase in p.alts \
            else 2 if where == TITLE and typos and p.name.count(" ") == n else 3
        return (exact, where, typos, _SEARCH_RANK.get(e.kind, 2), not p.name.startswith(phrase),
                e.label.lower(), e.iri)  # (the last two: the label order)
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
        got = idx.parts.take(found)
        if words:
            page = _ranked(idx, found, " ".join(words), offset + limit, got)[offset:]
        else:
            page = _in_order(idx, found, got, offset, limit)
        hits = [p.entry for p in got]
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


def _in_order(idx: SearchIndex, found: dict[int, object], got: list[Part], offset: int,
              limit: int) -> list[SearchEntry]:
    """One page of the entries ``found`` (``got``: their parts), in label order: the order read until the page
    is full when they are many (a few in every so many entries), else the first ones picked from them."""
    if len(found) * 32 >= len(idx.order):
        picked = itertools.islice((k for _, _, k in idx.order if k in found), offset, offset + limit)
        return [p.entry for p in idx.parts.take(picked)]
    return [p.entry for p in heapq.nsmallest(offset + limit, got, key=lambda p: p.key)[offset:]]


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
    # a missing IRI's numbers are whole ("d12" is not "d1203"); nothing found: let 4-letter words carry a typo too
    found = _matches(idx, words, whole=True) or _matches(idx, words, 4, whole=True)
    return [e.iri for e in _ranked(idx, found, " ".join(words), limit)]


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
