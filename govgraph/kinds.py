"""What kind of thing a resource is, from its rdf:type: one table for the catalogue and the lineage graph.

Each row names a class, its kind in the catalogue (pages, search, labels: "database", "team",
"council" ...) and its kind in the lineage graph, which is coarser because walks only care
whether a node holds data, runs it or is outside the council ("system" covers databases and
warehouses, "organisation" councils and other bodies, "unit" teams). A class with no catalogue
kind is only a lineage node (a placeholder in a redacted view, a data service); one with no
lineage kind is not in the lineage graph.

Rows run most specific first: for a resource with several types the first row that matches
wins, in both views (a gov:Report is also a dcat:Dataset; a gov:Partner also an
org:Organization; a gov:Database also a gov:System).
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

from rdflib import URIRef

from govgraph.ontology.ns import DCAT, DQV, FOAF, GOV, ORG, PROV, SKOS

# -- lineage kinds ---------------------------------------------------------------------
DATASET, REPORT, RETURN, SYSTEM, PARTNER, FIELD = "dataset", "report", "return", "system", "partner", "field"
ORGANISATION, PERSON, UNIT, AGREEMENT, OTHER = "organisation", "person", "unit", "agreement", "other"


class TypeKind(NamedTuple):
    """One class: its kind in the catalogue and in the lineage graph (None: not in that view)."""
    type: URIRef
    kind: str | None
    lineage: str | None


#: rdf:type -> kinds, most specific first (the first match wins).
TYPE_KINDS: tuple[TypeKind, ...] = (
    TypeKind(GOV.StatutoryReturn, "return", RETURN),
    TypeKind(GOV.Report, "report", REPORT),
    TypeKind(GOV.DataWarehouse, "system", SYSTEM),
    TypeKind(GOV.DataLake, "system", SYSTEM),
    TypeKind(GOV.Database, "database", SYSTEM),
    TypeKind(GOV.DocumentStore, "system", SYSTEM),
    TypeKind(GOV.System, "system", SYSTEM),
    TypeKind(DCAT.DataService, None, SYSTEM),
    TypeKind(GOV.InformationAsset, "dataset", DATASET),
    TypeKind(DCAT.Dataset, "dataset", DATASET),
    TypeKind(GOV.RestrictedAsset, None, DATASET),  # a placeholder in a redacted view (govgraph.access)
    TypeKind(GOV.Field, "field", FIELD),
    TypeKind(GOV.Flow, "flow", None),
    TypeKind(GOV.SharingAgreement, "agreement", AGREEMENT),
    TypeKind(GOV.Council, "council", ORGANISATION),
    TypeKind(GOV.Partner, "partner", PARTNER),
    TypeKind(ORG.OrganizationalUnit, "team", UNIT),
    TypeKind(GOV.CommunityOfPractice, "community", None),
    TypeKind(FOAF.Person, "person", PERSON),
    TypeKind(GOV.Standard, "standard", None),
    TypeKind(GOV.ProcessingPurpose, "purpose", None),
    TypeKind(GOV.DPIA, "dpia", None),
    TypeKind(GOV.EthicsAssessment, "ethics", None),
    TypeKind(GOV.QualityTarget, "quality-target", None),
    TypeKind(DQV.QualityMeasurement, "measurement", None),
    TypeKind(PROV.Activity, "activity", None),
    TypeKind(SKOS.Concept, "term", None),
    TypeKind(SKOS.ConceptScheme, "glossary", None),
    TypeKind(ORG.FormalOrganization, None, ORGANISATION),
    TypeKind(ORG.Organization, "partner", ORGANISATION),
    # last: a dataset seen in lineage (an OpenLineage run) that the catalogue does not describe yet
    # (govgraph.discovered); described later, it takes the kind of its catalogue type above
    TypeKind(PROV.Entity, "discovered", None),
)

#: (type, catalogue kind), most specific first.
CATALOG_KINDS: list[tuple[URIRef, str]] = [(r.type, r.kind) for r in TYPE_KINDS if r.kind is not None]
#: (type IRI text, lineage kind), most specific first.
LINEAGE_KINDS: list[tuple[str, str]] = [(str(r.type), r.lineage) for r in TYPE_KINDS if r.lineage is not None]


def kind_of(types: Iterable[str]) -> str:
    """The catalogue kind for a set of rdf:type IRIs (most specific known type wins); "thing" if none."""
    ts = {str(t) for t in types}
    return next((k for t, k in CATALOG_KINDS if str(t) in ts), "thing")


def catalog_kind(lineage_kind: str) -> str:
    """The catalogue kind to show for a lineage node of ``lineage_kind``: that of the most specific class
    with that lineage kind ("unit" is shown as "team", "organisation" as "council"); the kind itself if none."""
    return _SHOWN.get(lineage_kind, lineage_kind)


_SHOWN: dict[str, str] = {}
for _row in TYPE_KINDS:
    if _row.lineage is not None and _row.kind is not None:
        _SHOWN.setdefault(_row.lineage, _row.kind)
