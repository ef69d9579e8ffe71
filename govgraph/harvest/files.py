"""Harvest a shared drive: each spreadsheet (xlsx, xlsm, ods) and CSV file under a folder becomes a
document dataset held in a document store, kept as a spreadsheet (``gov:Spreadsheet``: off-system
data, principle 2), with its path, size, modification time and header columns as fields.

Headers and, with ``sample``, up to that many rows of values are tested for personal data
(``personal``); values are tested in memory and dropped, never stored. A spreadsheet holding
personal data outside any governed system is a principle 2 finding (``Harvest.warnings``).
Files that cannot be read (encrypted, corrupt, not text) are listed in ``Harvest.skipped``, and
so are Excel 97-2003 workbooks (.xls: govgraph has no reader for them among its dependencies).
OpenDocument spreadsheets are read with the standard library (``ods``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from govgraph.errors import BadInput
from govgraph.harvest import ods, personal
from govgraph.harvest.model import Dataset, Field, Harvest

Progress = Callable[[int, int, str], None]
SPREADSHEETS = {".xlsx", ".xlsm"}
TEXT = {".csv"}
OPENDOCUMENT = {".ods"}
UNREAD = {".xls": "Excel 97-2003 workbook: no .xls reader in govgraph's dependencies (save it as .xlsx)"}
#: the first bytes of an OLE compound file: what Office writes for a workbook encrypted with a password
OLE = bytes.fromhex("d0cf11e0a1b11ae1")
#: the OpenLineage namespace of local files (spec/Naming.md: ``file``, the name an absolute path)
NAMESPACE = "file"


class Unreadable(Exception):
    """A file that cannot be read as a spreadsheet or CSV."""


def _header_and_rows(rows: Iterable[tuple], sample: int) -> tuple[list[str], list[tuple]]:
    """The first non-empty row as the header, and up to ``sample`` rows after it."""
    it = iter(rows)
    for row in it:
        if any(c is not None and str(c).strip() for c in row):
            header = [str(c).strip() if c is not None else "" for c in row]
            while header and not header[-1]:
                header.pop()
            return header, list(islice(it, sample)) if sample else []
    return [], []


def _sheets(path: Path, sample: int) -> list[tuple[str, list[str], list[tuple]]]:
    """(sheet name, header, sampled rows) of each worksheet of a workbook."""
    with path.open("rb") as f:
        if f.read(8) == OLE:
            raise Unreadable("encrypted with a password (or an Excel 97-2003 workbook named .xlsx): not read")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise Unreadable(f"not readable as a workbook (encrypted or corrupt?): {type(e).__name__}: {e}") from None
    try:
        return [(ws.title, *_header_and_rows(ws.iter_rows(values_only=True), sample)) for ws in wb.worksheets]
    finally:
        wb.close()


def _ods(path: Path, sample: int) -> list[tuple[str, list[str], list[tuple]]]:
    try:
        found = ods.sheets(path, 1 + sample)
    except ods.NotOds as e:
        raise Unreadable(str(e)) from None
    return [(name, *_header_and_rows(rows, sample)) for name, rows in found]


def _csv(path: Path, sample: int) -> list[tuple[str, list[str], list[tuple]]]:
    raw = path.read_bytes()[:4_000_000]
    if b"\0" in raw[:4096]:
        raise Unreadable("not a text file (binary content)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        return [("", *_header_and_rows((tuple(r) for r in rows), sample))]
    except csv.Error as e:
        raise Unreadable(f"not readable as CSV: {e}") from None


def harvest_files(directory: str | Path, *, system: str, sample: int = 0, progress: Progress | None = None) -> Harvest:
    """Read every spreadsheet and CSV file under ``directory`` (recursively) into a Harvest."""
    root = Path(directory)
    if not root.is_dir():
        raise BadInput(f"{root}: not a folder")
    out = Harvest(system=system, origin=str(root.resolve()), kind="files", storage_form="Spreadsheet")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(("~$", ".")))
    for i, path in enumerate(paths):
        suffix = path.suffix.lower()
        rel = path.relative_to(root).as_posix()
        if suffix in UNREAD:
            out.skipped.append(f"{rel}: {UNREAD[suffix]}")
            continue
        if suffix not in SPREADSHEETS | TEXT | OPENDOCUMENT:
            continue
        if progress:
            progress(i, len(paths), rel)
        try:
            read = _sheets if suffix in SPREADSHEETS else _ods if suffix in OPENDOCUMENT else _csv
            sheets = read(path, sample)
        except (Unreadable, OSError) as e:
            out.skipped.append(f"{rel}: {e}")
            continue
        out.datasets.append(_dataset(path, rel, sheets))
    personal.suggest(out)
    for ds in out.datasets:
        if ds.looks_personal:
            out.warnings.append(f"principle 2: {ds.title} holds what looks like personal data "
                                f"({', '.join(f.name for f in ds.fields if f.looks_personal)}) in a spreadsheet "
                                "outside any governed system")
    return out


def _dataset(path: Path, rel: str, sheets: list[tuple[str, list[str], list[tuple]]]) -> Dataset:
    stat = path.stat()
    modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).replace(microsecond=0)
    absolute = os.path.abspath(path)
    ds = Dataset(key=(NAMESPACE, absolute), title=rel, kind="file", location=absolute, byte_size=stat.st_size,
                 modified=modified.isoformat().replace("+00:00", "Z"))
    named = len([s for s in sheets if s[1]]) > 1
    for sheet, header, rows in sheets:
        for j, col in enumerate(header):
            if not col:
                continue
            name = f"{sheet}: {col}" if named else col
            if ds.field_named(name):
                continue
            f = Field(name=name)
            # sampled values are tested here and dropped
            f.looks_personal.extend(e.replace(f"{col}:", f"{name}:", 1)
                                    for e in personal.value_evidence(col, (r[j] for r in rows if j < len(r))))
            ds.fields.append(f)
    return ds
