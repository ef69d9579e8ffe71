"""Reading an Information Asset Register (CSV or XLSX) onto the ontology, as councils keep theirs.

Columns are those of ``govgraph.io.iar`` (matched case-, space- and punctuation-insensitively);
a column govgraph does not know is named in a warning, never dropped silently. People, service
areas, systems and partners are matched to what the store holds by name; a name close to a known
one ("Helen Ashwoth") or a service area the council does not have is refused unless the load says
the names are new. Every bad cell is collected and the file refused once with all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, RDF, RDFS, XSD

from govgraph.dates import register_date
from govgraph.errors import BadInput
from govgraph.io.cells import read_cell
from govgraph.io.characters import check_text, problem
from govgraph.io.iar import (COLUMN_NAMES, COLUMNS, DEFAULT_BASE, HEADER, REQUIRED, norm_header,
                             parse_lawful_basis, slug)
from govgraph.io.register_file import Table, read_table
from govgraph.io.register_values import (CLASSIFICATION_ALLOWED, DATE_ALLOWED, YES_NO_ALLOWED, NameMatcher, Problem,
                                         RegisterRefused, yes_no)
from govgraph.ontology.ns import DPV, GOV
from govgraph.vocabulary import BASIS_NAMES, classification
from govgraph.store import Store


def _split(cell: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", cell) if p.strip()]


#: The kinds of named thing a register refers to: (IAR key, IRI path segment, types, name property, plural).
_KINDS = {
    "people": ("person", (FOAF.Person,), FOAF.name, "people"),
    "units": ("unit", (ORG.OrganizationalUnit,), RDFS.label, "service areas"),
    "systems": ("system", (GOV.System,), RDFS.label, "systems"),
    "orgs": ("partner", (GOV.Partner, ORG.Organization), RDFS.label, "partners"),
    "purposes": ("purpose", (GOV.ProcessingPurpose,), RDFS.label, "purposes"),
}
#: Kinds whose new names are checked against the known ones (a typo would otherwise be a new person).
_CHECKED = {"people": "person", "units": "service area", "systems": "system", "orgs": "partner"}


@dataclass
class _Lookup:
    """Finds people, units, systems and partners already in the store by their names."""
    tables: dict[str, dict[str, URIRef]]      # kind -> lower-case name -> IRI
    council: URIRef | None = None             # the one council in the store, if there is exactly one

    def existing(self) -> set[URIRef]:
        """Every IRI found in the store (these are referenced, never re-created)."""
        return {i for t in self.tables.values() for i in t.values()}

    @classmethod
    def from_store(cls, store: Store | None) -> tuple["_Lookup", dict[str, NameMatcher]]:
        if store is None:
            return cls({k: {} for k in _KINDS}), {k: NameMatcher([]) for k in _CHECKED}
        queries = {
            "people": "SELECT ?s ?n WHERE { ?s a foaf:Person ; foaf:name ?n }",
            "units": "SELECT ?s ?n WHERE { ?s a org:OrganizationalUnit ; rdfs:label|skos:prefLabel ?n }",
            "systems": "SELECT ?s ?n WHERE { VALUES ?t { gov:System gov:DataWarehouse gov:DataLake "
                       "gov:Database gov:DocumentStore } ?s a ?t ; rdfs:label ?n }",
            "orgs": "SELECT ?s ?n WHERE { VALUES ?t { gov:Partner org:Organization org:FormalOrganization "
                    "gov:Council } ?s a ?t ; rdfs:label|skos:prefLabel ?n }",
            "purposes": "SELECT ?s ?n WHERE { ?s a gov:ProcessingPurpose ; rdfs:label ?n }",
        }
        tables, matchers = {}, {}
        for kind, q in queries.items():
            rows = [(str(r["n"]).strip(), r["s"]) for r in store.select(q)]
            tables[kind] = {n.lower(): s for n, s in rows}
            if kind in _CHECKED:
                matchers[kind] = NameMatcher(sorted({n for n, _ in rows}))
        councils = [r["c"] for r in store.select("SELECT DISTINCT ?c WHERE { ?c a gov:Council }")]
        return cls(tables, councils[0] if len(councils) == 1 else None), matchers


@dataclass
class Register:
    """A register read into triples, with what a person should know about how it was read."""
    triples: list[tuple]
    warnings: list[str]
    rows: int


def read_iar(path: str | Path | None = None, *, text: str | None = None, store: Store | None = None,
             base: str = DEFAULT_BASE, sheet: str | None = None, new_names: bool = False) -> Iterator[tuple]:
    """The triples of an IAR (CSV or XLSX); see ``read_register``."""
    yield from read_register(path, text=text, store=store, base=base, sheet=sheet, new_names=new_names).triples


def read_register(path: str | Path | None = None, *, text: str | None = None, store: Store | None = None,
                  base: str = DEFAULT_BASE, sheet: str | None = None, new_names: bool = False) -> Register:
    """Parse an IAR (CSV or XLSX) into triples, checking every row first.

    Every bad cell is collected and the file refused once with all of them
    (``RegisterRefused``: row as a spreadsheet numbers it, column, value, what is allowed).
    A name close to a known person, service area, system or partner ("Helen Ashwoth"), or a
    service area the council does not have, is such a problem unless ``new_names`` says the
    names are new. Blank owners, stewards and systems are left out (the shapes report them).
    """
    label = str(path) if path is not None else "<iar>"
    table = _header_row(read_table(path, text=text, sheet=sheet, label=label), label)
    look, matchers = _Lookup.from_store(store)
    return _Reader(table, label, look, matchers, base, new_names).read()


def _known_columns(cells: list[str]) -> set[str]:
    return {c for h in cells for c, names in COLUMNS.items() if norm_header(h) in names}


def _header_row(table: Table, label: str) -> Table:
    """The table with its header where the register has it: a title or notes above the header (within
    the first ten rows) are passed over, with a note, when row 1 is not a header and a later row is."""
    if "name" in _known_columns(table.header):
        return table
    for n, cells in table.rows[:10]:
        found = _known_columns(cells)
        if "name" in found and len(found) >= 3:
            rows = [(m, r) for m, r in table.rows if m > n]
            return Table(cells, rows, table.notes + [f"header read from row {n}; the rows above it were not loaded"])
    return table


class _Reader:
    """One register being read: its columns, the problems found so far and the triples made."""

    def __init__(self, table: Table, label: str, look: _Lookup, matchers: dict[str, NameMatcher],
                 base: str, new_names: bool):
        self.table, self.label, self.look, self.matchers = table, label, look, matchers
        self.base = base if base.endswith(("/", "#")) else base + "/"
        self.new_names = new_names
        self.problems: list[Problem] = []
        self.warnings: list[str] = [f"{label}: {n}" for n in table.notes]
        self.out: list[tuple] = []
        self.created: set[URIRef] = look.existing()
        self.minted: set[URIRef] = set()
        self.new: dict[str, dict[str, list]] = {k: {} for k in _KINDS}   # kind -> new name -> [(row, column)]

    def columns(self) -> dict[str, int]:
        header = self.table.header
        for i, h in enumerate(header):
            check_text(h, f"header column {i + 1}", file=self.label, line=1)
        index: dict[str, int] = {}
        unknown: list[str] = []
        for i, h in enumerate(header):
            n = norm_header(h)
            col = next((c for c, names in COLUMNS.items() if n in names), None)
            if col is not None and col not in index:
                index[col] = i
            elif h.strip():
                why = "a second column for the same thing" if col else "not a column govgraph knows"
                unknown.append(f"{h.strip()!r} ({why})")
            elif any(i < len(r) and r[i].strip() for _, r in self.table.rows):
                unknown.append(f"column {i + 1} (it has no header)")
        if "system" not in index and "location" in index:
            index["system"] = index.pop("location")   # a register whose only place column is "Location"
        missing = [COLUMN_NAMES.get(c, c) for c in REQUIRED if c not in index]
        if missing:
            raise BadInput(f"missing required column(s): {', '.join(missing)} "
                           f"(header was: {', '.join(h for h in header if h)})", file=self.label, line=1)
        if unknown:
            self.warnings.append(f"{self.label}: column(s) not loaded: {'; '.join(unknown)}. Known columns: "
                                 f"{', '.join(HEADER)}")
        return index

    def read(self) -> Register:
        index = self.columns()
        header = self.table.header
        seen: dict[str, int] = {}
        count = 0
        for rowno, row in self.table.rows:
            if not any(c.strip() for c in row):
                continue
            bad_chars = False
            for i, v in enumerate(row):
                refused = problem(v)  # NUL or a bidirectional control (govgraph.io.characters)
                if refused:
                    self.problems.append(Problem(rowno, header[i] if i < len(header) else f"column {i + 1}",
                                                 "", refused))
                    bad_chars = True
            if bad_chars:
                continue
            count += 1
            self.row(rowno, row, index, seen)
        if not count and not self.problems:
            raise BadInput("no asset rows under the header", file=self.label)
        self.check_new_names()
        if self.problems:
            raise RegisterRefused(self.problems, file=self.label)
        for kind, names in self.new.items():
            if names and kind in _CHECKED:
                shown = sorted(names)
                self.warnings.append(f"{self.label}: {len(shown)} new {_KINDS[kind][3]} created: "
                                     f"{', '.join(shown[:20])}{' ...' if len(shown) > 20 else ''}")
        return Register(self.out, self.warnings, count)

    def row(self, rowno: int, row: list[str], index: dict[str, int], seen: dict[str, int]) -> None:
        header = self.table.header

        def cell(col: str) -> str:
            i = index.get(col)
            v = row[i].strip() if i is not None and i < len(row) else ""
            return read_cell(v)  # undo the apostrophes write_iar puts before formula-like lines

        def bad(col: str, message: str, value: str | None = None) -> None:
            name = header[index[col]] if col in index else COLUMN_NAMES.get(col, col)
            self.problems.append(Problem(rowno, name, cell(col) if value is None else value, message))

        name = cell("name")
        if not name:
            bad("name", "the asset name is empty: every row needs one (fill it in or delete the row)")
            return
        ident = slug(cell("id") or name)
        if ident in seen:
            bad("id" if cell("id") else "name", f"asset {ident!r} appears twice (also row {seen[ident]})")
            return
        seen[ident] = rowno
        out = self.out
        ds = URIRef(f"{self.base}dataset/{ident}")
        out += [(ds, RDF.type, DCAT.Dataset), (ds, RDF.type, GOV.InformationAsset), (ds, DCTERMS.title, Literal(name))]
        if cell("description"):
            out.append((ds, DCTERMS.description, Literal(cell("description"))))
        for col, prop, kind in (("owner", GOV.owner, "people"), ("steward", GOV.steward, "people"),
                                ("system", GOV.heldIn, "systems"), ("shared_with", GOV.sharedWith, "orgs"),
                                ("purpose", DPV.hasPurpose, "purposes")):
            for value in _split(cell(col)):
                iri = self.entity(kind, value, rowno, header[index[col]] if col in index else col,
                                  lambda m, c=col, v=value: bad(c, m, v))
                if iri is not None:
                    out.append((ds, prop, iri))
        if cell("service_area"):
            iri = self.entity("units", cell("service_area"), rowno, header[index["service_area"]],
                              lambda m: bad("service_area", m))
            if iri is not None:
                out.append((ds, GOV.serviceArea, iri))
        personal, special = yes_no(cell("personal")), yes_no(cell("special"))
        for col, v in (("personal", personal), ("special", special)):
            if v is None:
                bad(col, f"is not yes or no (allowed: {YES_NO_ALLOWED})")
        if special and personal is False:
            bad("special", "special category data is personal data: set Personal data to yes as well")
        if personal:
            out.append((ds, DPV.hasPersonalData, DPV.PersonalData))
        if special:
            out.append((ds, DPV.hasPersonalData, DPV.SpecialCategoryPersonalData))
        for basis in _split(cell("lawful_basis")):
            try:
                out.append((ds, DPV.hasLegalBasis, parse_lawful_basis(basis)))
            except ValueError:
                bad("lawful_basis", "is not a lawful basis (allowed: an article such as 'UK GDPR Art 6(1)(e)' "
                                    f"or a name: {', '.join(BASIS_NAMES)})", basis)
        if cell("classification"):
            c = classification(cell("classification"))
            if c is None:
                bad("classification", f"is not a Government Security Classification (allowed: {CLASSIFICATION_ALLOWED})")
            else:
                out.append((ds, GOV.classification, c))
        if cell("review_date"):
            d = register_date(cell("review_date"))
            if d is None:
                bad("review_date", f"is not a date (allowed: {DATE_ALLOWED})")
            else:
                out.append((ds, GOV.reviewDate, Literal(d.isoformat(), datatype=XSD.date)))
        for col, prop in (("retention", GOV.retentionPeriod), ("format", DCTERMS["format"]),
                          ("location", GOV.storageLocation)):
            if cell(col):
                out.append((ds, prop, Literal(cell(col))))

    def entity(self, kind: str, value: str, rowno: int, column: str, bad) -> URIRef | None:
        table = self.look.tables[kind]
        iri = table.get(value.lower())
        if iri is None:
            matcher = self.matchers.get(kind)
            if matcher is not None and not self.new_names:
                close = matcher.close(value)
                what = _CHECKED[kind]
                if close and kind == "units":
                    bad(f"is not one of the council's service areas: did you mean {' or '.join(close)}? "
                        "(if it is new, load with --new-names)")
                    return None
                if close:
                    bad(f"is not a known {what}: did you mean {' or '.join(close)}? "
                        "(if it is new, load with --new-names)")
                    return None
                known = matcher.some(8)
                if kind == "units" and known:
                    bad(f"is not one of the council's service areas (such as {', '.join(known)}): "
                        "if it is new, load with --new-names")
                    return None
            path, types, lab, _ = _KINDS[kind]
            iri = URIRef(f"{self.base}{path}/{slug(value)}")
            table[value.lower()] = iri
            if iri not in self.created:   # "Childrens Social Care" slugs to the IRI of "Children's Social Care"
                self.minted.add(iri)
        if iri in self.minted:
            self.new[kind].setdefault(value, []).append((rowno, column))
        if iri not in self.created:
            path, types, lab, _ = _KINDS[kind]
            self.created.add(iri)
            self.out.extend((iri, RDF.type, t) for t in types)
            self.out.append((iri, lab, Literal(value)))
            if kind == "units" and self.look.council is not None:
                self.out.append((iri, ORG.unitOf, self.look.council))
        return iri

    def check_new_names(self) -> None:
        """New names in the file that are close to another name in the same file used more often."""
        if self.new_names:
            return
        for kind, what in _CHECKED.items():
            names = self.new[kind]
            if len(names) < 2:
                continue
            matcher = NameMatcher(sorted(names))
            for name, rows in names.items():
                others = [o for o in matcher.close(name) if o != name and len(names[o]) > len(rows)]
                for r, column in rows if others else ():
                    self.problems.append(Problem(r, column, name,
                                                 f"is a new {what} close to {' or '.join(others)} elsewhere "
                                                 "in the file: did you mean that? (if it is new, load with --new-names)"))
