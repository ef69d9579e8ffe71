"""``govgraph query`` runs through the core's query service: the same guard and time limit as /sparql.

Real processes on the real sample estate (embedded and on an `oxigraph serve`): a cross join that
would run for minutes is stopped at --timeout with a one-line reason and exit status 1.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

from govgraph.store_graphs import AUDIT_GRAPH

#: Five copies of every triple joined with each other: ~14,000^5 solutions, far past any time limit.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def govgraph(url: str, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, GOVGRAPH_STORE=url)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "govgraph.cli", *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p, time.monotonic() - t0


def test_a_slow_query_is_stopped_at_the_time_limit(sample_store_url):
    p, took = govgraph(sample_store_url, "query", "--timeout", "2", CROSS_JOIN)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.strip() == ("error: the query ran longer than the time limit of 2 s and was stopped: narrow it "
                                "with more specific patterns, LIMIT, or a shorter property path")
    assert p.stdout == "" and took < 15, took
    # the estate as it was (an in-memory copy, queried in a worker too) is stopped the same way
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    p, took = govgraph(sample_store_url, "query", "--timeout", "2", "--asof", now, CROSS_JOIN)
    assert p.returncode == 1 and "time limit of 2 s" in p.stderr and "Traceback" not in p.stderr and took < 20


def test_a_query_within_the_limit_answers_as_before(sample_store_url):
    p, _ = govgraph(sample_store_url, "query", "--format", "csv",
                    "SELECT (COUNT(*) AS ?n) WHERE { ?d a dcat:Dataset }")
    assert p.returncode == 0, p.stderr
    head, n = p.stdout.split()
    assert head == "n" and int(n) > 10
    p, _ = govgraph(sample_store_url, "query", "CONSTRUCT { ?d a dcat:Dataset } WHERE { ?d a dcat:Dataset } LIMIT 2")
    assert p.returncode == 0 and p.stdout.count("<http://www.w3.org/ns/dcat#Dataset>") == 2, p.stdout


def test_the_query_guard_applies_to_the_command_line(sample_store_url):
    p, _ = govgraph(sample_store_url, "query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }")
    assert p.returncode == 1 and "SERVICE" in p.stderr and "Traceback" not in p.stderr, p.stderr
    p, _ = govgraph(sample_store_url, "query", "DELETE WHERE { ?s ?p ?o }")
    assert p.returncode == 1 and "read-only" in p.stderr, p.stderr
    # nothing was deleted
    p, _ = govgraph(sample_store_url, "query", "ASK { ?s ?p ?o }")
    assert p.stdout.strip() == "true"
    # only live sources can be named: not govgraph's registry or audit graphs
    p, _ = govgraph(sample_store_url, "query", f"SELECT * FROM <{AUDIT_GRAPH.value}> WHERE {{ ?s ?p ?o }}")
    assert p.returncode == 1 and "unknown graph" in p.stderr, p.stderr
