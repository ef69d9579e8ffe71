"""A kept-alive connection the SPARQL server timed out while idle is not used for the next request.

Oxigraph server times out a keep-alive connection left idle past its socket timeout
(``--timeout-s``, else 60 s): it writes, unasked, ``500 Resource temporarily unavailable
(os error 11)`` and closes it. A request then sent on that connection read that answer as its
own: the remote cases of tests/test_live.py failed so whenever a thread's connection sat idle
past the module server's 20 s under load.
"""
from __future__ import annotations

import logging
import socketserver
import threading
import time

import pyoxigraph as ox

from govgraph.backends.remote import RemoteBackend
from support import OxigraphServer


def test_a_connection_the_server_timed_out_while_idle_is_replaced(tmp_path):
    server = OxigraphServer(tmp_path / "server", extra_args=("--timeout-s", "1")).start()
    try:
        backend = RemoteBackend(server.transactional_store_url)
        try:
            assert bool(backend.query("ASK { }", None, None))
            conn = backend._local.conn  # noqa: SLF001 - the thread's kept-alive connection
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # until the server has answered it unasked
                time.sleep(0.2)
                if conn.sock is not None and conn.sock.recv(1, 2) != b"":  # MSG_PEEK: data waiting
                    break
            else:
                raise AssertionError("the server did not time the idle connection out")
            # each of these would have read the stale 500 (or found the connection closed)
            assert bool(backend.query("ASK { }", None, None))
            backend.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> <urn:o> } }")
            time.sleep(1.5)
            answers = list(backend.query("SELECT ?o WHERE { GRAPH <urn:g> { <urn:a> <urn:p> ?o } }", None, None))
            assert [a["o"] for a in answers] == [ox.NamedNode("urn:o")]
            # other threads' connections too
            errors: list[BaseException] = []

            def ask() -> None:
                try:
                    for _ in range(2):
                        assert bool(backend.query("ASK { }", None, None))
                        time.sleep(1.5)
                except BaseException as e:  # noqa: BLE001 - reported below
                    errors.append(e)
            threads = [threading.Thread(target=ask) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors
        finally:
            backend.close()
    finally:
        server.stop()


class _TimesOutOnce(socketserver.BaseRequestHandler):
    """Answers like Oxigraph server: an ASK is true; but the second request on the first connection
    meets the idle time-out's unasked 500 (the server had given up reading as it was sent), then EOF."""
    connections = 0

    def handle(self) -> None:
        type(self).connections += 1
        first = type(self).connections == 1
        for n in range(1, 10):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), b"0"))
            while len(body) < length:
                body += self.request.recv(65536)
            if first and n == 2:
                msg = b"Resource temporarily unavailable (os error 11)"
                self.request.sendall(b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
                                     b"content-length: %d\r\n\r\n%s" % (len(msg), msg))
                return
            answer = b'{"head":{},"boolean":true}'
            self.request.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/sparql-results+json\r\n"
                                 b"content-length: %d\r\n\r\n%s" % (len(answer), answer))


def test_a_request_met_by_the_idle_time_out_is_sent_again_once(caplog):
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TimesOutOnce) as srv:
        srv.daemon_threads = True
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        t.start()
        try:
            port = srv.server_address[1]
            backend = RemoteBackend(f"sparql+http://127.0.0.1:{port}/query?update=/update")  # its first ASK
            with caplog.at_level(logging.WARNING, "govgraph.backends.remote"):
                assert bool(backend.query("ASK { }", None, None))  # met the 500: sent again, answered
            assert _TimesOutOnce.connections == 2
            assert "closed an idle connection" in caplog.text
            backend.close()
        finally:
            srv.shutdown()
