"""OpenLineage events into the graph, as Marquez takes them: RunEvents, and static lineage.

Checked against the spec's JSON Schemas (``govgraph.io.openlineage_schema``: schemaURL optional,
a facet off its schema dropped with a warning), mapped to PROV (``govgraph.io.openlineage_mapping``:
a run is a ``prov:Activity``, a JobEvent describes its job's ``prov:Plan``, a DatasetEvent its
dataset). Events are kept in one source per namespace (``openlineage/<namespace>``: what one
orchestrator told us), changed by a validated ``Store.patch`` of just the triples an event adds
or removes (concurrent events are committed together: one patch per source, one validation run,
one atomic update); the same event twice leaves the store unchanged.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pyoxigraph as ox

from govgraph import discovered
from govgraph.dates import instant
from govgraph.errors import BadInput, GovGraphError
from govgraph.io.characters import check_json
from govgraph.io.openlineage_mapping import (  # noqa: F401 - the ingest API, re-exported
    OL_DATASET_PREFIX, alias_of, datasets_of, event_triples, field_iri, job_iri, minted_dataset_iri,
    producer_agent, resolve_datasets, restated, run_iri, source_name)
from govgraph.io.openlineage_schema import (  # noqa: F401 - the ingest API, re-exported
    DATASET_EVENT, JOB_EVENT, RUN_EVENT, SPEC_ENV, InvalidEvent, checked_event, event_kind, spec_dir,
    validate_event)
from govgraph.io.write import WriteResult, canonical, source_triples, write_source
from govgraph.ontology.ns import GOV, PROV
from govgraph.shapes.change import ChangeView, InexactView, baseline_ops, validate_change
from govgraph.store import Store, commit_patches, source_graph_iri

TERMINAL = {"COMPLETE": 3, "FAIL": 3, "ABORT": 3}
#: Run states ranked: a later event of a lower rank never overrides a higher one.
STATE_RANK = {"START": 1, "RUNNING": 2, "OTHER": 0, **TERMINAL}
MAX_EVENT_BYTES = 5_000_000
_datasets_of = datasets_of


def parse_event_time(text: str) -> dt.datetime:
    """An OpenLineage eventTime as an aware datetime (BadInput if it is not ISO 8601)."""
    t = instant(text) if isinstance(text, str) else None
    if t is None:
        raise BadInput(f"eventTime {text!r} is not an ISO 8601 date-time")
    return t


def check_unicode(event: Any) -> None:
    """BadInput naming the field whose text is not Unicode (a lone surrogate, which JSON's ``\\ud800``
    escapes can spell): it can be neither validated nor stored."""
    try:
        json.dumps(event, ensure_ascii=False).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    except (TypeError, ValueError):
        return  # not JSON at all: the schema check says what is wrong
    stack: list[tuple[Any, str]] = [(event, "event")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}") for k, v in value.items())
            stack.extend((k, f"{path} (a key)") for k in value)
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                raise BadInput(f"{path}: the text is not valid Unicode ({e.reason}: "
                               f"U+{ord(value[e.start]):04X} at character {e.start})") from None


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(text: Any, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(text), datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(str(text))


_XSD_DT = "http://www.w3.org/2001/XMLSchema#dateTime"
_GOV_INGESTWARNING = _n(str(GOV.ingestWarning))
_GOV_GUESSEDSYSTEM = _n(str(GOV.guessedSystem))
_RDF_TYPE = _n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_PROV_ENTITY = _n(str(PROV.Entity))


# ----------------------------------------------------------------------------- run state

_STATE = _n(str(GOV.runState))
_STARTED = _n(str(PROV.startedAtTime))
_ENDED = _n(str(PROV.endedAtTime))
_GENERATED = _n(str(PROV.generated))


def _merge_state(triples: set[ox.Triple], run: ox.NamedNode, event: dict, when: dt.datetime) -> None:
    """Update the run's state and times in place: terminal states win, then the later event."""
    etype = event.get("eventType") or "OTHER"
    cur = [t for t in triples if t.subject == run and t.predicate == _STATE]
    cur_state = cur[0].object.value if cur else None
    cur_time = next((t.object.value for t in triples if t.subject == run and t.predicate == _ENDED), None) \
        or next((t.object.value for t in triples if t.subject == run and t.predicate == _STARTED), None)
    stamp = _lit(when.isoformat(), _XSD_DT)
    if etype == "START":
        if not any(t.subject == run and t.predicate == _STARTED for t in triples):
            triples.add(ox.Triple(run, _STARTED, stamp))
    if etype in TERMINAL:
        triples.difference_update({t for t in triples if t.subject == run and t.predicate == _ENDED})
        triples.add(ox.Triple(run, _ENDED, stamp))
    new_rank, cur_rank = STATE_RANK.get(etype, 0), STATE_RANK.get(cur_state or "", -1)
    later = cur_time is None or parse_event_time(cur_time) <= when
    if etype != "OTHER" and (new_rank > cur_rank or (new_rank == cur_rank and later)):
        triples.difference_update(cur)
        triples.add(ox.Triple(run, _STATE, _lit(etype)))
        if etype in ("FAIL", "ABORT"):
            triples.difference_update({t for t in triples if t.subject == run and t.predicate == _GENERATED})


