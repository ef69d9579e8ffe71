"""The follower lets reads in flight finish before it brings the next view up to date (they answer
from kept views meanwhile, and its Python work would share the interpreter lock with them), for at
most ``live.READER_GRACE`` seconds a round: the write still shows soon after, read or no read."""
from __future__ import annotations

import time

import pytest

from govgraph import live
from govgraph.io.load import load_files
from govgraph.shapes import kept
from govgraph.webapp import create_app
from live_steps import ESTATE, synonym, until
from support import tokened_app


@pytest.fixture()
def served(any_store):
    load_files(any_store, [ESTATE], force=True)
    app = create_app({"STORE": any_store, "LIVE_FOLLOW": True})
    client = app.test_client()
    assert client.get("/validation").status_code == 200  # the kept report made
    yield any_store, client
    live.memo(any_store).follow = False  # the follower stops at its next wake-up
    live.memo(any_store).pending.set()


def test_the_follower_waits_for_a_read_in_flight_then_applies(served, monkeypatch):
    store, _ = served
    memo = live.memo(store)
    monkeypatch.setattr(live, "READER_GRACE", 1.5)
    before = memo.peek(kept.VALIDATION_VIEW.name)[0]
    with live.reading_kept():  # a page being read
        synonym(store, "Grace probe one")
        time.sleep(0.5)
        assert memo.peek(kept.VALIDATION_VIEW.name)[0] == before  # not applied while the read is in flight
    assert until(lambda: memo.peek(kept.VALIDATION_VIEW.name)[0] == store.revision, 10)


def test_a_long_read_holds_the_follower_back_no_longer_than_the_grace(served, monkeypatch):
    store, _ = served
    memo = live.memo(store)
    monkeypatch.setattr(live, "READER_GRACE", 0.3)
    with live.reading_kept():  # a read that outlasts the grace
        synonym(store, "Grace probe two")
        t = time.monotonic()
        assert until(lambda: memo.peek(kept.VALIDATION_VIEW.name)[0] == store.revision, 10)
        assert time.monotonic() - t >= 0.25  # it waited for the read first


def test_the_follower_brings_the_quicker_views_up_to_date_first(served):
    """Views a test defines (their own state: the revision and when they were applied), one slow to apply and
    kept first: once their costs are known, the follower applies the quick one first."""
    store, _ = served
    memo = live.memo(store)
    order: list[str] = []

    def view(name: str, pause: float) -> live.LiveView:
        def apply(state, st, change):
            time.sleep(pause)
            order.append(name)
            return st.revision
        return live.LiveView(name, lambda st: st.revision, apply)

    slow, quick = view("test-slow", 0.3), view("test-quick", 0.0)
    live.view(store, slow), live.view(store, quick)  # kept in this order
    synonym(store, "Order probe one")
    assert until(lambda: memo.peek("test-quick")[0] == memo.peek("test-slow")[0] == store.revision)
    assert memo.stats["test-slow"].seconds >= 0.3 > memo.stats["test-quick"].seconds
    order.clear()
    synonym(store, "Order probe two")
    assert until(lambda: memo.peek("test-quick")[0] == memo.peek("test-slow")[0] == store.revision)
    assert order == ["test-quick", "test-slow"]


def test_a_served_write_is_answered_once_every_view_has_applied_it(served, tmp_path):
    """A write through the served app is answered after the follower has brought every kept view up to date (at
    most ``live.WRITE_WAIT``): the writer's next page reads no view kept for an earlier revision."""
    store, _ = served
    app = tokened_app(store, tmp_path, LIVE_FOLLOW=True)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + app.tokens["editor"]
    memo = live.memo(store)
    for path in ("/", "/search?q=referrals"):
        assert client.get(path).status_code == 200
    for i in range(3):
        before = store.revision
        r = client.post("/sparql/update", data={"source": "write-wait", "update": (
            'INSERT DATA { <https://data.county.example.gov.uk/id/dataset/referrals> '
            f'<http://www.w3.org/2004/02/skos/core#altLabel> "Write wait probe {i}" }}')})
        assert r.status_code in (200, 201, 204), r.get_data(as_text=True)[:300]
        assert store.revision > before
        behind = {name: k.revision for name, k in memo.kept.items() if k.revision != store.revision}
        assert not behind, behind
        assert memo.applied >= store.revision
