"""The OpenAPI 3.1 document for ``/api/v1`` and the other machine interfaces (stable JSON shapes)."""
from __future__ import annotations

from govgraph import __version__

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NULLSTR = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _q(name: str, description: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or _STR}


_ERRORS = {"400": _json(_ref("Error"), "Bad input"), "404": _json(_ref("Error"), "Not found")}
_AUTH_ERRORS = {"401": _json(_ref("Error"), "Missing or invalid bearer token"),
                "403": _json(_ref("Error"), "The token's role is not enough, or writes are disabled"),
                "415": _json(_ref("Error"), "Wrong content type"),
                "409": _json(_ref("Error"), "Another writer changed the same thing first: nothing changed, try again"),
                "422": _json(_ref("ValidationError"), "The change breaks a shape: refused, with the report")}
_IRI = _q("iri", "An asset's IRI or exact name", True)

SCHEMAS: dict = {
    "Error": {"type": "object", "required": ["error", "status"],
              "properties": {"error": _STR, "status": _INT}},
    "ValidationError": {"type": "object", "required": ["error", "status"],
                        "properties": {"error": _STR, "status": _INT, "report": {"type": ["object", "null"]}}},
    "AssetSummary": {"type": "object", "required": ["iri", "label", "kind", "description"],
                     "properties": {"iri": _STR, "label": _STR, "kind": _STR, "description": _STR}},
    "AssetPage": {"type": "object", "required": ["total", "items"],
                  "properties": {"total": _INT, "items": {"type": "array", "items": _ref("AssetSummary")}}},
    "Ref": {"type": "object", "required": ["iri", "label", "kind"],
            "properties": {"iri": _STR, "label": _STR, "kind": _STR}},
    "Asset": {"type": "object", "required": ["iri", "label", "kind", "kind_label", "types", "owners", "properties"],
              "properties": {"iri": _STR, "label": _STR, "kind": _STR, "kind_label": _STR, "description": _STR,
                             "types": {"type": "array", "items": _ref("Ref")},
                             "owners": {"type": "array", "items": _ref("Ref")},
                             "stewards": {"type": "array", "items": _ref("Ref")},
                             "systems": {"type": "array", "items": _ref("Ref")},
                             "classification": _NULLSTR, "personal_data": {"type": "boolean"},
                             "special_category": {"type": "boolean"},
                             "properties": {"type": "array", "items": {"type": "object"}}}},
    "Lineage": {"type": "object", "required": ["root", "direction", "nodes", "edges", "notices"],
                "properties": {"root": _STR, "direction": _STR, "depth": {"type": ["integer", "null"]},
                               "notices": {"type": "array", "items": _STR},
                               "nodes": {"type": "array", "items": {"type": "object", "required": ["iri"]}},
                               "edges": {"type": "array", "items": {"type": "object"}}}},
    "Paths": {"type": "object", "required": ["source", "target", "paths", "truncated"],
              "properties": {"source": _STR, "target": _STR, "truncated": {"type": "boolean"},
                             "paths": {"type": "array", "items": {"type": "array", "items": _STR}},
                             "hops": {"type": "array"}, "nodes": {"type": "array"},
                             "notices": {"type": "array", "items": _STR}}},
    "Impact": {"type": "object"},
    "Sharing": {"type": "object"},
    "Finding": {"type": "object", "required": ["focus", "severity", "principle", "message", "shape"],
                "properties": {"focus": _STR, "path": _NULLSTR, "value": _NULLSTR, "severity": _STR,
                               "principle": _INT, "message": _STR, "shape": _STR}},
    "Validation": {"type": "object", "required": ["conforms", "check_date", "counts", "findings"],
                   "properties": {"conforms": {"type": "boolean"}, "check_date": _STR,
                                  "counts": {"type": "object", "additionalProperties": _INT},
                                  "findings": {"type": "array", "items": _ref("Finding")}}},
    "Source": {"type": "object", "required": ["name", "graph", "triples", "loaded_at", "loaded_from"],
               "properties": {"name": _STR, "graph": _STR, "triples": _INT, "loaded_at": _NULLSTR,
                              "loaded_from": _STR}},
    "Sources": {"type": "object", "required": ["revision", "sources"],
                "properties": {"revision": _INT, "sources": {"type": "array", "items": _ref("Source")}}},
    "WriteResult": {"type": "object", "required": ["source", "triples", "changed"],
                    "properties": {"source": _STR, "triples": _INT, "changed": {"type": "boolean"},
                                   "revision": _INT, "added": _INT, "removed": _INT, "action": _STR,
                                   "warnings": _INT,
                                   "baseline": {"type": "object", "description": "Known gaps this write recorded "
                                                "(as_is) and fixed", "properties": {
                                                    "added": {"type": "array", "items": _ref("Gap")},
                                                    "fixed": {"type": "array", "items": _ref("Gap")}}}}},
    "Gap": {"type": "object", "required": ["source", "shape", "focus", "principle", "message"],
            "properties": {"source": _STR, "shape": _STR, "focus": _STR, "path": {"type": ["string", "null"]},
                           "value": {"type": ["string", "null"]}, "principle": _INT, "message": _STR}},
    "Baselines": {"type": "object", "required": ["revision", "sources"],
                  "properties": {"revision": _INT, "sources": {"type": "array", "items": {
                      "type": "object", "required": ["source", "gaps", "trend"],
                      "properties": {"source": _STR, "gaps": {"type": "array", "items": _ref("Gap")},
                                     "trend": {"type": "array", "items": {"type": "object", "properties": {
                                         "revision": _INT, "at": {"type": ["string", "null"]}, "gaps": _INT}}}}}}}},
    "Removed": {"type": "object", "required": ["source", "removed", "revision"],
                "properties": {"source": _STR, "removed": _INT, "revision": _INT}},
    "IngestResult": {"type": "object", "required": ["kind", "subject", "run", "source", "eventType", "changed", "datasets"],
                     "properties": {"kind": {"type": "string", "enum": ["RunEvent", "DatasetEvent", "JobEvent"]},
                                    "subject": _STR, "run": {"type": ["string", "null"]},
                                    "source": _STR, "eventType": _STR, "changed": {"type": "boolean"},
                                    "datasets": {"type": "object", "additionalProperties": _STR},
                                    "triples": _INT, "revision": _INT,
                                    "dropped": {"type": "array", "items": _STR},
                                    "warnings": {"type": "array", "items": _STR}}},
}


