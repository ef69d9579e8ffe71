"""``POST /api/v1/lineage``: OpenLineage events, the same path and body Marquez accepts.

Protocol handling only (content type, content coding, size, JSON, token); validation and
mapping are ``govgraph.io.openlineage.ingest_event``. A body may be sent gzip- or
deflate-compressed (``Content-Encoding``); the limit holds for its decoded size too. 201 when the event changed the graph, 200 when
it was already recorded (the same event twice changes nothing).
"""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from govgraph.io.openlineage import MAX_EVENT_BYTES, ingest_event
from govgraph.webapp.json_errors import error, register_errors
from govgraph.webapp.auth import principal, requires
from govgraph.webapp.content_coding import CodingError, decoded_body
from govgraph.webapp.context import store

bp = Blueprint("openlineage", __name__, url_prefix="/api/v1")
register_errors(bp)


@bp.post("/lineage")
@requires("editor")
def lineage_event():
    if (request.mimetype or "").lower() != "application/json":
        return error(415, f"unsupported content type {request.mimetype or '(none)'!r}: send application/json")
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return error(413, f"the event is larger than {MAX_EVENT_BYTES:,} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_EVENT_BYTES:
        return error(413, f"the event is larger than {MAX_EVENT_BYTES:,} bytes")
    try:
        raw = decoded_body(raw, request.headers.get("Content-Encoding"), MAX_EVENT_BYTES)
    except CodingError as e:
        return error(e.status, str(e))
    try:
        event = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return error(400, f"the body is not valid JSON: {e}")
    res = ingest_event(store(), event, who=principal().name)
    return jsonify(res.to_dict()), (201 if res.write.changed else 200)
