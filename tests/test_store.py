"""The store: sources as named graphs, atomic writes, reopening from disk, the change history."""
from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from govgraph.errors import BadInput, StoreError, UnknownSource
from govgraph.store import open_store, source_graph_iri

TTL = b"@prefix ex: <http://ex/> . ex:a ex:p ex:b, ex:c ."


def all_quads(store):
    return sorted(str(q) for q in store.quads())


def test_load_commit_and_query(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        rec = txn.commit()
    assert rec.added == 2 and rec.action == "load" and rec.revision == 1
    assert [s.name for s in any_store.sources()] == ["one"]
    assert any_store.sources()[0].triples == 2
    rows = any_store.select("SELECT ?o WHERE { <http://ex/a> ?p ?o } ORDER BY ?o")
    assert [str(r["o"]) for r in rows] == ["http://ex/b", "http://ex/c"]


def test_uncommitted_data_is_invisible_and_rolled_back(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        assert any_store.select("SELECT * WHERE { ?s ?p ?o }") == []
        assert txn.count() == 2
    # left the block without commit: rolled back
    assert any_store.sources() == []
    assert len(list(any_store.quads())) == 0


def test_existing_source_needs_replace(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    with pytest.raises(BadInput, match="already loaded"):
        any_store.begin("one")


def test_replace_swaps_whole_source_and_counts_changes(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    with any_store.begin("one", replace=True) as txn:
        txn.load(data=b"@prefix ex: <http://ex/> . ex:a ex:p ex:c, ex:d, ex:e .", fmt="turtle")
        rec = txn.commit()
    assert (rec.action, rec.added, rec.removed) == ("replace", 2, 1)
    objs = sorted(str(r["o"]) for r in any_store.select("SELECT ?o WHERE { ?s ?p ?o }"))
    assert objs == ["http://ex/c", "http://ex/d", "http://ex/e"]
    assert any_store.revision == 2
    # no staging graph is left behind
    assert [g.value for g in any_store.named_graphs() if "staging" in g.value] == []


def test_failed_replace_leaves_every_quad(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    before = all_quads(any_store)
    with pytest.raises(BadInput):
        with any_store.begin("one", replace=True) as txn:
            txn.load(data=b"@prefix ex: <http://ex/> . ex:a ex:p ", fmt="turtle")
            txn.commit()
    assert all_quads(any_store) == before


def test_remove_source_and_history(any_store):
    for name in ("one", "two"):
        with any_store.begin(name) as txn:
            txn.load(data=TTL, fmt="turtle")
            txn.commit()
    rec = any_store.remove_source("one")
    assert rec.removed == 2
    assert [s.name for s in any_store.sources()] == ["two"]
    assert [(h.source, h.action) for h in any_store.history()] == [("one", "load"), ("two", "load"), ("one", "remove")]
    assert [h.action for h in any_store.history("two")] == ["load"]
    with pytest.raises(UnknownSource, match="two"):
        any_store.remove_source("nope")


def test_reopen_from_disk_shows_same_data(tmp_path):
    url = f"oxigraph:{tmp_path / 'st'}"
    s = open_store(url)
    with s.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    before = all_quads(s)
    s.close()
    s2 = open_store(url)
    assert all_quads(s2) == before
    assert [x.name for x in s2.sources()] == ["one"] and s2.revision == 1
    s2.close()


def test_uncommitted_graph_from_a_crash_is_swept_on_open(tmp_path):
    url = f"oxigraph:{tmp_path / 'st'}"
    s = open_store(url)
    with s.begin("good") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    # simulate a process killed mid-import: a graph written but never registered
    txn = s.begin("half")
    txn.load(data=TTL, fmt="turtle")
    s.backend.ox.flush()
    s.close()
    s2 = open_store(url)
    assert [x.name for x in s2.sources()] == ["good"]
    assert source_graph_iri("half") not in [g.value for g in s2.named_graphs()]
    s2.close()


def test_store_in_use_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "st"
    open_store(f"oxigraph:{path}").close()
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import pyoxigraph,sys,time; s=pyoxigraph.Store({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError, match="in use"):
            open_store(f"oxigraph:{path}")
    finally:
        holder.kill()
        holder.wait()


def test_bad_store_urls():
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("postgres://x")


def test_bad_source_name(memory_store):
    with pytest.raises(BadInput, match="invalid source name"):
        memory_store.begin("has space")


def test_bindings_are_injection_safe(any_store):
    with any_store.begin("one") as txn:
        txn.load(data=b'@prefix ex: <http://ex/> . ex:a ex:name "x" .', fmt="turtle")
        txn.commit()
    evil = Literal('x" } ; DROP ALL ; SELECT * { "')
    assert any_store.select("SELECT ?s WHERE { ?s <http://ex/name> ?n }", bindings={"n": evil}) == []
    with pytest.raises(BadInput):
        any_store.select("SELECT ?p WHERE { ?s ?p ?o }", bindings={"s": URIRef("http://ex/a> } #")})


def test_patch_adds_and_removes_only_what_changes(any_store):
    import pyoxigraph as ox
    from govgraph.history import asset_asof
    ex = lambda n: ox.NamedNode(f"http://ex/{n}")
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        first = txn.commit()
    with any_store.patch("one") as p:
        p.add([ox.Triple(ex("a"), ex("p"), ex("d")), ox.Triple(ex("a"), ex("p"), ex("b"))])  # b is there already
        p.remove([ox.Triple(ex("a"), ex("p"), ex("c")), ox.Triple(ex("a"), ex("p"), ex("zzz"))])  # zzz is not
        assert any_store.select("SELECT ?o WHERE { ?s ?p ?o FILTER(?o = <http://ex/d>) }") == []  # not visible yet
        assert any_store.ask("ASK { <http://ex/a> <http://ex/p> <http://ex/d> }", graphs=p.view())
        rec = p.commit()
    assert (rec.action, rec.added, rec.removed) == ("patch", 1, 1)
    objs = sorted(str(r["o"]) for r in any_store.select("SELECT ?o WHERE { ?s ?p ?o }"))
    assert objs == ["http://ex/b", "http://ex/d"]
    assert any_store.source("one").triples == 2
    # an empty change records nothing
    with any_store.patch("one") as p:
        p.add([ox.Triple(ex("a"), ex("p"), ex("d"))])
        assert p.commit() is None
    assert any_store.revision == 2
    # the history can rebuild the state before the patch
    assert sorted(str(o) for _, _, o in asset_asof(any_store, "http://ex/a", first.at)) == ["http://ex/b", "http://ex/c"]
    assert [g.value for g in any_store.named_graphs() if "staging" in g.value] == []


def test_patch_creates_a_missing_source_and_rolls_back(any_store):
    import pyoxigraph as ox
    t = ox.Triple(ox.NamedNode("http://ex/x"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    with any_store.patch("new") as p:
        p.add([t])
    assert not any_store.has_source("new")  # left without commit: rolled back
    with any_store.patch("new") as p:
        p.add([t])
        rec = p.commit()
    assert rec.action == "load" and any_store.source("new").triples == 1


def test_patches_to_several_sources_commit_in_one_atomic_update(any_store):
    import pyoxigraph as ox
    from govgraph.store import commit_patches
    t = lambda s, o: ox.Triple(ox.NamedNode(f"http://ex/{s}"), ox.NamedNode("http://ex/p"), ox.Literal(o))
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        txn.commit()
    start = any_store.revision
    a, b, c = any_store.patch("one"), any_store.patch("two"), any_store.patch("three")
    a.add([t("a", "1")])
    b.add([t("b", "2")])
    recs = commit_patches([a, b, c])  # "three" changes nothing: no record, no revision
    assert [r.revision if r else None for r in recs] == [start + 1, start + 2, None]
    assert [(r.source, r.action) for r in recs if r] == [("one", "patch"), ("two", "load")]
    assert any_store.revision == start + 2 and not any_store.has_source("three")
    assert [h.revision for h in any_store.history()][-2:] == [start + 1, start + 2]
    assert any_store.source("two").triples == 1
    # a failed update applies none of them, and releases the write lock
    before = sorted(map(str, any_store.quads()))
    d, e = any_store.patch("one"), any_store.patch("two")
    d.add([t("d", "3")])
    e.add([t("e", "4")])
    real = any_store.backend.update

    def broken(text):  # the commit's update fails (dropping staged graphs still works)
        if "ADD <" in text:
            raise StoreError("the server went away")
        return real(text)
    any_store.backend.update = broken
    try:
        with pytest.raises(StoreError):
            commit_patches([d, e])
    finally:
        any_store.backend.update = real
    assert sorted(map(str, any_store.quads())) == before and any_store.revision == start + 2
    assert [g.value for g in any_store.named_graphs() if "staging" in g.value] == []
    with any_store.patch("two") as p:  # the lock is free again
        p.add([t("f", "5")])
        assert p.commit().revision == start + 3
    with pytest.raises(ValueError):
        commit_patches([any_store.patch("one"), any_store.patch("one")])


def test_patch_of_triples_known_absent_stages_in_its_diff_graph(any_store):
    """``add(absent=True)``: staged straight into the revision's "added" diff graph; a patch that
    commits as another revision than it staged for (another patch took it) is moved first."""
    import pyoxigraph as ox
    from govgraph.history import asset_asof
    from govgraph.store import DIFF_PREFIX, commit_patches, diff_graph
    t = lambda s, o: ox.Triple(ox.NamedNode(f"http://ex/{s}"), ox.NamedNode("http://ex/p"), ox.Literal(o))
    with any_store.begin("one") as txn:
        txn.load(data=TTL, fmt="turtle")
        first = txn.commit()
    start = any_store.revision
    with any_store.patch("one") as p:
        p.add([t("k", "1"), t("k", "2")], absent=True)
        rec = p.commit()
    assert (rec.revision, rec.added) == (start + 1, 2)
    diff = {(q.subject.value, q.object.value) for q in any_store.quads(None, None, None,
                                                                      ox.NamedNode(diff_graph(start + 1, "added")))}
    assert diff == {("http://ex/k", "1"), ("http://ex/k", "2")}
    assert any_store.source("one").triples == 4  # the two of TTL and the two added
    # "b" only removes (no reservation) and commits first, so "c" commits as start + 3, not the
    # start + 2 it staged for: its staging graph is moved before anything is written
    with any_store.begin("two") as txn:
        txn.load(data=b'<http://ex/z> <http://ex/p> "z" .', fmt="ntriples")
        txn.commit()
    start = any_store.revision
    b, c = any_store.patch("two"), any_store.patch("one")
    b.remove([t("z", "z")])
    c.add([t("m", "3")], absent=True)
    recs = commit_patches([b, c])
    assert [(r.source, r.revision, r.added, r.removed) for r in recs] == [("two", start + 1, 0, 1), ("one", start + 2, 1, 0)]
    graph = lambda rev, kind: {(q.subject.value, q.object.value)
                               for q in any_store.quads(None, None, None, ox.NamedNode(diff_graph(rev, kind)))}
    assert graph(start + 1, "removed") == {("http://ex/z", "z")} and graph(start + 1, "added") == set()
    assert graph(start + 2, "added") == {("http://ex/m", "3")}
    # a refused or abandoned patch leaves nothing, and the history still rebuilds the past
    with any_store.patch("one") as p:
        p.add([t("n", "4")], absent=True)
    assert not any(g.value.startswith(DIFF_PREFIX) and int(g.value[len(DIFF_PREFIX):].split(":")[0]) > any_store.revision
                   for g in any_store.named_graphs())
    assert [g.value for g in any_store.named_graphs() if "staging" in g.value] == []
    assert any_store.reserved_revisions == 0
    assert sorted(str(o) for _, _, o in asset_asof(any_store, "http://ex/a", first.at)) == ["http://ex/b", "http://ex/c"]
    assert asset_asof(any_store, "http://ex/k", first.at) == []
