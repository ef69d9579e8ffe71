"""The search index as kept on disk (compact layout: id lists as machine integers, entries as tuples):
read back after a restart it answers searches, facets and suggestions as a fresh build does, a change
applied to it equals a rebuild, and a file in another layout is not used."""
from __future__ import annotations

import array
import copyreg
import pickle

import pyoxigraph as ox
import pytest

from govgraph import kept_state, live, search
from govgraph.io.write import write_source
from govgraph.search_index import SEARCH_VIEW, SearchIndex, build
from govgraph.store import open_store
from live_steps import kept_folder
from support import BASE

QUERIES = ["referrals", "social care", "ssda903", "chidlren", "adult", "payroll system", ""]


def _answers(st) -> list:
    out = [search.faceted_search(st, q, limit=20) for q in QUERIES]
    out += [search.suggest(st, q) for q in ("refferal", "housing")]
    return out


def _fields(idx) -> tuple:
    """Every table of an index, id lists as lists (kept ones are arrays)."""
    return (list(idx.entries), idx.labels.plain(), idx.ids.plain(), list(idx.parts), list(idx.order),
            [{w: list(v) for w, v in p.items()} for p in idx.postings],
            {k: list(v) for k, v in idx.facet_postings.items()}, list(idx.tokens), idx.all_counts)


@pytest.fixture
def folder(tmp_path):
    path = kept_folder(tmp_path, SEARCH_VIEW)
    return path


def test_the_kept_index_answers_as_a_fresh_build(folder):
    with open_store(f"oxigraph:{folder}") as st:
        kept = live.view(st, SEARCH_VIEW)
        assert live.memo(st).stats["search"].loaded == 1
        assert all(isinstance(v, array.array) for v in kept.postings[0].values())
        got = _answers(st)
        fresh = build(st)
        assert _fields(kept) == _fields(fresh)
        live.memo(st).kept["search"] = live._Kept(st.revision, fresh)  # the same questions to the fresh build
        assert _answers(st) == got


def test_a_change_applied_to_the_kept_index_equals_a_rebuild(folder):
    with open_store(f"oxigraph:{folder}") as st:
        live.view(st, SEARCH_VIEW)  # read back (arrays), then a write applied to it
        new = ox.NamedNode(BASE + "dataset/gritting-notes")
        write_source(st, "added", [
            ox.Triple(new, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("Gritting referrals notes")),
            ox.Triple(new, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"))], who="test", force=True, may_remove=True)
        applied = live.view(st, SEARCH_VIEW)
        stats = live.memo(st).stats["search"]
        assert (stats.loaded, stats.applied, stats.built) == (1, 1, 0)
        got = _answers(st)
        fresh = build(st)  # ids differ (a changed entry gets a new one): what they hold and answer does not
        assert (applied.entries, applied.labels, applied.tokens, applied.all_counts) == \
            (fresh.entries, fresh.labels, fresh.tokens, fresh.all_counts)
        live.memo(st).kept["search"] = live._Kept(st.revision, fresh)
        assert _answers(st) == got
        assert any(s.iri == new.value for s in search.faceted_search(st, "gritting").items)


@pytest.mark.parametrize("spoil", ["lists", "byteorder", "none"])
def test_a_file_in_another_layout_is_built_afresh(folder, spoil):
    kept = folder / kept_state.FOLDER / "search.pickle"
    with open(kept, "rb") as f:
        head, state = kept_state._Unpickler(f).load(), kept_state._Unpickler(f).load()
    raw = state.__getstate__()
    if spoil == "lists":  # the id lists as dicts of lists (layout 3): not read as this layout
        raw["facet_postings"] = {k: list(v) for k, v in state.facet_postings.items()}
    elif spoil == "byteorder":
        raw["byteorder"] = "big" if raw["byteorder"] == "little" else "little"
    with open(kept, "wb") as f:
        pickle.dump(head, f)
        _RawPickler(f, raw).dump(state)
    with open_store(f"oxigraph:{folder}") as st:
        live.view(st, SEARCH_VIEW)
        stats = live.memo(st).stats["search"]
    assert (stats.loaded, stats.built) == ((1, 0) if spoil == "none" else (0, 1))  # "none": the file as written


class _RawPickler(pickle.Pickler):
    """Pickles a SearchIndex with ``state`` as it is (no conversion on the way out)."""

    def __init__(self, f, state: dict):
        super().__init__(f)
        self.state = state

    def reducer_override(self, obj):
        if type(obj) is SearchIndex:
            return copyreg.__newobj__, (SearchIndex,), self.state  # NEWOBJ of SearchIndex, then this state
        return NotImplemented
