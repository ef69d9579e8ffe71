"""Real servers the tests and benchmarks start and stop themselves (loopback only)."""
from __future__ import annotations

import shutil
from pathlib import Path


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
