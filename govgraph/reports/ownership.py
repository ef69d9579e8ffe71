"""Ownership: per owner and per service area, what they own and the open findings on it, plus the gaps.

Assets are datasets (with reports and statutory returns), systems and sharing
agreements. Every asset needs an owner (principle 7); datasets also need a steward.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from govgraph.kinds import kind_of
from govgraph.labels import KIND_LABELS, term_label
from govgraph.reports.common import date_of, few, label_links, sorted_links, split
from govgraph.reports.findings import OpenFindings, open_findings
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.store import Store

_ASSETS = """
SELECT ?a (GROUP_CONCAT(DISTINCT COALESCE(STR(?t), ""); separator=" ") AS ?types)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?o), ""); separator=" ") AS ?owners)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?s), ""); separator=" ") AS ?stewards)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?u), ""); separator=" ") AS ?areas)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?h), ""); separator=" ") AS ?systems)
  (MAX(COALESCE(STR(?f), "")) AS ?form)
WHERE {
  VALUES ?kind { dcat:Dataset gov:System gov:DataWarehouse gov:DataLake gov:Database gov:DocumentStore
                 gov:SharingAgreement }
  ?a a ?kind . FILTER(isIRI(?a))  # a blank-node asset has no IRI to list or link
  { ?a a ?t } UNION { ?a gov:owner ?o } UNION { ?a gov:steward ?s } UNION { ?a gov:serviceArea ?u }
  UNION { ?a gov:heldIn ?h } UNION { ?a gov:storageForm ?f }
} GROUP BY ?a"""

_PEOPLE = """
SELECT ?p (MAX(COALESCE(STR(?title), "")) AS ?job) (MAX(COALESCE(STR(?left), "")) AS ?leftOn)
  (GROUP_CONCAT(DISTINCT COALESCE(STR(?unit), ""); separator=" ") AS ?units)