# ----------------------------------------------------------------------------- ingest

@dataclass
class IngestResult:
    """What ingesting one event did."""
    run: str | None            # the run's IRI (None for static lineage)
    source: str
    event_type: str
    write: WriteResult
    datasets: dict[str, str] = field(default_factory=dict)
    #: what was left out or changed, and why: facets dropped because they did not follow their
    #: schema, a producer that is not an IRI (also recorded on the run as gov:ingestWarning)
    warnings: list[str] = field(default_factory=list)
    kind: str = RUN_EVENT      # RunEvent, DatasetEvent or JobEvent
    subject: str = ""          # the IRI the event is about: its run, job or dataset

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "run": self.run, "source": self.source,
                "eventType": self.event_type, "datasets": self.datasets, **self.write.to_dict(),
                "dropped": [w for w in self.warnings if " dropped, " in w], "warnings": self.warnings}


#: Most events one group commit takes (events arriving while one commits wait for the next).
MAX_BATCH = 64
#: Longest a round waits for the events its senders are about to send (see ``_GroupCommit._gather``).
GATHER_SECONDS = 0.003


@dataclass
class _Item:
    """One event waiting to be applied, and what became of it."""
    event: dict
    who: str
    name: str
    when: dt.datetime
    run: ox.NamedNode | None   # None for static lineage (DatasetEvent, JobEvent)
    loaded_from: str
    warnings: list[str] = field(default_factory=list)
    result: IngestResult | None = None
    error: BaseException | None = None
    done: bool = False


class _GroupCommit:
    """Events of concurrent requests applied together: one patch per source, one validation run.

    The first waiting thread leads: it takes what is queued (up to MAX_BATCH), applies it and
    answers each event with its own result; events arriving meanwhile queue for the next
    round. A round whose validation refuses anything is replayed event by event, so an event
    is refused only for the violations it introduces itself (as when sent alone).
    """

    def __init__(self, store: Store):
        self.store = store
        lock = threading.Lock()
        self.cv = threading.Condition(lock)
        self.arrived = threading.Condition(lock)  # the leader gathering a round waits on this one
        self.queue: list[_Item] = []
        self.busy = False
        self.recent = [0, 0]  # sizes of the last two rounds
        self.futile = 0       # gathers in a row that brought nothing (then stop gathering a while)

    def submit(self, item: _Item) -> IngestResult:
        with self.cv:
            self.queue.append(item)
            self.arrived.notify()
        while True:
            with self.cv:
                while not item.done and self.busy:
                    self.cv.wait()
                if item.done:
                    break
                self.busy = True
                self._gather()
                batch = self._take()
                self.recent = [self.recent[1], len(batch)]
            try:
                _apply_round(self.store, batch)
            finally:
                with self.cv:
                    for it in batch:
                        if not it.done:  # pragma: no cover - _apply_round answers every item
                            it.error, it.done = GovGraphError("the event was not applied"), True
                    self.busy = False
                    self.cv.notify_all()
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _gather(self) -> None:
        """Wait up to GATHER_SECONDS for the events the last rounds' senders are about to send.

        Pipelines answered by one round send their next event at once; without this wait they
        queue behind the round just starting, and the senders settle into two alternating
        halves, each round taking half the events (and paying the fixed cost of a commit and
        a validation run for them). A lone sender is not kept waiting: after a few gathers
        that bring nothing, rounds start at once for a while.
        """
        want = min(MAX_BATCH, sum(self.recent))
        if len(self.queue) >= want or self.futile >= 3:
            self.futile = self.futile + 1 if self.futile >= 3 else self.futile
            if self.futile > 3 + 32:
                self.futile = 0  # try gathering again
            return
        before, deadline = len(self.queue), time.monotonic() + GATHER_SECONDS
        while len(self.queue) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.arrived.wait(left)
        self.futile = self.futile + 1 if len(self.queue) == before else 0

    def _take(self) -> list[_Item]:
        """Queued items in order; one (who, loaded_from) per source per round, so one patch each."""
        batch, rest, keys = [], [], {}
        for it in self.queue:
            key = (it.who, it.loaded_from)
            if len(batch) < MAX_BATCH and keys.setdefault(it.name, key) == key:
                batch.append(it)
            else:
                rest.append(it)
        self.queue = rest
        return batch


