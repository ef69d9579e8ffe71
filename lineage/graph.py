"""The lineage graph: flows, derivations, pipeline runs and field derivations as a networkx graph.

Built from the store with a handful of bulk SPARQL SELECTs (run natively in Oxigraph); kept on the
store and changed by each commit in ``live_graph`` (``get_graph``), so every query after an import
sees the new data.
Node ids are IRI strings; edges point the way data moves (upstream -> downstream).
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

import networkx as nx

from govgraph import agreements, search
from govgraph.errors import UnknownAsset
from govgraph.lineage import reads
from govgraph.lineage.impact_index import ImpactIndex  # noqa: F401 - re-exported
from govgraph.kinds import (AGREEMENT, DATASET, FIELD, LINEAGE_KINDS, ORGANISATION, OTHER, PARTNER,  # noqa: F401
                            PERSON, REPORT, RETURN, SYSTEM, UNIT)  # node kinds, re-exported for lineage modules
from govgraph.ontology.ns import DCTERMS, DPV, FOAF, GOV, ORG, PROV, RDFS, SKOS

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

_TYPE_KIND: list[tuple[str, str]] = LINEAGE_KINDS  # most specific first (govgraph.kinds)
_KIND_RANK = {t: i for i, (t, _) in enumerate(_TYPE_KIND)}
_STOP_ANON = {str(GOV.Aggregated), str(GOV.Anonymised)}
_SPECIAL = str(DPV.SpecialCategoryPersonalData)
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

_LABEL_PREDICATES = (DCTERMS.title, FOAF.name, SKOS.prefLabel)  # first found wins, then rdfs:label
#: classes whose rdfs:label is loaded with the graph (fields' labels come with the field layer)
_RDFS_LABELLED = tuple(t for t, k in _TYPE_KIND if k not in (FIELD, DATASET, REPORT, RETURN)) + (
    str(GOV.Flow), str(PROV.Activity))
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
    #: dataset IRI -> its fields (filled by ``load_fields``)
    fields_of: dict[str, list[str]] = field(default_factory=dict)
    #: IRI -> label for every labelled thing (for suggestions and label look-up)
    labels: dict[str, str] = field(default_factory=dict)
    #: the store it was built from (for the field layer and per-asset details, fetched on demand)
    store: Any = field(default=None, repr=False, compare=False)
    #: whether the field layer (``load_fields``) has been added
    fields_loaded: bool = False

    @property
    def containers(self) -> frozenset[str]:
        """Nodes that are systems, partners or organisations (walks stop at them; see traverse)."""
        c = self.__dict__.get("_containers")
        if c is None:
            c = frozenset(n for n, a in self.g._node.items() if a.get("kind") in CONTAINER_KINDS)  # noqa: SLF001
            self.__dict__["_containers"] = c
        return c

    def held_sorted(self, iri: str) -> tuple[str, ...]:
        """The datasets held in a system, sorted, without the system itself (cached: a warehouse holds thousands)."""
        cache = self.__dict__.setdefault("_held_sorted", {})
        h = cache.get(iri)
        if h is None:
            h = cache[iri] = tuple(sorted(d for d in self.held.get(iri, ()) if d != iri))
        return h

    @property
    def impact_index(self) -> "ImpactIndex":
        """Per-revision facts impact reads for every node it reaches (made by ``build``; see ImpactIndex)."""
        ix = self.__dict__.get("_impact_index")
        if ix is None:
            ix = self.__dict__["_impact_index"] = ImpactIndex.of(self)
        return ix

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
        """Whether a sharing agreement is in force on a date (the rule: ``govgraph.agreements.in_force``)."""
        if not agreement:
            return False
        a = self.info.get(agreement)
        if a is None:
            return False
        return agreements.in_force(on, a.get("valid_from"), a.get("valid_until"))

    # -- resolving user input ---------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """Turn an IRI, ``<IRI>``, or an unambiguous label into a node IRI; UnknownAsset otherwise."""
        ref = ref.strip()
        if ref.startswith("<") and ref.endswith(">"):
            ref = ref[1:-1]
        if ref in self.g or ref in self.held:
            return ref
        if not self.fields_loaded and self.store is not None:
            load_fields(self)  # it may be a field
            if ref in self.g:
                return ref
        low = ref.casefold()
        by_label = sorted(i for i, l in self.labels.items() if l.casefold() == low and i in self.g)
        if len(by_label) == 1:
            return by_label[0]
        tails = sorted(i for i in self.g if i.rsplit("/", 1)[-1].casefold() == low)
        if len(tails) == 1:
            return tails[0]
        if self.store is not None and not by_label and not tails:
            # the catalogue's rule for names ("SALT return" is "SALT return (Short and Long Term Support)")
            iri = search.resolve(self.store, ref)
            if iri in self.g or iri in self.held:
                return iri
        raise UnknownAsset(ref, by_label + tails if (by_label or tails) else self.suggest(ref))

    def suggest(self, ref: str, n: int = 5) -> list[str]:
        """Close matches for an unknown IRI or label, as IRIs: the search index's (its words, with typos),
        not a scan of every label."""
        if self.store is None:
            return []
        return [i for i in search.suggest(self.store, ref, limit=4 * n) if i in self.g or i in self.held][:n]


# ----------------------------------------------------------------------------- building (its reads: ``reads``)

#: other facts kept in the graph (few rows: systems, people, units, agreements, returns)
_OTHER_FACTS = {str(GOV.operatedBy): "operated_by", str(GOV.submittedTo): "submitted_to",
                str(GOV.partOfSystem): "part_of", str(GOV.jobTitle): "job_title", str(GOV.leftOn): "left_on",
                str(ORG.memberOf): "member_of", str(ORG.unitOf): "unit_of", str(GOV.validFrom): "valid_from",
                str(GOV.validUntil): "valid_until", str(GOV.party): "party"}
#: per-asset details fetched on demand
_DETAIL_FACTS = {str(GOV.owner): "owner", str(GOV.steward): "steward", str(GOV.custodian): "custodian",
                 str(GOV.serviceArea): "service_area", str(GOV.classification): "classification",
                 str(GOV.storageForm): "storage_form", str(GOV.transformation): "transformation"}

def build(store: Any) -> LineageGraph:
    """Build the lineage graph of a store's current revision (``live_graph.get_graph`` keeps it live)."""
    revision = store.revision
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    facts: dict[str, dict[str, Any]] = {}
    personal: dict[str, set[str]] = {}
    done: list[str] = []  # classes asked so far: their subjects already have a kind
    data_kinds = [(cls, kind) for cls, kind in _TYPE_KIND if kind in DATA_KINDS]  # most specific class first
    queries = []
    for cls, kind in data_kinds:
        queries.append(reads.subjects_new(cls, done))
        done.append(cls)
    for (_, kind), rows in zip(data_kinds, reads.batch(store, queries)):
        for (s,) in rows:
            kinds.setdefault(s, kind)
    for s, o in reads.rows(store, reads.Q_PAIRS % DCTERMS.title):
        labels.setdefault(s, o)
    for name, pred in (("held_in", GOV.heldIn), ("anonymisation", GOV.anonymisation),
                       ("system_of_record", GOV.systemOfRecord)):
        for s, o in reads.pairs_by_value(store, pred):
            facts.setdefault(s, {}).setdefault(name, o)
    for s, o in reads.pairs(store, GOV.owner):
        owners = facts.setdefault(s, {}).setdefault("owner", [])
        if o not in owners:
            owners.append(o)
    for s, o in reads.pairs_by_value(store, DPV.hasPersonalData):
        personal.setdefault(s, set()).add(o)
    ranks: dict[str, int] = {}
    others = [(rank, cls, kind) for rank, (cls, kind) in enumerate(_TYPE_KIND)
              if kind != FIELD and kind not in DATA_KINDS]  # fields come with the field layer; data kinds are done
    for (rank, _, kind), rows in zip(others, reads.batch(store, [reads.Q_SUBJECTS % cls for _, cls, _ in others])):
        for (sv,) in rows:
            if sv not in kinds and rank < ranks.get(sv, 1 << 30):
                ranks[sv], kinds[sv] = rank, kind
    # names, then rdfs:label by class (so the many field labels wait for the field layer)
    for rows in reads.batch(store, [reads.Q_LITERALS % pred for pred in (FOAF.name, SKOS.prefLabel)]
                       + [reads.Q_CLASS_LABELS % (cls, RDFS.label) for cls in _RDFS_LABELLED]):
        for s, o in rows:
            labels.setdefault(s, o)
    for (pred, name), rows in zip(_OTHER_FACTS.items(), reads.batch(store, [reads.Q_PAIRS % p for p in _OTHER_FACTS])):
        multi = name in _MULTI
        for s, o in rows:
            d = facts.setdefault(s, {})
            if multi:
                if o not in d.setdefault(name, []):
                    d[name].append(o)
            else:
                d.setdefault(name, o)

    g = nx.MultiDiGraph()
    info: dict[str, dict[str, Any]] = {}
    held: dict[str, list[str]] = {}
    node_rows = []
    for iri, kind in kinds.items():
        d = facts.get(iri, {})
        if kind in (PERSON, UNIT, AGREEMENT, ORGANISATION):
            info[iri] = {"kind": kind, "label": labels.get(iri) or _short(iri), **d}
        else:
            node_rows.append((iri, _node_attrs(iri, kind, d, labels, personal)))
    g.add_nodes_from(node_rows)
    nodes = g._node  # noqa: SLF001

    def ensure(iri: str, default: str = OTHER) -> None:
        if iri not in nodes:
            g.add_node(iri, **_node_attrs(iri, kinds.get(iri, default), facts.get(iri, {}), labels, personal))

    for iri, d in facts.items():
        home = d.get("held_in")
        if home and iri in nodes:
            held.setdefault(home, []).append(iri)
            ensure(home, SYSTEM)

    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    remote = getattr(store, "remote", False)
    for graph in store.graphs():
        gname = graph.value
        # a SPARQL server is asked once for the graph's pairs (the embedded store: one query each, by value where it can)
        read = dict(zip(reads.PER_GRAPH, reads.batch(store, [reads.Q_PAIRS % p for p in reads.PER_GRAPH], graph))) if remote else {}
        pairs = functools.partial(reads.graph_pairs, store, graph, read)

        flows: dict[str, dict[str, Any]] = {}
        for f, o in pairs(GOV.source):
            flows.setdefault(f, {"carries": []})["source"] = o
        for name, pred in (("target", GOV.target), ("carries", GOV.carries)):
            for f, o in pairs(pred):
                if f in flows:
                    if name == "carries":
                        flows[f]["carries"].append(o)
                    else:
                        flows[f].setdefault(name, o)
        for name, pred in (("mechanism", GOV.mechanism), ("frequency", GOV.frequency), ("agreement", GOV.coveredBy)):
            for f, o in pairs(pred, by_value=True):
                if f in flows:
                    flows[f].setdefault(name, o)
        for firi, f in flows.items():
            _flow_edges(firi, f, gname, labels, kinds, facts, ensure, edges)
        for d, u in pairs(PROV.wasDerivedFrom):
            ensure(d), ensure(u)
            edges.append((u, d, DERIVED, {"kind": DERIVED, "graph": gname}))
        runs = reads.rows(store, reads.Q_RUNS, graph)
        if runs:
            times = dict(reads.rows(store, reads.Q_RUN_TIMES))
            for av, uv, ov in runs:
                if uv != ov:
                    ensure(uv), ensure(ov)
                    edges.append((uv, ov, av, {"kind": RUN, "activity": av, "label": labels.get(av, ""),
                                               "ended": times.get(av), "graph": gname}))
    for iri, d in facts.items():
        if iri in nodes:
            for body in d.get("submitted_to", ()):
                ensure(body, PARTNER)
                edges.append((iri, body, SUBMITTED, {"kind": SUBMITTED}))
    _add_edges(g, edges)
    _mark_boundary(g, kinds)
    lg = LineageGraph(g=g, revision=revision, info=info, held=held, labels=labels, store=store)
    lg.impact_index  # noqa: B018 - made with the graph, so a first impact costs what later ones do
    return lg


