"""Change history and "as of" views, rebuilt from the audit graph and the kept differences.

Every committed write leaves a change record; replacements keep the triples they added
and removed, removals keep what they removed. Walking the changes after a date
backwards from today's state gives the estate as it was on that date.
"""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import pyoxigraph as ox
from rdflib.term import Node

from govgraph import dates
from govgraph.derived import Derivation, KeptCopies
from govgraph.errors import BadInput, NotRecordedThen
from govgraph.limits import NO_DEADLINE, Deadline, Gate
from govgraph.store import SOURCE_PREFIX, ChangeRecord, Store, diff_graph, open_store, source_graph_iri
from govgraph.terms import to_rdflib

Triple = tuple[Node, Node, Node]


def parse_when(text: str | dt.date | dt.datetime, *, now: dt.datetime | None = None) -> dt.datetime:
    """An as-of moment: a date means the end of that day (UTC); a datetime is taken as given."""
    if isinstance(text, dt.datetime):
        when = text
    elif isinstance(text, dt.date):
        when = dt.datetime.combine(text, dt.time.max)
    else:
        parsed = dates.moment(text)  # a date (2026-03-31, 20260331): the end of that day
        if parsed is None:
            raise BadInput(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 date-time)")
        when = parsed
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    # a date means the end of that day, so today is allowed (with a day's slack for time zones);
    # a moment with a time must not be later than now (a minute's slack for clock skew)
    slack = dt.timedelta(days=1) if when.time() == dt.time.max else dt.timedelta(minutes=1)
    if when > now + slack:
        raise BadInput(f"{text} is in the future: the history only knows the past")
    return when


def moment_text(when: dt.datetime) -> str:
    """An as-of moment as people say it: the date for a whole day, else the date and time (UTC)."""
    if when.time() == dt.time.max:
        return when.date().isoformat()
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_range(store: Store, when: dt.datetime, records: list[ChangeRecord]) -> None:
    if not records:
        raise BadInput("the store has no recorded changes yet")
    if when < records[0].at:
        raise BadInput(f"{when.date().isoformat()} is before the first recorded change "
                       f"({records[0].at.isoformat()}): nothing was loaded then")


@dataclass
class AssetChange:
    """One change that touched an asset: the change record and the asset's triples it added or removed."""
    record: ChangeRecord
    added: list[Triple] = field(default_factory=list)
    removed: list[Triple] = field(default_factory=list)


def _quads_by_graph(store: Store, subject: str | None, graphs: set[str] | None = None,
                    deadline: Deadline = NO_DEADLINE) -> dict[str, set[tuple]]:
    """Every quad (optionally only about ``subject``, or only in ``graphs``) grouped by graph, as pyoxigraph terms."""
    out: dict[str, set[tuple]] = {}
    s = ox.NamedNode(subject) if subject else None
    # source graphs first: a removal's kept triples only ever move out of one (ChangeRecord.removed_graphs)
    order = sorted(graphs or (), key=lambda x: (not x.startswith(SOURCE_PREFIX), x))
    for g in ([None] if graphs is None else [ox.NamedNode(x) for x in order]):
        for q in deadline.checked(store.quads(s, None, None, g)):
            name = q.graph_name
            if isinstance(name, ox.NamedNode):
                out.setdefault(name.value, set()).add((q.subject, q.predicate, q.object))
    return out


def _undone(records: list[ChangeRecord], when: dt.datetime | None) -> list[ChangeRecord]:
    """The changes made after ``when``, newest first (all of them for None)."""
    out = []
    for rec in reversed(records):
        if when is not None and rec.at <= when:
            break
        out.append(rec)
    return out


