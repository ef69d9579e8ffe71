"""The lineage graph kept on disk beside an embedded store (``lineage.live_graph``: networkx's own
adjacency as plain data): read after a restart it equals a fresh build, the changes since are applied to
it as to a graph built in this process, and a file of another shape is not used."""
from __future__ import annotations

import pickle

import pyoxigraph as ox
import pytest

from govgraph import kept_state, live
from govgraph.lineage import live_graph
from govgraph.store import open_store
from live_steps import do, impact_state, kept_folder, lineage_state  # steps on the estate kept_folder loads

VIEW = live_graph.VIEW


@pytest.fixture
def folder(tmp_path):
    path = kept_folder(tmp_path, VIEW)
    assert (path / kept_state.FOLDER / "lineage.pickle").exists()
    return path


def test_a_restart_reads_the_kept_graph(folder):
    with open_store(f"oxigraph:{folder}") as st:
        lg = live_graph.get_graph(st)
        stats = live.memo(st).stats["lineage"]
        assert (stats.loaded, stats.built) == (1, 0)
        assert lg.store is st and lg.g.number_of_edges() > 0
        g = lg.g
        assert all(g._pred[v][u] is g._succ[u][v] for u, v in g.edges())  # noqa: SLF001 - one dict per edge pair
        assert "_impact_index" in lg.__dict__  # kept with it, not made again
        fresh = VIEW.build(st)
        assert impact_state(lg) == impact_state(fresh)
        assert lineage_state(lg) == lineage_state(fresh)


@pytest.mark.parametrize("step", [("event", "load_a", ["dbo.referrals"], ["dbo.new"], 1),  # patched
                                  ("write", "s0", [ox.Triple(  # a known dataset renamed: built afresh
                                      ox.NamedNode("https://data.county.example.gov.uk/id/dataset/referrals"),
                                      ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("Referrals"))])])
def test_changes_since_are_applied_to_the_kept_graph(folder, step):
    with open_store(f"oxigraph:{folder}") as st:
        st.memo = live.Memo()  # a process that keeps nothing writes
        before = st.revision
        do(st, step)
        rev = st.revision
        assert rev == before + 1, [s.name for s in st.sources()]
    with open_store(f"oxigraph:{folder}") as st:
        assert st.revision == rev
        lg = live_graph.get_graph(st)
        stats = live.memo(st).stats["lineage"]
        assert stats.loaded == 1 and stats.applied + stats.built == 1
        assert lineage_state(lg) == lineage_state(VIEW.build(st))


@pytest.mark.parametrize("spoil", ["layout", "shape", "impact", "none"])
def test_a_file_of_another_shape_is_built_afresh(folder, spoil):
    kept = folder / kept_state.FOLDER / "lineage.pickle"
    with open(kept, "rb") as f:
        head, data = kept_state._Unpickler(f).load(), kept_state._Unpickler(f).load()
    if spoil == "layout":
        data = ("0",) + data[1:]
    elif spoil == "shape":  # the node table and the adjacency disagree
        data = data[:3] + ({"https://example.org/x": {}},) + data[4:]
    elif spoil == "impact":  # the impact index shorter than the graph's nodes
        assert data[11] is not None
        data = data[:11] + ({**data[11], "code": data[11]["code"][:-8]},)
    with open(kept, "wb") as f:
        pickle.dump(head, f), pickle.dump(data, f)
    with open_store(f"oxigraph:{folder}") as st:
        lg = live_graph.get_graph(st)
        stats = live.memo(st).stats["lineage"]
        assert (stats.loaded, stats.built) == ((1, 0) if spoil == "none" else (0, 1))
        assert lineage_state(lg) == lineage_state(VIEW.build(st))
