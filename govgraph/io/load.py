"""The one write path for files: parse into a hidden graph, validate, then commit or roll back.

Every importer (RDF files, IAR CSV) goes through ``load_files``, so every source gets
the same checks, the same all-or-nothing commit and the same change record.
"""
from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from govgraph.errors import BadInput
from govgraph.io.catalogued import Adopted, adopt
from govgraph.io.characters import check_graph, may_spell
from govgraph.io.formats import detect_format
from govgraph.io.iar import DEFAULT_BASE
from govgraph.io.iar_import import read_register
from govgraph.shapes.change import ChangeView, baseline_ops, staged, validate_change
from govgraph.store import ChangeRecord, Store, Transaction
from govgraph.store_graphs import whoami

#: progress(done_bytes, total_bytes, label) -- called while a file is read.
Progress = Callable[[int, int, str], None]


@dataclass
class LoadResult:
    """What one committed source load did."""
    source: str
    files: list[str]
    triples: int
    seconds: float
    record: ChangeRecord
    report: object | None = None  # the validation report, when validation ran
    warnings: list[str] = field(default_factory=list)
    #: what reading the files noted (an IAR's columns not loaded, new names created); also in ``warnings``
    read_warnings: list[str] = field(default_factory=list)
    #: discovered datasets this load catalogued (their lineage moved onto its datasets: ``govgraph.io.catalogued``)
    catalogued: list[Adopted] = field(default_factory=list)


@dataclass(frozen=True)
class RegisterOptions:
    """How an IAR file is read: which XLSX sheet, and whether names close to known ones are new."""
    sheet: str | None = None
    new_names: bool = False


class _CountingReader(io.RawIOBase):
    """A binary file wrapper that reports how many bytes the parser has read so far."""

    def __init__(self, f, total: int, label: str, progress: Progress):
        self._f, self._total, self._label, self._progress = f, total, label, progress
        self._done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        self._done += n or 0
        self._progress(self._done, self._total, self._label)
        return n


def source_name_for(path: str | Path) -> str:
    """The default source name for a file: its file name."""
    return Path(path).name


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BadInput("no such file", file=str(path))
    if path.is_dir():
        raise BadInput("is a directory, not a file", file=str(path))
    if path.stat().st_size == 0:
        raise BadInput("the file is empty", file=str(path))
    if not os.access(path, os.R_OK):
        raise BadInput("cannot read the file (permission denied)", file=str(path))


def read_into(txn: Transaction, store: Store, path: Path, fmt: str | None = None, *,
              base: str = DEFAULT_BASE, progress: Progress | None = None, register: RegisterOptions | None = None,
              warnings: list[str] | None = None) -> int:
    """Parse one file into an open transaction; returns the triples the file added. BadInput names
    the file when it is unreadable, empty, or holds NUL or a bidirectional control character.
    An IAR's warnings (columns not loaded, new names created) are added to ``warnings``."""
    _check_file(path)
    kind = detect_format(path, fmt)
    before = txn.count()
    if kind == "iar":
        opts = register or RegisterOptions()
        got = read_register(path, store=store, base=base, sheet=opts.sheet, new_names=opts.new_names)
        txn.add(got.triples)
        if warnings is not None:
            warnings.extend(got.warnings)
    elif progress is not None:
        total = path.stat().st_size
        with open(path, "rb") as raw:
            reader = io.BufferedReader(_CountingReader(raw, total, str(path), progress), 1 << 20)
            txn.load(data=None, fmt=kind, label=str(path), stream=reader)
    else:
        txn.load(path, fmt=kind, label=str(path))
    added = txn.count() - before
    if added == 0:
        raise BadInput("no triples found in the file", file=str(path))
    # no NUL or bidirectional controls (govgraph.io.characters): the byte scan passes most files; for the
    # others the parsed triples are searched (what the transaction held before this file is clean)
    if may_spell(path):
        check_graph(store, txn.graph, f"{path}:")
    return added


