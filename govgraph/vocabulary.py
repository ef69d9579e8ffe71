"""Names of the vocabulary's fixed terms, read from ``ontology/govgraph.ttl`` (parsed once).

Security classifications (their ``skos:notation``), UK GDPR lawful bases and Article 9
conditions (their ``rdfs:label`` "UK GDPR Art 6(1)(e)" and the names people use,
``skos:altLabel`` "public task"), and the council data principles (``gov:Principle<n>``).
The importers, reports, catalogue and shapes all ask here, so a term is renamed in one place:
the ontology.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from govgraph.ontology.ns import EU_GDPR, GOV


@lru_cache(maxsize=1)
def ontology() -> rdflib.Graph:
    """The govgraph vocabulary (labels and comments for every gov: term)."""
    g = rdflib.Graph()
    g.parse(resources.files("govgraph.ontology").joinpath("govgraph.ttl").read_bytes(), format="turtle")
    return g


def _key(text: str) -> str:
    """Upper-case words separated by single spaces: "Official_sensitive" -> "OFFICIAL SENSITIVE"."""
    return re.sub(r"[\s_\-]+", " ", text.strip().upper())


def _classifications() -> dict[URIRef, str]:
    g = ontology()
    return {s: str(g.value(s, SKOS.notation)) for s in g.subjects(RDF.type, GOV.Classification)}


#: classification IRI -> its marking ("OFFICIAL-SENSITIVE")
CLASSIFICATION_NAMES: dict[URIRef, str] = dict(sorted(_classifications().items(), key=lambda kv: kv[1]))
_CLASSIFICATION_KEYS = {_key(n): c for c, n in CLASSIFICATION_NAMES.items()}


def classification(text: str) -> URIRef | None:
    """The classification IRI for "OFFICIAL-SENSITIVE", "official  sensitive", "TOP_SECRET" ...; None if not one."""
    return _CLASSIFICATION_KEYS.get(_key(text))


def _bases() -> tuple[dict[str, str], dict[str, URIRef]]:
    g = ontology()
    labels, names = {}, {}
    for s, lab in g.subject_objects(RDFS.label):
        if str(s).startswith(str(EU_GDPR)):
            labels[str(s)] = str(lab)
            for alt in g.objects(s, SKOS.altLabel):
                names[str(alt).lower()] = URIRef(s)
    return labels, names


#: lawful basis IRI -> the text registers use ("UK GDPR Art 6(1)(e)"); name -> IRI ("public task")
BASIS_LABELS, BASIS_BY_NAME = _bases()
#: the names, in the order of the articles and points they stand for
BASIS_NAMES: tuple[str, ...] = tuple(sorted(BASIS_BY_NAME, key=lambda n: (str(BASIS_BY_NAME[n]), n)))
_BASIS_CODE = re.compile(re.escape(str(EU_GDPR)) + r"A([69])-([12])-([a-j])")


def basis_label(iri: str) -> str:
    """A UK GDPR lawful basis or condition as registers write it ("UK GDPR Art 6(1)(e)"); the IRI if not one."""
    text = BASIS_LABELS.get(iri)
    if text is not None:
        return text
    m = _BASIS_CODE.fullmatch(iri)  # a point the ontology does not list: written the same way
    return f"UK GDPR Art {m.group(1)}({m.group(2)})({m.group(3)})" if m else iri


def _principles() -> dict[int, str]:
    g = ontology()
    return {int(g.value(s, GOV.principle)): str(g.value(s, RDFS.label)) for s in g.subjects(RDF.type, GOV.Principle)}


#: principle number -> its name
PRINCIPLE_NAMES: dict[int, str] = dict(sorted(_principles().items()))
