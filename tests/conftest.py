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

def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """A real `oxigraph serve` process on a loopback port, started and stopped by the tests."""

    def __init__(self, location: Path):
        self.location = location
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        return f"sparql+http://127.0.0.1:{self.port}/query?update=/update&store=/store"

    def start(self) -> "OxigraphServer":
        import subprocess
        import time
        import urllib.request
        exe = shutil.which("oxigraph")
        assert exe, "the oxigraph server (pip package 'oxigraph', a test extra) is not installed"
        self.proc = subprocess.Popen([exe, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/query?query=ASK%7B%7D", timeout=2).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"oxigraph serve exited: {self.proc.stderr.read().decode()}")
                time.sleep(0.05)
        raise RuntimeError("oxigraph serve did not start within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)


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
