"""govgraph as a new user installs it: a wheel, installed (not editable) into a fresh virtualenv, run
from an empty folder. Everything it reads at run time must ship inside the package.

Builds the wheel from this checkout, installs it with its dependencies into a new venv (pip takes
them from its cache or the package index), then from an empty directory: ``govgraph demo
--no-serve``, ``govgraph ingest-openlineage`` on an example event, and ``govgraph serve`` with a
token file, to which an event is POSTed (201).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from support import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT.parent / "shared" / "standards" / "openlineage" / "examples" / "client_python_serde_example_run_event.json"

pytestmark = pytest.mark.slow


def _run(args, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv holding govgraph installed from a wheel of this checkout."""
    base = tmp_path_factory.mktemp("install")
    # from a copy, so no build/ folder is left in the checkout (and none left there is reused)
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                                             "tests", "govgraph-data", "govgraph-demo"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(src)])
    wheels = list((base / "dist").glob("govgraph-*.whl"))
    assert len(wheels) == 1, wheels
    _run([sys.executable, "-m", "venv", str(base / "venv")])
    bin_dir = base / "venv" / "bin"
    _run([str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", str(wheels[0])])
    return bin_dir


def _env(bin_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVGRAPH_", "PYTHON"))}
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    return env


def test_the_wheel_holds_what_it_reads(installed):
    """The installed package is the wheel's (not this checkout) and holds its run-time files."""
    code = ("import govgraph, govgraph.io.openlineage as ol, pathlib; p = pathlib.Path(govgraph.__file__); "
            "print(p); print(ol.spec_dir()); print(sorted(x.name for x in (ol.spec_dir() / 'facets').glob('*.json'))[:3])")
    out = _run([str(installed / "python"), "-c", code], env=_env(installed), cwd=installed).stdout.splitlines()
    assert str(ROOT) not in out[0] and "site-packages" in out[0], out
    assert "site-packages" in out[1] and "facets" not in out[1], out
    assert out[2].startswith("['BaseSubsetDatasetFacet.json'"), out  # the facet schemas shipped


def test_demo_ingest_and_serve_from_an_empty_folder(installed, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    env = _env(installed)
    gg = str(installed / "govgraph")
    demo = _run([gg, "demo", "--no-serve", "--store", "oxigraph:estate"], cwd=work, env=env)
    assert "loaded the sample estate" in demo.stderr
    event = work / "event.json"
    event.write_text(EVENT.read_text("utf-8"))
    ing = _run([gg, "ingest-openlineage", str(event), "--store", "oxigraph:estate"], cwd=work, env=env)
    assert "schema" not in ing.stderr.lower() or "error" not in ing.stderr.lower(), ing.stderr

    tokens = work / "tokens"
    tokens.write_text("")
    add = _run([str(installed / "python"), "-m", "govgraph.auth", "add", str(tokens), "pipeline", "editor"],
               cwd=work, env=env)
    token = add.stdout.strip().splitlines()[-1].split()[-1]
    port = free_port()
    env["GOVGRAPH_TOKENS"] = str(tokens)
    proc = subprocess.Popen([gg, "serve", "--port", str(port), "--store", "oxigraph:estate"], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", seconds=60, proc=proc)
        body = json.loads(EVENT.read_text("utf-8"))
        body["run"]["runId"] = "3f5e83fa-3480-44ff-99c5-ff943904e5e9"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/lineage", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 201, r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
