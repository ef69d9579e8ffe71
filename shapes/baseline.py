"""Source baselines: the known gaps an as-is load committed, kept in the history as a ratchet.

``govgraph load --as-is`` (and the write API's ``as_is``) commits a source whatever its
findings; the violations it lets in become that source's baseline. From then on a write is
refused only for a violation that is neither in the store before it nor in a baseline
(``shapes.change.validate_change``); a fix drops its gap from the baseline in the same
commit, and nothing but another as-is write adds one: the baseline never grows silently.

Each change to a baseline is kept, with the revision that made it, in the internal graph
``urn:govgraph:baselines``: ``<event> gg:baselineOf "source" ; gg:revision n ; gg:adds <gap> ;
gg:drops <gap>``, each gap described once by its identity (shape, focus node, path, value)
with its principle and message. The baseline of a source at any revision, and its trend
(gap count per revision), are folded from those events, so as-of views see the baseline as it
was. A removed source's baseline ends with it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from govgraph.ontology.ns import GG, GOV
from govgraph.shapes.model import PRINCIPLE_NAMES, BaselineChange, Gap
from govgraph.store import AUDIT_GRAPH, ChangeRecord, Store

BASELINES = ox.NamedNode(str(GG["baselines"]))
_OF, _REV, _ADDS, _DROPS = (str(GG[n]) for n in ("baselineOf", "revision", "adds", "drops"))
_SHAPE, _FOCUS, _PATH, _VALUE, _PRINCIPLE, _MESSAGE = (
    str(GG[n]) for n in ("gapShape", "gapFocus", "gapPath", "gapValue", "gapPrinciple", "gapMessage"))


@dataclass(frozen=True)
class TrendPoint:
    """A source's known-gap count after one revision that changed it."""
    revision: int
    at: dt.datetime | None
    gaps: int


def _hash(*parts: str | None) -> str:
    return hashlib.sha1("\x00".join(p or "" for p in parts).encode()).hexdigest()[:20]


def gap_iri(g: Gap) -> str:
    return str(GG[f"gap:{_hash(g.source, *g.key())}"])


def update_ops(change: BaselineChange, rec: ChangeRecord) -> list[str]:
    """SPARQL Update operations recording ``change`` as made by the change ``rec`` (committed with it)."""
    if not change:
        return []
    by_source: dict[str, tuple[list[Gap], list[Gap]]] = defaultdict(lambda: ([], []))
    for g in change.added:
        by_source[g.source][0].append(g)
    for g in change.dropped:
        by_source[g.source][1].append(g)
    lines: list[str] = []
    for source, (added, dropped) in sorted(by_source.items()):
        ev = f"<{GG[f'baseline:{rec.revision}:{_hash(source)}']}>"
        lines.append(f"{ev} <{_OF}> {ox.Literal(source)} ; <{_REV}> {ox.Literal(str(rec.revision), datatype=_INT)} .")
        for verb, gaps in ((_ADDS, added), (_DROPS, dropped)):
            for g in gaps:
                lines.append(f"{ev} <{verb}> <{gap_iri(g)}> .")
        for g in added:
            d = [f"<{_SHAPE}> {ox.Literal(g.shape)}", f"<{_FOCUS}> {ox.Literal(g.focus)}",
                 f"<{_PRINCIPLE}> {ox.Literal(str(g.principle), datatype=_INT)}", f"<{_MESSAGE}> {ox.Literal(g.message)}"]
            if g.path is not None:
                d.append(f"<{_PATH}> {ox.Literal(g.path)}")
            if g.value is not None:
                d.append(f"<{_VALUE}> {ox.Literal(g.value)}")
            lines.append(f"<{gap_iri(g)}> " + " ; ".join(d) + " .")
    return [f"INSERT DATA {{ GRAPH <{BASELINES.value}> {{\n" + "\n".join(lines) + "\n} }"]


_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_events_cache: "weakref.WeakKeyDictionary[Store, tuple[int, list]]" = weakref.WeakKeyDictionary()


def _events(store: Store) -> list[tuple[int, str, str, Gap | None]]:
    """Every baseline event (revision, source, "add" | "drop" | "end", gap), oldest first ("end": the
    source was removed); read once per revision, and only the baselines graph when it is empty."""
    rev = store.revision
    hit = _events_cache.get(store)
    if hit is not None and hit[0] == rev:
        return hit[1]
    # the graph's triples read as they are and joined here as the pattern that joined them would (each
    # description of a gap with each event naming it; no path or value: None): the simplest query there
    # is, which a server compiles at once (Virtuoso 7.2, after a write: 20 ms for the join, 2 ms for this)
    by: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", graphs=[BASELINES], prefixes=False):
        by[str(r["s"])][r["p"].value].append(r["o"])
    out = []
    for ev in by.values():
        for src, at in ((s.value, int(r.value)) for s in ev.get(_OF, ()) for r in ev.get(_REV, ())):
            for op, verb in (("add", _ADDS), ("drop", _DROPS)):
                for g in ev.get(verb, ()):
                    d = by.get(str(g), {})
                    out += [(at, src, op, Gap(src, shape.value, focus.value, path, value, int(p.value), msg.value))
                            for shape in d.get(_SHAPE, ()) for focus in d.get(_FOCUS, ())
                            for p in d.get(_PRINCIPLE, ()) for msg in d.get(_MESSAGE, ())
                            for path in [x.value for x in d.get(_PATH, ())] or [None]
                            for value in [x.value for x in d.get(_VALUE, ())] or [None]]
    if out:  # removals end a baseline (an index lookup in the audit graph, not the whole history)
        q = (f'SELECT ?src ?r WHERE {{ ?c <http://www.w3.org/2000/01/rdf-schema#label> "remove" ; '
             f'<{GOV.sourceName}> ?src ; <{GOV.revision}> ?r }}')
        out += [(int(r["r"].value), r["src"].value, "end", None)
                for r in store.query(q, graphs=[AUDIT_GRAPH], prefixes=False)]
    order = {"end": 0, "drop": 1, "add": 2}
    out.sort(key=lambda e: (e[0], order[e[2]]))  # within a revision: removal, then drops, then adds
    _events_cache[store] = (rev, out)
    return out


