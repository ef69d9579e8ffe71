"""One rule for "agreement in force" (govgraph.agreements), and its three users agreeing on it.

The users: the catalogue's agreement statuses (pages, reports), the lineage graph's boundary
hops, and the SHACL shape gsh:CrossBoundaryAgreementInForce (principle 3). Each is asked about
every agreement of the sample estate, plus agreements with a missing start, a missing end, both
missing, date-time values and an unreadable date, on days around each agreement's ends.
"""
from __future__ import annotations

import datetime as dt

import pytest

from govgraph import agreements
from govgraph.agreement_statuses import agreement_status, agreement_statuses
from govgraph.lineage.graph import build
from govgraph.shapes.loader import PREFIXES_FILE, SHAPES_DIR
from govgraph.shapes.validate import run, shapes_for

D = dt.date
EX = "https://example.org/agreements/"


# ----------------------------------------------------------------------------- the rule itself

@pytest.mark.parametrize("vf, vu, on, expected", [
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 6, 1), True),
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 1, 1), True),     # first day counts
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 12, 31), True),   # last day counts
    (D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 31), False),  # not yet
    (D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1), False),    # expired
    (None, D(2026, 12, 31), D(2026, 6, 1), False),             # missing start
    (D(2026, 1, 1), None, D(2026, 6, 1), False),               # missing end
    (None, None, D(2026, 6, 1), False),                        # both missing
    ("2026-01-01T09:00:00Z", "2026-12-31T17:00:00+01:00", D(2026, 12, 31), True),  # date-times count by day
    ("soon", "2026-12-31", D(2026, 6, 1), False),              # unreadable = not recorded
    ("2026-02-30", "2026-12-31", D(2026, 6, 1), False),
])
def test_in_force(vf, vu, on, expected):
    assert agreements.in_force(on, vf, vu) is expected
    assert (agreements.status(on, vf, vu) in agreements.IN_FORCE) is expected


@pytest.mark.parametrize("vf, vu, review, status", [
    (None, D(2026, 12, 31), None, "dates not recorded"),
    (D(2026, 1, 1), None, None, "dates not recorded"),
    (None, None, None, "dates not recorded"),
    (None, D(2025, 12, 31), None, "expired"),           # an end in the past says enough
    (D(2027, 1, 1), None, None, "not yet in force"),    # so does a start in the future
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 5, 1), "review overdue"),
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 7, 1), "review due"),
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 12, 1), "in force"),
])
def test_status(vf, vu, review, status):
    assert agreements.status(D(2026, 6, 1), vf, vu, review) == status
    assert agreement_status(D(2026, 6, 1), vf, vu, review) == status


# ----------------------------------------------------------------------------- the three users agree

