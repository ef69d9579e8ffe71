"""The first rows of each sheet of an OpenDocument spreadsheet (.ods), read with the standard library.

An .ods file is a zip holding ``content.xml`` (OpenDocument 1.2, part 1, section 9: ``table:table``
of ``table:table-row`` of ``table:table-cell``). It is read as a stream (``iterparse``), keeping
only each sheet's first ``rows`` non-empty rows: a large sheet is scanned, not held. Repeated cells
and rows (``number-columns-repeated``, ``number-rows-repeated``; a sheet's trailing empty cells are
often "repeated 1024 times") are expanded up to a bound. No entity or external reference is resolved
(ElementTree does not, and expat refuses entity expansion beyond its amplification limit).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_SHEET, _ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
_CELLS = {f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"}
_P = f"{{{_TEXT}}}p"
#: at most this many columns are read from a row
MAX_COLUMNS = 1024


class NotOds(Exception):
    """Not a readable OpenDocument spreadsheet."""


def _value(cell) -> str:
    for attr in ("date-value", "value", "boolean-value", "time-value"):
        v = cell.get(f"{{{_OFFICE}}}{attr}")
        if v is not None:
            return v
    return "\n".join("".join(p.itertext()) for p in cell.iter(_P))


def sheets(path: Path, rows: int) -> list[tuple[str, list[tuple]]]:
    """(sheet name, its first ``rows`` non-empty rows) for each sheet of the spreadsheet at ``path``."""
    try:
        with zipfile.ZipFile(path) as z:
            if b"encryption-data" in _member(z, "META-INF/manifest.xml"):
                raise NotOds("encrypted with a password")
            with z.open("content.xml") as content:
                return _read(content, rows)
    except (zipfile.BadZipFile, KeyError) as e:
        raise NotOds(f"not an OpenDocument spreadsheet ({e})") from None
    except ParseError as e:
        raise NotOds(f"its content.xml is not well-formed XML ({e})") from None
    except ValueError as e:  # a repeat count that is not a number
        raise NotOds(f"not a valid OpenDocument spreadsheet ({e})") from None


def _member(z: zipfile.ZipFile, name: str, limit: int = 1_000_000) -> bytes:
    try:
        with z.open(name) as f:
            return f.read(limit)
    except KeyError:
        return b""


def _read(content, rows: int) -> list[tuple[str, list[tuple]]]:
    out: list[tuple[str, list[tuple]]] = []
    kept: list[tuple] = []
    row: list[str] = []
    open_elements = []  # the elements being read, outermost first: a finished row or cell leaves its parent
    for event, el in iterparse(content, events=("start", "end")):
        if event == "start":
            open_elements.append(el)
            if el.tag == _SHEET:
                kept = []
            elif el.tag == _ROW:
                row = []
            continue
        open_elements.pop()
        if el.tag in _CELLS or el.tag == _ROW:
            _drop(el, open_elements)
        if el.tag in _CELLS:
            if len(row) < MAX_COLUMNS:
                repeat = int(el.get(f"{{{_TABLE}}}number-columns-repeated") or 1)
                row.extend([_value(el)] * min(repeat, MAX_COLUMNS - len(row)))
        elif el.tag == _ROW:
            while row and not row[-1].strip():
                row.pop()
            if row and len(kept) < rows:  # an empty row, repeated or not, is not kept
                kept.append(tuple(row))
        elif el.tag == _SHEET:
            out.append((el.get(f"{{{_TABLE}}}name") or f"Sheet{len(out) + 1}", kept))
            el.clear()
    return out


def _drop(el, open_elements: list) -> None:
    """Forget a finished row or cell once read (a large sheet is scanned, not held)."""
    if open_elements:
        open_elements[-1].remove(el)
