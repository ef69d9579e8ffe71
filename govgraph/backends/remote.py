"""The remote backend: any SPARQL 1.1 server (Oxigraph server, Fuseki, GraphDB, Virtuoso, Neptune).

URL form: ``sparql+http://HOST:PORT/QUERY_PATH?update=UPDATE_PATH&store=GSP_PATH``
(``sparql+https`` for TLS; ``update`` and ``store`` may be absolute URLs; ``store`` is
optional). Credentials: ``user:password@`` in the URL for HTTP Basic, or a bearer token
in ``GOVGRAPH_STORE_TOKEN``. Each change is sent as one SPARQL Update request so the
server applies it atomically; bulk loads go in batches through the Graph Store Protocol
when a ``store`` path is given, else as ``INSERT DATA`` batches.
"""
from __future__ import annotations

import base64
import http.client
import os
import queue
import threading
import urllib.parse
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from govgraph.errors import StoreError, StoreTimeout, StoreUnavailable

BATCH_TRIPLES = 50_000
#: Triples per update when a graph is copied or emptied on the server (``copy_graph``, ``empty_graph``),
#: each update one server transaction. Oxigraph server peaked at 255 MB removing 100,000 triples in
#: updates of 50,000 and at 222 MB in updates of 10,000 (loading them: 62 MB): its write buffers,
#: not the update's size, hold most of that, so smaller updates would only cost more round trips.
MOVE_BATCH = 50_000
EMPTY_GRAPH = "urn:govgraph:empty"
_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


def _nt(term: Any) -> str:
    """A term in N-Triples syntax (pyoxigraph's str() of a term is exactly that)."""
    return str(term)


