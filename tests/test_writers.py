"""Several govgraph processes writing to one real `oxigraph serve` at once (docs/deployment.md,
"several workers"): a new source is exactly one file, revisions never collide, a sweeper leaves
another process's staging graph alone, a crashed writer's lock claim does not block commits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from govgraph.store import (COMMIT_LEASE, LOCK_GRAPH, REMOTE_REVISION_TTL, STAGING_PREFIX, Store, Transaction,
                            open_store)
from support import OxigraphServer

WORKER = textwrap.dedent("""
    import json, sys, time
    from govgraph.errors import BadInput, ConflictError
    from govgraph.store import open_store
    url, mode, name, arg, start = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    s = open_store(url)
    while time.time() < start:  # both processes go at the same moment
        time.sleep(0.001)
    out = {}
    try:
        if mode == "load":
            with s.begin(name, who=arg) as txn:
                txn.load(arg, fmt="ntriples")
                out["record"] = txn.commit().revision
                out["who"] = arg
        elif mode == "patches":
            import pyoxigraph as ox
            revs = []
            for i in range(int(arg)):
                with s.patch(name) as p:
                    p.add([ox.Triple(ox.NamedNode(f"http://ex/{name}/s{i}"), ox.NamedNode("http://ex/p"),
                                     ox.Literal(str(i)))])
                    revs.append(p.commit().revision)
            out["revisions"] = revs
        elif mode == "hold":  # stage a replacement, then wait for the go file before committing
            with s.begin(name, replace=True) as txn:
                txn.load(arg, fmt="ntriples")
                out["staged"] = txn.graph.value
                open(arg + ".staged", "w").write(txn.graph.value)
                while not os.path.exists(arg + ".go"):
                    time.sleep(0.02)
                out["record"] = txn.commit().revision
    except ConflictError as e:
        out["conflict"] = str(e)
    except BadInput as e:  # the other process committed before this one even began
        if "is already loaded" not in str(e):
            raise
        out["conflict"] = str(e)
    print(json.dumps(out))
