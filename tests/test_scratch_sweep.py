"""Scratch folders beside a store (query snapshots, as-of copies) after kill -9 of `govgraph serve`:
the next open removes a dead server's, never a live one's."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from support import free_port, wait_for_http

from govgraph import scratch
from govgraph.store import open_store

FIX = Path(__file__).parent / "fixtures" / "io"
GOVGRAPH = str(Path(sys.executable).parent / "govgraph")  # this environment's command
KINDS = (".govgraph-snapshots-", ".govgraph-copies-")


def scratch_dirs(parent: Path) -> set[str]:
    return {p.name for p in parent.iterdir() if p.name.startswith(KINDS)}


def serve(store: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, GOVGRAPH_STORE=f"oxigraph:{store}")
    subprocess.run([GOVGRAPH, "load", str(FIX / "small.ttl")], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([GOVGRAPH, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/", proc=proc)
    # a query (a snapshot of the store) and one over the estate as of today (a copy)
    for extra in ({}, {"asof": time.strftime("%Y-%m-%d", time.gmtime())}):
        q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **extra})
        with urllib.request.urlopen(f"{base}/sparql?{q}", timeout=60) as r:
            assert r.status == 200
    return proc, base


def test_kill_9_of_serve_leaves_folders_the_next_open_sweeps_but_not_a_live_servers(tmp_path):
    dead, dead_url = serve(tmp_path / "a")
    live, live_url = serve(tmp_path / "b")  # another store in the same folder, still serving
    try:
        both = scratch_dirs(tmp_path)
        assert {k for k in KINDS if any(n.startswith(k) for n in both)} == set(KINDS), both
        dead.send_signal(signal.SIGKILL)
        dead.wait(10)
        assert scratch_dirs(tmp_path) == both  # left behind by the kill
        s = open_store(f"oxigraph:{tmp_path / 'a'}")  # the next open of the dead server's store
        s.close()
        kept = scratch_dirs(tmp_path)
        assert kept and kept < both, (both, kept)
        # what is left is the live server's, and it still answers from it
        assert set(scratch.sweep(tmp_path)) == set()
        q = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        with urllib.request.urlopen(f"{live_url}/sparql?{q}", timeout=60) as r:
            assert r.status == 200
        live.terminate()  # SIGTERM ends serve without its exit handlers: its folders stay too ...
        live.wait(30)
        assert set(scratch.sweep(tmp_path)) == {str(tmp_path / n) for n in kept}  # ... and go now
        assert scratch_dirs(tmp_path) == set()
    finally:
        for p in (dead, live):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_an_unlocked_folder_is_left_while_young(tmp_path):
    """A folder with no lock file (being made, or by an older version) is swept only once it is old."""
    young, old = tmp_path / ".govgraph-copies-young", tmp_path / ".govgraph-snapshots-old"
    young.mkdir()
    old.mkdir()
    (old / "file").write_bytes(b"x")
    then = time.time() - 2 * scratch.UNLOCKED_MAX_AGE
    os.utime(old, (then, then))
    assert scratch.sweep(tmp_path) == [str(old)]
    assert young.exists() and not old.exists()