def _fold(store: Store, revision: int | None) -> tuple[dict[str, dict[tuple, Gap]], list[tuple[int, str, int]]]:
    """The baselines at ``revision`` (default: now) and each source's gap count after each change."""
    state: dict[str, dict[tuple, Gap]] = {}
    counts: list[tuple[int, str, int]] = []
    for r, src, op, gap in _events(store):
        if revision is not None and r > revision:
            break
        gaps = state.setdefault(src, {})
        if op == "end":
            if not gaps:
                continue
            gaps.clear()
        elif op == "add":
            gaps[gap.key()] = gap
        else:
            gaps.pop(gap.key(), None)
        if counts and counts[-1][:2] == (r, src):
            counts[-1] = (r, src, len(gaps))
        else:
            counts.append((r, src, len(gaps)))
    return {s: g for s, g in state.items() if g}, counts


def baselines(store: Store, revision: int | None = None) -> dict[str, list[Gap]]:
    """Each source's known gaps at ``revision`` (default: now), sources with none left out."""
    state, _ = _fold(store, revision)
    return {s: sorted(g.values(), key=lambda x: (x.principle, x.focus, x.shape, x.path or "", x.value or ""))
            for s, g in sorted(state.items())}


def known_keys(store: Store) -> dict[tuple, Gap]:
    """Every current gap by its identity (any source)."""
    state, _ = _fold(store, None)
    return {k: g for gaps in state.values() for k, g in gaps.items()}


def revision_at(store: Store, when: dt.datetime) -> int:
    """The store's revision at ``when`` (0: before any change)."""
    return max((r.revision for r in store.history() if r.at <= when), default=0)


def baselines_asof(store: Store, when: dt.datetime) -> dict[str, list[Gap]]:
    """Each source's known gaps as they were at ``when``."""
    return baselines(store, revision_at(store, when))


def trend(store: Store, revision: int | None = None) -> dict[str, list[TrendPoint]]:
    """Per source with a baseline (ever, up to ``revision``): its gap count after each revision that changed it."""
    _, counts = _fold(store, revision)
    at = {r.revision: r.at for r in store.history()}
    out: dict[str, list[TrendPoint]] = {}
    for r, src, n in counts:
        out.setdefault(src, []).append(TrendPoint(r, at.get(r), n))
    return out


@dataclass(frozen=True)
class SourceGaps:
    """One source's known gaps and how their count went, for pages and reports."""
    source: str
    gaps: list[Gap]
    trend: list[TrendPoint]

    @property
    def count(self) -> int:
        return len(self.gaps)

    @property
    def per_principle(self) -> dict[int, int]:
        return {p: len(g) for p, g in by_principle(self.gaps).items()}


def summaries(store: Store, revision: int | None = None) -> list[SourceGaps]:
    """Every source that has had a baseline (up to ``revision``): its gaps then, and its trend."""
    now = baselines(store, revision)
    return [SourceGaps(src, now.get(src, []), points) for src, points in sorted(trend(store, revision).items())]


def by_principle(gaps: list[Gap]) -> dict[int, list[Gap]]:
    """Gaps grouped by principle, in principle order."""
    out: dict[int, list[Gap]] = {}
    for g in sorted(gaps, key=lambda x: (x.principle, x.focus, x.shape)):
        out.setdefault(g.principle, []).append(g)
    return out


def change_text(change: BaselineChange, limit: int = 20) -> str:
    """What a change did to the baselines, for a person: gaps recorded per source grouped by principle
    (at most ``limit`` listed per principle), then gaps fixed."""
    lines: list[str] = []
    sources = sorted({g.source for g in change.added})
    for src in sources:
        gaps = [g for g in change.added if g.source == src]
        lines.append(f"baseline of {src}: {len(gaps)} known gap(s) recorded (an as-is load); later writes may "
                     f"not add new ones")
        for p, group in by_principle(gaps).items():
            lines.append(f"  Principle {p}: {PRINCIPLE_NAMES.get(p, 'other shapes')} ({len(group)})" if p
                         else f"  Other shapes ({len(group)})")
            for g in group[:limit]:
                where = g.focus + (f" [{g.path}]" if g.path else "") + (f" = {g.value}" if g.value and g.value != g.focus else "")
                lines.append(f"    - {where}: {g.message}")
            if len(group) > limit:
                lines.append(f"    ... and {len(group) - limit} more")
    if change.dropped:
        by_src: dict[str, int] = {}
        for g in change.dropped:
            by_src[g.source] = by_src.get(g.source, 0) + 1
        lines.append("known gaps fixed: " + ", ".join(f"{n} in {s}" for s, n in sorted(by_src.items())))
    return "\n".join(lines)
