"""The open datasets as a DCAT 3 catalogue conforming to DCAT-AP 3.0.1, for open-data portals.

Open means: a ``dcat:Dataset`` marked ``gov:classification gov:Official`` with no
``dpv:hasPersonalData``. Only publishable facts are exported (title, description,
themes, update frequency, standards, the publishing council); owners and stewards
are people and stay internal. Each dataset gets one distribution whose access URL is
its page in the viewer, under the Open Government Licence. CKAN's ckanext-dcat
harvests this document.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from govgraph.ontology.ns import DPV, GOV
from govgraph.store import Store

OGL = URIRef("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
ENGLISH = URIRef("http://publications.europa.eu/resource/authority/language/ENG")
ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")

#: Open datasets with the facts a catalogue may publish.
OPEN_DATASETS = """
SELECT ?d (SAMPLE(?t) AS ?title) (SAMPLE(?desc) AS ?description) (SAMPLE(?freq) AS ?frequency)
       (GROUP_CONCAT(DISTINCT STR(?theme); separator=" ") AS ?themes)
       (GROUP_CONCAT(DISTINCT STR(?std); separator=" ") AS ?standards)
WHERE {
  ?d a dcat:Dataset ; gov:classification gov:Official .
  FILTER NOT EXISTS { ?d dpv:hasPersonalData ?pd }
  OPTIONAL { ?d dcterms:title ?t } OPTIONAL { ?d rdfs:label ?t }
  OPTIONAL { ?d dcterms:description ?desc }
  OPTIONAL { ?d dcterms:accrualPeriodicity ?freq }
  OPTIONAL { ?d dcat:theme ?theme }
  OPTIONAL { ?d dcterms:conformsTo ?std }
} GROUP BY ?d ORDER BY ?d
"""


def open_dataset_iris(store: Store) -> list[str]:
    """The IRIs of the datasets the catalogue publishes."""
    return [str(r["d"]) for r in store.select(OPEN_DATASETS)]


def dcat_catalog(store: Store, base: str = "http://localhost/", *, today: dt.date | None = None) -> rdflib.Graph:
    """The DCAT catalogue of open datasets; ``base`` is the web app's address (for pages and the catalogue IRI)."""
    g = rdflib.Graph()
    for p, ns in (("dcat", DCAT), ("dcterms", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("adms", ADMS)):
        g.bind(p, ns)
    cat = URIRef(base + "catalog")
    council = _council(store)
    publisher = URIRef(council[0]) if council else URIRef(base + "publisher")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(council[1] if council else "Data publisher", lang="en")))
    g.add((cat, RDF.type, DCAT.Catalog))
    name = council[1] if council else "govgraph"
    g.add((cat, DCTERMS.title, Literal(f"{name}: open data catalogue", lang="en")))
    g.add((cat, DCTERMS.description, Literal(
        f"Datasets published by {name} that hold no personal data and are classified OFFICIAL.", lang="en")))
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((cat, DCTERMS.language, ENGLISH))
    g.add((ENGLISH, RDF.type, DCTERMS.LinguisticSystem))
    g.add((cat, DCTERMS.license, OGL))
    g.add((OGL, RDF.type, DCTERMS.LicenseDocument))
    g.add((cat, DCTERMS.modified, Literal((today or dt.date.today()).isoformat(), datatype=XSD.date)))
    g.add((cat, FOAF.homepage, URIRef(base)))
    g.add((URIRef(base), RDF.type, FOAF.Document))
    rows = store.select(OPEN_DATASETS)
    theme_labels = _labels(store, {t for r in rows for t in str(r.get("themes", "")).split()})
    for r in rows:
        d = URIRef(str(r["d"]))
        title = str(r.get("title") or str(d).rsplit("/", 1)[-1])
        g.add((cat, DCAT.dataset, d))
        g.add((d, RDF.type, DCAT.Dataset))
        g.add((d, DCTERMS.title, Literal(title, lang="en")))
        g.add((d, DCTERMS.description, Literal(str(r.get("description") or title), lang="en")))
        g.add((d, DCTERMS.identifier, Literal(str(d))))
        g.add((d, DCTERMS.publisher, publisher))
        if "frequency" in r:
            g.add((d, DCTERMS.accrualPeriodicity, r["frequency"]))
            g.add((r["frequency"], RDF.type, DCTERMS.Frequency))
        for t in str(r.get("themes", "")).split():
            g.add((d, DCAT.theme, URIRef(t)))
            g.add((URIRef(t), RDF.type, SKOS.Concept))
            if t in theme_labels:
                g.add((URIRef(t), SKOS.prefLabel, Literal(theme_labels[t], lang="en")))
        for s in str(r.get("standards", "")).split():
            g.add((d, DCTERMS.conformsTo, URIRef(s)))
            g.add((URIRef(s), RDF.type, DCTERMS.Standard))
        page = URIRef(base + "asset?iri=" + quote(str(d), safe=""))
        dist = URIRef(base + "asset.ttl?iri=" + quote(str(d), safe=""))
        g.add((d, DCAT.landingPage, page))
        g.add((page, RDF.type, FOAF.Document))
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, page))
        g.add((dist, DCTERMS.title, Literal(f"{title}: catalogue record (Turtle)", lang="en")))
        g.add((dist, DCTERMS.license, OGL))
        g.add((dist, DCAT.mediaType, URIRef("http://www.iana.org/assignments/media-types/text/turtle")))
        g.add((URIRef("http://www.iana.org/assignments/media-types/text/turtle"), RDF.type, DCTERMS.MediaType))
    return g


def _council(store: Store) -> tuple[str, str] | None:
    rows = store.select("SELECT ?c (SAMPLE(?l) AS ?label) WHERE { ?c a gov:Council . "
                        "OPTIONAL { ?c skos:prefLabel|rdfs:label ?l } } GROUP BY ?c LIMIT 1")
    if not rows:
        return None
    return str(rows[0]["c"]), str(rows[0].get("label") or "The council")


def _labels(store: Store, iris: set[str]) -> dict[str, str]:
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    return {str(r["s"]): str(r["l"]) for r in store.select(
        f"SELECT ?s (SAMPLE(?x) AS ?l) WHERE {{ VALUES ?s {{ {values} }} ?s skos:prefLabel|rdfs:label ?x }} GROUP BY ?s")}


def jsonld_context() -> dict:
    """A compact JSON-LD context for the catalogue."""
    return {"dcat": str(DCAT), "dcterms": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS),
            "xsd": str(XSD)}


def write_dcat(store: Store, out, fmt: str = "turtle", base: str = "http://localhost:8080/") -> int:
    """Write the catalogue to a binary file object; returns the number of datasets."""
    g = dcat_catalog(store, base)
    if fmt in ("jsonld", "json-ld"):
        out.write(g.serialize(format="json-ld", context=jsonld_context(), auto_compact=True).encode("utf-8"))
    else:
        out.write(g.serialize(format=fmt).encode("utf-8"))
    return len(list(g.objects(None, DCAT.dataset)))


__all__ = ["dcat_catalog", "open_dataset_iris", "write_dcat", "jsonld_context", "DPV", "GOV"]
