"""The open datasets as a DCAT 3 catalogue conforming to DCAT-AP 3.0.1, for open-data portals (CKAN).

Which datasets are open is decided by ``govgraph.io.open_data`` (OFFICIAL and not personal,
checked again in Python after the query). Only publishable facts are exported, each read
by name: title, description, update frequency, themes (the council's glossary themes and
the EU data themes they map to with ``skos:exactMatch``/``closeMatch``/``broadMatch``),
keywords (the labels of the glossary terms the dataset and its fields are about), standards,
the publishing council, and a contact point for the owning service area. Owners and stewards
are people and stay internal.

Each dataset gets one distribution, its catalogue record in Turtle, under the Open
Government Licence written as CKAN's licence register knows it, with both a media type
and a DCAT-AP file type. Every page and record IRI is under ``base``, the public address of
the web app: a file meant for publication never points at localhost (``public_base``).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from collections import defaultdict
from typing import Iterable
from urllib.parse import quote, urlsplit

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from govgraph.errors import BadInput
from govgraph.io.dcat_terms import (
    ADMS, AUTHORITY, DATA_THEME, DATA_THEME_NAMES, DCATAP, ENGLISH, LOCAL_AUTHORITY, STABLE, TURTLE_FILE_TYPE,
    TURTLE_MEDIA_TYPE, UNITED_KINGDOM, VCARD, add_concept, add_licence, ckan_keyword, is_data_theme, scheme_of,
)
from govgraph.io.formats import RDFLIB_NAMES
from govgraph.io.open_data import open_datasets
from govgraph.ontology.ns import GOV
from govgraph.store import Store

#: The facts of an open dataset the catalogue publishes (nothing else is read).
PUBLISHED = (DCTERMS.title, RDFS.label, DCTERMS.description, DCTERMS.accrualPeriodicity, DCAT.theme,
             DCTERMS.conformsTo, GOV.serviceArea)
#: Links from a dataset, or from one of its fields, to the glossary terms that give its keywords.
KEYWORD_LINKS = "dcat:theme|gov:aboutEntity|gov:masterOf|gov:definedBy"
BATCH = 50


def public_base(url: str | None) -> str:
    """``url`` as the base of a published catalogue (ending in ``/``); BadInput if missing or not public."""
    if not url:
        raise BadInput("a DCAT catalogue needs the public address of the web app for its links: give "
                       "--base https://data.example.gov.uk/ (or set GOVGRAPH_BASE_URL)")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadInput(f"the catalogue's base {url!r} is not an http(s) URL of the form https://HOST[:PORT]/[PATH/]")
    host = parts.hostname.lower()
    try:
        ip = ipaddress.ip_address(host)
        local = ip.is_loopback or ip.is_unspecified or ip.is_link_local
    except ValueError:
        local = host == "localhost" or host.endswith(".localhost")
    if local:
        raise BadInput(f"the catalogue's base {url!r} is a local address, which no one reading the published "
                       "catalogue can reach: give the web app's public address")
    return url.strip().rstrip("/") + "/"


def dcat_catalog(store: Store, base: str, *, today: dt.date | None = None) -> rdflib.Graph:
    """The DCAT catalogue of open datasets; ``base`` is the web app's address (for pages and the catalogue IRI)."""
    base = base.rstrip("/") + "/"
    g = rdflib.Graph()
    for p, ns in (("dcat", DCAT), ("dcterms", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("adms", ADMS),
                  ("dcatap", DCATAP), ("vcard", VCARD)):
        g.bind(p, ns)
    iris = open_datasets(store)
    facts = _facts(store, iris)
    themes = {o for f in facts.values() for o in f[DCAT.theme]}
    units = {o for f in facts.values() for o in f[GOV.serviceArea]}
    labels = _labels(store, themes | units)
    publisher, name = _publisher(g, store)
    cat = URIRef(base + "catalog")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal(f"{name}: open data catalogue", lang="en")))
    g.add((cat, DCTERMS.description, Literal(
        f"Datasets published by {name} that hold no personal data and are classified OFFICIAL.", lang="en")))
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((cat, DCTERMS.language, ENGLISH))
    add_concept(g, ENGLISH, DCTERMS.LinguisticSystem, scheme_of(ENGLISH))
    g.add((cat, DCTERMS.license, add_licence(g)))
    g.add((cat, DCTERMS.modified, Literal((today or dt.date.today()).isoformat(), datatype=XSD.date)))
    g.add((cat, DCTERMS.spatial, UNITED_KINGDOM))
    add_concept(g, UNITED_KINGDOM, DCTERMS.Location, scheme_of(UNITED_KINGDOM))
    g.add((cat, FOAF.homepage, URIRef(base)))
    g.add((URIRef(base), RDF.type, FOAF.Document))
    g.add((cat, DCAT.themeTaxonomy, DATA_THEME))
    g.add((DATA_THEME, RDF.type, SKOS.ConceptScheme))
    g.add((DATA_THEME, DCTERMS.title, Literal("Data theme", lang="en")))
    for scheme, title in _schemes(store, themes).items():
        g.add((cat, DCAT.themeTaxonomy, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, DCTERMS.title, Literal(title, lang="en")))
    eu = _eu_themes(store, themes)
    keywords = _keywords(store, iris)
    contacts = {u: _contact(g, store, u, labels.get(u), base) for u in sorted(units)}
    for iri in iris:
        _dataset(g, URIRef(iri), facts[iri], base, cat, publisher, labels, eu, keywords.get(iri, set()),
                 [contacts[u] for u in sorted(facts[iri][GOV.serviceArea])] or [_contact(g, store, None, name, base)])
    return g


