"""Namespace constants for the govgraph vocabulary and the W3C vocabularies it reuses."""
from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

GOV = Namespace("https://w3id.org/govgraph#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DPV = Namespace("https://w3id.org/dpv#")
EU_GDPR = Namespace("https://w3id.org/dpv/legal/eu/gdpr#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SH = Namespace("http://www.w3.org/ns/shacl#")
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")

#: Base IRI for things govgraph itself mints (source graphs, audit records, reports).
GG = Namespace("urn:govgraph:")

#: Prefixes used when serialising and in SPARQL query prologues.
PREFIXES: dict[str, Namespace] = {
    "gov": GOV, "dcat": DCAT, "dcterms": DCTERMS, "prov": PROV, "org": ORG, "foaf": FOAF,
    "skos": SKOS, "dqv": DQV, "dpv": DPV, "eu-gdpr": EU_GDPR, "odrl": ODRL, "rdf": RDF,
    "rdfs": RDFS, "owl": OWL, "xsd": XSD, "sh": SH, "freq": FREQ,
}


def sparql_prologue() -> str:
    """PREFIX lines for every namespace above, for building SPARQL queries."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


__all__ = ["GOV", "DQV", "DPV", "EU_GDPR", "ODRL", "SH", "FREQ", "GG", "PREFIXES", "sparql_prologue",
           "DCAT", "DCTERMS", "FOAF", "ORG", "OWL", "PROV", "RDF", "RDFS", "SKOS", "XSD"]
