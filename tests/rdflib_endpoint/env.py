"""rdflib-endpoint (PyPI, MIT) in its own virtualenv, as a third SPARQL server for the remote backend.

rdflib-endpoint serves an rdflib Dataset over the SPARQL 1.1 protocol (query and update at ``/``).
It pins its own FastAPI/uvicorn stack, so it runs as a subprocess from a venv of its own, made
once per version in a cache folder (``tests/cached_venv.py``); ``python tests/cached_venv.py
rdflib_endpoint.env`` makes it ahead of a test run (scripts/test.sh does). pip takes about 40 s.
"""
from __future__ import annotations

from pathlib import Path

from cached_venv import CachedVenv

RDFLIB_ENDPOINT = "rdflib-endpoint[cli]==0.6.3"
VENV = CachedVenv("rdflib-endpoint-" + RDFLIB_ENDPOINT.split("==")[1], (RDFLIB_ENDPOINT,),
                  ("rdflib-endpoint", "serve", "--help"))


def rdflib_endpoint_exe() -> Path:
    """The ``rdflib-endpoint`` command of a venv holding it (made if missing or incomplete)."""
    return VENV.ready() / "rdflib-endpoint"
