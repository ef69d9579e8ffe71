"""The server's own address comes from configuration (``BASE_URL``), never from the request.

Flask builds every absolute URL (redirects such as ``/reports`` -> ``/reports/``, the
DCAT catalogue, the SPARQL service description, the OpenAPI server, anything made with
``url_for(..., _external=True)`` or ``request.host_url``) from the WSGI environ's host
and scheme, that is from the client's ``Host`` header. A forged header would then be
written into answers (and cached copies of them). ``install`` wraps the app so that
every request's host, port, scheme and path prefix are those of ``BASE_URL`` before
Flask sees it; the Host header the client sent is kept only as ``govgraph.sent_host``.

``BASE_URL`` is the address clients use, e.g. ``https://data.example.gov.uk/`` behind a
reverse proxy (``govgraph serve --base-url``); a path in it (``https://example.org/gg/``)
is the prefix the app is served under, whether or not the proxy strips it.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Flask

from govgraph.errors import BadInput

#: The base URL when none is configured (the test client's own host).
DEFAULT_BASE_URL = "http://localhost/"


def parse_base_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, host[:port], port, path prefix) of a base URL; BadInput when it is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise BadInput(f"the base URL {url!r} is not an http(s) URL of the form https://HOST[:PORT]/[PATH/]")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadInput(f"the base URL {url!r} has a bad port") from None
    return parts.scheme, parts.netloc, str(port), parts.path.rstrip("/")


def base_url_for(host: str, port: int) -> str:
    """The default base URL of a server bound to ``host``:``port``."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class _ConfiguredOrigin:
    """WSGI middleware: the request's host, scheme and script path set from the app's ``BASE_URL``."""

    def __init__(self, app: Flask):
        self.flask, self.app = app, app.wsgi_app
        self._parsed: tuple[str, tuple[str, str, str, str], str] | None = None

    def _base(self) -> tuple[tuple[str, str, str, str], str]:
        url = self.flask.config["BASE_URL"]  # read per request: a test server may set it once it has a port
        if self._parsed is None or self._parsed[0] != url:
            self._parsed = (url, parse_base_url(url), urlsplit(url).hostname or "")
        return self._parsed[1], self._parsed[2]

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        (scheme, netloc, port, prefix), server_name = self._base()
        environ["govgraph.sent_host"] = environ.get("HTTP_HOST", "")
        environ["HTTP_HOST"] = netloc
        environ["SERVER_NAME"] = server_name
        environ["SERVER_PORT"] = port
        environ["wsgi.url_scheme"] = scheme
        for forwarded in ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED"):
            environ.pop(forwarded, None)
        if prefix:
            path = environ.get("PATH_INFO", "")
            if path == prefix or path.startswith(prefix + "/"):
                environ["PATH_INFO"] = path[len(prefix):] or "/"
            environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)


def install(app: Flask) -> None:
    """Serve ``app`` under its configured ``BASE_URL`` (default ``DEFAULT_BASE_URL``)."""
    app.config["BASE_URL"] = app.config.get("BASE_URL") or DEFAULT_BASE_URL
    parse_base_url(app.config["BASE_URL"])  # a bad one is refused when the app is made
    app.wsgi_app = _ConfiguredOrigin(app)  # type: ignore[method-assign]
