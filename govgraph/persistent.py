"""Persistent collections: a new version shares with the one before everything an edit did not touch.

A live view (``govgraph.live``) makes a new state for each commit while readers may still hold the
state before, so a state is never changed once handed out. Copying an estate-length list or dict
for each write would make every write cost in proportion to the estate; these collections copy
only what an edit touches, so a new version costs in proportion to the change:

- ``Vec``: a list indexed by position (read, set, append), in chunks of ``CHUNK`` items;
- ``Sorted``: a sorted list of distinct items (insert, remove, bisect, positional slices), in chunks
  of at most ``2 * CHUNK`` items, with the first item and starting position of each chunk;
- ``Map``: a dict as a base never changed and a small overlay of the changes since, merged into a new
  base once the overlay outgrows ``merge_at(len(base))`` (one copy every so many writes).

Each is edited through ``edit()``: a copy of its top level (the chunk list, or the overlay) whose
chunks are copied the first time an edit touches them; ``done()`` ends the editing and returns it,
after which it is read only (by any number of threads).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from itertools import accumulate, chain
from math import isqrt
from typing import Any, Iterable, Iterator

#: Items per chunk (a ``Sorted`` chunk splits in two past twice this).
CHUNK = 512
_SHIFT, _MASK = 9, 511
assert 1 << _SHIFT == CHUNK


class Work:
    """Items copied by edits, counted (what an edit costs besides its own changes: tests check it follows the
    change, not the size; a rough count, not locked)."""
    copied = 0

    @classmethod
    def copy(cls, items: Iterable[Any]) -> list:
        out = list(items)
        cls.copied += len(out)
        return out


class _Owned:
    """The chunks an edit has copied (by identity: kept referenced, so no other list takes their id)."""
    __slots__ = ("lists",)

    def __init__(self) -> None:
        self.lists: dict[int, list] = {}

    def own(self, chunk: list) -> list:
        self.lists[id(chunk)] = chunk
        return chunk

    def __contains__(self, chunk: list) -> bool:
        return id(chunk) in self.lists


def _editing(own: _Owned | None) -> _Owned:
    if own is None:
        raise TypeError("read only: edit() a copy")
    return own


class Vec:
    """A list indexed by position, in chunks copied per edit."""
    __slots__ = ("chunks", "n", "_own")

    def __init__(self, items: Iterable[Any] = ()) -> None:
        items = list(items)
        self.chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        self.n = len(items)
        self._own: _Owned | None = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if i < 0:
            raise IndexError(i)
        return self.chunks[i >> _SHIFT][i & _MASK]

    def __iter__(self) -> Iterator[Any]:
        return chain.from_iterable(self.chunks)

    def take(self, ids: Iterable[int]) -> list:
        """The items at positions ``ids`` (one call for many: read as fast as from a list)."""
        chunks, shift, mask = self.chunks, _SHIFT, _MASK
        return [chunks[i >> shift][i & mask] for i in ids]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (Vec, list)) and list(self) == list(other)

    def edit(self) -> "Vec":
        v = Vec.__new__(Vec)
        v.chunks, v.n, v._own = Work.copy(self.chunks), self.n, _Owned()
        return v

    def _chunk(self, c: int) -> list:
        own = _editing(self._own)
        ch = self.chunks[c]
        if ch not in own:
            ch = self.chunks[c] = own.own(Work.copy(ch))
        return ch

    def __setitem__(self, i: int, value: Any) -> None:
        if not 0 <= i < self.n:
            raise IndexError(i)
        self._chunk(i >> _SHIFT)[i & _MASK] = value

    def append(self, value: Any) -> None:
        if not self.n & _MASK:
            self.chunks.append(_editing(self._own).own([]))
        self._chunk(self.n >> _SHIFT).append(value)
        self.n += 1

    def done(self) -> "Vec":
        self._own = None
        return self


class Sorted(Sequence):
    """A sorted list of distinct items, in chunks copied per edit; ``bisect_left`` and slices by position."""
    __slots__ = ("chunks", "firsts", "starts", "n", "_own")

    def __init__(self, items: Iterable[Any] = ()) -> None:
        """``items`` already sorted, each once."""
        items = Work.copy(items)
        self.chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        self.firsts = [c[0] for c in self.chunks]
        self._own: _Owned | None = None
        self._count()

    def _count(self) -> None:
        self.starts = list(accumulate(map(len, self.chunks), initial=0))
        self.n = self.starts[-1]

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Any]:
        return chain.from_iterable(self.chunks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (Sorted, list)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Sorted({list(self)!r})"

    def bisect_left(self, x: Any) -> int:
        """Where ``x`` is, or would be inserted, in the whole list."""
        c = bisect_left(self.firsts, x) - 1
        return 0 if c < 0 else self.starts[c] + bisect_left(self.chunks[c], x)

    def __contains__(self, x: Any) -> bool:
        c = bisect_right(self.firsts, x) - 1
        if c < 0:
            return False
        ch = self.chunks[c]
        i = bisect_left(ch, x)
        return i < len(ch) and ch[i] == x

    def __getitem__(self, i):
        if isinstance(i, slice):
            lo, hi, step = i.indices(self.n)
            if step != 1:
                return list(self)[i]
            out: list = []
            c = bisect_right(self.starts, lo) - 1
            while lo < hi:
                s, ch = self.starts[c], self.chunks[c]
                out.extend(ch[lo - s:hi - s])
                lo, c = s + len(ch), c + 1
            return out
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        c = bisect_right(self.starts, i) - 1
        return self.chunks[c][i - self.starts[c]]

    def edit(self) -> "Sorted":
        s = Sorted.__new__(Sorted)
        s.chunks, s.firsts, s.starts, s.n, s._own = Work.copy(self.chunks), Work.copy(self.firsts), self.starts, self.n, \
            _Owned()
        return s

    def _chunk(self, x: Any) -> tuple[int, list]:
        own = _editing(self._own)
        c = max(bisect_right(self.firsts, x) - 1, 0)
        ch = self.chunks[c]
        if ch not in own:
            ch = self.chunks[c] = own.own(Work.copy(ch))
        return c, ch

    def insert(self, x: Any) -> None:
        """Add ``x`` (not already held)."""
        if not self.chunks:
            self.chunks.append(_editing(self._own).own([x]))
            self.firsts.append(x)
        else:
            c, ch = self._chunk(x)
            insort(ch, x)
            self.firsts[c] = ch[0]
            if len(ch) > 2 * CHUNK:
                a, b = self._own.own(ch[:CHUNK]), self._own.own(ch[CHUNK:])
                self.chunks[c:c + 1], self.firsts[c:c + 1] = [a, b], [a[0], b[0]]
        self.n += 1

    def remove(self, x: Any) -> None:
        """Take ``x`` out (ValueError if not held)."""
        if x not in self:
            raise ValueError(f"{x!r} not held")
        c, ch = self._chunk(x)
        del ch[bisect_left(ch, x)]
        if ch:
            self.firsts[c] = ch[0]
        else:
            del self.chunks[c], self.firsts[c]
        self.n -= 1

    def done(self) -> "Sorted":
        self._own = None
        self._count()
        return self


_GONE = object()  # in an overlay: the key was deleted


def merge_at(n: int) -> int:
    """Overlay entries past which a ``Map`` of ``n`` base entries is merged into a new base: about 8 sqrt(n),
    so each edit copies at most that many overlay entries and a merge (n) comes once in as many changes."""
    return max(256, 8 * isqrt(n))


class Map:
    """A dict: a base never changed, and an overlay of the changes since (a deletion marked ``_GONE``)."""
    __slots__ = ("base", "over", "n")

    def __init__(self, base: dict | None = None) -> None:
        self.base = {} if base is None else base
        self.over: dict = {}
        self.n = len(self.base)

    def get(self, key: Any, default: Any = None) -> Any:
        over = self.over
        if over and key in over:
            v = over[key]
            return default if v is _GONE else v
        return self.base.get(key, default)

    def __getitem__(self, key: Any) -> Any:
        v = self.get(key, _GONE)
        if v is _GONE:
            raise KeyError(key)
        return v

    def __contains__(self, key: Any) -> bool:
        return self.get(key, _GONE) is not _GONE

    def __len__(self) -> int:
        return self.n

    def items(self) -> Iterator[tuple[Any, Any]]:
        over = self.over
        if not over:
            return iter(self.base.items())
        return chain(((k, v) for k, v in self.base.items() if k not in over),
                     ((k, v) for k, v in over.items() if v is not _GONE))

    def __iter__(self) -> Iterator[Any]:
        return (k for k, _ in self.items())

    keys = __iter__

    def values(self) -> Iterator[Any]:
        return (v for _, v in self.items())

    def plain(self) -> dict:
        """The whole map as one dict (the base itself when there is no overlay: not to be changed)."""
        if not self.over:
            return self.base
        d = dict(self.base)
        for k, v in self.over.items():
            if v is _GONE:
                d.pop(k, None)
            else:
                d[k] = v
        return d

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Map):
            other = other.plain()
        return isinstance(other, dict) and self.plain() == other

    def edit(self) -> "Map":
        m = Map.__new__(Map)
        m.base, m.over, m.n = self.base, dict(self.over), self.n
        Work.copied += len(m.over)
        return m

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self.n += 1
        self.over[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        if key in self.base:
            self.over[key] = _GONE
        else:
            del self.over[key]
        self.n -= 1

    def pop(self, key: Any, default: Any = None) -> Any:
        v = self.get(key, _GONE)
        if v is _GONE:
            return default
        del self[key]
        return v

    def done(self) -> "Map":
        """Read only from now on; the overlay merged into a new base if it has grown past ``merge_at``."""
        if len(self.over) > merge_at(len(self.base)):
            self.base, self.over = self.plain(), {}
            Work.copied += len(self.base)
        return self


__all__ = ["CHUNK", "Map", "Sorted", "Vec", "Work", "merge_at"]
