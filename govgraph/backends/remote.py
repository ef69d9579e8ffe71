"""The remote backend: any SPARQL 1.1 server (Oxigraph server, Fuseki, GraphDB, Virtuoso, Neptune).

URL form: ``sparql+http://HOST:PORT/QUERY_PATH?update=UPDATE_PATH&store=GSP_PATH``
(``sparql+https`` for TLS; ``update`` and ``store`` may be absolute URLs; ``store`` is
optional). Credentials: ``user:password@`` in the URL for HTTP Basic, or a bearer token
in ``GOVGRAPH_STORE_TOKEN``. Each change is sent as one SPARQL Update request so the
server applies it atomically; bulk loads go in batches through the Graph Store Protocol
when a ``store`` path is given, else as ``INSERT DATA`` batches.
"""
from __future__ import annotations

import http.client
import logging
import os
import queue
import re
import select
import threading
import time
import urllib.parse
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from govgraph.backends.base import Capabilities
from govgraph.backends.http_auth import Credentials
from govgraph.backends.quick_ack import QuickAckHTTPConnection, QuickAckHTTPSConnection
from govgraph.backends.results import ask_answer, csv_rows, portable_json, portable_xml, term_rows, triples
from govgraph.errors import StoreError, StoreQueryFailed, StoreTimeout, StoreUnavailable
from govgraph.ontology.ns import GG

BATCH_TRIPLES = 50_000
#: Triples per update when a graph is copied or emptied on the server (``copy_graph``, ``empty_graph``),
#: each update one server transaction. Oxigraph server peaked at 255 MB removing 100,000 triples in
#: updates of 50,000 and at 222 MB in updates of 10,000 (loading them: 62 MB): its write buffers,
#: not the update's size, hold most of that, so smaller updates would only cost more round trips.
MOVE_BATCH = 50_000
EMPTY_GRAPH = "urn:govgraph:empty"
#: What each query form is asked for: a results table for SELECT and ASK, RDF for CONSTRUCT and
#: DESCRIBE (a server may answer a graph query with a table if the Accept allows one).
_ACCEPT = {"SELECT": "application/sparql-results+json, application/sparql-results+xml;q=0.9",
           "ASK": "application/sparql-results+json, application/sparql-results+xml;q=0.9",
           "CONSTRUCT": "application/n-triples, text/turtle;q=0.9",
           "DESCRIBE": "application/n-triples, text/turtle;q=0.9"}
_ACCEPT_ANY = "application/sparql-results+json, application/n-triples;q=0.9"
#: Results tables as XML first, for a server whose JSON writer is the slow one: Virtuoso 7.2 writes
#: SPARQL XML in half the time of JSON (the lineage build on 2,000 datasets: 1.3 s instead of 2.6 s),
#: where Oxigraph's XML costs a third more to read than its JSON. (Virtuoso's TSV, faster still, is
#: not SPARQL TSV: it drops term types and language tags.)
_ACCEPT_TABLE_XML = "application/sparql-results+xml, application/sparql-results+json;q=0.9"
_XML_FIRST_SERVERS = ("virtuoso",)
#: A SELECT read as strings (``strings``): SPARQL CSV, which is all text, first. Virtuoso 7.2 writes
#: 10,000 rows of it in 80 ms, of XML in 230 ms, of JSON in 450 ms.
_ACCEPT_STRINGS = "text/csv, application/sparql-results+json;q=0.9, application/sparql-results+xml;q=0.8"
#: The prologue before a query's form keyword: comments, BASE and PREFIX declarations.
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*", re.I)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)
#: The header Virtuoso sets on an answer it cut short at its ResultSetMaxRows.
_MAXROWS_HEADER = "X-SPARQL-MaxRows"
#: The answer Oxigraph server writes, unasked, on a keep-alive connection left idle past its socket
#: timeout (``--timeout-s``, else 60 s) before closing it: its read of the next request failed.
_IDLE_TIMEOUT_ANSWER = b"Resource temporarily unavailable (os error 11)"
#: Virtuoso's answer to a write it rolled back because it deadlocked with another (SQL state 40001):
#: nothing of it was applied, so it is sent again, up to DEADLOCK_RETRIES times.
_DEADLOCKED = b"SR172: Transaction deadlocked"
DEADLOCK_RETRIES = 3
log = logging.getLogger(__name__)