def _dataset(g: rdflib.Graph, d: URIRef, f: dict, base: str, cat: URIRef, publisher: URIRef, labels: dict,
             eu: dict, keywords: set[str], contacts: list) -> None:
    title = str(_first(f[DCTERMS.title]) or _first(f[RDFS.label]) or str(d).rsplit("/", 1)[-1])
    g.add((cat, DCAT.dataset, d))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal(title, lang="en")))
    g.add((d, DCTERMS.description, Literal(str(_first(f[DCTERMS.description]) or title), lang="en")))
    g.add((d, DCTERMS.identifier, Literal(str(d))))
    g.add((d, DCTERMS.publisher, publisher))
    g.add((d, DCTERMS.spatial, UNITED_KINGDOM))
    for freq in sorted(f[DCTERMS.accrualPeriodicity]):
        g.add((d, DCTERMS.accrualPeriodicity, freq))
        add_concept(g, freq, DCTERMS.Frequency, scheme_of(freq) if str(freq).startswith(AUTHORITY) else None)
    for t in sorted(f[DCAT.theme]):
        g.add((d, DCAT.theme, t))
        g.add((t, RDF.type, SKOS.Concept))
        g.add((t, SKOS.prefLabel, Literal(labels.get(t) or str(t).rsplit("/", 1)[-1], lang="en")))
        for e in eu.get(t, ()):
            g.add((d, DCAT.theme, e))
            add_concept(g, e, SKOS.Concept, DATA_THEME)
            code = str(e).rsplit("/", 1)[-1]
            g.add((e, SKOS.prefLabel, Literal(DATA_THEME_NAMES.get(code, code), lang="en")))
    for word in sorted(keywords):
        g.add((d, DCAT.keyword, Literal(word, lang="en")))
    for s in sorted(f[DCTERMS.conformsTo]):
        g.add((d, DCTERMS.conformsTo, s))
        g.add((s, RDF.type, DCTERMS.Standard))
    for c in contacts:
        g.add((d, DCAT.contactPoint, c))
    page = URIRef(base + "asset?iri=" + quote(str(d), safe=""))
    record = URIRef(base + "asset.ttl?iri=" + quote(str(d), safe=""))
    g.add((d, DCAT.landingPage, page))
    g.add((page, RDF.type, FOAF.Document))
    g.add((d, DCAT.distribution, record))
    g.add((record, RDF.type, DCAT.Distribution))
    g.add((record, DCAT.accessURL, page))
    g.add((record, DCAT.downloadURL, record))
    g.add((record, DCTERMS.title, Literal(f"{title}: catalogue record (Turtle)", lang="en")))
    g.add((record, DCTERMS.description, Literal(
        f"The council's catalogue record of {title} as RDF: what it holds, how often it is updated, its themes, "
        "standards and lineage.", lang="en")))
    g.add((record, DCTERMS.license, add_licence(g)))
    g.add((record, DCAT.mediaType, TURTLE_MEDIA_TYPE))
    g.add((TURTLE_MEDIA_TYPE, RDF.type, DCTERMS.MediaType))
    g.add((record, DCTERMS["format"], TURTLE_FILE_TYPE))
    add_concept(g, TURTLE_FILE_TYPE, DCTERMS.MediaTypeOrExtent, scheme_of(TURTLE_FILE_TYPE))
    g.add((record, DCATAP.availability, STABLE))
    add_concept(g, STABLE, SKOS.Concept, scheme_of(STABLE))
    g.add((STABLE, SKOS.prefLabel, Literal("stable", lang="en")))


