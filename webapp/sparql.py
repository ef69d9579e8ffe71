"""``/sparql``: the SPARQL 1.1 Protocol (query, read-only), its service description and query page.

Protocol handling only: reading the request, the result format, status codes. Checking a
query, its dataset and where it runs (killable worker processes over read-only snapshots, so
the time limit really stops the work) are the core's ``govgraph.query_service``. Updates go to ``/sparql/update`` (``webapp/api.py``) with a bearer token.
"""
from __future__ import annotations

import json
import threading

import rdflib
from flask import Blueprint, Response, current_app, g, render_template, request, url_for

from govgraph.io.query_pool import GRAPH_FORMATS, RESULT_FORMATS, QueryOutcome
from govgraph.io.sparql_text import Inspection, inspect
from govgraph.errors import BadInput, Busy
from govgraph.query_service import PREFIXES, QueryLimits, QueryRefused, QueryService
from govgraph.store import Store
from govgraph.webapp.context import read_store, view_store

bp = Blueprint("sparql", __name__)

DEFAULTS = {"SPARQL_TIMEOUT": 30.0, "SPARQL_MAX_BYTES": 50_000_000, "SPARQL_MAX_QUERY_CHARS": 100_000,
            "SPARQL_WORKERS": None, "SPARQL_POOL": True, "SPARQL_QUEUE_WAIT": 2.0}

#: Short names accepted in ?format= (handy in a browser), and in ?output= / ?results= (SPARQLWrapper sends
#: all three), mapped to media types. A name that fits both kinds of query form (json, xml, n3) is read
#: per form: ``xml`` is SPARQL XML for a SELECT and RDF/XML for a CONSTRUCT.
FORMAT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle",
                "ttl": "text/turtle", "n3": "text/turtle", "ntriples": "application/n-triples",
                "nt": "application/n-triples", "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
                "rdf": "application/rdf+xml", "jsonld": "application/ld+json", "json-ld": "application/ld+json"}
GRAPH_NAMES = {"json": "application/ld+json", "xml": "application/rdf+xml"}
FORMAT_PARAMS = ("format", "output", "results")
#: Generic media types clients send, mapped to the specific one we answer with.
RESULT_ALIASES = {"application/json": "application/sparql-results+json",
                  "application/xml": "application/sparql-results+xml", "text/xml": "application/sparql-results+xml"}
GRAPH_ALIASES = {"application/json": "application/ld+json", "text/plain": "application/n-triples",
                 "application/xml": "application/rdf+xml", "text/xml": "application/rdf+xml",
                 "application/x-turtle": "text/turtle"}
_RES_CHOICES = list(RESULT_FORMATS) + list(RESULT_ALIASES) + ["text/html"]
_GR_CHOICES = list(GRAPH_FORMATS) + list(GRAPH_ALIASES) + ["text/html"]
SD_FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld",
              "application/n-triples": "nt"}


DEFAULT_QUERY = """SELECT ?dataset ?title ?owner WHERE {
  ?dataset a dcat:Dataset ; dcterms:title ?title .
  OPTIONAL { ?dataset gov:owner/foaf:name ?owner }
} ORDER BY ?title LIMIT 50"""


