"""The typo index of search: every indexed word under each way of deleting up to 2 of its letters.

A query word's own deletions then find the indexed words within 1 or 2 typos of it without a scan
of the vocabulary (``govgraph.search``: "Mosiac" finds Mosaic); each candidate is checked by edit distance.
"""
from __future__ import annotations

import threading


class Deletes:
    """The typo index: every indexed word of letters (3 or more) under itself and each way of deleting up
    to 2 of its letters. Shared by the states of one index and only ever grown: a word no longer
    indexed stays in it and finds no posting (``search._candidates`` checks every candidate)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table: dict[str, list[str]] | None = None
        self.words: set[str] = set()

    def __getstate__(self) -> dict:
        return {}  # kept on disk without its table: made again when first needed (govgraph.kept_state)

    def __setstate__(self, _state: dict) -> None:
        self.__init__()

    def get(self, vocabulary: list[str]) -> dict[str, list[str]]:
        with self.lock:
            if self.table is None:
                self.table = {}
                self._add(vocabulary)
            return self.table

    def grow(self, words) -> None:
        """Add new words (once the table is made; before that they come with it)."""
        with self.lock:
            if self.table is not None:
                self._add(words)

    def _add(self, words) -> None:
        d = self.table
        for tok in words:
            if len(tok) >= 3 and tok.isalpha() and tok not in self.words:
                self.words.add(tok)
                for k in deletions(tok, 2):
                    d.setdefault(k, []).append(tok)


def deletions(word: str, depth: int) -> set[str]:
    out, layer = {word}, {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1:] for w in layer for i in range(len(w))}
        out |= layer
    return out


__all__ = ["Deletes", "deletions"]
