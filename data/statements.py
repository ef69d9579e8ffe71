"""Writing the synthetic estate: terms as Turtle or N-Triples, statements to a file, and the
per-dataset and per-system records the layers pass around."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TextIO

from govgraph.data.reference import BASE, ENTITIES, ID_PREFIXES, NAMESPACES, RECORD_COUNT, Column


class Terms(dict):
    """CURIE -> term as written in the output (CURIE in Turtle, full IRI in N-Triples)."""

    def __init__(self, turtle: bool) -> None:
        super().__init__()
        self.turtle = turtle
        self["a"] = "a" if turtle else f"<{NAMESPACES['rdf']}type>"
        xsd = "xsd:" if turtle else f"<{NAMESPACES['xsd']}"
        close = "" if turtle else ">"
        self.true = "true" if turtle else f'"true"^^{xsd}boolean{close}'
        self._date = f"^^{xsd}date{close}"
        self._datetime = f"^^{xsd}dateTime{close}"
        self._decimal = None if turtle else f"^^{xsd}decimal{close}"
        self._id = {kind: (f"{prefix}:", "") if turtle else (f"<{BASE}{kind}/", ">")
                    for kind, prefix in ID_PREFIXES.items()}

    def __missing__(self, curie: str) -> str:
        prefix, local = curie.split(":", 1)
        value = curie if self.turtle else f"<{NAMESPACES[prefix]}{local}>"
        self[curie] = value
        return value

    def node(self, kind: str, slug: str) -> str:
        """An estate IRI ``<BASE><kind>/<slug>``."""
        pre, post = self._id[kind]
        return pre + slug + post

    @staticmethod
    def lit(text: str) -> str:
        """A plain string literal."""
        if '"' in text or "\\" in text or "\n" in text or "\r" in text:
            text = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                    .replace("\r", "\\r"))
        return '"' + text + '"'

    def date(self, iso: str) -> str:
        return '"' + iso + '"' + self._date

    def datetime(self, iso: str) -> str:
        return '"' + iso + '"' + self._datetime

    def milli(self, value: int) -> str:
        """A decimal from thousandths (950 -> 0.950), exact."""
        text = f"{value // 1000}.{value % 1000:03d}"
        return text if self._decimal is None else '"' + text + '"' + self._decimal


Pairs = list[tuple[str, str]]


class Sink:
    """Writes statements (a subject and its predicate-object pairs) and counts triples."""

    def __init__(self, fh: TextIO, turtle: bool) -> None:
        self.fh = fh
        self.turtle = turtle
        self.triples = 0

    def emit(self, subject: str, pairs: Pairs) -> None:
        self.triples += len(pairs)
        if self.turtle:
            self.fh.write(subject + " " + " ;\n    ".join([p + " " + o for p, o in pairs]) + " .\n")
        else:
            self.fh.write("".join([f"{subject} {p} {o} .\n" for p, o in pairs]))

    def comment(self, text: str) -> None:
        self.fh.write(f"# {text}\n")


@lru_cache(maxsize=None)
def columns_of(entity: int, width: int, aggregated: bool) -> tuple[Column, ...]:
    """The columns of a dataset about ``entity``: the first ``width``, or for aggregated data
    the grouping columns (all but the first) and a record count."""
    cols = ENTITIES[entity].columns[:width]
    return cols[1:] + (RECORD_COUNT,) if aggregated else cols


@lru_cache(maxsize=None)
def column_slugs(entity: int, width: int, aggregated: bool) -> frozenset[str]:
    return frozenset(c.slug for c in columns_of(entity, width, aggregated))



@dataclass(slots=True)
class DatasetSpec:
    """Everything needed to write one dataset (built per dataset, then discarded)."""
    index: int
    layer: str
    entity: int
    width: int
    title: str
    description: str
    system: int
    unit: int
    frequency: str
    types: tuple[str, ...] = ()
    personal: bool = False
    special: bool = False
    aggregated: bool = False
    anonymisation: str | None = None
    purposes: tuple[str, ...] = ()
    art6: str = "eu-gdpr:A6-1-e"
    key: bool = False
    master: bool = False
    analytics: bool = False
    about: bool = False
    alias: str | None = None
    upstream: list[int] = field(default_factory=list)
    transformation: str = "copied"
    extra: Pairs = field(default_factory=list)


@dataclass(slots=True)
class SystemInfo:
    """A system as written: who owns and runs it."""
    slug: str
    label: str
    unit: int
    owner: int
    custodian: int
    document_store: bool