def _first(values: Iterable) -> object | None:
    return min(values, key=str, default=None)


def _values(iris: Iterable) -> str:
    return " ".join(f"<{i}>" for i in sorted({str(i) for i in iris}))


def _batches(iris: list) -> Iterable[list]:
    for start in range(0, len(iris), BATCH):
        yield iris[start:start + BATCH]


def _facts(store: Store, iris: list[str]) -> dict[str, dict]:
    """The published facts of each dataset, by predicate."""
    out: dict[str, dict] = {i: defaultdict(set) for i in iris}
    preds = _values(PUBLISHED)
    for batch in _batches(iris):
        for r in store.select(f"SELECT ?d ?p ?o WHERE {{ VALUES ?d {{ {_values(batch)} }} "
                              f"VALUES ?p {{ {preds} }} ?d ?p ?o }}"):
            if str(r.get("d")) in out and "p" in r and "o" in r:
                p, o = URIRef(str(r["p"])), r["o"]
                if p in (DCAT.theme, DCTERMS.conformsTo, GOV.serviceArea, DCTERMS.accrualPeriodicity) \
                        and not isinstance(o, URIRef):
                    continue
                out[str(r["d"])][p].add(o)
    return out


def _keywords(store: Store, iris: list[str]) -> dict[str, set[str]]:
    """CKAN-acceptable keywords per dataset: the labels of the glossary terms it or its fields are about."""
    out: dict[str, set[str]] = defaultdict(set)
    for batch in _batches(iris):
        for r in store.select(f"SELECT DISTINCT ?d ?label WHERE {{ VALUES ?d {{ {_values(batch)} }} "
                              f"{{ ?d {KEYWORD_LINKS} ?t }} UNION {{ ?f gov:fieldOf ?d ; gov:definedBy ?t }} "
                              "?t skos:prefLabel ?label }"):
            word = ckan_keyword(str(r.get("label", "")))
            if word:
                out[str(r["d"])].add(word)
    return out


def _eu_themes(store: Store, themes: set) -> dict[URIRef, set[URIRef]]:
    """The EU data themes each council theme (or a broader one) is mapped to."""
    out: dict[URIRef, set[URIRef]] = defaultdict(set)
    for batch in _batches(sorted(themes)):
        for r in store.select(f"SELECT DISTINCT ?t ?eu WHERE {{ VALUES ?t {{ {_values(batch)} }} "
                              "?t skos:broader* ?b . ?b skos:exactMatch|skos:closeMatch|skos:broadMatch ?eu }"):
            if is_data_theme(str(r.get("eu", ""))):
                out[URIRef(str(r["t"]))].add(URIRef(str(r["eu"])))
    return out