#: agreements added to the sample's: (local name, validFrom literal or None, validUntil literal or None)
EDGE_CASES = [
    ("no-start", None, '"2029-12-31"^^xsd:date'),
    ("no-end", '"2024-01-01"^^xsd:date', None),
    ("no-dates", None, None),
    ("date-times", '"2026-03-01T09:00:00Z"^^xsd:dateTime', '"2026-09-30T17:30:00+01:00"^^xsd:dateTime'),
    ("unreadable", '"from April"', '"2029-12-31"^^xsd:date'),
    ("plain-text", '"2026-03-01"', '"2026-09-30"'),
]
PREFIXES = """@prefix gov: <https://w3id.org/govgraph#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dpv: <https://w3id.org/dpv#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _add_cases(store) -> dict[str, str]:
    """Add the edge-case agreements, and for every agreement a flow taking personal data to a partner
    covered by that agreement alone (so the shape speaks for it); flow IRI -> agreement IRI."""
    ttl = [PREFIXES, f"<{EX}partner> a gov:Partner ; rdfs:label \"Test partner\" .",
           f"<{EX}data> a gov:InformationAsset ; dpv:hasPersonalData dpv:PersonalData ."]
    for name, vf, vu in EDGE_CASES:
        ttl.append(f"<{EX}{name}> a gov:SharingAgreement ; rdfs:label \"{name}\" "
                   + (f"; gov:validFrom {vf} " if vf else "") + (f"; gov:validUntil {vu} " if vu else "") + ".")
    iris = [str(r["a"]) for r in store.select("SELECT ?a WHERE { ?a a gov:SharingAgreement }")]
    iris += [EX + name for name, _, _ in EDGE_CASES]
    for i, a in enumerate(iris):
        ttl.append(f"<{EX}flow/{i}> a gov:Flow ; gov:source <{EX}data> ; gov:target <{EX}partner> ; "
                   f"gov:carries <{EX}data> ; gov:coveredBy <{a}> .")
    with store.begin("test/agreements") as txn:
        txn.load(data="\n".join(ttl).encode(), fmt="turtle")
        txn.commit(forced=True)
    return {f"{EX}flow/{i}": a for i, a in enumerate(iris)}


@pytest.fixture(scope="module")
def estate(store_factory, tmp_path_factory):
    """A copy of the sample estate with the edge cases added."""
    with store_factory("embedded", tmp_path_factory.mktemp("agreements"), sample=True) as store:
        yield store, _add_cases(store)


@pytest.fixture
def small_estate(memory_store):
    """The edge cases on their own (for the reference engine, which is slow on the whole sample)."""
    return memory_store, _add_cases(memory_store)


#: Days on both sides of ends in the sample (2025-03-31, 2029-12-31, 2030-03-31) and the edge cases
#: (2026-03-01, 2026-09-30), the first and last days counting.
DAYS = [D(2025, 3, 31), D(2025, 4, 1), D(2026, 2, 28), D(2026, 3, 1), D(2026, 9, 30), D(2026, 10, 1),
        D(2029, 12, 31), D(2030, 1, 1), D(2030, 3, 31), D(2030, 4, 1)]


def test_catalog_lineage_and_shape_agree_on_the_sample(estate):
    seen_in, seen_out = _agree(*estate, DAYS, "fast")
    sample = set(estate[1].values()) - {EX + n for n, _, _ in EDGE_CASES}
    assert sample & seen_in and sample & seen_out, "sample agreements are found both in force and not"


def test_the_reference_engine_reads_the_shape_the_same_way(small_estate):
    _agree(*small_estate, [D(2026, 2, 28), D(2026, 3, 1), D(2026, 9, 30), D(2026, 10, 1)], "pyshacl")


def _agree(store, flows: dict[str, str], days: list[dt.date], engine: str) -> tuple[set[str], set[str]]:
    """Assert the catalogue, the lineage graph and the shape agree on every agreement on every day;
    the agreements found in force on some day, and those found not in force on some day."""
    lg = build(store)
    shape_files = [PREFIXES_FILE, SHAPES_DIR / "p03_sharing.ttl"]
    seen_in, seen_out = set(), set()
    for on in days:
        by_catalog = {a.agreement.iri: a.status in agreements.IN_FORCE for a in agreement_statuses(store, on)}
        by_lineage = {a: lg.agreement_in_force(a, on) for a in flows.values()}
        report = run(store, shapes_for(files=shape_files, check_date=on), engine_name=engine, with_scorecard=False)
        failing = {f.focus for f in report.findings if f.shape.endswith("CrossBoundaryAgreementInForce")}
        by_shape = {a: f not in failing for f, a in flows.items()}
        assert set(by_catalog) == set(by_shape), "every agreement is listed by the catalogue"
        for a in flows.values():
            assert by_catalog[a] == by_lineage[a] == by_shape[a], (on, a, by_catalog[a], by_lineage[a], by_shape[a])
            (seen_in if by_catalog[a] else seen_out).add(a)
    # the comparison means something: missing or unreadable dates are never in force, the others sometimes
    for name in ("no-start", "no-end", "no-dates", "unreadable"):
        assert EX + name not in seen_in
    assert EX + "date-times" in seen_in and EX + "plain-text" in seen_in
    assert EX + "date-times" in seen_out and EX + "plain-text" in seen_out
    return seen_in, seen_out