def _walk_back(store: Store, when: dt.datetime | None, subject: str | None,
               content: dict[str, set[tuple]], *, touched_only: bool = False, deadline: Deadline = NO_DEADLINE):
    """Undo changes newest first, yielding (record, the source's triples after it, before it).

    ``content`` (source name -> set of triples, restricted to ``subject`` if given) starts
    as today's state and is updated in place, so when the walk stops it holds the state
    at ``when`` (changes at or before it are kept; None walks the whole history).
    ``touched_only``: read and hold only the sources changed after ``when`` (the others are
    as they are today), so a past estate costs in proportion to what changed since.
    ``deadline`` is checked as the quads are read and between changes.
    """
    records = _undone(store.history(), when)
    if touched_only:
        names = {r.source for r in records}
        graphs = {source_graph_iri(n) for n in names} | \
            {g for r in records for g in (diff_graph(r.revision, "added"),) + r.removed_graphs}
        by_graph = _quads_by_graph(store, subject, graphs, deadline)
        live = {s.name for s in store.sources()}  # a removed source's graph may still keep its triples
        content.update({n: set(by_graph.get(source_graph_iri(n), ())) if n in live else set() for n in names})
    else:
        by_graph = _quads_by_graph(store, subject, deadline=deadline)
        content.update({s.name: set(by_graph.get(s.graph, ())) for s in store.sources()})
    for rec in records:
        deadline.check()
        after = content.get(rec.source, set())
        if rec.action == "load":
            before: set[tuple] = set()
        elif rec.action in ("replace", "patch"):
            before = (after - by_graph.get(diff_graph(rec.revision, "added"), set())) | \
                _removed(by_graph, rec)
        else:  # remove: the source held exactly what was removed
            before = _removed(by_graph, rec)
        content[rec.source] = before
        yield rec, after, before


def _removed(by_graph: dict[str, set[tuple]], rec: ChangeRecord) -> set[tuple]:
    """The triples ``rec`` removed (restricted as ``by_graph`` is)."""
    return set().union(*(by_graph.get(g, set()) for g in rec.removed_graphs))


def _state_at(store: Store, when: str | dt.datetime, subject: str | None, *,
              touched_only: bool = False, deadline: Deadline = NO_DEADLINE) -> dict[str, set[tuple]]:
    """Each source's triples (about ``subject`` if given) as they were at ``when``
    (``touched_only``: only the sources changed since, as for ``_walk_back``)."""
    moment = parse_when(when)
    _check_range(store, moment, store.history())
    content: dict[str, set[tuple]] = {}
    for _ in _walk_back(store, moment, subject, content, touched_only=touched_only, deadline=deadline):
        pass
    return content


def asset_history(store: Store, iri: str) -> list[AssetChange]:
    """Every change that added or removed triples about ``iri`` (as subject), oldest first."""
    out = []
    for rec, after, before in _walk_back(store, None, iri, {}):
        added, removed = after - before, before - after
        if added or removed:
            out.append(AssetChange(rec, sorted(map(_rdflib, added)), sorted(map(_rdflib, removed))))
    return list(reversed(out))


#: Reads started ahead of need on a SPARQL server (``asset_history_ahead``): a thread's round trip overlaps the
#: caller's (each thread keeps its own connection, so these two keep theirs between pages).
_ahead = ThreadPoolExecutor(2, thread_name_prefix="govgraph-read-ahead")


def asset_history_ahead(store: Store, iri: str) -> Callable[[], list[AssetChange]]:
    """``asset_history(store, iri)``, to be asked for later: on a SPARQL server started now in another thread, so its
    round trips overlap the caller's (the asset page: 3 round trips of about 4 ms each on Virtuoso); on the embedded
    store read when asked (its reads hold the interpreter: nothing would overlap)."""
    if store.backend.capabilities.local_engine:
        return lambda: asset_history(store, iri)
    return _ahead.submit(asset_history, store, iri).result


def asset_asof(store: Store, iri: str, when: str | dt.datetime) -> list[Triple]:
    """The triples about ``iri`` as they were at ``when`` (union over the sources then)."""
    content = _state_at(store, when, iri)
    return sorted({_rdflib(t) for triples in content.values() for t in triples})


