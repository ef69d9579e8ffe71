"""OpenLineage events as PROV: the triples each kind of event states.

* A RunEvent's run is a ``prov:Activity`` (``<base>run/<runId>``) that ``prov:used`` its inputs
  and ``prov:generated`` its outputs, associated with its job (a ``prov:Plan``) and its producer.
* A JobEvent (static lineage) describes the job alone: the ``prov:Plan`` with the datasets it is
  declared to read and write (``gov:declaredInput`` / ``gov:declaredOutput``; each JobEvent
  restates the whole set), and those datasets' facets. No run, no activity.
* A DatasetEvent (static lineage) describes one dataset: its facets, as for a dataset of a run.

Datasets are named by OpenLineage namespace + name and matched to catalogue datasets through
``gov:alias "namespace/name"``; unmatched ones get a stable IRI under
``<base>dataset/openlineage/`` and are ``prov:Entity`` (with the ``documentation`` facet as
``dcterms:description``) until catalogued. For catalogue datasets the ``schema`` facet becomes
``gov:Field``s whose ``gov:physicalType`` is the type the producer reports (the database's own,
``varchar``, ``int``), beside the catalogue's logical ``gov:dataType``, which a pipeline never
writes; ``columnLineage`` becomes ``gov:derivedFromField``.

Some facts an event *restates* rather than adds (``restated``): a field's physical type, a
job's declared inputs and outputs, a description. The newest report replaces the source's
earlier value, so a column whose type changed keeps one physical type per source.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator
from urllib.parse import quote

import pyoxigraph as ox

from govgraph.io.iar import DEFAULT_BASE
from govgraph.io.openlineage_schema import DATASET_EVENT, JOB_EVENT, RUN_EVENT, event_kind
from govgraph.ontology.ns import DCTERMS, GOV, PROV, RDF, RDFS
from govgraph.store import Store

OL_DATASET_PREFIX = DEFAULT_BASE + "dataset/openlineage/"
OL_AGENT_PREFIX = DEFAULT_BASE + "agent/openlineage/"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(text: Any) -> ox.Literal:
    return ox.Literal(str(text))


# the mapping's terms, made once (an rdflib namespace lookup costs more than the mapping)
_DCTERMS_DESCRIPTION = _n(str(DCTERMS.description))
_DCTERMS_TITLE = _n(str(DCTERMS.title))
_GOV_ALIAS = _n(str(GOV.alias))
_GOV_DECLAREDINPUT = _n(str(GOV.declaredInput))
_GOV_DECLAREDOUTPUT = _n(str(GOV.declaredOutput))
_GOV_DERIVEDFROMFIELD = _n(str(GOV.derivedFromField))
_GOV_FIELD = _n(str(GOV.Field))
_GOV_FIELDOF = _n(str(GOV.fieldOf))
_GOV_PHYSICALTYPE = _n(str(GOV.physicalType))
_GOV_TRANSFORMATION = _n(str(GOV.transformation))
_PROV_ACTIVITY = _n(str(PROV.Activity))
_PROV_AGENT = _n(str(PROV.agent))
_PROV_ASSOCIATION = _n(str(PROV.Association))
_PROV_ENTITY = _n(str(PROV.Entity))
_PROV_GENERATED = _n(str(PROV.generated))
_PROV_HADPLAN = _n(str(PROV.hadPlan))
_PROV_PLAN = _n(str(PROV.Plan))
_PROV_QUALIFIEDASSOCIATION = _n(str(PROV.qualifiedAssociation))
_PROV_USED = _n(str(PROV.used))
_RDFS_LABEL = _n(str(RDFS.label))
_A = _n(str(RDF.type))


# ----------------------------------------------------------------------------- names

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


def producer_agent(producer: str) -> tuple[ox.NamedNode, str | None]:
    """The producer as a ``prov:agent``, and a warning if it is not an absolute IRI.

    The spec asks for a URI, Marquez takes any text: text that is not an IRI names an agent
    under ``<base>agent/openlineage/`` (the text kept as its label) and the run says so.
    """
    try:
        return ox.NamedNode(producer), None
    except ValueError as e:
        node = _n(OL_AGENT_PREFIX + quote(producer, safe=""))
        return node, (f"producer {producer!r} is not an absolute IRI ({e}): "
                      f"recorded as the agent <{node.value}>")


def source_name(event: dict) -> str:
    """The source holding what one orchestrator told us: ``openlineage/<namespace>``.

    The job's namespace for RunEvents and JobEvents, the dataset's for a DatasetEvent. One
    source per namespace, not per job: every named graph a query reads costs Oxigraph a
    lookup per triple pattern, so hundreds of job graphs made every validation and commit
    slower (measured: 120 -> 270 events/s at 100 jobs). A run's job stays in the graph
    (``prov:qualifiedAssociation``/``prov:hadPlan``) and each change record's run is in its diff.
    """
    owner = event["dataset"] if event_kind(event) == DATASET_EVENT else event["job"]
    return "openlineage/" + quote(owner["namespace"], safe=":/.-_")


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


def datasets_of(event: dict) -> list[tuple[str, str]]:
    """Every (namespace, name) an event names: its datasets and their column-lineage sources."""
    dss = [event["dataset"]] if event_kind(event) == DATASET_EVENT else \
        [ds for side in ("inputs", "outputs") for ds in event.get(side) or []]
    pairs = [(ds["namespace"], ds["name"]) for ds in dss]
    for ds in dss:
        for spec in (((ds.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}).values():
            pairs += [(i["namespace"], i["name"]) for i in spec.get("inputFields") or []]
    return pairs


# ----------------------------------------------------------------------------- triples

def event_triples(event: dict, datasets: dict[tuple[str, str], str]) -> Iterator[ox.Triple]:
    """The facts one event states (deterministic: the same event gives the same triples)."""
    kind = event_kind(event)
    if kind == DATASET_EVENT:
        ds = event["dataset"]
        yield from _dataset_triples(datasets[(ds["namespace"], ds["name"])], ds, datasets)
        return
    job = event["job"]
    j = _n(job_iri(job["namespace"], job["name"]))
    yield ox.Triple(j, _A, _PROV_PLAN)
    yield ox.Triple(j, _RDFS_LABEL, _lit(job["name"]))
    yield ox.Triple(j, _GOV_ALIAS, _lit(alias_of(job["namespace"], job["name"])))
    doc = ((job.get("facets") or {}).get("documentation") or {}).get("description")
    if doc:
        yield ox.Triple(j, _DCTERMS_DESCRIPTION, _lit(doc))
    if kind == RUN_EVENT:
        run = _n(run_iri(event["run"]["runId"]))
        yield ox.Triple(run, _A, _PROV_ACTIVITY)
        yield ox.Triple(run, _RDFS_LABEL, _lit(f"{job['name']} run {event['run']['runId']}"))
        assoc = _n(run.value + "#association")
        yield ox.Triple(run, _PROV_QUALIFIEDASSOCIATION, assoc)
        yield ox.Triple(assoc, _A, _PROV_ASSOCIATION)
        yield ox.Triple(assoc, _PROV_HADPLAN, j)
        if event.get("producer"):
            agent, _ = producer_agent(event["producer"])
            yield ox.Triple(assoc, _PROV_AGENT, agent)
            if agent.value.startswith(OL_AGENT_PREFIX):
                yield ox.Triple(agent, _RDFS_LABEL, _lit(event["producer"]))
        links = ((_PROV_USED, "inputs"), (_PROV_GENERATED, "outputs"))
        subject = run
    else:
        links = ((_GOV_DECLAREDINPUT, "inputs"), (_GOV_DECLAREDOUTPUT, "outputs"))
        subject = j
    failed = event.get("eventType") in ("FAIL", "ABORT") and kind == RUN_EVENT
    for prop, side in links:
        for ds in event.get(side) or []:
            d = datasets[(ds["namespace"], ds["name"])]
            if side == "inputs" or not failed:
                yield ox.Triple(subject, prop, _n(d))
            yield from _dataset_triples(d, ds, datasets)


def restated(event: dict, datasets: dict[tuple[str, str], str]) -> set[tuple[ox.NamedNode, ox.NamedNode]]:
    """(subject, predicate) pairs whose values this event restates in full: its source's earlier
    values of them that the event does not state again are removed."""
    kind = event_kind(event)
    out: set[tuple[ox.NamedNode, ox.NamedNode]] = set()
    if kind == DATASET_EVENT:
        dss = [event["dataset"]]
    else:
        job = event["job"]
        j = _n(job_iri(job["namespace"], job["name"]))
        if ((job.get("facets") or {}).get("documentation") or {}).get("description"):
            out.add((j, _DCTERMS_DESCRIPTION))
        if kind == JOB_EVENT:
            out.update({(j, _GOV_DECLAREDINPUT), (j, _GOV_DECLAREDOUTPUT)})
        dss = [ds for side in ("inputs", "outputs") for ds in event.get(side) or []]
    for ds in dss:
        d = datasets[(ds["namespace"], ds["name"])]
        facets = ds.get("facets") or {}
        if d.startswith(OL_DATASET_PREFIX):
            if (facets.get("documentation") or {}).get("description"):
                out.add((_n(d), _DCTERMS_DESCRIPTION))
            continue
        for f in _flat_fields((facets.get("schema") or {}).get("fields") or [], ""):
            if f[1].get("type"):
                out.add((_n(field_iri(d, f[0])), _GOV_PHYSICALTYPE))
    return out


def _dataset_triples(d: str, ds: dict, datasets: dict[tuple[str, str], str]) -> Iterator[ox.Triple]:
    node = _n(d)
    facets = ds.get("facets") or {}
    if d.startswith(OL_DATASET_PREFIX):
        # not (yet) in the catalogue: a prov:Entity, so catalogue rules (owner, system,
        # classification) do not block a pipeline's report; catalogue datasets keep their own descriptions
        yield ox.Triple(node, _A, _PROV_ENTITY)
        yield ox.Triple(node, _DCTERMS_TITLE, _lit(ds["name"]))
        yield ox.Triple(node, _GOV_ALIAS, _lit(alias_of(ds["namespace"], ds["name"])))
        doc = (facets.get("documentation") or {}).get("description")
        if doc:
            yield ox.Triple(node, _DCTERMS_DESCRIPTION, _lit(doc))
        return  # fields belong to catalogue datasets only: alias the dataset to record its columns
    for name, f in _flat_fields((facets.get("schema") or {}).get("fields") or [], ""):
        fi = _n(field_iri(d, name))
        yield ox.Triple(fi, _A, _GOV_FIELD)
        yield ox.Triple(fi, _GOV_FIELDOF, node)
        yield ox.Triple(fi, _RDFS_LABEL, _lit(name))
        if f.get("type"):
            # the producer's type is the system's physical type; gov:dataType (logical) is the catalogue's
            yield ox.Triple(fi, _GOV_PHYSICALTYPE, _lit(f["type"]))
        if f.get("description"):
            yield ox.Triple(fi, _DCTERMS_DESCRIPTION, _lit(f["description"]))
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


def _flat_fields(fields: list, prefix: str) -> Iterator[tuple[str, dict]]:
    """(dotted name, field) for a schema facet's fields and their nested fields."""
    for f in fields:
        name = prefix + f["name"]
        yield name, f
        yield from _flat_fields(f.get("fields") or [], name + ".")
