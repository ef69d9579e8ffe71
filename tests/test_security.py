"""Web hardening (issue 10): secure headers, 413 for oversized bodies, slow clients cut off by
``govgraph serve --timeout``, CSRF tokens on HTML forms, optional read protection."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govgraph.auth import TokenFile
from govgraph.webapp import create_app
from govgraph.webapp import security
from support import free_port

TEMPLATES = Path(__file__).resolve().parent.parent / "webapp" / "templates"
PAGES = ["/", "/search?q=SALT", "/sparql", "/validation", "/integrations", "/reports/", "/agreements",
         "/no/such/page", "/static/style.css"]


@pytest.fixture(scope="module")
def store(store_factory, tmp_path_factory):
    with store_factory("embedded", tmp_path_factory.mktemp("security"), sample=True) as s:
        yield s


@pytest.fixture(scope="module")
def client(store):
    return create_app({"STORE": store, "TESTING": True}).test_client()


# ----------------------------------------------------------------------------- headers

def _csp(resp) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2]
            for d in resp.headers["Content-Security-Policy"].split(";") if d.strip()}


@pytest.mark.parametrize("url", PAGES + ["/api/v1/assets?limit=1", "/sparql?query=ASK%7B%7D&format=json"])
def test_every_response_has_secure_headers(client, url):
    resp = client.get(url)
    assert resp.status_code in (200, 404), (url, resp.status_code)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    csp = _csp(resp)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"


def test_csp_allows_no_inline_code(client):
    csp = _csp(client.get("/"))
    assert "unsafe-inline" not in client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-eval" not in client.get("/").headers["Content-Security-Policy"]
    # styles: our own files plus exactly one hash, that of the lineage SVG's fixed stylesheet
    assert csp["style-src"] == f"'self' {security.SVG_STYLE_HASH}"


def test_headers_on_error_and_write_responses(client):
    for resp in (client.post("/api/v1/sources/x", data=b"x", content_type="text/turtle"),
                 client.get("/sparql?query=NOT+SPARQL&format=json")):
        assert resp.status_code >= 400
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in resp.headers


def test_templates_have_no_inline_script_style_or_handlers():
    bad = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    for path in TEMPLATES.rglob("*.html"):
        if path.name == "standalone.html":  # the downloadable report (Content-Disposition: attachment)
            continue
        text = path.read_text()
        assert not bad.search(text), f"{path.relative_to(TEMPLATES)}: {bad.search(text).group(0)!r}"


def test_rendered_pages_have_no_inline_style_except_the_hashed_svg_sheet(client, store):
    from govgraph import catalog
    _, items = catalog.list_assets(store, text="SALT", limit=10)
    assets = [client.get("/asset", query_string={"iri": a.iri}).get_data(as_text=True) for a in items]
    with_graph = [html for html in assets if 'class="lineage-svg"' in html]
    assert with_graph, "expected an asset page with a lineage graph"
    pages = [client.get(u).get_data(as_text=True) for u in PAGES[:-2]] + with_graph[:1]
    for html in pages:
        assert not re.search(r"\sstyle=|\son[a-z]+=\"|<script(?![^>]*\bsrc=)", html)
        for block in re.findall(r"<style>(.*?)</style>", html, re.S):
            assert security._style_hash(block) == security.SVG_STYLE_HASH


# ----------------------------------------------------------------------------- request size

def test_default_limit_is_50_mb(store):
    assert create_app({"STORE": store}).config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024
    assert create_app({"STORE": store, "MAX_CONTENT_LENGTH": 1234}).config["MAX_CONTENT_LENGTH"] == 1234


def test_oversized_bodies_get_413_json_for_api_and_sparql_html_elsewhere(store):
    c = create_app({"STORE": store, "TESTING": True, "MAX_CONTENT_LENGTH": 1000}).test_client()
    body = b"x" * 5000
    for url in ("/api/v1/sources/big", "/sparql", "/sparql/update"):
        resp = c.post(url, data=body, content_type="text/turtle",
                      headers={"Authorization": "Bearer whatever"})
        assert resp.status_code == 413, url
        assert resp.is_json and resp.json["status"] == 413
        assert "larger than this server accepts" in resp.json["error"]
    resp = c.post("/", data=body, content_type="application/octet-stream")
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert "The request is too large" in resp.get_data(as_text=True)
    assert resp.headers["X-Frame-Options"] == "DENY"
    # a body under the limit still goes through to the route
    ok = c.post("/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200


# ----------------------------------------------------------------------------- real server: size, slow clients

@pytest.fixture(scope="module")
def served(store_factory, tmp_path_factory):
    """``govgraph serve`` in a subprocess on loopback with a 2 s timeout and a 1 MB body limit."""
    with store_factory("embedded", tmp_path_factory.mktemp("served"), sample=True) as s:
        url = s.url  # closed on leaving the block: the server opens it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "govgraph.cli", "serve", "--store", url,
                             "--host", "127.0.0.1", "--port", str(port), "--timeout", "2", "--max-body", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("govgraph serve did not start: " + proc.stderr.read().decode(errors="replace"))
            time.sleep(0.2)
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _get(port: int, path: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def test_real_server_refuses_oversized_body(served):
    resp, data = _get(served, "/api/v1/sources/big", "PUT", b"x" * (2 * 1024 * 1024),
                      {"Content-Type": "text/turtle", "Authorization": "Bearer nope"})
    assert resp.status == 413
    assert b"larger than this server accepts" in data
    assert resp.getheader("X-Content-Type-Options") == "nosniff"


def test_slow_client_is_cut_off_while_others_are_served(served):
    slow = socket.create_connection(("127.0.0.1", served), timeout=15)
    slow.sendall(b"GET /search?q=SAL")  # half a request line, then nothing
    t0 = time.monotonic()
    resp, _ = _get(served, "/")  # the server is not blocked by the slow client
    assert resp.status == 200
    assert resp.getheader("Content-Security-Policy")
    try:
        got = slow.recv(1024)  # b"" (or a reset) when the server closes the connection
    except ConnectionResetError:
        got = b""
    waited = time.monotonic() - t0
    slow.close()
    assert got == b"", got
    assert 1.5 <= waited < 10, waited
    resp, _ = _get(served, "/sparql?query=ASK%7B%7D&format=json")  # and still serving afterwards
    assert resp.status == 200


# ----------------------------------------------------------------------------- CSRF

def _post_forms() -> list[tuple[str, str]]:
    found = []
    for path in TEMPLATES.rglob("*.html"):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", path.read_text(), re.S | re.I):
            if re.search(r"method=\"post\"", form.split(">", 1)[0], re.I):
                found.append((str(path.relative_to(TEMPLATES)), form))
    return found


def test_every_post_form_carries_the_csrf_token():
    forms = _post_forms()
    assert forms, "expected at least the SPARQL query form"
    for name, form in forms:
        assert 'name="csrf_token" value="{{ csrf_token() }}"' in form, name


def _token(client) -> str:
    html = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_sparql_form_sets_a_signed_cookie_and_hidden_field(store):
    c = create_app({"STORE": store, "TESTING": True}).test_client()
    resp = c.get("/sparql", headers={"Accept": "text/html"})
    cookie = resp.headers.get("Set-Cookie", "")
    assert cookie.startswith(security.CSRF_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = _token(c)
    assert c.get_cookie(security.CSRF_COOKIE).value == token
    assert _token(c) == token  # stable for the session


def test_browser_post_without_token_is_refused(store):
    c = create_app({"STORE": store, "TESTING": True}).test_client()
    form = {"query": "ASK {}"}
    browser = {"Origin": "https://evil.example", "Accept": "text/html"}
    resp = c.post("/sparql", data=form, headers=browser)
    assert resp.status_code == 403
    assert "security token" in resp.get_data(as_text=True) or resp.is_json
    # a token that does not match the cookie (or a forged one) is refused too
    _token(c)
    assert c.post("/sparql", data={**form, "csrf_token": "abc.def"}, headers=browser).status_code == 403
    other = create_app({"STORE": store, "TESTING": True}).test_client()
    assert c.post("/sparql", data={**form, "csrf_token": _token(other)}, headers=browser).status_code == 403
    # the real form submission (cookie + matching hidden field) works
    ok = c.post("/sparql", data={**form, "csrf_token": _token(c)},
                headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin", "Accept": "text/html"})
    assert ok.status_code == 200
    assert "The query could not be run" not in ok.get_data(as_text=True)


def test_html_routes_refuse_tokenless_posts(client):
    for url in ("/", "/search", "/validation"):
        assert client.post(url, data={"q": "x"}).status_code == 403, url


def test_protocol_and_bearer_clients_are_exempt(client):
    # a SPARQL Protocol client (no Origin / Sec-Fetch-Site) posting a form-encoded query
    resp = client.post("/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200 and resp.json["boolean"] in (True, False)
    resp = client.post("/sparql", data="ASK {}", content_type="application/sparql-query",
                       headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200
    # API writes are authenticated by bearer tokens: refused by auth (401/403), not by CSRF
    resp = client.put("/api/v1/sources/x", data=b"", content_type="text/turtle", headers={"Origin": "https://evil.example"})
    assert resp.status_code in (401, 403) and "security token" not in resp.get_data(as_text=True)


# ----------------------------------------------------------------------------- read protection

def test_read_token_required(store, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# name role hash\n")
    tf = TokenFile(tokens)
    reader = tf.add("r", "reader")
    app = create_app({"STORE": store, "TESTING": True, "TOKEN_FILE": str(tokens), "READ_TOKEN_REQUIRED": True})
    c = app.test_client()
    for url in ("/", "/search?q=SALT", "/sparql?query=ASK%7B%7D&format=json", "/api/v1/assets?limit=1"):
        resp = c.get(url)
        assert resp.status_code == 401, url
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert c.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get(url, headers={"Authorization": "Bearer " + reader}).status_code == 200, url
    assert c.get("/static/style.css").status_code == 200
    # without the setting the app stays open to readers
    assert create_app({"STORE": store, "TESTING": True}).test_client().get("/").status_code == 200
