"""Derived views follow commits in the background in a served app (``LIVE_FOLLOW``), and a page read
while they are being brought up to date answers from what is kept instead of waiting; the write shows
once the follower is done. Real store, real app, no request needed for the views to catch up."""
from __future__ import annotations

import threading
import urllib.parse

import pyoxigraph as ox
import pytest

from govgraph import access, live, search_index
from govgraph.io.load import load_files
from govgraph.io.write import write_source
from govgraph.shapes import asset_scores, kept
from govgraph.webapp import create_app
from live_steps import DATASET, ESTATE, synonym, until

GOV = "https://w3id.org/govgraph#"


@pytest.fixture()
def served(any_store):
    load_files(any_store, [ESTATE], force=True)
    app = create_app({"STORE": any_store, "LIVE_FOLLOW": True})
    yield any_store, app.test_client()
    live.memo(any_store).follow = False  # the follower stops at its next wake-up
    live.memo(any_store).pending.set()


def test_views_follow_a_commit_without_a_request(served):
    store, client = served
    assert client.get("/").status_code == 200 and client.get("/search?q=referrals").status_code == 200
    memo = live.memo(store)
    applied = {v: memo.stats[v].applied for v in ("search", "validation", "asset-scores")}
    synonym(store, "Quillwort returns")
    assert until(lambda: all(memo.peek(v)[0] == store.revision for v in ("search", "validation", "asset-scores"))
                 and not memo.pending.is_set())
    assert {v: memo.stats[v].applied for v in applied} == {v: n + 1 for v, n in applied.items()}  # applied, not built
    assert DATASET.encode() in client.get("/api/v1/search?q=quillwort").data
    # what the follower made equals a fresh build
    assert live.view(store, asset_scores.ASSET_SCORES_VIEW).scores == asset_scores.count(store, kept.kept_report(store))


def test_a_page_read_while_the_follower_applies_answers_from_what_is_kept(served):
    store, client = served
    assert client.get("/search?q=referrals").status_code == 200
    memo = live.memo(store)
    lock = memo._lock_for(search_index.SEARCH_VIEW.name)  # noqa: SLF001 - held as the follower holds it while applying
    with lock:
        synonym(store, "Bladderwort figures")
        before = memo.peek("search")[0]
        assert before < store.revision
        got: list = []
        reader = threading.Thread(target=lambda: got.append(client.get("/api/v1/search?q=bladderwort")))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "the read waited for the view being applied"
        page = got[0]
        assert page.status_code == 200
        assert DATASET.encode() not in page.data  # the revision before: the follower has not applied it yet
        assert memo.peek("search")[0] == before
        # a write (not a read) and a view asked for outside a request are exact: they wait for the lock
    assert until(lambda: memo.peek("search")[0] == store.revision)
    assert DATASET.encode() in client.get("/api/v1/search?q=bladderwort").data


def test_without_live_follow_the_next_read_sees_the_write(any_store):
    load_files(any_store, [ESTATE], force=True)
    client = create_app({"STORE": any_store}).test_client()
    assert client.get("/search?q=referrals").status_code == 200
    synonym(any_store, "Sundew counts")
    assert DATASET.encode() in client.get("/api/v1/search?q=sundew").data
    assert not live.memo(any_store).follow


def test_redacted_copies_follow_a_commit_without_a_request(any_store):
    """With --hide-sensitive, the copy of a reader seen lately is brought up to date by the follower
    (followed, not made afresh), so the reader's next page does not wait for it."""
    load_files(any_store, [ESTATE], force=True)
    app = create_app({"STORE": any_store, "LIVE_FOLLOW": True, "HIDE_SENSITIVE": True})
    client = app.test_client()
    try:
        assert client.get("/search?q=referrals").status_code == 200  # anonymous: the redacted copy
        first = access.redacted_view(any_store, access.ANONYMOUS)
        assert first is not any_store
        hidden = access.hidden_from(any_store, access.ANONYMOUS)
        visible = sorted(r["d"].value for r in any_store.query("SELECT ?d WHERE { ?d a dcat:Dataset }")
                         if r["d"].value not in hidden)[0]
        synonym(any_store, "Butterwort tallies", visible)
        key = (any_store.revision,) + access._hidden_key(any_store, access.ANONYMOUS, ())  # noqa: SLF001
        assert until(lambda: access._views[any_store].peek(key) is not None)  # noqa: SLF001
        assert access._views[any_store].peek(key) is first  # the same copy, followed
        # the copy's own views follow its commits too (its follower): the synonym shows without a rebuild
        assert until(lambda: visible.encode() in client.get("/api/v1/search?q=butterwort").data)
        assert live.memo(first).stats["search"].built == 1 and live.memo(first).stats["search"].applied >= 1
    finally:
        live.memo(any_store).follow = False
        live.memo(any_store).pending.set()


def test_a_classification_hides_at_once_while_the_follower_is_busy(any_store):
    """Reads answered from what is kept never show an asset classified since: who may see what is exact
    (the restricted view is never answered from an earlier revision), so its copy is made afresh."""
    load_files(any_store, [ESTATE], force=True)
    client = create_app({"STORE": any_store, "LIVE_FOLLOW": True, "HIDE_SENSITIVE": True}).test_client()
    hidden = access.hidden_from(any_store, access.ANONYMOUS)
    visible = sorted(r["d"].value for r in any_store.query("SELECT ?d WHERE { ?d a dcat:Dataset }")
                     if r["d"].value not in hidden)[0]
    page = "/asset?iri=" + urllib.parse.quote(visible, safe="")
    assert client.get(page).status_code == 200
    memo = live.memo(any_store)
    try:
        with memo._lock_for(access.READERS_VIEW.name):  # noqa: SLF001 - the follower is kept busy meanwhile
            write_source(any_store, "classify", [
                ox.Triple(ox.NamedNode(visible), ox.NamedNode(GOV + "classification"), ox.NamedNode(GOV + "Secret"))],
                who="test", force=True, may_remove=True)
            assert memo.pending.is_set()
            got: list = []
            reader = threading.Thread(target=lambda: got.append(client.get(page)))
            reader.start()
            reader.join(60)
            assert not reader.is_alive() and got[0].status_code == 404
    finally:
        memo.follow = False
        memo.pending.set()