class ProtocolError(Exception):
    """A request the protocol layer answers with a 4xx and a plain-text message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _cfg(name: str):
    return current_app.config.get(name, DEFAULTS[name])


#: Seconds a client told "busy" (503) is asked to wait before trying again.
RETRY_AFTER = "5"


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


@bp.errorhandler(ProtocolError)
def _protocol_error(e: ProtocolError):
    return _text(e.status, e.message)


@bp.errorhandler(QueryRefused)
def _refused(e: QueryRefused):
    return _text(e.status, str(e))


@bp.errorhandler(Busy)
def _busy(e: Busy):  # an as-of estate that could not be built now (too many at once, or too slow)
    return _text(503, str(e), {"Retry-After": str(e.retry_after)})


# ----------------------------------------------------------------------------- request reading

def read_query_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and the protocol's default/named graph IRIs from a GET (or HEAD) or POST."""
    if request.method in ("GET", "HEAD"):
        args = request.args
        if "update" in args:
            raise ProtocolError(400, "updates are not accepted by GET; POST them to /sparql/update with a token")
        return _one_query(args.getlist("query")), args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    ctype = (request.mimetype or "").lower()
    if ctype == "application/x-www-form-urlencoded":
        form = request.form
        if "update" in form and "query" not in form:
            raise ProtocolError(400, "this endpoint is read-only: send updates to /sparql/update with a bearer token")
        if "query" not in form:
            raise ProtocolError(400, "missing the 'query' form field")
        return _one_query(form.getlist("query") + request.args.getlist("query")), form.getlist("default-graph-uri"), form.getlist("named-graph-uri")
    if ctype == "application/sparql-query":
        if "query" in request.args:
            raise ProtocolError(400, "two queries: one in the body and one in the 'query' parameter; send one")
        text = request.get_data(cache=False, as_text=False)
        try:
            q = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "the query is not valid UTF-8") from None
        return q, request.args.getlist("default-graph-uri"), request.args.getlist("named-graph-uri")
    if ctype == "application/sparql-update":
        raise ProtocolError(400, "this endpoint is read-only: send updates to /sparql/update with a bearer token")
    raise ProtocolError(415, f"unsupported content type {ctype or '(none)'!r}: use application/sparql-query "
                             "or application/x-www-form-urlencoded")


def _one_query(values: list[str]) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"{len(values)} 'query' parameters: the protocol takes exactly one query")
    return values[0] if values else None


def negotiate(form: str | None) -> tuple[str, str, bool]:
    """The (results media type, graph media type, wants HTML) for this request; 406 if none fits.

    The ``Accept`` header decides when it names a format this query can be answered in. The
    non-standard ``format`` / ``output`` / ``results`` parameters decide when there is no such
    header, when it is only ``*/*``, when it prefers HTML (a browser, where the query page's own
    "Results as" choice is the parameter), or when it names nothing this query form has.
    """
    asked = [v.strip().lower() for p in FORMAT_PARAMS for v in request.values.getlist(p) if v.strip()]
    header = request.headers.get("Accept")
    if not header:
        return _by_name(form, asked) if asked else ("application/sparql-results+json", "text/turtle", False)
    single = header.strip().lower()
    if not any(c in single for c in ",;* \t"):  # one exact media type, as most tools send: no parsing needed
        res = single if single in _RES_CHOICES else None
        gr = single if single in _GR_CHOICES else None
        anything = False
    else:
        accept = request.accept_mimetypes
        if not accept:
            return _by_name(form, asked) if asked else ("application/sparql-results+json", "text/turtle", False)
        res = accept.best_match(_RES_CHOICES)
        gr = accept.best_match(_GR_CHOICES)
        anything = all(mt == "*/*" for mt, q in accept if q > 0)
    html = (form in ("SELECT", "ASK") and res == "text/html") or (form in ("CONSTRUCT", "DESCRIBE") and gr == "text/html")
    res_mt = RESULT_ALIASES.get(res, res) if res and res != "text/html" else None
    gr_mt = GRAPH_ALIASES.get(gr, gr) if gr and gr != "text/html" else None
    fits = res_mt is not None if form in ("SELECT", "ASK") else gr_mt is not None if form else True
    if asked and (anything or html or not fits):
        return _by_name(form, asked)
    if html:
        return "application/sparql-results+json", "text/turtle", True
    _check_fits(form, res_mt is not None, gr_mt is not None, request.headers.get("Accept", ""))
    return res_mt or "application/sparql-results+json", gr_mt or "text/turtle", False


def _by_name(form: str | None, asked: list[str]) -> tuple[str, str, bool]:
    """The formats named by ``format`` / ``output`` / ``results``: the first value that fits the query form."""
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    for value in asked:
        mt = (GRAPH_NAMES if graph_form else {}).get(value) or FORMAT_NAMES.get(value, value)
        mt = (GRAPH_ALIASES if graph_form else RESULT_ALIASES).get(mt, mt)
        if (mt in GRAPH_FORMATS) if graph_form else (mt in RESULT_FORMATS or form is None and mt in GRAPH_FORMATS):
            return (mt if mt in RESULT_FORMATS else "application/sparql-results+json",
                    mt if mt in GRAPH_FORMATS else "text/turtle", False)
    if not any(v in FORMAT_NAMES or v in _RES_CHOICES or v in _GR_CHOICES for v in asked):
        raise ProtocolError(406, f"unknown format {asked[0]!r}: use one of {', '.join(FORMAT_NAMES)}")
    kinds = GRAPH_FORMATS if graph_form else RESULT_FORMATS
    raise ProtocolError(406, f"cannot answer a {form} query as {asked[0]!r}: use one of {', '.join(kinds)}")


