"""OpenLineage RunEvents into the graph: validated against the spec's JSON Schemas, mapped to PROV.

Each run is a ``prov:Activity`` (``<base>run/<runId>``) that ``prov:used`` its inputs and
``prov:generated`` its outputs; a failed or aborted run keeps what it read but not what
it would have written. Datasets are named by OpenLineage namespace + name and matched
to catalogue datasets through ``gov:alias "namespace/name"``; unmatched ones get a stable
IRI under ``<base>dataset/openlineage/`` and are ``prov:Entity`` until catalogued. For
catalogue datasets the ``schema`` facet becomes ``gov:Field``s and ``columnLineage``
becomes ``gov:derivedFromField`` (the shapes require a field to belong to a catalogue
dataset, so columns of uncatalogued datasets are not recorded). Events are kept in one source per
job namespace (``openlineage/<namespace>``: what one orchestrator told us), changed by a validated
``Store.patch`` of just the triples an event adds or removes (concurrent events are committed
together: one patch per source, one validation run, one atomic update); the same event twice
leaves the store unchanged.

Schemas are read from the copy of the spec shipped in the package (``openlineage_spec/``,
with its source and licence; no ``$ref`` is fetched from the network), or from the folder
``GOVGRAPH_OPENLINEAGE_SPEC`` names.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

import jsonschema_rs
import pyoxigraph as ox

from govgraph.errors import BadInput, GovGraphError, InstallationFault
from govgraph.io.characters import check_json
from govgraph.io.iar import DEFAULT_BASE
from govgraph.io.write import WriteResult, canonical, source_triples, write_source
from govgraph.ontology.ns import DCTERMS, GOV, PROV, RDF, RDFS
from govgraph.store import Store, commit_patches, source_graph_iri

SPEC_ENV = "GOVGRAPH_OPENLINEAGE_SPEC"
TERMINAL = {"COMPLETE": 3, "FAIL": 3, "ABORT": 3}
#: Run states ranked: a later event of a lower rank never overrides a higher one.
STATE_RANK = {"START": 1, "RUNNING": 2, "OTHER": 0, **TERMINAL}
OL_DATASET_PREFIX = DEFAULT_BASE + "dataset/openlineage/"
MAX_EVENT_BYTES = 5_000_000


class InvalidEvent(BadInput):
    """An event the OpenLineage JSON Schemas reject; carries each schema error's path and message."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("the event does not follow the OpenLineage schema: " + "; ".join(errors[:5]))

    def details(self) -> dict:
        return {"errors": self.errors}


