"""Fail fast under load (issue 21, item 2): a few clients cannot hold the viewer down.

A SPARQL query that cannot get a worker within a short wait is answered 503 with Retry-After;
as-of builds are admitted by a bounded gate and stopped at a time limit; connections whose
request headers are late are cut (slow loris). The last test attacks a real ``govgraph serve``
with slow queries, as-of moments and trickling connections while it measures the dashboard.
"""
from __future__ import annotations

import http.client
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import pyoxigraph as ox
import pytest

from govgraph import history
from govgraph.data.generate import generate
from govgraph.errors import Busy, TimeLimitExceeded
from govgraph.io.load import load_files
from govgraph.limits import Deadline, Gate
from govgraph.webapp import create_app
from govgraph.webapp import server as web_server
from support import LiveServer, free_port, wait_for_http

#: A query no time limit lets finish: the estate joined with itself three times.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def _get(port: int, path: str, timeout: float = 30.0) -> tuple[int, dict, bytes, float]:
    """GET ``path`` on a fresh connection: status, headers, body and seconds taken."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, dict(resp.getheaders()), body, time.monotonic() - t0
    finally:
        conn.close()


def _sparql_path(query: str, **extra: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, "format": "json", **extra})


# ----------------------------------------------------------------------------- the gate

def test_gate_admits_its_bound_and_refuses_the_rest_at_once():
    gate = Gate(1, 1, "tests")
    inside, release = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def hold():
        with gate.enter(5):
            inside.set()
            release.wait(5)

    def wait_then_enter():
        try:
            with gate.enter(5):
                outcomes.append("entered")
        except Busy:
            outcomes.append("refused")

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    waiter = threading.Thread(target=wait_then_enter)
    waiter.start()
    deadline = time.monotonic() + 5
    while gate._queued < 1 and time.monotonic() < deadline:  # the waiter has taken the one waiting place
        time.sleep(0.01)
    t0 = time.monotonic()
    with pytest.raises(Busy) as refused:  # running and waiting places taken: refused without waiting
        with gate.enter(5):
            pass
    assert time.monotonic() - t0 < 0.5
    assert refused.value.retry_after >= 1
    release.set()
    holder.join(5)
    waiter.join(5)
    assert outcomes == ["entered"]
    assert gate.busy == 0 and gate.refused == 1


def test_gate_waiter_gives_up_after_its_wait():
    gate = Gate(1, 4, "tests")
    with gate.enter(1):
        t0 = time.monotonic()
        with pytest.raises(Busy):
            with gate.enter(0.3):
                pass
        assert 0.25 <= time.monotonic() - t0 < 2
    with gate.enter(0.3):  # free again
        assert gate.busy == 1


# ----------------------------------------------------------------------------- as-of builds

@pytest.fixture(scope="module")
def estate_with_history(store_factory, tmp_path_factory):
    """A memory store with a generated estate (140k triples) changed once after its load."""
    d = tmp_path_factory.mktemp("asof-estate")
    generate(d / "estate.nt", datasets=3000, seed=1)
    with store_factory("memory", None) as store:
        load_files(store, [d / "estate.nt"], source="estate", validate=False)
        loaded = store.history()[-1]
        with store.patch("estate") as p:
            p.add([ox.Triple(ox.NamedNode("https://load.example/a"), TITLE, ox.Literal("changed"))])
            p.commit()
        yield store, loaded


def test_asof_build_stops_at_its_time_limit(estate_with_history):
    store, loaded = estate_with_history
    t0 = time.monotonic()
    full = history.store_asof(store, loaded.at)
    full_seconds = time.monotonic() - t0
    assert sum(src.triples for src in full.sources()) > 100_000
    limit = 0.2
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded) as stopped:
        history.store_asof(store, loaded.at, Deadline(limit, "the test build"))
    took = time.monotonic() - t0
    # the build itself stopped (it runs in this thread): long before a full build would have ended
    assert took < min(full_seconds, limit + 1.0), (took, full_seconds)
    assert "time limit of 0.2 s" in str(stopped.value)


def test_estate_asof_time_limit_keeps_nothing_and_frees_the_gate(estate_with_history):
    store, loaded = estate_with_history
    history._PAST.clear()
    with pytest.raises(TimeLimitExceeded):
        history.estate_asof(store, loaded.at, time_limit=0.05, wait=1)
    assert len(history._PAST) == 0 and history._PAST.gate.busy == 0
    past, _ = history.estate_asof(store, loaded.at, time_limit=60, wait=1)  # a generous limit: built
    assert sum(src.triples for src in past.sources()) > 100_000 and len(history._PAST) == 1
    history._PAST.clear()


# ----------------------------------------------------------------------------- SPARQL workers

def test_queries_past_the_free_workers_get_503_quickly(store_factory, tmp_path):
    with store_factory("embedded", tmp_path, sample=True) as store:
        app = create_app({"STORE": store, "SPARQL_WORKERS": 2, "SPARQL_QUEUE_WAIT": 0.5, "SPARQL_TIMEOUT": 3})
        srv = LiveServer(app, threads=10)
        try:
            assert _get(srv.port, _sparql_path("ASK {}"))[0] == 200  # the pool is started
            results: list[tuple[int, dict, float]] = []
            lock = threading.Lock()

            def ask():
                status, headers, _, took = _get(srv.port, _sparql_path(CROSS_JOIN))
                with lock:
                    results.append((status, headers, took))

            threads = [threading.Thread(target=ask) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            statuses = sorted(s for s, _, _ in results)
            assert statuses == [422] * 2 + [503] * 6, statuses  # two ran into the time limit, the rest were turned away
            busy = [(h, took) for s, h, took in results if s == 503]
            assert all(h.get("Retry-After") for h, _ in busy)
            # turned away at once, or after the short wait: never for the queries' 3 s
            assert max(took for _, took in busy) < 2.0, busy
            assert app.extensions["govgraph.query_service"].started_pool.stats.refused == 6
        finally:
            srv.stop()


# ----------------------------------------------------------------------------- header deadline

@pytest.fixture
def guarded(store_factory, tmp_path):
    """The viewer behind the header-deadline server: 2 s for headers, at most 30 connections."""
    with store_factory("embedded", tmp_path, sample=True) as store:
        app = create_app({"STORE": store})
        srv = web_server.create_server(app, header_timeout=2, host="127.0.0.1", port=0, threads=4,
                                       connection_limit=30, channel_timeout=30, cleanup_interval=1)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        yield srv
        srv.close()
        srv.task_dispatcher.shutdown()
        thread.join(5)


def _closed_within(sock: socket.socket, seconds: float, trickle: float) -> float | None:
    """Send a header line every ``trickle`` s until the server closes ``sock``; seconds it took (None: never)."""
    t0 = time.monotonic()
    sock.settimeout(trickle)
    while time.monotonic() - t0 < seconds:
        try:
            if sock.recv(1024) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            pass
        except ConnectionResetError:
            return time.monotonic() - t0
        try:
            sock.sendall(b"X-Trickle: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - t0
    return None


def test_trickling_headers_are_cut_at_the_deadline(guarded):
    port = guarded.effective_port
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    took = _closed_within(slow, 10, 0.4)  # a line every 0.4 s: never idle long enough for channel_timeout
    slow.close()
    assert took is not None and 1.5 <= took < 4.5, took
    assert guarded.cut >= 1
    assert _get(port, "/")[0] == 200


def test_a_silent_new_connection_is_cut_at_the_deadline_but_not_an_idle_keep_alive(guarded):
    port = guarded.effective_port
    silent = socket.create_connection(("127.0.0.1", port))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    assert conn.getresponse().read()
    silent.settimeout(6)
    t0 = time.monotonic()
    assert silent.recv(10) == b""  # nothing sent at all: closed by the header deadline, not channel_timeout
    assert time.monotonic() - t0 < 4.5
    silent.close()
    time.sleep(0.5)  # the kept-alive connection has been idle past the header deadline: still open
    conn.request("GET", "/")
    assert conn.getresponse().status == 200
    conn.close()


def test_at_the_connection_limit_the_longest_waiting_make_room(guarded):
    port = guarded.effective_port
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]  # more than the limit of 30
    try:
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(1.2)  # old enough to be evicted
        status, _, _, took = _get(port, "/", timeout=10)
        assert status == 200 and took < 1.5, took  # not 2 s behind the late connections
    finally:
        for s in socks:
            s.close()


# ----------------------------------------------------------------------------- the attack

class Dashboard:
    """Measures ``GET /`` over and over in a thread, filing each latency under the current phase."""

    def __init__(self, port: int):
        self.port, self.phase = port, "baseline"
        self.samples: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            phase = self.phase
            try:
                status, _, _, took = _get(self.port, "/", timeout=30)
                if status != 200:
                    self.failures.append(f"{phase}: {status}")
            except OSError as e:
                self.failures.append(f"{phase}: {e}")
                took = 30.0
            self.samples.setdefault(phase, []).append(took)
            self._stop.wait(0.1)

    def __enter__(self) -> "Dashboard":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(40)

    def summary(self) -> dict[str, tuple[int, float, float]]:
        return {p: (len(v), statistics.median(v), max(v)) for p, v in self.samples.items()}


def _flood(seconds: float, clients: int, path_for, port: int) -> list[tuple[int, str, float]]:
    """``clients`` threads each GET ``path_for(i)`` over and over for ``seconds``: (status, Retry-After, s)."""
    out: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < end:
            try:
                status, headers, _, took = _get(port, path_for(i), timeout=60)
                got = (status, headers.get("Retry-After", ""), took)
            except OSError as e:
                got = (0, str(e), 0.0)
            with lock:
                out.append(got)
            if got[0] == 503:
                time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return out


def _trickle(seconds: float, connections: int, port: int, every: float) -> list[float]:
    """Keep ``connections`` connections sending a header line every ``every`` s for ``seconds``,
    opening a new one whenever the server cuts one; the lifetimes of the cut connections."""
    sel = selectors.DefaultSelector()
    born: dict[socket.socket, float] = {}
    lifetimes: list[float] = []

    def open_one() -> None:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: attacker\r\n")
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        born[s] = time.monotonic()

    def drop(s: socket.socket, cut: bool) -> None:
        sel.unregister(s)
        if cut:
            lifetimes.append(time.monotonic() - born[s])
        del born[s]
        s.close()

    for _ in range(connections):
        open_one()
    end = time.monotonic() + seconds
    next_line = time.monotonic() + every
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(1024)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                drop(key.fileobj, True)
                open_one()
        if time.monotonic() >= next_line:
            next_line += every
            for s in list(born):
                try:
                    s.send(b"X-Trickle: 1\r\n")
                except OSError:
                    drop(s, True)
                    open_one()
    for s in list(born):
        drop(s, False)
    sel.close()
    return lifetimes


@pytest.fixture
def served_with_history(store_factory, tmp_path):
    """``govgraph serve`` over the sample estate with 8 more changes (8 past moments); (port, moments, an asset)."""
    with store_factory("embedded", tmp_path, sample=True) as store:
        moments = []
        for i in range(8):
            with store.patch("load-test") as p:
                p.add([ox.Triple(ox.NamedNode(f"https://load.example/thing/{i}"), TITLE, ox.Literal(f"thing {i}"))])
                moments.append(p.commit().at.isoformat())
        asset = next(iter(store.query("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 1")))[0].value
    port = free_port()
    # its log goes to a file: a pipe nobody reads would fill up and stop the server
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "govgraph.cli", "serve", "--store", store.url,
                             "--host", "127.0.0.1", "--port", str(port), "--query-timeout", "4",
                             "--queue-wait", "1", "--header-timeout", "3", "--asof-time-limit", "10"],
                            stdout=subprocess.DEVNULL, stderr=log, env={**os.environ})
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", seconds=60, proc=proc)
        yield port, moments, asset
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def test_dashboard_stays_quick_under_slow_queries_asof_moments_and_slow_loris(served_with_history, capsys):
    port, moments, asset = served_with_history

    def asof_path(i: int) -> str:  # pages and queries for 8 different past moments
        if i % 2:
            return _sparql_path(COUNT, asof=moments[i])
        return "/lineage?" + urllib.parse.urlencode({"iri": asset, "asof": moments[i]})

    with Dashboard(port) as dash:
        time.sleep(2)
        dash.phase = "slow SPARQL x12"
        queries = _flood(8, 12, lambda i: _sparql_path(CROSS_JOIN), port)
        dash.phase = "as-of x8"
        asof = _flood(6, 8, asof_path, port)
        dash.phase = "slow loris x300"
        lifetimes = _trickle(12, 300, port, every=1.0)
        dash.phase = "after"
        time.sleep(1.5)
    summary = dash.summary()
    with capsys.disabled():
        print("\ndashboard GET / under attack (samples, median s, max s):")
        for phase, (n, med, mx) in summary.items():
            print(f"  {phase:18} {n:4d}  {med:.3f}  {mx:.3f}")
        for name, res in (("slow SPARQL", queries), ("as-of", asof)):
            by = {s: sum(1 for r in res if r[0] == s) for s in sorted({r[0] for r in res})}
            busy = [r[2] for r in res if r[0] == 503]
            print(f"  {name}: {by}; 503 answered in at most {max(busy, default=0):.2f} s")
        print(f"  slow loris: {len(lifetimes)} connections cut, lived at most {max(lifetimes, default=0):.1f} s "
              f"(median {statistics.median(lifetimes) if lifetimes else 0:.1f} s)")

    assert not dash.failures, dash.failures[:5]
    for phase, (n, med, _) in summary.items():
        assert n >= 5, (phase, n)
        assert med < 1.0, (phase, summary)
    # the attacks pressed: queries were turned away fast, with Retry-After, and the rest hit their limit
    assert {r[0] for r in queries} <= {422, 503} and any(r[0] == 503 for r in queries)
    assert all(r[1] for r in queries if r[0] == 503)
    assert max(r[2] for r in queries if r[0] == 503) < 3.0
    assert {r[0] for r in asof} <= {200, 503} and any(r[0] == 200 for r in asof) and any(r[0] == 503 for r in asof)
    assert all(r[1] for r in asof if r[0] == 503)
    # trickling connections were cut by the header deadline (3 s, swept every second) or to make room
    assert len(lifetimes) >= 300 and max(lifetimes) < 6.0, (len(lifetimes), max(lifetimes, default=None))