""").replace("import json, sys, time", "import json, os, sys, time")


@pytest.fixture
def server(tmp_path):
    srv = OxigraphServer(tmp_path / "oxigraph").start()
    yield srv
    srv.stop()


def ntriples(path, tag: str, n: int) -> set[str]:
    lines = [f'<http://ex/{tag}/s{i}> <http://ex/p> "{tag} {i}" .' for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return {str(t) for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def run_workers(tmp_path, url: str, jobs: list[tuple[str, str, str]], env: dict | None = None) -> list[dict]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    start = time.time() + 2.0  # time for both interpreters to start and connect
    procs = [subprocess.Popen([sys.executable, str(script), url, mode, name, arg, str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, **(env or {})))
             for mode, name, arg in jobs]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        outs.append(json.loads(out.decode().strip().splitlines()[-1]))
    return outs


def test_two_processes_loading_one_new_source_give_exactly_one_file(tmp_path, server):
    files = {tag: tmp_path / f"{tag}.nt" for tag in "ab"}
    contents = {str(path): ntriples(path, tag, 20_000) for tag, path in files.items()}
    s = open_store(server.store_url)
    for round_ in range(5):
        name = f"shared-{round_}"
        outs = run_workers(tmp_path, server.store_url, [("load", name, str(files["a"])), ("load", name, str(files["b"]))])
        won = [o for o in outs if "record" in o]
        lost = [o for o in outs if "conflict" in o]
        assert len(won) == 1 and len(lost) == 1, outs
        assert (f"source {name!r} was created by another writer" in lost[0]["conflict"]
                or f"another writer is loading the new source {name!r}" in lost[0]["conflict"]
                or f"source {name!r} is already loaded" in lost[0]["conflict"]), lost
        time.sleep(REMOTE_REVISION_TTL + 0.1)
        got = {str(q.triple) for q in s.quads(None, None, None, ox.NamedNode(s.source(name).graph))}
        assert got in contents.values(), "the source mixes the two files"
        assert [h.who for h in s.history(name)] == [won[0]["who"]]  # one change: the winner's file
        assert got == contents[won[0]["who"]]
        assert s.source(name).triples == 20_000
    # the losers' staging graphs are gone, and nothing holds the commit lock
    assert [g.value for g in s.named_graphs() if g.value.startswith(STAGING_PREFIX)] == []
    assert list(s.quads(None, None, None, LOCK_GRAPH)) == []
    s.close()


def test_two_processes_committing_to_different_sources_never_share_a_revision(tmp_path, server):
    s = open_store(server.store_url)
    lineage_before = s.revision
    n = 25
    outs = run_workers(tmp_path, server.store_url, [("patches", "left", str(n)), ("patches", "right", str(n))])
    revs = outs[0]["revisions"] + outs[1]["revisions"]
    # every change has its own revision, and each process's own revisions rise
    assert sorted(revs) == list(range(lineage_before + 1, lineage_before + 2 * n + 1))
    assert all(o["revisions"] == sorted(o["revisions"]) for o in outs)
    time.sleep(REMOTE_REVISION_TTL + 0.1)
    # this process sees every change: the revision, the history, each source's contents
    assert s.revision == lineage_before + 2 * n
    hist = s.history()
    assert [h.revision for h in hist] == list(range(1, 2 * n + 1))
    assert {x.name: x.triples for x in s.sources()} == {"left": n, "right": n}
    assert s.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].toPython() == 2 * n
    s.close()


def test_caches_of_another_process_see_each_commit(tmp_path, server):
    """Per-revision caches (the search index here) are rebuilt after every commit of another process."""
    from govgraph import search
    s = open_store(server.store_url)
    script = tmp_path / "one.py"
    script.write_text(textwrap.dedent("""
        import sys
        from govgraph.store import open_store
        s = open_store(sys.argv[1])
        with s.begin(sys.argv[2]) as txn:
            n = sys.argv[2]
            txn.load(data=(f'<http://ex/{n}> a <http://www.w3.org/ns/dcat#Dataset> ; '
                           f'<http://www.w3.org/2000/01/rdf-schema#label> "{n}" .').encode(), fmt="turtle")
            print(txn.commit().revision)
    """))
    seen = []
    for i in range(4):
        before = {e.iri for e in search.search_index(s)}  # the cache, built at the current revision
        procs = [subprocess.Popen([sys.executable, str(script), server.store_url, f"c{i}{side}"],
                                  stdout=subprocess.PIPE) for side in "xy"]
        revs = sorted(int(p.communicate(timeout=120)[0]) for p in procs)
        time.sleep(REMOTE_REVISION_TTL + 0.1)
        assert s.revision == revs[-1] and revs[0] != revs[1]
        seen.append(s.revision)
        assert {x.name for x in s.sources()} >= {f"c{i}x", f"c{i}y"}
        assert s.graphs() == sorted(s.graphs(), key=lambda g: g.value) and len(s.graphs()) == 2 * (i + 1)
        ids = {e.iri for e in search.search_index(s)}
        assert ids - before == {f"http://ex/c{i}x", f"http://ex/c{i}y"}
    assert len(set(seen)) == 4
    s.close()


def test_a_sweeper_leaves_another_processs_staging_graph_alone(tmp_path, server):
    data = tmp_path / "held.nt"
    content = ntriples(data, "held", 5_000)
    # an old staging graph left by a crashed import a day ago, and one of the older kind of name
    s = open_store(server.store_url)
    old = ox.NamedNode(f"{STAGING_PREFIX}{int(time.time()) - 86_400}-{'0' * 32}")
    legacy = ox.NamedNode(f"{STAGING_PREFIX}{'1' * 32}")
    s.add_quads([ox.Quad(ox.NamedNode("http://ex/x"), ox.NamedNode("http://ex/p"), ox.Literal("x"), g) for g in (old, legacy)])
    with s.begin("held") as txn:  # a replacement is staged (a new source loads into its own graph)
        txn.load(data=b"<http://ex/before> <http://ex/p> <http://ex/o> .", fmt="ntriples")
        txn.commit()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    holder = subprocess.Popen([sys.executable, str(script), server.store_url, "hold", "held", str(data), "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not os.path.exists(str(data) + ".staged"):
        assert holder.poll() is None and time.monotonic() < deadline, holder.stderr.read().decode()
        time.sleep(0.02)
    staged = ox.NamedNode(open(str(data) + ".staged").read())
    assert staged.value.startswith(STAGING_PREFIX)
    # process B opens the store (and sweeps), with an hour as the age limit
    subprocess.run([sys.executable, "-c", "import sys; from govgraph.store import open_store; open_store(sys.argv[1]).close()",
                    server.store_url], check=True, env=dict(os.environ, GOVGRAPH_STAGING_MAX_AGE="3600"))
    graphs = {g.value for g in s.named_graphs()}
    assert old.value not in graphs  # a day old: swept
    assert legacy.value in graphs  # no time in its name: left alone on a shared server
    assert staged.value in graphs  # process A's live staging graph: untouched
    open(str(data) + ".go", "w").close()
    out, err = holder.communicate(timeout=120)
    assert "record" in json.loads(out.decode().strip().splitlines()[-1]), err.decode()
    time.sleep(REMOTE_REVISION_TTL + 0.1)
    got = {str(q.triple) for q in s.quads(None, None, None, ox.NamedNode(s.source("held").graph))}
    assert got == content and s.source("held").triples == 5_000
    s.close()


def test_a_crashed_writers_lock_claim_expires(server):
    s = open_store(server.store_url)
    lg = LOCK_GRAPH.value
    # a claim made COMMIT_LEASE + 60 s ago (server clock) by a writer that died holding the lock
    s.backend.update(
        f"INSERT {{ GRAPH <{lg}> {{ <urn:govgraph:lock:commit> <urn:govgraph:claim> <urn:govgraph:claim:dead> . "
        f"<urn:govgraph:claim:dead> <urn:govgraph:claimedAt> ?t }} }} WHERE {{ "
        f"BIND(NOW() - \"PT{int(COMMIT_LEASE) + 60}S\"^^<http://www.w3.org/2001/XMLSchema#dayTimeDuration> AS ?t) }}")
    t0 = time.monotonic()
    with s.begin("after-crash") as txn:
        txn.load(data=b"<http://ex/a> <http://ex/p> <http://ex/b> .", fmt="ntriples")
        assert txn.commit().revision == 1
    assert time.monotonic() - t0 < 10
    assert list(s.quads(None, None, None, LOCK_GRAPH)) == []
    s.close()



# -- a new source's name claim (name_claims.claim_new_source) ----------------------------------------

@pytest.fixture
def short_claims(monkeypatch):
    """Claims renewed every 0.2 s and lapsing after 2 s, so a stopped writer is seen quickly."""
    from govgraph import name_claims
    monkeypatch.setattr(name_claims, "CLAIM_RENEW", 0.2)
    monkeypatch.setattr(name_claims, "CLAIM_LAPSE", 2.0)


@dataclass
class Contest:
    """Two stores on one server; the first one's writer has claimed a new source and loaded a.nt into it."""
    first: Store
    second: Store
    txn_a: Transaction
    a: Path  # the file the first writer loaded
    b: Path  # another file of as many triples, for the second writer
    content_a: set[str]
    content_b: set[str]