def _check_fits(form: str | None, results_ok: bool, graph_ok: bool, asked: str) -> None:
    if form in ("SELECT", "ASK") and not results_ok:
        raise ProtocolError(406, f"cannot answer a {form} query as {asked!r}: use one of {', '.join(RESULT_FORMATS)}")
    if form in ("CONSTRUCT", "DESCRIBE") and not graph_ok:
        raise ProtocolError(406, f"cannot answer a {form} query as {asked!r}: use one of {', '.join(GRAPH_FORMATS)}")


# ----------------------------------------------------------------------------- running

def query_service(app=None) -> QueryService:
    """The app's query service (``govgraph.query_service``) over its store, with the SPARQL_* limits."""
    app = app or current_app._get_current_object()
    ext = app.extensions
    with _SERVICE_LOCK:
        svc = ext.get("govgraph.query_service")
        if svc is None:
            def cfg(name: str):
                return app.config.get(name, DEFAULTS[name])
            svc = QueryService(ext["govgraph.store"], QueryLimits(
                timeout=float(cfg("SPARQL_TIMEOUT")), max_bytes=int(cfg("SPARQL_MAX_BYTES")),
                max_query_chars=int(cfg("SPARQL_MAX_QUERY_CHARS")), workers=cfg("SPARQL_WORKERS"),
                pool=bool(cfg("SPARQL_POOL")), queue_wait=float(cfg("SPARQL_QUEUE_WAIT"))))
            ext["govgraph.query_service"] = svc
        return svc


_SERVICE_LOCK = threading.Lock()


def run_query(text: str, default: list[str], named: list[str], results_type: str | None = None,
              graph_type: str | None = None, info: Inspection | None = None) -> tuple[QueryOutcome, str | None]:
    """Check and run one query for the current request; returns the outcome and the query form.

    ``info`` is the text's inspection when the caller already made it (with the
    predeclared prefixes). With ``asof`` (a request parameter, like ``default-graph-uri``)
    the query runs on the estate as it was then: an in-memory copy rebuilt from the change
    history. The checks, the dataset and where the query runs are the query service's.
    """
    svc = query_service()
    info = svc.check(text, info)
    if results_type is None:
        results_type, graph_type, _ = negotiate(info.form)
    try:
        store, _ = view_store()
    except BadInput as e:
        raise ProtocolError(400, f"asof: {e}") from None
    dataset = svc.dataset(store, default, named, info,
                          f" (see the service description at {url_for('sparql.endpoint')})")
    job = svc.job(text, info, dataset, results_type, graph_type or "text/turtle",
                  base_iri=url_for("sparql.endpoint", _external=True))
    return svc.run(store, job), info.form


def _respond(out: QueryOutcome) -> Response:
    if out.status != 200:
        return _text(out.status, out.error, {"Retry-After": RETRY_AFTER} if out.status == 503 else None)
    resp = Response(out.body, status=200, content_type=out.media_type)
    resp.headers["Vary"] = "Accept"
    resp.headers["X-Query-Seconds"] = f"{out.seconds:.4f}"
    if g.get("asof") is not None:
        resp.headers["X-As-Of"] = g.asof.isoformat()
    return resp


@bp.route("/sparql", methods=["GET", "HEAD", "POST"])
def endpoint():
    """The SPARQL 1.1 query endpoint; with no query, the service description or the query page.

    HEAD answers as GET does, headers only (the query runs, so the status is the real one).
    """
    text, default, named = read_query_request()
    if text is None:
        return service_description_response()
    limit = query_service().limits.max_query_chars
    within = len(text) <= limit
    # inspected once: the form decides the format; run_query refuses an over-long text (413)
    info = inspect(text, PREFIXES) if within else inspect(text[: limit + 1])
    results_type, graph_type, html = negotiate(info.form)
    if html:
        return query_page(text)
    out, _ = run_query(text, default, named, results_type, graph_type, info if within else None)
    return _respond(out)