def spec_dir() -> Path:
    """Where the OpenLineage JSON Schemas are read from."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    return _default_spec_dir()


def _default_spec_dir() -> Path:
    return Path(__file__).resolve().parent / "openlineage_spec"


# ----------------------------------------------------------------------------- validation

@dataclass
class _Schemas:
    """The spec's validators. ``fast_*`` (jsonschema-rs, compiled) decide; the ``jsonschema``
    ones, slower, only explain what is wrong with an event already found invalid."""
    event: Any
    run_event: Any
    facets: dict[str, dict[str, list[Any]]]   # location -> facet key -> validators (any may accept)
    fast_event: Any = None
    fast_run_event: Any = None
    fast_facets: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


def _never_fetch(uri: str):
    raise ValueError(f"schema {uri} is not fetched: only the local OpenLineage schemas are used")


@lru_cache(maxsize=4)
def _schemas(path: str) -> _Schemas:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    root = Path(path)
    core_file = root / "OpenLineage.json"
    if not core_file.exists():
        raise InstallationFault(f"the OpenLineage schemas are not at {root}: the installation is incomplete "
                                f"(reinstall govgraph, or set {SPEC_ENV} to a copy of the spec's folder)")
    core = json.loads(core_file.read_text("utf-8"))
    resources = [(core["$id"], Resource.from_contents(core))]
    facet_docs = []
    for f in sorted((root / "facets").glob("*.json")):
        doc = json.loads(f.read_text("utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
        facet_docs.append(doc)
    registry = Registry().with_resources(resources)  # no retrieve: unknown $refs fail, never fetched
    fast_registry = jsonschema_rs.Registry([(uri, r.contents) for uri, r in resources], retriever=_never_fetch)

    def fast(schema: dict):
        return jsonschema_rs.validator_for(schema, registry=fast_registry, retriever=_never_fetch)
    event = Draft202012Validator(core, registry=registry)
    facets: dict[str, dict[str, Any]] = {}
    fast_facets: dict[str, dict[str, Any]] = {}
    for doc in facet_docs:
        for key, prop in doc.get("properties", {}).items():
            ref = prop.get("$ref", "")
            facet_def = doc.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
            location = _facet_location(facet_def)
            schema = {"$schema": doc["$schema"], "$id": doc["$id"], "$defs": doc.get("$defs", {}),
                      "type": "object", "properties": {key: prop}}
            facets.setdefault(location, {}).setdefault(key, []).append(Draft202012Validator(schema, registry=registry))
            fast_facets.setdefault(location, {}).setdefault(key, []).append(fast(schema))
    run_ref = {"$schema": core["$schema"], "$ref": core["$id"] + "#/$defs/RunEvent"}
    run_event = Draft202012Validator(run_ref, registry=registry)
    return _Schemas(event, run_event, facets, fast(core), fast(run_ref), fast_facets)


def _facet_location(facet_def: dict) -> str:
    for part in facet_def.get("allOf", []):
        ref = part.get("$ref", "")
        for loc in ("InputDatasetFacet", "OutputDatasetFacet", "DatasetFacet", "RunFacet", "JobFacet"):
            if ref.endswith("/" + loc):
                return loc
    return "DatasetFacet"


def validate_event(event: Any) -> None:
    """Raise InvalidEvent unless ``event`` follows the OpenLineage schema and its known facets' schemas."""
    _, dropped = checked_event(event)
    if dropped:
        raise InvalidEvent(dropped)


def checked_event(event: Any) -> tuple[dict, list[str]]:
    """The event as it will be recorded, and what was dropped from it, as Marquez takes events.

    An event that does not follow the spec's core schema raises InvalidEvent. A facet that
    does not follow its own schema (say ``dataQualityMetrics`` without ``columnMetrics``) is
    dropped from a copy of the event, with a warning naming it and the schema's whole
    complaint; the rest of the event is kept.
    """
    if not isinstance(event, dict):
        raise InvalidEvent(["an event must be a JSON object"])
    sc = _schemas(str(spec_dir()))
    # with both run and job the DatasetEvent and JobEvent branches of the spec's oneOf fail
    # (each forbids one of them), so the oneOf holds exactly when the RunEvent branch does
    whole = sc.fast_run_event if ("run" in event and "job" in event) else sc.fast_event
    if not whole.is_valid(event):
        # the spec is a oneOf (run, dataset, job events): report against the RunEvent branch, the one we take
        errors = [_err(e) for e in sc.run_event.iter_errors(event)] or \
                 [_err(e) for e in sc.event.iter_errors(event)] or \
                 [f"(event): {_fast_error(whole, event)}"]
        raise InvalidEvent(list(dict.fromkeys(errors)))
    checks: list[tuple[str, Any, str]] = []
    checks.append(("RunFacet", (event.get("run") or {}).get("facets"), "run.facets"))
    checks.append(("JobFacet", (event.get("job") or {}).get("facets"), "job.facets"))
    for side in ("inputs", "outputs"):
        for i, ds in enumerate(event.get(side) or []):
            checks.append(("DatasetFacet", ds.get("facets"), f"{side}[{i}].facets"))
            if side == "inputs":
                checks.append(("InputDatasetFacet", ds.get("inputFacets"), f"inputs[{i}].inputFacets"))
            else:
                checks.append(("OutputDatasetFacet", ds.get("outputFacets"), f"outputs[{i}].outputFacets"))
    bad: list[tuple[dict, str, str]] = []
    for location, facets, where in checks:
        if not isinstance(facets, dict):
            continue
        for key in facets:
            errs = _facet_errors(sc, location, key, facets[key])
            if errs:
                bad.append((facets, key, f"{where}.{key} dropped, it does not follow its facet schema: "
                                         + "; ".join(f"{where}.{e}" for e in errs)))
    if not bad:
        return event, []
    kept = copy.deepcopy(event)
    # the same facet dicts, found again in the copy by their place
    for facets, key, _ in bad:
        _locate(kept, event, facets).pop(key, None)
    return kept, [w for _, _, w in bad]


