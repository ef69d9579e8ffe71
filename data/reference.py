"""Reference tables of the synthetic estate generator: what a council's estate is made of.

The tables themselves are data files beside this module (``data/reference/*.json``: service
areas, entities and their columns, systems, partners and sharing, quality metrics and
frequencies); this module gives them their types. Tuning constants (layer shares, defect
kinds, the dates the estate is written for) stay here as code.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

#: Base for every IRI the generator mints (``<BASE><kind>/<slug>``).
BASE = "https://synthetic.example.gov.uk/id/"
#: The check date the estate is written for: measurements fall within 90 days before it.
REFERENCE_DATE = dt.date(2026, 11, 1)
COUNCIL_NAME = "Northmere County Council"

#: Namespaces (mirroring ``ontology/ns.py``); the generator needs no rdflib.
NAMESPACES: dict[str, str] = {
    "gov": "https://w3id.org/govgraph#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "dpv": "https://w3id.org/dpv#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "freq": "http://publications.europa.eu/resource/authority/frequency/",
}
#: IRI kind (path segment under BASE) -> Turtle prefix used for it.
ID_PREFIXES: dict[str, str] = {
    "org": "council", "unit": "unit", "person": "person", "partner": "partner",
    "system": "system", "dataset": "ds", "field": "field", "flow": "flow",
    "agreement": "agreement", "standard": "std", "term": "term", "purpose": "purpose",
    "quality": "quality", "dpia": "dpia", "ethics": "ethics", "community": "community",
}

DATASET_DEFECTS = (
    "missing_owner", "no_steward", "owner_left", "no_classification", "missing_title",
    "missing_description", "no_theme", "no_frequency", "no_system", "off_system_spreadsheet",
    "no_access_group", "no_purpose", "no_lawful_basis", "no_dpia", "no_ethics",
    "key_identifier_no_scheme", "no_quality_target", "measurement_below_target",
    "stale_measurement", "report_no_source", "lineage_orphan", "duplicate_master",
)
FLOW_DEFECTS = ("no_agreement", "expired_agreement", "no_art9_condition")
AGREEMENT_DEFECTS = ("agreement_review_overdue", "agreement_no_lawful_basis")
DEFECT_KINDS = DATASET_DEFECTS + FLOW_DEFECTS + AGREEMENT_DEFECTS


# --------------------------------------------------------------------------------------
# Reference vocabularies (types here, rows in data/reference/*.json)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column a dataset about an entity can have; ``standard`` makes it a key identifier."""
    slug: str
    label: str
    dtype: str = "text"
    standard: str | None = None


@dataclass(frozen=True)
class Unit:
    """A service area (or team) with what its personal-data processing rests on."""
    slug: str
    label: str
    purpose: str = ""
    art6: str = "eu-gdpr:A6-1-e"
    art9: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Entity:
    """A real-world thing datasets record, with its home system and columns."""
    slug: str
    label: str
    unit: str
    system: str
    records: tuple[str, ...]
    columns: tuple[Column, ...]
    subject: str | None = None          # DPV data subject; None = not personal data
    special: bool = False
    retention: str = "6 years"
    weight: int = 1


@dataclass(frozen=True)
class SystemSpec:
    """A named system of the estate."""
    slug: str
    label: str
    cls: str
    vendor: str
    hosting: str
    unit: str
    description: str
    operated_by: str | None = None
    part_of: str | None = None


@dataclass(frozen=True)
class SharingRow:
    """A sharing relationship between a service area and a partner (one agreement)."""
    unit: str
    partner: str
    purpose: str
    art9: str | None
    outbound: bool = True               # source datasets of the unit may be shared

    @property
    def slug(self) -> str:
        return f"{self.unit}-{self.partner}"


@dataclass(frozen=True)
class ReturnSpec:
    """A statutory return the council submits."""
    slug: str
    label: str
    entity: str
    partner: str
    target_system: str | None
    aggregated: bool
    frequency: str
    row: str


