"""The redacted copies behind --hide-sensitive follow each commit: a write that leaves what a reader
may not see as it was is redacted source by source into the copy kept for that reader (whose own
derived views then apply it as a change); a write that changes it (a classification, an access
group) makes a new copy. Either way the copy equals one made afresh, and never holds a hidden asset.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph import access, live, search
from govgraph.audit import read_history
from govgraph.errors import Preparing
from govgraph.io.write import write_source
from govgraph.redaction import redact, redacted_revision
from govgraph.store import commit_patches
from live_steps import do, until
from live_strategies import DATASETS, SOURCES, statements, tables, words
from support import INTERFACES_ESTATE

BASE = "https://data.county.example.gov.uk/id/"
GOV, DCT, PROV = "https://w3id.org/govgraph#", "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#"
RDF, DCAT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ANALYSTS = access.Viewer("analyst", frozenset({"Analysts"}))


def t(s: str, p: str, o) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o if not isinstance(o, str) else ox.NamedNode(o))


def contents(copy) -> dict[str, list[str]]:
    """Every source of a copy with its triples."""
    return {src.name: sorted(str(ox.Triple(q.subject, q.predicate, q.object))
                             for q in copy.quads(None, None, None, ox.NamedNode(src.graph)))
            for src in copy.sources()}


def mentions(copy, iri: str) -> bool:
    return any(f"<{iri}>" in triple for triples in contents(copy).values() for triple in triples)


def check(store, viewer) -> object:
    """The kept copy for ``viewer``: exact for the store's revision, equal to a fresh one, nothing hidden in it."""
    copy = access.redacted_view(store, viewer)
    r = access.redaction_for(store, viewer)
    assert r == access._worked_out(store, viewer, frozenset())  # the kept redaction is the one worked out afresh
    if copy is store:  # nothing hidden from this reader
        assert not r
        return copy
    assert redacted_revision(copy) == store.revision and copy.derivation.redaction == r
    assert contents(copy) == contents(redact(store, r))
    for iri in r.hidden:
        assert not mentions(copy, iri), f"{iri} is hidden from {viewer.name} but in the copy"
    return copy


def test_redacted_copies_follow_writes_and_never_keep_a_hidden_asset(any_store):
    store = any_store
    from govgraph.io.load import load_files
    load_files(store, [INTERFACES_ESTATE], force=True)
    hidden = access.hidden_from(store, access.ANONYMOUS)
    assert hidden, "the estate has restricted assets"
    visible = sorted(r["d"].value for r in store.query("SELECT ?d WHERE { ?d a dcat:Dataset }")
                     if r["d"].value not in hidden)[0]
    first = check(store, access.ANONYMOUS)
    check(store, ANALYSTS)
    search.search(first, "gritting")  # the copy's search index, built

    # a write that changes no classification: the same copy, brought up to date
    extra = BASE + "dataset/winter-gritting-extract"
    write_source(store, "extra", [t(extra, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                    "http://www.w3.org/ns/dcat#Dataset"),
                                  t(extra, DCT + "title", ox.Literal("Winter gritting extract")),
                                  t(extra, PROV + "wasDerivedFrom", sorted(hidden)[0])],
                 who="test", force=True, may_remove=True)
    followed = check(store, access.ANONYMOUS)
    assert followed is first
    assert extra in [i.iri for i in search.search(followed, "winter gritting extract")[1]]
    assert any(f"<{extra}> <{PROV}wasDerivedFrom> <urn:govgraph:restricted:" in x
               for x in contents(followed)["extra"])  # its derivation points at the placeholder
    assert live.memo(followed).stats["search"].applied >= 1  # the copy's search index applied the change
    assert check(store, ANALYSTS) is not None

    # a field described in one source, placed under a hidden asset by another: the redaction differs
    # (the field now only describes a hidden asset) though the hidden set does not: a new copy
    field = BASE + "field/gritting-extract-secret-column"
    write_source(store, "field-label", [t(field, "http://www.w3.org/2000/01/rdf-schema#label",
                                          ox.Literal("Secret column"))], who="test", force=True, may_remove=True)
    assert mentions(check(store, access.ANONYMOUS), field)
    write_source(store, "field-of", [t(field, GOV + "fieldOf", sorted(hidden)[0])],
                 who="test", force=True, may_remove=True)
    assert not mentions(check(store, access.ANONYMOUS), field)
    followed = check(store, access.ANONYMOUS)

    # classifying a visible dataset: that copy is not kept (a new one hides it) ...
    write_source(store, "classify", [t(visible, GOV + "classification", GOV + "OfficialSensitive"),
                                     t(visible, GOV + "accessGroup", ox.Literal("Analysts"))],
                 who="test", force=True, may_remove=True)
    assert visible in access.hidden_from(store, access.ANONYMOUS)
    remade = check(store, access.ANONYMOUS)
    assert remade is not followed and not mentions(remade, visible)
    assert search.search(remade, visible.rsplit("/", 1)[-1])[0] == 0 or \
        visible not in [i.iri for i in search.search(remade, visible.rsplit("/", 1)[-1])[1]]
    # ... while a reader in its group still sees it
    assert mentions(check(store, ANALYSTS), visible)

    # removing a source that hid nothing: followed again; un-classifying: a new copy that shows it
    store.remove_source("extra", who="test")
    again = check(store, access.ANONYMOUS)
    assert again is remade and not mentions(again, extra)
    store.remove_source("classify", who="test")
    shown = check(store, access.ANONYMOUS)
    assert shown is not again and mentions(shown, visible)