class RemoteBackend:
    """Talks to a SPARQL 1.1 server over HTTP, keeping one connection per thread."""

    exclusive = False

    def __init__(self, url: str, *, timeout: float = 60.0):
        self.url = url
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(url.replace("sparql+", "", 1))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise StoreError(f"bad SPARQL store URL {url!r}: use sparql+http://HOST:PORT/query?update=/update&store=/store")
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        params = dict(urllib.parse.parse_qsl(parsed.query))
        base = f"{parsed.scheme}://{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
        self.query_url = base + (parsed.path or "/query")
        self.update_url = urllib.parse.urljoin(base + "/", params.get("update", "/update"))
        self.store_url = urllib.parse.urljoin(base + "/", params["store"]) if params.get("store") else None
        self.headers: dict[str, str] = {}
        if parsed.username:
            cred = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
        elif os.environ.get("GOVGRAPH_STORE_TOKEN"):
            self.headers["Authorization"] = "Bearer " + os.environ["GOVGRAPH_STORE_TOKEN"]
        self._local = threading.local()
        self.display = base + (parsed.path or "/query")
        try:
            self.query("ASK { }", None, None)
        except StoreUnavailable as e:
            raise StoreUnavailable(f"cannot reach the SPARQL server at {self.display}: {e.reason}") from None

    # -- HTTP --------------------------------------------------------------------
    def _conn(self) -> http.client.HTTPConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            c = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = c
        return c

    def _request(self, method: str, url: str, body: bytes, content_type: str,
                 accept: str = "*/*", timeout: float | None = None) -> tuple[int, str, bytes]:
        """One HTTP exchange; a dropped keep-alive connection is re-opened once, a timeout never retried.

        ``timeout`` (seconds, default the backend's) bounds each wait for the server.
        """
        path = urllib.parse.urlsplit(url)
        target = path.path + (f"?{path.query}" if path.query else "")
        headers = dict(self.headers, **{"Content-Type": content_type, "Accept": accept})
        limit = self.timeout if timeout is None else timeout
        for attempt in (1, 2):
            conn = self._conn()
            conn.timeout = limit
            if conn.sock is not None:
                conn.sock.settimeout(limit)
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.getheader("Content-Type", "").split(";")[0].strip(), data
            except TimeoutError:
                # the server is still working on it: retrying would only double the wait (and an
                # update might be applied twice); the connection is unusable now
                conn.close()
                self._local.conn = None
                raise StoreTimeout(f"the SPARQL server at {self.display} did not answer within {limit:g} s",
                                   reason="timeout") from None
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise StoreUnavailable(f"the SPARQL server at {self.display} is not answering ({e})",
                                           reason=str(e)) from None
        raise AssertionError("unreachable")

    def _check(self, status: int, data: bytes, what: str) -> None:
        if status in (401, 403):
            raise StoreError(f"the SPARQL server at {self.display} refused the credentials ({status})")
        if status == 400:
            raise SyntaxError(data.decode("utf-8", "replace").strip()[:500] or f"{what} rejected")
        if status >= 500 or status == 503:
            raise StoreUnavailable(f"the SPARQL server at {self.display} failed ({status}): "
                                   f"{data.decode('utf-8', 'replace').strip()[:300]}", reason=str(status))
        if status >= 300:
            raise StoreError(f"the SPARQL server at {self.display} answered {status} to {what}: "
                             f"{data.decode('utf-8', 'replace').strip()[:300]}")

    # -- Backend -----------------------------------------------------------------
    def query(self, text: str, default: list[ox.NamedNode] | None, named: list[ox.NamedNode] | None,
              timeout: float | None = None) -> Any:
        form: list[tuple[str, str]] = [("query", text)]
        if default is not None:
            form += [("default-graph-uri", g.value) for g in default] or [("default-graph-uri", EMPTY_GRAPH)]
        if named is not None:
            form += [("named-graph-uri", g.value) for g in named] or [("named-graph-uri", EMPTY_GRAPH)]
        status, ctype, data = self._request("POST", self.query_url, urllib.parse.urlencode(form).encode(),
                                            "application/x-www-form-urlencoded", _ACCEPT, timeout)
        self._check(status, data, "a query")
        if ctype in ("application/n-triples", "text/plain"):
            return [q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES)]
        if ctype == "text/turtle":
            return [q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE)]
        fmt = ox.QueryResultsFormat.XML if "xml" in ctype else ox.QueryResultsFormat.JSON
        return ox.parse_query_results(data, fmt)

    def update(self, text: str) -> None:
        status, _, data = self._request("POST", self.update_url, text.encode("utf-8"), "application/sparql-update")
        self._check(status, data, "an update")

    def load(self, graph: ox.NamedNode, source: dict, fmt: ox.RdfFormat, *, quads: bool,
             base_iri: str | None, guard: Callable[[], None] | None = None) -> None:
        kw: dict[str, Any] = {"format": fmt, "rename_blank_nodes": True}
        if base_iri:
            kw["base_iri"] = base_iri
        self.extend(ox.parse(**source, **kw), graph=graph.value, guard=guard)

    def extend(self, quads: Iterable[ox.Quad], *, graph: str | None = None,
               guard: Callable[[], None] | None = None) -> None:
        """Insert quads in batches (``graph``: put every quad's triple in that graph instead;
        ``guard``: called before each batch is sent).

        Batches are parsed and serialised here while the previous one is sent by a second
        thread, so this process's work overlaps the server's.
        """
        with _Uploader(self, guard) as up:
            batch: dict[str, list[ox.Triple]] = {}
            size = 0
            for q in quads:
                batch.setdefault(graph or q.graph_name.value, []).append(q.triple)
                size += 1
                if size >= BATCH_TRIPLES:
                    up.send(batch)
                    batch, size = {}, 0
            if batch:
                up.send(batch)

    def _post_triples(self, graph: str, body: bytes) -> None:
        """Add N-Triples to a graph: a Graph Store Protocol POST, else an INSERT DATA update."""
        if self.store_url:
            url = self.store_url + ("&" if "?" in self.store_url else "?") + \
                urllib.parse.urlencode({"graph": graph})
            status, _, data = self._request("POST", url, body, "application/n-triples")
            self._check(status, data, "a Graph Store Protocol upload")
        else:
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode('utf-8')}\n}} }}")

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        terms = {"s": s, "p": p, "o": o}
        pattern = " ".join(_nt(t) if t is not None else f"?{k}" for k, t in terms.items())
        graph = _nt(g) if g is not None else "?g"
        res = self.query(f"SELECT * WHERE {{ GRAPH {graph} {{ {pattern} }} }}", None, None)
        for sol in res:
            yield ox.Quad(s if s is not None else sol["s"], p if p is not None else sol["p"],
                          o if o is not None else sol["o"], g if g is not None else sol["g"])

    def named_graphs(self) -> list[ox.NamedNode]:
        res = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", None, None)
        return [sol["g"] for sol in res if isinstance(sol["g"], ox.NamedNode)]

    def drop_graph(self, g: ox.NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH <{g.value}>")

    def _count(self, g: ox.NamedNode) -> int:
        res = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}", None, None)
        return int(next(iter(res))["n"].value)

    def copy_graph(self, src: ox.NamedNode, dst: ox.NamedNode, *, guard: Callable[[], None] | None = None) -> None:
        """Copied on the server (blank nodes stay themselves), MOVE_BATCH at a time. The batches page
        through ``src`` in the server's order, so ``src`` must not change meanwhile: the caller checks
        that it did not, and that ``dst`` ends as large as ``src``."""
        total = self._count(src)
        for offset in range(0, total, MOVE_BATCH):
            if guard is not None:
                guard()
            self.update(f"INSERT {{ GRAPH <{dst.value}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
                        f"{{ GRAPH <{src.value}> {{ ?s ?p ?o }} }} LIMIT {MOVE_BATCH} OFFSET {offset} }} }}")

    def empty_graph(self, g: ox.NamedNode, *, guard: Callable[[], None] | None = None) -> None:
        """MOVE_BATCH deleted per update (one ``DROP`` of 1M triples is one transaction the server
        holds in memory), then the graph dropped."""
        while self.query(f"ASK {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}", None, None):
            if guard is not None:
                guard()
            self.update(f"DELETE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
                        f"{{ GRAPH <{g.value}> {{ ?s ?p ?o }} }} LIMIT {MOVE_BATCH} }} }}")
        self.update(f"DROP SILENT GRAPH <{g.value}>")

    def clear(self) -> None:
        self.update("DROP SILENT ALL")

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()


