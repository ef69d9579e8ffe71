"""Information Asset Register (IAR) CSV: import onto the ontology, and export in the same layout.

The columns are those UK councils publish. Header names are matched case-, space- and
punctuation-insensitively, with common alternatives (``IAO`` for owner, ``Location`` for
system ...). People, service areas, systems and partners are matched to what the store
already holds by name; anything not found is created with that name.
"""
from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, RDF, RDFS

from govgraph.errors import BadInput
from govgraph.io.cells import CellWriter, read_cell
from govgraph.io.characters import check_text, problem
from govgraph.ontology.ns import DPV, EU_GDPR, GOV
from govgraph.store import Store

DEFAULT_BASE = "https://data.county.example.gov.uk/id/"

#: The export header, in the usual council column order.
HEADER = ["Asset ID", "Asset name", "Description", "Owner", "Service area", "System",
          "Personal data", "Special category", "Lawful basis", "Retention", "Shared with",
          "Classification", "Purpose"]

#: Canonical column -> accepted header spellings (normalised: lower case, letters and digits only).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("assetid", "id", "reference", "ref", "assetref", "assetreference"),
    "name": ("assetname", "name", "informationasset", "title", "asset"),
    "description": ("description", "assetdescription", "summary"),
    "owner": ("owner", "informationassetowner", "iao", "assetowner"),
    "service_area": ("servicearea", "service", "department", "directorate", "team"),
    "system": ("system", "location", "systemlocation", "systemorlocation", "locationsystem", "whereheld"),
    "personal": ("personaldata", "containspersonaldata", "personal"),
    "special": ("specialcategory", "specialcategorydata", "specialcategorypersonaldata", "sensitivedata"),
    "lawful_basis": ("lawfulbasis", "legalbasis", "lawfulbasisforprocessing"),
    "retention": ("retention", "retentionperiod", "retentionschedule"),
    "shared_with": ("sharedwith", "sharing", "sharedwithpartners", "recipients"),
    "classification": ("classification", "securityclassification", "protectivemarking"),
    "purpose": ("purpose", "purposes", "purposeofprocessing", "processingpurpose", "purposesofprocessing"),
}
REQUIRED = ("name", "description", "owner", "system")

CLASSIFICATIONS = {"OFFICIAL": GOV.Official, "OFFICIAL-SENSITIVE": GOV.OfficialSensitive,
                   "OFFICIAL SENSITIVE": GOV.OfficialSensitive, "SECRET": GOV.Secret,
                   "TOP SECRET": GOV.TopSecret, "TOP-SECRET": GOV.TopSecret}
CLASSIFICATION_NAMES = {GOV.Official: "OFFICIAL", GOV.OfficialSensitive: "OFFICIAL-SENSITIVE",
                        GOV.Secret: "SECRET", GOV.TopSecret: "TOP SECRET"}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0", ""}
_BASIS_NAMES = {"consent": "A6-1-a", "contract": "A6-1-b", "legal obligation": "A6-1-c",
                "vital interests": "A6-1-d", "public task": "A6-1-e", "public interest": "A6-1-e",
                "official authority": "A6-1-e", "legitimate interests": "A6-1-f"}