def last_copy_write(copy) -> str:
    """The action of the copy's newest change record (patch: followed triple by triple)."""
    return read_history(copy.backend)[-1].action


def test_a_source_changed_in_place_is_followed_triple_by_triple(any_store):
    """A replace or patch holding no blank node is applied to the copy as the triples it changed:
    placeholders appear and go with their last use, a renamed flow loses its words and is titled by its type."""
    store = any_store
    from govgraph.io.load import load_files
    load_files(store, [INTERFACES_ESTATE], force=True)
    hidden = sorted(access.hidden_from(store, access.ANONYMOUS))
    assert len(hidden) > 1
    flow, extra = BASE + "flow/extract-run", BASE + "dataset/winter-gritting-extract"
    # a flow from a hidden asset is shown renamed (a change of what is renamed makes a new copy, so it stays)
    base = [t(extra, RDF + "type", DCAT + "Dataset"), t(extra, DCT + "title", ox.Literal("Winter gritting extract")),
            t(flow, GOV + "source", hidden[0])]
    write_source(store, "extra", base, who="test", force=True, may_remove=True)
    copy = check(store, access.ANONYMOUS)
    ph = access.redaction_for(store, access.ANONYMOUS).placeholder(hidden[-1])

    def rewrite(triples):
        write_source(store, "extra", base + triples, who="test", force=True, may_remove=True)
        followed = check(store, access.ANONYMOUS)  # equal to a fresh copy, nothing hidden in it
        assert followed is copy and last_copy_write(copy) == "patch"
        return contents(copy)["extra"]

    # a derivation from another hidden asset; the flow typed, with words naming what it moves
    shown = rewrite([t(extra, PROV + "wasDerivedFrom", hidden[-1]), t(flow, RDF + "type", GOV + "Flow"),
                     t(flow, GOV + "target", extra), t(flow, DCT + "title", ox.Literal("Nightly extract of secrets"))])
    assert f"<{ph}> <{DCT}title> \"restricted asset\"" in shown
    assert not any("secrets" in x for x in shown)
    assert any('"restricted flow"' in x for x in shown)
    # the flow no longer typed a flow: titled a restricted resource
    shown = rewrite([t(extra, PROV + "wasDerivedFrom", hidden[-1])])
    assert any('"restricted resource"' in x for x in shown) and not any('"restricted flow"' in x for x in shown)
    assert any(ph in x for x in shown)
    # the placeholder's last use gone: its stand-in triples go with it
    shown = rewrite([])
    assert not any(ph in x for x in shown) and any(access.redaction_for(store, access.ANONYMOUS).placeholder(hidden[0]) in x
                                                  for x in shown)
    # a patch too (an OpenLineage event's kind of write)
    p = store.patch("extra", who="test")
    p.add([t(extra, PROV + "wasDerivedFrom", hidden[-1])])
    commit_patches([p], forced=True)
    assert check(store, access.ANONYMOUS) is copy and last_copy_write(copy) == "patch"
    assert check(store, ANALYSTS) is not None


FLOWS = [BASE + "flow/a", BASE + "flow/b"]
#: writes about flows and derivations between the small pools' datasets (some hidden by a random classification)
flow_statements = st.one_of(
    statements(),
    st.builds(lambda f: t(f, RDF + "type", GOV + "Flow"), st.sampled_from(FLOWS)),
    st.builds(lambda f, w: t(f, DCT + "title", ox.Literal(w)), st.sampled_from(FLOWS), words),
    st.builds(lambda f, w: t(f, GOV + "frequency", ox.Literal(w, datatype=ox.NamedNode(XSD + "token"))),
              st.sampled_from(FLOWS), st.sampled_from(["daily", "weekly"])),
    st.builds(lambda a, b: t(a, PROV + "wasDerivedFrom", b), st.sampled_from(DATASETS), st.sampled_from(DATASETS)),
)
redaction_steps = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(SOURCES), st.lists(flow_statements, min_size=1, max_size=8)),
    st.tuples(st.just("patch"), st.sampled_from(SOURCES), st.lists(flow_statements, min_size=1, max_size=8),
              st.integers(0, 3)),
    st.tuples(st.just("remove"), st.sampled_from(SOURCES)),
    st.tuples(st.just("event"), st.sampled_from(["load_a", "load_b"]), tables, tables, st.integers(1, 4)),
)


