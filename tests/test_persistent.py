"""Persistent collections (govgraph.persistent): each edit made on a copy equals the same edit on a plain
list or dict, and leaves every earlier version as it was (readers may still hold it)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph import persistent
from govgraph.persistent import Map, Sorted, Vec, Work


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 items, so a few dozen edits split, empty and cross chunks."""
    monkeypatch.setattr(persistent, "CHUNK", 4)
    monkeypatch.setattr(persistent, "_SHIFT", 2)
    monkeypatch.setattr(persistent, "_MASK", 3)


keys = st.integers(0, 60)
edits = st.lists(st.lists(st.tuples(st.sampled_from(["add", "remove"]), keys), max_size=12), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(keys, unique=True, max_size=40).map(sorted), edits)
def test_sorted_follows_a_sorted_list_and_keeps_each_version(start, rounds):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(persistent, "CHUNK", 4)
        versions = [(Sorted(start), list(start))]
        for edit in rounds:
            s, plain = versions[-1][0].edit(), list(versions[-1][1])
            for op, x in edit:
                if op == "add" and x not in plain:
                    s.insert(x)
                    plain.append(x)
                elif op == "remove" and x in plain:
                    s.remove(x)
                    plain.remove(x)
                elif op == "remove":
                    with pytest.raises(ValueError):
                        s.remove(x)
            versions.append((s.done(), sorted(plain)))
        for s, plain in versions:  # every version as it was made
            assert list(s) == plain and len(s) == len(plain) and all(len(c) <= 8 for c in s.chunks)
            for x in range(-1, 62):
                assert s.bisect_left(x) == sum(y < x for y in plain) and (x in s) == (x in plain)
            for lo in range(0, len(plain) + 2, 3):
                assert s[lo:lo + 5] == plain[lo:lo + 5] and s[lo:] == plain[lo:]
            assert [s[i] for i in range(len(plain))] == plain and (not plain or s[-1] == plain[-1])
        with pytest.raises(TypeError):
            versions[-1][0].insert(99)  # read only once done


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers()), max_size=10), max_size=6))
def test_vec_follows_a_list_and_keeps_each_version(n, rounds):
    with pytest.MonkeyPatch.context() as mp:
        for name, v in (("CHUNK", 4), ("_SHIFT", 2), ("_MASK", 3)):
            mp.setattr(persistent, name, v)
        versions = [(Vec(range(n)), list(range(n)))]
        for edit in rounds:
            v, plain = versions[-1][0].edit(), list(versions[-1][1])
            for i, x in edit:
                if i < len(plain):
                    v[i] = x
                    plain[i] = x
                else:
                    v.append(x)
                    plain.append(x)
            versions.append((v.done(), plain))
        for v, plain in versions:
            assert list(v) == plain and len(v) == len(plain) and [v[i] for i in range(len(plain))] == plain
            with pytest.raises(IndexError):
                v[len(plain)]


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(keys, st.integers(), max_size=30),
       st.lists(st.lists(st.tuples(st.sampled_from(["set", "del"]), keys, st.integers()), max_size=12), max_size=8))
def test_map_follows_a_dict_and_keeps_each_version(start, rounds):
    versions = [(Map(dict(start)), dict(start))]
    merged = 0
    for edit in rounds:
        m, plain = versions[-1][0].edit(), dict(versions[-1][1])
        for op, k, v in edit:
            if op == "set":
                m[k] = v
                plain[k] = v
            elif k in plain:
                del m[k]
                del plain[k]
            else:
                assert m.pop(k, "none") == "none"
        base = m.base
        versions.append((m.done(), plain))
        merged += m.base is not base
    for m, plain in versions:
        assert m.plain() == plain and dict(m.items()) == plain and len(m) == len(plain) and m == plain
        assert sorted(m) == sorted(plain) and sorted(m.values()) == sorted(plain.values())
        for k in range(-1, 62):
            assert (k in m) == (k in plain) and m.get(k, "none") == plain.get(k, "none")


def test_a_map_merges_its_overlay_past_its_bound():
    m = Map({i: i for i in range(10_000)})
    bound = persistent.merge_at(10_000)
    for i in range(bound + 1):
        m = m.edit()
        m[-i - 1] = i
        m = m.done()
    assert not m.over and len(m.base) == 10_000 + bound + 1  # merged once the overlay passed the bound


def test_an_edit_copies_chunks_not_the_whole(small_chunks):
    s = Sorted(range(0, 2000, 2))
    before = Work.copied
    e = s.edit()
    e.insert(1001)
    e.remove(1500)
    e.done()
    # the chunk list and the two chunks touched (1,000 items in chunks of 4: 250 chunks)
    assert Work.copied - before <= 2 * 250 + 2 * 8
    assert list(s) == list(range(0, 2000, 2)) and 1001 in e and 1500 not in e
