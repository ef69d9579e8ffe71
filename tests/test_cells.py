"""Every CSV and XLSX file govgraph writes is safe in a spreadsheet (issue 21, finding 5).

The sample estate is loaded (a real load) with hostile text in its labels, titles,
descriptions and IAR cells: formula starters, bare CRs and CRLFs followed by formulas,
tabs and other control characters (NUL, which the loaders refuse, is written straight
into the store as data recorded before that check). Then the IAR export (CLI) and every
report (the viewer's CSV and XLSX downloads) are produced through their real code paths
and read back as a spreadsheet would: CSV rows split at LF, CRLF and a bare CR outside
quotes, and with Python's csv module; XLSX with openpyxl.
"""
from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from govgraph.cli import main
from govgraph.io.cells import FORMULA_START, CellWriter, read_cell, safe_cell
from govgraph.io.load import RegisterOptions, load_files
from govgraph.reports import REPORTS, build_report
from govgraph.store import open_store
from govgraph.webapp import create_app

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
DAY = "2026-11-01"
#: What a spreadsheet reads as a formula at the start of a cell (OWASP: also TAB and CR).
STARTERS = FORMULA_START | {"\t", "\r"}
TEXT_PREDICATES = {
    "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title",
    "http://purl.org/dc/terms/description", "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#definition", "http://xmlns.com/foaf/0.1/name",
    "https://w3id.org/govgraph#jobTitle", "https://w3id.org/govgraph#retentionPeriod",
    "https://w3id.org/govgraph#vendor", "https://w3id.org/govgraph#hosting",
    "https://w3id.org/govgraph#transformation",
}
_PATTERNS = [
    '=HYPERLINK("http://evil.example","x")\r=cmd|\' /C calc\'!A0\r\n+{v}',
    "{v}\r=2+3",
    "@SUM(1+1)\r-{v}\n\t=1",
    "\t=1+1\r{v}",
    "{v}\r\n-1\x0b\x1f,\"q\"",
    "-{v}\n@x\r@y",
    "'=already quoted {v}",
    "\uff1dA1\r{v}",
]


def hostile(value: str, i: int) -> str:
    """``value`` wrapped in one of the hostile patterns (the original stays in, so names stay distinct)."""
    return _PATTERNS[i % len(_PATTERNS)].format(v=value)


