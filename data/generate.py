"""Synthetic council estate generator.

Writes a fictional county council's data estate, shaped like the sample estate and
modelled as ``docs/modelling.md`` describes, at any size: a council and its service
areas, people, systems (a data warehouse, Power BI, partner-run systems), partners,
sharing agreements, standards, a glossary, processing purposes, DPIAs, ethics
assessments, datasets with fields, layered lineage (source -> staging -> warehouse ->
marts -> reports and statutory returns), flows and data quality targets.

With ``defect_rate=0`` every dataset, flow and agreement passes the checks listed in
``DOMAIN.md`` (for check date :data:`REFERENCE_DATE`; dates that must be in the past or
future hold for any check date from 2026-01-01). With ``defect_rate=R`` about that
share of datasets, of flows carrying personal data across the boundary, and of
sharing agreements each get one defect of a kind from :data:`DATASET_DEFECTS`,
:data:`FLOW_DEFECTS` or :data:`AGREEMENT_DEFECTS`.

Output streams to disk: only a few bytes per dataset are kept in memory (entity, width,
flags, per-layer index arrays), so a million datasets fit in a few hundred MB. The file
is written to a temporary name in the target folder and renamed when complete.

Run as ``python -m govgraph.data.generate --datasets N --seed S --defect-rate R -o FILE``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import random
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence, TextIO

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
# Reference vocabularies
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


NHS = Column("nhs_number", "NHS number", "text", "nhs-number")
UPRN = Column("uprn", "UPRN", "text", "uprn")
USRN = Column("usrn", "USRN", "text", "usrn")
UPN = Column("upn", "Unique Pupil Number", "text", "upn")
GSS = Column("gss_code", "GSS area code", "text", "gss")
DOB = Column("date_of_birth", "Date of birth", "date")
RECORD_COUNT = Column("record_count", "Record count", "integer")

HOSTING = ("on premises", "supplier cloud (SaaS)", "council cloud tenancy")

UNITS: tuple[Unit, ...] = (
    Unit("childrens-services", "Children's Services", "Children's social care case management",
         art9="eu-gdpr:A9-2-h"),
    Unit("adult-social-care", "Adult Social Care", "Adult social care assessment and support",
         art9="eu-gdpr:A9-2-h"),
    Unit("education", "Education and Skills", "Education provision and school admissions",
         art9="eu-gdpr:A9-2-g"),
    Unit("highways", "Highways and Transport", "Highway maintenance"),
    Unit("finance", "Finance", "Financial management and payments"),
    Unit("hr", "Human Resources", "Employment and workforce management", art6="eu-gdpr:A6-1-b",
         art9="eu-gdpr:A9-2-b"),
    Unit("customer-services", "Customer Services", "Customer contact handling"),
    Unit("libraries", "Libraries", "Library lending services"),
    Unit("planning", "Planning", "Determining planning applications"),
    Unit("electoral-services", "Electoral Services", "Maintaining the electoral register",
         art6="eu-gdpr:A6-1-c"),
    Unit("property", "Property and GIS", "Land, property and address management"),
    Unit("public-health", "Public Health", "Public health intelligence"),
    Unit("ict", "ICT and Digital"),
    Unit("business-intelligence", "Business Intelligence", parent="ict"),
)
UNIT_INDEX = {u.slug: i for i, u in enumerate(UNITS)}
DATA_UNITS = tuple(u for u in UNITS if u.purpose)

#: Purposes besides each service area's own (slug, label, description).
EXTRA_PURPOSES = (
    ("statutory-returns", "Statutory returns to government",
     "Submitting returns the council is required by law to make to government departments."),
    ("safeguarding", "Multi-agency safeguarding",
     "Sharing information with partners in the multi-agency safeguarding hub to protect children."),
    ("integrated-care", "Integrated health and social care",
     "Planning and delivering joined-up care with NHS partners."),
    ("address-maintenance", "Address gazetteer maintenance",
     "Keeping the local land and property gazetteer accurate and shared."),
    ("analytics", "Analytics and performance reporting",
     "Analysing service data to plan services and report performance."),
)

#: slug, label, notation, description, homepage
STANDARDS = (
    ("uprn", "Unique Property Reference Number (UPRN)", "UPRN",
     "The unique identifier for every addressable location in Great Britain.",
     "https://www.geoplace.co.uk/addresses-streets/location-data/the-uprn"),
    ("bs7666", "BS 7666 addressing", "BS 7666",
     "The British Standard for spatial datasets of land and property and streets.", None),
    ("usrn", "Unique Street Reference Number (USRN)", "USRN",
     "The unique identifier for every street in Great Britain.", None),
    ("nhs-number", "NHS number", "NHS number", "The unique number for each patient in the NHS.", None),
    ("upn", "Unique Pupil Number (UPN)", "UPN",
     "The identifier given to each pupil in England's state schools.", None),
    ("iso-8601", "ISO 8601 dates and times", "ISO 8601",
     "The international standard for writing dates and times.",
     "https://www.iso.org/iso-8601-date-and-time-format.html"),
    ("gss", "GSS statistical area codes", "GSS",
     "Nine-character codes for statistical and administrative areas.", None),
    ("open-referral-uk", "Open Referral UK", "ORUK",
     "The data standard for directories of local services.", "https://openreferraluk.org/"),
    ("360giving", "360Giving data standard", "360Giving",
     "The standard for publishing information about grants.", "https://www.threesixtygiving.org/"),
)


def _cols(*specs: Column | tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    """Columns from Column objects or short (slug, label[, type]) tuples."""
    return tuple(s if isinstance(s, Column) else Column(*s) for s in specs)


ENTITIES: tuple[Entity, ...] = (
    Entity("child", "Child", "childrens-services", "mosaic",
           ("child referrals", "child protection plans", "looked-after children episodes",
            "care placements", "single assessments"),
           _cols(NHS, ("person_id", "Mosaic person ID"), DOB, ("ethnicity", "Ethnicity"), UPRN,
                 ("referral_date", "Referral date", "date"), ("legal_status", "Legal status")),
           "dpv:Child", True, "Until the child's 75th birthday", 3),
    Entity("adult", "Adult", "adult-social-care", "mosaic",
           ("adult care assessments", "care and support plans", "safeguarding enquiries", "reviews"),
           _cols(NHS, ("person_id", "Mosaic person ID"), DOB,
                 ("primary_support_reason", "Primary support reason"), UPRN,
                 ("assessment_date", "Assessment date", "date")),
           "dpv:Adult", True, "8 years after case closure", 3),
    Entity("care_package", "Care package", "adult-social-care", "controcc",
           ("care packages", "provider payments", "client contributions"),
           _cols(NHS, ("package_id", "Package ID"), ("service_type", "Service type"),
                 ("weekly_cost", "Weekly cost", "decimal"), ("start_date", "Start date", "date")),
           "dpv:Adult", True, "8 years after the package ends", 2),
    Entity("pupil", "Pupil", "education", "capita-one",
           ("pupil records", "admissions", "exclusions", "special educational needs plans"),
           _cols(UPN, DOB, ("school_urn", "School URN"), ("sen_status", "SEN status"), UPRN,
                 ("fsm_eligible", "Free school meals eligible", "boolean")),
           "dpv:Student", True, "25 years from date of birth", 3),
    Entity("employee", "Employee", "hr", "sap",
           ("employee records", "sickness absence", "payroll", "recruitment"),
           _cols(("employee_number", "Employee number"), ("job_title", "Job title"), ("grade", "Grade"),
                 ("start_date", "Start date", "date"), ("absence_days", "Absence days", "integer"),
                 ("ethnicity", "Ethnicity")),
           "dpv:Employee", True, "6 years after employment ends", 2),
    Entity("supplier", "Supplier", "finance", "sap", ("supplier master", "supplier contracts"),
           _cols(("supplier_number", "Supplier number"), ("supplier_name", "Supplier name"),
                 ("company_number", "Company number"), UPRN, ("payment_terms", "Payment terms"))),
    Entity("invoice", "Invoice", "finance", "sap", ("invoices", "purchase orders", "payments"),
           _cols(("invoice_number", "Invoice number"), ("supplier_number", "Supplier number"),
                 ("amount", "Amount", "decimal"), ("invoice_date", "Invoice date", "date"),
                 ("cost_centre", "Cost centre")), weight=2),
    Entity("street", "Street", "highways", "confirm", ("street inventory", "road condition surveys"),
           _cols(USRN, ("street_name", "Street name"), ("road_class", "Road class"),
                 ("condition_index", "Condition index", "decimal"),
                 ("inspection_date", "Inspection date", "date"))),
    Entity("road_defect", "Road defect", "highways", "confirm", ("road defects", "pothole repairs"),
           _cols(("defect_id", "Defect ID"), USRN, ("defect_type", "Defect type"),
                 ("reported_date", "Reported date", "date"), ("repaired_date", "Repaired date", "date"))),
    Entity("customer_contact", "Customer contact", "customer-services", "crm",
           ("customer contacts", "complaints", "service requests"),
           _cols(("contact_id", "Contact ID"), UPRN, ("channel", "Channel"),
                 ("contact_date", "Contact date", "date"), ("outcome", "Outcome")),
           "dpv:Customer", False, "3 years after last contact", 2),
    Entity("library_member", "Library member", "libraries", "spydus", ("library members", "loans"),
           _cols(("borrower_id", "Borrower ID"), UPRN, ("join_date", "Join date", "date"),
                 ("home_branch", "Home branch"), ("loans_count", "Loans", "integer")),
           "dpv:Member", False, "2 years after membership lapses"),
    Entity("planning_application", "Planning application", "planning", "planning",
           ("planning applications", "planning decisions"),
           _cols(("application_ref", "Application reference"), UPRN, ("proposal", "Proposal"),
                 ("received_date", "Received date", "date"), ("decision", "Decision")),
           "dpv:Applicant", False, "Permanent (planning register)"),
    Entity("elector", "Elector", "electoral-services", "electoral", ("electoral register", "absent voters"),
           _cols(("elector_number", "Elector number"), UPRN, ("full_name", "Full name"),
                 ("polling_district", "Polling district"), ("attainment_date", "Attainment date", "date")),
           "dpv:Citizen", False, "15 years"),
    Entity("property", "Property", "property", "gis", ("address gazetteer", "council land and buildings"),
           _cols(UPRN, USRN, ("easting", "Easting", "integer"), ("northing", "Northing", "integer"), GSS),
           retention="Permanent"),
    Entity("area", "Statistical area", "public-health", "sharepoint",
           ("population estimates", "deprivation indicators", "health profiles"),
           _cols(GSS, ("area_name", "Area name"), ("population", "Population", "integer"),
                 ("imd_decile", "IMD decile", "integer"), ("period", "Period"))),
    Entity("service", "Local service", "customer-services", "crm", ("service directory",),
           _cols(Column("service_id", "Service ID", "text", "open-referral-uk"),
                 ("organisation_name", "Organisation name"), ("service_name", "Service name"), UPRN,
                 ("last_reviewed", "Last reviewed", "date"))),
    Entity("grant", "Grant", "finance", "sap", ("grants awarded",),
           _cols(Column("grant_identifier", "360Giving grant identifier", "text", "360giving"),
                 ("recipient_name", "Recipient name"), ("amount", "Amount", "decimal"),
                 ("award_date", "Award date", "date"), ("programme", "Programme"))),
)
ENTITY_INDEX = {e.slug: i for i, e in enumerate(ENTITIES)}
#: Entity indices repeated by weight, for weighted picks with one random number.
ENTITY_BAG = tuple(i for i, e in enumerate(ENTITIES) for _ in range(e.weight))

CORE_SYSTEMS: tuple[SystemSpec, ...] = (
    SystemSpec("mosaic", "Mosaic", "gov:System", "Servelec", HOSTING[0], "childrens-services",
               "Social care case management for children's and adults' services."),
    SystemSpec("capita-one", "Capita ONE", "gov:System", "Capita", HOSTING[0], "education",
               "Education management: pupils, admissions, SEN and exclusions."),
    SystemSpec("sap", "SAP", "gov:System", "SAP", HOSTING[0], "finance", "Finance and HR (ERP)."),
    SystemSpec("confirm", "Confirm", "gov:System", "Brightly", HOSTING[1], "highways",
               "Highways asset management."),
    SystemSpec("controcc", "ContrOCC", "gov:System", "OLM Systems", HOSTING[0], "adult-social-care",
               "Care finance: packages, provider payments and client contributions."),
    SystemSpec("crm", "Customer service CRM", "gov:System", "Microsoft", HOSTING[2], "customer-services",
               "Case and contact management for the customer service centre."),
    SystemSpec("sharepoint", "SharePoint", "gov:DocumentStore", "Microsoft", HOSTING[1], "ict",
               "The council's document store."),
    SystemSpec("dwh", "Data warehouse", "gov:DataWarehouse", "Microsoft (SQL Server)", HOSTING[0],
               "business-intelligence", "The SQL Server data warehouse: staging, core and marts."),
    SystemSpec("dwh-staging", "Warehouse staging database", "gov:Database", "Microsoft (SQL Server)",
               HOSTING[0], "business-intelligence", "Landing and staging schemas of the warehouse.",
               part_of="dwh"),
    SystemSpec("powerbi", "Power BI", "gov:System", "Microsoft", HOSTING[1], "business-intelligence",
               "Reports and dashboards."),
    SystemSpec("spydus", "Spydus", "gov:System", "Civica", HOSTING[1], "libraries", "Library management."),
    SystemSpec("electoral", "Electoral registration system", "gov:System", "Idox", HOSTING[0],
               "electoral-services", "Electoral registration and elections management."),
    SystemSpec("planning", "Planning system", "gov:System", "Idox", HOSTING[0], "planning",
               "Planning applications and decisions."),
    SystemSpec("gis", "GIS", "gov:System", "Esri", HOSTING[2], "property",
               "Geographic information system and local land and property gazetteer."),
    SystemSpec("collect", "DfE COLLECT", "gov:System", "Department for Education", HOSTING[1],
               "education", "The Department for Education's data collection portal.", operated_by="dfe"),
    SystemSpec("spine", "NHS Spine", "gov:System", "NHS England", HOSTING[1], "childrens-services",
               "National NHS services, including the demographics service for NHS number tracing.",
               operated_by="nhs-england"),
    SystemSpec("shared-care-record", "Northmere shared care record", "gov:System", "Orion Health",
               HOSTING[1], "adult-social-care", "The integrated care board's shared care record.",
               operated_by="nhs-icb"),
)
EXTRA_SYSTEM_KINDS = ("case management system", "records system", "portal", "scheduling system",
                      "payments system", "asset register")
VENDORS = ("Civica", "Capita", "Idox", "NEC", "Access Group", "Netcall", "Granicus", "Oracle",
           "Microsoft", "Esri", "Liquidlogic", "Tribal")

CORE_PARTNERS = (
    ("nhs-icb", "NHS Northmere Integrated Care Board"),
    ("trust-acute", "Northmere Hospitals NHS Foundation Trust"),
    ("trust-community", "Northmere Community Health NHS Trust"),
    ("police", "Northmere Constabulary"),
    ("dwp", "Department for Work and Pensions"),
    ("dfe", "Department for Education"),
    ("geoplace", "GeoPlace"),
    ("nhs-england", "NHS England"),
)
DISTRICTS = ("Ashby Vale District Council", "Brackenford Borough Council", "Castlemoor District Council",
             "Dunmere District Council", "Eastwold Borough Council", "Fenham District Council",
             "Greystone District Council")
#: Extra partners added per 10,000 datasets: (name suffix, unit, purpose, Art 9 condition).
EXTRA_PARTNER_KINDS = (
    ("Academy Trust", "education", "education", "eu-gdpr:A9-2-g"),
    ("Care Ltd", "adult-social-care", "integrated-care", "eu-gdpr:A9-2-h"),
    ("Community Trust", "customer-services", "customer-services", None),
)
PLACES = ("Ashby", "Brackenford", "Castlemoor", "Dunmere", "Eastwold", "Fenham", "Greystone",
          "Harrowfield", "Ironbridge", "Kelmscott", "Longmarsh", "Millbrook", "Netherby", "Oakhampton")

CORE_SHARING: tuple[SharingRow, ...] = (
    SharingRow("childrens-services", "police", "safeguarding", "eu-gdpr:A9-2-g"),
    SharingRow("childrens-services", "nhs-icb", "safeguarding", "eu-gdpr:A9-2-h"),
    SharingRow("childrens-services", "dfe", "statutory-returns", "eu-gdpr:A9-2-g", outbound=False),
    SharingRow("childrens-services", "nhs-england", "childrens-services", "eu-gdpr:A9-2-h", outbound=False),
    SharingRow("adult-social-care", "nhs-icb", "integrated-care", "eu-gdpr:A9-2-h"),
    SharingRow("adult-social-care", "trust-acute", "integrated-care", "eu-gdpr:A9-2-h"),
    SharingRow("adult-social-care", "trust-community", "integrated-care", "eu-gdpr:A9-2-h"),
    SharingRow("adult-social-care", "dwp", "adult-social-care", "eu-gdpr:A9-2-h"),
    SharingRow("adult-social-care", "nhs-england", "statutory-returns", "eu-gdpr:A9-2-h", outbound=False),
    SharingRow("education", "dfe", "statutory-returns", "eu-gdpr:A9-2-g", outbound=False),
    SharingRow("property", "geoplace", "address-maintenance", None),
    SharingRow("highways", "geoplace", "address-maintenance", None),
)

RETURNS: tuple[ReturnSpec, ...] = (
    ReturnSpec("ssda903", "SSDA903 return (looked-after children)", "child", "dfe", "collect", False,
               "freq:ANNUAL", "childrens-services-dfe"),
    ReturnSpec("cin", "Children in Need census", "child", "dfe", "collect", False, "freq:ANNUAL",
               "childrens-services-dfe"),
    ReturnSpec("salt", "SALT return (short and long term support)", "adult", "nhs-england", None, True,
               "freq:ANNUAL", "adult-social-care-nhs-england"),
    ReturnSpec("asc-fr", "ASC-FR return (adult social care finance)", "care_package", "nhs-england", None,
               True, "freq:ANNUAL", "adult-social-care-nhs-england"),
    ReturnSpec("school-census", "School Census", "pupil", "dfe", "collect", False, "freq:ANNUAL_3",
               "education-dfe"),
)

#: Fixed system-level flows written once the entity's master dataset exists:
#: (entity, label, source kind, source slug, target kind, target slug, mechanism, sharing row).
SYSTEM_FLOWS = (
    ("child", "NHS number tracing from the NHS Spine into Mosaic", "system", "spine", "system", "mosaic",
     "gov:API", "childrens-services-nhs-england"),
    ("adult", "Mosaic to the shared care record", "system", "mosaic", "system", "shared-care-record",
     "gov:API", "adult-social-care-nhs-icb"),
    ("property", "Gazetteer updates to GeoPlace", "system", "gis", "partner", "geoplace",
     "gov:SFTP", "property-geoplace"),
)

FIRST_NAMES = ("Aisha", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Harry", "Isla", "Jack",
               "Kavita", "Liam", "Megan", "Nathan", "Olivia", "Priya", "Quentin", "Rachel", "Sam",
               "Tom", "Uma", "Victoria", "Will", "Yasmin", "Zoe", "Owen", "Hannah", "Imran", "Joanne",
               "Kieran")
SURNAMES = ("Patel", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
            "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Martin",
            "Cooper", "Ahmed", "Kaur")
STAFF_TITLES = ("Data steward", "Performance officer", "Team manager", "Information governance officer",
                "Business support officer", "Practice lead", "Senior practitioner")
TECH_TITLES = ("Systems administrator", "Database administrator", "BI developer", "Data engineer",
               "Applications analyst", "Data analyst")
METRICS = ("gov:completenessRate", "gov:uniquenessRate", "gov:consistencyRate", "gov:timelinessRate",
           "gov:validityRate", "gov:accuracyRate")
TARGETS_MILLI = (900, 920, 950, 970, 980, 990)
SOURCE_FREQUENCIES = ("freq:DAILY", "freq:DAILY", "freq:WEEKLY", "freq:MONTHLY")
REPORT_FREQUENCIES = ("freq:DAILY", "freq:WEEKLY", "freq:MONTHLY", "freq:QUARTERLY")
SHARE_MECHANISMS = ("gov:SecureEmail", "gov:SFTP", "gov:API")
SHARE_FREQUENCIES = ("freq:DAILY", "freq:WEEKLY", "freq:MONTHLY")

#: Share of datasets in each lineage layer (reports take the remainder).
LAYER_SHARES = (("source", 0.40), ("staging", 0.20), ("warehouse", 0.15), ("mart", 0.10), ("return", 0.03))
KEY_SHARE = 0.05        # share of other source and warehouse datasets that are key datasets
SHARE_PROBABILITY = 0.05  # share of source datasets (in units with partners) shared outbound
AGGREGATED_MART_SHARE = 0.7

# Per-dataset flag bits.
_PERSONAL, _SPECIAL, _AGGREGATED, _CARRIED_TO_DWH, _CARRIED_TO_BI = 1, 2, 4, 8, 16


def _dates(start: dt.date, days: int, step: int = 1) -> tuple[str, ...]:
    return tuple((start + dt.timedelta(days=d)).isoformat() for d in range(0, days, step))


#: Measurement times within 90 days before the reference date, and stale ones (before 2025-10).
RECENT_TIMES = tuple(f"{d}T00:00:00Z" for d in _dates(REFERENCE_DATE - dt.timedelta(days=85), 85))
STALE_TIMES = tuple(f"{d}T00:00:00Z" for d in _dates(dt.date(2025, 3, 1), 210, 7))
LEFT_DATES = _dates(dt.date(2024, 1, 15), 700, 9)
ASSESSMENT_DATES = _dates(dt.date(2024, 2, 1), 600, 13)

# --------------------------------------------------------------------------------------
# Rendering terms and writing statements
# --------------------------------------------------------------------------------------


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
def _column_slugs(entity: int, width: int, aggregated: bool) -> frozenset[str]:
    return frozenset(c.slug for c in columns_of(entity, width, aggregated))


# --------------------------------------------------------------------------------------
# The estate
# --------------------------------------------------------------------------------------


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


class Estate:
    """Generates one estate into a :class:`Sink`; call :meth:`write` once."""

    def __init__(self, sink: Sink, terms: Terms, datasets: int, seed: int, defect_rate: float,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.sink, self.t, self.n, self.seed = sink, terms, datasets, seed
        self.rate = defect_rate
        self.rng = random.Random(seed)
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.defects: Counter[str] = Counter({k: 0 for k in DEFECT_KINDS})
        self._size_people()
        self.entity = bytearray(datasets)
        self.width = bytearray(datasets)
        self.flags = bytearray(datasets)
        self.rec = bytearray(datasets)
        self.layer_start: dict[str, int] = {}
        self.layer_size: dict[str, int] = {}
        self.pools: dict[str, list[array]] = {}
        self.source_system: array = array("i")
        self.systems: list[SystemInfo] = []
        self.system_index: dict[str, int] = {}
        self.unit_systems: dict[int, list[int]] = {}
        self.partners: list[tuple[str, str]] = []
        self.partner_names: dict[str, str] = {}
        self.rows: dict[str, SharingRow] = {}
        self.outbound: dict[str, list[SharingRow]] = {}
        self._lazy: dict[str, str] = {}      # lazily written resources: key -> node
        self._flow_no = 0
        self._quality_no = 0

    # -- sizing and random helpers ----------------------------------------------------

    def _size_people(self) -> None:
        self.n_people = self.n // 10 + 20
        self.n_leavers = max(1, self.n_people // 50) if self.rate > 0 else 0
        self.n_current = self.n_people - self.n_leavers
        u = len(UNITS)
        self.unit_count = [(self.n_current - i + u - 1) // u for i in range(u)]

    def _pick(self, seq: Sequence):
        return seq[int(self.rng.random() * len(seq))]

    def _member(self, unit: int, lo: int, hi: int) -> int:
        """A current member of ``unit`` with rank in [lo, hi) (ranks clipped to those that exist)."""
        count = self.unit_count[unit]
        hi = min(hi, count)
        lo = min(lo, hi - 1)
        rank = lo + int(self.rng.random() * (hi - lo))
        return unit + len(UNITS) * rank

    def _owner(self, unit: int) -> int:
        """A senior member (rank 0-2), leaving the most junior to be steward in small units."""
        return self._member(unit, 0, max(1, min(3, self.unit_count[unit] - 1)))

    def _steward(self, unit: int) -> int:
        return self._member(unit, 3, 1 << 30)

    def _roll(self) -> bool:
        """True with probability ``defect_rate`` (no random number drawn when it is 0)."""
        return bool(self.rate) and self.rng.random() < self.rate

    def _defect(self, kinds: Sequence[str]) -> str:
        """One defect kind from ``kinds``, counted."""
        kind = self._pick(kinds)
        self.defects[kind] += 1
        return kind

    # -- fixed parts of the estate ----------------------------------------------------

    def write(self) -> dict:
        """Write the whole estate; returns the counts."""
        self._header()
        self._council_and_units()
        self._people()
        self._partners()
        self._standards_and_glossary()
        self._purposes_and_assessments()
        self._communities()
        self._systems()
        self._agreements()
        self._datasets()
        return self._summary()

    def _header(self) -> None:
        s = self.sink
        s.comment(f"Synthetic estate of {COUNCIL_NAME} generated by govgraph: {self.n} datasets, "
                  f"seed {self.seed}, defect rate {self.rate}")
        if self.t.turtle:
            prefixes = {**NAMESPACES, **{p: f"{BASE}{k}/" for k, p in ID_PREFIXES.items()}}
            s.fh.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()) + "\n")

    def _council_and_units(self) -> None:
        t, lit = self.t, self.t.lit
        council = t.node("org", "council")
        self.sink.emit(council, [(t["a"], t["gov:Council"]), (t["a"], t["org:FormalOrganization"]),
                                 (t["skos:prefLabel"], lit(COUNCIL_NAME)), (t["rdfs:label"], lit(COUNCIL_NAME))])
        for unit in UNITS:
            parent = t.node("unit", unit.parent) if unit.parent else council
            self.sink.emit(t.node("unit", unit.slug), [
                (t["a"], t["org:OrganizationalUnit"]), (t["rdfs:label"], lit(unit.label)),
                (t["org:unitOf"], parent)])
        self.counts["units"] = len(UNITS)

    def _job_title(self, unit: Unit, rank: int) -> str:
        technical = unit.slug in ("ict", "business-intelligence")
        if rank == 0:
            return f"Head of {unit.label}" if unit.parent else f"Director of {unit.label}"
        if rank == 1:
            return f"Head of {unit.label} operations" if technical else f"Head of {unit.label}"
        if rank == 2:
            return f"{unit.label} service manager"
        titles = TECH_TITLES if technical else STAFF_TITLES
        return titles[(rank + UNIT_INDEX[unit.slug]) % len(titles)]

    def _people(self) -> None:
        t, lit, u = self.t, self.t.lit, len(UNITS)
        for p in range(self.n_people):
            unit = UNITS[p % u]
            name = f"{self._pick(FIRST_NAMES)} {self._pick(SURNAMES)}"
            pairs = [(t["a"], t["foaf:Person"]), (t["foaf:name"], lit(name)),
                     (t["gov:jobTitle"], lit(self._job_title(unit, p // u))),
                     (t["org:memberOf"], t.node("unit", unit.slug))]
            if p >= self.n_current:
                pairs.append((t["gov:leftOn"], t.date(self._pick(LEFT_DATES))))
            self.sink.emit(t.node("person", f"p{p}"), pairs)
        self.counts["people"] = self.n_people
        self.counts["leavers"] = self.n_leavers

    def _partners(self) -> None:
        t, lit = self.t, self.t.lit
        self.partners = list(CORE_PARTNERS) + [(_slug(d), d) for d in DISTRICTS]
        rows = list(CORE_SHARING) + [SharingRow("customer-services", _slug(d), "customer-services", None)
                                     for d in DISTRICTS]
        for k in range(self.n // 10_000):
            suffix, unit, purpose, art9 = EXTRA_PARTNER_KINDS[k % len(EXTRA_PARTNER_KINDS)]
            place = PLACES[k // len(EXTRA_PARTNER_KINDS) % len(PLACES)]
            series = k // (len(EXTRA_PARTNER_KINDS) * len(PLACES))
            name = f"{place} {suffix}" + (f" {series + 1}" if series else "")
            self.partners.append((_slug(name), name))
            rows.append(SharingRow(unit, _slug(name), purpose, art9))
        for slug, name in self.partners:
            self.sink.emit(t.node("partner", slug), [(t["a"], t["gov:Partner"]), (t["a"], t["org:Organization"]),
                                                     (t["rdfs:label"], lit(name))])
        self.partner_names = dict(self.partners)
        self.rows = {r.slug: r for r in rows}
        for r in rows:
            if r.outbound:
                self.outbound.setdefault(r.unit, []).append(r)
        self.counts["partners"] = len(self.partners)

    def _standards_and_glossary(self) -> None:
        t, lit = self.t, self.t.lit
        for slug, label, notation, description, homepage in STANDARDS:
            pairs = [(t["a"], t["gov:Standard"]), (t["rdfs:label"], lit(label)),
                     (t["skos:notation"], lit(notation)), (t["dcterms:description"], lit(description))]
            if homepage:
                pairs.append((t["foaf:homepage"], f"<{homepage}>"))
            self.sink.emit(t.node("standard", slug), pairs)
        scheme = t.node("term", "glossary")
        self.sink.emit(scheme, [(t["a"], t["skos:ConceptScheme"]),
                                (t["rdfs:label"], lit(f"{COUNCIL_NAME} business glossary"))])
        concepts = [(e.slug, e.label, f"A {e.label.lower()} as recorded by {_unit(e.unit).label}.")
                    for e in ENTITIES]
        concepts += [(f"theme-{u.slug}", u.label, f"Data about {u.purpose.lower()}.") for u in DATA_UNITS]
        for slug, label, definition in concepts:
            self.sink.emit(t.node("term", slug), [
                (t["a"], t["skos:Concept"]), (t["skos:inScheme"], scheme),
                (t["skos:prefLabel"], lit(label)), (t["skos:definition"], lit(definition))])
        self.counts["standards"] = len(STANDARDS)
        self.counts["concepts"] = len(concepts)

    def _purposes_and_assessments(self) -> None:
        t, lit = self.t, self.t.lit
        purposes = [(u.slug, u.purpose, f"{u.purpose} by {u.label}.") for u in DATA_UNITS]
        for slug, label, description in purposes + list(EXTRA_PURPOSES):
            self.sink.emit(t.node("purpose", slug), [
                (t["a"], t["gov:ProcessingPurpose"]), (t["rdfs:label"], lit(label)),
                (t["dcterms:description"], lit(description))])
        for unit in DATA_UNITS:
            self.sink.emit(t.node("dpia", unit.slug), [
                (t["a"], t["gov:DPIA"]), (t["rdfs:label"], lit(f"DPIA: {unit.purpose.lower()}")),
                (t["gov:assessmentDate"], t.date(self._pick(ASSESSMENT_DATES)))])
            self.sink.emit(t.node("ethics", unit.slug), [
                (t["a"], t["gov:EthicsAssessment"]),
                (t["rdfs:label"], lit(f"Data ethics assessment: {unit.label} analytics")),
                (t["gov:assessmentDate"], t.date(self._pick(ASSESSMENT_DATES)))])
        self.counts["purposes"] = len(purposes) + len(EXTRA_PURPOSES)

    def _communities(self) -> None:
        t, lit, u = self.t, self.t.lit, len(UNITS)
        bi = UNIT_INDEX["business-intelligence"]
        groups = (
            ("data-champions", "Data champions network",
             [i + 3 * u for i in range(len(DATA_UNITS)) if self.unit_count[i] > 3]),
            ("analytics", "Analytics and BI community", [bi + r * u for r in range(min(10, self.unit_count[bi]))]),
            ("information-governance", "Information governance forum",
             [i + u for i in range(len(UNITS)) if self.unit_count[i] > 1]),
        )
        for slug, label, members in groups:
            self.sink.emit(t.node("community", slug), [(t["a"], t["gov:CommunityOfPractice"]),
                                                       (t["rdfs:label"], lit(label))]
                           + [(t["foaf:member"], t.node("person", f"p{p}")) for p in members])

    def _systems(self) -> None:
        ict, bi = UNIT_INDEX["ict"], UNIT_INDEX["business-intelligence"]
        specs = list(CORE_SYSTEMS)
        for k in range(max(0, self.n // 200 + 10 - len(CORE_SYSTEMS))):
            unit = DATA_UNITS[k % len(DATA_UNITS)]
            kind = EXTRA_SYSTEM_KINDS[(k // len(DATA_UNITS)) % len(EXTRA_SYSTEM_KINDS)]
            specs.append(SystemSpec(f"sys-{k + 1}", f"{unit.label} {kind} {k + 1}", "gov:System",
                                    self._pick(VENDORS), self._pick(HOSTING), unit.slug,
                                    f"A line-of-business {kind} used by {unit.label}."))
        for spec in specs:
            unit = UNIT_INDEX[spec.unit]
            run_by = bi if spec.unit == "business-intelligence" else ict
            info = SystemInfo(spec.slug, spec.label, unit, owner=unit,
                              custodian=self._member(run_by, 1, 1 << 30),
                              document_store=spec.cls == "gov:DocumentStore")
            self.system_index[spec.slug] = len(self.systems)
            self.systems.append(info)
            self._write_system(spec, info)
            if spec.slug.startswith("sys-"):
                self.unit_systems.setdefault(unit, []).append(len(self.systems) - 1)
        self.counts["systems"] = len(self.systems)

    def _write_system(self, spec: SystemSpec, info: SystemInfo) -> None:
        t, lit = self.t, self.t.lit
        pairs = [(t["a"], t[spec.cls]), (t["rdfs:label"], lit(spec.label)),
                 (t["dcterms:description"], lit(spec.description)), (t["gov:vendor"], lit(spec.vendor)),
                 (t["gov:hosting"], lit(spec.hosting)), (t["gov:owner"], t.node("person", f"p{info.owner}")),
                 (t["gov:custodian"], t.node("person", f"p{info.custodian}")),
                 (t["gov:serviceArea"], t.node("unit", spec.unit))]
        if spec.operated_by:
            pairs.append((t["gov:operatedBy"], t.node("partner", spec.operated_by)))
        if spec.part_of:
            pairs.append((t["gov:partOfSystem"], t.node("system", spec.part_of)))
        self.sink.emit(t.node("system", spec.slug), pairs)

    def _agreements(self) -> None:
        for row in self.rows.values():
            defect = self._defect(AGREEMENT_DEFECTS) if self._roll() else None
            if defect:
                self.counts["defective_agreements"] += 1
            self._write_agreement(row, row.slug, defect=defect)

    def _write_agreement(self, row: SharingRow, slug: str, *, defect: str | None = None,
                         valid: tuple[str, str, str] = ("2024-01-01", "2030-12-31", "2029-06-30"),
                         art9: bool = True, note: str = "") -> str:
        """Write a sharing agreement for ``row``; returns its node."""
        t, lit = self.t, self.t.lit
        partner = self.partner_names[row.partner]
        unit = _unit(row.unit)
        label = f"{unit.label} data sharing agreement with {partner}{note}"
        node = t.node("agreement", slug)
        pairs = [(t["a"], t["gov:SharingAgreement"]), (t["rdfs:label"], lit(label)),
                 (t["dcterms:description"], lit(f"Sharing of {unit.label} data with {partner} for "
                                                f"{_purpose_label(row.purpose).lower()}.")),
                 (t["gov:party"], t.node("org", "council")), (t["gov:party"], t.node("partner", row.partner)),
                 (t["gov:owner"], t.node("person", f"p{UNIT_INDEX[row.unit]}")),
                 (t["dpv:hasPurpose"], t.node("purpose", row.purpose))]
        if defect != "agreement_no_lawful_basis":
            pairs.append((t["dpv:hasLegalBasis"], t["eu-gdpr:A6-1-e"]))
            if art9 and row.art9:
                pairs.append((t["dpv:hasLegalBasis"], t[row.art9]))
        review = "2025-06-30" if defect == "agreement_review_overdue" else valid[2]
        pairs += [(t["gov:validFrom"], t.date(valid[0])), (t["gov:validUntil"], t.date(valid[1])),
                  (t["gov:reviewDate"], t.date(review))]
        self.sink.emit(node, pairs)
        self.counts["agreements"] += 1
        return node

    def _lazy_agreement(self, row: SharingRow, kind: str) -> str:
        """The superseded (expired) or general (no Art 9 condition) agreement for ``row``."""
        key = f"{kind}:{row.slug}"
        if key not in self._lazy:
            if kind == "expired":
                node = self._write_agreement(row, f"{row.slug}-2021", note=" (2021, expired)",
                                             valid=("2021-04-01", "2025-03-31", "2024-03-31"))
            else:
                node = self._write_agreement(row, f"{row.slug}-general", art9=False,
                                             note=" (general terms)")
            self._lazy[key] = node
        return self._lazy[key]

    # -- flows ---------------------------------------------------------------------------

    def _flow(self, label: str, source: str, target: str, carries: Sequence[str], mechanism: str,
              frequency: str, covered: str | None = None) -> str:
        t = self.t
        self._flow_no += 1
        node = t.node("flow", f"f{self._flow_no}")
        pairs = [(t["a"], t["gov:Flow"]), (t["rdfs:label"], t.lit(label)), (t["gov:source"], source),
                 (t["gov:target"], target)]
        pairs += [(t["gov:carries"], c) for c in carries]
        pairs += [(t["gov:mechanism"], t[mechanism]), (t["gov:frequency"], t[frequency])]
        if covered:
            pairs.append((t["gov:coveredBy"], covered))
        self.sink.emit(node, pairs)
        self.counts["flows"] += 1
        return node

    def _boundary_flow(self, label: str, source: str, target: str, carried: int, row: SharingRow,
                       mechanism: str, frequency: str) -> None:
        """A flow across the boundary, covered by the row's agreement unless given a defect."""
        flags = self.flags[carried]
        defect = None
        if flags & _PERSONAL:
            kinds = FLOW_DEFECTS if flags & _SPECIAL and row.art9 else FLOW_DEFECTS[:2]
            defect = self._defect(kinds) if self._roll() else None
            self.counts["personal_boundary_flows"] += 1
        covered: str | None = self.t.node("agreement", row.slug)
        if defect == "no_agreement":
            covered = None
        elif defect == "expired_agreement":
            covered = self._lazy_agreement(row, "expired")
        elif defect == "no_art9_condition":
            covered = self._lazy_agreement(row, "general")
        if defect:
            self.counts["defective_flows"] += 1
        self._flow(label, source, target, [self.t.node("dataset", f"d{carried}")], mechanism, frequency, covered)

    def _carry(self, key: str, label: str, source: str, target: str, mechanism: str, dataset: int,
               bit: int) -> None:
        """Add ``dataset`` to the system-level flow ``key`` (written on first use), once."""
        if self.flags[dataset] & bit:
            return
        self.flags[dataset] |= bit
        t = self.t
        if key not in self._lazy:
            self._lazy[key] = self._flow(label, source, target, [], mechanism, "freq:DAILY")
        self.sink.emit(self._lazy[key], [(t["gov:carries"], t.node("dataset", f"d{dataset}"))])

    def _system_flows_for(self, entity: int, master: int) -> None:
        """The fixed system-level integrations that carry an entity's master dataset."""
        t = self.t
        for slug, label, skind, source, tkind, target, mechanism, row in SYSTEM_FLOWS:
            if ENTITY_INDEX[slug] == entity:
                self._boundary_flow(label, t.node(skind, source), t.node(tkind, target), master,
                                    self.rows[row], mechanism, "freq:DAILY")

    # -- datasets ------------------------------------------------------------------------

    def _datasets(self) -> None:
        sizes = {name: (max(1, round(share * self.n)) if name == "source" else round(share * self.n))
                 for name, share in LAYER_SHARES}
        sizes["report"] = max(0, self.n - sum(sizes.values()))
        writers = {"source": self._source, "staging": self._staging, "warehouse": self._warehouse,
                   "mart": self._mart, "return": self._return, "report": self._report}
        self.source_system = array("i", bytes(4 * sizes["source"]))
        step = max(1, self.n // 10)
        i = 0
        for name in ("source", "staging", "warehouse", "mart", "return", "report"):
            self.layer_start[name], self.layer_size[name] = i, sizes[name]
            self.pools[name] = [array("i") for _ in ENTITIES]
            for _ in range(sizes[name]):
                writers[name](i)
                i += 1
                if self.progress and i % step == 0:
                    self.progress(i, self.n)
        if self.progress and self.n % step:
            self.progress(self.n, self.n)

    def _pick_upstream(self, layers: Sequence[str], entity: int | None = None) -> int | None:
        """A dataset from the first of ``layers`` that has one (of ``entity`` if given)."""
        for layer in layers:
            if entity is None:
                size = self.layer_size.get(layer, 0)
                if size:
                    return self.layer_start[layer] + int(self.rng.random() * size)
            else:
                pool = self.pools[layer][entity]
                if pool:
                    return pool[int(self.rng.random() * len(pool))]
        return None

    def _more_upstream(self, layer: str, entity: int, first: int, most: int) -> list[int]:
        """``first`` plus up to ``most`` other datasets of the same entity in ``layer``."""
        chosen = [first]
        pool = self.pools[layer][entity]
        for _ in range(int(self.rng.random() * (most + 1))):
            other = pool[int(self.rng.random() * len(pool))] if pool else first
            if other not in chosen:
                chosen.append(other)
        return chosen

    def _inherit(self, spec: DatasetSpec, upstream: Sequence[int]) -> None:
        """Personal / special category flags from upstream datasets (stopped by aggregation)."""
        flags = 0
        for u in upstream:
            flags |= self.flags[u]
        spec.personal = bool(flags & _PERSONAL) and not spec.aggregated
        spec.special = bool(flags & _SPECIAL) and not spec.aggregated

    def _source(self, i: int) -> None:
        rng = self.rng
        master = i < len(ENTITIES)
        entity = i if master else self._pick(ENTITY_BAG)
        ent = ENTITIES[entity]
        unit = UNIT_INDEX[ent.unit]
        extras = self.unit_systems.get(unit)
        system = self._pick(extras) if extras and rng.random() < 0.5 else self.system_index[ent.system]
        sysinfo = self.systems[system]
        rec = int(rng.random() * len(ent.records))
        records = ent.records[rec]
        spec = DatasetSpec(
            i, "source", entity, 2 + int(rng.random() * 4),
            f"{records.capitalize()} ({sysinfo.label}) #{i}",
            f"{records.capitalize()} captured at source in {sysinfo.label} by {_unit(ent.unit).label}.",
            system, unit, self._pick(SOURCE_FREQUENCIES), types=("gov:InformationAsset",),
            personal=ent.subject is not None, special=ent.special,
            purposes=(ent.unit,), art6=_unit(ent.unit).art6, master=master, about=True,
            key=master or rng.random() < KEY_SHARE)
        spec.extra.append((self.t["gov:systemOfRecord"], self.t.true))
        if spec.key:
            spec.extra.append((self.t["gov:community"], self.t.node("community", "data-champions")))
        if master:
            spec.extra.append((self.t["gov:community"], self.t.node("community", "information-governance")))
        self.rec[i] = rec
        self.source_system[i] = system
        share = self.outbound.get(ent.unit)
        shared = self._pick(share) if share and rng.random() < SHARE_PROBABILITY else None
        if shared:
            spec.extra.append((self.t["gov:sharedWith"], self.t.node("partner", shared.partner)))
        self._write_dataset(spec)
        if master:
            self._system_flows_for(entity, i)
        if shared:
            self._boundary_flow(f"{records.capitalize()} shared with {self.partner_names[shared.partner]}",
                                self.t.node("dataset", f"d{i}"), self.t.node("partner", shared.partner),
                                i, shared, self._pick(SHARE_MECHANISMS), self._pick(SHARE_FREQUENCIES))

    def _staging(self, i: int) -> None:
        up = self._pick_upstream(("source",))
        entity, ent = self.entity[up], ENTITIES[self.entity[up]]
        records = ent.records[self.rec[up]]
        system = self.systems[self.source_system[up]]
        spec = DatasetSpec(
            i, "staging", entity, self.width[up], f"Staging: {records} from {system.label} #{i}",
            f"A nightly copy of {records} from {system.label}, landed in the warehouse staging area.",
            self.system_index["dwh-staging"], UNIT_INDEX[ent.unit], "freq:DAILY",
            purposes=(ent.unit,), art6=_unit(ent.unit).art6, upstream=[up], alias=f"mssql://dwh/stg.d{i}")
        self.rec[i] = self.rec[up]
        self._inherit(spec, spec.upstream)
        defect = self._write_dataset(spec)
        if defect != "lineage_orphan":
            src = self.source_system[up]
            self._carry(f"etl:{src}", f"{system.label} to data warehouse nightly extract",
                        self.t.node("system", system.slug), self.t.node("system", "dwh"), "gov:ETL",
                        up, _CARRIED_TO_DWH)
            self._flow(f"Load {records} #{up} into staging", self.t.node("dataset", f"d{up}"),
                       self.t.node("dataset", f"d{i}"), [self.t.node("dataset", f"d{up}")], "gov:ETL",
                       "freq:DAILY")

    def _warehouse(self, i: int) -> None:
        first = self._pick_upstream(("staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = "staging" if self.layer_size["staging"] else "source"
        upstream = self._more_upstream(layer, entity, first, 2)
        kind = ("fact table", "dimension", "snapshot")[int(self.rng.random() * 3)]
        records = ent.records[self.rec[first]]
        spec = DatasetSpec(
            i, "warehouse", entity, self.width[first], f"Warehouse {records} {kind} #{i}",
            f"Cleansed and conformed {records} in the data warehouse core.",
            self.system_index["dwh"], UNIT_INDEX[ent.unit], "freq:DAILY", types=("gov:InformationAsset",),
            purposes=(ent.unit,), art6=_unit(ent.unit).art6, upstream=upstream, about=True,
            key=self.rng.random() < KEY_SHARE, alias=f"mssql://dwh/dbo.d{i}",
            transformation="cleansed and conformed")
        self.rec[i] = self.rec[first]
        self._inherit(spec, upstream)
        if self._write_dataset(spec) != "lineage_orphan":
            self._flow(f"Transform {records} #{first} into the warehouse", self.t.node("dataset", f"d{first}"),
                       self.t.node("dataset", f"d{i}"), [self.t.node("dataset", f"d{first}")], "gov:ETL",
                       "freq:DAILY")

    def _mart(self, i: int) -> None:
        rng = self.rng
        first = self._pick_upstream(("warehouse", "staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = next(name for name in ("warehouse", "staging", "source") if self.layer_size[name])
        upstream = self._more_upstream(layer, entity, first, 1)
        aggregated = rng.random() < AGGREGATED_MART_SHARE
        records = ent.records[self.rec[first]]
        spec = DatasetSpec(
            i, "mart", entity, self.width[first], "", "", self.system_index["dwh"], UNIT_INDEX[ent.unit],
            self._pick(("freq:DAILY", "freq:WEEKLY", "freq:MONTHLY")), types=("gov:InformationAsset",),
            aggregated=aggregated, upstream=upstream, alias=f"mssql://dwh/mart.d{i}",
            purposes=("analytics",), art6=_unit(ent.unit).art6,
            transformation="aggregated" if aggregated else "pseudonymised")
        self._inherit(spec, upstream)
        spec.analytics = not aggregated and spec.personal and rng.random() < 0.5
        if aggregated:
            spec.anonymisation = "gov:Aggregated"
            spec.title, what = f"{ent.label} {records} summary mart #{i}", "Aggregated counts of"
        elif spec.analytics:
            spec.anonymisation = "gov:Pseudonymised"
            spec.title, what = f"{ent.label} risk model features #{i}", "Pseudonymised features from"
        else:
            spec.anonymisation = "gov:Pseudonymised" if spec.personal else None
            spec.title, what = f"{ent.label} {records} analysis mart #{i}", "Record-level analysis of"
        spec.description = f"{what} {records} for analysis and reporting."
        spec.extra.append((self.t["gov:community"], self.t.node("community", "analytics")))
        self.rec[i] = self.rec[first]
        self._write_dataset(spec)

    def _return(self, i: int) -> None:
        eligible = [r for r in RETURNS if any(self.pools[layer][ENTITY_INDEX[r.entity]]
                                              for layer in ("warehouse", "staging", "source"))]
        if not eligible:
            self._report(i)
            return
        ret = self._pick(eligible)
        entity = ENTITY_INDEX[ret.entity]
        ent = ENTITIES[entity]
        first = self._pick_upstream(("warehouse", "staging", "source"), entity)
        year = 2019 + int(self.rng.random() * 8)
        title = f"{ret.label} {year}-{(year + 1) % 100:02d} #{i}"
        partner = self.partner_names[ret.partner]
        spec = DatasetSpec(
            i, "return", entity, self.width[first], title,
            f"The {ret.label} for {year}-{(year + 1) % 100:02d}, submitted to {partner}.",
            self.system_index["dwh"], UNIT_INDEX[ent.unit], ret.frequency,
            types=("gov:InformationAsset", "gov:StatutoryReturn"), aggregated=ret.aggregated,
            anonymisation="gov:Aggregated" if ret.aggregated else None, upstream=[first],
            purposes=("statutory-returns",), art6="eu-gdpr:A6-1-c", key=True,
            transformation="aggregated" if ret.aggregated else "extracted to the return specification")
        spec.extra.append((self.t["gov:submittedTo"], self.t.node("partner", ret.partner)))
        self._inherit(spec, spec.upstream)
        self.rec[i] = self.rec[first]
        self._write_dataset(spec)
        t = self.t
        target = t.node("system", ret.target_system) if ret.target_system else t.node("partner", ret.partner)
        self._boundary_flow(f"Submit {ret.label} {year} to {partner}", t.node("dataset", f"d{i}"), target, i,
                            self.rows[ret.row], "gov:FileUpload", ret.frequency)

    def _report(self, i: int) -> None:
        first = self._pick_upstream(("mart", "warehouse", "staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = next(name for name in ("mart", "warehouse", "staging", "source") if self.layer_size[name])
        upstream = self._more_upstream(layer, entity, first, 1)
        kind = ("dashboard", "performance report", "monthly scorecard")[int(self.rng.random() * 3)]
        records = ent.records[self.rec[first]]
        unit = _unit(ent.unit)
        spec = DatasetSpec(
            i, "report", entity, self.width[first], f"{unit.label} {records} {kind} #{i}",
            f"Power BI {kind} of {records} for {unit.label} managers.", self.system_index["powerbi"],
            UNIT_INDEX[ent.unit], self._pick(REPORT_FREQUENCIES), types=("gov:Report",), aggregated=True,
            anonymisation="gov:Aggregated", upstream=upstream, transformation="aggregated")
        spec.extra.append((self.t["gov:community"], self.t.node("community", "analytics")))
        self.rec[i] = self.rec[first]
        if self._write_dataset(spec) != "report_no_source":
            for up in upstream:
                self._carry("bi", "Warehouse to Power BI refresh", self.t.node("system", "dwh"),
                            self.t.node("system", "powerbi"), "gov:DatabaseLink", up, _CARRIED_TO_BI)

    # -- writing one dataset -----------------------------------------------------------------

    def _applicable_defects(self, spec: DatasetSpec, cols: Sequence[Column]) -> list[str]:
        kinds = ["missing_owner", "no_steward", "owner_left", "no_classification", "missing_title",
                 "missing_description", "no_theme", "no_frequency", "no_system"]
        if spec.layer in ("source", "mart"):
            kinds.append("off_system_spreadsheet")
        if spec.personal:
            kinds += ["no_access_group", "no_purpose", "no_lawful_basis"]
        if spec.special:
            kinds.append("no_dpia")
        if spec.analytics and spec.personal:
            kinds.append("no_ethics")
        if any(c.standard for c in cols):
            kinds.append("key_identifier_no_scheme")
        if spec.key:
            kinds += ["no_quality_target", "measurement_below_target", "stale_measurement"]
        if spec.layer == "report":
            kinds.append("report_no_source")
        if spec.layer in ("staging", "warehouse", "mart"):
            kinds.append("lineage_orphan")
        if spec.layer == "source" and not spec.master:
            kinds.append("duplicate_master")
        return kinds

    def _write_dataset(self, spec: DatasetSpec) -> str | None:
        """Write a dataset, its fields and quality; returns the defect given to it, if any."""
        cols = columns_of(spec.entity, spec.width, spec.aggregated)
        defect = self._defect(self._applicable_defects(spec, cols)) if self._roll() else None
        if defect:
            self.counts["defective_datasets"] += 1
        t, ent = self.t, ENTITIES[spec.entity]
        node = t.node("dataset", f"d{spec.index}")
        pairs = self._description_pairs(spec, cols, defect) + self._custody_pairs(spec, defect)
        pairs += self._analytics_pairs(spec)
        if spec.personal:
            pairs += self._personal_pairs(spec, ent, defect)
        if spec.anonymisation:
            pairs.append((t["gov:anonymisation"], t[spec.anonymisation]))
        if spec.alias:
            pairs.append((t["gov:alias"], t.lit(spec.alias)))
        linked = defect not in ("report_no_source", "lineage_orphan")
        if linked:
            pairs += [(t["prov:wasDerivedFrom"], t.node("dataset", f"d{u}")) for u in spec.upstream]
        self.sink.emit(node, pairs + spec.extra)
        self._record(spec)
        self._write_fields(spec, cols, node, defect, spec.upstream if linked else [])
        if spec.key:
            self._write_quality(node, defect)
        return defect

    def _description_pairs(self, spec: DatasetSpec, cols: Sequence[Column], defect: str | None) -> Pairs:
        """Types, title, description, glossary links, frequency, standard, master and key flags."""
        t, ent = self.t, ENTITIES[spec.entity]
        pairs = [(t["a"], t["dcat:Dataset"])] + [(t["a"], t[c]) for c in spec.types]
        if defect != "missing_title":
            pairs.append((t["dcterms:title"], t.lit(spec.title)))
        if defect != "missing_description":
            pairs.append((t["dcterms:description"], t.lit(spec.description)))
        if defect != "no_theme":
            pairs.append((t["dcat:theme"], t.node("term", f"theme-{ent.unit}")))
        if defect != "no_frequency":
            pairs.append((t["dcterms:accrualPeriodicity"], t[spec.frequency]))
        standard = next((c.standard for c in cols if c.standard), "iso-8601")
        pairs.append((t["dcterms:conformsTo"], t.node("standard", standard)))
        if spec.about:
            pairs.append((t["gov:aboutEntity"], t.node("term", ent.slug)))
        if spec.master or defect == "duplicate_master":
            pairs.append((t["gov:masterOf"], t.node("term", ent.slug)))
        if spec.key:
            pairs.append((t["gov:keyDataset"], t.true))
        pairs.append((t["gov:retentionPeriod"], t.lit(ent.retention)))
        return pairs

    def _custody_pairs(self, spec: DatasetSpec, defect: str | None) -> Pairs:
        """Where it is held, who is responsible for it, and its security classification."""
        t, unit, system = self.t, UNITS[spec.unit], self.systems[spec.system]
        if defect == "off_system_spreadsheet":
            pairs = [(t["gov:heldIn"], t.node("system", "sharepoint")), (t["gov:storageForm"], t["gov:Spreadsheet"])]
        elif defect == "no_system":
            pairs = []
        else:
            form = "gov:DocumentLibrary" if system.document_store else "gov:ManagedDatabase"
            pairs = [(t["gov:heldIn"], t.node("system", system.slug)), (t["gov:storageForm"], t[form])]
        if defect == "owner_left":
            leaver = self.n_current + int(self.rng.random() * self.n_leavers)
            pairs.append((t["gov:owner"], t.node("person", f"p{leaver}")))
        elif defect != "missing_owner":
            pairs.append((t["gov:owner"], t.node("person", f"p{self._owner(spec.unit)}")))
        if defect != "no_steward":
            pairs.append((t["gov:steward"], t.node("person", f"p{self._steward(spec.unit)}")))
        pairs += [(t["gov:custodian"], t.node("person", f"p{system.custodian}")),
                  (t["gov:serviceArea"], t.node("unit", unit.slug))]
        sensitive = spec.personal or spec.special
        if defect != "no_classification":
            pairs.append((t["gov:classification"], t["gov:OfficialSensitive" if sensitive else "gov:Official"]))
        if sensitive and defect != "no_access_group":
            pairs.append((t["gov:accessGroup"], t.lit(f"SG-{unit.slug}-{spec.layer}")))
        return pairs

    def _analytics_pairs(self, spec: DatasetSpec) -> Pairs:
        """Principle 11: a report, return or analytics product names its analyst and its method.

        The analyst is the custodian of the tool it is held in (Power BI's for reports, the
        warehouse's for returns and models); no random number is drawn, so the rest of the
        estate is the same as without these statements.
        """
        if not (spec.analytics or "gov:Report" in spec.types or "gov:StatutoryReturn" in spec.types):
            return []
        t = self.t
        return [(t["gov:analyticsOwner"], t.node("person", f"p{self.systems[spec.system].custodian}")),
                (t["gov:method"], t.lit(f"Method note M{spec.index}: definitions and calculation steps"))]

    def _personal_pairs(self, spec: DatasetSpec, ent: Entity, defect: str | None) -> Pairs:
        """Personal data categories, subjects, purposes, lawful bases, DPIA and ethics links."""
        t = self.t
        pairs = [(t["dpv:hasPersonalData"], t["dpv:PersonalData"])]
        if spec.special:
            pairs.append((t["dpv:hasPersonalData"], t["dpv:SpecialCategoryPersonalData"]))
        if ent.subject:
            pairs.append((t["dpv:hasDataSubject"], t[ent.subject]))
        if defect != "no_purpose":
            pairs += [(t["dpv:hasPurpose"], t.node("purpose", p)) for p in spec.purposes]
        if defect != "no_lawful_basis":
            pairs.append((t["dpv:hasLegalBasis"], t[spec.art6]))
            if spec.special and _unit(ent.unit).art9:
                pairs.append((t["dpv:hasLegalBasis"], t[_unit(ent.unit).art9]))
        if spec.special:
            pairs.append((t["gov:highRisk"], t.true))
            if defect != "no_dpia":
                pairs.append((t["gov:hasDPIA"], t.node("dpia", ent.unit)))
        if spec.analytics:
            pairs.append((t["gov:analytics"], t.true))
            if defect != "no_ethics":
                pairs.append((t["gov:hasEthicsAssessment"], t.node("ethics", ent.unit)))
        return pairs

    def _record(self, spec: DatasetSpec) -> None:
        """Remember what later layers need to know about a dataset."""
        i = spec.index
        self.entity[i] = spec.entity
        self.width[i] = spec.width
        self.flags[i] = ((_PERSONAL if spec.personal else 0) | (_SPECIAL if spec.special else 0)
                         | (_AGGREGATED if spec.aggregated else 0))
        self.pools[spec.layer][spec.entity].append(i)
        self.counts[f"{spec.layer}_datasets"] += 1
        if spec.key:
            self.counts["key_datasets"] += 1

    def _write_fields(self, spec: DatasetSpec, cols: Sequence[Column], node: str, defect: str | None,
                      upstream: Sequence[int]) -> None:
        t, lit, i = self.t, self.t.lit, spec.index
        sources = [(u, _column_slugs(self.entity[u], self.width[u], bool(self.flags[u] & _AGGREGATED)),
                    columns_of(self.entity[u], self.width[u], bool(self.flags[u] & _AGGREGATED)))
                   for u in upstream]
        drop_scheme = defect == "key_identifier_no_scheme"
        for position, col in enumerate(cols):
            pairs = [(t["a"], t["gov:Field"]), (t["rdfs:label"], lit(col.label)), (t["gov:fieldOf"], node),
                     (t["gov:dataType"], lit(col.dtype))]
            if col.standard:
                pairs.append((t["gov:keyIdentifier"], t.true))
                if drop_scheme:
                    drop_scheme = False
                else:
                    pairs.append((t["gov:identifierScheme"], t.node("standard", col.standard)))
                pairs.append((t["gov:definedBy"], t.node("term", ENTITIES[spec.entity].slug)))
            how = None
            for n, (u, slugs, ucols) in enumerate(sources):
                if n and (spec.aggregated or position):   # further upstreams: the join key only
                    break
                if col.slug in slugs:
                    src, how = col.slug, how or spec.transformation
                elif col is RECORD_COUNT:                 # a count of the upstream's records
                    src, how = ucols[0].slug, "counted"
                else:
                    continue
                pairs.append((t["gov:derivedFromField"], t.node("field", f"d{u}.{src}")))
            if how:
                pairs.append((t["gov:transformation"], lit(how)))
            self.sink.emit(t.node("field", f"d{i}.{col.slug}"), pairs)
        self.counts["fields"] += len(cols)

    def _write_quality(self, node: str, defect: str | None) -> None:
        """Quality targets and measurements for a key dataset (one or two metrics)."""
        if defect == "no_quality_target":
            return
        t, rng = self.t, self.rng
        first = int(rng.random() * len(METRICS))
        metrics = [first] + ([(first + 1 + int(rng.random() * 5)) % len(METRICS)] if rng.random() < 0.5 else [])
        for n, m in enumerate(metrics):
            self._quality_no += 1
            target = self._pick(TARGETS_MILLI)
            if n == 0 and defect == "measurement_below_target":
                value = target - 10 - int(rng.random() * 110)
            else:
                value = target + int(rng.random() * (1001 - target))
            when = self._pick(STALE_TIMES if defect == "stale_measurement" else RECENT_TIMES)
            self.sink.emit(t.node("quality", f"t{self._quality_no}"), [
                (t["a"], t["gov:QualityTarget"]), (t["gov:targetFor"], node), (t["gov:metric"], t[METRICS[m]]),
                (t["gov:targetValue"], t.milli(target))])
            self.sink.emit(t.node("quality", f"m{self._quality_no}"), [
                (t["a"], t["dqv:QualityMeasurement"]), (t["dqv:computedOn"], node),
                (t["dqv:isMeasurementOf"], t[METRICS[m]]), (t["dqv:value"], t.milli(value)),
                (t["prov:generatedAtTime"], t.datetime(when))])
        self.counts["quality_targets"] += len(metrics)
        self.counts["measurements"] += len(metrics)

    # -- summary -------------------------------------------------------------------------

    def _summary(self) -> dict:
        c = self.counts
        return {
            "triples": self.sink.triples, "datasets": self.n,
            "source_datasets": c["source_datasets"], "staging_datasets": c["staging_datasets"],
            "warehouse_datasets": c["warehouse_datasets"], "marts": c["mart_datasets"],
            "reports": c["report_datasets"], "statutory_returns": c["return_datasets"],
            "key_datasets": c["key_datasets"], "fields": c["fields"], "flows": c["flows"],
            "personal_boundary_flows": c["personal_boundary_flows"], "systems": c["systems"],
            "units": c["units"], "people": c["people"], "leavers": c["leavers"], "partners": c["partners"],
            "agreements": c["agreements"], "standards": c["standards"], "concepts": c["concepts"],
            "purposes": c["purposes"], "quality_targets": c["quality_targets"],
            "measurements": c["measurements"],
            "defective_datasets": c["defective_datasets"], "defective_flows": c["defective_flows"],
            "defective_agreements": c["defective_agreements"],
            "defects": dict(self.defects),
        }


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(filter(None, out.split("-")))


def _unit(slug: str) -> Unit:
    return UNITS[UNIT_INDEX[slug]]


def _purpose_label(slug: str) -> str:
    for u in DATA_UNITS:
        if u.slug == slug:
            return u.purpose
    return next(label for s, label, _ in EXTRA_PURPOSES if s == slug)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_arguments(out: str | os.PathLike, datasets: int, seed: int, defect_rate: float) -> Path:
    """Validate arguments; returns the output path. Raises ValueError / OSError, one line each."""
    if isinstance(datasets, bool) or not isinstance(datasets, int) or datasets <= 0:
        raise ValueError(f"datasets must be a positive whole number, got {datasets!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    if (isinstance(defect_rate, bool) or not isinstance(defect_rate, (int, float))
            or math.isnan(defect_rate) or not 0.0 <= defect_rate <= 1.0):
        raise ValueError(f"defect rate must be a number from 0 to 1, got {defect_rate!r}")
    path = Path(out)
    if path.suffix.lower() not in (".nt", ".ttl"):
        raise ValueError(f"output file must end in .nt (N-Triples) or .ttl (Turtle): {str(path)!r}")
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {path}: {folder} is not a folder")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable")
    return path


def _open_temp(path: Path) -> tuple[Path, TextIO]:
    """A new hidden temporary file next to ``path`` (honouring the umask)."""
    for n in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{n}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return tmp, io.open(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
    raise FileExistsError(f"cannot write {path}: too many stale temporary files beside it")


def generate(out: str | os.PathLike, datasets: int, seed: int = 0, defect_rate: float = 0.0,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Write a synthetic council estate with ``datasets`` datasets to ``out`` (.nt or .ttl).

    Deterministic for a seed. ``defect_rate`` (0-1) is the share of datasets, personal-data
    boundary flows and agreements given one defect each. ``progress(done, total)`` is called
    about every 10% of datasets. Returns counts: triples, datasets, fields, flows, systems,
    people, partners, agreements, ... and ``defects`` (kind -> number injected).
    Raises ValueError for bad arguments and OSError when ``out`` cannot be written; no
    partial file is left behind.
    """
    path = _check_arguments(out, datasets, seed, defect_rate)
    tmp, fh = _open_temp(path)
    try:
        with fh:
            turtle = path.suffix.lower() == ".ttl"
            estate = Estate(Sink(fh, turtle), Terms(turtle), datasets, seed, float(defect_rate), progress)
            counts = estate.write()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return counts


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govgraph.data.generate",
                                description="Write a synthetic council data estate as N-Triples or Turtle.")
    p.add_argument("--datasets", type=int, required=True, help="number of datasets (at least 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--defect-rate", type=float, default=0.0,
                   help="share (0-1) of datasets, flows and agreements given one defect each (default 0)")
    p.add_argument("-o", "--output", required=True, help="output file, .nt or .ttl")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; progress and a summary go to stderr. Returns the exit code."""
    args = _parser().parse_args(argv)

    def report(done: int, total: int) -> None:
        print(f"generate: {done * 100 // total}% ({done}/{total} datasets)", file=sys.stderr, flush=True)

    try:
        counts = generate(args.output, args.datasets, args.seed, args.defect_rate, progress=report)
    except (ValueError, OSError) as exc:
        print(f"generate: error: {exc}", file=sys.stderr)
        return 2
    defects = sum(counts["defects"].values())
    print(f"generate: wrote {counts['triples']} triples ({counts['datasets']} datasets, {counts['fields']} fields, "
          f"{counts['flows']} flows, {defects} defects) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