@pytest.fixture
def claimed(tmp_path, server):
    """``claimed(name, n)``: a Contest for the new source ``name`` with files of ``n`` triples each."""
    opened: list[Store] = []

    def start(name: str, n: int) -> Contest:
        a, b = tmp_path / "a.nt", tmp_path / "b.nt"
        content_a, content_b = ntriples(a, "a", n), ntriples(b, "b", n)
        first, second = open_store(server.store_url), open_store(server.store_url)
        opened.extend([first, second])
        txn_a = first.begin(name)
        txn_a.load(str(a), fmt="ntriples")
        return Contest(first, second, txn_a, a, b, content_a, content_b)
    yield start
    for st in opened:
        st.close()


def test_a_new_source_loads_straight_into_its_graph_and_commits_without_a_copy(tmp_path, server):
    data = tmp_path / "new.nt"
    content = ntriples(data, "new", 2_000)
    s = open_store(server.store_url)
    with s.begin("fresh") as txn:
        assert txn.claim is not None and txn.graph.value == "urn:govgraph:source:fresh"
        txn.load(str(data), fmt="ntriples")
        # loaded, but invisible to readers until the commit registers it
        assert s.sources() == [] and s.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].toPython() == 0
        assert list(s.quads(None, None, None, LOCK_GRAPH))  # the claim is on the server
        txn.commit()
    got = {str(q.triple) for q in s.quads(None, None, None, ox.NamedNode(s.source("fresh").graph))}
    assert got == content and s.source("fresh").triples == 2_000
    assert list(s.quads(None, None, None, LOCK_GRAPH)) == []  # claim withdrawn with the commit
    assert [g.value for g in s.named_graphs() if g.value.startswith(STAGING_PREFIX)] == []
    # a load that is rolled back leaves neither triples nor a claim
    with s.begin("dropped") as txn:
        txn.load(str(data), fmt="ntriples")
    assert "urn:govgraph:source:dropped" not in {g.value for g in s.named_graphs()}
    assert list(s.quads(None, None, None, LOCK_GRAPH)) == []
    s.close()


def test_a_second_writer_of_a_claimed_name_stages_and_waits_for_the_first(claimed, short_claims):
    import threading
    c = claimed("both", 3_000)
    first, second, txn_a, b = c.first, c.second, c.txn_a, c.b
    time.sleep(3)  # longer than the lapse: the renewals keep the claim live
    outcome = {}

    def other():
        try:
            with second.begin("both", replace=True) as txn_b:  # create or replace
                outcome["claimed"] = txn_b.claim is not None
                txn_b.load(str(b), fmt="ntriples")
                outcome["record"] = txn_b.commit()
        except Exception as e:  # noqa: BLE001 - reported below
            outcome["error"] = e
    t = threading.Thread(target=other)
    t.start()
    time.sleep(2)
    assert t.is_alive() and "record" not in outcome  # waiting for the first writer's claim
    first_rec = txn_a.commit()
    t.join(timeout=60)
    assert outcome.get("claimed") is False, outcome
    # the second writer went on as a replacement of what the first committed
    assert first_rec.action == "load" and outcome["record"].action == "replace", outcome
    got = {str(q.triple) for q in first.quads(None, None, None, ox.NamedNode("urn:govgraph:source:both"))}
    assert got == c.content_b and c.content_a.isdisjoint(got)
    assert list(first.quads(None, None, None, LOCK_GRAPH)) == []


