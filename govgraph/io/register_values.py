"""The cells of a register as councils fill them in: yes/no, classifications, dates, names close to known ones.

Every problem in a register is collected (row, column, value, what is allowed) and the file
is refused once, with all of them (``RegisterRefused``), so a council fixes its file in one
pass rather than one error at a time.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from govgraph.errors import BadInput
from govgraph.vocabulary import CLASSIFICATION_NAMES

YES = frozenset({"yes", "y", "true"})
NO = frozenset({"no", "n", "false"})
YES_NO_ALLOWED = "yes, no, y, n, true or false (any case), or blank for no"

#: The Government Security Classifications (from the ontology: ``govgraph.vocabulary``), for messages.
CLASSIFICATION_ALLOWED = ", ".join(list(CLASSIFICATION_NAMES.values())[:-1]) + " or " + list(CLASSIFICATION_NAMES.values())[-1]
DATE_ALLOWED = "a date such as 31/03/2027, 2027-03-31 or 31 March 2027 (or an Excel date)"

@dataclass(frozen=True)
class Problem:
    """One bad cell: where it is, what it holds, what is wrong and what is allowed."""
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = f" {self.value!r}" if self.value else ""
        return f"row {self.row}, column {self.column!r}:{shown} {self.message}"


class RegisterRefused(BadInput):
    """A register refused for one or more bad cells (all of them listed); nothing from it was loaded."""

    #: most problems written into the message (the rest are counted; ``problems`` has them all)
    SHOWN = 200

    def __init__(self, problems: list[Problem], *, file: str):
        self.problems = sorted(problems, key=lambda p: p.row)
        if len(self.problems) == 1:
            p = self.problems[0]
            shown = f"{p.value!r} " if p.value else ""
            super().__init__(f"column {p.column!r}: {shown}{p.message} (nothing was loaded)", file=file, line=p.row)
            return
        lines = [str(p) for p in self.problems[:self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN} more")
        super().__init__(f"{len(self.problems)} problems in the register (nothing was loaded):\n  "
                         + "\n  ".join(lines), file=file)

    def details(self) -> dict:
        return {"problems": [{"row": p.row, "column": p.column, "value": p.value, "message": p.message}
                             for p in self.problems]}


def yes_no(text: str) -> bool | None:
    """True for yes/y/true, False for no/n/false or blank (any case); None for anything else."""
    t = text.strip().lower()
    if t in YES:
        return True
    if t in NO or not t:
        return False
    return None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def _bigrams(key: str) -> set[str]:
    k = f" {key} "
    return {k[i:i + 2] for i in range(len(k) - 1)}


def _initials(name: str) -> str:
    return "".join(w[0] for w in _key(name).split() if w not in {"and", "of", "the", "for"})


class NameMatcher:
    """Names already known of one kind (people, units ...): exact matches, and the close ones for a typo."""

    def __init__(self, names):
        """``names``: the known names as written ("Helen Ashworth", "Human Resources")."""
        self._shown: dict[str, str] = {}             # key (lower case, punctuation as spaces) -> as written
        self._by_initials: dict[str, list[str]] = {}
        self._by_bigram: dict[str, list[str]] = {}   # so a name is compared only with names sharing half its pairs
        for n in names:
            k = _key(n)
            if k not in self._shown:
                self._shown[k] = n
                for g in _bigrams(k):
                    self._by_bigram.setdefault(g, []).append(k)
            self._by_initials.setdefault(_initials(n), []).append(n)
        self._close_cache: dict[str, list[str]] = {}

    def close(self, name: str) -> list[str]:
        """Known names this one is probably a slip for: same letters bar punctuation, a close spelling,
        or (for a short name in capitals, like "HR") the initials of a known name."""
        k = _key(name)
        got = self._close_cache.get(k)
        if got is None:
            grams = _bigrams(k)
            shared = Counter(x for g in grams for x in self._by_bigram.get(g, ()))
            candidates = [x for x, c in shared.items() if c * 2 >= len(grams)]
            keys = difflib.get_close_matches(k, candidates, n=3, cutoff=0.85) if k else []
            got = [self._shown[x] for x in keys]
            compact = re.sub(r"[^a-z0-9]", "", name.lower())
            if len(compact) <= 5 and name.strip().isupper():   # an abbreviation: "HR", "ASC"
                got += [n for n in self._by_initials.get(compact, []) if n not in got]
                got += [n for n in self._shown.values() if compact in _key(n).split() and n not in got][:3]
            self._close_cache[k] = got
        return got

    def some(self, n: int) -> list[str]:
        """Up to ``n`` of the known names, in order."""
        return sorted(self._shown.values())[:n]
