"""The lineage graph kept live: each commit's change applied to the graph of the revision before.

A change that touches nothing the graph is read from keeps it (a new revision number, the same
adjacency); one that only adds runs and the datasets they first mention (an OpenLineage event)
patches a copy; any other builds it afresh (``graph.build``; 10k datasets: 1.6 s). The view is
kept on the store by ``govgraph.live``, and on disk beside an embedded store (``govgraph.kept_state``)
as plain data (``_dump``: networkx's adjacency dicts and the impact index's arrays), so a restart
reads it instead of building it (100k datasets: 68 MB, about 1 s of CPU against 16 s or more).
"""
from __future__ import annotations

import dataclasses
import weakref
from typing import Any

import networkx as nx
import pyoxigraph as ox

from govgraph import kept_state, live
from govgraph.lineage.graph import (_OTHER_FACTS, _RDF_TYPE, _RDFS_LABELLED, _TYPE_KIND, DATA_KINDS, OTHER, RUN,
                                    LineageGraph, SHARED, _field_lock, _node_attrs, _own, _own_graph, build)
from govgraph.lineage.reads import query as _query, val as _val
from govgraph.lineage.impact_index import ImpactIndex
from govgraph.ontology.ns import DCTERMS, DPV, FOAF, GOV, PROV, RDFS, SKOS

#: What the graph is read from: a change with none of these predicates and classes leaves it as it is.
_READ = {str(p) for p in (DCTERMS.title, FOAF.name, SKOS.prefLabel, RDFS.label, GOV.heldIn, GOV.anonymisation,
                          GOV.systemOfRecord, GOV.owner, DPV.hasPersonalData, GOV.source, GOV.target, GOV.carries,
                          GOV.mechanism, GOV.frequency, GOV.coveredBy, PROV.wasDerivedFrom, PROV.used, PROV.generated,
                          PROV.endedAtTime, GOV.fieldOf, GOV.transformation, GOV.derivedFromField)} | set(_OTHER_FACTS)
_READ_TYPES = {t for t, _ in _TYPE_KIND} | set(_RDFS_LABELLED)


def _reads(q: Any) -> bool:
    """Whether the graph is read from this changed quad's triple."""
    p = q.predicate.value
    return p in _READ or (p == _RDF_TYPE and q.object.value in _READ_TYPES)


def _apply(lg: LineageGraph, store: Any, change: Any) -> LineageGraph | None:
    """The graph after ``change``: kept if the change touches nothing it is read from; patched if it only adds
    new things (runs and the datasets they first mention: an OpenLineage event); else None (built afresh)."""
    if not any(_reads(q) for q in change.quads):
        # the same graph (no dict copied: 12 ms at 100k); if the field layer is not loaded, both are marked as
        # sharing it, so whichever adds the field layer first takes its own copy then (``graph.load_fields``)
        out = dataclasses.replace(lg, revision=store.revision, fields_of=lg.fields_of if lg.fields_loaded else {})
        out.__dict__.update((k, v) for k, v in lg.__dict__.items() if k in _GRAPH_CACHES)
        if not lg.fields_loaded:
            lg.__dict__[SHARED] = out.__dict__[SHARED] = True
        return out
    return _add_new(lg, store, change)


_GRAPH_CACHES = ("_containers", "_held_sorted", "_impact_index")  # made from the graph alone (not sharing ...)
_RUN_READS = {_RDF_TYPE, str(RDFS.label), str(PROV.used), str(PROV.generated), str(PROV.endedAtTime)}
_DATA_TYPES = {t: k for t, k in _TYPE_KIND if k in DATA_KINDS}


def _read_subject(store: Any, iri: str) -> list[tuple[str, str, Any]]:
    """(graph, predicate, object) of every live triple about ``iri``."""
    q = "SELECT ?g ?p ?o WHERE { GRAPH ?g { <%s> ?p ?o } }" % iri
    return [(g.value, p.value, o) for g, p, o in _query(store, q)]


