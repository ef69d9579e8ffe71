"""After a restart (govgraph.kept_state, govgraph.live): what a page needs of a kept view is read without the
rest. Kept summaries (the search index's kind counts, the asset scores) answer the dashboard before the states
they come from are read, and only when they name this store at its current revision and have their shape; a
validation report kept for the current revision is read by the page rather than run in the background; and
a served app reads the kept views in the background (prefetch). A tampered or stale file is refused."""
from __future__ import annotations

import pickle
import time

import pyoxigraph as ox
import pytest

from govgraph import kept_state, live
from govgraph.io.load import load_files
from govgraph.io.write import write_source
from govgraph.search_index import SEARCH_VIEW, kind_counts
from govgraph.shapes import asset_scores
from govgraph.shapes.asset_scores import ASSET_SCORES_VIEW
from govgraph.shapes.kept import VALIDATION_VIEW, kept_report
from govgraph.store import open_store
from govgraph.webapp import create_app, findings
from support import BASE, ESTATE

TITLE = "http://purl.org/dc/terms/title"
RDF_TYPE, DATASET = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/ns/dcat#Dataset"


@pytest.fixture
def folder(tmp_path):
    """A store whose search index, validation report and asset scores are kept on disk."""
    path = tmp_path / "store"
    with open_store(f"oxigraph:{path}") as st:
        load_files(st, [ESTATE], force=True)
        asset_scores.asset_scores(st)  # reads the search index and the validation report too
        assert live.memo(st).disk.idle()
    return path


@pytest.fixture
def later_prefetch(monkeypatch):
    """Kept states read in the background only long after the test (a summary is seen answering alone)."""
    monkeypatch.setattr(live, "PREFETCH_DELAY", 600.0)


def _kept(folder, name: str):
    return folder / kept_state.FOLDER / f"{name}.pickle"


def _rewrite(path, data: bytes) -> None:
    """Keep ``path``'s header (this store, this revision) and put ``data`` after it."""
    with open(path, "rb") as f:
        head = pickle.load(f)
    with open(path, "wb") as f:
        pickle.dump(head, f)
        f.write(data)


def _write_elsewhere(folder) -> None:
    """A commit by a process that keeps no views: the kept files now name an earlier revision."""
    with open_store(f"oxigraph:{folder}") as st:
        st.memo = live.Memo()
        new = ox.NamedNode(BASE + "dataset/gritting-notes")
        write_source(st, "added", [ox.Triple(new, ox.NamedNode(TITLE), ox.Literal("Gritting notes")),
                                   ox.Triple(new, ox.NamedNode(RDF_TYPE), ox.NamedNode(DATASET))],
                     who="test", force=True, may_remove=True)


def test_summaries_are_kept_beside_their_states(folder):
    names = sorted(p.name for p in (folder / kept_state.FOLDER).iterdir())
    assert names == ["asset-scores.pickle", "asset-scores.summary.pickle", "search.pickle", "search.summary.pickle",
                     "validation.pickle"]
    assert oct(_kept(folder, "search.summary").stat().st_mode & 0o777) == "0o600"


def test_a_restart_answers_counts_and_scores_from_the_kept_summaries(folder, later_prefetch):
    with open_store(f"oxigraph:{folder}") as st:
        counts, scores = kind_counts(st), asset_scores.asset_scores(st)
        m = live.memo(st)
        assert "search" not in m.kept and "asset-scores" not in m.kept  # neither state was read
        assert counts["dataset"] > 0 and any(s.assets for s in scores.values())
        assert counts == SEARCH_VIEW.build(st).kind_counts
        assert scores == asset_scores.count(st, kept_report(st))


@pytest.mark.parametrize("spoil", ["negative", "wrong type", "function", "truncated"])
def test_a_tampered_summary_is_refused(folder, tmp_path, later_prefetch, spoil):
    path = _kept(folder, "search.summary")
    if spoil == "negative":
        _rewrite(path, pickle.dumps({"dataset": -3}))
    elif spoil == "wrong type":
        _rewrite(path, pickle.dumps(["dataset", 3]))
    elif spoil == "function":  # os.system("touch ...") as a pickle: the restricted unpickler makes no function
        marker = tmp_path / "ran"
        arg = f"touch {marker}".encode()
        _rewrite(path, b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(arg)]) + arg + b"\x85R.")
    else:
        path.write_bytes(path.read_bytes()[:-10])
    with open_store(f"oxigraph:{folder}") as st:
        assert kind_counts(st) == SEARCH_VIEW.build(st).kind_counts  # from the index itself
        assert live.memo(st).stats["search"].loaded == 1
    assert not (tmp_path / "ran").exists()


