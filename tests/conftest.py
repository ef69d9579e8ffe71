"""Shared fixtures: real stores (in memory and on disk) and the sample estate loaded once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govgraph.store import Store, open_store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def memory_store() -> Store:
    """An empty in-memory Oxigraph store."""
    s = open_store("memory:")
    yield s
    s.close()


@pytest.fixture
def disk_store(tmp_path) -> Store:
    """An empty embedded Oxigraph store on disk, in a temporary folder."""
    s = open_store(f"oxigraph:{tmp_path / 'store'}")
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """A store folder holding the sample estate, built once per test run (copy it to write)."""
    from govgraph.data.estate import load_sample
    path = tmp_path_factory.mktemp("sample") / "store"
    s = open_store(f"oxigraph:{path}")
    load_sample(s)
    s.close()
    return path


@pytest.fixture
def sample_store(sample_store_path, tmp_path) -> Store:
    """A private on-disk copy of the sample estate store, safe to write to."""
    path = tmp_path / "sample-store"
    shutil.copytree(sample_store_path, path)
    s = open_store(f"oxigraph:{path}")
    yield s
    s.close()


# ----------------------------------------------------------------------------- remote SPARQL server

from support import OxigraphServer, free_port  # noqa: E402


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> OxigraphServer:
    """One `oxigraph serve` process for the whole run (tests empty it before use)."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server")).start()
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "remote"])
def any_store(request, tmp_path) -> Store:
    """An empty store on each backend: embedded Oxigraph on disk, and a real `oxigraph serve`."""
    if request.param == "embedded":
        s = open_store(f"oxigraph:{tmp_path / 'store'}")
    else:
        server = request.getfixturevalue("oxigraph_server")
        s = open_store(server.store_url)
        s.clear()
    yield s
    s.close()