class _Uploader:
    """Sends serialised batches; from the second batch on, from a second thread (one in flight, one waiting).

    A single batch (the usual small write) is sent from the caller's thread on its own
    connection. The first failure stops the upload: it is raised by the next ``send`` or
    on leaving the block. Leaving the block on an error of the caller's stops the thread too.
    """

    def __init__(self, backend: RemoteBackend, guard: Callable[[], None] | None = None):
        self.backend = backend
        self.guard = guard
        self.queue: "queue.Queue[tuple[str, bytes] | None]" = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.first: list[tuple[str, bytes]] | None = None

    def __enter__(self) -> "_Uploader":
        return self

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is None:
                    self._post(*item)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            self.error = e
            while self.queue.get() is not None:  # let the caller finish putting
                pass
        finally:
            self.backend.close()  # this thread's connection

    def _post(self, graph: str, body: bytes) -> None:
        if self.guard is not None:
            self.guard()
        self.backend._post_triples(graph, body)

    def send(self, batch: dict[str, list[ox.Triple]]) -> None:
        if self.error is not None:
            raise self.error
        items = [(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)) for graph, triples in batch.items()]
        if self.first is None and self.thread is None:
            self.first = items  # maybe the only batch: sent on leaving, from this thread
            return
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="govgraph-upload", daemon=True)
            self.thread.start()
            items = self.first + items
            self.first = None
        for item in items:
            self.queue.put(item)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        elif self.first is not None and exc_type is None:
            for item in self.first:
                self._post(*item)
        if exc_type is None and self.error is not None:
            raise self.error
