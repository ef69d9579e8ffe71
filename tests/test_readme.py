"""The README's ``govgraph`` commands, read from the README itself and run against the sample estate.

Every ``govgraph`` line of a ``sh`` block is run, in the README's order, in a folder holding the
files the examples name (the sample's Turtle as ``estate/*.ttl``, an IAR, small RDF files, an
OpenLineage event stream, DCAT-AP shapes). Placeholders in capitals (``IRI``, ``NAME`` ...) and
elided queries (``'SELECT ...'``) are filled in; ``a|b`` alternatives are each run; options in
``[brackets]`` are given; ``serve`` (which does not return) is skipped and ``demo`` runs with
``--no-serve``. Every command must succeed, except where the README itself says it does not:
``validate`` exits 1 when the files break principles. So the examples cannot rot.
"""
from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from govgraph.data.estate import sample_files

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "standards"
BASE = "https://data.county.example.gov.uk/id/"

pytestmark = pytest.mark.slow

PLACEHOLDERS = {
    "FIELD_OR_DATASET_IRI": BASE + "dataset/return-ssda903",
    "RETURN_IRI": BASE + "dataset/return-salt",
    "IRI": BASE + "dataset/return-salt",
    "NAME": "hr",
}
QUERIES = {
    "'SELECT ...'": "'SELECT ?d ?t WHERE { ?d a dcat:Dataset ; dcterms:title ?t } LIMIT 5'",
    "'CONSTRUCT ...'": "'CONSTRUCT { ?d dcterms:title ?t } WHERE { ?d a dcat:Dataset ; dcterms:title ?t } LIMIT 5'",
}
A_TTL = """@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://data.county.example.gov.uk/id/person/readme-reader> a foaf:Person ; foaf:name "Rhian Reader" .
"""
B_JSONLD = """{"@context": {"foaf": "http://xmlns.com/foaf/0.1/"},
 "@id": "https://data.county.example.gov.uk/id/person/readme-writer", "@type": "foaf:Person",
 "foaf:name": "Wyn Writer"}
"""
DATA_NT = ('<https://data.county.example.gov.uk/id/person/readme-nt> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
           '<http://xmlns.com/foaf/0.1/Person> .\n<https://data.county.example.gov.uk/id/person/readme-nt> '
           '<http://xmlns.com/foaf/0.1/name> "Nia Triples" .\n')
SYSTEM_TTL = """@prefix gov: <https://w3id.org/govgraph#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://data.county.example.gov.uk/id/system/proposed-crm> a gov:System ; rdfs:label "Proposed CRM" .
"""


def readme_commands() -> list[str]:
    """Every ``govgraph`` line of the README's sh blocks, comments cut."""
    text = (ROOT / "README.md").read_text("utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("govgraph "):
                out.append(re.split(r"\s{2,}#\s", line)[0].strip())
    return out


def expand(command: str) -> list[str]:
    """The runnable commands one README line stands for."""
    command = re.sub(r"\[([^\]]*)\]", r"\1", command)  # optional parts: given
    for elided, query in QUERIES.items():
        command = command.replace(elided, query)
    command = command.replace("--store ...", "--store").replace(" ...", " --store")
    for name, value in PLACEHOLDERS.items():
        command = re.sub(rf"\b{name}\b", value, command)
    alt = re.search(r"(?<![\w'])(\w[\w+-]*)\|(\w[\w|+-]*)", command)
    if alt and "'" not in command[:alt.start()]:
        return [c for a in alt.group(0).split("|") for c in expand(command.replace(alt.group(0), a, 1))]
    return [command]


def test_the_readme_has_commands_to_run():
    cmds = readme_commands()
    assert len(cmds) > 40
    assert expand("govgraph info IRI --format json|turtle") == [
        f"govgraph info {PLACEHOLDERS['IRI']} --format json", f"govgraph info {PLACEHOLDERS['IRI']} --format turtle"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    w = tmp_path_factory.mktemp("readme")
    (w / "estate").mkdir()
    for f in sample_files():
        if f.suffix == ".ttl":
            shutil.copy(f, w / "estate" / f.name)
        else:
            shutil.copy(f, w / f.name)
    shutil.copy(w / "estate" / "systems.ttl", w / "systems.ttl")
    book = openpyxl.Workbook()   # the sample IAR as a workbook, its register on the second sheet
    book.active.title = "Cover"
    register = book.create_sheet("Register")
    with open(w / "iar.csv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            register.append(row)
    book.save(w / "iar.xlsx")
    (w / "a.ttl").write_text(A_TTL)
    (w / "b.jsonld").write_text(B_JSONLD)
    (w / "data.txt").write_text(DATA_NT)
    (w / "system.ttl").write_text(SYSTEM_TTL)
    (w / "query.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a dcat:Dataset }")
    events = sorted((SHARED / "openlineage" / "examples").glob("fluentd_event_*.json"))
    lines = [" ".join(p.read_text("utf-8").split()) for p in events if "invalid" not in p.name and "no_run" not in p.name]
    (w / "events.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(SHARED / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl", w / "dcat-ap-SHACL.ttl")
    return w


def _run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_every_readme_command_runs_on_the_sample(workspace):
    env = {**os.environ, "GOVGRAPH_STORE": f"oxigraph:{workspace / 'store'}"}
    setup = _run("govgraph demo --no-serve --store oxigraph:store", workspace, env)
    assert setup.returncode == 0, setup.stderr
    today = subprocess.run(["date", "-u", "+%Y-%m-%d"], capture_output=True, text=True).stdout.strip()
    ran, failures = 0, []
    for line in readme_commands():
        words = shlex.split(line.replace("<", " ").replace("|", " "))
        if words[1] == "serve":
            continue  # serves until stopped (the browser and server tests start it)
        for command in expand(line):
            if words[1] == "demo":
                command = command.replace("--no-serve", "") + " --no-serve --store oxigraph:demo-store"
            # the sample's history starts today, so a past --asof names a moment before it
            command = re.sub(r"--asof \d{4}-\d{2}-\d{2}", f"--asof {today}", command)
            if words[1] == "export" and "--dcat" in command:
                command += " && cp catalog.ttl catalogue.ttl"
            proc = _run(command, workspace, env)
            ran += 1
            allowed = {0}
            if words[1] == "validate":
                allowed = {0, 1}  # the README: exit status 1 when there are violations
            if command.startswith("govgraph load estate/*.ttl"):
                # the README: a strict load of the sample into an empty store is refused with its 18
                # violations; into this store, which holds them already, it adds none and passes
                assert proc.returncode == 0 or "18 violation(s)" in proc.stderr, proc.stderr[-1500:]
            if proc.returncode not in allowed:
                failures.append(f"{command}\n  exit {proc.returncode}: {(proc.stderr or proc.stdout)[-800:]}")
    assert not failures, f"{len(failures)} of {ran} README commands failed:\n" + "\n".join(failures)
    assert ran > 45
