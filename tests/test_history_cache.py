"""The change history is read once per revision and then extended by the records of later commits
(``Store.history``), not read whole after every write: after each kind of write (loads, patches,
removals, a source loaded again under a removed one's name, which moves that removal's kept triples
and rewrites its record, from this process or from another one) it equals the history read afresh."""
from __future__ import annotations

import time
import uuid

import pyoxigraph as ox

from govgraph.audit import read_history
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import write_source
from govgraph.store import commit_patches, open_store
from live_steps import n, ol_event

BASE = "https://data.county.example.gov.uk/id/"
TITLE = "http://purl.org/dc/terms/title"


def title(i: int, text: str) -> ox.Triple:
    return ox.Triple(n(f"{BASE}dataset/h{i}"), n(TITLE), ox.Literal(text))


def same(store) -> list:
    h = store.history()
    assert h == read_history(store.backend)
    assert [r.revision for r in h] == list(range(1, store.revision + 1))
    return h


def test_the_history_follows_every_kind_of_write(any_store):
    st = any_store
    tag = uuid.uuid4().hex[:6]
    write_source(st, "a" + tag, [title(1, "one")], who="t", force=True)
    same(st)
    write_source(st, "b" + tag, [title(2, "two")], who="t", force=True)
    same(st)
    write_source(st, "a" + tag, [title(1, "one again")], who="t", force=True, may_remove=True)  # a replace
    same(st)
    p = st.patch("b" + tag, who="t")
    p.add([title(3, "three")])
    commit_patches([p], forced=True)
    same(st)
    ingest_event(st, ol_event("job", ["dbo.in"], ["dbo.out_" + tag], 7))
    same(st)
    st.remove_source("a" + tag, who="t")
    removed = same(st)[-1]
    # loaded again under the removed source's name: its kept triples move, and its record is rewritten
    write_source(st, "a" + tag, [title(4, "four")], who="t", force=True)
    h = same(st)
    assert any(r.revision == removed.revision for r in h)
    assert st.history("a" + tag) == [r for r in read_history(st.backend) if r.source == "a" + tag]


def test_another_process_reloading_a_removed_source(store_factory, tmp_path):
    """A second store object on the same server (another process) removes and reloads a source: the first
    one extends the history it read with the other's records, and it equals the history read afresh."""
    tag = uuid.uuid4().hex[:6]
    with store_factory("remote", tmp_path) as one, open_store(one.url) as two:
        write_source(one, "a" + tag, [title(1, "one")], who="t", force=True)
        before = same(one)
        two.remove_source("a" + tag, who="t")
        write_source(two, "a" + tag, [title(2, "two")], who="t", force=True)
        deadline = time.monotonic() + 10
        while one.revision != two.revision and time.monotonic() < deadline:  # re-read after REMOTE_REVISION_TTL
            time.sleep(0.1)
        assert one._history_cache is not None and one._history_cache[0] < one.revision  # read before: extended
        after = same(one)
        assert len(after) == len(before) + 2 and after[-2].kept and after[-1].action == "load"