_committers: dict[int, tuple[Store, _GroupCommit]] = {}
_committers_guard = threading.Lock()


def _committer(store: Store) -> _GroupCommit:
    with _committers_guard:
        hit = _committers.get(id(store))
        if hit is None or hit[0] is not store:
            if len(_committers) > 16:
                _committers.clear()
            hit = _committers[id(store)] = (store, _GroupCommit(store))
        return hit[1]


def ingest_event(store: Store, event: Any, *, who: str = "openlineage", validate: bool = True) -> IngestResult:
    """Check one OpenLineage event (RunEvent, DatasetEvent or JobEvent) and merge it into its
    namespace's source (idempotent).

    Concurrent calls on one store are committed together (see ``_GroupCommit``); each
    gets its own result, or its own error.
    """
    check_json(event)  # no NUL or bidirectional controls anywhere (govgraph.io.characters)
    check_unicode(event)
    warnings: list[str] = []
    if validate:
        event, warnings = checked_event(event)
    kind = event_kind(event) if isinstance(event, dict) else RUN_EVENT
    needs = {RUN_EVENT: ("run", "job"), JOB_EVENT: ("job",), DATASET_EVENT: ("dataset",)}[kind]
    if not isinstance(event, dict) or any(k not in event for k in needs) or "eventTime" not in event:
        raise BadInput(f"a {kind} needs eventTime and " + " and ".join(needs))
    run = None
    if kind == RUN_EVENT:
        run = _n(run_iri(event["run"]["runId"]))
        if event.get("producer"):
            warnings = warnings + [w for w in [producer_agent(event["producer"])[1]] if w]
    item = _Item(event, who, source_name(event), parse_event_time(event["eventTime"]), run,
                 f"OpenLineage {event.get('producer', '')}".strip(), warnings)
    return _committer(store).submit(item)


def _apply_round(store: Store, batch: list[_Item]) -> None:
    """Apply a round of events; a round refused as a whole is replayed one event at a time."""
    if len(batch) > 1:
        try:
            _apply(store, batch)
            return
        except Exception:  # noqa: BLE001 - replayed one by one below, each answered on its own
            for it in batch:
                it.result, it.error, it.done = None, None, False
    for it in batch:
        try:
            _apply(store, [it])
        except BaseException as e:  # noqa: BLE001 - handed to the request that sent it
            it.result, it.error, it.done = None, e, True


@dataclass
class _Delta:
    added: set = field(default_factory=set)
    removed: set = field(default_factory=set)

    def add(self, t: ox.Triple) -> None:
        if t in self.removed:
            self.removed.discard(t)
        else:
            self.added.add(t)

    def remove(self, t: ox.Triple) -> None:
        if t in self.added:
            self.added.discard(t)
        else:
            self.removed.add(t)