def test_what_a_round_of_the_follower_makes_is_frozen_before_the_write_is_answered(served):
    """The follower freezes what its round made before the writer is answered (``live._follow``): the new states are
    not left young for the next page's collection to walk (at 100k: 10-34 ms a collection)."""
    import gc
    store, client = served
    assert client.get("/search?q=referrals").status_code == 200
    memo = live.memo(store)
    synonym(store, "Pipewort tallies")
    assert memo.wait_applied(store, store.revision, 30)
    index = memo.peek(search_index.SEARCH_VIEW.name)[1]  # the state the round made (applied, not built)
    assert memo.stats["search"].applied >= 1
    young = {id(o) for gen in (0, 1, 2) for o in gc.get_objects(generation=gen)}
    assert id(index) not in young and id(index.ids) not in young  # frozen: no collection walks them


def test_young_garbage_is_collected_before_a_round_not_frozen(served):
    """A cycle a request dropped before a write is collected by the follower before its round (young, small to
    walk), not frozen with the round's new tables to wait for a sweep."""
    import gc
    import weakref

    class Node:
        pass

    store, client = served
    assert client.get("/search?q=referrals").status_code == 200
    memo = live.memo(store)
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    gone = weakref.ref(a)
    del a, b
    gc.disable()  # only the follower's own collection may free it
    try:
        synonym(store, "Quillwort tallies")
        assert memo.wait_applied(store, store.revision, 30)
        assert gone() is None
    finally:
        gc.enable()


def test_a_sweep_collects_garbage_frozen_with_the_states(monkeypatch):
    """A cycle a request dropped after a round froze it is collected by the next sweep (``live._sweep_frozen``),
    which runs no more often than ``SWEEP_FROZEN_EVERY``."""
    import gc
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    gone = weakref.ref(a)
    gc.freeze()  # as a round of the follower does while a request holds it
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: no collection reaches it
    monkeypatch.setattr(live, "_swept", [live.time.monotonic()])
    assert not live._sweep_frozen()  # noqa: SLF001 - not due yet
    assert gone() is not None
    monkeypatch.setattr(live, "SWEEP_FROZEN_EVERY", 0.0)
    assert live._sweep_frozen()  # noqa: SLF001
    assert gone() is None
    assert gc.get_freeze_count() > 0  # everything alive frozen again


def test_a_large_estates_first_copy_is_prepared_in_the_background(any_store, monkeypatch):
    """Over ``access.BACKGROUND_COPY`` triples a reader's first page does not wait for its copy (about 70 s at 100k
    datasets): it is answered 503 "being prepared", with Retry-After and a page that asks again by itself, while one
    copy is made in the background; the page after is read from that copy."""
    load_files(any_store, [ESTATE], force=True)
    monkeypatch.setattr(access, "BACKGROUND_COPY", 0)
    client = create_app({"STORE": any_store, "HIDE_SENSITIVE": True}).test_client()  # not served: nothing started
    access._build_lock.acquire()  # noqa: SLF001 - the copy cannot be finished meanwhile
    try:
        got: list = []
        asking = threading.Thread(target=lambda: got.append(client.get("/search?q=referrals")))
        asking.start()
        asking.join(30)
        assert not asking.is_alive(), "the page waited for the copy"
        page = got[0]
        assert page.status_code == 503 and page.headers["Retry-After"] == str(access.PREPARING_RETRY)
        assert b"being prepared" in page.data and b'http-equiv="refresh" content="10"' in page.data
        api = client.get("/api/v1/search?q=referrals")
        assert api.status_code == 503 and api.is_json and api.headers["Retry-After"] == "10"
        assert len(access._preparing) == 1  # noqa: SLF001 - one copy under way, not one per request
    finally:
        access._build_lock.release()  # noqa: SLF001
    assert until(lambda: client.get("/search?q=referrals").status_code == 200, 60)
    copy = access.redacted_view(any_store, access.ANONYMOUS)
    hidden = access.hidden_from(any_store, access.ANONYMOUS)
    assert copy is not any_store and hidden and not any(copy.contains(ox.NamedNode(h), None, None, None) for h in hidden)
    assert not access._preparing  # noqa: SLF001


def test_a_served_app_starts_the_anonymous_copy_before_the_first_page(any_store, monkeypatch):
    load_files(any_store, [ESTATE], force=True)
    monkeypatch.setattr(access, "BACKGROUND_COPY", 0)
    app = create_app({"STORE": any_store, "HIDE_SENSITIVE": True, "LIVE_FOLLOW": True})
    try:
        key = (any_store.revision,) + access._hidden_key(any_store, access.ANONYMOUS, ())  # noqa: SLF001
        assert until(lambda: any_store in access._views and access._views[any_store].peek(key) is not None, 60)  # noqa: SLF001
        assert app.test_client().get("/search?q=referrals").status_code == 200  # made before it was asked for
    finally:
        live.memo(any_store).follow = False
        live.memo(any_store).pending.set()