def test_a_summary_of_an_earlier_revision_is_not_used(folder, later_prefetch):
    with open(_kept(folder, "search.summary"), "rb") as f:
        pickle.load(f)
        stale = pickle.load(f)
    _write_elsewhere(folder)
    with open_store(f"oxigraph:{folder}") as st:
        counts = kind_counts(st)
        m = live.memo(st)
        assert m.stats["search"].loaded == 1 and m.stats["search"].applied == 1  # the kept index, brought up to date
        assert counts == SEARCH_VIEW.build(st).kind_counts != stale  # one more dataset than the kept summary says
        assert m.disk.idle()


def test_an_applied_state_keeps_its_summary_at_once(folder, later_prefetch):
    """The state applied after a write is written again only every SAVE_EVERY seconds; its summary at once, so
    the dashboard after a restart that follows a write need not read the index either."""
    _write_elsewhere(folder)
    with open_store(f"oxigraph:{folder}") as st:
        live.view(st, SEARCH_VIEW)  # read (earlier revision) and applied
        assert live.memo(st).disk.load_summary(st, "search", SEARCH_VIEW.key()) == SEARCH_VIEW.build(st).kind_counts
        assert live.memo(st).disk.kept_revision(st, "search", SEARCH_VIEW.key()) == st.revision - 1
    with open_store(f"oxigraph:{folder}") as st:
        assert kind_counts(st) == SEARCH_VIEW.build(st).kind_counts and "search" not in live.memo(st).kept


def test_a_state_read_without_a_summary_writes_one(folder, later_prefetch):
    _kept(folder, "search.summary").unlink()
    with open_store(f"oxigraph:{folder}") as st:
        live.view(st, SEARCH_VIEW)
        kept = live.memo(st).disk.load_summary(st, "search", SEARCH_VIEW.key())
        assert kept == live.view(st, SEARCH_VIEW).kind_counts


def test_a_report_kept_for_this_revision_is_read_by_the_page(folder, monkeypatch):
    monkeypatch.setattr(findings, "SYNC_LIMIT", 0)  # as for a large estate: nothing kept would run in the background
    with open_store(f"oxigraph:{folder}") as st:
        assert live.memo(st).kept_on_disk(st, VALIDATION_VIEW)
        page = create_app({"STORE": st}).test_client().get("/validation").get_data(as_text=True)
        assert "is running" not in page and "tag-violation" in page
        assert live.memo(st).stats["validation"].loaded == 1
    _write_elsewhere(folder)
    with open_store(f"oxigraph:{folder}") as st:  # kept for an earlier revision: run in the background, as before
        assert not live.memo(st).kept_on_disk(st, VALIDATION_VIEW)
        page = create_app({"STORE": st}).test_client().get("/validation").get_data(as_text=True)
        assert "tag-violation" not in page  # answered without the report (it may be done by the time the page says so)
        deadline = time.monotonic() + 120
        while findings.pending(st) and time.monotonic() < deadline:
            time.sleep(0.1)


def test_a_served_app_reads_the_kept_views_in_the_background(folder, monkeypatch):
    monkeypatch.setattr(live, "PREFETCH_DELAY", 0.0)
    with open_store(f"oxigraph:{folder}") as st:
        create_app({"STORE": st, "LIVE_FOLLOW": True})
        m = live.memo(st)
        deadline = time.monotonic() + 120
        names = ("asset-scores", "search", "validation")
        while not all(n in m.kept for n in names) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(m.stats[n].loaded == 1 and m.stats[n].built == 0 for n in names), m.stats
        assert live.view(st, ASSET_SCORES_VIEW).scores == asset_scores.count(st, kept_report(st))
        m.follow = False
