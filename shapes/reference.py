"""The reference engine: plain ``pyshacl.validate()`` over an rdflib copy of the data.

Used for shapes the SPARQL compiler does not translate (for example DCAT-AP's), and as the
correctness reference the fast engine is tested and benchmarked against. The data graph is
the validated data plus the ontology's rdfs:subClassOf triples, which is exactly what the
fast engine sees (class targets and sh:class use the subclass closure).
"""
from __future__ import annotations

import logging

import pyshacl
import rdflib
from rdflib import BNode, URIRef

from govgraph.errors import BadInput
from govgraph.ontology.ns import SH
from govgraph.shapes.loader import ontology, principle_of
from govgraph.shapes.model import Finding, term_text

# rdflib logs a full traceback for every ill-typed literal it meets; those literals become findings.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


def with_hierarchy(data: rdflib.Graph) -> rdflib.Graph:
    """``data`` plus the ontology's class hierarchy (rdfs:subClassOf triples)."""
    g = rdflib.Graph()
    g += data
    for t in ontology().triples((None, rdflib.RDFS.subClassOf, None)):
        g.add(t)
    return g


def _path_text(results: rdflib.Graph, path) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    inv = results.value(path, SH.inversePath)
    if inv is not None:
        return f"^<{inv}>"
    return term_text(path)


def findings_from_results(results: rdflib.Graph, shapes: rdflib.Graph) -> list[Finding]:
    """Turn a SHACL results graph into findings (principle read from the shapes graph)."""
    out = []
    for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        shape = results.value(r, SH.sourceShape)
        sev = results.value(r, SH.resultSeverity)
        msgs = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        value = results.value(r, SH.value)
        out.append(Finding(
            focus=term_text(results.value(r, SH.focusNode)),
            path=_path_text(results, results.value(r, SH.resultPath)),
            value=term_text(value) if value is not None else None,
            severity=str(sev)[len(str(SH)):] if sev is not None else "Violation",
            principle=principle_of(shapes, shape) if shape is not None else 0,
            message=msgs[0] if msgs else "",
            shape=term_text(shape) if not isinstance(shape, BNode) else "_:shape",
        ))
    return out


def validate_graph(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Finding]:
    """Run plain pyshacl (no inference) and return its findings."""
    try:
        _conforms, results, _text = pyshacl.validate(
            with_hierarchy(data), shacl_graph=shapes, inference="none", advanced=False,
            abort_on_first=False, allow_warnings=True, allow_infos=True)
    except Exception as e:  # pyshacl reports bad shapes with many exception types
        raise BadInput(f"the shapes could not be run: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from None
    return sorted(set(findings_from_results(results, shapes)), key=Finding.sort_key)
