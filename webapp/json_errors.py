"""JSON error answers for the machine interfaces (``/api/v1``, ``/sparql/update``, DCAT, OpenLineage).

One rule: a govgraph error is answered with its own ``status`` (and ``Retry-After`` where it
says when to try again), its message and its ``details()``; see ``govgraph.errors``.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from govgraph.errors import GovGraphError


def error(status: int, message: str, **extra) -> Response:
    """A JSON error body: ``{"error": message, "status": status, ...}``."""
    resp = jsonify({"error": message, "status": status, **extra})
    resp.status_code = status
    return resp


def answer(e: GovGraphError) -> Response:
    """The JSON answer to a govgraph error."""
    message = f"{e}; {e.advice}" if e.advice else str(e)
    resp = error(e.status, message, **e.details())
    if e.retry_after is not None:
        resp.headers["Retry-After"] = str(e.retry_after)
    return resp


def register_errors(blueprint: Blueprint) -> None:
    """Answer every error raised under ``blueprint`` as JSON."""
    blueprint.errorhandler(GovGraphError)(answer)

    @blueprint.errorhandler(ValueError)
    def _value(e: ValueError):
        return error(400, str(e))

    @blueprint.errorhandler(404)
    def _404(e):
        return error(404, f"no such API route: {request.path}")

    @blueprint.errorhandler(405)
    def _405(e):
        return error(405, f"{request.method} is not allowed on {request.path}")
