"""Record of processing activities (UK GDPR Article 30), one row per processing purpose.

A dataset belongs to a purpose when it holds personal data and names the purpose
(``dpv:hasPurpose``), or when a flow carries it under a sharing agreement made for that
purpose. Personal data with no purpose at all gets its own row, shown as a gap. Every
column is aggregated in SPARQL (one query for the datasets, one for the agreements).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from govgraph.ontology.ns import DPV, GG
from govgraph.reports.common import (council, date_of, few, is_art9, label_links, plural, sorted_links, split,
                                     term_text)
from govgraph.reports.model import Cell, Gap, Link, Report, Table
from govgraph.store import Store

NO_PURPOSE = str(GG["report:no-purpose"])

COLUMNS = ["Purpose", "Description", "Controller", "Personal-data datasets", "Systems", "Data subjects",
           "Personal data categories", "Recipients", "Sharing agreements", "Transfers outside the UK",
           "Retention", "Security measures", "Lawful basis (Art 6)", "Art 9 condition", "DPIA"]

#: (dataset, purpose) pairs: personal data with its own purpose, or carried under an agreement's
#: purpose, or with no purpose at all. Patterns are ordered most selective first and gaps use
#: MINUS rather than FILTER NOT EXISTS: Oxigraph runs them as scans and hash joins, not lookups.
_PAIRS = f"""{{ SELECT DISTINCT ?ds ?purpose WHERE {{
      {{ ?ds dpv:hasPurpose ?purpose }}
      UNION {{ ?f0 gov:coveredBy ?a0 . ?a0 dpv:hasPurpose ?purpose . ?f0 gov:carries ?ds }}
      UNION {{ ?ds dpv:hasPersonalData ?pd0 MINUS {{ ?ds dpv:hasPurpose ?p1 }} BIND(<{NO_PURPOSE}> AS ?purpose) }}
      MINUS {{ {{ ?ds a dcat:Dataset }} UNION {{ ?ds dpv:hasPurpose ?p2 }} MINUS {{ ?ds dpv:hasPersonalData ?pd2 }} }}
    }} }}"""

_A9 = 'STRSTARTS(STR(?b), "https://w3id.org/dpv/legal/eu/gdpr#A9-")'
#: One pattern per ROPA fact: binds ?ds and ?value ("" for the gap counts).
_FACTS: dict[str, str] = {
    "datasets": '?ds dpv:hasPersonalData ?x BIND("" AS ?value)',
    "pd": "?ds dpv:hasPersonalData ?value",
    "subject": "?ds dpv:hasDataSubject ?value",
    "retention": "?ds gov:retentionPeriod ?value",
    "class": "?ds gov:classification ?value",
    "access": "?ds gov:accessGroup ?value",
    "basis": "?ds dpv:hasLegalBasis ?value",
    "dpia": "?ds gov:hasDPIA ?value",
    "system": "?ds gov:heldIn ?value",
    "recipient": "{ ?ds gov:sharedWith ?value } UNION { ?ds gov:submittedTo ?value }"
                 " UNION { ?value a gov:Partner . ?flow gov:target ?value ; gov:carries ?ds }"
                 " UNION { ?value a gov:Partner . ?sys gov:operatedBy ?value . ?flow gov:target ?sys ; gov:carries ?ds }"
                 " UNION { ?value a gov:Partner . ?sys gov:operatedBy ?value . ?tds gov:heldIn ?sys ."
                 " ?flow gov:target ?tds ; gov:carries ?ds }",
    "highRisk": '?ds gov:highRisk true BIND("" AS ?value)',
    "noRetention": '?ds dpv:hasPersonalData ?x MINUS { ?ds gov:retentionPeriod ?r } BIND("" AS ?value)',
    "noClass": '?ds dpv:hasPersonalData ?x MINUS { ?ds gov:classification ?c } BIND("" AS ?value)',
    "noBasis": f'?ds dpv:hasPersonalData ?x MINUS {{ ?ds dpv:hasLegalBasis ?b FILTER(!{_A9}) }} BIND("" AS ?value)',
    "noArt9": f'?ds dpv:hasPersonalData dpv:SpecialCategoryPersonalData '
              f'MINUS {{ ?ds dpv:hasLegalBasis ?b FILTER({_A9}) }} BIND("" AS ?value)',
    "noDpia": '?ds gov:highRisk true MINUS { ?ds gov:hasDPIA ?d } BIND("" AS ?value)',
}


def _datasets_query(props: list[str]) -> str:
    """Per purpose, per fact and value: how many personal-data datasets (one UNION branch per fact)."""
    branches = "\n  UNION ".join(f'{{ {_FACTS[p]} BIND("{p}" AS ?prop) }}' for p in props)
    return f"SELECT ?purpose ?prop ?value (COUNT(DISTINCT ?ds) AS ?n) WHERE {{\n  {branches}\n  {_PAIRS}\n}} GROUP BY ?purpose ?prop ?value"


_AGREEMENTS = """
SELECT ?purpose ?a (GROUP_CONCAT(DISTINCT STR(?p); separator=" ") AS ?parties)
       (GROUP_CONCAT(DISTINCT STR(?b); separator=" ") AS ?bases) WHERE {
  ?a a gov:SharingAgreement ; dpv:hasPurpose ?purpose .
  OPTIONAL { ?a gov:party ?p . ?p a gov:Partner } OPTIONAL { ?a dpv:hasLegalBasis ?b }
} GROUP BY ?purpose ?a"""

_PURPOSES = """SELECT ?p (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?desc) WHERE {
  ?p a gov:ProcessingPurpose . OPTIONAL { ?p rdfs:label|skos:prefLabel ?l } OPTIONAL { ?p dcterms:description ?d }
} GROUP BY ?p"""

_DPIAS = "SELECT ?d (SAMPLE(?at) AS ?date) WHERE { ?d a gov:DPIA OPTIONAL { ?d gov:assessmentDate ?at } } GROUP BY ?d"


@dataclass
class _Purpose:
    """What the queries found for one purpose: value -> dataset count, per property."""
    values: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    agreements: set[str] = field(default_factory=set)
    partners: set[str] = field(default_factory=set)
    agreement_bases: set[str] = field(default_factory=set)

    def count(self, prop: str) -> int:
        return sum(self.values.get(prop, {}).values())

    def vals(self, prop: str) -> list[str]:
        return sorted(self.values.get(prop, {}))


def build(store: Store, on: dt.date) -> Report:
    """The Article 30 record of processing, from the graph, with every missing item shown as a gap."""
    purposes: dict[str, _Purpose] = defaultdict(_Purpose)
    for r in store.select(_datasets_query(list(_FACTS))):
        purposes[str(r["purpose"])].values[str(r["prop"])][str(r["value"])] = int(r["n"])
    for r in store.select(_AGREEMENTS):
        p = purposes[str(r["purpose"])]
        p.agreements.add(str(r["a"]))
        p.partners.update(split(r.get("parties")))
        p.agreement_bases.update(split(r.get("bases")))
    purposes = defaultdict(_Purpose, {i: p for i, p in purposes.items() if p.count("datasets")})
    declared = {str(r["p"]): r for r in store.select(_PURPOSES)}
    dpia_dates = {str(r["d"]): date_of(r.get("date")) for r in store.select(_DPIAS)}
    controller = council(store)

    iris = set(purposes) | set(declared)
    for p in purposes.values():
        iris |= p.agreements | p.partners
        for prop in ("system", "recipient", "dpia"):
            iris |= set(p.vals(prop))
    found = label_links(store, iris - {NO_PURPOSE})

    rows: list[list[Cell]] = []
    for iri, p in purposes.items():
        if iri == NO_PURPOSE:
            name: Cell = Gap("— no purpose recorded —")
            desc: Cell = "Personal data held without a recorded processing purpose (principle 12)."
        else:
            d = declared.get(iri)
            name = found[iri]
            desc = str(d["desc"]) if d is not None and "desc" in d else Gap()
        rows.append([name, desc, controller or Gap(), p.count("datasets"), few(list(sorted_links(found, p.vals("system")))),
                     _terms(p.vals("subject")), _terms(p.vals("pd")), _recipients(p, found),
                     sorted_links(found, p.agreements) or "None", "None recorded",
                     _retention(p), _security(p), _lawful_basis(p), _art9(p), _dpia(p, found, dpia_dates)])
    rows.sort(key=lambda r: (isinstance(r[0], Gap), str(r[0]).lower()))
    unused = sorted(found[i].text for i in declared if i not in purposes)
    notes = [
        "One row per processing purpose. A dataset counts under a purpose when it holds personal data and "
        "names the purpose, or when a flow carries it under a sharing agreement made for that purpose.",
        "Recipients are partners the data is shared with (gov:sharedWith, statutory returns, flows to partners "
        "or partner-run systems) and the partner parties of sharing agreements for the purpose.",
        "Transfers outside the UK: the graph records no third-country partners, so none are recorded.",
        "Gaps (— … —) are items the graph should hold but does not; counts say how many datasets lack them.",
    ]
    if unused:
        notes.append(f"Purposes with no personal data processing recorded (not listed): {', '.join(unused)}.")
    total = store.select("SELECT (COUNT(DISTINCT ?ds) AS ?n) WHERE { ?ds dpv:hasPersonalData ?pd }")
    summary = [("Controller", str(controller) if controller else "— not recorded —"),
               ("Processing purposes", str(sum(1 for i in purposes if i != NO_PURPOSE))),
               ("Datasets holding personal data", f"{int(total[0]['n']):,}"),
               ("Personal-data datasets with no purpose", f"{purposes[NO_PURPOSE].count('datasets'):,}"
                if NO_PURPOSE in purposes else "0")]
    return Report("ropa", "Record of processing activities (UK GDPR Article 30)", dt.date.today(), on,
                  [Table("Processing activities", COLUMNS, rows)], notes, summary)


def _terms(iris: list[str]) -> Cell:
    return tuple(sorted({term_text(i) for i in iris})) or Gap()


def _recipients(p: _Purpose, found: dict[str, Link]) -> Cell:
    return sorted_links(found, set(p.vals("recipient")) | p.partners) or "None recorded"


def _retention(p: _Purpose) -> Cell:
    missing = p.count("noRetention")
    parts: tuple = few(p.vals("retention"), 6, "other periods")
    if missing:
        parts += (Gap(f"— not recorded for {missing:,} of {p.count('datasets'):,} datasets —"),)
    return parts or Gap()


def _security(p: _Purpose) -> Cell:
    parts: tuple = tuple(term_text(c) for c in p.vals("class"))
    groups = p.vals("access")
    if groups:
        parts += ("access groups: " + ", ".join(few(groups, 6, "more")),)
    missing = p.count("noClass")
    if missing:
        parts += (Gap(f"— no classification for {plural(missing, 'dataset')} —"),)
    return parts or Gap()


def _lawful_basis(p: _Purpose) -> Cell:
    bases = {b for b in p.vals("basis") if not is_art9(b)} | {b for b in p.agreement_bases if not is_art9(b)}
    parts: tuple = tuple(term_text(b) for b in sorted(bases))
    missing = p.count("noBasis")
    if missing:
        parts += (Gap(f"— no lawful basis recorded for {missing:,} of {p.count('datasets'):,} datasets —"),)
    return parts or Gap()


def _art9(p: _Purpose) -> Cell:
    special = p.values.get("pd", {}).get(str(DPV.SpecialCategoryPersonalData), 0)
    conds = {b for b in p.vals("basis") if is_art9(b)} | {b for b in p.agreement_bases if is_art9(b)}
    if not special:
        return tuple(term_text(b) for b in sorted(conds)) or "Not applicable (no special category data)"
    parts: tuple = tuple(term_text(b) for b in sorted(conds))
    missing = p.count("noArt9")
    if missing:
        parts += (Gap(f"— no Art 9 condition for {plural(missing, 'special category dataset')} —"),)
    return parts or Gap()


def _dpia(p: _Purpose, found: dict[str, Link], dates: dict[str, dt.date | None]) -> Cell:
    parts: list = []
    for link in sorted_links(found, p.vals("dpia")):
        when = dates.get(link.iri)
        parts.append(Link(f"{link.text} ({when.isoformat()})" if when else link.text, link.iri))
    missing = p.count("noDpia")
    if missing:
        parts.append(Gap(f"— missing for {plural(missing, 'high-risk dataset')} —"))
    if not parts:
        return "Not required (no high-risk processing recorded)"
    return tuple(parts)
