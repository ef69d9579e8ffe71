"""The WSGI server ``govgraph serve`` runs: waitress, with a deadline on each request's headers.

Waitress closes a connection only after ``channel_timeout`` seconds without a single byte, so a
client sending one header line every few seconds (a slow loris) keeps its connection for ever,
and a few hundred of them fill the connection limit: everyone else waits in the listen backlog.
Here a request's headers must be complete within ``header_timeout`` seconds of their first byte
(of the connection being accepted, for its first request); a sweep every second closes the
connections that are late. And when the connection limit is reached, the connections that
have waited longest for their headers are closed to make room for new clients at once.

Only the headers have a deadline: a request being served, a body being uploaded and an idle
keep-alive connection are left to waitress's own ``channel_timeout``.
"""
from __future__ import annotations

import resource
import time

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from govgraph.history import PAST_WAITING

#: Seconds a request's headers may take to arrive (``govgraph serve --header-timeout``).
HEADER_TIMEOUT = 10.0
#: Connections waiting for their headers less than this are never closed to make room.
MIN_WAIT_BEFORE_EVICTION = 1.0
#: Open files kept for other uses than connections (the store's database, query worker pipes, logs).
SPARE_FILES = 256


class HeaderDeadlineChannel(HTTPChannel):
    """A waitress connection that knows since when it has been waiting for a request's headers."""

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        #: monotonic time the request being read started (None: no request being read)
        self.headers_since: float | None = time.monotonic()

    def received(self, data):
        reading = self.request
        out = super().received(data)
        if self.request is None:
            self.headers_since = None          # the request was complete: idle, or being served
        elif self.request is not reading:
            self.headers_since = time.monotonic()  # the first bytes of a new request
        return out

    def waiting_for_headers(self, now: float) -> float:
        """Seconds this connection has waited for a request's headers (0 when it is not waiting)."""
        if self.headers_since is None or self.requests or self.will_close:
            return 0.0
        if self.request is not None and self.request.headers_finished:
            return 0.0
        return now - self.headers_since


class HeaderDeadlineServer(TcpWSGIServer):
    """waitress's TCP server closing connections whose request headers are late (see the module)."""

    channel_class = HeaderDeadlineChannel

    def __init__(self, application, *, header_timeout: float = HEADER_TIMEOUT, **kw):
        self.header_timeout = header_timeout
        self.cut = 0  # connections closed for late headers (for monitoring and tests)
        super().__init__(application, **kw)

    def _waiting(self, now: float) -> list[tuple[float, HeaderDeadlineChannel]]:
        return [(w, ch) for ch in list(self.active_channels.values())
                if isinstance(ch, HeaderDeadlineChannel) and (w := ch.waiting_for_headers(now)) > 0]

    def maintenance(self, now):
        super().maintenance(now)
        for waited, ch in self._waiting(time.monotonic()):
            if waited > self.header_timeout:
                ch.will_close = True  # closed by the event loop, as waitress closes idle channels
                self.cut += 1

    def readable(self):
        if self.accepting and len(self._map) >= self.adj.connection_limit:
            self._make_room()
        return super().readable()

    def _make_room(self) -> None:
        """At the connection limit: close the connections that have waited longest for their headers."""
        closing = sum(1 for ch in self.active_channels.values() if ch.will_close)
        need = len(self._map) - self.adj.connection_limit + 1 - closing
        if need <= 0:
            return
        late = sorted(self._waiting(time.monotonic()), key=lambda wc: wc[0], reverse=True)
        for waited, ch in late[:need]:
            if waited < MIN_WAIT_BEFORE_EVICTION:
                break
            ch.will_close = True
            self.cut += 1


#: Writes that may wait at once for their group's commit (OpenLineage producers post concurrently, and each
#: request holds a thread until its event is committed): under a stream of 20 events/s from 32 connections at
#: 100k datasets with ``--hide-sensitive``, 9 threads left pages queued behind waiting writes 1,500 times in
#: 300 s (page p95 979 ms), 32 threads 94 times (444 ms) (``tests/bench/bench_live.py --stream``).
WRITES_WAITING = 32


def threads_needed(query_workers: int) -> int:
    """Threads the server needs so pages always find one: slow requests can hold one per query
    worker and one per query waiting for a worker (as many), the as-of build and the requests
    waiting for it, and writes waiting for their commit; two more for pages. A waiting thread
    costs a little memory and no CPU."""
    return 2 * query_workers + 1 + PAST_WAITING + WRITES_WAITING + 2


def open_files_for(connections: int) -> int:
    """The connection limit this process can keep: its open-file limit is raised towards
    ``connections`` plus room for the store and query workers, as far as the hard limit allows."""
    want = connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return connections if soft == resource.RLIM_INFINITY else max(1, min(connections, soft - SPARE_FILES))


def create_server(application, *, header_timeout: float = HEADER_TIMEOUT, **kw):
    """A server for ``application`` listening as waitress's ``kw`` say (host, port, threads, ...);
    ``connection_limit`` is lowered to what the open-file limit allows."""
    if "connection_limit" in kw:
        kw["connection_limit"] = open_files_for(int(kw["connection_limit"]))
    adj = Adjustments(**kw)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    sockets: dict = {}
    servers = [HeaderDeadlineServer(application, header_timeout=header_timeout, map=sockets, dispatcher=dispatcher,
                                    adj=adj, sockinfo=info) for info in adj.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(sockets, adj, [(s.effective_host, s.effective_port) for s in servers], dispatcher,
                             servers[-1].log_info)


def serve(application, *, header_timeout: float = HEADER_TIMEOUT, **kw) -> None:
    """Serve ``application`` until interrupted."""
    create_server(application, header_timeout=header_timeout, **kw).run()


__all__ = ["HEADER_TIMEOUT", "WRITES_WAITING", "HeaderDeadlineServer", "create_server", "serve", "threads_needed"]
