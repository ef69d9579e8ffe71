"""Derived estates: in-memory copies of a store built for one purpose (an as-of view of a past
state, a redacted copy for a reader), how each was made, and a small cache that builds each once.

A derived store is an ordinary ``Store`` whose ``derivation`` says what it is a copy of; the
SPARQL endpoint's workers use ``Derivation.key`` to name the copy they write to disk, and the
access layer reads history and validation from ``Derivation.origin``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Generic, Hashable, TypeVar

from govgraph.limits import Gate

V = TypeVar("V")


@dataclass(frozen=True)
class Derivation:
    """How a derived store was made.

    ``key`` names the copy (equal keys: the same contents); ``origin`` is the store a redacted
    copy was made from (history and validation are read there); ``redaction`` is what it hides.
    """

    key: tuple
    origin: Any = None
    redaction: Any = None


class KeptCopies(Generic[V]):
    """Values costly to build (each a whole estate copy), built once per key and kept for the
    ``kept`` keys most recently asked.

    ``build_lock`` is held while building: with one lock shared by several caches, one copy is
    built at a time, so a burst of requests for different keys queues instead of holding many
    copies in memory at once; requests for the same key wait for one build and share it.
    With a ``gate`` instead, builds are admitted by it (``govgraph.limits.Gate``): past its
    bound on running and waiting builds, or after ``get``'s ``wait``, the caller gets ``Busy``
    instead of queueing without end.
    """

    def __init__(self, kept: int, build_lock: threading.Lock | None = None, gate: Gate | None = None):
        if build_lock is not None and gate is not None:
            raise ValueError("builds are admitted by a lock or by a gate, not both")
        self.kept = kept
        self._items: "OrderedDict[Hashable, V]" = OrderedDict()
        self._lock = threading.Lock()
        self._build_lock = build_lock or threading.Lock()
        self.gate = gate

    def peek(self, key: Hashable) -> V | None:
        """The kept value for ``key`` (now the most recently asked), or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def get(self, key: Hashable, build: Callable[[], V], wait: float | None = None) -> V:
        """The value for ``key``, built by ``build()`` if it is not kept.

        With a gate, ``wait`` is the most seconds to wait for a place to build (None: no limit).
        """
        hit = self.peek(key)
        if hit is not None:
            return hit
        with self.gate.enter(wait) if self.gate is not None else self._build_lock:
            hit = self.peek(key)  # built by another request while this one waited
            if hit is not None:
                return hit
            value = build()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.kept:
                    self._items.popitem(last=False)
            return value

    def find(self, match: Callable[[Hashable], bool]) -> V | None:
        """The most recently asked value whose key ``match``es, left in place (None if none does)."""
        with self._lock:
            for key in reversed(self._items):
                if match(key):
                    return self._items[key]
            return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


__all__ = ["Derivation", "KeptCopies"]
