"""Derived state kept on disk beside an embedded store (govgraph.kept_state): read after a restart when
it is this store's at a revision it has (as it is, or brought up to date by the changes since), and
ignored when it is corrupt, foreign, from a later revision or names a class outside govgraph."""
from __future__ import annotations

import pickle
import shutil

import pyoxigraph as ox
import pytest

from govgraph import kept_state, live
from govgraph.io.load import load_files
from govgraph.io.write import write_source
from govgraph.search_index import SEARCH_VIEW
from govgraph.shapes.kept import VALIDATION_VIEW
from govgraph.store import open_store
from support import BASE, ESTATE

TITLE = "http://purl.org/dc/terms/title"
RDF_TYPE, DATASET = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/ns/dcat#Dataset"
VIEWS = (SEARCH_VIEW, VALIDATION_VIEW)


def _state(v, s) -> tuple:
    if v is SEARCH_VIEW:
        return s.entries, s.labels, s.kind_counts, s.tokens, s.all_counts
    return sorted(s.report.findings, key=lambda f: f.sort_key() + (f.message,)), s.report.scorecard, s.by_focus


def _warm(store) -> None:
    for v in VIEWS:
        live.view(store, v)
    assert live.memo(store).disk.idle()


def _made(store) -> dict:
    """How each view was made when first asked for, and that it equals a fresh build."""
    for v in VIEWS:
        assert _state(v, live.view(store, v)) == _state(v, v.build(store))
    return {v.name: live.memo(store).stats[v.name] for v in VIEWS}


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "store"
    with open_store(f"oxigraph:{path}") as st:
        load_files(st, [ESTATE], force=True)
        _warm(st)
    return path


def test_a_restart_reads_the_kept_state(folder):
    files = sorted(p.name for p in (folder / kept_state.FOLDER).iterdir())
    assert files == ["search.pickle", "search.summary.pickle", "validation.pickle"]
    assert oct((folder / kept_state.FOLDER / "search.pickle").stat().st_mode & 0o777) == "0o600"
    with open_store(f"oxigraph:{folder}") as st:
        made = _made(st)
    assert all(s.loaded == 1 and s.built == 0 and s.applied == 0 for s in made.values()), made


def test_a_state_kept_at_an_earlier_revision_is_brought_up_to_date(folder):
    with open_store(f"oxigraph:{folder}") as st:  # a write by a process that did not keep the views
        st.memo = live.Memo()
        new = ox.NamedNode(BASE + "dataset/gritting-notes")
        write_source(st, "added", [ox.Triple(new, ox.NamedNode(TITLE), ox.Literal("Gritting notes")),
                                   ox.Triple(new, ox.NamedNode(RDF_TYPE), ox.NamedNode(DATASET))],
                     who="test", force=True, may_remove=True)
    with open_store(f"oxigraph:{folder}") as st:
        made = _made(st)
        assert any(e.label == "Gritting notes" for e in live.view(st, SEARCH_VIEW).entries)
        assert live.view(st, VALIDATION_VIEW).by_focus[BASE + "dataset/gritting-notes"]  # no owner ...
    assert all(s.loaded == 1 and s.applied == 1 and s.built == 0 for s in made.values()), made


def _call(module: str, name: str, arg: str) -> bytes:
    """A pickle calling ``module``.``name``(arg) (protocol 4: STACK_GLOBAL, then REDUCE)."""
    def text(s: str) -> bytes:
        b = s.encode()
        return b"\x8c" + bytes([len(b)]) + b
    return b"\x80\x04" + text(module) + text(name) + b"\x93" + text(arg) + b"\x85R."


@pytest.mark.parametrize("spoil", ["corrupt", "truncated", "later", "foreign", "function", "dotted"])
def test_a_file_that_does_not_match_is_ignored(folder, tmp_path, spoil):
    kept = folder / kept_state.FOLDER / "search.pickle"
    if spoil == "corrupt":
        kept.write_bytes(b"not a pickle at all")
    elif spoil == "truncated":
        kept.write_bytes(kept.read_bytes()[:-200])
    elif spoil == "later":  # a header naming a revision this store has not reached
        with open(kept, "rb") as f:
            head, state = pickle.load(f), pickle.load(f)
        with open(kept, "wb") as f:
            pickle.dump(head[:3] + (head[3] + 5, head[4]), f), pickle.dump(state, f)
    elif spoil == "foreign":  # another store with as many commits: its file does not name this store's record
        other = tmp_path / "other"
        with open_store(f"oxigraph:{other}") as st:
            load_files(st, [ESTATE], force=True)
            _warm(st)
        shutil.copy(other / kept_state.FOLDER / "search.pickle", kept)
    else:  # a state calling a function, directly or through a registered module's imports: nothing runs
        marker = tmp_path / "ran"
        call = _call("os", "system", f"touch {marker}") if spoil == "function" else \
            _call("govgraph.kept_state", "os.system", f"touch {marker}")
        with open(kept, "rb") as f:
            head = pickle.load(f)
        with open(kept, "wb") as f:
            pickle.dump(head, f), f.write(call)
        assert pickle.loads(call) == 0 and marker.exists()  # the pickle does run with an ordinary unpickler
        marker.unlink()
    with open_store(f"oxigraph:{folder}") as st:
        made = _made(st)
    assert not (tmp_path / "ran").exists()
    assert made["search"].loaded == 0 and made["search"].built == 1, made
    assert made["validation"].loaded == 1 and made["validation"].built == 0, made