@pytest.fixture(scope="module")
def red_estate(module_store):
    from govgraph.io.load import load_files
    load_files(module_store, [INTERFACES_ESTATE], force=True)
    return module_store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(redaction_steps, min_size=1, max_size=6))
def test_redacted_copies_follow_random_writes_exactly(red_estate, sequence):
    """After every random write, each reader's kept copy equals a copy made afresh and holds nothing hidden."""
    for viewer in (access.ANONYMOUS, ANALYSTS):
        check(red_estate, viewer)
    for step in sequence:
        do(red_estate, step)
        for viewer in (access.ANONYMOUS, ANALYSTS):
            check(red_estate, viewer)


def _restart(path, store):
    """The store closed and opened again as a new process would (its copies dropped and closed)."""
    import gc
    access._views.pop(store, None)  # noqa: SLF001
    store.close()
    gc.collect()
    from govgraph.store import open_store
    return open_store(f"oxigraph:{path}")


def test_a_copy_kept_on_disk_is_reopened_after_a_restart_and_follows_the_commits_since(tmp_path, monkeypatch):
    """An embedded store's redacted copies are kept on disk beside it (``kept_copies``): after a restart the copy
    is reopened and follows what was committed meanwhile, not redacted again, and equals a copy made afresh (its
    stand-ins hashed with the key kept beside the store); under another redaction, or without its marker, a copy
    is made afresh."""
    import os
    from govgraph import kept_copies, kept_state, redaction
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    path = tmp_path / "store"
    store = open_store(f"oxigraph:{path}")
    load_files(store, [INTERFACES_ESTATE], force=True)
    first = check(store, access.ANONYMOUS)
    folder = kept_state.folder_of(store) / kept_copies.FOLDER / access.redaction_for(store, access.ANONYMOUS).digest
    assert str(first.backend.path) == str(folder) and (folder / kept_copies.MARKER).is_file()
    key_file = kept_state.folder_of(store) / redaction.KEY_FILE
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    hidden = sorted(access.hidden_from(store, access.ANONYMOUS))
    extra = BASE + "dataset/thaw-extract"
    write_source(store, "extra", [t(extra, RDF + "type", DCAT + "Dataset"), t(extra, DCT + "title", ox.Literal("Thaw")),
                                  t(extra, PROV + "wasDerivedFrom", hidden[0])], who="test", force=True, may_remove=True)
    check(store, access.ANONYMOUS)  # followed and marked
    del first

    store = _restart(path, store)
    # committed while no copy is open: a patch, a whole source, a removal
    p = store.patch("extra", who="test")
    p.add([t(extra, PROV + "wasDerivedFrom", hidden[-1])])
    commit_patches([p], note="test")
    write_source(store, "more", [t(BASE + "dataset/frost", DCT + "title", ox.Literal("Frost"))], who="test", force=True,
                 may_remove=True)
    made = []
    real = access.redact
    monkeypatch.setattr(access, "redact", lambda *a, **k: made.append(1) or real(*a, **k))
    monkeypatch.setattr(access, "BACKGROUND_COPY", 0)  # a page of a large estate waits for a copy to reopen
    assert access.redacted_view(store, access.ANONYMOUS, wait=False) is not store
    reopened = check(store, access.ANONYMOUS)  # equal to a fresh copy: the same stand-ins
    assert not made and str(reopened.backend.path) == str(folder)
    assert mentions(reopened, BASE + "dataset/frost")
    assert any(f"<{extra}> <{PROV}wasDerivedFrom> <urn:govgraph:restricted:" in x for x in contents(reopened)["extra"])
    del reopened

    # without its marker (cut off while being made): made afresh in the same folder (a page does not wait for it)
    store = _restart(path, store)
    (folder / kept_copies.MARKER).unlink()
    with pytest.raises(Preparing):
        access.redacted_view(store, access.ANONYMOUS, wait=False)
    assert until(lambda: not access._preparing)  # noqa: SLF001
    monkeypatch.setattr(access, "BACKGROUND_COPY", 10**9)
    check(store, access.ANONYMOUS)
    assert made == [1]
    # another redaction (a dataset classified): another copy, the first one still kept
    write_source(store, "classify", [t(extra, GOV + "classification", GOV + "Secret")], who="test", force=True,
                 may_remove=True)
    other = check(store, access.ANONYMOUS)
    assert made == [1, 1] and str(other.backend.path) != str(folder) and folder.is_dir()


