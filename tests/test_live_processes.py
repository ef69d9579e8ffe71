"""Several processes on one SPARQL server (issue 18 item 4): a commit made by another process is applied to
this process's derived views as a change (its added and removed quads, read from the history the server
keeps), not rebuilt, and every view then equals a fresh build."""
from __future__ import annotations

import json
import os
import subprocess
import time

from govgraph import live, search
from govgraph.io.load import load_files
from govgraph.lineage import live_graph
from govgraph.shapes import kept
from live_steps import ESTATE, lineage_state, ol_event, search_state, validation_state

VIEWS = [(search.SEARCH_VIEW, search_state), (kept.VALIDATION_VIEW, validation_state),
         (live_graph.VIEW, lineage_state)]
NEW = "https://data.county.example.gov.uk/id/dataset/from-another-process"


def _other_process(url: str, *args: str) -> None:
    """A write by another govgraph process (the CLI) on the same server."""
    p = subprocess.run(["govgraph", *args, "--store", url], capture_output=True, text=True, timeout=180,
                       env={**os.environ, "GOVGRAPH_USER": "other-process"})
    assert p.returncode == 0, p.stdout + p.stderr


def _seen(store, revision: int) -> None:
    """Wait until this process sees ``revision`` (it re-reads the server's every REMOTE_REVISION_TTL s)."""
    deadline = time.monotonic() + 30
    while store.revision < revision:
        assert time.monotonic() < deadline, f"revision {revision} not seen (at {store.revision})"
        time.sleep(0.2)


def test_another_process_commits_are_applied_to_this_ones_views(store_factory, tmp_path):
    with store_factory("remote", tmp_path) as st:
        load_files(st, [ESTATE], force=True)
        for v, _ in VIEWS:
            live.view(st, v)
        stats = live.memo(st).stats
        before = {v.name: (stats[v.name].built, stats[v.name].applied) for v, _ in VIEWS}
        start = st.revision

        event = tmp_path / "event.jsonl"
        event.write_text(json.dumps(ol_event("load_a", ["dbo.referrals"], ["dbo.fact_referral"], 7)) + "\n")
        _other_process(st.url, "ingest-openlineage", str(event))
        extra = tmp_path / "extra.ttl"
        extra.write_text(f'<{NEW}> a <http://www.w3.org/ns/dcat#Dataset> ; '
                         f'<http://purl.org/dc/terms/title> "Written by another process" .\n')
        _other_process(st.url, "load", "--as-is", "--source", "another-process", str(extra))
        _seen(st, start + 2)

        for v, state in VIEWS:
            got = live.view(st, v)
            assert state(got) == state(v.build(st)), f"view {v.name} differs from a fresh build"
            built, applied = stats[v.name].built, stats[v.name].applied
            assert built == before[v.name][0], f"view {v.name} was rebuilt after another process's commits"
            assert applied > before[v.name][1], f"view {v.name} did not apply another process's commits"
        assert NEW in {e.iri for e in search.index(st).entries}
        assert NEW in live_graph.get_graph(st).g