def test_memory_and_views_without_a_key_keep_nothing_on_disk(tmp_path):
    with open_store("memory:") as st:
        assert live.memo(st).disk is None
    assert kept_state.folder_of(open_store(f"oxigraph:{tmp_path / 's'}")) == tmp_path / "s" / kept_state.FOLDER


def test_a_state_is_pickled_in_a_child_process_not_holding_this_one(folder, monkeypatch):
    """Pickling holds the interpreter lock throughout (the 100k search index: about 4 s in which no page is
    answered), so a state is pickled in a forked child: a thread of this process keeps running meanwhile (its
    longest pause is a fraction of the pause pickling it here causes), and the file reads back the same."""
    import threading
    import time
    state = [(i, str(i), float(i)) for i in range(1_200_000)]

    def longest_pause(fork: bool) -> float:
        monkeypatch.setattr(kept_state, "FORK", fork)
        with open_store(f"oxigraph:{folder}") as st:
            keeper = live.memo(st).disk
            ticks, stop = [time.perf_counter()], threading.Event()

            def tick():
                while not stop.is_set():
                    time.sleep(0.001)
                    ticks.append(time.perf_counter())
            t = threading.Thread(target=tick)
            t.start()
            time.sleep(0.05)
            keeper.save_later(st, f"probe-{fork}", "k", st.revision, state, True, None)
            assert keeper.idle(120)
            stop.set()
            t.join()
            assert keeper.load(st, f"probe-{fork}", "k") == (st.revision, state)
        return max(b - a for a, b in zip(ticks, ticks[1:]))

    in_thread, forked = longest_pause(False), longest_pause(True)
    print(f"longest pause: pickled here {in_thread:.3f} s, in a child {forked:.3f} s")
    assert in_thread > 0.2, in_thread  # pickling here stops the other thread
    assert forked < in_thread / 3, (forked, in_thread)


def test_states_due_together_are_written_by_one_child(folder, monkeypatch):
    """States due in the same round are pickled by one forked child (each child costs this process a copy of
    every page it writes to while the child lives), taken while every state's lock is held; a lock held
    elsewhere for longer than LOCKS_WAIT sends them one child each instead. Each file reads back as saved."""
    import os
    import threading
    forks = []
    real_fork = os.fork

    def counted_fork():
        forks.append(1)
        return real_fork()
    monkeypatch.setattr(os, "fork", counted_fork)
    monkeypatch.setattr(kept_state, "FORK", True)
    monkeypatch.setattr(kept_state, "LOCKS_WAIT", 0.2)
    with open_store(f"oxigraph:{folder}") as st:
        keeper = live.memo(st).disk
        locks = [threading.Lock(), threading.Lock(), None]
        states = {f"probe-{i}": {"n": i, "words": ["x"] * i} for i in range(3)}
        for (name, state), lock in zip(states.items(), locks):
            keeper.save_later(st, name, "k", st.revision, state, True, lock)
        assert keeper.idle(60)
        assert len(forks) == 1 and not any(lk.locked() for lk in locks[:2])
        for name, state in states.items():
            assert keeper.load(st, name, "k") == (st.revision, state)

        forks.clear()
        locks[0].acquire()  # held by someone else: the others cannot be taken with it
        threading.Timer(1.0, locks[0].release).start()
        for (name, state), lock in zip(states.items(), locks):
            keeper.save_later(st, name, "k2", st.revision, state, True, lock)
        assert keeper.idle(60)
        assert len(forks) == 3  # one by one, the first waiting for its lock
        for name, state in states.items():
            assert keeper.load(st, name, "k2") == (st.revision, state)


def test_applied_states_are_written_less_often_while_commits_keep_coming(folder, monkeypatch):
    """An applied state is written at most every SAVE_EVERY s, and at most every SAVE_EVERY_BUSY s while the view
    applies commits less than BUSY s apart (each write forks a child that costs this process page copies)."""
    monkeypatch.setattr(kept_state, "SAVE_EVERY", 0.0)
    monkeypatch.setattr(kept_state, "SAVE_EVERY_BUSY", 3600.0)
    monkeypatch.setattr(kept_state, "BUSY", 3600.0)
    with open_store(f"oxigraph:{folder}") as st:
        keeper = live.memo(st).disk
        keeper.save_later(st, "probe", "k", st.revision, {"n": 1}, False, None)  # the first application: not busy
        assert keeper.idle(60) and keeper.load(st, "probe", "k") == (st.revision, {"n": 1})
        keeper.save_later(st, "probe", "k", st.revision, {"n": 2}, False, None)  # the next, at once: busy
        assert keeper.idle(60) and keeper.load(st, "probe", "k") == (st.revision, {"n": 1})
        monkeypatch.setattr(kept_state, "BUSY", 0.0)  # commits no longer close together: written again
        keeper.save_later(st, "probe", "k", st.revision, {"n": 3}, False, None)
        assert keeper.idle(60) and keeper.load(st, "probe", "k") == (st.revision, {"n": 3})
