"""Bearer-token checks for the write endpoints (protocol only: the tokens live in ``govgraph.auth``)."""
from __future__ import annotations

import functools
import os

from flask import current_app, g, jsonify, request

from govgraph.auth import Principal, TokenFile

TOKEN_FILE_ENV = "GOVGRAPH_TOKENS"


def token_file() -> TokenFile | None:
    """The app's token file (config ``TOKEN_FILE`` or env GOVGRAPH_TOKENS); None: writes are disabled."""
    ext = current_app.extensions
    if "govgraph.tokens" not in ext:
        path = current_app.config.get("TOKEN_FILE") or os.environ.get(TOKEN_FILE_ENV)
        ext["govgraph.tokens"] = TokenFile(path) if path else None
    return ext["govgraph.tokens"]


def _deny(status: int, message: str):
    resp = jsonify({"error": message, "status": status})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="govgraph"'
    return resp


def requires(role: str):
    """Decorator: the request must carry ``Authorization: Bearer TOKEN`` for ``role`` or stronger."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            tokens = token_file()
            if tokens is None:
                return _deny(403, "writes are disabled: the server has no token file (TOKEN_FILE / GOVGRAPH_TOKENS)")
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _deny(401, "a bearer token is required: send 'Authorization: Bearer TOKEN'")
            who = tokens.check(token.strip())
            if who is None:
                return _deny(401, "the token is not valid")
            if not who.can(role):
                return _deny(403, f"the token for {who.name!r} has role {who.role!r}; this needs {role!r}")
            g.principal = who
            return view(*args, **kwargs)
        return inner
    return wrap


def principal() -> Principal:
    """Who made the current (authenticated) request."""
    return g.principal
