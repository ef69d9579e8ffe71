"""The Information Asset Register in the council column layout of ``govgraph.io.iar``.

Same columns (``HEADER``), cell formats (``format_lawful_basis``, ``CLASSIFICATION_NAMES``)
and row order as ``write_iar``, so the report's CSV equals ``govgraph export --format iar``
and re-imports with ``govgraph load``. It is read differently, for speed on large estates:
one GROUP BY per property (value -> assets), which Oxigraph answers with index scans and
no per-asset joins, instead of one query joining every property of every asset. In HTML
and XLSX, required columns left empty are shown as gaps.
"""
from __future__ import annotations

import datetime as dt
import functools

import pyoxigraph as ox

from govgraph.io.iar import CLASSIFICATION_NAMES, HEADER, format_lawful_basis
from govgraph.ontology.ns import DPV
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.store import Store

#: Columns every asset must fill (personal-data ones only when it holds personal data).
REQUIRED = {"Description", "Owner", "Service area", "System", "Retention", "Classification"}
PERSONAL_REQUIRED = {"Lawful basis"}

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


def read_rows(store: Store) -> list[tuple[str, list[str]]]:
    """Every information asset as (IRI, the row ``write_iar`` writes for it, before CSV quoting)."""
    assets: dict[str, dict[str, list[str]]] = {}
    for r in store.query("""SELECT ?ds ?t ?d WHERE { ?ds a gov:InformationAsset .
                             OPTIONAL { ?ds dcterms:title ?t } OPTIONAL { ?ds dcterms:description ?d } }"""):
        a = assets.setdefault(r["ds"].value, {"title": [], "desc": []})
        for key, var in (("title", "t"), ("desc", "d")):
            term = r[var]
            if term is not None and term.value not in a[key]:
                a[key].append(term.value)
    for prop, (key, name) in _PROPERTIES.items():
        q = f'SELECT ?v (GROUP_CONCAT(DISTINCT STR(?ds); separator=" ") AS ?dss) WHERE {{ ?ds {prop} ?v }} GROUP BY ?v'
        groups = [(r["v"], r["dss"].value) for r in store.query(q)]
        names = _names(store, [v for v, _ in groups], name) if name else None
        for v, dss in groups:
            shown = names.get(v.value, []) if names is not None else [v.value]
            if not shown:
                continue
            for ds in dss.split(" "):
                a = assets.get(ds)
                if a is not None:
                    a.setdefault(key, []).extend(shown)
    special = str(DPV.SpecialCategoryPersonalData)
    classes = {str(c): n for c, n in CLASSIFICATION_NAMES.items()}
    basis_text = functools.lru_cache(maxsize=None)(format_lawful_basis)
    empty: list[str] = []
    out = []
    for iri in sorted(assets):
        a = assets[iri]

        def joined(k: str) -> str:
            return "; ".join(sorted(set(a.get(k, empty))))
        pds = a.get("pds", empty)
        cls = min(a["class"]) if "class" in a else None
        cells = {"Asset ID": iri.rsplit("/", 1)[-1], "Asset name": joined("title"), "Description": joined("desc"),
                 "Owner": joined("owners"), "Service area": joined("units"), "System": joined("systems"),
                 "Personal data": "Y" if pds else "N", "Special category": "Y" if special in pds else "N",
                 "Lawful basis": "; ".join(basis_text(b) for b in sorted(set(a.get("bases", empty)), key=basis_text)),
                 "Retention": joined("rets"), "Shared with": joined("partners"),
                 "Classification": classes.get(cls, "") if cls else "", "Purpose": joined("purposes")}
        out.append((iri, [cells[h] for h in HEADER]))
    return out


def _names(store: Store, values: list, path: str) -> dict[str, list[str]]:
    """The names (via ``path``) of a few hundred distinct values, in one query per 500 values."""
    out: dict[str, list[str]] = {}
    iris = sorted({v.value for v in values if isinstance(v, ox.NamedNode)})
    for i in range(0, len(iris), 500):
        chunk = " ".join(f"<{v}>" for v in iris[i:i + 500])
        for r in store.query(f"SELECT DISTINCT ?v ?name WHERE {{ VALUES ?v {{ {chunk} }} ?v {path} ?name }}"):
            out.setdefault(r["v"].value, []).append(r["name"].value)
    return out


def build(store: Store, on: dt.date) -> Report:
    """Every information asset as one register row; missing required values shown as gaps."""
    col = {h: i for i, h in enumerate(HEADER)}
    rows: list[list[Cell]] = []
    gaps = 0
    for iri, values in read_rows(store):
        personal = values[col["Personal data"]] == "Y"
        row: list[Cell] = []
        for h, v in zip(HEADER, values):
            if not v and (h in REQUIRED or (personal and h in PERSONAL_REQUIRED)):
                row.append(Gap())
                gaps += 1
            else:
                row.append(v)
        name = values[col["Asset name"]]
        row[col["Asset name"]] = Link(name, iri) if name else Gap()
        rows.append(row)
    count = lambda c: sum(1 for r in rows if r[col[c]] == "Y")  # noqa: E731
    summary = [("Information assets", f"{len(rows):,}"), ("Holding personal data", f"{count('Personal data'):,}"),
               ("Special category", f"{count('Special category'):,}"), ("Missing required values", f"{gaps:,}")]
    notes = ["Columns as in the council's Information Asset Register; the CSV equals `govgraph export --format iar` "
             "and re-imports with `govgraph load`.",
             "Required values that are missing are shown as gaps (left empty in the CSV). Lawful basis is "
             "required for assets holding personal data."]
    table = Table("Information Asset Register", list(HEADER), rows, blank_gaps_in_csv=True)
    return Report("iar", "Information Asset Register", dt.date.today(), on, [table], notes, summary)