def _locate(copy_: dict, original: dict, target: dict) -> dict:
    """The dict in ``copy_`` at the place ``target`` has in ``original``."""
    stack = [(original, copy_)]
    while stack:
        o, c = stack.pop()
        if o is target:
            return c
        if isinstance(o, dict):
            stack.extend((o[k], c[k]) for k in o if isinstance(o[k], (dict, list)))
        elif isinstance(o, list):
            stack.extend((a, b) for a, b in zip(o, c) if isinstance(a, (dict, list)))
    raise KeyError("facet not found")


_facet_results: dict[tuple, list[str]] = {}
_facet_results_lock = threading.Lock()


def _facet_errors(sc: _Schemas, location: str, key: str, value: Any) -> list[str]:
    """A facet's schema errors (none if valid or of no known schema), remembered per facet value:
    pipelines send the same facets (a table's schema, a job's SQL) with every run."""
    try:
        cache_key = (id(sc), location, key, json.dumps(value, sort_keys=True, separators=(",", ":")))
    except (TypeError, ValueError):
        cache_key = None
    if cache_key is not None:
        hit = _facet_results.get(cache_key)
        if hit is not None:
            return hit
    def candidates(table: dict) -> list:
        return table.get(location, {}).get(key, []) + (
            table.get("DatasetFacet", {}).get(key, [])
            if location.endswith("DatasetFacet") and location != "DatasetFacet" else [])
    fast = candidates(sc.fast_facets)
    out: list[str] = []
    if fast and not any(v.is_valid({key: value}) for v in fast):
        out = [_err(e) for e in candidates(sc.facets)[0].iter_errors({key: value})] or \
              [_fast_error(fast[0], {key: value})]
    if cache_key is not None and len(cache_key[3]) <= 100_000:
        with _facet_results_lock:
            if len(_facet_results) >= 4096:
                _facet_results.clear()
            _facet_results[cache_key] = out
    return out


def _fast_error(validator, instance) -> str:
    """The compiled validator's own message (used only if the two validators ever disagree)."""
    try:
        validator.validate(instance)
    except jsonschema_rs.ValidationError as e:
        return str(e).splitlines()[0][:300]
    return "not valid against the OpenLineage schema"


def _err(e) -> str:
    path = ".".join(str(p) for p in e.absolute_path)
    return f"{path or '(event)'}: {e.message}"


def parse_event_time(text: str) -> dt.datetime:
    """An OpenLineage eventTime as an aware datetime (BadInput if it is not ISO 8601)."""
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise BadInput(f"eventTime {text!r} is not an ISO 8601 date-time") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


# ----------------------------------------------------------------------------- mapping

