"""Shared fixtures: real stores (in memory and on disk) and the sample estate loaded once."""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from govgraph.data.generate import generate
from govgraph.io.load import load_files
from govgraph.store import Store, open_store
from support import INTERFACES_ESTATE, OxigraphServer, VirtuosoServer, free_port, make_server  # noqa: E402,F401

#: The store backends every integration test runs on: embedded Oxigraph, and `oxigraph serve`
#: ("remote"). GOVGRAPH_TEST_BACKENDS=embedded,remote,virtuoso adds Virtuoso 7 to the whole
#: matrix (tests/test_virtuoso.py runs the core flows on it in every run).
BACKENDS = (os.environ.get("GOVGRAPH_TEST_BACKENDS") or "embedded,remote").split(",")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def memory_store(request) -> Store:
    """An empty in-memory Oxigraph store."""
    with _store("memory", None, request) as s:
        yield s


@pytest.fixture
def disk_store(request, tmp_path) -> Store:
    """An empty embedded Oxigraph store on disk, in a temporary folder."""
    with _store("embedded", tmp_path, request) as s:
        yield s


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


def _open(backend: str, base: Path | None, request, *, sample: bool = False, own_server: bool = False,
          generated: int = 0) -> tuple[Store, "OxigraphServer | VirtuosoServer | None"]:
    """The one store factory: a store on ``backend`` in folder ``base``, and the server it started (if any).

    ``sample``: a private writable copy of the sample estate (else empty). ``generated``: an embedded store
    holding a generated estate of that many datasets (seed 6, 5% defects; one source, "generated", loaded
    unvalidated). Remote backends: a server of its own for a sample or with ``own_server`` (``oxigraph serve``
    with its own query time limit, as docs/deployment.md advises), else the run's shared server, emptied.
    ``memory``: an empty in-memory store (``base`` unused)."""
    if backend == "memory":
        assert not sample, "the sample is copied on disk: use embedded"
        return open_store("memory:"), None
    assert not generated or (backend == "embedded" and not sample), "a generated estate: embedded, alone"
    if backend == "embedded":
        path = base / ("sample-store" if sample else "store")
        if sample:
            shutil.copytree(request.getfixturevalue("sample_store_path"), path)
        st = open_store(f"oxigraph:{path}")
        if generated:
            generate(base / "estate.ttl", datasets=generated, seed=6, defect_rate=0.05)
            load_files(st, [base / "estate.ttl"], source="generated", validate=False)
        return st, None
    if not (sample or own_server):
        s = open_store(request.getfixturevalue("virtuoso_server" if backend == "virtuoso" else "oxigraph_server")
                       .store_url)
        s.clear()
        return s, None
    if backend == "virtuoso":
        import pyoxigraph as ox
        server = VirtuosoServer(base / ("sample-virtuoso" if sample else "server")).start()
        if sample:
            dump = request.getfixturevalue("sample_server_path").parent / "sample.nq"
            with open_store(server.store_url) as s:
                s.backend.extend(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
        return open_store(server.store_url), server
    if sample:
        path = base / "sample-server"
        shutil.copytree(request.getfixturevalue("sample_server_path"), path)
        server = OxigraphServer(path).start()
    else:
        # a short server time limit: oxigraph serve keeps one thread per query for --timeout-s seconds,
        # and the Hypothesis tests send thousands of queries (at 20 s they ran it out of threads)
        server = OxigraphServer(base / "server", extra_args=("--timeout-s", "5")).start()
    return open_store(server.store_url), server


def _open_sample(backend: str, base: Path, request) -> tuple[Store, "OxigraphServer | None"]:
    """A private writable copy of the sample estate on ``backend`` (in ``base``), and its server if remote."""
    return _open(backend, base, request, sample=True)


@pytest.fixture(scope="session")
def open_sample():
    """The function opening a private copy of the sample estate on a backend (for module fixtures elsewhere)."""
    return _open_sample


@contextlib.contextmanager
def _store(backend: str, base: Path | None, request, **kind) -> Iterator[Store]:
    """``_open`` as a block: the store is closed and its server stopped on leaving."""
    s, server = _open(backend, base, request, **kind)
    try:
        yield s
    finally:
        s.close()
        if server:
            server.stop()


@pytest.fixture(scope="session")
def store_factory(request):
    """The one store factory, for fixtures of any scope: ``with store_factory(backend, folder, sample=True) as s:``
    (backend "memory", "embedded", "remote" or "virtuoso"; closed and its server stopped on leaving the block)."""
    return functools.partial(_store, request=request)


def _url(backend: str, base: Path, request, **kind) -> Iterator[str]:
    """``_open``'s store as a URL, not held open (for the CLI and subprocesses)."""
    s, server = _open(backend, base, request, **kind)
    s.close()
    yield s.url
    if server:
        server.stop()


@pytest.fixture(params=BACKENDS)
def sample_store(request, tmp_path) -> Store:
    """A private copy of the sample estate, safe to write to: embedded on disk, and on a real `oxigraph serve`."""
    with _store(request.param, tmp_path, request, sample=True) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def sample_store_url(request, tmp_path) -> str:
    """The URL of a private copy of the sample estate on each backend, not held open (for the CLI)."""
    yield from _url(request.param, tmp_path, request, sample=True)


@pytest.fixture(scope="module", params=BACKENDS)
def module_sample_store(request, tmp_path_factory) -> Store:
    """One copy of the sample estate per test module and backend (for tests that only read, or tidy up)."""
    with _store(request.param, tmp_path_factory.mktemp("module-sample"), request, sample=True) as s:
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


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path) -> Store:
    """An empty store on each backend: embedded Oxigraph on disk, and a real `oxigraph serve`."""
    with _store(request.param, tmp_path, request) as s:
        yield s


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request, tmp_path_factory) -> Store:
    """An empty store per test module on each backend (remote: a real `oxigraph serve` of its own)."""
    with _store(request.param, tmp_path_factory.mktemp("module-store"), request, own_server=True) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def any_store_url(request, tmp_path) -> str:
    """The URL of an empty store on each backend, not held open (for the CLI and subprocesses)."""
    yield from _url(request.param, tmp_path, request)


@pytest.fixture
def interfaces_store(any_store):
    """The interfaces estate (tests/fixtures/interfaces/estate.ttl) on each backend."""
    from govgraph.io.load import load_files
    load_files(any_store, [INTERFACES_ESTATE], force=True)
    return any_store


@pytest.fixture
def live(tmp_path, any_store):
    from govgraph.auth import TokenFile
    tokens = tmp_path / "tokens"
    tokens.write_text("")
    tf = TokenFile(tokens)
    editor, reader = tf.add("pipeline", "editor"), tf.add("viewer", "reader")
    srv = make_server(any_store, TOKEN_FILE=str(tokens))
    yield srv, editor, reader
    srv.stop()
