"""The CLI commands that start the web app: serve and demo.

The web app (Flask and every blueprint) and the sample loader are imported inside the commands, so that
other ``govgraph`` commands start without them: they take 0.5-0.65 s to import (measured on the loaded
2-core test machine, December 2026).
"""
from __future__ import annotations

import time

import click

from govgraph import __version__
from govgraph.commands.support import handle_errors, open_store_url, store_option
from govgraph.store import Store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads of the WSGI server.")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds a connection may sit idle or half-sent before it is closed (slow clients).")
@click.option("--connection-limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Most simultaneous connections accepted; past it, those waiting longest for their request "
                   "headers are closed to make room.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds a request's headers may take to arrive before the connection is closed (slow loris).")
@click.option("--query-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a SPARQL query may run before its worker is stopped (422).")
@click.option("--queue-wait", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a SPARQL query waits for a free query worker, or an as-of page for the as-of "
                   "build in progress, before it is answered 503 with Retry-After.")
@click.option("--asof-time-limit", default=20.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds building the estate as of a past date may take before it is stopped (503).")
@click.option("--max-body", default=50, show_default=True, type=click.IntRange(min=1),
              help="Largest request body accepted, in MB (larger bodies get 413).")
@click.option("--require-read-token", is_flag=True,
              help="Every page and API call needs a bearer token (role reader or stronger) from the token file.")
@click.option("--hide-sensitive", is_flag=True, envvar="GOVGRAPH_HIDE_SENSITIVE",
              help="Hide assets classified OFFICIAL-SENSITIVE or above (pages, search, API, reports, SPARQL) "
                   "from requests without a token holding one of the asset's access groups; admins see all.")
@click.option("--base-url", default=None, envvar="GOVGRAPH_BASE_URL",
              help="The address clients use, e.g. https://data.example.gov.uk/ behind a proxy; absolute URLs "
                   "(redirects, DCAT catalogue, SPARQL service description) are built from it, never from the "
                   "Host header.  [default: http://HOST:PORT/]")
@store_option
@handle_errors
def serve(host, port, threads, timeout, connection_limit, header_timeout, query_timeout, queue_wait, asof_time_limit,
          max_body, require_read_token, hide_sensitive, base_url, store_url):
    """Serve the web viewer, SPARQL endpoint and JSON API with a production WSGI server."""
    if base_url:
        from govgraph.webapp.base_url import parse_base_url
        parse_base_url(base_url)  # a bad URL is refused before the store is opened
    _serve(open_store_url(store_url), host, port, threads, timeout=timeout, connection_limit=connection_limit,
           header_timeout=header_timeout, max_body=max_body * 1024 * 1024, read_token_required=require_read_token,
           hide_sensitive=hide_sensitive, config={"SPARQL_TIMEOUT": query_timeout, "SPARQL_QUEUE_WAIT": queue_wait,
                                                  "ASOF_QUEUE_WAIT": queue_wait, "ASOF_TIME_LIMIT": asof_time_limit,
                                                  **({"BASE_URL": base_url} if base_url else {})})


def _serve(store: Store, host: str, port: int, threads: int, *, timeout: int = 30, connection_limit: int = 1000,
           header_timeout: float = 10.0, max_body: int = 50 * 1024 * 1024, read_token_required: bool = False,
           hide_sensitive: bool = False, config: dict | None = None) -> None:
    from govgraph.webapp import create_app, server
    from govgraph.webapp.base_url import base_url_for
    app = create_app({"STORE": store, "MAX_CONTENT_LENGTH": max_body, "READ_TOKEN_REQUIRED": read_token_required,
                      "HIDE_SENSITIVE": hide_sensitive, "BASE_URL": base_url_for(host, port), "LIVE_FOLLOW": True,
                      **(config or {})})
    from govgraph.io.query_pool import cpu_default
    need = server.threads_needed(int(app.config.get("SPARQL_WORKERS") or cpu_default()))
    if threads < need:
        click.echo(f"using {need} threads rather than {threads}: slow queries, as-of builds and writes waiting "
                   f"for their commit may hold {need - 2} of them, and pages need the rest", err=True)
        threads = need
    click.echo(f"govgraph {__version__} serving {store.url} on http://{host}:{port}/ as {app.config['BASE_URL']}"
               "  (Ctrl+C to stop)"
               + ("; restricted assets hidden from readers without their access group" if hide_sensitive else ""),
               err=True)
    try:
        # the sweep runs every second: it closes idle connections and those whose headers are late
        server.serve(app, header_timeout=header_timeout, host=host, port=port, threads=threads, ident="govgraph",
                     channel_timeout=timeout, connection_limit=connection_limit,
                     max_request_body_size=max(2 * max_body, max_body + 8 * 1024 * 1024),  # app answers 413 first
                     cleanup_interval=1)
    finally:
        store.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--store", "store_url", default="oxigraph:govgraph-demo", show_default=True,
              help="Where to build the demo store (it is emptied first).")
@click.option("--no-serve", is_flag=True, help="Only load the sample estate, do not start the server.")
@handle_errors
def demo(host, port, store_url, no_serve):
    """Load the sample council estate into a fresh store and serve it."""
    from govgraph.data.estate import load_sample, reset_store
    store = reset_store(store_url)
    t0 = time.perf_counter()
    results = load_sample(store)
    n = sum(r.triples for r in results)
    click.echo(f"loaded the sample estate: {len(results)} sources, {n:,} triples in "
               f"{time.perf_counter() - t0:.1f} s into {store.url}", err=True)
    if no_serve:
        store.close()
        return
    _serve(store, host, port, 8)


#: The commands of this module, attached to the ``govgraph`` group by ``register``.
COMMANDS = (serve, demo,)


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI group ``main``."""
    for command in COMMANDS:
        main.add_command(command)
