"""OpenLineage events checked against the spec's JSON Schemas, as leniently as Marquez takes them.

The event's kind follows its ``schemaURL`` as Marquez decides it (``.../DatasetEvent`` and
``.../JobEvent`` are static lineage; anything else, or none, is a RunEvent), and the event is
checked against that kind's branch of the spec. ``schemaURL`` may be left out (Marquez accepts
that): the event is checked as if it named its kind's schema. A facet that does not follow its
own schema is dropped with a warning naming it and the schema's whole complaint; an event that
breaks the core schema is refused (InvalidEvent), naming each field.

Schemas are read from the copy of the spec shipped in the package (``openlineage_spec/``,
with its source and licence; no ``$ref`` is fetched from the network), or from the folder
``GOVGRAPH_OPENLINEAGE_SPEC`` names.
"""
from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from govgraph.errors import BadInput, InstallationFault

SPEC_ENV = "GOVGRAPH_OPENLINEAGE_SPEC"
RUN_EVENT, DATASET_EVENT, JOB_EVENT = "RunEvent", "DatasetEvent", "JobEvent"
KINDS = (RUN_EVENT, DATASET_EVENT, JOB_EVENT)
#: The schemaURL an event is checked with when it names none (the shipped spec's version).
DEFAULT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/"


class InvalidEvent(BadInput):
    """An event the OpenLineage JSON Schemas reject; carries each schema error's path and message."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("the event does not follow the OpenLineage schema: " + "; ".join(errors[:5])
                         + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))

    def details(self) -> dict:
        return {"errors": self.errors}


def spec_dir() -> Path:
    """Where the OpenLineage JSON Schemas are read from."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "openlineage_spec"


def event_kind(event: dict) -> str:
    """RunEvent, DatasetEvent or JobEvent, from the schemaURL's last segment as Marquez reads it.

    An event naming no kind (no schemaURL, or one ending otherwise) is a RunEvent.
    """
    url = event.get("schemaURL")
    if isinstance(url, str):
        tail = url.rstrip("/").rsplit("/", 1)[-1]
        if tail in (DATASET_EVENT, JOB_EVENT):
            return tail
    return RUN_EVENT


# ----------------------------------------------------------------------------- schemas

@dataclass
class _Schemas:
    """The spec's validators. ``fast_*`` (jsonschema-rs, compiled) decide; the ``jsonschema``
    ones, slower, only explain what is wrong with an event already found invalid."""
    kinds: dict[str, Any]                      # kind -> explaining validator
    facets: dict[str, dict[str, list[Any]]]    # location -> facet key -> validators (any may accept)
    fast_kinds: dict[str, Any] = field(default_factory=dict)
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
    kinds, fast_kinds = {}, {}
    for kind in KINDS:
        ref = {"$schema": core["$schema"], "$ref": core["$id"] + "#/$defs/" + kind}
        kinds[kind], fast_kinds[kind] = Draft202012Validator(ref, registry=registry), fast(ref)
    return _Schemas(kinds, facets, fast_kinds, fast_facets)


def _facet_location(facet_def: dict) -> str:
    for part in facet_def.get("allOf", []):
        ref = part.get("$ref", "")
        for loc in ("InputDatasetFacet", "OutputDatasetFacet", "DatasetFacet", "RunFacet", "JobFacet"):
            if ref.endswith("/" + loc):
                return loc
    return "DatasetFacet"


# ----------------------------------------------------------------------------- checking

def validate_event(event: Any) -> None:
    """Raise InvalidEvent unless ``event`` follows the OpenLineage schema and its known facets' schemas."""
    _, dropped = checked_event(event)
    if dropped:
        raise InvalidEvent(dropped)


def checked_event(event: Any) -> tuple[dict, list[str]]:
    """The event as it will be recorded, and what was dropped from it, as Marquez takes events.

    An event that does not follow its kind's core schema raises InvalidEvent. A facet that
    does not follow its own schema (say ``dataQualityMetrics`` without ``columnMetrics``) is
    dropped from a copy of the event, with a warning naming it and the schema's whole
    complaint; the rest of the event is kept.
    """
    if not isinstance(event, dict):
        raise InvalidEvent(["(event): an event must be a JSON object"])
    sc = _schemas(str(spec_dir()))
    kind = event_kind(event)
    # schemaURL is optional, as in Marquez: check the event as if it named its kind's schema
    checked = event if "schemaURL" in event else {**event, "schemaURL": DEFAULT_SCHEMA_URL + kind}
    if not sc.fast_kinds[kind].is_valid(checked):
        errors = [_err(e) for e in sc.kinds[kind].iter_errors(checked)] or \
                 [f"(event): {_fast_error(sc.fast_kinds[kind], checked)}"]
        raise InvalidEvent(list(dict.fromkeys(errors)))
    bad: list[tuple[dict, str, str]] = []
    for location, facets, where in _facet_places(event, kind):
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


def _facet_places(event: dict, kind: str) -> list[tuple[str, Any, str]]:
    """(facet location, facets dict, path) for every facets object an event of ``kind`` carries."""
    places: list[tuple[str, Any, str]] = []
    if kind == DATASET_EVENT:
        return [("DatasetFacet", (event.get("dataset") or {}).get("facets"), "dataset.facets")]
    if kind == RUN_EVENT:
        places.append(("RunFacet", (event.get("run") or {}).get("facets"), "run.facets"))
    places.append(("JobFacet", (event.get("job") or {}).get("facets"), "job.facets"))
    for side in ("inputs", "outputs"):
        for i, ds in enumerate(event.get(side) or []):
            places.append(("DatasetFacet", ds.get("facets"), f"{side}[{i}].facets"))
            if side == "inputs":
                places.append(("InputDatasetFacet", ds.get("inputFacets"), f"inputs[{i}].inputFacets"))
            else:
                places.append(("OutputDatasetFacet", ds.get("outputFacets"), f"outputs[{i}].outputFacets"))
    return places


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
    """The compiled validator's own message, whole (used only if the two validators ever disagree)."""
    try:
        validator.validate(instance)
    except jsonschema_rs.ValidationError as e:
        return str(e)
    return "not valid against the OpenLineage schema"


def _err(e) -> str:
    path = ".".join(str(p) for p in e.absolute_path)
    return f"{path or '(event)'}: {e.message}"
