"""Web hardening registered by ``create_app``: secure headers, request size limit, CSRF and
optional read protection.

* **Headers** on every response: a Content-Security-Policy that allows only our own
  scripts and stylesheets (plus, by hash, the one fixed ``<style>`` block the lineage SVG
  carries), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
  ``X-Frame-Options: DENY``.
* **Request size**: ``MAX_CONTENT_LENGTH`` (default 50 MB); a larger body is answered
  413 with a JSON body under ``/api`` and ``/sparql``, an HTML page elsewhere.
* **CSRF**: HTML forms that POST carry a hidden ``csrf_token`` field whose value must equal
  the signed ``govgraph_csrf`` cookie (double submit, HMAC-signed with ``SECRET_KEY`` or a
  per-process random key). Checked on unsafe methods for HTML routes. Exempt: requests with
  an ``Authorization`` header (bearer-token API clients carry no ambient credentials) and
  the JSON API / SPARQL Update paths. ``/sparql`` is the SPARQL 1.1 Protocol endpoint as
  well as the query page's form target: protocol clients (no ``Origin`` /
  ``Sec-Fetch-Site`` header) are not asked for a token, browsers are.
* **Read protection** (``READ_TOKEN_REQUIRED``): every route needs a bearer token with role
  reader or stronger, except ``/static``.
* **Hiding restricted assets** (``HIDE_SENSITIVE``): the bearer token, if any, names the
  reader (``g.viewer``: its access groups, whether it is an admin); pages read the estate
  redacted for that reader (``context.read_store``, ``govgraph.access``). A token that is
  not valid is refused (401) rather than treated as anonymous.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from govgraph import access
from govgraph.webapp import svg
from govgraph.webapp.auth import token_file

DEFAULT_MAX_CONTENT_LENGTH = 50 * 1024 * 1024
CSRF_COOKIE = "govgraph_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose POSTs are machine interfaces authenticated by bearer tokens (never HTML forms).
CSRF_EXEMPT_PREFIXES = ("/api/", "/sparql/update")
#: Paths answered in JSON when something is refused here.
JSON_PREFIXES = ("/api/", "/sparql")


def _style_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


#: The lineage SVG's fixed stylesheet (``svg._STYLE``), allowed by hash, never 'unsafe-inline'.
SVG_STYLE_HASH = _style_hash(svg._STYLE)

CSP = ("default-src 'self'; script-src 'self'; "
       f"style-src 'self' {SVG_STYLE_HASH}; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _json_error(status: int, message: str):
    resp = jsonify({"error": message, "status": status})
    resp.status_code = status
    return resp


def _refuse(status: int, title: str, message: str):
    if wants_json():
        return _json_error(status, message)
    return render_template("error.html", title=title, message=message), status


# ----------------------------------------------------------------------------- CSRF

def _key() -> bytes:
    ext = current_app.extensions
    if "govgraph.csrf_key" not in ext:
        secret = current_app.config.get("SECRET_KEY")
        ext["govgraph.csrf_key"] = (hashlib.sha256(("govgraph-csrf:" + secret).encode()).digest()
                                    if isinstance(secret, str) and secret else
                                    hashlib.sha256(b"govgraph-csrf:" + secret).digest()
                                    if isinstance(secret, bytes) and secret else os.urandom(32))
    return ext["govgraph.csrf_key"]


def _sign(nonce: str) -> str:
    return nonce + "." + hmac.new(_key(), nonce.encode("ascii"), hashlib.sha256).hexdigest()


def _valid(token: str | None) -> bool:
    if not token or "." not in token or len(token) > 200:
        return False
    nonce, _, _sig = token.partition(".")
    try:
        return hmac.compare_digest(_sign(nonce), token)
    except (TypeError, UnicodeEncodeError):
        return False


def csrf_token() -> str:
    """The session's token for a form's hidden field (sets the cookie on this response if new)."""
    if "csrf_token" not in g:
        existing = request.cookies.get(CSRF_COOKIE)
        if _valid(existing):
            g.csrf_token = existing
        else:
            g.csrf_token = _sign(secrets.token_urlsafe(24))
            g.csrf_new = True
    return g.csrf_token


def _csrf_required() -> bool:
    if request.method not in UNSAFE_METHODS or not current_app.config.get("CSRF_ENABLED", True):
        return False
    if request.headers.get("Authorization"):
        return False  # bearer-token clients: no ambient credential for a forged request to ride on
    if request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return False
    if request.path == "/sparql":  # the SPARQL Protocol endpoint: browsers must show the token, clients need not
        return bool(request.headers.get("Origin") or request.headers.get("Sec-Fetch-Site"))
    return True


def _check_csrf():
    if not _csrf_required():
        return None
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent = request.form.get(CSRF_FIELD)
    if not (_valid(cookie) and sent and hmac.compare_digest(cookie, sent)):
        return _refuse(403, "This form has expired",
                       "The form was missing its security token or the token did not match "
                       "(cross-site request refused). Go back, reload the page and submit again.")
    return None


# ----------------------------------------------------------------------------- read protection

def _check_read():
    if not current_app.config.get("READ_TOKEN_REQUIRED") or request.path.startswith("/static/"):
        return None
    tokens = token_file()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    who = tokens.check(token.strip()) if tokens is not None and scheme.lower() == "bearer" and token.strip() else None
    if who is None:
        resp = _json_error(401, "this server requires a bearer token with role reader: "
                                "send 'Authorization: Bearer TOKEN'")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="govgraph"'
        return resp
    if not who.can("reader"):
        return _json_error(403, f"the token for {who.name!r} may not read")
    return None


# ----------------------------------------------------------------------------- who is reading

def _resolve_viewer():
    """Set ``g.viewer`` from the bearer token when restricted assets are hidden (None: go on)."""
    if not current_app.config.get("HIDE_SENSITIVE") or request.path.startswith("/static/"):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.viewer = access.ANONYMOUS
        return None
    tokens = token_file()
    who = tokens.check(token.strip()) if tokens is not None else None
    if who is None:
        resp = _json_error(401, "the token is not valid")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="govgraph"'
        return resp
    g.viewer = access.Viewer.of(who)
    return None


# ----------------------------------------------------------------------------- registration

def register(app: Flask) -> None:
    """Install the hooks on ``app`` (called from ``create_app``)."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_CONTENT_LENGTH

    @app.before_request
    def _guard():
        refused = _check_read()
        if refused is None:
            refused = _resolve_viewer()
        if refused is not None:
            return refused
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()
        return _check_csrf()

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return _refuse(413, "The request is too large",
                       f"The request body is larger than this server accepts ({limit:,} bytes, "
                       f"about {limit / 1024 / 1024:.0f} MB). Split the upload into smaller parts.")

    @app.after_request
    def _headers(resp):
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
        if g.get("csrf_new"):
            resp.set_cookie(CSRF_COOKIE, g.csrf_token, httponly=True, samesite="Strict",
                            secure=request.is_secure, path="/")
        return resp

    app.jinja_env.globals["csrf_token"] = csrf_token
