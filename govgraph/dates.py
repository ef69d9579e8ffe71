"""Dates in and out of govgraph: one parser per kind of text, every caller uses these.

- ``day_of``: the day of an ``xsd:date`` / ``xsd:dateTime`` literal as stored (its first ten
  characters), None when absent or unreadable. Read models (agreements, lineage, reports) use it.
- ``check_date``: a date a person typed for a check or report (YYYY-MM-DD only; today when
  absent; BadInput naming the value otherwise).
- ``register_date``: a date cell of a register written by people: UK day-first (31/03/2027,
  31.3.27), ISO, worded (31 March 2027) or an Excel serial; None when it is none of them.
- ``instant``: an ISO 8601 date-time (``Z`` allowed) as an aware datetime, UTC when no zone is
  written; None when unreadable.
"""
from __future__ import annotations

import datetime as dt
import re

from govgraph.errors import BadInput

#: Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); serials in this range are 1955-2173.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_RANGE = range(20000, 100000)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T][\d:.]*)?")
_UK_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
_WORD_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", re.I)


def day_of(value: object) -> dt.date | None:
    """The day of a stored date or date-time (a literal, its text, or a date); None when absent or unreadable.

    The first ten characters are read, so ``2027-03-31``, ``2027-03-31Z`` and
    ``2027-03-31T09:00:00+01:00`` are all 31 March 2027 (the SPARQL in the shapes compares
    ``SUBSTR(STR(?d), 1, 10)`` for the same reason)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if not _ISO_DAY.fullmatch(text[:10]):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:  # 2027-02-30
        return None


def check_date(text: str | dt.date | None, what: str = "check date") -> dt.date:
    """A date typed for a check or a report: YYYY-MM-DD (today when None); BadInput naming the value otherwise."""
    if text is None:
        return dt.date.today()
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    t = str(text).strip()
    if _ISO_DAY.fullmatch(t):
        try:
            return dt.date.fromisoformat(t)
        except ValueError as e:
            raise BadInput(f"malformed {what} {text!r}: {e}") from None
    raise BadInput(f"malformed {what} {text!r}: write it as YYYY-MM-DD, e.g. 2026-04-01")


def register_date(text: str) -> dt.date | None:
    """A UK (day first), ISO, worded ("31 March 2027") or Excel serial date; None if it is none of them."""
    t = text.strip()
    try:
        return dt.date.fromisoformat(t[:10]) if _ISO_DATE_TIME.fullmatch(t) else _other(t)
    except ValueError:
        return None


def _other(t: str) -> dt.date | None:
    m = _UK_DATE.fullmatch(t)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if year < 100:
            year += 2000 if year < 70 else 1900
        return dt.date(year, month, day)
    m = _WORD_DATE.fullmatch(t)
    if m:
        word = m.group(2).lower()
        month = next((n for name, n in _MONTHS.items() if len(word) >= 3 and name.startswith(word)), None)
        return dt.date(int(m.group(3)), month, int(m.group(1))) if month else None
    if re.fullmatch(r"\d+(?:\.0+)?", t) and int(float(t)) in _EXCEL_RANGE:
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(t)))
    return None


def instant(text: object) -> dt.datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset allowed) as an aware datetime; UTC when no zone is
    written; None when absent or unreadable."""
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)


def moment(text: str) -> dt.datetime | None:
    """An as-of moment typed by a person: a date (2026-03-31 or 20260331) means the end of that day,
    a date-time is taken as written; UTC when no zone is written; None when it is neither."""
    s = text.strip()
    try:
        when = dt.datetime.combine(dt.date.fromisoformat(s), dt.time.max)
    except ValueError:
        return instant(s)
    return when.replace(tzinfo=dt.timezone.utc)
