"""RDF terms between rdflib and pyoxigraph, literals from Python values, and terms bound into SPARQL text."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from govgraph import dates
from govgraph.errors import BadInput

XSD = "http://www.w3.org/2001/XMLSchema#"


def to_rdflib(term: Any) -> Node | None:
    """Convert a pyoxigraph term to the equivalent rdflib term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        dt_ = term.datatype.value
        if dt_ == XSD + "string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt_))
    raise TypeError(f"cannot convert {term!r}")


def to_ox(term: Node) -> Any:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def literal(value: Any) -> ox.Literal:
    """A typed literal for a Python bool, int or datetime; a plain string otherwise."""
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if isinstance(value, dt.datetime):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    return ox.Literal(str(value))


def bind(sparql: str, bindings: dict[str, Node] | None) -> str:
    """Put RDF terms in place of ``?name`` variables (the query must not project them).

    Terms are written in N-Triples syntax by rdflib, so values cannot inject SPARQL.
    """
    for name, value in (bindings or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"bad variable name {name!r}")
        if isinstance(value, rdflib.Literal):
            text = value.n3()
        elif isinstance(value, rdflib.URIRef):
            if any(c in str(value) for c in '<>"{}|^`\\ \n'):
                raise BadInput(f"not a valid IRI: {str(value)!r}")
            text = f"<{value}>"
        else:
            raise TypeError(f"cannot bind {value!r}")
        sparql = re.sub(r"[?$]" + name + r"\b", lambda _m: text, sparql)
    return sparql


def instant(term: Any) -> dt.datetime | None:
    """An ``xsd:dateTime`` from the server as an aware datetime (None if absent or unreadable).

    A time without a zone (Virtuoso's NOW() has none) is taken as UTC: the times compared come
    from the same server, so they agree on whatever zone it means."""
    value = getattr(term, "value", None)
    return dates.instant(value) if isinstance(value, str) else None
