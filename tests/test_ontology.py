"""The vocabulary: every gov: term used anywhere is declared, labelled and explained."""
from __future__ import annotations

import re
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from govgraph.labels import ontology
from govgraph.ontology.ns import GOV

REPO = Path(__file__).resolve().parent.parent
TERM = re.compile(r"(?:\bgov:|https://w3id\.org/govgraph#|GOV\.|GOV\[\")([A-Za-z][A-Za-z0-9_-]*)")
SCANNED = ["govgraph", "ontology", "shapes", "lineage", "webapp", "data", "docs"]


def declared() -> set[str]:
    g = ontology()
    return {str(s)[len(str(GOV)):] for s in g.subjects() if str(s).startswith(str(GOV)) and str(s) != str(GOV)}


def test_ontology_parses_and_every_term_has_label_and_comment():
    g = ontology()
    missing = []
    for s in set(g.subjects()):
        if str(s).startswith(str(GOV)) and s != rdflib.URIRef(str(GOV)):
            if g.value(s, RDFS.label) is None or g.value(s, RDFS.comment) is None:
                missing.append(str(s))
    assert missing == []


def test_every_property_and_class_is_typed():
    g = ontology()
    for s in set(g.subjects()):
        if str(s).startswith(str(GOV)) and s != rdflib.URIRef(str(GOV)):
            assert g.value(s, RDF.type) is not None, s


def test_every_gov_term_used_anywhere_is_declared():
    known = declared()
    used: dict[str, set[str]] = {}
    for folder in SCANNED:
        for path in (REPO / folder).rglob("*"):
            if path.suffix not in {".py", ".ttl", ".html", ".md", ".csv", ".rq", ".js"} or "__pycache__" in path.parts:
                continue
            for m in TERM.finditer(path.read_text(encoding="utf-8", errors="replace")):
                used.setdefault(m.group(1).rstrip("-_"), set()).add(str(path.relative_to(REPO)))
    unknown = {t: sorted(p) for t, p in used.items() if t not in known}
    assert unknown == {}, f"gov: terms used but not declared in ontology/govgraph.ttl: {unknown}"


def test_w3c_superclasses_are_real_terms():
    """Superclasses the ontology borrows exist in the W3C vocabularies shipped in shared/standards."""
    vocab = REPO.parent / "shared" / "standards" / "vocab"
    w3c = rdflib.Graph()
    for f in ["dcat3.ttl", "prov-o.ttl", "org.ttl", "skos.ttl", "dqv.ttl", "dpv/dpv.ttl"]:
        w3c.parse(vocab / f)
    g = ontology()
    for s, o in g.subject_objects(RDFS.subClassOf):
        if str(o).startswith(("http://www.w3.org/ns/dcat#", "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/org#",
                              "https://w3id.org/dpv#", "http://www.w3.org/2004/02/skos/core#")):
            assert (o, None, None) in w3c, f"{s} subClassOf unknown {o}"