def asset_store_asof(store: Store, iri: str, when: str | dt.datetime) -> Store:
    """A small in-memory store with one asset's triples as they were at ``when``.

    The names of the things it links to are today's (enough to show the asset's page);
    for the whole estate as it was, use ``store_asof``. Costs in proportion to the
    asset's own history, not the estate's size.
    """
    content = _state_at(store, when, iri)
    triples = {t for ts in content.values() for t in ts}
    if not triples:
        raise NotRecordedThen(iri, moment_text(parse_when(when)))
    names = [ox.NamedNode(x) for x in
             ("http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title",
              "http://xmlns.com/foaf/0.1/name", "http://www.w3.org/2004/02/skos/core#prefLabel",
              "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")]
    linked = {o for _, _, o in triples if isinstance(o, ox.NamedNode)}
    extra = {(q.subject, q.predicate, q.object) for o in linked for g in store.graphs() for p in names
             for q in store.quads(o, p, None, g)}
    past = open_store("memory:")
    with past.begin("asset", who="as-of view", loaded_from=f"{iri} as of {parse_when(when).isoformat()}") as txn:
        g = txn.graph
        past.add_quads(ox.Quad(s, p, o, g) for s, p, o in triples | extra)
        txn.commit()
    return past


def store_asof(store: Store, when: str | dt.datetime, deadline: Deadline = NO_DEADLINE) -> Store:
    """A new in-memory store holding every source as it was at ``when`` (for queries, pages, lineage).

    Sources no change has touched since ``when`` are copied as they are; only the changed
    ones are rebuilt from the kept differences. Past ``deadline`` the build stops
    (``TimeLimitExceeded``) and its partial copy is dropped.
    """
    moment = parse_when(when)
    changed = _state_at(store, moment, None, touched_only=True, deadline=deadline)
    today = {s.name: s for s in store.sources()}
    past = open_store("memory:")
    for name in sorted(set(changed) | set(today)):
        if name in changed:
            if not changed[name]:
                continue
            triples = changed[name]
        else:
            triples = ((q.subject, q.predicate, q.object)
                       for q in store.quads(None, None, None, ox.NamedNode(today[name].graph)))
        with past.begin(name, who="as-of view", loaded_from=f"{store.url} as of {moment.isoformat()}") as txn:
            g = txn.graph
            past.add_quads(ox.Quad(s, p, o, g) for s, p, o in deadline.checked(triples))
            txn.commit(note=f"as of {moment.isoformat()}")
    return past


#: How many past estates are kept in memory (each is a full in-memory copy).
PAST_KEPT = 3
#: How many as-of requests may wait for the build in progress (any reader can ask for any date).
PAST_WAITING = 2
#: Past estates kept for as-of pages and queries: (store id, first change, last change by then) -> Store.
#: One is built at a time, and only PAST_WAITING requests wait for it: a burst of as-of requests
#: for different dates is told to come back later (``Busy``) instead of holding several
#: estate-sized copies in memory, or the server's threads, at once.
_PAST: "KeptCopies[Store]" = KeptCopies(PAST_KEPT, gate=Gate(1, PAST_WAITING, "as-of views being built"))


def estate_asof(store: Store, when: str | dt.datetime, *, time_limit: float | None = None,
                wait: float | None = None) -> tuple[Store, dt.datetime]:
    """The whole estate as it was at ``when`` and the moment parsed, built once per past state.

    Two moments with no change between them give the same estate, so the copy is keyed by
    the last change at or before the moment (history is append-only, so a past state
    never changes) and the few most recently asked are kept. Pages, lineage graphs and
    SPARQL queries "as of" a date all read this copy.

    A build stops after ``time_limit`` seconds (``TimeLimitExceeded``; nothing is kept) and
    waits at most ``wait`` seconds for the build in progress (``Busy``); None: no limit.
    """
    moment = parse_when(when)
    records = store.history()
    _check_range(store, moment, records)
    last = max((r for r in records if r.at <= moment), key=lambda r: (r.at, r.revision))
    key = (id(store), store.url, records[0].iri, last.iri)

    def build() -> Store:
        past = store_asof(store, moment, Deadline(time_limit, f"building the estate as of {moment_text(moment)}"))
        # names this past state for whoever writes it to disk (the SPARQL workers' copies)
        past.derivation = Derivation(key=("asof",) + key)
        return past
    return _PAST.get(key, build, wait), moment


def _rdflib(t: tuple) -> Triple:
    return to_rdflib(t[0]), to_rdflib(t[1]), to_rdflib(t[2])


__all__ = ["AssetChange", "asset_asof", "estate_asof", "asset_history", "asset_history_ahead", "asset_store_asof", "parse_when", "store_asof", "source_graph_iri"]
