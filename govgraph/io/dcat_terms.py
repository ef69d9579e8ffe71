"""The controlled terms a DCAT-AP 3 catalogue for UK open-data portals uses, in the forms harvesters know.

The EU vocabularies are those DCAT-AP 3.0.1 recommends (publications.europa.eu authority
tables, ADMS types); the Open Government Licence is written as CKAN's licence register has
it (``https://`` IRI and title), so ckanext-dcat maps it to CKAN's ``uk-ogl`` licence.
"""
from __future__ import annotations

import re

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")

AUTHORITY = "http://publications.europa.eu/resource/authority/"
#: The EU data-theme vocabulary (13 themes); council themes are mapped onto it in the glossary.
DATA_THEME = URIRef(AUTHORITY + "data-theme")
DATA_THEME_PREFIX = AUTHORITY + "data-theme/"

#: English names of the EU data themes (the authority table's labels), for themes the store does not name.
DATA_THEME_NAMES = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
    "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
}

#: The Open Government Licence v3.0 as CKAN's licence register knows it (id ``uk-ogl``).
OGL = URIRef("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
OGL_TITLE = "UK Open Government Licence (OGL)"
#: ADMS licence type of the OGL: reuse with attribution.
ATTRIBUTION = URIRef("http://purl.org/adms/licencetype/Attribution")
#: ADMS publisher type of a council.
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")

ENGLISH = URIRef(AUTHORITY + "language/ENG")
UNITED_KINGDOM = URIRef(AUTHORITY + "country/GBR")
STABLE = URIRef(AUTHORITY + "planned-availability/STABLE")

#: The distribution's format as DCAT-AP wants it (EU file type) and as IANA names it (media type).
TURTLE_FILE_TYPE = URIRef(AUTHORITY + "file-type/RDF_TURTLE")
TURTLE_MEDIA_TYPE = URIRef("http://www.iana.org/assignments/media-types/text/turtle")

#: CKAN's tag rule (ckan.logic.validators: letters, digits, space, ``-_.``; 2 to 100 characters).
_NOT_IN_A_TAG = re.compile(r"[^\w \-.]+", re.UNICODE)


def ckan_keyword(label: str) -> str | None:
    """A glossary label as a keyword CKAN accepts as a tag (``Children's`` -> ``Childrens``), or None."""
    word = " ".join(_NOT_IN_A_TAG.sub("", label.replace(",", " ")).split())
    return word[:100].rstrip() if len(word) >= 2 else None


def is_data_theme(iri: str) -> bool:
    """Whether ``iri`` is a concept of the EU data-theme vocabulary."""
    return iri.startswith(DATA_THEME_PREFIX) and len(iri) > len(DATA_THEME_PREFIX)


def add_concept(g: rdflib.Graph, concept: URIRef, cls: URIRef, scheme: URIRef | None = None) -> None:
    """Type an authority-table concept and name its scheme (DCAT-AP's vocabulary checks look for it)."""
    g.add((concept, RDF.type, cls))
    if scheme is not None:
        g.add((concept, SKOS.inScheme, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        if g.value(scheme, DCTERMS.title) is None:
            name = str(scheme).rstrip("/").rsplit("/", 2)
            title = name[-2] + " " + name[-1] if name[-1][:1].isdigit() else name[-1]
            g.add((scheme, DCTERMS.title, Literal(title.replace("-", " "), lang="en")))


def add_licence(g: rdflib.Graph) -> URIRef:
    """The OGL with its title and licence type."""
    g.add((OGL, RDF.type, DCTERMS.LicenseDocument))
    g.add((OGL, DCTERMS.title, Literal(OGL_TITLE, lang="en")))
    g.add((OGL, DCTERMS.type, ATTRIBUTION))
    add_concept(g, ATTRIBUTION, SKOS.Concept, URIRef("http://purl.org/adms/licencetype/1.0"))
    g.add((ATTRIBUTION, SKOS.prefLabel, Literal("Attribution", lang="en")))
    return OGL


def scheme_of(concept: URIRef) -> URIRef:
    """The authority table an EU concept IRI belongs to (``.../frequency/DAILY`` -> ``.../frequency``)."""
    return URIRef(str(concept).rsplit("/", 1)[0])


__all__ = ["ADMS", "DCATAP", "VCARD", "DATA_THEME", "DATA_THEME_NAMES", "OGL", "OGL_TITLE", "ENGLISH", "UNITED_KINGDOM", "STABLE",
           "TURTLE_FILE_TYPE", "TURTLE_MEDIA_TYPE", "LOCAL_AUTHORITY", "ckan_keyword", "is_data_theme",
           "add_concept", "add_licence", "scheme_of"]