def _stale(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle kept-alive connection has been closed or answered unasked by the server
    (readable before any request: a request sent on it would read that answer, or nothing)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form of a SPARQL query (None if not seen)."""
    m = _FORM.match(text, _PROLOGUE.match(text).end())
    return m.group(1).upper() if m else None


class DatasetIgnored(StoreQueryFailed):
    """The server ignores the protocol's ``default-graph-uri`` / ``named-graph-uri``: every query
    would read every graph (the registry, the audit trail, unfinished loads), so the store is refused
    (the server's final word, as a query it cannot run: 502 in the web app)."""


class RowCapped(StoreQueryFailed):
    """The server cut an answer short at its row cap (``cap`` rows); the answer is refused, never
    used truncated (``quads`` pages past it instead). The query asks for more than the server
    gives, as with govgraph's own size limit: 422, add LIMIT (or raise the server's cap)."""
    status = 422

    def __init__(self, message: str, cap: int):
        self.cap = cap
        super().__init__(message)


def _nt(term: Any) -> str:
    """A term in N-Triples syntax (pyoxigraph's str() of a term is exactly that)."""
    return str(term)


class RemoteBackend:
    """Talks to a SPARQL 1.1 server over HTTP, keeping one connection per thread."""

    exclusive = False
    capabilities = Capabilities(local_engine=False, on_disk=False, shared=True)

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
        self.credentials: Credentials | None = None
        if parsed.username:
            self.credentials = Credentials(urllib.parse.unquote(parsed.username),
                                           urllib.parse.unquote(parsed.password or ""))
        elif os.environ.get("GOVGRAPH_STORE_TOKEN"):
            self.headers["Authorization"] = "Bearer " + os.environ["GOVGRAPH_STORE_TOKEN"]
        self._local = threading.local()
        self.display = base + (parsed.path or "/query")
        #: the Accept for SELECT and ASK (chosen from the server's Server header at the first answer)
        self.table_accept = _ACCEPT["SELECT"]
        self._server_seen = False
        #: whether the server was seen to honour the protocol's dataset (None: not yet known, the store is empty)
        self.dataset_honoured: bool | None = None
        #: HTTP requests sent so far (round trips to the server, from every thread; for benchmarks and tests)
        self.requests = 0
        try:
            self.query("ASK { }", None, None)
        except StoreUnavailable as e:
            raise StoreUnavailable(f"cannot reach the SPARQL server at {self.display}: {e.reason}") from None

    # -- HTTP --------------------------------------------------------------------
    def _conn(self) -> http.client.HTTPConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = QuickAckHTTPSConnection if self.scheme == "https" else QuickAckHTTPConnection
            c = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = c
        return c

    def _request(self, method: str, url: str, body: bytes, content_type: str,
                 accept: str = "*/*", timeout: float | None = None) -> tuple[int, str, bytes, Any]:
        """One HTTP exchange: (status, content type, body, headers). A dropped keep-alive connection
        is re-opened once, a timeout never retried; a Digest challenge is answered once.

        ``timeout`` (seconds, default the backend's) bounds each wait for the server.
        """
        path = urllib.parse.urlsplit(url)
        target = path.path + (f"?{path.query}" if path.query else "")
        limit = self.timeout if timeout is None else timeout
        probe = False  # the last request went without credentials, to be challenged
        for _ in (1, 2, 3):
            headers = dict(self.headers, **{"Content-Type": content_type, "Accept": accept})
            sent = self.credentials.header(method, target) if self.credentials and not probe else ""
            if sent:
                headers["Authorization"] = sent
            status, ctype, data, resp_headers = self._exchange(method, target, body, headers, limit)
            if status != 401 or self.credentials is None:
                break
            if self.credentials.challenged(resp_headers.get("WWW-Authenticate")):
                probe = False  # answer the Digest challenge
            elif sent.startswith("Basic ") and not probe:
                probe = True  # Virtuoso refuses Basic without saying what it wants: ask it
            else:
                break
        return status, ctype, data, resp_headers

    def _exchange(self, method: str, target: str, body: bytes, headers: dict[str, str],
                  limit: float) -> tuple[int, str, bytes, Any]:
        for attempt in (1, 2):
            conn = self._conn()
            conn.timeout = limit
            if _stale(conn):
                conn.close()  # the server closed it while idle: a new connection (http.client opens it)
            reused = conn.sock is not None
            if reused:
                conn.sock.settimeout(limit)
            try:
                self.requests += 1
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 500 and data.strip() == _IDLE_TIMEOUT_ANSWER and reused and attempt == 1:
                    # the server timed the idle connection out as the request went: it never read it
                    log.warning("the SPARQL server at %s closed an idle connection as a request was sent "
                                "(%s): sending it again on a new connection", self.display, data.decode())
                    conn.close()
                    continue
                return resp.status, resp.getheader("Content-Type", "").split(";")[0].strip(), data, resp.headers
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
        """Raise for an answer that is not a success: an outage (a gateway's 502, 503 or 504) is
        StoreUnavailable, to be tried again; any other failure is the server's final word on this
        request (StoreQueryFailed, with its message)."""
        message = data.decode("utf-8", "replace").strip()
        if status in (401, 403):
            raise StoreError(f"the SPARQL server at {self.display} refused the credentials ({status})")
        if status == 400:
            raise SyntaxError(message[:500] or f"{what} rejected")
        if status in (502, 503, 504):
            raise StoreUnavailable(f"the SPARQL server at {self.display} is not available ({status}): "
                                   f"{message[:300]}", reason=str(status))
        if status >= 300:
            raise StoreQueryFailed(f"the SPARQL server at {self.display} could not answer {what} "
                                   f"({status}): {message[:1000]}")

    # -- Backend -----------------------------------------------------------------
    def query(self, text: str, default: list[ox.NamedNode] | None, named: list[ox.NamedNode] | None,
              timeout: float | None = None, *, page: int | None = None, prefixes: dict[str, str] | None = None,
              base_iri: str | None = None, check_dataset: bool = True, strings: bool = False) -> Any:
        """Run a query (``page``: the query has ``LIMIT page`` of at most the server's row cap, so
        an answer of that size is whole even if the server flags it as capped; ``strings``: a SELECT's
        rows as ``strings`` gives them). ``prefixes`` and
        ``base_iri`` go before the text (its own BASE and PREFIX, after them, win). A query with a dataset
        is sent only to a server not known to ignore it (``_check_dataset``)."""
        if check_dataset and (default is not None or named is not None) and not self.dataset_honoured:
            self._check_dataset()
        if prefixes or base_iri:
            prologue = f"BASE <{base_iri}>\n" if base_iri else ""
            text = prologue + "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or {}).items()) + text
        form: list[tuple[str, str]] = [("query", text)]
        if default is not None:
            form += [("default-graph-uri", g.value) for g in default] or [("default-graph-uri", EMPTY_GRAPH)]
        if named is not None:
            form += [("named-graph-uri", g.value) for g in named] or [("named-graph-uri", EMPTY_GRAPH)]
        qform = query_form(text) or ""
        accept = self.table_accept if qform in ("SELECT", "ASK") else _ACCEPT.get(qform, _ACCEPT_ANY)
        if strings and qform == "SELECT":
            accept = _ACCEPT_STRINGS
        status, ctype, data, headers = self._request("POST", self.query_url, urllib.parse.urlencode(form).encode(),
                                                     "application/x-www-form-urlencoded", accept, timeout)
        if not self._server_seen:
            self._server_seen = True
            if any(name in (headers.get("Server") or "").lower() for name in _XML_FIRST_SERVERS):
                self.table_accept = _ACCEPT_TABLE_XML
        self._check(status, data, "a query")
        cap = headers.get(_MAXROWS_HEADER)
        if cap is not None and not (page is not None and cap.strip().isdigit() and page <= int(cap)):
            raise RowCapped(f"the answer is larger than the limit of {cap} rows of the SPARQL server at "
                            f"{self.display}: add LIMIT, or raise the server's limit (Virtuoso: ResultSetMaxRows "
                            f"in [SPARQL]); nothing partial was used",
                            int(cap) if cap.strip().isdigit() else 0)
        if strings and ctype == "text/csv":
            return csv_rows(data)
        if ctype in ("application/n-triples", "text/plain"):
            return triples(data, ox.RdfFormat.N_TRIPLES)
        if ctype == "text/turtle":
            return triples(data, ox.RdfFormat.TURTLE)
        if "xml" in ctype:
            res = ox.parse_query_results(portable_xml(data), ox.QueryResultsFormat.XML)
        else:
            res = ox.parse_query_results(portable_json(data), ox.QueryResultsFormat.JSON)
        if isinstance(res, ox.QuerySolutions) and query_form(text) == "ASK":
            res = ask_answer(res)
        return term_rows(res) if strings else res

    def strings(self, text: str, default: list[ox.NamedNode] | None,
                named: list[ox.NamedNode] | None) -> list[tuple[str, ...]]:
        """A SELECT's rows as strings (``results.term_rows``), asked for as SPARQL CSV."""
        return self.query(text, default, named, strings=True)

    def _check_dataset(self) -> None:
        """Refuse a server that ignores ``default-graph-uri`` (rdflib-endpoint 0.6 answers every query
        over the union of all graphs): govgraph's hidden graphs would be read as data."""
        if self.dataset_honoured is None:
            self._probe_dataset()
        if self.dataset_honoured is False:
            raise DatasetIgnored(f"the SPARQL server at {self.display} ignores the protocol's default-graph-uri "
                                 f"(an empty default graph matched triples): govgraph needs a server that honours "
                                 f"it, else every query would read the store's hidden graphs")

    def _probe_dataset(self) -> None:
        """An empty default graph must match nothing; once a query over all graphs finds a triple, that
        proves the server honours it. While the store is empty nothing is known: the probe is made again
        before the next query with a dataset, and after each update (a writer's first update, its claim
        on the commit lock, is probed, so the load is refused at its first read, the claim withdrawn)."""
        if bool(self.query("ASK { ?s ?p ?o }", [ox.NamedNode(EMPTY_GRAPH)], None, check_dataset=False)):
            self.dataset_honoured = False
        elif bool(self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", None, None)):
            self.dataset_honoured = True

    def _write(self, url: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        """POST a write; one the server rolled back as deadlocked is sent again (a few times)."""
        for attempt in range(DEADLOCK_RETRIES + 1):
            status, _, data, _ = self._request("POST", url, body, content_type)
            if not (status == 500 and _DEADLOCKED in data) or attempt == DEADLOCK_RETRIES:
                return status, data
            log.warning("the SPARQL server at %s rolled back a write as deadlocked: sending it again", self.display)
            time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def update(self, text: str) -> None:
        status, data = self._write(self.update_url, text.encode("utf-8"), "application/sparql-update")
        self._check(status, data, "an update")
        if self.dataset_honoured is None:  # the store now holds something: the probe can tell
            self._probe_dataset()

    def load(self, graph: ox.NamedNode, source: dict, fmt: ox.RdfFormat, *, quads: bool,
             base_iri: str | None, guard: Callable[[], None] | None = None) -> None:
        kw: dict[str, Any] = {"format": fmt, "rename_blank_nodes": True}
        if base_iri:
            kw["base_iri"] = base_iri
        self.extend(ox.parse(**source, **kw), graph=graph.value, guard=guard)

    def extend(self, quads: Iterable[ox.Quad], *, graph: str | None = None,
               guard: Callable[[], None] | None = None, bulk: bool = False) -> None:
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
            status, data = self._write(url, body, "application/n-triples")
            self._check(status, data, "a Graph Store Protocol upload")
        else:
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode('utf-8')}\n}} }}")

    def contains(self, quad: ox.Quad) -> bool:
        return any(True for _ in self.quads(quad.subject, quad.predicate, quad.object, quad.graph_name))

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        """Matching quads; an answer the server caps (Virtuoso's ResultSetMaxRows) is read in
        pages (``_select_all``)."""
        terms = {"s": s, "p": p, "o": o}
        pattern = " ".join(_nt(t) if t is not None else f"?{k}" for k, t in terms.items())
        graph = _nt(g) if g is not None else "?g"
        for sol in self._select_all("*", f"GRAPH {graph} {{ {pattern} }}"):
            yield ox.Quad(s if s is not None else sol["s"], p if p is not None else sol["p"],
                          o if o is not None else sol["o"], g if g is not None else sol["g"])

    def _select_all(self, projection: str, where: str, modifiers: str = "") -> Iterator[Any]:
        """Every solution of ``SELECT projection WHERE { where } modifiers``; an answer the server caps is
        read again in pages of the cap's size.

        The pages are not sorted (Virtuoso sorts at most 10,000 rows, offset included, so
        ``ORDER BY`` pages end there): the distinct solutions gathered must then number what
        the server counts for the same query, else the answer is refused, never used short."""
        text = f"SELECT {projection} WHERE {{ {where} }}{modifiers}"
        try:
            yield from self.query(text, None, None)
            return
        except RowCapped as e:
            if e.cap <= 0:
                raise
            cap = e.cap
        expected = int(next(iter(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {text} }}", None, None)))["n"].value)
        seen: set[tuple[str, ...]] = set()
        rows = []
        for offset in range(0, expected + cap, cap):  # bounded: a page past the count comes back empty
            page = list(self.query(f"{text} LIMIT {cap} OFFSET {offset}", None, None, page=cap))
            for sol in page:
                key = tuple(str(t) for t in sol)
                if key not in seen:
                    seen.add(key)
                    rows.append(sol)
            if len(page) < cap:
                break
        if len(seen) != expected:
            raise StoreQueryFailed(f"the SPARQL server at {self.display} capped an answer at {cap:,} rows, and its "
                                   f"pages gave {len(seen):,} distinct rows of {expected:,} (the data changed "
                                   f"meanwhile, or the server's order is not stable); try again")
        yield from rows

    def named_graphs(self) -> list[ox.NamedNode]:
        """The named graphs holding triples. ``GRAPH ?g { }`` is the cheap way to ask, but Virtuoso
        answers it with one empty solution, so such an answer is asked again with a pattern every server
        matches, grouped: Virtuoso 7.2 answers the grouped form from its graph index (0.1 s over 1M quads)
        where ``SELECT DISTINCT ?g`` scans every quad (over 60 s)."""
        res = [sol["g"] for sol in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", None, None)]
        if not any(g is not None for g in res):  # Virtuoso: one solution with ?g unbound
            res = [sol["g"] for sol in self._select_all("?g", "GRAPH ?g { ?s ?p ?o }", " GROUP BY ?g")]
        return [g for g in res if isinstance(g, ox.NamedNode)]

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
        holds in memory), then the graph dropped. A server whose deletes leave the graph as it was
        is reported, not asked again for ever."""
        for _ in range(self._count(g) // MOVE_BATCH + 2):
            if not self.query(f"ASK {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}", None, None):
                break
            if guard is not None:
                guard()
            self.update(f"DELETE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
                        f"{{ GRAPH <{g.value}> {{ ?s ?p ?o }} }} LIMIT {MOVE_BATCH} }} }}")
        else:
            raise StoreQueryFailed(f"the SPARQL server at {self.display} did not empty graph <{g.value}> "
                                   f"{MOVE_BATCH:,} triples at a time")
        self.update(f"DROP SILENT GRAPH <{g.value}>")

    def clear(self) -> None:
        """Drop every graph: ``DROP ALL``, then govgraph's own graphs one by one for a server that
        keeps its graphs through ``DROP ALL`` (Virtuoso, whose own graphs are left alone)."""
        self.update("DROP SILENT ALL")
        left = [g for g in self.named_graphs() if g.value.startswith(str(GG))]
        if left:
            self.update(";\n".join(f"DROP SILENT GRAPH <{g.value}>" for g in left))

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


def open_remote(url: str) -> RemoteBackend:
    """``sparql+http://HOST:PORT/QUERY_PATH?update=…&store=…`` (or ``sparql+https``)."""
    return RemoteBackend(url)
