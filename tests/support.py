"""Real servers the tests and benchmarks start and stop themselves (loopback only)."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, *, seconds: float = 30, proc=None) -> bytes:
    """GET ``url`` until it answers (its body), or raise if ``proc`` exits or time runs out."""
    import time
    import urllib.request
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=max(1.0, seconds / 10)) as r:
                return r.read()
        except OSError:
            if proc is not None and proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"the server exited before answering {url}: {err}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:g} s") from None
            time.sleep(0.05)


class OxigraphServer:
    """A real `oxigraph serve` process on a loopback port, started and stopped by the tests."""

    def __init__(self, location: Path, extra_args: tuple[str, ...] = ()):
        self.location = location
        self.extra_args = tuple(extra_args)
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        """The govgraph store URL docs/deployment.md gives for Oxigraph server (bulk loads without
        a server transaction: they go into graphs no reader sees until the commit)."""
        return self.transactional_store_url + "?no_transaction"

    @property
    def transactional_store_url(self) -> str:
        """The store URL with plain Graph Store Protocol uploads, each its own server transaction."""
        return f"sparql+http://127.0.0.1:{self.port}/query?update=/update&store=/store"

    def start(self, seconds: float = 30) -> "OxigraphServer":
        """Start the server and wait until it answers (``seconds``: longer after a kill, when the
        database recovers its log first)."""
        import subprocess
        exe = shutil.which("oxigraph")
        assert exe, "the oxigraph server (pip package 'oxigraph', a test extra) is not installed"
        self.proc = subprocess.Popen([exe, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}",
                                      *self.extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_http(f"{self.url}/query?query=ASK%7B%7D", seconds=seconds, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)


class LiveServer:
    """A govgraph app served by waitress on a free loopback port, in a thread of this process."""

    def __init__(self, app, *, threads: int = 8):
        import threading
        import waitress.server
        from govgraph.webapp.base_url import DEFAULT_BASE_URL
        self.app = app
        self.server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"
        if app.config.get("BASE_URL") == DEFAULT_BASE_URL:  # not configured: the address it is served at
            app.config["BASE_URL"] = self.url + "/"

    def stop(self) -> None:
        """Stop serving, and stop the app's SPARQL worker processes."""
        from govgraph.webapp import sparql
        self.server.close()
        self.thread.join(timeout=5)
        sparql.shutdown(self.app)


@contextlib.contextmanager
def serve_sample(sample_store_path: Path, folder: Path, *, threads: int = 4, **config) -> Iterator[str]:
    """The viewer served over a private embedded copy of the sample estate in ``folder``; yields its URL."""
    from govgraph.store import open_store
    from govgraph.webapp import create_app
    shutil.copytree(sample_store_path, folder / "store")
    store = open_store(f"oxigraph:{folder / 'store'}")
    server = LiveServer(create_app({"STORE": store, **config}), threads=threads)
    try:
        yield server.url
    finally:
        server.stop()
        store.close()



def tokened_app(store, folder: Path, **config):
    """The app over ``store`` with a token file holding one token per role (``app.tokens[role]``)."""
    from govgraph.auth import TokenFile
    from govgraph.webapp import create_app
    tokens = folder / "tokens"
    tokens.write_text("# name role hash\n")
    tf = TokenFile(tokens)
    app = create_app({"STORE": store, "TOKEN_FILE": str(tokens), **config})
    app.tokens = {r: tf.add(f"t-{r}", r) for r in ("reader", "editor", "admin")}
    return app