def _add_new(lg: LineageGraph, store: Any, change: Any) -> LineageGraph | None:
    """The graph with what ``change`` added, if it only adds things the graph never described: runs
    (``prov:Activity`` with a label, ``used``, ``generated``, an end time) between nodes it has or
    new nodes with a title at most, and new datasets, reports and returns with a title at most. Each
    new subject's triples are read whole from the store now; anything else (a removal, a known subject,
    a fact that places a node, a flow ...) returns None: built afresh."""
    subjects = {q.subject for q in change.added if _reads(q)}
    if any(_reads(q) for q in change.removed) or any(not isinstance(s, ox.NamedNode) for s in subjects):
        return None
    g, labels = lg.g, lg.labels
    known = lambda iri: iri in g or iri in lg.info or iri in labels or iri in lg.held  # noqa: E731
    new_nodes: dict[str, dict[str, Any]] = {}
    new_labels: dict[str, str] = {}
    runs: list[tuple[str, list[tuple[str, str, Any]]]] = []  # (activity, its triples)
    for subj in sorted(s.value for s in subjects):
        if known(subj):
            return None
        rows = [r for r in _read_subject(store, subj) if r[1] in _READ or r[1] == _RDF_TYPE]
        types = {o.value for _, p, o in rows if p == _RDF_TYPE} & _READ_TYPES
        preds = {p for _, p, _ in rows}
        texts = {p: {o.value for _, pp, o in rows if pp == p} for p in preds}
        if types == {str(PROV.Activity)} and preds <= _RUN_READS:
            if len(texts.get(str(PROV.endedAtTime), ())) > 1 or len(texts.get(str(RDFS.label), ())) > 1 or any(
                    (p == str(RDFS.label) and not isinstance(o, ox.Literal))
                    or (p in _RUN_READS - {_RDF_TYPE, str(RDFS.label), str(PROV.endedAtTime)}
                        and not isinstance(o, ox.NamedNode)) for _, p, o in rows):
                return None  # which one the build keeps depends on the order of its answers
            runs.append((subj, rows))
            if texts.get(str(RDFS.label)):
                new_labels[subj] = next(iter(texts[str(RDFS.label)]))
        elif types <= set(_DATA_TYPES) and preds <= {_RDF_TYPE, str(DCTERMS.title), str(RDFS.label)}:
            if len(texts.get(str(DCTERMS.title), ())) > 1:
                return None
            if texts.get(str(DCTERMS.title)):
                new_labels[subj] = next(iter(texts[str(DCTERMS.title)]))
            if types:  # a dataset, report or return: a node even with no edges (most specific class first)
                kind = next(k for t, k in _TYPE_KIND if t in types)
                new_nodes[subj] = _node_attrs(subj, kind, {}, new_labels, {})
        else:
            return None
    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for a, rows in runs:
        ended = next((o.value for _, p, o in rows if p == str(PROV.endedAtTime)), None)
        for graph in sorted({gr for gr, p, o in rows if p == _RDF_TYPE and o.value == str(PROV.Activity)}):
            used = [_val(o) for gr, p, o in rows if gr == graph and p == str(PROV.used)]
            made = [_val(o) for gr, p, o in rows if gr == graph and p == str(PROV.generated)]
            for u in used:
                for o in made:
                    if u != o:
                        edges.append((u, o, a, {"kind": RUN, "activity": a, "label": new_labels.get(a, ""),
                                                "ended": ended, "graph": graph}))
    changed = {s.value for s in subjects}
    for u, v, _, _ in edges:
        for end in (u, v):
            if end in g or end in new_nodes:
                continue
            if end.startswith("_:") or known(end):
                return None
            if end not in changed and any(p in _READ or p == _RDF_TYPE for _, p, _ in _read_subject(store, end)):
                return None  # described by an earlier commit: what it is needs the whole build
            new_nodes[end] = _node_attrs(end, OTHER, {}, new_labels, {})  # a bare end of a run
    return _patched(lg, store.revision, new_nodes, new_labels, edges)