def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(text: Any, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(text), datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(str(text))


_XSD_DT = "http://www.w3.org/2001/XMLSchema#dateTime"
# the mapping's terms, made once (an rdflib namespace lookup costs more than the mapping)
_DCTERMS_DESCRIPTION = _n(str(DCTERMS.description))
_DCTERMS_TITLE = _n(str(DCTERMS.title))
_GOV_FIELD = _n(str(GOV.Field))
_GOV_DATATYPE = _n(str(GOV.dataType))
_GOV_DERIVEDFROMFIELD = _n(str(GOV.derivedFromField))
_GOV_FIELDOF = _n(str(GOV.fieldOf))
_GOV_RUNSTATE = _n(str(GOV.runState))
_GOV_TRANSFORMATION = _n(str(GOV.transformation))
_GOV_TRIPLECOUNT = _n(str(GOV.tripleCount))
_PROV_ACTIVITY = _n(str(PROV.Activity))
_PROV_ASSOCIATION = _n(str(PROV.Association))
_PROV_ENTITY = _n(str(PROV.Entity))
_PROV_PLAN = _n(str(PROV.Plan))
_PROV_AGENT = _n(str(PROV.agent))
_PROV_ENDEDATTIME = _n(str(PROV.endedAtTime))
_PROV_GENERATED = _n(str(PROV.generated))
_PROV_USED = _n(str(PROV.used))
_PROV_HADPLAN = _n(str(PROV.hadPlan))
_PROV_QUALIFIEDASSOCIATION = _n(str(PROV.qualifiedAssociation))
_PROV_STARTEDATTIME = _n(str(PROV.startedAtTime))
_RDF_TYPE = _n(str(RDF.type))
_RDFS_LABEL = _n(str(RDFS.label))
_GOV_ALIAS = _n(str(GOV.alias))
_A = _RDF_TYPE


def alias_of(namespace: str, name: str) -> str:
    """The gov:alias text for an OpenLineage dataset: ``namespace/name``."""
    return f"{namespace.rstrip('/')}/{name}"


def minted_dataset_iri(namespace: str, name: str) -> str:
    """The stable IRI of an OpenLineage dataset that no catalogue dataset claims."""
    return OL_DATASET_PREFIX + quote(namespace, safe="") + "/" + quote(name, safe="")


def run_iri(run_id: str) -> str:
    return DEFAULT_BASE + "run/" + quote(run_id, safe="")


def job_iri(namespace: str, name: str) -> str:
    return DEFAULT_BASE + "job/" + quote(namespace, safe="") + "/" + quote(name, safe="")


def field_iri(dataset: str, column: str) -> str:
    """A field's IRI from its dataset's: ``.../dataset/<slug>`` -> ``.../field/<slug>.<column>``."""
    base = dataset.replace("/dataset/", "/field/", 1) if "/dataset/" in dataset else dataset + "/field"
    return base + "." + quote(column, safe="")


def source_name(event: dict) -> str:
    """The source holding the runs of a job namespace: ``openlineage/<namespace>``.

    One source per namespace, not per job: every named graph a query reads costs Oxigraph a
    lookup per triple pattern, so hundreds of job graphs made every validation and commit
    slower (measured: 120 -> 270 events/s at 100 jobs). A run's job stays in the graph
    (``prov:qualifiedAssociation``/``prov:hadPlan``) and each change record's run is in its diff.
    """
    job = event["job"]
    return "openlineage/" + quote(job["namespace"], safe=":/.-_")


def resolve_datasets(store: Store, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Map (namespace, name) pairs to dataset IRIs: catalogue datasets by gov:alias first, else minted."""
    pairs = list(dict.fromkeys(pairs))
    out: dict[tuple[str, str], str] = {}
    if pairs:
        live = set(store.graphs())
        found: dict[str, list[str]] = {}
        for ns, n in pairs:
            text = alias_of(ns, n)
            found[text] = list({q.subject.value for q in store.quads(None, _GOV_ALIAS, ox.Literal(text), None)
                                if q.graph_name in live})
        for ns, n in pairs:
            cands = sorted(found.get(alias_of(ns, n), []), key=lambda d: (d.startswith(OL_DATASET_PREFIX), d))
            out[(ns, n)] = cands[0] if cands else minted_dataset_iri(ns, n)
    return out


def event_triples(event: dict, datasets: dict[tuple[str, str], str]) -> Iterator[ox.Triple]:
    """The facts one event states (deterministic: the same event gives the same triples)."""
    job = event["job"]
    run = _n(run_iri(event["run"]["runId"]))
    j = _n(job_iri(job["namespace"], job["name"]))
    yield ox.Triple(run, _A, _PROV_ACTIVITY)
    yield ox.Triple(run, _RDFS_LABEL, _lit(f"{job['name']} run {event['run']['runId']}"))
    assoc = _n(run.value + "#association")
    yield ox.Triple(run, _PROV_QUALIFIEDASSOCIATION, assoc)
    yield ox.Triple(assoc, _A, _PROV_ASSOCIATION)
    yield ox.Triple(assoc, _PROV_HADPLAN, j)
    if event.get("producer"):
        yield ox.Triple(assoc, _PROV_AGENT, _n(event["producer"]))
    yield ox.Triple(j, _A, _PROV_PLAN)
    yield ox.Triple(j, _RDFS_LABEL, _lit(job["name"]))
    yield ox.Triple(j, _GOV_ALIAS, _lit(alias_of(job["namespace"], job["name"])))
    doc = ((job.get("facets") or {}).get("documentation") or {}).get("description")
    if doc:
        yield ox.Triple(j, _DCTERMS_DESCRIPTION, _lit(doc))
    for side, prop in (("inputs", _PROV_USED), ("outputs", _PROV_GENERATED)):
        for ds in event.get(side) or []:
            d = datasets[(ds["namespace"], ds["name"])]
            if side == "inputs" or event.get("eventType") not in ("FAIL", "ABORT"):
                yield ox.Triple(run, prop, _n(d))
            yield from _dataset_triples(d, ds, datasets)


def _dataset_triples(d: str, ds: dict, datasets: dict[tuple[str, str], str]) -> Iterator[ox.Triple]:
    node = _n(d)
    if d.startswith(OL_DATASET_PREFIX):
        # not (yet) in the catalogue: a prov:Entity, so catalogue rules (owner, system,
        # classification) do not block a pipeline's report; catalogue datasets keep their own descriptions
        yield ox.Triple(node, _A, _PROV_ENTITY)
        yield ox.Triple(node, _DCTERMS_TITLE, _lit(ds["name"]))
        yield ox.Triple(node, _GOV_ALIAS, _lit(alias_of(ds["namespace"], ds["name"])))
    facets = ds.get("facets") or {}
    if d.startswith(OL_DATASET_PREFIX):
        return  # fields belong to catalogue datasets only: alias the dataset to record its columns
    for f in (facets.get("schema") or {}).get("fields") or []:
        yield from _field_triples(d, f, "")
    for col, spec in ((facets.get("columnLineage") or {}).get("fields") or {}).items():
        out_f = _n(field_iri(d, col))
        yield ox.Triple(out_f, _A, _GOV_FIELD)
        yield ox.Triple(out_f, _GOV_FIELDOF, node)
        yield ox.Triple(out_f, _RDFS_LABEL, _lit(col))
        desc = spec.get("transformationDescription")
        for inp in spec.get("inputFields") or []:
            src_ds = datasets.get((inp["namespace"], inp["name"])) or minted_dataset_iri(inp["namespace"], inp["name"])
            if src_ds.startswith(OL_DATASET_PREFIX):
                continue
            in_f = _n(field_iri(src_ds, inp["field"]))
            yield ox.Triple(in_f, _A, _GOV_FIELD)
            yield ox.Triple(in_f, _GOV_FIELDOF, _n(src_ds))
            yield ox.Triple(in_f, _RDFS_LABEL, _lit(inp["field"]))
            yield ox.Triple(out_f, _GOV_DERIVEDFROMFIELD, in_f)
            for t in inp.get("transformations") or []:
                text = t.get("description") or " ".join(x for x in (t.get("type"), t.get("subtype")) if x)
                if text:
                    yield ox.Triple(out_f, _GOV_TRANSFORMATION, _lit(text))
        if desc:
            yield ox.Triple(out_f, _GOV_TRANSFORMATION, _lit(desc))


def _field_triples(d: str, f: dict, prefix: str) -> Iterator[ox.Triple]:
    name = prefix + f["name"]
    fi = _n(field_iri(d, name))
    yield ox.Triple(fi, _A, _GOV_FIELD)
    yield ox.Triple(fi, _GOV_FIELDOF, _n(d))
    yield ox.Triple(fi, _RDFS_LABEL, _lit(name))
    if f.get("type"):
        yield ox.Triple(fi, _GOV_DATATYPE, _lit(f["type"]))
    if f.get("description"):
        yield ox.Triple(fi, _DCTERMS_DESCRIPTION, _lit(f["description"]))
    for sub in f.get("fields") or []:
        yield from _field_triples(d, sub, name + ".")


def _datasets_of(event: dict) -> list[tuple[str, str]]:
    pairs = [(ds["namespace"], ds["name"]) for side in ("inputs", "outputs") for ds in event.get(side) or []]
    for ds in event.get("outputs") or []:
        for spec in (((ds.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}).values():
            pairs += [(i["namespace"], i["name"]) for i in spec.get("inputFields") or []]
    return pairs


# ----------------------------------------------------------------------------- run state

_STATE = _GOV_RUNSTATE
_STARTED = _PROV_STARTEDATTIME
_ENDED = _PROV_ENDEDATTIME
_GENERATED = _PROV_GENERATED
_TRIPLE_COUNT = _GOV_TRIPLECOUNT


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
    run: str
    source: str
    event_type: str
    write: WriteResult
    datasets: dict[str, str] = field(default_factory=dict)
    #: facets dropped because they did not follow their schema (also recorded on the run)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"run": self.run, "source": self.source, "eventType": self.event_type,
                "datasets": self.datasets, **self.write.to_dict(), "dropped": self.warnings}


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
    run: ox.NamedNode
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
    """Validate one OpenLineage event and merge it into its job's source (idempotent).

    Concurrent calls on one store are committed together (see ``_GroupCommit``); each
    gets its own result, or its own error.
    """
    check_json(event)  # no NUL or bidirectional controls anywhere (govgraph.io.characters)
    warnings: list[str] = []
    if validate:
        event, warnings = checked_event(event)
    if not isinstance(event, dict) or "run" not in event or "job" not in event:
        raise BadInput("only RunEvents (with run and job) are accepted")
    item = _Item(event, who, source_name(event), parse_event_time(event["eventTime"]),
                 _n(run_iri(event["run"]["runId"])),
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
    from contextlib import ExitStack

    from govgraph.io.write import InexactView, validate_patch
    datasets = resolve_datasets(store, (p for it in items for p in _datasets_of(it.event)))
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
            cur_run = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(it.run, None, None, g)}
            cur_run = (cur_run - delta.removed) | {t for t in delta.added if t.subject == it.run}
            new = set(cur_run)
            new.update(event_triples(it.event, datasets))
            new.update(ox.Triple(it.run, _n(GOV.ingestWarning), _lit(w)) for w in it.warnings)
            _merge_state(new, it.run, it.event, it.when)
            new = canonical(new)
            added = {t for t in new if not present(t)}
            removed = cur_run - new
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
        view = store.graphs() + [p.graph for p in patches.values()]
        try:
            report = validate_patch(store, view, added=all_added, removed=all_removed)
        except InexactView:
            if len(items) > 1:
                raise
            report = None
        if report is None:  # the exact path: rewrite the source (rare: a removal a shape reads)
            stack.close()
            it = items[0]
            current = source_triples(store, it.name)
            # may_remove: an event drops only the superseded state of the one run it reports
            res = write_source(store, it.name, (current - all_removed) | all_added, who=it.who,
                               loaded_from=it.loaded_from, current=current, may_remove=True)
            it.result, it.done = _result(it, datasets, res), True
            return
        names = list(patches)
        records = dict(zip(names, commit_patches([patches[n] for n in names])))  # one atomic update
    sizes = {name: _size(store, name) for name in records}
    for it, (added, removed) in zip(items, per_item):
        rec = records[it.name] if (added or removed) else None
        if rec is not None:
            rec = dataclasses.replace(rec, added=len(added), removed=len(removed))
        it.result, it.done = _result(it, datasets, WriteResult(it.name, sizes[it.name], rec, report)), True


def _result(it: _Item, datasets: dict, res: WriteResult) -> IngestResult:
    mine = set(_datasets_of(it.event))
    return IngestResult(it.run.value, it.name, it.event.get("eventType", ""), res,
                        {alias_of(*k): v for k, v in datasets.items() if k in mine}, list(it.warnings))


def _size(store: Store, name: str) -> int:
    """A source's triple count from the registry (0 if it is not loaded)."""
    return store._source_size(_n(source_graph_iri(name)))


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