WHERE { ?p a foaf:Person . { ?p gov:jobTitle ?title } UNION { ?p gov:leftOn ?left } UNION { ?p org:memberOf ?unit }
} GROUP BY ?p"""

OWNER_COLUMNS = ["Owner", "Job title", "Team", "Status", "Datasets", "Systems", "Agreements",
                 "Datasets without steward", "Open violations", "Open warnings", "Owns"]
AREA_COLUMNS = ["Service area", "Assets", "Owners", "Without owner", "Datasets without steward",
                "Owner has left", "Open violations", "Open warnings"]
ASSET_COLUMNS = ["Asset", "Kind", "Owner", "Service area", "Held in", "Storage", "Open violations", "Open warnings"]


@dataclass
class Asset:
    """One owned (or unowned) thing with its roles."""
    iri: str
    kind: str
    owners: list[str]
    stewards: list[str]
    areas: list[str]
    systems: list[str]
    form: str

    @property
    def is_dataset(self) -> bool:
        return self.kind in ("dataset", "report", "return")


def read_assets(store: Store) -> list[Asset]:
    """Every dataset, system and agreement with its owners, stewards, service areas and systems (one query)."""
    out = []
    for r in store.select(_ASSETS):
        kind = kind_of(split(r.get("types")))
        out.append(Asset(str(r["a"]), kind, split(r.get("owners")), split(r.get("stewards")),
                         split(r.get("areas")), split(r.get("systems")), str(r.get("form", ""))))
    return out


def build(store: Store, on: dt.date) -> Report:
    """The ownership report on date ``on`` (an owner whose leftOn is on or before it has left)."""
    assets = read_assets(store)
    people = {str(r["p"]): r for r in store.select(_PEOPLE)}
    left = {p: d for p, r in people.items() if (d := date_of(r.get("leftOn"))) is not None and d <= on}
    findings = open_findings(store, on)
    iris = {a.iri for a in assets} | set(people)
    for a in assets:
        iris.update(a.owners, a.areas, a.systems)
    for r in people.values():
        iris.update(split(r.get("units")))
    found = label_links(store, iris)

    tables = [
        Table("By owner", OWNER_COLUMNS, _by_owner(assets, people, left, findings, found),
              ["Status 'left' means the owner's leaving date is on or before the report date."]),
        Table("By service area", AREA_COLUMNS, _by_area(assets, left, findings, found)),
        Table("Assets with no owner", ASSET_COLUMNS,
              _asset_rows([a for a in assets if not a.owners], findings, found),
              ["Principle 7: every asset has an Information Asset Owner."]),
        Table("Datasets with no steward", ASSET_COLUMNS,
              _asset_rows([a for a in assets if a.is_dataset and not a.stewards], findings, found),
              ["Principle 7: every dataset has a steward (quality lead)."]),
        Table("Owned only by people who have left", ASSET_COLUMNS,
              _asset_rows([a for a in assets if a.owners and all(o in left for o in a.owners)], findings, found)),
    ]
    summary = [("Assets", f"{len(assets):,}"), ("Owners", f"{len({o for a in assets for o in a.owners}):,}")]
    summary += [(t.title, f"{len(t.rows):,}") for t in tables[2:]]
    notes = [f"Open findings: violations and warnings from the {findings.source}."]
    return Report("ownership", "Ownership and stewardship", dt.date.today(), on, tables, notes, summary)


def _by_owner(assets: list[Asset], people: dict, left: dict[str, dt.date], findings: OpenFindings,
              found: dict[str, Link]) -> list[list[Cell]]:
    owned: dict[str, list[Asset]] = defaultdict(list)
    for a in assets:
        for o in a.owners:
            owned[o].append(a)
    rows = []
    for o, items in owned.items():
        p = people.get(o)
        kinds = defaultdict(int)
        for a in items:
            kinds["dataset" if a.is_dataset else a.kind] += 1
        v, w = findings.of(a.iri for a in items)
        status = f"left on {left[o].isoformat()}" if o in left else ("current" if p is not None else "not a person")
        rows.append([found[o], (str(p["job"]) or Gap()) if p is not None else Gap(),
                     sorted_links(found, split(p.get("units"))) or Gap() if p is not None else Gap(), status,
                     kinds["dataset"], kinds["system"], kinds["agreement"],
                     sum(1 for a in items if a.is_dataset and not a.stewards), v, w,
                     few(list(sorted_links(found, [a.iri for a in items])), 8, "more")])
    rows.sort(key=lambda r: str(r[0]).lower())
    return rows


def _by_area(assets: list[Asset], left: dict[str, dt.date], findings: OpenFindings,
             found: dict[str, Link]) -> list[list[Cell]]:
    by: dict[str, list[Asset]] = defaultdict(list)
    for a in assets:
        for u in a.areas or [""]:
            by[u].append(a)
    rows = []
    for u, items in by.items():
        v, w = findings.of(a.iri for a in items)
        rows.append([found[u] if u else Gap("— no service area recorded —"), len(items),
                     len({o for a in items for o in a.owners}), sum(1 for a in items if not a.owners),
                     sum(1 for a in items if a.is_dataset and not a.stewards),
                     sum(1 for a in items if a.owners and all(o in left for o in a.owners)), v, w])
    rows.sort(key=lambda r: (isinstance(r[0], Gap), str(r[0]).lower()))
    return rows


def _asset_rows(items: list[Asset], findings: OpenFindings, found: dict[str, Link]) -> list[list[Cell]]:
    rows = []
    for a in sorted(items, key=lambda a: (found[a.iri].text.lower(), a.iri)):
        v, w = findings.of([a.iri])
        rows.append([found[a.iri], KIND_LABELS.get(a.kind, a.kind), sorted_links(found, a.owners) or Gap(),
                     sorted_links(found, a.areas) or Gap(),
                     sorted_links(found, a.systems) or (Gap() if a.is_dataset else ""),
                     term_label(a.form)[0] if a.form else "", v, w])
    return rows
