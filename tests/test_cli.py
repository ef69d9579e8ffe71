"""The command line, through click's runner and through a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from govgraph.cli import main

FIX = Path(__file__).parent / "fixtures" / "io"


@pytest.fixture
def run(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"

    def _run(*args, input=None):
        return CliRunner().invoke(main, list(args), env={"GOVGRAPH_STORE": url}, input=input, catch_exceptions=False)
    return _run


def test_every_command_has_help(run):
    r = run("--help")
    assert r.exit_code == 0
    commands = [line.split()[0] for line in r.output.split("Commands:")[1].strip().splitlines() if line.strip()]
    assert {"load", "sources", "export", "query", "info", "serve", "demo", "remove"} <= set(commands)
    for c in commands:
        h = run(c, "--help")
        assert h.exit_code == 0 and "Usage:" in h.output, c


def test_load_sources_query_info_export(run, tmp_path):
    r = run("load", str(FIX / "small.ttl"))
    assert r.exit_code == 0 and "loaded small.ttl: 18 triples" in r.output
    r = run("sources")
    assert "small.ttl" in r.output and "18" in r.output and "revision 1" in r.output
    r = run("sources", "--format", "json")
    assert json.loads(r.output)[0]["triples"] == 18
    r = run("query", "SELECT ?t WHERE { ?d dcterms:title ?t } ORDER BY ?t", "--format", "csv")
    assert r.output.splitlines() == ["t", "Pupil roll", "School census"]
    r = run("query", "SELECT ?t WHERE { ?d dcterms:title ?t } ORDER BY ?t", "--format", "json")
    assert [b["t"]["value"] for b in json.loads(r.output)["results"]["bindings"]] == ["Pupil roll", "School census"]
    r = run("query", "SELECT ?t WHERE { ?d dcterms:title ?t } ORDER BY ?t")
    assert "School census" in r.output and "(2 rows)" in r.output
    r = run("query", "ASK { ?d gov:owner ?o }")
    assert r.output.strip() == "true"
    r = run("query", "CONSTRUCT { ?d gov:owner ?o } WHERE { ?d gov:owner ?o }", "--format", "turtle")
    assert "gov:owner" in r.output or "govgraph#owner" in r.output
    r = run("info", "School census")
    assert r.exit_code == 0 and "Owner:" in r.output and "Jane Smith" in r.output and "OFFICIAL-SENSITIVE" in r.output
    r = run("info", "https://data.county.example.gov.uk/id/dataset/school-census", "--format", "json")
    assert json.loads(r.output)["owners"][0]["label"] == "Jane Smith"
    out = tmp_path / "out.nt"
    r = run("export", "--format", "ntriples", "-o", str(out))
    assert r.exit_code == 0 and len(out.read_text().splitlines()) == 18
    out = tmp_path / "iar.csv"
    r = run("export", "--format", "iar", "-o", str(out))
    assert out.read_text().splitlines()[1].startswith("school-census,School census,")


def test_errors_are_one_line_and_exit_non_zero(run):
    r = run("load", str(FIX / "bad.ttl"))
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and r.output.startswith("error: ") and "bad.ttl:3:" in r.output
    r = run("query", "SELEC nothing")
    assert r.exit_code == 1 and "SPARQL syntax error" in r.output
    r = run("info", "no such thing")
    assert r.exit_code == 1 and r.output.startswith("error: unknown asset")
    r = run("load", str(FIX / "small.ttl"))
    r = run("load", str(FIX / "small.ttl"))
    assert r.exit_code == 1 and "--replace" in r.output
    r = run("load", "--replace", str(FIX / "small.ttl"))
    assert r.exit_code == 0
    r = run("remove", "nope")
    assert r.exit_code == 1 and "no source named 'nope'" in r.output


def test_real_subprocess(tmp_path):
    env = dict(os.environ, GOVGRAPH_STORE=f"oxigraph:{tmp_path / 's'}")
    p = subprocess.run([sys.executable, "-m", "govgraph.cli", "load", str(FIX / "small.nt")], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    p = subprocess.run(["govgraph", "sources"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "small.nt" in p.stdout
    p = subprocess.run(["govgraph", "load", str(tmp_path / "missing.ttl")], env=env, capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.strip().endswith("missing.ttl: no such file") and "Traceback" not in p.stderr


def test_serve_starts_a_real_server(tmp_path):
    import urllib.request
    from support import free_port, wait_for_http
    port = free_port()
    env = dict(os.environ, GOVGRAPH_STORE=f"oxigraph:{tmp_path / 's'}")
    subprocess.run(["govgraph", "load", str(FIX / "small.ttl")], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(["govgraph", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = wait_for_http(f"http://127.0.0.1:{port}/", proc=proc).decode()
        assert "govgraph" in body
        page = urllib.request.urlopen(
            f"http://127.0.0.1:{port}/asset?iri=https%3A%2F%2Fdata.county.example.gov.uk%2Fid%2Fdataset%2Fschool-census",
            timeout=5).read().decode()
        assert "School census" in page and "Jane Smith" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_generate(run, tmp_path):
    out = tmp_path / "estate.ttl"
    r = run("generate", "--datasets", "50", "--seed", "7", "-o", str(out))
    assert r.exit_code == 0 and "wrote" in r.output and out.stat().st_size > 0
    first = out.read_bytes()
    run("generate", "--datasets", "50", "--seed", "7", "-o", str(out))
    assert out.read_bytes() == first
    assert run("load", str(out)).exit_code == 0


@pytest.mark.parametrize("args,message", [
    (["--datasets", "0"], "--datasets must be at least 1"),
    (["--datasets", "5", "--defect-rate", "1.5"], "defect rate"),
])
def test_generate_bad_arguments_leave_no_file(run, tmp_path, args, message):
    out = tmp_path / "estate.ttl"
    r = run("generate", *args, "-o", str(out))
    assert r.exit_code == 1 and r.output.startswith("error: ") and message in r.output
    assert not out.exists() and list(tmp_path.glob("*estate*")) == []


def test_generate_unwritable_output(run, tmp_path):
    r = run("generate", "--datasets", "5", "-o", str(tmp_path / "missing" / "x.ttl"))
    assert r.exit_code == 1 and "does not exist" in r.output
