"""The sample estate: every defect in data/sample/DEFECTS.md is found with its principle and severity,
nothing else is found, and the fast engine gives exactly what plain pyshacl gives."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from govgraph.shapes.validate import reference_store, run, shapes_for
from govgraph.store import Store

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
DEFECTS = SAMPLE / "DEFECTS.md"
#: DEFECTS.md says its date-dependent defects hold for any check date in this range.
CHECK_DATES = [dt.date(2026, 1, 1), dt.date(2026, 11, 1)]


def documented() -> set[tuple[int, str, str]]:
    """(principle, severity, focus) for each row of the DEFECTS.md table."""
    rows = set()
    for line in DEFECTS.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].isdigit():
            rows.add((int(cells[0]), cells[2], re.sub(r"^<|>$", "", cells[3])))
    return rows


def _load(st: Store) -> Store:
    with st.begin("sample") as txn:
        for f in sorted(SAMPLE.glob("*.ttl")):
            txn.load(f, fmt="turtle")
        txn.commit()
    return st


@pytest.fixture(scope="module")
def sample_store(module_store):
    """The sample's Turtle on each backend (embedded, and a real `oxigraph serve`)."""
    return _load(module_store)


@pytest.fixture(scope="module")
def memory_sample(store_factory):
    """The sample's Turtle in memory, for the (slow, backend-independent) pyshacl comparison."""
    with store_factory("memory", None) as s:
        yield _load(s)


def test_defects_table_is_read():
    assert len(documented()) >= 30


@pytest.mark.parametrize("day", CHECK_DATES, ids=str)
def test_every_documented_defect_is_found_and_nothing_else(sample_store, day):
    report = run(sample_store, shapes_for(check_date=day))
    found = {(f.principle, f.severity, f.focus) for f in report.findings}
    expected = documented()
    missing = expected - found
    extra = found - expected
    assert not missing, f"documented defects not found: {sorted(missing)}"
    assert not extra, f"findings not documented in DEFECTS.md: {sorted(extra)}"


@pytest.mark.slow
def test_fast_engine_equals_pyshacl_on_the_sample(memory_sample):
    """Runs once: pyshacl reads a copy of the store, and the fast engine's findings on the remote
    backend are checked against the same documented set above."""
    shapes = shapes_for(check_date=dt.date(2026, 11, 1))
    fast = run(memory_sample, shapes, engine_name="fast")
    ref = reference_store(memory_sample, shapes)
    assert fast.keys() == {f.key() for f in ref}
    assert {f.key(): f.message for f in fast.findings} == {f.key(): f.message for f in ref}
