"""Writes of every kind, and the states of the derived views compared after them (tests/test_live.py's
random steps; tests/test_kept_lineage.py replays some after a restart; tests/test_live_processes.py compares
views after another process's commits)."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pyoxigraph as ox

from govgraph.errors import BadInput, NeedsAdmin
from govgraph.io.openlineage import ingest_event
from govgraph.io.sparql_update import apply_update
from govgraph.io.write import write_source
from govgraph.lineage.graph import load_fields
from govgraph.shapes import kept
from govgraph import kept_state, live
from govgraph.io.load import load_files
from govgraph.store import commit_patches, open_store

#: the small estate the random steps write to
ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"


#: a dataset of that estate, and the property a synonym is written with
DATASET = "https://data.county.example.gov.uk/id/dataset/referrals"
ALT = "http://www.w3.org/2004/02/skos/core#altLabel"


def synonym(store, word: str, dataset: str = DATASET) -> None:
    """A one-triple write: ``word`` as a synonym of ``dataset`` in the source "synonyms"."""
    write_source(store, "synonyms", [ox.Triple(ox.NamedNode(dataset), ox.NamedNode(ALT), ox.Literal(word))],
                 who="test", force=True, may_remove=True)


def until(check, seconds: float = 20.0) -> bool:
    """Whether ``check()`` came true within ``seconds`` (asked every 20 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def ol_event(job: str, inputs: list[str], outputs: list[str], run: int) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
            "run": {"runId": str(uuid.UUID(int=run))}, "job": {"namespace": "ssis", "name": job},
            "inputs": [{"namespace": "mssql://mosaic", "name": i} for i in inputs],
            "outputs": [{"namespace": "mssql://dwh", "name": o} for o in outputs],
            "producer": "https://example.org/ssis-openlineage",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}


def do(store, step) -> None:
    """Run one write; writes the store refuses (nothing to change, would empty a source) change nothing."""
    kind, name = step[0], step[1]
    try:
        if kind == "write":
            write_source(store, name, step[2], who="test", force=True, may_remove=True)
        elif kind == "remove":
            if store.has_source(name):
                store.remove_source(name, who="test")
        elif kind == "patch":
            p = store.patch(name, who="test")
            p.add(step[2][1:])
            if store.has_source(name):
                have = [ox.Triple(q.subject, q.predicate, q.object)
                        for q in store.quads(None, None, None, n(store.source(name).graph))]
                p.remove(have[:step[3]])
            commit_patches([p], forced=True)
        elif kind == "update":
            if store.has_source(name):
                apply_update(store, name, f'DELETE {{ ?s dcterms:title ?t }} INSERT {{ ?s dcterms:title "{step[2]}" }} '
                                          f'WHERE {{ ?s dcterms:title ?t FILTER(STRENDS(STR(?s), "d1")) }}',
                             who="test", force=True, may_remove=True)
        else:
            ingest_event(store, ol_event(name, step[2], step[3], step[4]))
    except (BadInput, NeedsAdmin):
        pass


def impact_state(lg) -> tuple:
    """The impact index by IRI (node ids may differ): successors, codes, homes, owners, ranks."""
    ix = lg.impact_index
    iri = ix.nodes
    assert ix.ids == {n: i for i, n in enumerate(iri)}
    per_node = {iri[i]: (sorted(iri[t] for t in ix.targets[ix.offsets[i]:ix.offsets[i + 1]]), ix.container[i],
                         ix.code[i], iri[ix.home[i] - 1] if ix.home[i] else None,
                         ix.owners[ix.owner[i] - 1] if ix.owner[i] else None, ix.several.get(i))
                for i in range(len(iri))}
    return (per_node, ix.ranks, ix.rank_iris, ix.rank_labels, ix.rank_homes, ix.rank_home_labels)


def lineage_state(lg) -> tuple:
    load_fields(lg)
    edges = {(u, v, k): a for u, v, k, a in lg.g.edges(keys=True, data=True)}
    assert all(set(lg.g._succ[u]) == {v for _, v in lg.g.out_edges(u)} for u in lg.g)  # noqa: SLF001
    assert {(v, u) for u in lg.g for v in lg.g._pred[u]} == {(u, v) for u, v, _ in edges}  # noqa: SLF001
    return (dict(lg.g.nodes(data=True)), edges, lg.info, {k: sorted(v) for k, v in lg.held.items()},
            {k: sorted(v) for k, v in lg.fields_of.items()}, lg.labels, lg.revision, lg.containers,
            {h: lg.held_sorted(h) for h in lg.held}, impact_state(lg))


def search_state(idx) -> tuple:
    """The index's contents, by IRI (ids differ between a built index and an applied one)."""
    order = list(idx.order)
    assert order == sorted(order) and [(*idx.parts[k].key, k) for _, _, k in order] == order  # the label order
    assert sorted(idx.ids.values()) == sorted(k for _, _, k in order)
    assert all(idx.parts[k].entry.iri == i for i, k in idx.ids.items())
    iri = {k: p.entry.iri for k, p in enumerate(idx.parts) if p is not None}
    by_iri = {p.entry.iri: p for p in idx.parts if p is not None}
    for p in (*idx.postings, idx.facet_postings):  # id lists ascending (an id is found by bisection)
        assert all(list(ks) == sorted(set(ks)) for ks in p.values())
    return (list(idx.entries), dict(idx.labels.items()), idx.kind_counts, list(idx.tokens), idx.all_counts, by_iri,
            [{t: sorted(iri[k] for k in ks) for t, ks in p.items()} for p in idx.postings],
            {fv: sorted(iri[k] for k in ks) for fv, ks in idx.facet_postings.items()})


def validation_state(k: kept.KeptReport) -> tuple:
    rep = k.report
    return (sorted(rep.findings, key=lambda f: f.sort_key() + (f.message,)), rep.scorecard, rep.check_date,
            {f: sorted(v, key=lambda x: x.sort_key() + (x.message,)) for f, v in k.by_focus.items()})


def kept_folder(tmp_path: Path, view) -> Path:
    """An embedded store holding ESTATE whose ``view`` is built and kept on disk (then closed: a restart)."""
    path = tmp_path / "store"
    with open_store(f"oxigraph:{path}") as st:
        load_files(st, [ESTATE], force=True)
        live.view(st, view)
        assert live.memo(st).disk.idle()
    assert (path / kept_state.FOLDER).is_dir()
    return path
