"""Write a Report as CSV, XLSX (openpyxl) or HTML (the viewer's report templates).

Every CSV and XLSX cell is a ``govgraph.io.cells.safe_cell`` (CSV injection: never a
formula, no control characters, no bare CR to start a row); HTML is autoescaped by Jinja. The HTML body is the same template the
viewer shows, wrapped in a standalone page so a file written by the CLI needs nothing else.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
from pathlib import Path
from typing import Any, Callable, TextIO

import jinja2

from govgraph.errors import BadInput
from govgraph.io.cells import CellWriter, safe_cell
from govgraph.reports.model import Chart, Gap, Link, Percent, Report, Table, cell_parts, cell_text

FORMATS = ("html", "csv", "xlsx")


# ----------------------------------------------------------------------------- CSV

def write_csv(report: Report, out: TextIO) -> None:
    """The report's tables as CSV: a single table plainly; several as titled blocks separated by a blank line."""
    w = CellWriter(out)  # every cell made safe for spreadsheets (govgraph.io.cells)
    many = len(report.tables) > 1
    for i, t in enumerate(report.tables):
        if many:
            if i:
                w.writerow([])
            w.writerow([t.title])
        w.writerow(t.columns)
        w.writerows([c if type(c) is str else _csv_text(c, t) for c in row] for row in t.rows)


def _csv_text(cell: Any, table: Table) -> str:
    if table.blank_gaps_in_csv and isinstance(cell, Gap):
        return ""
    return cell_text(cell)


def to_csv(report: Report) -> str:
    """The report as CSV text."""
    buf = io.StringIO()
    write_csv(report, buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- XLSX

def write_xlsx(report: Report, out: str | Path | io.BufferedIOBase) -> None:
    """The report as a workbook: a Summary sheet, then one sheet per table (bold frozen header, sized columns).

    Written in openpyxl's write-only mode: rows stream to the file instead of living as
    cell objects, so a 68,000-row register takes a fraction of the time and memory.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30
    title = WriteOnlyCell(ws, _xlsx_text(report.title))
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append(["Report date", report.as_of.isoformat()])
    ws.append(["Generated", report.generated.isoformat()])
    for k, v in report.summary:
        ws.append([_xlsx_text(k), _xlsx_text(v)])
    if report.notes:
        ws.append([])
        for n in report.notes:
            ws.append([_xlsx_text(n)])
    used: set[str] = {"Summary"}
    bold = Font(bold=True)
    for t in report.tables:
        sheet = wb.create_sheet(_sheet_name(t.title, used))
        widths = [len(c) for c in t.columns]
        rows = []
        for row in t.rows:   # values first: column widths must be set before the first row is written
            values = []
            for i, cell in enumerate(row):
                value, text = _xlsx_value(sheet, cell, WriteOnlyCell)
                values.append(value)
                if len(text) > widths[i]:
                    widths[i] = len(text)
            rows.append(values)
        for i, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 60)
        sheet.freeze_panes = "A2"
        header = []
        for c in t.columns:
            hc = WriteOnlyCell(sheet, _xlsx_text(c))
            hc.font = bold
            header.append(hc)
        sheet.append(header)
        for values in rows:
            sheet.append(values)
        if t.notes:
            sheet.append([])
            for n in t.notes:
                sheet.append([_xlsx_text(n)])
    wb.save(out)


def _xlsx_value(sheet: Any, cell: Any, make_cell: Callable) -> tuple[Any, str]:
    """One XLSX cell's value and its text (for the column width): numbers stay numbers (shares as %),
    links get a hyperlink, text is never a formula."""
    if type(cell) is str:
        return (_xlsx_text(cell) if cell else None), cell   # an empty cell is left out
    text = cell_text(cell)
    if isinstance(cell, Percent):
        xc = make_cell(sheet, float(cell))
        xc.number_format = "0.0%"
        return xc, text
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell, text
    value = _xlsx_text(text)
    if isinstance(cell, Link) and cell.iri.startswith(("http://", "https://")):
        xc = make_cell(sheet, value)
        xc.hyperlink = cell.iri
        return xc, text
    return value, text


def _xlsx_text(text: str) -> str:
    """Text for an XLSX cell: a ``safe_cell`` (no control characters, which XLSX cannot hold; never a formula)."""
    return safe_cell("" if text is None else str(text))


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def to_xlsx(report: Report) -> bytes:
    """The report as XLSX bytes."""
    buf = io.BytesIO()
    write_xlsx(report, buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- HTML

def cell_kind(value: Any) -> str:
    """'gap', 'link' or 'text': how the template shows one part of a cell."""
    if isinstance(value, Gap):
        return "gap"
    if isinstance(value, Link):
        return "link"
    return "text"


def chart_geometry(chart: Chart, width: int = 760, height: int = 300) -> dict:
    """Coordinates for drawing a share-over-time line chart as SVG (the template does the drawing)."""
    left, right, top, bottom = 48, 16, 16, 48
    xs = list(chart.x_labels)
    n = max(len(xs) - 1, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + (plot_w * i / n if len(xs) > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - max(0.0, min(1.0, v))), 1)
    palette = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#b58840", "#912b88", "#28a197",
               "#6f72af", "#85994b", "#f499be", "#505a5f"]
    index = {lab: i for i, lab in enumerate(xs)}
    series = []
    for k, s in enumerate(chart.series):
        pts = [(x(index[lab]), y(v)) for lab, v in s.points if lab in index]
        series.append({"name": s.name, "colour": palette[k % len(palette)],
                       "points": " ".join(f"{a},{b}" for a, b in pts), "dots": pts})
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bottom_y": top + plot_h, "ticks": [{"y": y(t / 100), "label": f"{t}%"} for t in range(0, 101, 25)],
            "x_ticks": [{"x": x(i), "label": lab} for i, lab in enumerate(xs)], "series": series}


def uk_date(v: Any) -> str:
    """A date as people in the UK write it ("4 December 2026"; a date-time adds the time); else the cell's text."""
    if isinstance(v, dt.datetime):
        return f"{v.day} {v:%B %Y, %H:%M}"
    if isinstance(v, dt.date):
        return f"{v.day} {v:%B %Y}"
    return cell_text(v)


def template_helpers() -> dict[str, Callable]:
    """The functions the report templates call (shared by the viewer and standalone pages)."""
    return {"cell_parts": cell_parts, "cell_kind": cell_kind, "cell_text": cell_text,
            "chart_geometry": chart_geometry, "uk_date": uk_date}


def _templates_dir() -> str:
    spec = importlib.util.find_spec("govgraph.webapp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("govgraph.webapp templates not found")
    return str(Path(list(spec.submodule_search_locations)[0]) / "templates")


_env: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(loader=jinja2.FileSystemLoader(_templates_dir()), autoescape=True,
                                  trim_blocks=True, lstrip_blocks=True)
        _env.globals.update(template_helpers())
    return _env


def to_html(report: Report) -> str:
    """A standalone HTML page for the report (links go to the resources' IRIs)."""
    return _environment().get_template("reports/standalone.html").render(
        report=report, link_url=lambda iri: iri, download_url=None)


# ----------------------------------------------------------------------------- dispatch

def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (html, csv or xlsx) as bytes."""
    if fmt == "csv":
        return to_csv(report).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report).encode("utf-8")
    raise BadInput(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
