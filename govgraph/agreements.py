"""When a data sharing agreement is in force: the one rule the catalogue, lineage and reports use.

An agreement is **in force** on a day D when both its dates are recorded and readable and
``validFrom <= D <= validUntil`` (both ends inclusive, compared by day: a date-time counts as
its day).

Why a missing date means *not* in force: principle 3 asks that personal data leaves the
council only under an agreement in force (``../shared/DOMAIN.md``, docs/modelling.md). The
agreement is what makes the sharing lawful, so the graph has to show it; an agreement whose
start or end is not recorded cannot be shown to be in force on any day, and treating it as in
force would let a flow pass the boundary checks on an unrecorded term. Being strict here sends
people to record the dates (the "dates not recorded" status says so), which is the fix the
principle wants. The SHACL shape ``gsh:CrossBoundaryAgreementInForce`` in
``shapes/p03_sharing.ttl`` states the same rule in SPARQL (both dates required, compared on
their first ten characters); ``tests/test_agreements.py`` holds the three to agreement on
every agreement of the sample estate.

Status (the first that applies): expired (until < D) | not yet in force (D < from) | dates not
recorded (either date missing or unreadable) | review overdue | review due | in force. The
last three are all *in force* (``IN_FORCE``).
"""
from __future__ import annotations

import datetime as dt

from govgraph.dates import day_of

EXPIRED, NOT_YET, NO_DATES = "expired", "not yet in force", "dates not recorded"
REVIEW_OVERDUE, REVIEW_DUE, IN_FORCE_STATUS = "review overdue", "review due", "in force"
#: every status, most urgent first (the order pages and reports sort by)
STATUSES = (EXPIRED, REVIEW_OVERDUE, NO_DATES, NOT_YET, REVIEW_DUE, IN_FORCE_STATUS)
#: the statuses of an agreement in force on the day
IN_FORCE = frozenset({IN_FORCE_STATUS, REVIEW_DUE, REVIEW_OVERDUE})
#: how many days ahead a review counts as due (pages and reports)
DUE_DAYS = 90


def in_force(on: dt.date, valid_from: object, valid_until: object) -> bool:
    """Whether an agreement with these dates (dates, literals or their text; None when absent) is in force on ``on``."""
    vf, vu = day_of(valid_from), day_of(valid_until)
    return vf is not None and vu is not None and vf <= on <= vu


def status(on: dt.date, valid_from: object, valid_until: object, review: object = None,
           due_within_days: int = DUE_DAYS) -> str:
    """An agreement's status on ``on`` (see the module docstring); unreadable dates count as not recorded."""
    vf, vu, rd = day_of(valid_from), day_of(valid_until), day_of(review)
    if vu is not None and vu < on:
        return EXPIRED
    if vf is not None and on < vf:
        return NOT_YET
    if vf is None or vu is None:
        return NO_DATES
    if rd is not None and rd < on:
        return REVIEW_OVERDUE
    if rd is not None and (rd - on).days <= due_within_days:
        return REVIEW_DUE
    return IN_FORCE_STATUS
