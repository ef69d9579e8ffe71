"""Removing a large source: atomic to concurrent readers, history kept, kill -9 at any point safe.

The removal's work goes in batches outside its one small commit (see ``Store.remove_source``):
on the embedded store the triples stay where they were until the name is loaded again, on a
shared server they are copied out and the graph emptied. These tests watch from another thread
(current state and an as-of view of the past) while that work runs, and kill -9 real processes
in the middle of it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import govgraph.backends.embedded as embedded
import govgraph.backends.remote as remote
from govgraph.history import store_asof
from govgraph.store import open_store

N = 6_000  # triples of the big source: several batches at the batch sizes set below
KEEP = b"@prefix ex: <http://ex/> . ex:keep ex:p ex:q ."


def big(version: int) -> bytes:
    return "".join(f'<http://ex/s{i}> <http://ex/p{i % 5}> "v{version} {i}" .\n' for i in range(N)).encode()


def write(store, name: str, data: bytes, fmt: str = "ntriples"):
    with store.begin(name) as txn:
        txn.load(data=data, fmt=fmt)
        return txn.commit()


def visible(store) -> int:
    return int(store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])


class Watcher:
    """Reads the store from another thread until stopped; records every state it saw."""

    def __init__(self, read):
        self.read, self.seen, self.errors = read, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 300  # stops by itself
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self.seen.append(self.read())
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))

    def __enter__(self) -> "Watcher":
        self._thread.start()
        while not self.seen and not self.errors and self._thread.is_alive():
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(embedded, "COPY_BATCH", 500)
    monkeypatch.setattr(embedded, "EMPTY_BATCH", 500)
    monkeypatch.setattr(remote, "MOVE_BATCH", 500)


def test_remove_then_load_again_atomic_to_readers_and_history(any_store, small_batches):
    st = any_store
    write(st, "keep", KEEP, "turtle")
    loaded = write(st, "big", big(1))
    assert visible(st) == N + 1
    with Watcher(lambda: visible(st)) as now:
        removal = st.remove_source("big")
    assert now.errors == [] and set(now.seen) <= {N + 1, 1} and now.seen[-1] in (N + 1, 1), set(now.seen)
    assert visible(st) == 1 and [s.name for s in st.sources()] == ["keep"]
    assert removal.removed == N

    def past() -> int:  # the estate just after the first load, rebuilt from the kept triples
        return visible(store_asof(st, loaded.at))

    assert past() == N + 1
    # loading the name again moves the removal's kept triples out of the way, in batches,
    # while a reader of the present and one of the past watch
    with Watcher(lambda: visible(st)) as now, Watcher(past) as then:
        write(st, "big", big(2))
    assert now.errors == [] and set(now.seen) <= {1, N + 1}, set(now.seen)
    assert then.errors == [] and set(then.seen) == {N + 1}, set(then.seen)
    assert visible(st) == N + 1
    old = store_asof(st, loaded.at).select('SELECT ?o WHERE { <http://ex/s7> ?p ?o }')
    assert [str(r["o"]) for r in old] == ["v1 7"]
    assert [s.name for s in store_asof(st, removal.at).sources()] == ["keep"]
    # nothing but the live sources and the history's graphs is left (on a server, the removal's
    # copy is a hidden graph its change record names)
    graphs = {g.value for g in st.named_graphs()}
    hidden = {g for g in graphs if g.startswith("urn:govgraph:staging:")}
    assert hidden == {r.kept for r in st.history() if r.kept.startswith("urn:govgraph:staging:")}, graphs
    assert len(hidden) == (1 if st.remote else 0)
    assert sum(1 for g in graphs if g.startswith("urn:govgraph:source:")) == 2


# the child prints "ready" when the work to interrupt starts: the kill lands at a fraction of that work
REMOVE = ("import os, sys; from govgraph.store import open_store; import govgraph.backends.remote as r; "
          "r.MOVE_BATCH = 2_000; s = open_store(os.environ['GOVGRAPH_STORE']); print('ready', flush=True); "
          "s.remove_source('big'); s.close()")
RELOAD = ("import os, sys; from govgraph.store import open_store; import govgraph.backends.embedded as e; "
          "e.COPY_BATCH = e.EMPTY_BATCH = 2_000; s = open_store(os.environ['GOVGRAPH_STORE']); print('ready', flush=True); "
          "t = s.begin('big'); t.load(path=sys.argv[1], fmt='ntriples'); t.commit(); s.close()")
M = 40_000  # triples of the source the kill tests remove


def large(version: int) -> bytes:
    return "".join(f'<http://ex/s{i}> <http://ex/p{i % 5}> "v{version} {i}" .\n' for i in range(M)).encode()


def _run(cmd: list[str], env: dict, kill_at: float | None = None) -> float:
    """Run ``cmd`` until it prints "ready", then to its end (returns the seconds since) or kill -9 it
    ``kill_at`` seconds after."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        if kill_at is None:
            assert proc.wait(300) == 0
            return time.monotonic() - t0
        time.sleep(kill_at)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        return kill_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8])
def test_kill_9_while_loading_a_removed_name_again(tmp_path, fraction):
    """Embedded: kill -9 while a new load of a removed source's name moves the kept triples away."""
    data = tmp_path / "big.nt"
    data.write_bytes(large(2))
    cmd = [sys.executable, "-c", RELOAD, str(data)]

    def prepare(folder: str):
        url = f"oxigraph:{tmp_path / folder}"
        s = open_store(url)
        write(s, "keep", KEEP, "turtle")
        loaded = write(s, "big", large(1))
        s.remove_source("big")
        s.close()
        return url, loaded

    probe, _ = prepare("probe")
    full = _run(cmd, dict(os.environ, GOVGRAPH_STORE=probe))
    url, loaded = prepare("store")
    _run(cmd, dict(os.environ, GOVGRAPH_STORE=url), kill_at=full * fraction)

    s = open_store(url)  # sweeps what the stopped load left
    try:
        names = {x.name: x.triples for x in s.sources()}
        assert names in ({"keep": 1}, {"keep": 1, "big": M}), names
        assert visible(s) == 1 + names.get("big", 0)
        past = store_asof(s, loaded.at)
        assert visible(past) == M + 1
        assert [str(r["o"]) for r in past.select('SELECT ?o WHERE { <http://ex/s9> ?p ?o }')] == ["v1 9"]
        if "big" not in names:  # load it again: the history survives that too
            write(s, "big", large(2))
            assert visible(store_asof(s, loaded.at)) == M + 1
    finally:
        s.close()


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8])
def test_kill_9_during_a_removal_on_a_shared_server(oxigraph_server, fraction):
    """Remote: kill -9 the removing process while it copies or empties in batches; the source is fully
    there or fully gone, and its history complete."""
    url = oxigraph_server.store_url
    cmd = [sys.executable, "-c", REMOVE]

    def prepare():
        s = open_store(url)
        s.clear()
        write(s, "keep", KEEP, "turtle")
        loaded = write(s, "big", large(1))
        s.close()
        return loaded

    prepare()
    full = _run(cmd, dict(os.environ, GOVGRAPH_STORE=url))
    loaded = prepare()
    _run(cmd, dict(os.environ, GOVGRAPH_STORE=url), kill_at=full * fraction)

    s = open_store(url)
    try:
        names = {x.name: x.triples for x in s.sources()}
        assert names in ({"keep": 1}, {"keep": 1, "big": M}), names
        assert visible(s) == 1 + names.get("big", 0)
        assert visible(store_asof(s, loaded.at)) == M + 1
    finally:
        s.close()
