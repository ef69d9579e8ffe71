"""``/api/v1``: the JSON API (assets, lineage, validation, sources), the write API, SPARQL Update
and the DCAT catalogue. Protocol handling only: every answer comes from catalog, lineage,
shapes or io functions; every write goes through the validated write path.

The OpenAPI document at ``/api/v1/openapi.json`` describes every route here and in
``webapp/openlineage.py`` (a test checks each registered route against it).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from govgraph import access, catalog
from govgraph import search as search_index
from govgraph.errors import BadInput, Busy
from govgraph.io.dcat import dcat_catalog, jsonld_context
from govgraph.io.formats import BY_MEDIA_TYPE, QUAD_FORMATS
from govgraph.io.sparql_update import apply_update
from govgraph.io.catalogued import write_catalogue
from govgraph.io.write import parse_triples
from govgraph.lineage import queries
from govgraph.lineage.sharing import sharing as sharing_of
from govgraph.shapes import baseline
from govgraph.shapes.validate import validate_store
from govgraph.shapes import kept
from govgraph.webapp.auth import principal, requires
from govgraph.webapp import findings
from govgraph.webapp.context import read_store, store
from govgraph.webapp.json_errors import error, register_errors
from govgraph.webapp.openapi import document
from govgraph.webapp.sparql import query_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")
update_bp = Blueprint("sparql_update", __name__)
dcat_bp = Blueprint("dcat", __name__)

#: Request bodies larger than this are refused (413) before parsing.
MAX_BODY = 20_000_000
#: The content types a source may be sent in (the format registry; quad formats are refused: a source is one graph).
RDF_TYPES = {m: f for m, f in BY_MEDIA_TYPE.items() if f not in QUAD_FORMATS}


for _bp in (bp, update_bp, dcat_bp):
    register_errors(_bp)


def _int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise BadInput(f"{name} must be a whole number, not {raw!r}") from None
    if not lo <= v <= hi:
        raise BadInput(f"{name} must be between {lo} and {hi}")
    return v


def _required(name: str) -> str:
    v = request.args.get(name, "").strip()
    if not v:
        raise BadInput(f"the {name!r} parameter is required")
    return v


def _body(limit: int = MAX_BODY) -> bytes:
    if (request.content_length or 0) > limit:
        raise BadInput(f"the request body is larger than {limit:,} bytes")
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise BadInput(f"the request body is larger than {limit:,} bytes")
    return data


# ----------------------------------------------------------------------------- assets

@bp.get("/assets")
def assets():
    """Assets by kind, owner, system, classification, personal data and text; one page."""
    personal = request.args.get("personal")
    total, items = catalog.list_assets(
        read_store(), kind=request.args.get("kind") or None, owner=request.args.get("owner") or None,
        system=request.args.get("system") or None, classification=request.args.get("classification") or None,
        text=request.args.get("q") or None,
        personal=None if personal in (None, "") else personal.lower() in ("1", "true", "yes"),
        limit=_int("limit", 50, 1, 1000), offset=_int("offset", 0, 0, 10_000_000))
    return jsonify({"total": total, "items": [a.to_dict() for a in items]})


@bp.get("/search")
def search():
    """Free-text search over labels, descriptions and glossary terms."""
    q = _required("q")
    total, items = search_index.search(read_store(), q, limit=_int("limit", 50, 1, 1000), offset=_int("offset", 0, 0, 10_000_000))
    return jsonify({"total": total, "items": [a.to_dict() for a in items]})


@bp.get("/asset")
def asset():
    """Everything about one asset, by IRI or exact name."""
    st = read_store()
    return jsonify(catalog.get_asset(st, search_index.resolve(st, _required("iri"))).to_dict())


# ----------------------------------------------------------------------------- lineage

@bp.get("/lineage/upstream")
def upstream():
    depth = _int("depth", 0, 0, 100) or None
    return jsonify(queries.upstream(read_store(), _required("iri"), depth).to_dict())


@bp.get("/lineage/downstream")
def downstream():
    depth = _int("depth", 0, 0, 100) or None
    return jsonify(queries.downstream(read_store(), _required("iri"), depth).to_dict())


@bp.get("/lineage/impact")
def impact():
    return jsonify(queries.impact(read_store(), _required("iri")).to_dict())


@bp.get("/sharing")
def sharing():
    """Every boundary crossing of personal data with agreement, lawful basis and Article 9 condition, gaps first."""
    res = sharing_of(read_store(), check_date=request.args.get("date") or None)
    if request.args.get("gaps", "").lower() in ("1", "true", "yes"):
        res = res.only_gaps()
    return jsonify(res.to_dict())


@bp.get("/lineage/path")
def path():
    return jsonify(queries.paths(read_store(), _required("from"), _required("to"),
                                    max_hops=_int("max_hops", 10, 1, 30), limit=_int("limit", 100, 1, 1000)).to_dict())


# ----------------------------------------------------------------------------- validation

@bp.get("/validation")
def validation():
    """Findings of the principle shapes on the current store (optionally about one focus node)."""
    st, day = read_store(), request.args.get("date")
    if day:  # another day's report is run now
        report = validate_store(access.origin(st), check_date=day)
        r = access.redaction_of(st)  # a redacted reader gets the original's findings minus those about hidden things
        if r is not None:
            report = type(report)([f for f in report.findings if access.visible_finding(r, f.focus, f.value)],
                                  report.check_date, report.scorecard, report.engine)
    else:  # today's is the store's kept one, brought up to date by each commit (redacted for this reader)
        report = findings.report(st)
        if report is None and findings.pending(st):  # a large store's first validation, in the background
            raise Busy("the store's first validation is still running (a few minutes for a large estate); "
                       "its findings are answered once it is done", retry_after=10)
        if report is None:  # it failed: its error is the answer
            report = kept.kept_report(access.origin(st)).report
    focus = request.args.get("focus")
    if focus:
        report = report.for_focus([focus])
    severity = request.args.get("severity")
    rows = [f.to_dict() for f in report.findings if not severity or f.severity == severity]
    return jsonify({"conforms": report.conforms, "check_date": report.check_date.isoformat(),
                    "counts": report.counts, "findings": rows})


# ----------------------------------------------------------------------------- sources (read and write)

def _source_dict(s) -> dict:
    return {"name": s.name, "graph": s.graph, "triples": s.triples,
            "loaded_at": s.loaded_at.isoformat() if s.loaded_at else None, "loaded_from": s.loaded_from}


@bp.get("/sources")
def sources():
    st = store()
    return jsonify({"revision": st.revision, "sources": [_source_dict(s) for s in st.sources()]})


@bp.get("/sources/<path:name>")
def source(name: str):
    return jsonify(_source_dict(store().source(name)))


@bp.put("/sources/<path:name>")
@requires("editor")
def put_source(name: str):
    """Create or replace a source with the RDF in the body (validated; refused with the report)."""
    fmt = RDF_TYPES.get((request.mimetype or "").lower())
    if fmt is None:
        return error(415, f"unsupported content type {request.mimetype or '(none)'!r}: send one of "
                          f"{', '.join(RDF_TYPES)}")
    data = _body()
    if not data.strip():
        raise BadInput("the request body is empty")
    triples = parse_triples(data, fmt)
    as_is = _flag("as_is")
    res = write_catalogue(store(), name, triples, who=principal().name, loaded_from="API upload" + (" (as is)" if as_is else ""),
                       may_remove=principal().can("admin"), as_is=as_is)
    return jsonify(res.to_dict()), (201 if res.changed else 200)


def _flag(name: str) -> bool:
    v = (request.args.get(name) or "false").lower()
    if v not in ("true", "false", "1", "0", "yes", "no"):
        raise BadInput(f"{name} must be true or false, not {v!r}")
    return v in ("true", "1", "yes")


@bp.get("/baselines")
def baselines():
    """Each source's known gaps (its baseline from as-is writes) and their trend, now or at ``revision``."""
    st = store()
    rev = _int("revision", st.revision, 0, st.revision)
    gaps, trend = baseline.baselines(st, rev), baseline.trend(st, rev)
    r = access.redaction_of(read_store())
    visible = (lambda g: access.visible_finding(r, g.focus, g.value)) if r is not None else (lambda g: True)
    return jsonify({"revision": rev, "sources": [
        {"source": src, "gaps": [g.to_dict() for g in gaps.get(src, []) if visible(g)],
         "trend": [{"revision": t.revision, "at": t.at.isoformat() if t.at else None, "gaps": t.gaps} for t in points]}
        for src, points in sorted(trend.items())]})


