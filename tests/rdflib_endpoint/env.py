"""rdflib-endpoint (PyPI, MIT) in its own virtualenv, as a third SPARQL server for the remote backend.

rdflib-endpoint serves an rdflib Dataset over the SPARQL 1.1 protocol (query and update at ``/``).
It pins its own FastAPI/uvicorn stack, so it runs as a subprocess from a venv of its own, made
once per version in a cache folder (``GOVGRAPH_TEST_CACHE``, default ``~/.cache/govgraph-tests``)
and reused while its stamp file says it is complete; ``python tests/rdflib_endpoint/env.py``
makes it ahead of a test run (scripts/test.sh does). pip takes about 40 s.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

RDFLIB_ENDPOINT = "rdflib-endpoint[cli]==0.6.3"


def cache_dir() -> Path:
    root = os.environ.get("GOVGRAPH_TEST_CACHE") or str(Path.home() / ".cache" / "govgraph-tests")
    return Path(root) / ("rdflib-endpoint-" + RDFLIB_ENDPOINT.split("==")[1])


def rdflib_endpoint_exe() -> Path:
    """The ``rdflib-endpoint`` command of a venv holding it (made if missing or incomplete)."""
    base = cache_dir()
    exe, stamp = base / "venv" / "bin" / "rdflib-endpoint", base / "complete"
    if stamp.exists() and exe.exists():
        return exe
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    _run([sys.executable, "-m", "venv", str(base / "venv")])
    _run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          RDFLIB_ENDPOINT])
    _run([str(exe), "serve", "--help"])
    stamp.write_text(RDFLIB_ENDPOINT + "\n")
    return exe


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


if __name__ == "__main__":
    print(rdflib_endpoint_exe())
