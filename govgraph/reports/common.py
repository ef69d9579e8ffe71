"""Helpers the report modules share: reading aggregated SPARQL rows and naming vocabulary terms."""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from govgraph.dates import check_date, day_of
from govgraph.labels import labels, term_label
from govgraph.ontology.ns import EU_GDPR
from govgraph.reports.model import Link
from govgraph.store import Store
from govgraph.vocabulary import CLASSIFICATION_NAMES, basis_label

#: Separator for GROUP_CONCAT of free text (a control character no label contains).
SEP = "\u001f"


def parse_date(text: str | dt.date | None) -> dt.date:
    """A YYYY-MM-DD report date (today when None); BadInput naming the value when malformed."""
    return check_date(text, "date")


def split(value: object, sep: str = " ") -> list[str]:
    """A GROUP_CONCAT result as a sorted list of distinct non-empty parts."""
    if value is None:
        return []
    return sorted({p for p in str(value).split(sep) if p})


#: The date part of an xsd:date / xsd:dateTime literal (None when absent or unreadable).
date_of = day_of


def humanise(name: str) -> str:
    """'SpecialCategoryPersonalData' -> 'Special category personal data'."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    if not words:
        return name
    out = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return out[0].upper() + out[1:]


def term_text(iri: str) -> str:
    """A vocabulary term (DPV category, lawful basis, classification, metric) as plain words."""
    if iri.startswith(str(EU_GDPR)):
        return basis_label(iri)
    for cls, name in CLASSIFICATION_NAMES.items():
        if iri == str(cls):
            return name
    lab, _ = term_label(iri)
    return humanise(lab) if lab and " " not in lab and not lab.isupper() else lab


def is_art9(iri: str) -> bool:
    """Whether a lawful basis IRI is a UK GDPR Article 9(2) condition."""
    return iri.startswith(str(EU_GDPR) + "A9-")


def label_links(store: Store, iris: Iterable[str]) -> dict[str, Link]:
    """Links (label + IRI) for many resources, with one query per 500 IRIs."""
    refs = labels(store, list(iris))
    return {i: Link(r.label, i) for i, r in refs.items()}


def sorted_links(found: dict[str, Link], iris: Iterable[str]) -> tuple[Link, ...]:
    """The Links of ``iris`` sorted by label."""
    return tuple(sorted((found[i] for i in set(iris) if i in found), key=lambda l: (l.text.lower(), l.iri)))


def council(store: Store) -> Link | None:
    """The organisation the estate belongs to (the one gov:Council), or None when not recorded."""
    rows = store.select("""SELECT ?c (SAMPLE(?l) AS ?label) WHERE {
        ?c a gov:Council . OPTIONAL { ?c skos:prefLabel|rdfs:label ?l } } GROUP BY ?c ORDER BY ?c LIMIT 1""")
    if not rows:
        return None
    r = rows[0]
    return Link(str(r["label"]) if "label" in r else str(r["c"]), str(r["c"]))


def few(items: list, limit: int = 8, noun: str = "more") -> tuple:
    """At most ``limit`` items, then a '… and N more' text, so huge estates give readable cells."""
    if len(items) <= limit:
        return tuple(items)
    return tuple(items[:limit]) + (f"… and {len(items) - limit:,} {noun}",)


def plural(n: int, noun: str) -> str:
    """'1 dataset', '2 datasets'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
