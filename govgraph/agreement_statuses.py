"""Sharing agreements as the registers and pages list them: each with its parties, dates, flows and its
status on a day (the rule itself is ``govgraph.agreements``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from govgraph import agreements as agreement_rules
from govgraph.labels import Ref, labels
from govgraph.store import Store


@dataclass
class AgreementStatus:
    """A sharing agreement's dates and where it stands on a date."""
    agreement: Ref
    parties: list[Ref]
    valid_from: str | None
    valid_until: str | None
    review_date: str | None
    status: str  # expired | not yet in force | review overdue | review due | in force
    flows: int = 0

    @property
    def needs_attention(self) -> bool:
        return self.status != "in force"


def agreement_statuses(store: Store, on: dt.date | None = None, *, due_within_days: int = 90) -> list[AgreementStatus]:
    """Every sharing agreement with its status on ``on`` (default today), most urgent first.

    Expired: past validUntil. Review overdue: reviewDate passed. Review due: reviewDate
    within ``due_within_days``.
    """
    on = on or dt.date.today()
    rows = store.select("""SELECT ?a (SAMPLE(?vf) AS ?from) (SAMPLE(?vu) AS ?until) (SAMPLE(?rd) AS ?review)
        (GROUP_CONCAT(DISTINCT STR(?p); separator=" ") AS ?parties) (COUNT(DISTINCT ?f) AS ?flows) WHERE {
        ?a a gov:SharingAgreement .
        OPTIONAL { ?a gov:validFrom ?vf } OPTIONAL { ?a gov:validUntil ?vu } OPTIONAL { ?a gov:reviewDate ?rd }
        OPTIONAL { ?a gov:party ?p } OPTIONAL { ?f gov:coveredBy ?a } } GROUP BY ?a""")
    parties = {p for r in rows for p in str(r.get("parties", "")).split()}
    refs = labels(store, [str(r["a"]) for r in rows] + list(parties))
    out = []
    for r in rows:
        vf, vu, rd = (str(r[k])[:10] if k in r else None for k in ("from", "until", "review"))
        out.append(AgreementStatus(refs[str(r["a"])], [refs[p] for p in str(r.get("parties", "")).split()],
                                   vf, vu, rd, _agreement_status(on, vf, vu, rd, due_within_days),
                                   int(r["flows"]) if "flows" in r else 0))
    order = {st: i for i, st in enumerate(agreement_rules.STATUSES)}
    out.sort(key=lambda a: (order[a.status], a.review_date or a.valid_until or "", a.agreement.label.lower()))
    return out


def agreement_status(on: dt.date, valid_from: dt.date | None, valid_until: dt.date | None,
                     review: dt.date | None, due_within_days: int = 90) -> str:
    """A sharing agreement's status on ``on`` (the rule is ``govgraph.agreements.status``)."""
    return agreement_rules.status(on, valid_from, valid_until, review, due_within_days)


def _agreement_status(on: dt.date, vf: str | None, vu: str | None, rd: str | None, within: int) -> str:
    return agreement_rules.status(on, vf, vu, rd, within)
