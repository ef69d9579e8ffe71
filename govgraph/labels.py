"""Labels and kinds: a readable name and a kind for any IRI, and plain-language names for vocabulary terms.

Every read model (the catalogue, search, lineage flows, reports, pages) names resources through
``labels`` (many IRIs in one query) and terms through ``term_label``; the kinds come from the one
table in ``govgraph.kinds``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from govgraph import vocabulary
from govgraph.kinds import CATALOG_KINDS, kind_of
from govgraph.ontology.ns import DCAT, DCTERMS, DPV, DQV, FOAF, ORG, PROV, SKOS
from govgraph.store import Store

#: rdf:type -> kind name, most specific first (the first match wins): the table is govgraph.kinds.
KINDS: list[tuple[URIRef, str]] = CATALOG_KINDS
KIND_LABELS = {"dataset": "Dataset", "report": "Report", "return": "Statutory return", "system": "System",
               "database": "Database", "field": "Field", "flow": "Data flow", "agreement": "Sharing agreement",
               "council": "Council", "partner": "Partner", "team": "Team / service area",
               "community": "Community of practice", "person": "Person", "standard": "Standard",
               "purpose": "Processing purpose", "dpia": "DPIA", "ethics": "Ethics assessment",
               "quality-target": "Quality target", "measurement": "Quality measurement",
               "activity": "Pipeline run", "discovered": "Discovered dataset", "term": "Glossary term", "glossary": "Glossary", "thing": "Thing"}
#: kind name -> the rdf:types it stands for
KIND_TYPES: dict[str, list[URIRef]] = {}
for _t, _k in KINDS:
    KIND_TYPES.setdefault(_k, []).append(_t)

LABEL_PROPS = "rdfs:label|dcterms:title|foaf:name|skos:prefLabel"
#: A label (?label) and the types (?types) of each resource of ``VALUES ?s { %s }``, grouped on each
#: side of a UNION (an aggregate over a UNION's unbound values is an error in Oxigraph), each label
#: property a pattern of its own: Virtuoso 7.2 answers this for 40 resources in 10 ms, and
#: ``OPTIONAL { ?s LABEL_PROPS ?l } OPTIONAL { ?s a ?t }`` in 100 ms (it evaluates an alternative
#: path as a transitive one). A resource with neither has no row.
_LABELS_AND_TYPES = ("""SELECT ?s ?label ?types WHERE {
    { SELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?s { %s } """
                     + " UNION ".join(f"{{ ?s {p} ?l }}" for p in LABEL_PROPS.split("|")) + """ } GROUP BY ?s }
    UNION { SELECT ?s (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?types) WHERE {
        VALUES ?s { %s } ?s a ?t } GROUP BY ?s } }""")
#: The kinds people mostly mean when they name something.
MAIN_KINDS = {"dataset", "report", "return", "system", "database", "person", "team", "partner", "agreement",
              "standard", "term", "council", "community"}


@dataclass(frozen=True)
class Ref:
    """A link to another resource: its IRI, a readable label and its kind."""
    iri: str
    label: str
    kind: str = "thing"


# ----------------------------------------------------------------------------- ontology labels

#: The govgraph vocabulary (labels and comments for every gov: term), parsed once.
ontology = vocabulary.ontology


#: Labels for common W3C terms, where the ontology does not describe them.
_W3C_LABELS = {
    str(DCTERMS.title): ("title", "The name of the resource."),
    str(DCTERMS.description): ("description", "What the resource is, in plain language."),
    str(DCTERMS.conformsTo): ("conforms to standard", "A standard the resource follows."),
    str(DCTERMS.accrualPeriodicity): ("update frequency", "How often the dataset is updated."),
    str(DCTERMS.publisher): ("publisher", "The organisation that publishes the resource."),
    str(DCTERMS.license): ("licence", "The licence under which the resource may be reused."),
    str(DCAT.theme): ("glossary term", "A glossary concept the dataset is about."),
    str(DCAT.keyword): ("keyword", "A keyword describing the resource."),
    str(DCAT.distribution): ("distribution", "A downloadable form of the dataset."),
    str(RDF.type): ("type", "What kind of thing this is."),
    str(RDFS.label): ("name", "The name of the resource."),
    str(RDFS.comment): ("comment", "A note about the resource."),
    str(FOAF.name): ("name", "The person's name."),
    str(FOAF.member): ("member", "A member of the group."),
    str(FOAF.homepage): ("web page", "Where to read more."),
    str(ORG.memberOf): ("member of", "The team or service area the person belongs to."),
    str(ORG.unitOf): ("part of", "The organisation or service area this unit belongs to."),
    str(SKOS.prefLabel): ("name", "The preferred name of the concept."),
    str(SKOS.definition): ("definition", "What the term means."),
    str(SKOS.inScheme): ("in glossary", "The glossary or code list the term belongs to."),
    str(SKOS.broader): ("broader term", "A more general term."),
    str(SKOS.notation): ("code", "A short code for the concept."),
    str(PROV.wasDerivedFrom): ("derived from", "A dataset this one is computed or copied from."),
    str(PROV.used): ("used", "A dataset the run read."),
    str(PROV.generated): ("generated", "A dataset the run wrote."),
    str(PROV.generatedAtTime): ("measured at", "When the value was produced."),
    str(DPV.hasPersonalData): ("personal data", "The categories of personal data held."),
    str(DPV.hasLegalBasis): ("lawful basis", "The UK GDPR lawful basis (Article 6) or condition (Article 9)."),
    str(DPV.hasPurpose): ("purpose", "Why the data is processed."),
    str(DPV.hasDataSubject): ("data subjects", "Whose personal data it is."),
    str(DQV.computedOn): ("measured on", "The dataset the measurement is about."),
    str(DQV.isMeasurementOf): ("metric", "The quality metric measured."),
    str(DQV.value): ("value", "The measured value."),
    str(DQV.inDimension): ("quality dimension", "The data quality dimension."),
}


def term_label(iri: str) -> tuple[str, str]:
    """A plain-language (label, comment) for a vocabulary term."""
    if iri in _W3C_LABELS:
        return _W3C_LABELS[iri]
    g = ontology()
    u = URIRef(iri)
    lab = g.value(u, RDFS.label)
    com = g.value(u, RDFS.comment)
    if lab is not None:
        return str(lab), str(com or "")
    return local_name(iri), ""


def local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[-1]
    return iri


def _gdpr_label(iri: str) -> str | None:
    text = vocabulary.basis_label(iri)
    return text if text != iri else None


# ----------------------------------------------------------------------------- lookups

def labels(store: Store, iris: Iterable[str]) -> dict[str, Ref]:
    """Labels and kinds for many IRIs in one query (IRIs with no label get their local name)."""
    iris = sorted({i for i in iris if i})
    out: dict[str, Ref] = {}
    for chunk_start in range(0, len(iris), 500):
        chunk = iris[chunk_start:chunk_start + 500]
        values = " ".join(f"<{i}>" for i in chunk)
        found: dict[str, dict] = {}
        for r in store.select(_LABELS_AND_TYPES % (values, values)):
            found.setdefault(str(r["s"]), {}).update(r)
        for s, r in found.items():
            types = str(r.get("types", "")).split()
            out[s] = Ref(s, str(r["label"]) if "label" in r else _fallback_label(s), kind_of(types))
    for i in iris:
        out.setdefault(i, Ref(i, _fallback_label(i), "thing"))
    return out


def _fallback_label(iri: str) -> str:
    lab = _gdpr_label(iri)
    if lab:
        return lab
    known = term_label(iri)
    return known[0]


def label(store: Store, iri: str) -> str:
    """A readable label for one IRI."""
    return labels(store, [iri])[iri].label


def base_title(label: str) -> str:
    """A label without a closing parenthesis, case-folded: "SALT return (Short …)" -> "salt return"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", label.strip()).casefold()
