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
    required = [col[h] for h in HEADER if h in REQUIRED]
    personal_required = [col[h] for h in HEADER if h in PERSONAL_REQUIRED]
    name_i, personal_i, special_i = col["Asset name"], col["Personal data"], col["Special category"]
    rows: list[list[Cell]] = []
    gaps = personal = special = 0
    for iri, values in read_rows(store):
        row: list[Cell] = list(values)
        for i in required:
            if not row[i]:
                row[i] = Gap()
                gaps += 1
        if row[personal_i] == "Y":
            personal += 1
            for i in personal_required:
                if not row[i]:
                    row[i] = Gap()
                    gaps += 1
        special += row[special_i] == "Y"
        name = values[name_i]
        row[name_i] = Link(name, iri) if name else Gap()
        rows.append(row)
    summary = [("Information assets", f"{len(rows):,}"), ("Holding personal data", f"{personal:,}"),
               ("Special category", f"{special:,}"), ("Missing required values", f"{gaps:,}")]
    notes = ["Columns as in the council's Information Asset Register; the CSV equals `govgraph export --format iar` "
             "and re-imports with `govgraph load`.",
             "Required values that are missing are shown as gaps (left empty in the CSV). Lawful basis is "
             "required for assets holding personal data."]
    table = Table("Information Asset Register", list(HEADER), rows, blank_gaps_in_csv=True)
    return Report("iar", "Information Asset Register", dt.date.today(), on, [table], notes, summary)

