"""The lineage graph: flows, derivations, pipeline runs and field derivations as a networkx graph.

Built from the store with a handful of bulk SPARQL SELECTs (run natively in Oxigraph)
and cached per store revision, so every query after an import sees the new data.
Node ids are IRI strings; edges point the way data moves (upstream -> downstream).
"""
from __future__ import annotations

import datetime as dt
import difflib
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable

import networkx as nx

from govgraph.errors import UnknownAsset
from govgraph.ontology.ns import DCAT, DCTERMS, DPV, FOAF, GOV, ORG, PROV, RDFS, SKOS

# -- node kinds ------------------------------------------------------------------------
DATASET, REPORT, RETURN, SYSTEM, PARTNER, FIELD = "dataset", "report", "return", "system", "partner", "field"
ORGANISATION, PERSON, UNIT, AGREEMENT, OTHER = "organisation", "person", "unit", "agreement", "other"
#: Kinds that hold or exchange data rather than being data: traversals stop at them
#: unless the walk started there or arrived by a system-to-system flow.
CONTAINER_KINDS = frozenset({SYSTEM, PARTNER, ORGANISATION})
DATA_KINDS = frozenset({DATASET, REPORT, RETURN})

# -- edge kinds ------------------------------------------------------------------------
FLOW = "flow"            # gov:Flow source -> target
CARRIED = "carried"      # a dataset a flow carries -> where it lands (or source -> dataset landing)
DERIVED = "derived"      # prov:wasDerivedFrom, upstream -> derived
RUN = "run"              # prov:Activity, used -> generated
FIELD_DERIVED = "field"  # gov:derivedFromField, source field -> field
SUBMITTED = "submitted"  # gov:submittedTo, statutory return -> the body it goes to
HOLDS = "holds"          # system -> dataset it holds (only in query results, never in the graph)

_SYSTEM_TYPES = {str(GOV.System), str(GOV.DataWarehouse), str(GOV.DataLake), str(GOV.Database),
                 str(GOV.DocumentStore), str(DCAT.DataService)}
_TYPE_KIND: list[tuple[str, str]] = [  # most specific first
    (str(GOV.StatutoryReturn), RETURN), (str(GOV.Report), REPORT), (str(GOV.Field), FIELD),
    (str(GOV.Partner), PARTNER), *((t, SYSTEM) for t in sorted(_SYSTEM_TYPES)),
    (str(DCAT.Dataset), DATASET), (str(GOV.InformationAsset), DATASET),
    (str(GOV.Council), ORGANISATION), (str(ORG.FormalOrganization), ORGANISATION),
    (str(ORG.Organization), ORGANISATION), (str(FOAF.Person), PERSON),
    (str(ORG.OrganizationalUnit), UNIT), (str(GOV.SharingAgreement), AGREEMENT),
]
_KIND_RANK = {t: i for i, (t, _) in enumerate(_TYPE_KIND)}
_STOP_ANON = {str(GOV.Aggregated), str(GOV.Anonymised)}
_SPECIAL = str(DPV.SpecialCategoryPersonalData)

_LABEL_PREDICATES = (RDFS.label, DCTERMS.title, FOAF.name, SKOS.prefLabel)
_NODE_PREDICATES = {
    str(GOV.heldIn): "held_in", str(GOV.owner): "owner", str(GOV.steward): "steward",
    str(GOV.custodian): "custodian", str(GOV.serviceArea): "service_area",
    str(GOV.anonymisation): "anonymisation", str(GOV.systemOfRecord): "system_of_record",
    str(GOV.operatedBy): "operated_by", str(GOV.submittedTo): "submitted_to",
    str(GOV.fieldOf): "field_of", str(GOV.partOfSystem): "part_of",
    str(GOV.transformation): "transformation", str(GOV.classification): "classification",
    str(GOV.storageForm): "storage_form", str(GOV.jobTitle): "job_title",
    str(GOV.leftOn): "left_on", str(ORG.memberOf): "member_of", str(ORG.unitOf): "unit_of",
    str(GOV.validFrom): "valid_from", str(GOV.validUntil): "valid_until",
    str(GOV.party): "party", str(DPV.hasLegalBasis): "legal_basis",
}
_MULTI = {"party", "legal_basis", "submitted_to", "owner", "steward", "custodian", "service_area"}


