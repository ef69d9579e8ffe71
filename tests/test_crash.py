"""Crash safety: kill -9 a real `govgraph load` at several points; nothing half-loaded survives."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from govgraph.store import open_store


def quads_except(store, prefix: str) -> list[str]:
    return sorted(str(q) for q in store.quads() if not q.graph_name.value.startswith(prefix))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("crash") / "big.nt"
    with open(path, "w") as f:
        for i in range(300_000):
            f.write(f'<http://ex/s{i}> <http://ex/p{i % 7}> "value {i}" .\n')
    return path


_FULL: list[float] = []


def load_seconds(cmd: list[str], tmp_path) -> float:
    """How long an uninterrupted load takes on this machine (measured once), to place the kills."""
    if not _FULL:
        t0 = time.monotonic()
        subprocess.run(cmd, env=dict(os.environ, GOVGRAPH_STORE=f"oxigraph:{tmp_path / 'probe'}"), check=True,
                       capture_output=True)
        _FULL.append(time.monotonic() - t0)
    return _FULL[0]


@pytest.mark.parametrize("fraction", [0.15, 0.5, 0.9])
def test_kill_9_during_a_large_import(tmp_path, big_file, fraction):
    url = f"oxigraph:{tmp_path / 'store'}"
    s = open_store(url)
    good = tmp_path / "good.ttl"
    good.write_bytes(b"@prefix ex: <http://ex/> . ex:keep ex:p ex:q ; ex:r _:b . _:b ex:s 1 .")
    from govgraph.io.load import load_files
    load_files(s, [good], validate=False)
    s.close()
    s = open_store(url)
    before = sorted(str(q) for q in s.quads())
    s.close()

    env = dict(os.environ, GOVGRAPH_STORE=url)
    # the unvalidated load path: the kill points then fall in parsing, staging and commit
    cmd = [sys.executable, "-c",
           "import os, sys; from govgraph.io.load import load_files; from govgraph.store import open_store; "
           "s = open_store(os.environ['GOVGRAPH_STORE']); load_files(s, [sys.argv[1]], source='big', validate=False); s.close()",
           str(big_file)]
    full = load_seconds(cmd, tmp_path)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(full * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    s = open_store(url)
    try:
        names = {x.name: x.triples for x in s.sources()}
        assert names.get("good.ttl") == 3
        assert names.get("big") in (None, 300_000), names
        # every other source intact, quad for quad (the audit/meta graphs only gain entries)
        assert [q for q in sorted(str(q) for q in s.quads()) if "urn:govgraph:source:good.ttl" in q] == \
            [q for q in before if "urn:govgraph:source:good.ttl" in q]
        leftovers = [g.value for g in s.named_graphs()
                     if g.value.startswith(("urn:govgraph:staging:", "urn:govgraph:source:big")) and "big" not in names]
        assert leftovers == []
        visible = s.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].toPython()
        assert visible == 3 + (names.get("big") or 0)
    finally:
        s.close()