def _hostile_sample(folder: Path) -> list[Path]:
    """The sample's files, rewritten with hostile text; returns the Turtle files and the IAR CSV."""
    out = []
    i = 0
    for f in sorted(SAMPLE.glob("*.ttl")):
        triples = []
        for t in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE):
            o = t.object
            if t.predicate.value in TEXT_PREDICATES and isinstance(o, ox.Literal) and not o.value[:1].isdigit():
                o = ox.Literal(hostile(o.value, i), language=o.language) if o.language else ox.Literal(hostile(o.value, i))
                i += 1
            triples.append(ox.Triple(t.subject, t.predicate, o))
        path = folder / f.name
        with open(path, "wb") as fh:
            ox.serialize(triples, fh, ox.RdfFormat.TURTLE)
        out.append(path)
    rows = list(csv.reader(io.StringIO((SAMPLE / "iar.csv").read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    cols = [header.index(c) for c in ("Asset name", "Description", "Retention")]
    for r in rows[1:]:
        for c in cols:
            if c < len(r) and r[c]:
                r[c] = hostile(r[c], i)
                i += 1
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    (folder / "iar.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")
    return out + [folder / "iar.csv"]


@pytest.fixture(scope="module")
def hostile_store(store_factory, tmp_path_factory):
    """The hostile sample in an embedded store: its URL (closed: the CLI tests open it themselves) and folder."""
    folder = tmp_path_factory.mktemp("hostile")
    files = _hostile_sample(folder)
    with store_factory("embedded", folder) as store:
        load_files(store, [f for f in files if f.suffix == ".ttl"], source="sample/estate", replace=True, force=True)
        # the store's names were made hostile, so the register's plain names are near-misses of them: new names
        load_files(store, [files[-1]], source="sample/iar.csv", replace=True, force=True,
                   register=RegisterOptions(new_names=True))
        # data recorded before the loaders refused NUL and bidi controls: straight into the store
        rows = store.select("SELECT ?d ?t WHERE { ?d a gov:InformationAsset ; dcterms:title ?t } ORDER BY ?d LIMIT 40")
        assert len(rows) == 40
        with store.begin("legacy/nul", who="test") as txn:
            txn.add([(r["d"], DCTERMS.title, Literal(f"x\x00=1+1\u202e\r=evil() {n}"))
                     for n, r in enumerate(rows)])
            txn.add([(r["d"], DCTERMS.description, Literal(f"\x00=NUL first {n}\r@x"))
                     for n, r in enumerate(rows[:5])])
            txn.commit(forced=True)
    return store.url, folder


@pytest.fixture
def opened(hostile_store):
    """The hostile store, open (the CLI tests open it themselves)."""
    store = open_store(hostile_store[0])
    yield store
    store.close()


# ----------------------------------------------------------------------------- reading back

def spreadsheet_rows(text: str) -> list[list[str]]:
    """CSV rows as a lenient spreadsheet reads them: a row ends at LF, CRLF or a bare CR outside quotes."""
    rows, row, cell, i, quoted = [], [], [], 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"':
                if text[i + 1:i + 2] == '"':
                    cell.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                cell.append(ch)
        elif ch == '"' and not cell:
            quoted = True
        elif ch == ",":
            row.append("".join(cell))
            cell = []
        elif ch in "\r\n":
            blank = not row and not cell and text[i - 1:i] != '"'
            if ch == "\r" and text[i + 1:i + 2] == "\n":
                i += 1
            rows.append([] if blank else row + ["".join(cell)])  # an empty line is an empty row
            row, cell = [], []
        else:
            cell.append(ch)
        i += 1
    assert not quoted, "a quoted cell is never closed"
    if cell or row:
        row.append("".join(cell))
        rows.append(row)
    return rows


def assert_safe_text(cell: str, where: str) -> None:
    """No line of the cell starts a formula; no control character but LF; a number may start with '-'."""
    assert "\r" not in cell and not any(ord(c) < 32 and c != "\n" for c in cell), f"{where}: {cell!r}"
    for line in cell.split("\n"):
        if line[:1] in STARTERS:
            try:
                float(line)
            except ValueError:
                raise AssertionError(f"{where}: a line starts a formula: {cell!r}") from None


def check_csv(text: str, expected_rows: int, name: str) -> int:
    """The CSV read both ways gives the same rows, as many as written, every cell safe; returns neutralised cells."""
    lenient = spreadsheet_rows(text)
    strict = list(csv.reader(io.StringIO(text, newline="")))
    assert lenient == strict, f"{name}: a row break inside a cell"
    assert len(strict) == expected_rows, f"{name}: {len(strict)} rows read, {expected_rows} written"
    neutralised = 0
    for r, row in enumerate(strict):
        for c, cell in enumerate(row):
            assert_safe_text(cell, f"{name} row {r + 1} column {c + 1}")
            neutralised += any(line[:1] == "'" and line[1:2] in FORMULA_START for line in cell.split("\n"))
    return neutralised


def check_xlsx(data: bytes, report, name: str) -> int:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    neutralised = 0
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{name}/{sheet.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str):
                    assert_safe_text(c.value, f"{name}/{sheet.title}!{c.coordinate}")
                    neutralised += any(line[:1] == "'" and line[1:2] in FORMULA_START for line in c.value.split("\n"))
    for t, sheet in zip(report.tables, wb.worksheets[1:]):
        assert sheet.max_row == 1 + len(t.rows) + (1 + len(t.notes) if t.notes else 0), f"{name}/{sheet.title}"
    return neutralised


def csv_rows_written(report) -> int:
    many = len(report.tables) > 1
    return sum(len(t.rows) + 1 + (2 if many else 0) for t in report.tables) - (1 if many else 0)


# ----------------------------------------------------------------------------- the files

def test_iar_export_is_safe_and_loads_back(hostile_store, tmp_path):
    url, folder = hostile_store
    out = tmp_path / "iar.csv"
    r = CliRunner().invoke(main, ["export", "--store", url, "--format", "iar", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    with contextlib.closing(open_store(url)) as store:
        n = store.select("SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a gov:InformationAsset }")[0]["n"]
    assert check_csv(text, int(n.value) + 1, "iar export") > 100
    # the neutralised cells read back to what was loaded (the legacy NUL and CR aside)
    rows = {r[0]: r for r in csv.reader(io.StringIO(text, newline=""))}
    loaded = {r[0]: r for r in csv.reader(io.StringIO((folder / "iar.csv").read_text(encoding="utf-8"), newline=""))}
    some = [k for k in loaded if k in rows and k != "Asset ID" and "NUL first" not in rows[k][2]][:20]
    assert len(some) == 20
    for k in some:
        # (the sample's Turtle may describe the asset too: the register joins the descriptions with '; ')
        assert spreadsheet_text(read_cell(loaded[k][2].strip())) in read_cell(rows[k][2]).split("; ")


def spreadsheet_text(text: str) -> str:
    """What a cell holds once safe: LF line breaks, other control characters as spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(" " if ord(c) < 32 and c != "\n" else c for c in text)


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_download_is_safe(opened, name):
    store = opened
    app = create_app({"STORE": store})
    c = app.test_client()
    report = build_report(store, name, DAY)
    r = c.get(f"/reports/{name}.csv?date={DAY}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    n_csv = check_csv(r.get_data(as_text=True), csv_rows_written(report), f"{name}.csv")
    r = c.get(f"/reports/{name}.xlsx?date={DAY}")
    assert r.status_code == 200
    n_xlsx = check_xlsx(r.data, report, f"{name}.xlsx")
    if name != "scorecard":  # the scorecard shows principles and shares only, no text from the store
        assert n_csv > 0 and n_xlsx > 0, f"{name}: no hostile text reached the report"


def test_cli_report_files_are_safe(hostile_store, tmp_path):
    url, _ = hostile_store
    with contextlib.closing(open_store(url)) as store:
        report = build_report(store, "ropa", DAY)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"ropa.{fmt}"
        r = CliRunner().invoke(main, ["report", "ropa", "--store", url, "--date", DAY, "-o", str(out)])
        assert r.exit_code == 0, r.output
        if fmt == "csv":
            assert check_csv(out.read_text(encoding="utf-8"), csv_rows_written(report), "ropa.csv") > 0
        else:
            assert check_xlsx(out.read_bytes(), report, "ropa.xlsx") > 0


# ----------------------------------------------------------------------------- the definition

@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=st.sampled_from(list("=+-@'\t\r\n\x00\x0b\x85\u2028\uff1d ,\"ab1"))),
                          st.text(), st.integers(), st.none()), min_size=1, max_size=6))
def test_any_row_reads_back_as_one_safe_row(cells):
    buf = io.StringIO()
    CellWriter(buf).writerow(cells)
    text = buf.getvalue()
    assert check_csv(text, 1, "row") >= 0
    got = list(csv.reader(io.StringIO(text, newline="")))[0]
    want = [safe_cell(c) for c in cells]
    assert got == want
    for g, c in zip(got, cells):
        if isinstance(c, str) and not any(ord(ch) < 32 and ch != "\n" or 0x7f <= ord(ch) <= 0x9f or ch in "\u2028\u2029"
                                          for ch in c):
            assert read_cell(g) == c  # text without control characters comes back exactly