@dataclass
class LineageGraph:
    """The lineage graph of one store revision, with indexes the queries need.

    ``g`` is a networkx MultiDiGraph: node attributes ``kind``, ``label``, ``held_in``,
    ``personal``, ``special``, ``anonymisation``, ``external``, ``owner`` ...; edge
    attributes ``kind``, ``flow``, ``label``, ``mechanism``, ``frequency``, ``agreement``,
    ``carries``, ``activity``, ``transformation``, ``graph`` (the source graph).
    """
    g: nx.MultiDiGraph
    revision: int
    #: every described thing (people, units, agreements, ...) with its attributes
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: system IRI -> datasets held in it
    held: dict[str, list[str]] = field(default_factory=dict)
    #: dataset IRI -> its fields
    fields_of: dict[str, list[str]] = field(default_factory=dict)
    #: IRI -> label for every labelled thing (for suggestions and label look-up)
    labels: dict[str, str] = field(default_factory=dict)

    # -- node facts -------------------------------------------------------------------
    def kind(self, iri: str) -> str:
        """The kind of a node (dataset, report, return, system, partner, field ...)."""
        return self.g.nodes[iri].get("kind", OTHER) if iri in self.g else self.info.get(iri, {}).get("kind", OTHER)

    def label(self, iri: str | None) -> str:
        """A human label for an IRI (falls back to the IRI's last segment)."""
        if not iri:
            return ""
        return self.labels.get(iri) or _short(iri)

    def attrs(self, iri: str) -> dict[str, Any]:
        """All attributes known for an IRI (graph node attributes or described-thing facts)."""
        if iri in self.g:
            return self.g.nodes[iri]
        return self.info.get(iri, {})

    def is_external(self, iri: str) -> bool:
        """Whether a node is outside the council's boundary (a partner, or run by one)."""
        return bool(self.attrs(iri).get("external"))

    def agreement_in_force(self, agreement: str | None, on: dt.date) -> bool:
        """Whether a sharing agreement is in force on a date (validFrom <= on <= validUntil)."""
        if not agreement:
            return False
        a = self.info.get(agreement)
        if a is None:
            return False
        vf, vu = _date(a.get("valid_from")), _date(a.get("valid_until"))
        return (vf is None or vf <= on) and (vu is None or on <= vu)

    # -- resolving user input ---------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """Turn an IRI, ``<IRI>``, or an unambiguous label into a node IRI; UnknownAsset otherwise."""
        ref = ref.strip()
        if ref.startswith("<") and ref.endswith(">"):
            ref = ref[1:-1]
        if ref in self.g or ref in self.held:
            return ref
        low = ref.casefold()
        by_label = sorted(i for i, l in self.labels.items() if l.casefold() == low and i in self.g)
        if len(by_label) == 1:
            return by_label[0]
        tails = sorted(i for i in self.g if i.rsplit("/", 1)[-1].casefold() == low)
        if len(tails) == 1:
            return tails[0]
        raise UnknownAsset(ref, by_label + tails if (by_label or tails) else self.suggest(ref))

    def suggest(self, ref: str, n: int = 5) -> list[str]:
        """Close matches for an unknown IRI or label, as IRIs."""
        iris = [i for i in self.g if self.g.nodes[i].get("kind") != FIELD] or list(self.g)
        hits = difflib.get_close_matches(ref, iris, n=n, cutoff=0.6)
        by_label: dict[str, str] = {}
        for i in iris:
            by_label.setdefault(self.label(i).casefold(), i)
        for lab in difflib.get_close_matches(ref.casefold(), list(by_label), n=n, cutoff=0.5):
            if by_label[lab] not in hits:
                hits.append(by_label[lab])
        tail = ref.rsplit("/", 1)[-1].casefold()
        if tail and len(hits) < n:
            tails = {i.rsplit("/", 1)[-1].casefold(): i for i in iris}
            for t in difflib.get_close_matches(tail, list(tails), n=n, cutoff=0.6):
                if tails[t] not in hits:
                    hits.append(tails[t])
        return hits[:n]


# ----------------------------------------------------------------------------- building

_Q_TYPES = """SELECT ?s ?t WHERE { VALUES ?t { %s } ?s a ?t }"""
_Q_LABELS = """SELECT ?s ?l WHERE { VALUES ?p { %s } ?s ?p ?l FILTER(isLITERAL(?l)) }"""
_Q_FACTS = """SELECT ?s ?p ?o WHERE { VALUES ?p { %s } ?s ?p ?o }"""
_Q_PERSONAL = """SELECT ?s ?o WHERE { ?s <%s> ?o }""" % DPV.hasPersonalData
_Q_FLOWS = """SELECT ?g ?f ?p ?o WHERE { VALUES ?p { %s } GRAPH ?g { ?f ?p ?o } }"""
_Q_DERIVED = """SELECT ?g ?d ?u WHERE { GRAPH ?g { ?d <%s> ?u } }""" % PROV.wasDerivedFrom
_Q_RUNS = """SELECT ?g ?a ?u ?o WHERE { GRAPH ?g { ?a a <%s> ; <%s> ?u . ?a <%s> ?o } }""" % (
    PROV.Activity, PROV.used, PROV.generated)
