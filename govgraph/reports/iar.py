"""The Information Asset Register in the council column layout of ``govgraph.io.iar``.

Same columns (``HEADER``), cell formats (``format_lawful_basis``, ``CLASSIFICATION_NAMES``)
and row order as ``write_iar``, so the report's CSV equals ``govgraph export --format iar``
and re-imports with ``govgraph load``. It is read differently, for speed on large estates:
one GROUP BY per property (value -> assets), which Oxigraph answers with index scans and
no per-asset joins, instead of one query joining every property of every asset. In HTML
and XLSX, required columns left empty are shown as gaps.
"""
from __future__ import annotations

import datetime as dt

from govgraph.io.iar import HEADER, read_rows
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.store import Store

#: Columns every asset must fill (personal-data ones only when it holds personal data).
REQUIRED = {"Description", "Owner", "Service area", "System", "Retention", "Classification"}
PERSONAL_REQUIRED = {"Lawful basis"}

def build(store: Store, on: dt.date) -> Report:
    """Every information asset as one register row; missing required values shown as gaps."""
    col = {h: i for i, h in enumerate(HEADER)}
    rows: list[list[Cell]] = []
    gaps = 0
    for iri, values in read_rows(store):
        personal = values[col["Personal data"]] == "Y"
        row: list[Cell] = []
        for h, v in zip(HEADER, values):
            if not v and (h in REQUIRED or (personal and h in PERSONAL_REQUIRED)):
                row.append(Gap())
                gaps += 1
            else:
                row.append(v)
        name = values[col["Asset name"]]
        row[col["Asset name"]] = Link(name, iri) if name else Gap()
        rows.append(row)
    count = lambda c: sum(1 for r in rows if r[col[c]] == "Y")  # noqa: E731
    summary = [("Information assets", f"{len(rows):,}"), ("Holding personal data", f"{count('Personal data'):,}"),
               ("Special category", f"{count('Special category'):,}"), ("Missing required values", f"{gaps:,}")]
    notes = ["Columns as in the council's Information Asset Register; the CSV equals `govgraph export --format iar` "
             "and re-imports with `govgraph load`.",
             "Required values that are missing are shown as gaps (left empty in the CSV). Lawful basis is "
             "required for assets holding personal data."]
    table = Table("Information Asset Register", list(HEADER), rows, blank_gaps_in_csv=True)
    return Report("iar", "Information Asset Register", dt.date.today(), on, [table], notes, summary)

