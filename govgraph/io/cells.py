"""Spreadsheet cells: the one definition of a CSV or XLSX cell that a spreadsheet shows and never runs.

Every CSV and XLSX file govgraph writes (the IAR export, every report) puts each cell
through ``safe_cell``; CSV files are written with ``CellWriter``, which does so itself.

A safe cell (CSV injection, OWASP):

* has no control characters: NUL and the other C0/C1 controls and DEL become a space
  (XLSX cannot hold them; some readers end a cell or the file at NUL), and so does TAB
  (a leading tab is a formula starter, and pasted or tab-separated text splits at it);
* ends lines with LF only: CR, CRLF, NEL and the Unicode line and paragraph separators
  become LF. Python's ``csv`` writer with ``lineterminator="\\n"`` quotes a field holding
  LF but not one holding a bare CR, which a spreadsheet reads as the start of a new row;
  with no CR left in any cell, every multi-line cell is quoted;
* never starts a line with a formula character (``= + - @``, and their full-width forms
  that some spreadsheets accept): such a line gets a leading apostrophe, the cell's first
  line and every line after a line break alike, so a reader that splits rows inside a
  quoted cell still finds no formula (a line that already starts with apostrophes and
  then a formula character gets one more, so ``read_cell`` gives back exactly what was written).

Numbers written as numbers (int, float) are not text a formula can hide in and pass as they are.
``read_cell`` undoes the apostrophes, so an exported IAR loads back to the same values.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable, TextIO

#: Characters that make a spreadsheet read a cell (or a line of one) as a formula.
FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_NEEDS_LOOK = FORMULA_START | {"'"}
#: Everything ``safe_cell`` must rewrite: control characters (LF aside: it is kept) and line separators.
_REWRITE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAK = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x84\x86-\x9f]")
_STARTERS = "[" + re.escape("".join(sorted(FORMULA_START))) + "]"
#: A line that starts with a formula character, after any apostrophes already there (so they survive a round trip).
_LINE_START = re.compile("(?:^|(?<=\n))(?='*" + _STARTERS + ")")
_QUOTED_LINE_START = re.compile("(?:^|(?<=\n))'(?='*" + _STARTERS + ")")


def safe_cell(value: Any) -> str:
    """The text of one CSV or XLSX cell: no control characters, LF line breaks, no line a formula."""
    if type(value) is str:
        s = value
        if s.isprintable() and s[:1] not in _NEEDS_LOOK:
            return s  # the common case: no control character or line break, no formula start
    elif value is None:
        return ""
    elif type(value) in (int, float):
        return str(value)
    else:
        s = str(value)
    if _REWRITE.search(s):
        s = _CONTROL.sub(" ", _LINE_BREAK.sub("\n", s))
    elif s[:1] not in _NEEDS_LOOK and "\n" not in s:
        return s  # the common case: one plain line
    return _LINE_START.sub("'", s)


def read_cell(text: str) -> str:
    """A cell's value as written before ``safe_cell`` neutralised it (the apostrophes taken off again)."""
    return _QUOTED_LINE_START.sub("", text) if "'" in text else text


class CellWriter:
    """A CSV writer (LF line ends, fields quoted where needed) whose every cell is a ``safe_cell``."""

    def __init__(self, out: TextIO):
        self._w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow([c if type(c) is str and c.isprintable() and c[:1] not in _NEEDS_LOOK else safe_cell(c)
                          for c in row])  # safe_cell's common case inline: most cells are plain text

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