def document(server: str = "") -> dict:
    """The OpenAPI document; ``server`` is the app's base URL."""
    page = [_q("limit", "Page size (1-1000)", schema=_INT), _q("offset", "Items to skip", schema=_INT)]
    bearer = [{"bearer": []}]
    paths = {
        "/api/v1/assets": {"get": {"summary": "List assets with filters", "operationId": "listAssets",
                                   "parameters": [_q("kind", "dataset, report, system, person ..."),
                                                  _q("owner", "Owner IRI"), _q("system", "System IRI"),
                                                  _q("classification", "OFFICIAL or OFFICIAL-SENSITIVE"),
                                                  _q("personal", "true or false"), _q("q", "Text to match")] + page,
                                   "responses": {"200": _json(_ref("AssetPage")), **_ERRORS}}},
        "/api/v1/search": {"get": {"summary": "Free-text search", "operationId": "search",
                                   "parameters": [_q("q", "Words to find", True)] + page,
                                   "responses": {"200": _json(_ref("AssetPage")), **_ERRORS}}},
        "/api/v1/asset": {"get": {"summary": "One asset with everything known about it", "operationId": "getAsset",
                                  "parameters": [_IRI], "responses": {"200": _json(_ref("Asset")), **_ERRORS}}},
        "/api/v1/lineage/upstream": {"get": {"summary": "Everything an asset comes from", "operationId": "upstream",
                                             "parameters": [_IRI, _q("depth", "Hops (0: all)", schema=_INT)],
                                             "responses": {"200": _json(_ref("Lineage")), **_ERRORS}}},
        "/api/v1/lineage/downstream": {"get": {"summary": "Everything an asset feeds", "operationId": "downstream",
                                               "parameters": [_IRI, _q("depth", "Hops (0: all)", schema=_INT)],
                                               "responses": {"200": _json(_ref("Lineage")), **_ERRORS}}},
        "/api/v1/lineage/impact": {"get": {"summary": "What is affected if an asset goes", "operationId": "impact",
                                           "parameters": [_IRI], "responses": {"200": _json(_ref("Impact")), **_ERRORS}}},
        "/api/v1/sharing": {"get": {"summary": "Personal data crossing the council's boundary, gaps first",
                                    "operationId": "sharing",
                                    "parameters": [_q("date", "Check agreements on this date (YYYY-MM-DD)"),
                                                   _q("gaps", "true: only crossings with a gap")],
                                    "responses": {"200": _json(_ref("Sharing")), **_ERRORS}}},
        "/api/v1/lineage/path": {"get": {"summary": "Lineage paths between two assets", "operationId": "paths",
                                         "parameters": [_q("from", "Start asset", True), _q("to", "End asset", True),
                                                        _q("max_hops", "Longest path", schema=_INT),
                                                        _q("limit", "Most paths", schema=_INT)],
                                         "responses": {"200": _json(_ref("Paths")), **_ERRORS}}},
        "/api/v1/validation": {"get": {"summary": "Findings of the principle shapes", "operationId": "validation",
                                       "parameters": [_q("focus", "Only findings about this IRI"),
                                                      _q("severity", "Violation, Warning or Info"),
                                                      _q("date", "Check date (YYYY-MM-DD)")],
                                       "responses": {"200": _json(_ref("Validation")), **_ERRORS}}},
        "/api/v1/baselines": {"get": {"summary": "Each source's known gaps (baseline of as-is writes) and trend",
                                      "operationId": "baselines",
                                      "parameters": [_q("revision", "As the baselines were at this revision", schema=_INT)],
                                      "responses": {"200": _json(_ref("Baselines")), **_ERRORS}}},
        "/api/v1/sources": {"get": {"summary": "Loaded sources", "operationId": "sources",
                                    "responses": {"200": _json(_ref("Sources"))}}},
        "/api/v1/sources/{name}": {
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": _STR}],
            "get": {"summary": "One source", "operationId": "getSource", "responses": {"200": _json(_ref("Source")), **_ERRORS}},
            "put": {"summary": "Create or replace a source with RDF (validated)", "operationId": "putSource",
                    "security": bearer,
                    "parameters": [_q("as_is", "true: commit whatever the findings (editors); the violations it "
                                      "introduces become the source's baseline of known gaps, and later writes are "
                                      "refused only for new ones. Default false: refused (422) on a new violation",
                                      schema={"type": "boolean"})],
                    "requestBody": {"required": True, "content": {t: {"schema": _STR} for t in (
                        "text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")}},
                    "responses": {"200": _json(_ref("WriteResult"), "Unchanged"),
                                  "201": _json(_ref("WriteResult"), "Written"), **_ERRORS, **_AUTH_ERRORS}},
            "delete": {"summary": "Remove a source (admin)", "operationId": "deleteSource", "security": bearer,
                       "responses": {"200": _json(_ref("Removed")), **_ERRORS, **_AUTH_ERRORS}}},
        "/api/v1/lineage": {"post": {
            "summary": "Ingest an OpenLineage event: a RunEvent, or static lineage (DatasetEvent, JobEvent); "
                       "the path Marquez uses", "operationId": "postLineage",
            "security": bearer,
            "parameters": [{"name": "Content-Encoding", "in": "header", "required": False,
                            "schema": {"type": "string", "enum": ["gzip", "deflate", "identity"]}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json"}}}},
            "responses": {"200": _json(_ref("IngestResult"), "Already recorded: nothing changed"),
                          "201": _json(_ref("IngestResult"), "Recorded"),
                          "413": _json(_ref("Error"), "Too large (as sent, or once decoded)"),
                          **_ERRORS, **_AUTH_ERRORS,
                          "415": _json(_ref("Error"), "Not application/json, or a content coding other than gzip or deflate")}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                         "responses": {"200": _json({"type": "object"})}}},
        "/sparql": {
            "get": {"summary": "SPARQL 1.1 Protocol query (read-only); service description without a query",
                    "operationId": "sparqlGet",
                    "parameters": [_q("query", "SPARQL query"), _q("default-graph-uri", "Source graph IRI"),
                                   _q("named-graph-uri", "Source graph IRI")],
                    "responses": {"200": {"description": "Results by content negotiation"},
                                  "400": {"description": "Malformed or refused query"},
                                  "406": {"description": "No acceptable result format"},
                                  "413": {"description": "Query too long"},
                                  "422": {"description": "Time or result size limit passed"}}},
            "post": {"summary": "SPARQL 1.1 Protocol query by POST", "operationId": "sparqlPost",
                     "requestBody": {"content": {"application/sparql-query": {"schema": _STR},
                                                 "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
                     "responses": {"200": {"description": "Results"}, "400": {"description": "Bad query"},
                                   "415": {"description": "Wrong content type"}}}},
        "/sparql/update": {"post": {
            "summary": "SPARQL 1.1 Update of one source (validated)", "operationId": "sparqlUpdate",
            "security": bearer, "parameters": [_q("source", "The source to edit", True)],
            "requestBody": {"required": True, "content": {"application/sparql-update": {"schema": _STR},
                                                          "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
            "responses": {"200": _json(_ref("WriteResult")), **_ERRORS, **_AUTH_ERRORS}}},
        "/catalog.ttl": {"get": {"summary": "DCAT-AP catalogue of open datasets (Turtle)", "operationId": "dcatTurtle",
                                 "responses": {"200": {"description": "Turtle",
                                                       "content": {"text/turtle": {"schema": _STR}}}}}},
        "/catalog.jsonld": {"get": {"summary": "DCAT-AP catalogue of open datasets (JSON-LD)",
                                    "operationId": "dcatJsonld",
                                    "responses": {"200": {"description": "JSON-LD",
                                                          "content": {"application/ld+json": {"schema": {}}}}}}},
    }
    return {"openapi": "3.1.0",
            "info": {"title": "govgraph API", "version": __version__,
                     "description": "Machine interfaces of govgraph: the governance knowledge graph. When the "
                                    "server hides restricted assets (serve --hide-sensitive), every read answers "
                                    "from what the bearer token's access groups may see (none without a token; "
                                    "admins see all): hidden assets are absent (404, left out of lists, totals and "
                                    "SPARQL results) and lineage shows 'restricted asset' placeholders; an invalid "
                                    "token gets 401."},
            "servers": [{"url": server or "/"}],
            "paths": paths,
            "components": {"schemas": SCHEMAS,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