def _tuples(value: Any) -> Any:
    """JSON lists as tuples, all the way down (the tables are immutable)."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _table(name: str) -> dict[str, Any]:
    """One reference file, its lists as tuples."""
    text = resources.files("govgraph.data").joinpath("reference", name).read_text("utf-8")
    return {k: v for k, v in _tuples(json.loads(text)).items() if k != "about"}


def _column(row: dict[str, Any]) -> Column:
    return Column(**row)


_ORGANISATION = _table("organisation.json")
_ENTITIES = _table("entities.json")
_SYSTEMS = _table("systems.json")
_PARTNERS = _table("partners.json")
_QUALITY = _table("quality.json")

NHS, UPRN, USRN, UPN, GSS, DOB, RECORD_COUNT = (_column(_ENTITIES[k]) for k in
                                                ("nhs", "uprn", "usrn", "upn", "gss", "dob", "record_count"))
HOSTING: tuple[str, ...] = _SYSTEMS["hosting"]

UNITS: tuple[Unit, ...] = tuple(Unit(**u) for u in _ORGANISATION["units"])
UNIT_INDEX = {u.slug: i for i, u in enumerate(UNITS)}
DATA_UNITS = tuple(u for u in UNITS if u.purpose)

#: Purposes besides each service area's own (slug, label, description).
EXTRA_PURPOSES: tuple[tuple[str, str, str], ...] = _ORGANISATION["extra_purposes"]
#: slug, label, notation, description, homepage
STANDARDS: tuple[tuple[str, str, str, str, str | None], ...] = _ORGANISATION["standards"]

ENTITIES: tuple[Entity, ...] = tuple(
    Entity(**{**e, "columns": tuple(_column(c) for c in e["columns"])}) for e in _ENTITIES["entities"])
ENTITY_INDEX = {e.slug: i for i, e in enumerate(ENTITIES)}
#: Entity indices repeated by weight, for weighted picks with one random number.
ENTITY_BAG = tuple(i for i, e in enumerate(ENTITIES) for _ in range(e.weight))

CORE_SYSTEMS: tuple[SystemSpec, ...] = tuple(SystemSpec(**s) for s in _SYSTEMS["core_systems"])
EXTRA_SYSTEM_KINDS: tuple[str, ...] = _SYSTEMS["extra_system_kinds"]
VENDORS: tuple[str, ...] = _SYSTEMS["vendors"]

#: (slug, name) of the partners every estate has.
CORE_PARTNERS: tuple[tuple[str, str], ...] = _PARTNERS["core_partners"]
DISTRICTS: tuple[str, ...] = _PARTNERS["districts"]
#: Extra partners added per 10,000 datasets: (name suffix, unit, purpose, Art 9 condition).
EXTRA_PARTNER_KINDS: tuple[tuple[str, str, str, str | None], ...] = _PARTNERS["extra_partner_kinds"]
PLACES: tuple[str, ...] = _PARTNERS["places"]
CORE_SHARING: tuple[SharingRow, ...] = tuple(SharingRow(**r) for r in _PARTNERS["core_sharing"])
RETURNS: tuple[ReturnSpec, ...] = tuple(ReturnSpec(**r) for r in _PARTNERS["returns"])
#: Fixed system-level flows written once the entity's master dataset exists:
#: (entity, label, source kind, source slug, target kind, target slug, mechanism, sharing row).
SYSTEM_FLOWS: tuple[tuple[str, ...], ...] = _PARTNERS["system_flows"]

FIRST_NAMES: tuple[str, ...] = _ORGANISATION["first_names"]
SURNAMES: tuple[str, ...] = _ORGANISATION["surnames"]
STAFF_TITLES: tuple[str, ...] = _ORGANISATION["staff_titles"]
TECH_TITLES: tuple[str, ...] = _ORGANISATION["tech_titles"]
METRICS: tuple[str, ...] = _QUALITY["metrics"]
TARGETS_MILLI: tuple[int, ...] = _QUALITY["targets_milli"]
SOURCE_FREQUENCIES: tuple[str, ...] = _QUALITY["source_frequencies"]
REPORT_FREQUENCIES: tuple[str, ...] = _QUALITY["report_frequencies"]
SHARE_MECHANISMS: tuple[str, ...] = _QUALITY["share_mechanisms"]
SHARE_FREQUENCIES: tuple[str, ...] = _QUALITY["share_frequencies"]

#: Share of datasets in each lineage layer (reports take the remainder).
LAYER_SHARES = (("source", 0.40), ("staging", 0.20), ("warehouse", 0.15), ("mart", 0.10), ("return", 0.03))
KEY_SHARE = 0.05        # share of other source and warehouse datasets that are key datasets
SHARE_PROBABILITY = 0.05  # share of source datasets (in units with partners) shared outbound
AGGREGATED_MART_SHARE = 0.7

# Per-dataset flag bits.
PERSONAL, SPECIAL, AGGREGATED, CARRIED_TO_DWH, CARRIED_TO_BI = 1, 2, 4, 8, 16


def dates_from(start: dt.date, days: int, step: int = 1) -> tuple[str, ...]:
    return tuple((start + dt.timedelta(days=d)).isoformat() for d in range(0, days, step))


#: Measurement times within 90 days before the reference date, and stale ones (before 2025-10).
RECENT_TIMES = tuple(f"{d}T00:00:00Z" for d in dates_from(REFERENCE_DATE - dt.timedelta(days=85), 85))
STALE_TIMES = tuple(f"{d}T00:00:00Z" for d in dates_from(dt.date(2025, 3, 1), 210, 7))
LEFT_DATES = dates_from(dt.date(2024, 1, 15), 700, 9)
ASSESSMENT_DATES = dates_from(dt.date(2024, 2, 1), 600, 13)


def slugify(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(filter(None, out.split("-")))


def unit_named(slug: str) -> Unit:
    return UNITS[UNIT_INDEX[slug]]


def purpose_label(slug: str) -> str:
    for u in DATA_UNITS:
        if u.slug == slug:
            return u.purpose
    return next(label for s, label, _ in EXTRA_PURPOSES if s == slug)