def _apply(store: Store, items: list[_Item]) -> None:
    """Apply events in order as one patch per source and one validation; answers each item.

    Raises (answering nothing) if the round is refused: a single event's error is its answer.
    """
    datasets = resolve_datasets(store, (p for it in items for p in _datasets_of(it.event)))
    # datasets the catalogue does not describe: their system guessed from their namespace (govgraph.discovered)
    minted = {d: ns for (ns, _), d in datasets.items() if d.startswith(OL_DATASET_PREFIX)}
    guesses = discovered.guess_triples(store, minted)
    with ExitStack() as stack:
        patches: dict[str, Any] = {}
        for it in items:
            if it.name not in patches:
                patches[it.name] = stack.enter_context(store.patch(it.name, who=it.who, loaded_from=it.loaded_from))
        graphs = {name: _n(source_graph_iri(name)) for name in patches}
        deltas = {name: _Delta() for name in patches}
        per_item: list[tuple[set, set]] = []
        for it in items:
            g, delta = graphs[it.name], deltas[it.name]

            def present(t: ox.Triple, g=g, delta=delta) -> bool:
                if t in delta.added:
                    return True
                return t not in delta.removed and store.contains(t.subject, t.predicate, t.object, g)
            def current(s: ox.NamedNode, p: ox.NamedNode | None, g=g, delta=delta) -> set[ox.Triple]:
                """The source's triples of subject ``s`` (and predicate ``p``), this round's changes included."""
                now = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(s, p, None, g)}
                return (now - delta.removed) | {t for t in delta.added
                                                if t.subject == s and (p is None or t.predicate == p)}
            # what the event may replace: its run's own triples (state, times), and the facts it restates
            owned = current(it.run, None) if it.run is not None else set()
            new = set(owned)
            for s_, p_ in restated(it.event, datasets):
                owned |= current(s_, p_)
            new.update(event_triples(it.event, datasets))
            for d in {t.subject for t in new if t.predicate == _RDF_TYPE and t.object == _PROV_ENTITY}:
                owned |= current(d, _GOV_GUESSEDSYSTEM)  # a guess made again replaces the last
                new.update(t for t in guesses if t.subject == d)
            if it.run is not None:
                new.update(ox.Triple(it.run, _GOV_INGESTWARNING, _lit(w)) for w in it.warnings)
                _merge_state(new, it.run, it.event, it.when)
            new = canonical(new)
            added = {t for t in new if not present(t)}
            removed = owned - new
            for t in added:
                delta.add(t)
            for t in removed:
                delta.remove(t)
            per_item.append((added, removed))
        all_added = set().union(*(d.added for d in deltas.values()))
        all_removed = set().union(*(d.removed for d in deltas.values()))
        if not all_added and not all_removed:
            for it in items:
                it.result = _result(it, datasets, WriteResult(it.name, _size(store, it.name), None))
                it.done = True
            return
        for name, p in patches.items():
            if deltas[name].added:  # each checked absent from the source above (under the patch's lock)
                p.add(deltas[name].added, absent=True)
            if deltas[name].removed:
                p.remove(deltas[name].removed)
        try:
            report = validate_change(ChangeView.of_patches(store, list(patches.values())), all_added, all_removed)
        except InexactView:
            if len(items) > 1:
                raise
            report = None
        if report is None:  # the exact path: rewrite the source (rare: a removal a shape reads)
            stack.close()
            it = items[0]
            current = source_triples(store, it.name)
            # may_remove: an event drops only the superseded state of its run and the facts it restates
            res = write_source(store, it.name, (current - all_removed) | all_added, who=it.who,
                               loaded_from=it.loaded_from, current=current, may_remove=True)
            it.result, it.done = _result(it, datasets, res), True
            return
        names = list(patches)
        records = dict(zip(names, commit_patches([patches[n] for n in names], extra=baseline_ops(report))))
    sizes = {name: _size(store, name) for name in records}
    for it, (added, removed) in zip(items, per_item):
        rec = records[it.name] if (added or removed) else None
        if rec is not None:
            rec = dataclasses.replace(rec, added=len(added), removed=len(removed))
        it.result, it.done = _result(it, datasets, WriteResult(it.name, sizes[it.name], rec, report)), True


def _result(it: _Item, datasets: dict, res: WriteResult) -> IngestResult:
    mine = _datasets_of(it.event)
    kind = event_kind(it.event)
    if kind == DATASET_EVENT:
        subject = datasets[mine[0]]
    elif kind == JOB_EVENT:
        subject = job_iri(it.event["job"]["namespace"], it.event["job"]["name"])
    else:
        subject = it.run.value
    return IngestResult(it.run.value if it.run is not None else None, it.name, it.event.get("eventType", ""), res,
                        {alias_of(*k): v for k, v in datasets.items() if k in set(mine)}, list(it.warnings),
                        kind, subject)


def _size(store: Store, name: str) -> int:
    """A source's triple count from the registry (0 if it is not loaded)."""
    return store.source_size(_n(source_graph_iri(name)))


def read_events(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Events from a JSON Lines file (one event a line) or a JSON file holding one event or a list."""
    p = Path(path)
    if not p.exists():
        raise BadInput("no such file", file=str(p))
    text = p.read_text("utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise BadInput(f"not valid JSON: {e.msg}", file=str(p), line=e.lineno, column=e.colno) from None
        yield from ((i + 1, e) for i, e in enumerate(items))
        return
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        try:
            yield 1, json.loads(text)
            return
        except json.JSONDecodeError:
            pass
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            raise BadInput(f"not valid JSON: {e.msg}", file=str(p), line=n, column=e.colno) from None


def ingest_file(store: Store, path: str | Path, *, who: str = "openlineage") -> list[IngestResult]:
    """Ingest every event of a JSON Lines file; stops at the first bad event, naming its line.

    Events before the bad one stay ingested (each event is its own transaction, as over HTTP).
    """
    out = []
    for line, event in read_events(path):
        try:
            out.append(ingest_event(store, event, who=who))
        except BadInput as e:
            raise BadInput(e.detail, file=str(path), line=line) from None
    return out