_BASIS_RE = re.compile(r"(?:uk\s*gdpr\s*)?(?:art(?:icle)?\.?\s*)?([69])\s*\(\s*([12])\s*\)\s*\(\s*([a-j])\s*\)", re.I)


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def slug(text: str) -> str:
    """A lower-case, hyphenated IRI path segment for a name."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "unnamed"


def parse_lawful_basis(text: str) -> URIRef:
    """One lawful basis ("UK GDPR Art 6(1)(e)", "Article 9(2)(h)", "public task") as a DPV IRI."""
    t = text.strip()
    if t.startswith(str(EU_GDPR)):
        return URIRef(t)
    if t.lower().startswith("eu-gdpr:"):
        return EU_GDPR[t.split(":", 1)[1]]
    m = _BASIS_RE.fullmatch(t) or _BASIS_RE.search(t)
    if m:
        art, par, point = m.groups()
        return EU_GDPR[f"A{art}-{par}-{point.lower()}"]
    key = t.lower()
    if key in _BASIS_NAMES:
        return EU_GDPR[_BASIS_NAMES[key]]
    raise ValueError(f"unrecognised lawful basis {text!r} (write e.g. 'UK GDPR Art 6(1)(e)' or 'public task')")


def format_lawful_basis(iri: str) -> str:
    """A DPV GDPR legal basis IRI as the text an IAR uses ("UK GDPR Art 6(1)(e)")."""
    m = re.fullmatch(re.escape(str(EU_GDPR)) + r"A([69])-([12])-([a-j])", iri)
    return f"UK GDPR Art {m.group(1)}({m.group(2)})({m.group(3)})" if m else iri


def _split(cell: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", cell) if p.strip()]


@dataclass
class _Lookup:
    """Finds people, units, systems and partners already in the store by their names."""
    people: dict[str, URIRef]
    units: dict[str, URIRef]
    systems: dict[str, URIRef]
    orgs: dict[str, URIRef]
    purposes: dict[str, URIRef]

    def existing(self) -> set[URIRef]:
        """Every IRI found in the store (these are referenced, never re-created)."""
        return {i for t in (self.people, self.units, self.systems, self.orgs, self.purposes) for i in t.values()}

    @classmethod
    def from_store(cls, store: Store | None) -> "_Lookup":
        if store is None:
            return cls({}, {}, {}, {}, {})

        def names(q: str) -> dict[str, URIRef]:
            return {str(r["n"]).strip().lower(): r["s"] for r in store.select(q)}
        return cls(
            people=names("SELECT ?s ?n WHERE { ?s a foaf:Person ; foaf:name ?n }"),
            units=names("SELECT ?s ?n WHERE { ?s a org:OrganizationalUnit ; rdfs:label|skos:prefLabel ?n }"),
            systems=names("SELECT ?s ?n WHERE { VALUES ?t { gov:System gov:DataWarehouse gov:DataLake "
                          "gov:Database gov:DocumentStore } ?s a ?t ; rdfs:label ?n }"),
            orgs=names("SELECT ?s ?n WHERE { VALUES ?t { gov:Partner org:Organization org:FormalOrganization gov:Council } ?s a ?t ; rdfs:label|skos:prefLabel ?n }"),
            purposes=names("SELECT ?s ?n WHERE { ?s a gov:ProcessingPurpose ; rdfs:label ?n }"),
        )


def read_iar(path: str | Path | None = None, *, text: str | None = None, store: Store | None = None,
             base: str = DEFAULT_BASE) -> Iterator[tuple]:
    """Parse an IAR CSV into triples, checking every row before yielding any.

    Raises BadInput naming the row (as a spreadsheet numbers it, header = row 1) and
    column for the first bad cell; nothing from the file is yielded then.
    """
    label = str(path) if path is not None else "<iar>"
    if text is None:
        try:
            raw = Path(path).read_bytes()  # type: ignore[arg-type]
        except OSError as e:
            raise BadInput(f"cannot read: {e.strerror or e}", file=label) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise BadInput(f"not UTF-8 text (byte {e.start}): save the CSV as UTF-8", file=label) from None
    triples = list(_rows_to_triples(text, label, _Lookup.from_store(store), base))
    yield from triples


def _rows_to_triples(text: str, label: str, look: _Lookup, base: str) -> Iterator[tuple]:
    if not text.strip():
        raise BadInput("the file is empty", file=label)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as e:
        raise BadInput(f"not a readable CSV: {e}", file=label, line=1) from None
    for i, h in enumerate(header):
        check_text(h, f"header column {i + 1}", file=label, line=1)
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        n = _norm(h)
        for col, names in COLUMNS.items():
            if n in names and col not in index:
                index[col] = i
    missing = [HEADER[list(COLUMNS).index(c)] for c in REQUIRED if c not in index]
    if missing:
        raise BadInput(f"missing required column(s): {', '.join(missing)} "
                       f"(header was: {', '.join(h for h in header if h)})", file=label, line=1)
    out: list[tuple] = []
    seen: dict[str, int] = {}
    created: set[URIRef] = look.existing()
    base = base if base.endswith(("/", "#")) else base + "/"
    rowno = 1
    try:
        for row in reader:
            rowno += 1
            if not any(c.strip() for c in row):
                continue
            for i, v in enumerate(row):
                refused = problem(v)  # NUL or a bidirectional control (govgraph.io.characters)
                if refused:
                    name = repr(header[i]) if i < len(header) else str(i + 1)
                    raise BadInput(f"column {name}: {refused}", file=label, line=rowno)

            def cell(col: str) -> str:
                i = index.get(col)
                v = row[i].strip() if i is not None and i < len(row) else ""
                return read_cell(v)  # undo the apostrophes write_iar puts before formula-like lines

            def bad(col: str, msg: str) -> BadInput:
                name = header[index[col]] if col in index else col
                return BadInput(f"column {name!r}: {msg}", file=label, line=rowno)

            for col in REQUIRED:
                if not cell(col):
                    raise bad(col, "is empty but required")
            name = cell("name")
            ident = slug(cell("id") or name)
            if ident in seen:
                raise bad("id" if cell("id") else "name", f"asset {ident!r} appears twice (also row {seen[ident]})")
            seen[ident] = rowno
            ds = URIRef(f"{base}dataset/{ident}")
            out += [(ds, RDF.type, DCAT.Dataset), (ds, RDF.type, GOV.InformationAsset),
                    (ds, DCTERMS.title, Literal(name)), (ds, DCTERMS.description, Literal(cell("description")))]

            def entity(kind: str, table: dict[str, URIRef], value: str, types: Iterable[URIRef], lab) -> URIRef:
                iri = table.get(value.lower())
                if iri is None:
                    iri = URIRef(f"{base}{kind}/{slug(value)}")
                    table[value.lower()] = iri
                if iri not in created:
                    created.add(iri)
                    out.extend((iri, RDF.type, t) for t in types)
                    out.append((iri, lab, Literal(value)))
                return iri

            for owner in _split(cell("owner")):
                out.append((ds, GOV.owner, entity("person", look.people, owner, [FOAF.Person], FOAF.name)))
            if cell("service_area"):
                out.append((ds, GOV.serviceArea, entity("unit", look.units, cell("service_area"),
                                                        [ORG.OrganizationalUnit], RDFS.label)))
            for system in _split(cell("system")):
                out.append((ds, GOV.heldIn, entity("system", look.systems, system, [GOV.System], RDFS.label)))
            personal, special = cell("personal").lower(), cell("special").lower()
            for col, v in (("personal", personal), ("special", special)):
                if v not in YES | NO:
                    raise bad(col, f"{cell(col)!r} is not Y or N")
            if special in YES and personal not in YES:
                raise bad("special", "special category data is personal data: set Personal data to Y as well")
            if personal in YES:
                out.append((ds, DPV.hasPersonalData, DPV.PersonalData))
            if special in YES:
                out.append((ds, DPV.hasPersonalData, DPV.SpecialCategoryPersonalData))
            for basis in _split(cell("lawful_basis")):
                try:
                    out.append((ds, DPV.hasLegalBasis, parse_lawful_basis(basis)))
                except ValueError as e:
                    raise bad("lawful_basis", str(e)) from None
            if cell("retention"):
                out.append((ds, GOV.retentionPeriod, Literal(cell("retention"))))
            for partner in _split(cell("shared_with")):
                out.append((ds, GOV.sharedWith, entity("partner", look.orgs, partner,
                                                       [GOV.Partner, ORG.Organization], RDFS.label)))
            for purpose in _split(cell("purpose")):
                out.append((ds, DPV.hasPurpose, entity("purpose", look.purposes, purpose,
                                                       [GOV.ProcessingPurpose], RDFS.label)))
            if cell("classification"):
                c = CLASSIFICATIONS.get(re.sub(r"\s+", " ", cell("classification").upper()))
                if c is None:
                    raise bad("classification", f"{cell('classification')!r} is not a Government Security "
                                                f"Classification (OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET)")
                out.append((ds, GOV.classification, c))
    except csv.Error as e:
        raise BadInput(f"not a readable CSV: {e}", file=label, line=rowno) from None
    if not seen:
        raise BadInput("no asset rows under the header", file=label)
    yield from out


#: property -> (IAR column key, how a value is named: a name property to follow, or None for the value itself)
_PROPERTIES = {
    "gov:owner": ("owners", "foaf:name"),
    "gov:serviceArea": ("units", "rdfs:label"),
    "gov:heldIn": ("systems", "rdfs:label"),
    "gov:sharedWith": ("partners", "rdfs:label|skos:prefLabel"),
    "dpv:hasPersonalData": ("pds", None),
    "dpv:hasLegalBasis": ("bases", None),
    "gov:retentionPeriod": ("rets", None),
    "gov:classification": ("class", None),
    "dpv:hasPurpose": ("purposes", "rdfs:label"),
}
#: A property with more distinct values than this is read on its own (value -> assets), not coded.
_MAX_CODED = 2000


def read_rows(store: Store) -> list[tuple[str, list[str]]]:
    """Every information asset as (IRI, its register row in HEADER order, before CSV quoting).

    The values of the eleven properties are few (hundreds of owners, systems, purposes ...)
    and the assets many, and Oxigraph spends most of its time turning stored terms into
    text. So: one query lists the distinct values of each property; each gets a small
    number, and one more query returns, per asset, its title, description and the numbers
    of its values (joined on stored terms, never written out as text). A property with
    thousands of distinct values (or blank-node values) is read as value -> its assets.
    """
    props = " ".join(_PROPERTIES)
    distinct: dict[str, list] = {}
    for r in store.query(f"SELECT DISTINCT ?p ?v WHERE {{ VALUES ?p {{ {props} }} ?ds ?p ?v }}"):
        distinct.setdefault(r["p"].value, []).append(r["v"])
    coded: list[tuple[str, list[str]]] = []   # code -> (IAR key, texts shown)
    table: list[str] = []
    separate: list[str] = []
    for prop, (key, name) in _PROPERTIES.items():
        values = distinct.get(_expand(prop), [])
        if not values:
            continue
        if len(values) > _MAX_CODED or any(isinstance(v, ox.BlankNode) for v in values):
            separate.append(prop)
            continue
        names = _names(store, values, name) if name else None
        for v in values:
            shown = names.get(v.value, []) if names is not None else [v.value]
            if shown:
                table.append(f"({prop} {v} {len(coded)})")
                coded.append((key, shown))
    codes = (f'OPTIONAL {{ SELECT ?ds (GROUP_CONCAT(STR(?c)) AS ?cs) WHERE {{ VALUES (?p ?v ?c) {{ {" ".join(table)} }} '
             f'?ds ?p ?v }} GROUP BY ?ds }}') if table else ""
    # IRI -> [titles, descriptions, codes of its values ("" for none)]
    assets: dict[str, list] = {}
    for r in store.query(f"""SELECT ?ds ?t ?d ?cs WHERE {{ ?ds a gov:InformationAsset .
                              {codes} OPTIONAL {{ ?ds dcterms:title ?t }} OPTIONAL {{ ?ds dcterms:description ?d }} }}"""):
        a = assets.get(r["ds"].value)
        if a is None:
            cs = r["cs"] if table else None
            a = assets[r["ds"].value] = [[], [], cs.value if cs is not None else ""]
        for i, var in ((0, "t"), (1, "d")):
            term = r[var]
            if term is not None and term.value not in a[i]:
                a[i].append(term.value)
    extra: dict[str, dict[str, list[str]]] = {}   # values of the properties read on their own
    for prop in separate:
        key, name = _PROPERTIES[prop]
        q = f'SELECT ?v (GROUP_CONCAT(DISTINCT STR(?ds); separator=" ") AS ?dss) WHERE {{ ?ds {prop} ?v }} GROUP BY ?v'
        groups = [(r["v"], r["dss"].value) for r in store.query(q)]
        names = _names(store, [v for v, _ in groups], name) if name else None
        for v, dss in groups:
            shown = names.get(v.value, []) if names is not None else [v.value]
            if not shown:
                continue
            for ds in dss.split(" "):
                if ds in assets:
                    extra.setdefault(ds, {}).setdefault(key, []).extend(shown)

    def values_of(cs: str) -> dict[str, list[str]]:
        got: dict[str, list[str]] = {}
        for c in set(cs.split(" ")) if cs else ():
            key, shown = coded[int(c)]
            got.setdefault(key, []).extend(shown)
        return got
    cells_of: dict[str, list[str]] = {}   # most assets share their combination of values with others
    out = []
    for iri in sorted(assets):
        titles, descs, cs = assets[iri]
        if iri in extra:
            got = values_of(cs)
            for key, shown in extra[iri].items():
                got.setdefault(key, []).extend(shown)
            cells = _value_cells(got)
        else:
            cells = cells_of.get(cs)
            if cells is None:
                cells = cells_of[cs] = _value_cells(values_of(cs))
        name = titles[0] if len(titles) == 1 else "; ".join(sorted(set(titles)))
        desc = descs[0] if len(descs) == 1 else "; ".join(sorted(set(descs)))
        out.append((iri, [iri.rsplit("/", 1)[-1], name, desc, *cells]))
    return out


_SPECIAL = str(DPV.SpecialCategoryPersonalData)
_CLASSES = {str(c): n for c, n in CLASSIFICATION_NAMES.items()}
_basis_text = functools.lru_cache(maxsize=None)(format_lawful_basis)


def _value_cells(a: dict[str, list[str]]) -> list[str]:
    """The register cells after Description (Owner ... Purpose) from an asset's values by IAR key."""
    empty: list[str] = []

    def joined(k: str) -> str:
        return "; ".join(sorted(set(a.get(k, empty))))
    pds = a.get("pds", empty)
    cls = min(a["class"]) if "class" in a else None
    return [joined("owners"), joined("units"), joined("systems"), "Y" if pds else "N",
            "Y" if _SPECIAL in pds else "N",
            "; ".join(_basis_text(b) for b in sorted(set(a.get("bases", empty)), key=_basis_text)),
            joined("rets"), joined("partners"), _CLASSES.get(cls, "") if cls else "", joined("purposes")]


def _expand(curie: str) -> str:
    """The full IRI of one of the prefixed names in ``_PROPERTIES``."""
    prefix, local = curie.split(":", 1)
    return str({"gov": GOV, "dpv": DPV}[prefix][local])


def _names(store: Store, values: list, path: str) -> dict[str, list[str]]:
    """The names (via ``path``) of a few hundred distinct values, in one query per 500 values."""
    out: dict[str, list[str]] = {}
    iris = sorted({v.value for v in values if isinstance(v, ox.NamedNode)})
    for i in range(0, len(iris), 500):
        chunk = " ".join(f"<{v}>" for v in iris[i:i + 500])
        for r in store.query(f"SELECT DISTINCT ?v ?name WHERE {{ VALUES ?v {{ {chunk} }} ?v {path} ?name }}"):
            out.setdefault(r["v"].value, []).append(r["name"].value)
    return out


def write_iar(store: Store, out) -> int:
    """Write every information asset in the store as IAR CSV rows to a text file; returns rows."""
    w = CellWriter(out)  # every cell made safe for spreadsheets (govgraph.io.cells)
    w.writerow(HEADER)
    rows = read_rows(store)
    w.writerows(cells for _, cells in rows)
    return len(rows)