def test_a_stopped_writers_claim_lapses_and_the_name_is_taken_over(claimed, short_claims):
    from govgraph.errors import ConflictError
    c = claimed("orphan", 3_000)
    taker, txn_a = c.second, c.txn_a
    txn_a.claim.stop()  # as if the process froze: no more renewals
    time.sleep(3)
    with taker.begin("orphan") as txn_b:
        assert txn_b.claim is not None  # the lapsed claim was taken over, its triples dropped
        txn_b.load(str(c.b), fmt="ntriples")
        txn_b.commit()
    # the stopped writer, resuming, may send nothing more and cannot commit
    with pytest.raises(ConflictError, match="another writer may have taken the name over"):
        txn_a.load(str(c.a), fmt="ntriples")
    with pytest.raises(ConflictError, match="lost its claim on the name"):
        txn_a.commit()
    assert txn_a.done  # rolled back, without touching the graph that is not its own any more
    got = {str(q.triple) for q in taker.quads(None, None, None, ox.NamedNode(taker.source("orphan").graph))}
    assert got == c.content_b and taker.source("orphan").triples == 3_000


def test_a_crashed_new_source_load_is_swept_once_its_claim_lapses(tmp_path, server, short_claims):
    data = tmp_path / "crash.nt"
    ntriples(data, "crash", 2_000)
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from govgraph.store import open_store
        s = open_store(sys.argv[1])
        txn = s.begin("crashed")
        txn.load(sys.argv[2], fmt="ntriples")
        os._exit(9)  # dies mid-load: no commit, no rollback
    """))
    subprocess.run([sys.executable, str(script), server.store_url, str(data)], check=False, timeout=120)
    target = "urn:govgraph:source:crashed"
    s = open_store(server.store_url)
    assert target in {g.value for g in s.named_graphs()}  # left behind, invisible (not registered)
    assert s.sources() == []
    s.close()
    time.sleep(3)  # the claim lapses (the fixture's 2 s)
    s = open_store(server.store_url)  # opening sweeps it
    assert target not in {g.value for g in s.named_graphs()}
    assert list(s.quads(None, None, None, LOCK_GRAPH)) == []
    s.close()


def test_a_writer_waiting_for_a_claimed_name_is_told_at_once_when_the_source_appears(claimed):
    import threading
    from govgraph.errors import BadInput
    c = claimed("taken", 2_000)
    first, second, txn_a = c.first, c.second, c.txn_a
    outcome = {}

    def other():
        try:
            second.begin("taken")
        except BadInput as e:
            outcome["error"], outcome["at"] = str(e), time.monotonic()
    t = threading.Thread(target=other)
    t.start()
    time.sleep(1.5)
    assert t.is_alive()  # waiting for the claim before loading anything
    committed = time.monotonic()
    txn_a.commit()
    t.join(timeout=30)
    assert "is already loaded" in outcome["error"], outcome
    assert outcome["at"] - committed < 3  # within a poll or two of the commit, not when a claim would lapse (30 s)
    assert [g.value for g in first.named_graphs() if g.value.startswith(STAGING_PREFIX)] == []


def test_a_staged_new_source_commits_once_the_claim_holder_stops(claimed, short_claims):
    from govgraph.errors import ConflictError
    c = claimed("contested", 2_000)
    second, txn_a = c.second, c.txn_a
    txn_b = second.begin("contested")  # waits out the 2.2 s, the holder still renewing: stages instead
    assert txn_b.claim is None and txn_b.graph.value.startswith(STAGING_PREFIX)
    txn_b.load(str(c.b), fmt="ntriples")
    txn_a.claim.stop()  # the holder stops; its claim lapses 2 s later
    assert txn_b.commit().action == "load"  # waited for the lapse, then moved its own copy into place
    with pytest.raises(ConflictError):
        txn_a.commit()
    got = {str(q.triple) for q in second.quads(None, None, None, ox.NamedNode("urn:govgraph:source:contested"))}
    assert got == c.content_b and second.source("contested").triples == 2_000
    assert list(second.quads(None, None, None, LOCK_GRAPH)) == []  # the lapsed claim went with the commit
    assert [g.value for g in second.named_graphs() if g.value.startswith(STAGING_PREFIX)] == []
