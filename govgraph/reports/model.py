"""The typed shape every report has: sections of tables whose cells are text, numbers, links or gaps.

Reports are built from the graph by one module each and rendered by ``render`` to CSV,
XLSX or HTML, so a report's content is decided once and every format shows the same.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Union

#: What a missing value is shown as, in every format.
NOT_RECORDED = "— not recorded —"


@dataclass(frozen=True)
class Link:
    """A value that names a resource in the graph: its label, and its IRI for the viewer to link."""
    text: str
    iri: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Gap:
    """A value the graph should hold but does not: shown explicitly, never as an empty cell."""
    text: str = NOT_RECORDED

    def __str__(self) -> str:
        return self.text


class Percent(float):
    """A share 0-1 shown as a percentage (XLSX keeps it a number formatted as %)."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


Scalar = Union[str, int, float, Percent, Link, Gap, None]
#: A cell is one scalar, or several (shown joined with "; ").
Cell = Union[Scalar, tuple[Scalar, ...]]


def cell_text(cell: Cell) -> str:
    """The plain text of a cell (several values joined with '; ', None as empty)."""
    if cell is None:
        return ""
    if isinstance(cell, tuple):
        return "; ".join(t for t in (cell_text(c) for c in cell) if t)
    if isinstance(cell, Percent):
        return str(cell)
    if isinstance(cell, float):
        return f"{cell:.3f}".rstrip("0").rstrip(".") if cell != int(cell) else f"{cell:.1f}"
    return str(cell)


def is_gap(cell: Cell) -> bool:
    """Whether a cell is (or contains) a gap."""
    if isinstance(cell, tuple):
        return any(is_gap(c) for c in cell)
    return isinstance(cell, Gap)


def cell_parts(cell: Cell) -> tuple[Scalar, ...]:
    """A cell as a tuple of scalars (for templates that link each part)."""
    if cell is None:
        return ()
    return cell if isinstance(cell, tuple) else (cell,)


@dataclass
class Table:
    """One table of a report: a heading, column names, rows of cells and notes under it."""
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    #: Write gaps as empty cells in CSV (for layouts other tools re-import, e.g. the IAR).
    blank_gaps_in_csv: bool = False

    def __post_init__(self) -> None:
        for i, r in enumerate(self.rows):
            if len(r) != len(self.columns):
                raise ValueError(f"{self.title}: row {i} has {len(r)} cells for {len(self.columns)} columns")

    def column(self, name: str) -> list[Cell]:
        """Every row's cell in the column called ``name``."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def text_rows(self) -> list[list[str]]:
        """The rows as plain text."""
        return [[cell_text(c) for c in r] for r in self.rows]

    def find(self, column: str, text: str) -> list[list[Cell]]:
        """Rows whose ``column`` cell's text equals ``text``."""
        i = self.columns.index(column)
        return [r for r in self.rows if cell_text(r[i]) == text]


@dataclass(frozen=True)
class Series:
    """One line of a chart: a name and (x label, value 0-1) points."""
    name: str
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Chart:
    """A line chart of shares (0-1) over dates, drawn as SVG by the report template."""
    title: str
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]


@dataclass
class Report:
    """A governance report: what it is, when it was made and for which date, its tables and notes."""
    name: str
    title: str
    generated: dt.date
    as_of: dt.date
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    chart: Chart | None = None

    def table(self, title: str) -> Table:
        """The table with this title (KeyError naming the titles there are)."""
        for t in self.tables:
            if t.title == title:
                return t
        raise KeyError(f"no table {title!r} in {self.name} (tables: {', '.join(t.title for t in self.tables)})")


def links(pairs: Iterable[tuple[str, str]]) -> tuple[Link, ...]:
    """(iri, label) pairs as Links sorted by label."""
    return tuple(sorted((Link(lab, iri) for iri, lab in pairs), key=lambda l: (l.text.lower(), l.iri)))
