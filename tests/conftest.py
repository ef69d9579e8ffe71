"""Shared fixtures: real stores (in memory and on disk) and the sample estate loaded once."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from govgraph.store import Store, open_store
from support import OxigraphServer, VirtuosoServer, free_port  # noqa: E402,F401

#: The store backends every integration test runs on: embedded Oxigraph, and `oxigraph serve`
#: ("remote"). GOVGRAPH_TEST_BACKENDS=embedded,remote,virtuoso adds Virtuoso 7 to the whole
#: matrix (tests/test_virtuoso.py runs the core flows on it in every run).
BACKENDS = (os.environ.get("GOVGRAPH_TEST_BACKENDS") or "embedded,remote").split(",")

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


@pytest.fixture(scope="session")
def sample_server_path(sample_store_path, tmp_path_factory) -> Path:
    """An `oxigraph serve` data folder holding exactly the quads of the sample store (copy it to serve)."""
    import subprocess
    import pyoxigraph as ox
    d = tmp_path_factory.mktemp("sample-server")
    s = open_store(f"oxigraph:{sample_store_path}")
    dump = d / "sample.nq"
    with open(dump, "wb") as f:
        ox.serialize(s.quads(), f, ox.RdfFormat.N_QUADS)
    s.close()
    subprocess.run([shutil.which("oxigraph"), "load", "--location", str(d / "server"), "--file", str(dump)],
                   check=True, capture_output=True)
    return d / "server"


def _open_sample(backend: str, base: Path, request) -> tuple[Store, "OxigraphServer | None"]:
    """A private writable copy of the sample estate on ``backend`` (in ``base``), and its server if remote."""
    if backend == "embedded":
        path = base / "sample-store"
        shutil.copytree(request.getfixturevalue("sample_store_path"), path)
        return open_store(f"oxigraph:{path}"), None
    if backend == "virtuoso":
        import pyoxigraph as ox
        server = VirtuosoServer(base / "sample-virtuoso").start()
        dump = request.getfixturevalue("sample_server_path").parent / "sample.nq"
        s = open_store(server.store_url)
        s.backend.extend(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
        s.close()
        return open_store(server.store_url), server
    path = base / "sample-server"
    shutil.copytree(request.getfixturevalue("sample_server_path"), path)
    server = OxigraphServer(path).start()
    return open_store(server.store_url), server


@pytest.fixture(scope="session")
def open_sample():
    """The function opening a private copy of the sample estate on a backend (for module fixtures elsewhere)."""
    return _open_sample


@contextlib.contextmanager
def _sample(backend: str, base: Path, request) -> Iterator[Store]:
    """``_open_sample`` as a block: the store is closed and its server stopped on leaving."""
    s, server = _open_sample(backend, base, request)
    try:
        yield s
    finally:
        s.close()
        if server:
            server.stop()


@pytest.fixture(params=BACKENDS)
def sample_store(request, tmp_path) -> Store:
    """A private copy of the sample estate, safe to write to: embedded on disk, and on a real `oxigraph serve`."""
    with _sample(request.param, tmp_path, request) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def sample_store_url(request, tmp_path) -> str:
    """The URL of a private copy of the sample estate on each backend, not held open (for the CLI)."""
    s, server = _open_sample(request.param, tmp_path, request)
    s.close()
    yield s.url
    if server:
        server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def module_sample_store(request, tmp_path_factory) -> Store:
    """One copy of the sample estate per test module and backend (for tests that only read, or tidy up)."""
    with _sample(request.param, tmp_path_factory.mktemp("module-sample"), request) as s:
        yield s


# ----------------------------------------------------------------------------- remote SPARQL server

@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> OxigraphServer:
    """One `oxigraph serve` process for the whole run (tests empty it before use)."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory) -> VirtuosoServer:
    """One Virtuoso 7 server for the whole run (tests empty it before use)."""
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso-server")).start()
    yield server
    server.stop()


def _shared_server(kind: str, request):
    return request.getfixturevalue("virtuoso_server" if kind == "virtuoso" else "oxigraph_server")


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path) -> Store:
    """An empty store on each backend: embedded Oxigraph on disk, and a real `oxigraph serve`."""
    if request.param == "embedded":
        s = open_store(f"oxigraph:{tmp_path / 'store'}")
    else:
        server = _shared_server(request.param, request)
        s = open_store(server.store_url)
        s.clear()
    yield s
    s.close()


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request, tmp_path_factory) -> Store:
    """An empty store per test module on each backend (remote: a real `oxigraph serve` of its own)."""
    d = tmp_path_factory.mktemp("module-store")
    server = None
    if request.param == "embedded":
        s = open_store(f"oxigraph:{d / 'store'}")
    elif request.param == "virtuoso":
        server = VirtuosoServer(d / "server").start()
        s = open_store(server.store_url)
    else:
        # the server's own query time limit, as docs/deployment.md advises (govgraph stops waiting sooner)
        server = OxigraphServer(d / "server", extra_args=("--timeout-s", "20")).start()
        s = open_store(server.store_url)
    yield s
    s.close()
    if server:
        server.stop()


@pytest.fixture(params=BACKENDS)
def any_store_url(request, tmp_path) -> str:
    """The URL of an empty store on each backend, not held open (for the CLI and subprocesses)."""
    if request.param == "embedded":
        return f"oxigraph:{tmp_path / 'st'}"
    server = _shared_server(request.param, request)
    with open_store(server.store_url) as s:
        s.clear()
    return server.store_url