def test_a_copy_marked_before_its_last_commits_is_followed_again_exactly(tmp_path, monkeypatch):
    """A copy's marker is written at most every ``kept_copies.MARK_EVERY`` seconds while it follows commits: after a
    restart the copy holds more than its marker says, and following those commits again from the marker leaves it
    equal to a copy made afresh (no redaction made)."""
    import json
    from govgraph import kept_copies
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    monkeypatch.setattr(kept_copies, "MARK_EVERY", 3600.0)
    path = tmp_path / "store"
    store = open_store(f"oxigraph:{path}")
    load_files(store, [INTERFACES_ESTATE], force=True)
    copy = check(store, access.ANONYMOUS)
    marker = Path(copy.backend.path) / kept_copies.MARKER
    marked = json.loads(marker.read_text())["revision"]
    assert marked == store.revision
    hidden = sorted(access.hidden_from(store, access.ANONYMOUS))
    extra = BASE + "dataset/sleet-extract"
    write_source(store, "extra", [t(extra, RDF + "type", DCAT + "Dataset"), t(extra, DCT + "title", ox.Literal("Sleet")),
                                  t(extra, PROV + "wasDerivedFrom", hidden[0])], who="test", force=True, may_remove=True)
    p = store.patch("extra", who="test")
    p.add([t(extra, PROV + "wasDerivedFrom", hidden[-1])])
    commit_patches([p], note="test")
    assert check(store, access.ANONYMOUS) is copy  # followed, in place
    assert json.loads(marker.read_text())["revision"] == marked < store.revision  # not marked again yet
    del copy
    store = _restart(path, store)
    made = []
    real = access.redact
    monkeypatch.setattr(access, "redact", lambda *a, **k: made.append(1) or real(*a, **k))
    reopened = check(store, access.ANONYMOUS)  # followed again from the marker: equal to a fresh copy
    assert not made and Path(reopened.backend.path) == marker.parent
    assert json.loads(marker.read_text())["revision"] == store.revision  # a reopened copy is marked when followed


def test_a_reopened_copy_that_cannot_follow_is_made_again_in_its_folder(tmp_path, monkeypatch):
    """A copy reopened after a restart that cannot be followed (the commits since not all recorded) is closed and
    made afresh in its own folder, still kept on disk (not in memory beside an open folder)."""
    from govgraph import kept_copies
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    path = tmp_path / "store"
    store = open_store(f"oxigraph:{path}")
    load_files(store, [INTERFACES_ESTATE], force=True)
    folder = str(check(store, access.ANONYMOUS).backend.path)
    store = _restart(path, store)
    real = access.follow
    refused = []

    def follow(copy, st, r):
        if not refused:  # the reopened copy: as if a record were missing
            refused.append(copy)
            return None
        return real(copy, st, r)
    monkeypatch.setattr(access, "follow", follow)
    remade = check(store, access.ANONYMOUS)
    assert refused and str(remade.backend.path) == folder and remade is not refused[0]
    assert (Path(folder) / kept_copies.MARKER).is_file()


def test_sparql_over_a_copy_kept_on_disk_reads_a_checkpoint_of_it(tmp_path, monkeypatch):
    """``/sparql`` with hiding on runs in a worker over a checkpoint of the reader's copy kept on disk (hard links),
    not over its quads written out again (2.8 million at 100k datasets), and finds nothing hidden."""
    import json
    from govgraph.backends.embedded import EmbeddedBackend
    from govgraph.io.load import load_files
    from govgraph.store import open_store
    from govgraph.webapp import create_app
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    load_files(store, [INTERFACES_ESTATE], force=True)
    client = create_app({"STORE": store, "HIDE_SENSITIVE": True}).test_client()
    assert access.redacted_view(store, access.ANONYMOUS).backend.capabilities.on_disk

    def rewritten(self):
        raise AssertionError("the copy's quads were written out again")
    monkeypatch.setattr(EmbeddedBackend, "all_quads", rewritten)
    hidden = sorted(access.hidden_from(store, access.ANONYMOUS))
    accept = {"Accept": "application/sparql-results+json"}
    got = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a dcat:Dataset }"},
                     headers=accept)
    assert got.status_code == 200, got.data[:300]
    assert int(json.loads(got.data)["results"]["bindings"][0]["n"]["value"]) > 0
    for iri in hidden:
        got = client.get("/sparql", query_string={"query": f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}"},
                         headers=accept)
        assert got.status_code == 200 and json.loads(got.data)["boolean"] is False