# ----------------------------------------------------------------------------- service description

def service_description(endpoint_url: str, store: Store) -> rdflib.Graph:
    """A SPARQL 1.1 Service Description of this endpoint and its dataset."""
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    FMT = rdflib.Namespace("http://www.w3.org/ns/formats/")
    g = rdflib.Graph()
    g.bind("sd", SD)
    g.bind("formats", FMT)
    s = rdflib.URIRef(endpoint_url)
    g.add((s, rdflib.RDF.type, SD.Service))
    g.add((s, SD.endpoint, s))
    g.add((s, SD.supportedLanguage, SD.SPARQL11Query))
    for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
              "Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        g.add((s, SD.resultFormat, FMT[f]))
    g.add((s, rdflib.RDFS.comment, rdflib.Literal(
        "govgraph read-only SPARQL 1.1 endpoint. The default graph is the union of the loaded sources; "
        "each source is also a named graph. SERVICE and updates are refused; queries have a time limit.")))
    ds = rdflib.BNode("dataset")
    g.add((s, SD.defaultDataset, ds))
    g.add((ds, rdflib.RDF.type, SD.Dataset))
    dg = rdflib.BNode("defaultGraph")
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, rdflib.RDF.type, SD.Graph))
    total = 0
    for src in store.sources():
        ng = rdflib.BNode()
        g.add((ds, SD.namedGraph, ng))
        g.add((ng, rdflib.RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, rdflib.URIRef(src.graph)))
        g.add((ng, rdflib.RDFS.label, rdflib.Literal(src.name)))
        total += src.triples
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    g.add((dg, VOID.triples, rdflib.Literal(total)))
    return g


def service_description_response() -> Response:
    accept = request.accept_mimetypes
    best = accept.best_match(list(SD_FORMATS) + ["text/html"]) if request.headers.get("Accept") else "text/turtle"
    if best == "text/html":
        return query_page("")
    if best is None:
        raise ProtocolError(406, f"the service description is available as {', '.join(SD_FORMATS)}")
    g = service_description(url_for("sparql.endpoint", _external=True), read_store())
    return Response(g.serialize(format=SD_FORMATS[best]), content_type=f"{best}; charset=utf-8")


# ----------------------------------------------------------------------------- HTML page

def query_page(text: str) -> Response:
    """The query page: a form, adaptable examples and, when a query was given, its results as a table."""
    result = None
    error = None
    status = 200
    if text.strip():
        try:
            out, form = run_query(text, request.values.getlist("default-graph-uri"),
                                  request.values.getlist("named-graph-uri"),
                                  "application/sparql-results+json", "text/turtle")
        except ProtocolError as e:
            out, form = QueryOutcome(e.status, error=e.message), None
        except QueryRefused as e:
            out, form = QueryOutcome(e.status, error=str(e)), None
        if out.status != 200:
            error, status = out.error, out.status
        elif out.kind == "graph":
            result = {"graph": out.body.decode("utf-8")}
        else:
            data = json.loads(out.body)
            if "boolean" in data:
                result = {"boolean": data["boolean"]}
            else:
                cols = data["head"]["vars"]
                rows = [[b.get(c) for c in cols] for b in data["results"]["bindings"]]
                result = {"vars": cols, "rows": rows}
    html = render_template("sparql.html", query=text, default_query=DEFAULT_QUERY, result=result, error=error,
                           prefixes=PREFIXES, timeout=_cfg("SPARQL_TIMEOUT"), asof=g.get("asof"),
                           asof_value=request.values.get("asof", ""))
    return Response(html, status=status, content_type="text/html; charset=utf-8",
                    headers={"Retry-After": RETRY_AFTER} if status == 503 else None)


def shutdown(app) -> None:
    """Stop the app's query workers (for tests and server shutdown)."""
    svc = app.extensions.pop("govgraph.query_service", None)
    if svc is not None:
        svc.close()