def _patched(lg: LineageGraph, revision: int, nodes: dict[str, dict[str, Any]], labels: dict[str, str],
             edges: list[tuple[str, str, str, dict[str, Any]]]) -> LineageGraph:
    """A new graph: ``lg`` with new nodes, labels and edges; ``lg`` itself is left as it was (the dicts
    the new edges go into are copied, the rest shared; ``load_fields`` copies before it writes too)."""
    g = _own_graph(lg.g)
    for n, a in nodes.items():
        g._node[n] = a  # noqa: SLF001
        g._succ[n], g._pred[n] = {}, {}  # noqa: SLF001
    copied: set[tuple[str, str]] = set()
    for u, v, k, a in edges:
        _own(g, u, v, copied)
        keyed = g._succ[u].get(v)  # noqa: SLF001
        if keyed is None:
            keyed = g._succ[u][v] = g._pred[v][u] = {}  # noqa: SLF001
        keyed.setdefault(k, a)
    out = LineageGraph(g=g, revision=revision, info=lg.info, held=lg.held,
                       fields_of=lg.fields_of if lg.fields_loaded else {},
                       labels={**lg.labels, **labels}, store=lg.store, fields_loaded=lg.fields_loaded)
    for k in _GRAPH_CACHES[:2]:
        if k in lg.__dict__:  # no new system, partner or organisation; nothing newly held
            out.__dict__[k] = lg.__dict__[k]
    ix = lg.__dict__.get("_impact_index")
    ix = ix and ix.patched(out, list(nodes), {u for u, _, _, _ in edges})  # the change only, not the whole graph
    if ix is not None:
        out.__dict__["_impact_index"] = ix
    out.impact_index  # noqa: B018 - as ``build`` does
    return out


#: The layout of the graph as kept on disk (in the view's key: a file of another layout is built afresh).
LAYOUT = "2"


def _dump(lg: LineageGraph) -> tuple:
    """The graph as plain data for ``govgraph.kept_state``: networkx's own adjacency dicts (the successor
    and predecessor tables share each edge's keyed dict, which the pickle keeps), and the tables beside
    them. Called under ``_field_lock`` (the field layer is added in place)."""
    g = lg.g
    ix = lg.__dict__.get("_impact_index")  # kept too: made from the whole graph (about 1 s at 100k)
    kept_ix = None if ix is None else ix.plain()
    return (LAYOUT, lg.revision, g.graph, g._node, g._succ, g._pred, lg.info, lg.held,  # noqa: SLF001
            lg.fields_of, lg.labels, lg.fields_loaded, kept_ix)


def _undump(data: Any, store: Any) -> LineageGraph:
    """The graph again from ``_dump``'s data (a file is untrusted: its shape is checked, nothing in it runs)."""
    if not (isinstance(data, tuple) and len(data) == 12 and data[0] == LAYOUT):
        raise ValueError("not a kept lineage graph of this layout")
    _, revision, graph, node, succ, pred, info, held, fields_of, labels, fields_loaded, kept_ix = data
    if not (isinstance(revision, int) and isinstance(fields_loaded, bool)
            and all(isinstance(d, dict) for d in (graph, node, succ, pred, info, held, fields_of, labels))
            and node.keys() == succ.keys() == pred.keys()):
        raise ValueError("a kept lineage graph of the wrong shape")
    g = nx.MultiDiGraph()
    g.graph = graph
    g._node, g._succ, g._adj, g._pred = node, succ, succ, pred  # noqa: SLF001
    lg = LineageGraph(g=g, revision=revision, info=info, held=held, fields_of=fields_of, labels=labels,
                      store=store, fields_loaded=fields_loaded)
    if kept_ix is not None:
        lg.__dict__["_impact_index"] = ImpactIndex.from_plain(kept_ix, node)
    return lg


#: The lineage graph as a view kept on the store (``govgraph.live``): a change that touches nothing it is
#: read from keeps it; one that only adds runs and the datasets they first mention patches it; any
#: other builds it afresh (10k datasets: 1.6 s). Kept on disk beside an embedded store (``_dump``).
VIEW = live.LiveView("lineage", build, _apply, key=kept_state.code_key("lineage", LAYOUT), dump=_dump,
                     undump=_undump, save_lock=_field_lock)
_stores: "weakref.WeakSet[Any]" = weakref.WeakSet()


def get_graph(store: Any) -> LineageGraph:
    """The lineage graph of ``store`` at its current revision (kept on the store: ``govgraph.live``),
    so any commit (import, replace, removal) is seen by the next call: no stale answers."""
    _stores.add(store)
    return live.view(store, VIEW)


def clear_cache() -> None:
    """Forget every kept graph (tests, or after writing to a store behind its back)."""
    for store in list(_stores):
        live.memo(store).forget(VIEW.name)
