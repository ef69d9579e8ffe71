"""Sharing agreements on a date: in force, due for review, and expired with flows still running.

An agreement is in force on date D when both dates are recorded and validFrom <= D <= validUntil
(the rule and why: ``govgraph.agreements``).
Flows that name an agreement with ``gov:coveredBy`` are taken to be running: the graph
records flows that exist, not ones that have stopped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from govgraph.reports.common import date_of, few, label_links, sorted_links, split, term_text
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.agreements import DUE_DAYS, IN_FORCE, status as agreement_status
from govgraph.store import Store


COLUMNS = ["Agreement", "Partners", "Purpose", "Lawful basis", "Valid from", "Valid until", "Review date",
           "Status", "Flows", "Datasets shared", "Owner"]

_QUERY = """
SELECT ?a (MAX(COALESCE(STR(?vf), "")) AS ?from) (MAX(COALESCE(STR(?vu), "")) AS ?until)
  (MAX(COALESCE(STR(?rd), "")) AS ?review)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?p), ""); separator=" ") AS ?parties)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?purpose), ""); separator=" ") AS ?purposes)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?basis), ""); separator=" ") AS ?bases)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?owner), ""); separator=" ") AS ?owners)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?f), ""); separator=" ") AS ?flows)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?ds), ""); separator=" ") AS ?datasets)
WHERE {
  ?a a gov:SharingAgreement .
  { OPTIONAL { ?a gov:validFrom ?vf } OPTIONAL { ?a gov:validUntil ?vu } OPTIONAL { ?a gov:reviewDate ?rd } }
  UNION { ?a gov:party ?p . FILTER NOT EXISTS { ?p a gov:Council } }
  UNION { ?a dpv:hasPurpose ?purpose } UNION { ?a dpv:hasLegalBasis ?basis } UNION { ?a gov:owner ?owner }
  UNION { ?f gov:coveredBy ?a . OPTIONAL { ?f gov:carries ?ds } }
} GROUP BY ?a"""


@dataclass
class Agreement:
    """One agreement's dates and links, as read from the graph."""
    iri: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    review: dt.date | None
    parties: list[str]
    purposes: list[str]
    bases: list[str]
    owners: list[str]
    flows: list[str]
    datasets: list[str]

    def status(self, on: dt.date) -> str:
        """expired | not yet in force | dates not recorded | review overdue | review due | in force."""
        return agreement_status(on, self.valid_from, self.valid_until, self.review, DUE_DAYS)


def read(store: Store) -> list[Agreement]:
    """Every sharing agreement with its dates, parties, flows and carried datasets (one query).

    The query UNIONs one branch per property (no cross product); COALESCE keeps rows
    where a branch leaves a variable unbound from voiding the whole aggregate.
    """
    return [Agreement(str(r["a"]), date_of(r.get("from")), date_of(r.get("until")), date_of(r.get("review")),
                      split(r.get("parties")), split(r.get("purposes")), split(r.get("bases")),
                      split(r.get("owners")), split(r.get("flows")), split(r.get("datasets")))
            for r in store.select(_QUERY)]


def build(store: Store, on: dt.date) -> Report:
    """The agreements report for date ``on``: sections for expired-with-flows, review due, in force, others."""
    agreements = read(store)
    iris = {a.iri for a in agreements}
    for a in agreements:
        iris.update(a.parties, a.purposes, a.owners, a.flows, a.datasets)
    found = label_links(store, iris)
    status = {a.iri: a.status(on) for a in agreements}
    in_force = IN_FORCE
    sections = [
        ("Expired with flows still running", [a for a in agreements if status[a.iri] == "expired" and a.flows],
         "Flows still name these agreements although they have expired: stop the flows or renew the agreement."),
        ("Review overdue", [a for a in agreements if status[a.iri] == "review overdue"],
         "In force, but the review date has passed."),
        (f"Due for review in the next {DUE_DAYS} days", [a for a in agreements if status[a.iri] == "review due"],
         f"Review date between {on.isoformat()} and {(on + dt.timedelta(days=DUE_DAYS)).isoformat()}."),
        ("In force", [a for a in agreements if status[a.iri] in in_force],
         "Every agreement in force on the report date (including those with a review due or overdue)."),
        ("Not in force, no flows", [a for a in agreements if status[a.iri] not in in_force and
                                    not (status[a.iri] == "expired" and a.flows)],
         "Expired with no flows, not yet in force, or with dates missing."),
    ]
    tables = []
    for title, items, note in sections:
        items.sort(key=lambda a: (a.review or a.valid_until or dt.date.max, found[a.iri].text.lower()))
        tables.append(Table(title, COLUMNS, [_row(a, status[a.iri], found) for a in items], [note]))
    counts = {t.title: len(t.rows) for t in tables}
    summary = [("Agreements", str(len(agreements)))] + [(k, str(v)) for k, v in counts.items()]
    notes = [f"Status on {on.isoformat()}: in force when valid from <= date <= valid until; review due when "
             f"the review date falls within {DUE_DAYS} days."]
    return Report("agreements", "Data sharing agreements", dt.date.today(), on, tables, notes, summary)


def _row(a: Agreement, status: str, found: dict[str, Link]) -> list[Cell]:
    def day(d: dt.date | None) -> Cell:
        return d.isoformat() if d else Gap()
    return [found[a.iri], sorted_links(found, a.parties) or Gap(), sorted_links(found, a.purposes) or Gap(),
            tuple(term_text(b) for b in a.bases) or Gap(), day(a.valid_from), day(a.valid_until), day(a.review),
            status, few(list(sorted_links(found, a.flows)), 10, "more flows") or "None",
            few(list(sorted_links(found, a.datasets)), 10, "more datasets") or "None",
            sorted_links(found, a.owners) or Gap()]