def _flow_edges(firi: str, f: dict[str, Any], gname: str, labels: dict[str, str], kinds: dict[str, str],
                facts: dict[str, dict[str, Any]], ensure: Any, edges: list) -> None:
    """The edges of one flow: source -> target, and each carried dataset to where it lands."""
    src, tgt = f.get("source"), f.get("target")
    if not src or not tgt:
        return
    carries = tuple(dict.fromkeys(f["carries"]))
    base = {"flow": firi, "label": labels.get(firi, ""), "mechanism": f.get("mechanism"),
            "frequency": f.get("frequency"), "agreement": f.get("agreement"), "graph": gname, "carries": carries}
    ensure(src), ensure(tgt)
    edges.append((src, tgt, firi, {"kind": FLOW, **base}))
    for ds in carries:
        if ds in (src, tgt):
            continue
        ensure(ds, DATASET)
        if facts.get(ds, {}).get("held_in") == tgt and kinds.get(src) != DATASET:
            edges.append((src, ds, firi, {"kind": CARRIED, **base}))  # arrives in the target system
        elif kinds.get(tgt) != DATASET:
            edges.append((ds, tgt, firi, {"kind": CARRIED, **base}))  # leaves for the target


def _add_edges(g: nx.MultiDiGraph, edges: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Insert keyed edges straight into networkx's adjacency dicts (both ends exist; repeats ignored).

    ``add_edges_from`` costs several microseconds per edge in Python; this keeps the same
    structure (``_succ[u][v]`` and ``_pred[v][u]`` share one key dict) at a fraction.
    """
    succ, pred = g._succ, g._pred  # noqa: SLF001
    for u, v, k, a in edges:
        keyed = succ[u].get(v)
        if keyed is None:
            keyed = succ[u][v] = pred[v][u] = {}
        keyed.setdefault(k, a)


def _mark_boundary(g: nx.MultiDiGraph, kinds: dict[str, str]) -> None:
    """Mark partners, systems they operate and data held in those systems as outside the boundary."""
    nodes = g._node  # noqa: SLF001
    for a in nodes.values():
        if a["kind"] == PARTNER or (a["kind"] == SYSTEM and any(
                kinds.get(op) == PARTNER for op in _as_list(a.get("operated_by")))):
            a["external"] = True
    for a in nodes.values():
        home = a.get("held_in")
        if home and a["kind"] in DATA_KINDS and nodes.get(home, {}).get("external"):
            a["external"] = True


_field_lock = threading.Lock()
#: Set (in a graph's ``__dict__``) on graphs of two revisions sharing one networkx graph (``live_graph``): the
#: first to add the field layer copies its tables first.
SHARED = "_shares_graph"


def load_fields(lg: LineageGraph) -> None:
    """Add the field layer (fields, their datasets, derivations, transformations) to ``lg``, once."""
    if lg.fields_loaded:
        return
    with _field_lock:
        if lg.fields_loaded:
            return
        if lg.__dict__.pop(SHARED, False):  # its graph is another revision's too: this one takes its own copy
            lg.g, lg.labels = _own_graph(lg.g), dict(lg.labels)
        store, g = lg.store, lg.g
        nodes = g._node  # noqa: SLF001
        flabels = dict(reads.rows(store, reads.Q_FIELD_LABELS))
        field_of = dict(reads.pairs(store, GOV.fieldOf))
        transform = dict(reads.pairs(store, GOV.transformation))
        fields = set(flabels) | set(field_of)
        edges = []
        for graph in store.graphs():
            for f, u in reads.pairs(store, GOV.derivedFromField, graph):
                fields.add(f), fields.add(u)
                edges.append((u, f, FIELD_DERIVED, {"kind": FIELD_DERIVED, "graph": graph.value,
                                                     "transformation": transform.get(f)}))
        rows = []
        core = {f for f in fields if f in nodes}  # also a dataset, system ...: already a node
        for f in fields:
            if f not in core:
                a = {"kind": FIELD, "label": flabels.get(f) or _short(f), "personal": False, "special": False,
                     "external": False}
                if f in field_of:
                    a["field_of"] = field_of[f]
                if f in transform:
                    a["transformation"] = transform[f]
                rows.append((f, a))
        g.add_nodes_from(rows)
        if core:  # a graph patched from this one (``_patched``) may share these nodes' adjacency dicts
            copied: set[tuple[str, str]] = set()
            for u, v, _, _ in edges:
                if u in core or v in core:
                    _own(g, u, v, copied)
        _add_edges(g, edges)
        for f, ds in field_of.items():
            lg.fields_of.setdefault(ds, []).append(f)
        for f, lab in flabels.items():
            lg.labels.setdefault(f, lab)
        if core:  # a field that is also a dataset, system ...: its labels and edges may change impact's index
            lg.__dict__.pop("_impact_index", None)
        lg.fields_loaded = True


def details(lg: LineageGraph, iri: str) -> dict[str, Any]:
    """Per-asset facts not kept in the graph (steward, custodian, service area ...), fetched now."""
    out: dict[str, Any] = {}
    if lg.store is None:
        return out
    q = "SELECT ?p ?o WHERE { <%s> ?p ?o }" % iri.replace(">", "%3E")
    for p, o in reads.query(lg.store, q):
        name = _DETAIL_FACTS.get(p.value)
        if name:
            out.setdefault(name, []).append(reads.val(o))
    return out


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


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _short(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit("#", 1)[-1] or iri


def _own_graph(old: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A graph with its own node and adjacency tables (the per-node dicts and edges still shared: ``_own`` copies
    those an edge is written into)."""
    g = nx.MultiDiGraph()
    g.graph = old.graph
    g._node = dict(old._node)  # noqa: SLF001
    g._succ = g._adj = dict(old._succ)  # noqa: SLF001
    g._pred = dict(old._pred)  # noqa: SLF001
    return g


def _own(g: nx.MultiDiGraph, u: str, v: str, copied: set[tuple[str, str]]) -> None:
    """Give ``g`` its own copies of the dicts an edge u -> v is written into (once each: ``copied``)."""
    succ, pred = g._succ, g._pred  # noqa: SLF001
    if ("s", u) not in copied and u in succ:
        succ[u] = dict(succ[u])
        copied.add(("s", u))
    if ("p", v) not in copied and v in pred:
        pred[v] = dict(pred[v])
        copied.add(("p", v))
    keyed = succ[u].get(v) if u in succ else None
    if keyed is not None and (u, v) not in copied:
        succ[u][v] = pred[v][u] = dict(keyed)
        copied.add((u, v))
