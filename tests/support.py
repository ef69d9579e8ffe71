"""Real servers the tests and benchmarks start and stop themselves (loopback only)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far: what a restart costs, whatever the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_reference() -> tuple[float, float]:
    """Wall and CPU seconds of a process that only imports the web app: a benchmark's reference in the same run."""
    t, before = time.perf_counter(), os.times()
    subprocess.run([sys.executable, "-c", "import govgraph.webapp.app"], check=True)
    after = os.times()
    return time.perf_counter() - t, after.children_user - before.children_user + after.children_system \
        - before.children_system


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


class ServerProcess:
    """A server process of the tests' own on a free loopback port: its URL, and stopping or killing it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)


class OxigraphServer(ServerProcess):
    """A real `oxigraph serve` process on a loopback port, started and stopped by the tests."""

    def __init__(self, location: Path, extra_args: tuple[str, ...] = ()):
        super().__init__()
        self.location = location
        self.extra_args = tuple(extra_args)

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
        # its messages go to a file beside its folder: a pipe nobody reads would stall the server once full
        self.log = Path(self.location).with_name(Path(self.location).name + "-oxigraph.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([exe, "serve", "--location", str(self.location), "--bind",
                                          f"127.0.0.1:{self.port}", *self.extra_args],
                                         stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_for_http(f"{self.url}/query?query=ASK%7B%7D", seconds=seconds, proc=self.proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e} {self.log.read_text(errors='replace')[-2000:]}") from None
        return self


class VirtuosoServer:
    """A real Virtuoso 7 (Debian ``virtuoso-opensource-7``) in a folder of its own, on free loopback
    ports, started and stopped by the tests (as the current user, in the foreground).

    Its ``virtuoso.ini`` is written here; SPARQL_UPDATE is granted to the ``SPARQL`` user (the
    anonymous ``/sparql`` endpoint) and the graph store protocol (``/sparql-graph-crud``) is
    allowed to write, as docs/deployment.md tells an operator to do.
    """

    #: Virtuoso's own default result cap (rows per answer); govgraph must page past it.
    MAX_ROWS = 10_000

    def __init__(self, location: Path, *, max_rows: int = MAX_ROWS):
        self.location = Path(location)
        self.max_rows = max_rows
        self.port = free_port()
        self.sql_port = free_port()
        self.proc = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        """The govgraph store URL docs/deployment.md gives for Virtuoso."""
        return f"sparql+http://127.0.0.1:{self.port}/sparql?update=/sparql&store=/sparql-graph-crud"

    def _ini(self) -> str:
        d = self.location
        return f"""[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{self.sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CheckpointInterval = 60
[HTTPServer]
ServerPort = 127.0.0.1:{self.port}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
[SPARQL]
ResultSetMaxRows = {self.max_rows}
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
"""

    def sql(self, statements: str) -> str:
        """Run SQL through Virtuoso's ``isql`` as dba (output; raises on an error)."""
        import subprocess
        exe = shutil.which("isql-vt") or shutil.which("isql")
        assert exe, "Virtuoso's isql (Debian package virtuoso-opensource-7) is not installed"
        p = subprocess.run([exe, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0 or "*** Error" in p.stdout + p.stderr:
            raise RuntimeError(f"isql failed: {p.stdout}{p.stderr}")
        return p.stdout

    def start(self, seconds: float = 60) -> "VirtuosoServer":
        import subprocess
        exe = shutil.which("virtuoso-t")
        assert exe, "virtuoso-t (Debian package virtuoso-opensource-7, scripts/test.sh installs it) is not installed"
        self.location.mkdir(parents=True, exist_ok=True)
        ini = self.location / "virtuoso.ini"
        fresh = not (self.location / "virtuoso.db").exists()
        ini.write_text(self._ini())
        self._log = open(self.location / "foreground.log", "ab")
        self.proc = subprocess.Popen([exe, "+foreground", "+configfile", str(ini)], cwd=self.location,
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for_http(f"{self.url}/sparql?query=ASK%7B%7D", seconds=seconds, proc=self.proc)
        except RuntimeError as e:
            log = (self.location / "foreground.log").read_text(errors="replace")[-2000:]
            self.kill()
            raise RuntimeError(f"{e}; Virtuoso's log ends: {log}") from None
        if fresh:
            # the anonymous SPARQL user may update, and the graph store protocol may write
            self.sql('grant SPARQL_UPDATE to "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);')
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except Exception:  # noqa: BLE001 - it would not stop: kill it
                self.proc.kill()
                self.proc.wait(timeout=20)
        if self._log:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)
        if self._log:
            self._log.close()
            self._log = None


class RdflibEndpointServer(ServerProcess):
    """A real ``rdflib-endpoint serve`` (PyPI rdflib-endpoint, in its own venv: tests/rdflib_endpoint/env.py)
    on a free loopback port, holding an in-memory rdflib Dataset; query and update both at ``/``,
    no Graph Store Protocol (so the store URL has no ``store=``)."""

    @property
    def store_url(self) -> str:
        return f"sparql+http://127.0.0.1:{self.port}/?update=/"

    def start(self, seconds: float = 60) -> "RdflibEndpointServer":
        import subprocess
        from rdflib_endpoint.env import rdflib_endpoint_exe
        self.proc = subprocess.Popen([str(rdflib_endpoint_exe()), "serve", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--enable-update"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        wait_for_http(f"{self.url}/?query=ASK%7B%7D", seconds=seconds, proc=self.proc)
        return self


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
        from waitress import wasyncore
        # closed in the serving thread itself: closing its sockets from here raced its select() (EBADF)
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        except OSError:  # its trigger already closed (once in ~2,000 CI tests: EBADF): its loop has ended, closed below
            pass
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown()
        if self.thread.is_alive():
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


def post_lineage(url: str, body: bytes, token: str | None, *, ctype: str = "application/json",
                 coding: str | None = None) -> tuple[int, dict]:
    """POST ``body`` to a server's ``/api/v1/lineage``; the status and the JSON answer."""
    import json
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url + "/api/v1/lineage", data=body, method="POST")
    req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if coding:
        req.add_header("Content-Encoding", coding)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class PostgresServer:
    """A real PostgreSQL server (Debian's ``postgresql``) started with initdb and pg_ctl on a free
    loopback port, in a temporary folder, as an unprivileged user (initdb refuses root: as root the
    server runs as the system user ``govgraph-test``, created if missing). The superuser is
    ``postgres`` with password ``PASSWORD`` (password login over TCP)."""

    USER = "govgraph-test"
    PASSWORD = "pg-test-secret"

    def __init__(self):
        self.port = free_port()
        self.folder: Path | None = None
        self._user: str | None = None

    @staticmethod
    def bin_dir() -> Path:
        import glob
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
        assert found, "PostgreSQL is not installed (scripts/test.sh installs Debian's postgresql)"
        return Path(found[-1]).parent

    def _run(self, *args: str, timeout: float = 120) -> None:
        import subprocess
        r = subprocess.run(list(args), user=self._user, capture_output=True, text=True, timeout=timeout, cwd="/")
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {r.stdout}{r.stderr}")

    def start(self) -> "PostgresServer":
        import os
        import pwd
        import subprocess
        import tempfile
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(self.USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.USER],
                               check=True, capture_output=True)
            self._user = self.USER
        self.folder = Path(tempfile.mkdtemp(prefix="govgraph-pg-"))
        if self._user:
            shutil.chown(self.folder, self._user)
        data, pwfile = self.folder / "data", self.folder / "pw"
        pwfile.write_text(self.PASSWORD + "\n")
        if self._user:
            shutil.chown(pwfile, self._user)
        b = self.bin_dir()
        self._run(str(b / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile), "-A", "scram-sha-256",
                  "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self._run(str(b / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                  f"-c max_locks_per_transaction=1024", "start")
        return self

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        """A SQLAlchemy URL (psycopg 3) for the server."""
        return f"postgresql+psycopg://{user}:{password or self.PASSWORD}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            self._run(str(self.bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


#: The small estate the interface tests (/sparql, OpenLineage) load.
ESTATE = Path(__file__).parent / "fixtures" / "interfaces" / "estate.ttl"
INTERFACES_ESTATE = ESTATE
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "standards" / "openlineage" / "examples"
BASE = "https://data.county.example.gov.uk/id/"

PREFIXES = """PREFIX gov: <https://w3id.org/govgraph#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dpv: <https://w3id.org/dpv#>
"""


def make_server(store, files=(ESTATE,), **config) -> LiveServer:
    """The app over ``store`` (a Store, or a folder for a new embedded store), holding ``files``."""
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    from govgraph.webapp import create_app
    st = open_store(f"oxigraph:{store}") if isinstance(store, Path) else store
    if files:
        load_files(st, list(files), force=True)
    cfg = {"STORE": st, "SPARQL_WORKERS": 2}
    cfg.update(config)
    return LiveServer(create_app(cfg))


def get(url: str, accept: str | None = None, method: str = "GET", data: bytes | None = None,
        ctype: str | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, method=method)
    if accept:
        req.add_header("Accept", accept)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def event(etype="COMPLETE", run_id=None, time="2026-10-01T02:00:00Z", **extra) -> dict:
    """A RunEvent reading the Mosaic referrals table and writing the warehouse fact table."""
    ev = {
        "eventType": etype, "eventTime": time,
        "run": {"runId": run_id or "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01"},
        "job": {"namespace": "ssis", "name": "load_fact_referral"},
        "inputs": [{"namespace": "mssql://mosaic", "name": "dbo.referrals"}],
        "outputs": [{"namespace": "mssql://dwh", "name": "dbo.fact_referral", "facets": {
            "schema": {"_producer": "https://example.org/p", "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
                       "fields": [{"name": "referral_id", "type": "int"}, {"name": "nhs_number", "type": "varchar"}]},
            "columnLineage": {"_producer": "https://example.org/p",
                              "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
                              "fields": {"nhs_number": {"inputFields": [
                                  {"namespace": "mssql://mosaic", "name": "dbo.referrals", "field": "nhs",
                                   "transformations": [{"type": "DIRECT", "subtype": "IDENTITY",
                                                        "description": "copied"}]}]}}}}}],
        "producer": "https://example.org/ssis-openlineage",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    ev.update(extra)
    return ev


def counted_queries(store, monkeypatch) -> list[str]:
    """The query texts ``store``'s backend is sent from now on (for counting round trips)."""
    sent: list[str] = []
    query = store.backend.query

    def counting(text, *args, **kwargs):
        sent.append(text)
        return query(text, *args, **kwargs)
    monkeypatch.setattr(store.backend, "query", counting)
    return sent
