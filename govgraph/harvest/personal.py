"""Personal data suggestions: column names, and sampled values matching a known identifier.

A suggestion is evidence in words ("nhs_no: 98 of 100 sampled values are valid NHS numbers"),
never the values: sampled values are tested here and dropped. Identifiers with a check digit
(NHS number, UPN) are validated, not just matched by shape.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Iterable

#: a column-name pattern (matched against the lower-cased name) -> what it suggests
NAME_HINTS: list[tuple[re.Pattern, str]] = [(re.compile(p), what) for p, what in [
    (r"(^|_)nhs(_?(no|num|number|id))?($|_)", "an NHS number"),
    (r"(^|_)upn($|_)|unique_pupil", "a Unique Pupil Number"),
    (r"(^|_)uprn($|_)", "a UPRN (a property, often a person's home)"),
    (r"post_?code|(^|_)zip($|_)", "a postcode"),
    (r"(^|_)dob($|_)|birth", "a date of birth"),
    (r"e_?mail", "an email address"),
    (r"phone|mobile|(^|_)tel($|_)", "a phone number"),
    (r"(^|_)ni(_?(no|num|number))($|_)|(^|_)nino($|_)|national_insurance", "a National Insurance number"),
    (r"(^|_)(first|last|given|family|fore|sur|full|middle)_?names?($|_)|(^|_)surname($|_)", "a person's name"),
    (r"address|(^|_)street($|_)", "an address"),
    (r"gender|(^|_)sex($|_)|ethnic|religio|disab", "special category or protected characteristic data"),
]]


def name_hint(column: str) -> str | None:
    """What a column's name suggests it holds, or None."""
    name = re.sub(r"[^a-z0-9]+", "_", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", column).lower())
    for pattern, what in NAME_HINTS:
        if pattern.search(name):
            return what
    return None


# ----------------------------------------------------------------------------- value checks

def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def valid_nhs_number(value: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (weights 10 to 2)."""
    d = _digits(value)
    if len(d) != 10 or not d.isdigit():
        return False
    check = 11 - sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1))) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(d[9])


_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def valid_upn(value: str) -> bool:
    """A Unique Pupil Number: a check letter, 11 digits and a digit (or a letter for a temporary
    UPN); the check letter is the sum of the characters 2-13 weighted 2-13, modulo 23."""
    v = value.strip().upper()
    if not re.fullmatch(r"[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]", v):
        return False
    values = [int(c) if c.isdigit() else _UPN_LETTERS.index(c) for c in v[1:]]
    return _UPN_LETTERS[sum(x * w for x, w in zip(values, range(2, 14))) % 23] == v[0]


_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(\+44\s?|0)(\d[\s-]?){9,10}")
_NINO = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
_UPRN = re.compile(r"\d{1,12}")


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]) if len(str(value).strip()) == 10 else None
    except ValueError:
        return None


def plausible_birth_date(value) -> bool:
    d = _date(value)
    return d is not None and dt.date(1900, 1, 1) <= d <= dt.date.today()


#: (what, the test of one value, plural words for the evidence, whether the name must agree)
VALUE_CHECKS: list[tuple[str, Callable[[object], bool], str, bool]] = [
    ("an NHS number", lambda v: valid_nhs_number(str(v)), "valid NHS numbers", False),
    ("a Unique Pupil Number", lambda v: valid_upn(str(v)), "valid Unique Pupil Numbers", False),
    ("a postcode", lambda v: bool(_POSTCODE.fullmatch(str(v).strip().upper())), "UK postcodes", False),
    ("an email address", lambda v: bool(_EMAIL.fullmatch(str(v).strip())), "email addresses", False),
    ("a phone number", lambda v: bool(_PHONE.fullmatch(str(v).strip())), "UK phone numbers", False),
    ("a National Insurance number", lambda v: bool(_NINO.fullmatch(str(v).strip().upper())),
     "National Insurance numbers", False),
    # any integer has a UPRN's shape, and any date a birth date's: these need the column's name to agree
    ("a UPRN (a property, often a person's home)", lambda v: bool(_UPRN.fullmatch(str(v).strip())), "UPRN-shaped numbers", True),
    ("a date of birth", plausible_birth_date, "plausible dates of birth", True),
]

#: the share of non-empty sampled values that must match for a suggestion
THRESHOLD = 0.5


def value_evidence(column: str, values: Iterable[object]) -> list[str]:
    """Evidence sentences for the checks most of a column's sampled ``values`` pass (the values
    themselves are not kept). Empty values are not counted."""
    sample = [v for v in values if v is not None and str(v).strip() != ""]
    if not sample:
        return []
    hint = name_hint(column)
    out = []
    for what, test, words, needs_name in VALUE_CHECKS:
        if needs_name and hint != what:
            continue
        hits = sum(1 for v in sample if test(v))
        if hits and hits >= THRESHOLD * len(sample):
            out.append(f"{column}: {hits} of {len(sample)} sampled values are {words}")
    return out


def name_evidence(column: str) -> str | None:
    """The evidence a column's name gives, in words, or None."""
    what = name_hint(column)
    return f"{column}: the column name suggests {what}" if what else None


def dataset_evidence(title: str, personal_fields: list[str]) -> str | None:
    """A dataset-level summary of its fields' suggestions."""
    if not personal_fields:
        return None
    n = len(personal_fields)
    shown = ", ".join(personal_fields[:8]) + (f" and {n - 8} more" if n > 8 else "")
    return f"{title}: {n} field{'s' if n != 1 else ''} look{'s' if n == 1 else ''} personal ({shown})"


def suggest(h) -> None:
    """Name-based suggestions for every field of a ``model.Harvest`` not already suggested from its
    values, and each dataset's summary of its fields'."""
    for ds in h.datasets:
        for f in ds.fields:
            by_name = name_evidence(f.name)
            if by_name and not f.looks_personal:
                f.looks_personal.append(by_name)
        summary = dataset_evidence(ds.title, [f.name for f in ds.fields if f.looks_personal])
        if summary:
            ds.looks_personal = [summary]