def _labels(store: Store, iris: set) -> dict[URIRef, str]:
    out: dict[URIRef, str] = {}
    for batch in _batches(sorted(iris)):
        for r in store.select(f"SELECT ?s (MIN(STR(?x)) AS ?l) WHERE {{ VALUES ?s {{ {_values(batch)} }} "
                              "?s skos:prefLabel|rdfs:label ?x } GROUP BY ?s"):
            out[URIRef(str(r["s"]))] = str(r["l"])
    return out


def _schemes(store: Store, themes: set) -> dict[URIRef, str]:
    """The council's theme vocabularies (the schemes its themes are in) and their titles."""
    out: dict[URIRef, str] = {}
    for batch in _batches(sorted(themes)):
        for r in store.select(f"SELECT ?s (MIN(STR(?x)) AS ?l) WHERE {{ VALUES ?t {{ {_values(batch)} }} "
                              "?t skos:inScheme ?s OPTIONAL { ?s skos:prefLabel|rdfs:label|dcterms:title ?x } } "
                              "GROUP BY ?s"):
            if isinstance(r.get("s"), URIRef):
                out[r["s"]] = str(r.get("l") or "Themes")
    return out


def _publisher(g: rdflib.Graph, store: Store) -> tuple[URIRef, str]:
    rows = store.select("SELECT ?c (MIN(STR(?l)) AS ?label) WHERE { ?c a gov:Council . "
                        "OPTIONAL { ?c skos:prefLabel|rdfs:label ?l } } GROUP BY ?c ORDER BY ?c LIMIT 1")
    council = URIRef(str(rows[0]["c"])) if rows else None
    name = str(rows[0].get("label") or "The council") if rows else "govgraph"
    publisher = council or URIRef("urn:govgraph:publisher")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal(name, lang="en")))
    g.add((publisher, DCTERMS.type, LOCAL_AUTHORITY))
    add_concept(g, LOCAL_AUTHORITY, SKOS.Concept, URIRef("http://purl.org/adms/publishertype/1.0"))
    g.add((LOCAL_AUTHORITY, SKOS.prefLabel, Literal("Local Authority", lang="en")))
    return publisher, name


def _contact(g: rdflib.Graph, store: Store, unit: URIRef | None, label: str | None, base: str) -> BNode:
    """A vCard for a service area (an organisation, never a person), with its mailbox if the store has one."""
    node = BNode(f"contact-{quote(str(unit or 'publisher'), safe='')}")
    if (node, RDF.type, VCARD.Organization) in g:
        return node
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, VCARD.fn, Literal(label or (str(unit).rsplit("/", 1)[-1] if unit else "The council"), lang="en")))
    g.add((node, VCARD.hasURL, URIRef(base + ("asset?iri=" + quote(str(unit), safe="") if unit else ""))))
    if unit is not None:
        for r in store.select(f"SELECT DISTINCT ?m WHERE {{ <{unit}> <{VCARD.hasEmail}>|foaf:mbox ?m }} ORDER BY ?m"):
            m = str(r["m"])
            g.add((node, VCARD.hasEmail, URIRef(m if m.startswith("mailto:") else "mailto:" + m)))
    return node


def jsonld_context() -> dict:
    """A compact JSON-LD context for the catalogue."""
    return {"dcat": str(DCAT), "dcterms": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS), "xsd": str(XSD),
            "adms": str(ADMS), "dcatap": str(DCATAP), "vcard": str(VCARD)}


def write_dcat(store: Store, out, fmt: str, base: str) -> int:
    """Write the catalogue to a binary file object; returns the number of datasets."""
    g = dcat_catalog(store, base)
    if fmt in ("jsonld", "json-ld"):
        out.write(g.serialize(format="json-ld", context=jsonld_context(), auto_compact=True).encode("utf-8"))
    else:
        out.write(g.serialize(format=RDFLIB_NAMES.get(fmt, fmt)).encode("utf-8"))
    return len(list(g.objects(None, DCAT.dataset)))


__all__ = ["dcat_catalog", "write_dcat", "jsonld_context", "public_base", "open_datasets"]
