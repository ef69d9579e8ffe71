"""Applying a write to the search index costs what the write changed, not the estate: the items its
edits copy (``persistent.Work``, counted, not timed) grow far slower than the estate, and stay well
below its number of entries (a copy of any estate-length table would exceed it). What grows with the
estate is the list of chunks of each table (copied whole: one item per ``CHUNK`` entries)."""
from __future__ import annotations

import statistics
import uuid

import pyoxigraph as ox
import pytest

from govgraph import live, persistent, search
from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import write_source
from govgraph.persistent import Work
from govgraph.search_index import SEARCH_VIEW
from govgraph.store import open_store

ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")


def event(n: int, ns: str, name: str) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z", "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "airflow", "name": f"apply_{n}"}, "inputs": [{"namespace": ns, "name": name}],
            "outputs": [{"namespace": "mssql://dwh", "name": f"mart.apply_{n}"}],
            "producer": "https://example.org/test", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"}


def copied_per_write(tmp_path, datasets: int) -> tuple[int, dict[str, float]]:
    """Entries of a generated estate, and the median items copied to apply one write of each kind to its index."""
    generate(tmp_path / f"estate-{datasets}.nt", datasets=datasets, seed=1)
    store = open_store("memory:")
    load_files(store, [tmp_path / f"estate-{datasets}.nt"], source="estate", validate=False)
    idx = live.view(store, SEARCH_VIEW)
    row = store.select("SELECT ?d ?a WHERE { ?d a dcat:Dataset ; gov:alias ?a } ORDER BY ?d LIMIT 1")[0]
    dataset, (ns, name) = ox.NamedNode(str(row["d"])), str(row["a"]).rsplit("/", 1)
    work: dict[str, list[int]] = {"event": [], "source": []}
    stats = live.memo(store).stats["search"]
    for n in range(10):
        before = Work.copied
        if n % 2:
            ingest_event(store, event(n, ns, name))
        else:
            write_source(store, f"synonym-{n}", [ox.Triple(dataset, ALT, ox.Literal(f"Grit bins {n}"))], who="test",
                         force=True, may_remove=True)
        assert live.view(store, SEARCH_VIEW).revision == store.revision
        if n >= 2:  # (the first of each kind makes the long lists it touches chunked, once)
            work["event" if n % 2 else "source"].append(Work.copied - before)
    assert stats.built == 1 and stats.applied == 10  # applied, never built again
    assert any(i.iri == dataset.value for i in search.search(store, "grit bins 8")[1])
    browse_in_label_order(store)
    return len(idx.order), {k: statistics.median(v) for k, v in work.items()}


def browse_in_label_order(store) -> None:
    """Pages of a facet without words list its entries in label order, whether the facet holds many entries
    (the order is read) or few (they are picked): as the whole index's entries in order, filtered."""
    entries = list(search.search_index(store))
    owner = next(v for e in entries for n, v in e.facets if n == "owner")
    for fv in [("kind", "dataset"), ("owner", owner), ("personal", "yes")]:
        held = [e for e in entries if fv in e.facets]
        for offset in (0, 7, len(held) - 3):
            page = search.faceted_search(store, "", filters=dict([fv]), limit=5, offset=max(offset, 0))
            assert page.total == len(held)
            assert [i.iri for i in page.items] == [e.iri for e in held[max(offset, 0):max(offset, 0) + 5]], fv


def test_a_write_copies_far_less_than_the_estate(tmp_path, monkeypatch):
    # chunks of 64 (not 512): the estates of a test are then many chunks long, as a real estate is
    for name, value in (("CHUNK", 64), ("_SHIFT", 6), ("_MASK", 63)):
        monkeypatch.setattr(persistent, name, value)
    small_entries, small = copied_per_write(tmp_path, 300)
    large_entries, large = copied_per_write(tmp_path, 1500)
    assert large_entries > 4 * small_entries
    growth = large_entries / small_entries
    for kind in ("event", "source"):
        # copying estate-length tables would grow as the entries do (4x and more): this grows by far less
        assert large[kind] < growth / 1.5 * small[kind], (kind, small, large, growth)
        assert large[kind] < large_entries / 4, (kind, large, large_entries)