@bp.delete("/sources/<path:name>")
@requires("admin")
def delete_source(name: str):
    rec = store().remove_source(name, who=principal().name)
    return jsonify({"source": name, "removed": rec.removed, "revision": rec.revision})


# ----------------------------------------------------------------------------- SPARQL Update

@update_bp.post("/sparql/update")
@requires("editor")
def sparql_update():
    """SPARQL 1.1 Update over POST, applied to the source named by ``source`` (validated)."""
    ctype = (request.mimetype or "").lower()
    if ctype == "application/sparql-update":
        text = _body(1_000_000).decode("utf-8", errors="strict")
        name = request.args.get("source", "")
    elif ctype == "application/x-www-form-urlencoded":
        updates = request.form.getlist("update")
        if len(updates) > 1:
            raise BadInput(f"{len(updates)} 'update' parameters: the protocol takes exactly one update request")
        text = updates[0] if updates else ""
        name = request.form.get("source") or request.args.get("source", "")
    else:
        return error(415, f"unsupported content type {ctype or '(none)'!r}: use application/sparql-update "
                          "or application/x-www-form-urlencoded")
    dataset = [p for p in ("using-graph-uri", "using-named-graph-uri") if p in request.values]
    if dataset:
        raise BadInput(f"{dataset[0]} is not taken: an update edits the triples of the one source named by "
                       "the 'source' parameter")
    if not name.strip():
        raise BadInput("name the source to update with the 'source' parameter")
    live = store()
    pool = query_service().pool(copies=True)
    res = apply_update(live, name.strip(), text, who=principal().name, may_remove=principal().can("admin"),
                       runner=pool.run_update if pool is not None else None,
                       timeout=query_service().limits.timeout)
    return jsonify(res.to_dict()), 200


# ----------------------------------------------------------------------------- DCAT

@dcat_bp.get("/catalog.ttl")
def catalog_ttl():
    g = dcat_catalog(read_store(), base=_catalog_base())
    return Response(g.serialize(format="turtle"), content_type="text/turtle; charset=utf-8")


@dcat_bp.get("/catalog.jsonld")
def catalog_jsonld():
    g = dcat_catalog(read_store(), base=_catalog_base())
    return Response(g.serialize(format="json-ld", context=jsonld_context(), auto_compact=True),
                    content_type="application/ld+json; charset=utf-8")


def _catalog_base() -> str:
    """The configured public address (``BASE_URL``, ``serve --base-url``), never the request's Host header."""
    return current_app.config["BASE_URL"]


# ----------------------------------------------------------------------------- OpenAPI

@bp.get("/openapi.json")
def openapi():
    return jsonify(document(url_for("api.openapi", _external=True).rsplit("/api/v1", 1)[0]))
