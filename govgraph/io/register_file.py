"""A register as a council keeps it: a CSV (any of the usual delimiters) or an XLSX workbook, read as rows of text.

CSV: UTF-8 with or without a byte-order mark; Windows, Unix or old Mac line endings; the
delimiter (comma, semicolon or tab) is the one the header line uses most, outside quotes.
XLSX: the first sheet, or the one named; dates become ISO text (2027-03-31), booleans
"yes"/"no", whole numbers lose their ".0". Rows are numbered as a spreadsheet numbers
them (the header is row 1), so a message's row is the row the council sees.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from govgraph.errors import BadInput

#: Delimiters a register may use, in the order a tie is settled.
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """A register's header and its rows (row number as a spreadsheet shows it, cells as text)."""
    header: list[str]
    rows: list[tuple[int, list[str]]]
    notes: list[str] = field(default_factory=list)  # how the file was read (delimiter, sheet)


def read_table(path: str | Path | None = None, *, text: str | None = None, data: bytes | None = None,
               sheet: str | None = None, label: str | None = None) -> Table:
    """The register in ``path`` (or ``text``, or ``data`` bytes) as a Table; BadInput names the file."""
    label = label or (str(path) if path is not None else "<iar>")
    if text is None:
        if data is None:
            try:
                data = Path(path).read_bytes()  # type: ignore[arg-type]
            except OSError as e:
                raise BadInput(f"cannot read: {e.strerror or e}", file=label) from None
        if data.startswith(_ZIP_MAGIC):
            return _read_xlsx(data, label, sheet)
        if sheet is not None:
            raise BadInput(f"--sheet {sheet!r} given, but this is a CSV file, not an XLSX workbook", file=label)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise BadInput(f"not UTF-8 text (byte {e.start}): save the CSV as UTF-8 "
                           "(in Excel: Save As, 'CSV UTF-8')", file=label) from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    return _read_csv(text, label)


def sniff_delimiter(first_line: str) -> str:
    """The delimiter a CSV header line uses most (outside quoted text); comma when it uses none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            return text[:i]
    return text


def _read_csv(text: str, label: str) -> Table:
    if not text.strip():
        raise BadInput("the file is empty", file=label)
    delimiter = sniff_delimiter(_first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        for row in reader:
            if header is None:
                header = row
                continue
            # reader.line_num is the physical line the row ended on; rows are counted as a spreadsheet does
            rows.append((len(rows) + 2, row))
    except csv.Error as e:
        raise BadInput(f"not a readable CSV: {e}", file=label, line=len(rows) + 2) from None
    notes = [] if delimiter == "," else [f"read as {_DELIMITER_NAMES[delimiter]}-separated"]
    return Table(header or [], rows, notes)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(data: bytes, label: str, sheet: str | None) -> Table:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise BadInput(f"not a readable XLSX workbook: {e}", file=label) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise BadInput(f"no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})", file=label)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if header is None:
                if not cells:
                    continue  # blank rows above the header
                header, header_row = cells, n
                continue
            rows.append((n, cells))
    finally:
        book.close()
    if header is None:
        raise BadInput(f"the sheet {ws.title!r} is empty", file=label)
    notes = [f"read sheet {ws.title!r}"] + ([f"header on row {header_row}"] if header_row != 1 else [])
    return Table(header, rows, notes)