_Q_RUN_TIMES = """SELECT ?a ?t WHERE { ?a a <%s> ; <%s> ?t }""" % (PROV.Activity, PROV.endedAtTime)
_Q_FIELD_DERIVED = """SELECT ?g ?f ?u WHERE { GRAPH ?g { ?f <%s> ?u } }""" % GOV.derivedFromField

_FLOW_PREDICATES = {str(GOV.source): "source", str(GOV.target): "target", str(GOV.carries): "carries",
                    str(GOV.mechanism): "mechanism", str(GOV.frequency): "frequency",
                    str(GOV.coveredBy): "agreement", str(RDFS.label): "label"}


def _iri_list(iris: Iterable[Any]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _val(term: Any) -> str:
    """A pyoxigraph term as a string node id (blank nodes as ``_:id``)."""
    v = term.value
    return "_:" + v if type(term).__name__ == "BlankNode" else v


def _rows(store: Any, sparql: str) -> Iterable[Any]:
    return store.query(sparql, prefixes=False)


def build(store: Any) -> LineageGraph:
    """Build the lineage graph of a store's current revision (use ``get_graph`` for the cache)."""
    revision = store.revision
    kinds: dict[str, str] = {}
    ranks: dict[str, int] = {}
    for s, t in _rows(store, _Q_TYPES % _iri_list(t for t, _ in _TYPE_KIND)):
        sv, tv = _val(s), t.value
        r = _KIND_RANK[tv]
        if r < ranks.get(sv, 1 << 30):
            ranks[sv], kinds[sv] = r, _TYPE_KIND[r][1]
    labels: dict[str, str] = {}
    for s, l in _rows(store, _Q_LABELS % _iri_list(_LABEL_PREDICATES)):
        labels.setdefault(_val(s), l.value)

    facts: dict[str, dict[str, Any]] = {}
    for s, p, o in _rows(store, _Q_FACTS % _iri_list(_NODE_PREDICATES)):
        name = _NODE_PREDICATES[p.value]
        d = facts.setdefault(_val(s), {})
        v = _val(o)
        if name in _MULTI:
            d.setdefault(name, []).append(v)
        else:
            d.setdefault(name, v)
    personal: dict[str, set[str]] = {}
    for s, o in _rows(store, _Q_PERSONAL):
        personal.setdefault(_val(s), set()).add(_val(o))

    # flows
    flows: dict[str, dict[str, Any]] = {}
    for gr, f, p, o in _rows(store, _Q_FLOWS % _iri_list(_FLOW_PREDICATES)):
        d = flows.setdefault(_val(f), {"graph": gr.value, "carries": []})
        name = _FLOW_PREDICATES[p.value]
        if name == "carries":
            if _val(o) not in d["carries"]:
                d["carries"].append(_val(o))
        else:
            d.setdefault(name, o.value if name == "label" else _val(o))

    g = nx.MultiDiGraph()
    info: dict[str, dict[str, Any]] = {}
    held: dict[str, list[str]] = {}
    fields_of: dict[str, list[str]] = {}

    # nodes: everything with a lineage kind, plus anything an edge mentions
    node_rows = []
    for iri, kind in kinds.items():
        d = facts.get(iri, {})
        if kind in (PERSON, UNIT, AGREEMENT, ORGANISATION):
            info[iri] = {"kind": kind, "label": labels.get(iri) or _short(iri), **d}
            continue
        node_rows.append((iri, _node_attrs(iri, kind, d, labels, personal)))
    g.add_nodes_from(node_rows)
    for iri, d in facts.items():
        if "held_in" in d and iri in g:
            held.setdefault(d["held_in"], []).append(iri)
            if d["held_in"] not in g:
                g.add_node(d["held_in"], **_node_attrs(d["held_in"], kinds.get(d["held_in"], SYSTEM),
                                                       facts.get(d["held_in"], {}), labels, personal))
        if "field_of" in d:
            fields_of.setdefault(d["field_of"], []).append(iri)

    def ensure(iri: str) -> None:
        if iri not in g:
            g.add_node(iri, **_node_attrs(iri, kinds.get(iri, OTHER), facts.get(iri, {}), labels, personal))

    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for firi, f in flows.items():
        src, tgt = f.get("source"), f.get("target")
        if not src or not tgt:
            continue
        base = {"flow": firi, "label": f.get("label") or labels.get(firi, ""), "mechanism": f.get("mechanism"),
                "frequency": f.get("frequency"), "agreement": f.get("agreement"), "graph": f["graph"],
                "carries": tuple(f["carries"])}
        ensure(src), ensure(tgt)
        edges.append((src, tgt, firi, {"kind": FLOW, **base}))
        for ds in f["carries"]:
            if ds in (src, tgt):
                continue
            ensure(ds)
            home = facts.get(ds, {}).get("held_in")
            if home == tgt and kinds.get(src) != DATASET:
                edges.append((src, ds, firi, {"kind": CARRIED, **base}))
            elif kinds.get(tgt) != DATASET:
                edges.append((ds, tgt, firi, {"kind": CARRIED, **base}))
    for gr, d, u in _rows(store, _Q_DERIVED):
        dv, uv = _val(d), _val(u)
        ensure(dv), ensure(uv)
        edges.append((uv, dv, DERIVED, {"kind": DERIVED, "graph": gr.value}))
    times = {_val(a): t.value for a, t in _rows(store, _Q_RUN_TIMES)}
    for gr, a, u, o in _rows(store, _Q_RUNS):
        av, uv, ov = _val(a), _val(u), _val(o)
        if uv == ov:
            continue
        ensure(uv), ensure(ov)
        edges.append((uv, ov, av, {"kind": RUN, "activity": av, "label": labels.get(av, ""),
                                   "ended": times.get(av), "graph": gr.value}))
    for gr, f, u in _rows(store, _Q_FIELD_DERIVED):
        fv, uv = _val(f), _val(u)
        ensure(fv), ensure(uv)
        edges.append((uv, fv, FIELD_DERIVED, {"kind": FIELD_DERIVED, "graph": gr.value,
                                               "transformation": facts.get(fv, {}).get("transformation")}))
    for iri, d in facts.items():
        for body in d.get("submitted_to", ()):
            if iri in g:
                ensure(body)
                edges.append((iri, body, SUBMITTED, {"kind": SUBMITTED}))
    g.add_edges_from(_dedupe(edges))

    # the boundary: partners, systems they operate, and datasets held in those systems
    nodes = g.nodes
    for iri in g:
        a = nodes[iri]
        if a["kind"] == PARTNER or (a["kind"] == SYSTEM and any(
                kinds.get(op) == PARTNER for op in _as_list(a.get("operated_by")))):
            a["external"] = True
    for iri in g:
        a = nodes[iri]
        home = a.get("held_in")
        if home and home in g and nodes[home].get("external") and a["kind"] in DATA_KINDS:
            a["external"] = True
    lg = LineageGraph(g=g, revision=revision, info=info, held=held, fields_of=fields_of, labels=labels)
    return lg


def _node_attrs(iri: str, kind: str, d: dict[str, Any], labels: dict[str, str],
                personal: dict[str, set[str]]) -> dict[str, Any]:
    cats = personal.get(iri, set())
    attrs: dict[str, Any] = {
        "kind": kind, "label": labels.get(iri) or _short(iri),
        "personal": bool(cats), "special": _SPECIAL in cats, "external": False,
    }
    for key in ("held_in", "anonymisation", "operated_by", "field_of", "part_of", "transformation",
                "classification", "storage_form"):
        if key in d:
            attrs[key] = d[key]
    for key in ("owner", "steward", "custodian", "service_area"):
        if key in d:
            attrs[key] = d[key][0] if len(d[key]) == 1 else tuple(d[key])
    if "system_of_record" in d:
        attrs["system_of_record"] = d["system_of_record"] in ("true", "1")
    if attrs.get("anonymisation") in _STOP_ANON:
        attrs["anonymised"] = True
    return attrs


def _dedupe(edges: list[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[str, str, str, dict[str, Any]]]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for u, v, k, a in edges:
        if (u, v, k) not in seen:
            seen.add((u, v, k))
            out.append((u, v, k, a))
    return out


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _short(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit("#", 1)[-1] or iri


def _date(v: Any) -> dt.date | None:
    if not v:
        return None
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


# ----------------------------------------------------------------------------- caching

_cache: "weakref.WeakKeyDictionary[Any, LineageGraph]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def get_graph(store: Any) -> LineageGraph:
    """The lineage graph of ``store`` at its current revision, built once per revision.

    Keyed by the store object and ``store.revision``, so any commit (import, replace,
    removal) makes the next call rebuild: no stale answers after an import.
    """
    rev = store.revision
    with _lock:
        lg = _cache.get(store)
        if lg is not None and lg.revision == rev:
            return lg
        lg = build(store)
        _cache[store] = lg
        return lg


def clear_cache() -> None:
    """Forget every cached graph (tests, or after writing to a store behind its back)."""
    with _lock:
        _cache.clear()