def load_files(store: Store, paths: Sequence[str | Path], *, source: str | None = None,
               replace: bool = False, fmt: str | None = None, base: str = DEFAULT_BASE,
               who: str | None = None, force: bool = False,
               progress: Progress | None = None, validate: bool = True,
               check_date: str | None = None, register: RegisterOptions | None = None,
               as_is: bool = False) -> list[LoadResult]:
    """Load files into the store: all into ``source`` if named, else one source per file.

    Each source is parsed, checked (no NUL or bidirectional controls: ``govgraph.io.characters``;
    then the shapes) and committed as one transaction; any error rolls it
    back and leaves the store exactly as it was (sources committed before stay). With
    ``validate`` (the default) each source is checked against the principle shapes with
    the data it references; a violation raises ValidationFailed unless ``force``, or ``as_is``:
    then the violations are committed as the source's baseline (``govgraph.shapes.baseline``).
    Discovered datasets the loaded sources catalogue under their own IRIs are then moved onto them
    (``govgraph.io.catalogued``), recorded on the last result.
    """
    results = _load_files(store, paths, source=source, replace=replace, fmt=fmt, base=base, who=who, force=force,
                          progress=progress, validate=validate, check_date=check_date, register=register,
                          as_is=as_is)
    if results:
        results[-1].catalogued = adopt(store, who=who or whoami())
    return results


def _load_files(store: Store, paths: Sequence[str | Path], *, source: str | None, replace: bool, fmt: str | None,
                base: str, who: str | None, force: bool, progress: Progress | None, validate: bool,
                check_date: str | None, register: RegisterOptions | None, as_is: bool) -> list[LoadResult]:
    if not paths:
        raise BadInput("no files given")
    groups: list[tuple[str, list[Path]]]
    if source:
        groups = [(source, [Path(p) for p in paths])]
    else:
        groups = [(source_name_for(p), [Path(p)]) for p in paths]
    for _, files in groups:
        for p in files:
            _check_file(p)
            detect_format(p, fmt)
    if validate and len(groups) > 1:
        return _load_batch(store, groups, replace=replace, fmt=fmt, base=base, who=who, force=force,
                           progress=progress, check_date=check_date, register=register, as_is=as_is)
    results = []
    for name, files in groups:
        t0 = time.perf_counter()
        with store.begin(name, replace=replace or False, who=who,
                         loaded_from=", ".join(str(f) for f in files)) as txn:
            read_warnings: list[str] = []
            for f in files:
                read_into(txn, store, f, fmt, base=base, progress=progress, register=register, warnings=read_warnings)
            size = txn.count()
            report = _validate([txn], force, check_date, as_is) if validate else None
            rec = txn.commit(forced=force, extra=baseline_ops(report))
        results.append(LoadResult(source=name, files=[str(f) for f in files], triples=size,
                                  seconds=time.perf_counter() - t0, record=rec, report=report,
                                  warnings=read_warnings + _warnings(report), read_warnings=read_warnings))
    return results


def _load_batch(store: Store, groups: list[tuple[str, list[Path]]], *, replace: bool, fmt: str | None, base: str,
                who: str | None, force: bool, progress: Progress | None, check_date: str | None,
                register: RegisterOptions | None = None, as_is: bool = False) -> list[LoadResult]:
    """Several sources read, then validated together (references between them resolve), then committed
    one after another. A refusal commits none of them; the batch's warnings are reported once, with its
    last source."""
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        txns, read = [], []
        for name, files in groups:
            txn = stack.enter_context(store.begin(name, replace=replace or False, who=who,
                                                  loaded_from=", ".join(str(f) for f in files)))
            read.append([])
            for f in files:
                read_into(txn, store, f, fmt, base=base, progress=progress, register=register, warnings=read[-1])
            txns.append(txn)
        sizes = [t.count() for t in txns]
        report = _validate(txns, force, check_date, as_is)
        per = (time.perf_counter() - t0) / len(txns)
        results = []
        for (name, files), txn, size, notes in zip(groups, txns, sizes, read):
            t1 = time.perf_counter()
            last = txn is txns[-1]
            rec = txn.commit(forced=force, extra=baseline_ops(report) if last else None)
            results.append(LoadResult(source=name, files=[str(f) for f in files], triples=size,
                                      seconds=per + time.perf_counter() - t1, record=rec,
                                      report=report if last else None, read_warnings=notes,
                                      warnings=notes + (_warnings(report) if last else [])))
    return results


def _validate(txns: list[Transaction], force: bool, check_date: str | None, as_is: bool = False):
    """The transactions of one load checked together, as the store would be after all commit
    (references between the files resolve, as ``govgraph validate`` of the same files would find)."""
    added, removed = staged(txns)
    return validate_change(ChangeView.of_transactions(txns), added, removed, force=force, as_is=as_is,
                           check_date=check_date, what="import rejected")


def _warnings(report) -> list[str]:
    return [f"{f.severity.lower()}: {f.focus}: {f.message}" for f in report.findings
            if f.severity != "Info"] if report is not None else []
