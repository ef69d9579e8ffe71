"""Information Asset Register (IAR): its columns and values, and the export in the council layout.

The columns are those UK councils publish. Header names are matched case-, space- and
punctuation-insensitively, with common alternatives (``IAO`` for owner, ``Location`` for
system when there is no System column ...). Reading a register is ``govgraph.io.iar_import``.
"""
from __future__ import annotations

import functools
import re
import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS

from govgraph.io.cells import CellWriter
from govgraph.ontology.ns import DPV, EU_GDPR, GOV
from govgraph.vocabulary import BASIS_BY_NAME, CLASSIFICATION_NAMES, basis_label
from govgraph.store import Store

DEFAULT_BASE = "https://data.county.example.gov.uk/id/"

#: The export header, in the usual council column order.
HEADER = ["Asset ID", "Asset name", "Description", "Owner", "Service area", "System",
          "Personal data", "Special category", "Lawful basis", "Retention", "Shared with",
          "Classification", "Purpose", "Steward", "Review date", "Format", "Location"]

#: Canonical column -> accepted header spellings (normalised: lower case, letters and digits only).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("assetid", "id", "reference", "ref", "assetref", "assetreference"),
    "name": ("assetname", "name", "informationasset", "title", "asset"),
    "description": ("description", "assetdescription", "summary"),
    "owner": ("owner", "informationassetowner", "iao", "assetowner"),
    "steward": ("steward", "datasteward", "informationassetmanager", "iam", "informationassetassistant", "iaa"),
    "service_area": ("servicearea", "service", "department", "directorate", "team"),
    "system": ("system", "systemlocation", "systemorlocation", "locationsystem", "whereheld", "systemname"),
    "personal": ("personaldata", "containspersonaldata", "personal"),
    "special": ("specialcategory", "specialcategorydata", "specialcategorypersonaldata", "sensitivedata"),
    "lawful_basis": ("lawfulbasis", "legalbasis", "lawfulbasisforprocessing"),
    "retention": ("retention", "retentionperiod", "retentionschedule"),
    "shared_with": ("sharedwith", "sharing", "sharedwithpartners", "recipients"),
    "classification": ("classification", "securityclassification", "protectivemarking"),
    "purpose": ("purpose", "purposes", "purposeofprocessing", "processingpurpose", "purposesofprocessing"),
    "review_date": ("reviewdate", "nextreview", "nextreviewdate", "datefornextreview", "reviewby", "review"),
    "format": ("format", "formats", "medium", "formatpaperelectronic"),
    "location": ("location", "storagelocation", "physicallocation", "filelocation"),
}
COLUMN_NAMES = dict(zip(COLUMNS, HEADER[:4])) | {"service_area": "Service area", "system": "System",
                                           "personal": "Personal data", "special": "Special category",
                                           "lawful_basis": "Lawful basis", "classification": "Classification",
                                           "steward": "Steward", "review_date": "Review date"}
REQUIRED = ("name", "description", "owner", "system")

_BASIS_RE = re.compile(r"(?:uk\s*gdpr\s*)?(?:art(?:icle)?\.?\s*)?([69])\s*\(\s*([12])\s*\)\s*\(\s*([a-j])\s*\)", re.I)


def norm_header(header: str) -> str:
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
    if key in BASIS_BY_NAME:
        return BASIS_BY_NAME[key]
    raise ValueError(f"unrecognised lawful basis {text!r} (write e.g. 'UK GDPR Art 6(1)(e)' or 'public task')")


def format_lawful_basis(iri: str) -> str:
    """A DPV GDPR legal basis IRI as the text an IAR uses ("UK GDPR Art 6(1)(e)"): ``vocabulary.basis_label``."""
    return basis_label(iri)


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
    "gov:steward": ("stewards", "foaf:name"),
    "gov:reviewDate": ("reviews", None),
    "dcterms:format": ("formats", None),
    "gov:storageLocation": ("locations", None),
}
#: A property with more distinct values than this is read on its own (value -> assets), not coded.
_MAX_CODED = 2000


def read_rows(store: Store) -> list[tuple[str, list[str]]]:
    """Every information asset as (IRI, its register row in HEADER order, before CSV quoting).

    The values of these properties are few (hundreds of owners, systems, purposes ...)
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
    codes = (f'OPTIONAL {{ SELECT ?ds (GROUP_CONCAT(STR(?c); separator=" ") AS ?cs) WHERE {{ VALUES (?p ?v ?c) {{ {" ".join(table)} }} '
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
            joined("rets"), joined("partners"), _CLASSES.get(cls, "") if cls else "", joined("purposes"),
            joined("stewards"), joined("reviews"), joined("formats"), joined("locations")]


def _expand(curie: str) -> str:
    """The full IRI of one of the prefixed names in ``_PROPERTIES``."""
    prefix, local = curie.split(":", 1)
    return str({"gov": GOV, "dpv": DPV, "dcterms": DCTERMS}[prefix][local])


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
