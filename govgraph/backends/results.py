"""SPARQL answers as pyoxigraph reads them, whatever the server wrote: blank node labels made
valid (Virtuoso's ``nodeID://b1``), xsd:boolean in its canonical form (Virtuoso's 1 and 0), and an
ASK answered as a table read as a boolean; and SELECT rows as strings (``term_rows``, ``csv_rows``:
SPARQL CSV, for bulk reads that need only the terms' text)."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pyoxigraph as ox


def bnode_id(value: str) -> str:
    """A server's blank node label as one pyoxigraph takes (Virtuoso labels them ``nodeID://b1``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", value) or "b"


def ask_answer(rows: Any) -> Any:
    """An ASK answered as a table (Virtuoso: one row ``__ASK_RETVAL`` = 1, or no row) as a boolean."""
    truth = any(term is not None and term.value not in ("0", "false", "")
                for row in rows for term in row)
    return ox.parse_query_results(b'{"head": {}, "boolean": %s}' % (b"true" if truth else b"false"),
                                  ox.QueryResultsFormat.JSON)


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
#: xsd:boolean's other lexical forms (Virtuoso gives 1 and 0) as the canonical ones
_BOOLEAN_FORMS = {"1": "true", "0": "false"}


def portable_json(data: bytes) -> bytes:
    """SPARQL JSON results with blank node labels made valid and booleans in their canonical form
    (when there are any to fix)."""
    if b'"bnode"' not in data and _BOOLEAN.encode() not in data:
        return data
    doc = json.loads(data)
    for row in doc.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = bnode_id(term["value"])
            elif term.get("datatype") == _BOOLEAN:
                term["value"] = _BOOLEAN_FORMS.get(term["value"], term["value"])
    return json.dumps(doc).encode()


_XML_BNODE = re.compile(rb"<bnode>([^<]*)</bnode>")
_XML_BOOLEAN = re.compile(rb'(<literal datatype="' + _BOOLEAN.encode() + rb'">)\s*([01])\s*(</literal>)')


def portable_xml(data: bytes) -> bytes:
    """SPARQL XML results with blank node labels made valid and booleans canonical (``portable_json``)."""
    if b"<bnode>" in data:
        data = _XML_BNODE.sub(lambda m: b"<bnode>%s</bnode>" % bnode_id(m.group(1).decode()).encode(), data)
    if _BOOLEAN.encode() in data:
        data = _XML_BOOLEAN.sub(lambda m: m.group(1) + _BOOLEAN_FORMS[m.group(2).decode()].encode() + m.group(3), data)
    return data


def _canonical(t: ox.Triple) -> ox.Triple:
    """A triple with an xsd:boolean object in its canonical form."""
    o = t.object
    if isinstance(o, ox.Literal) and o.datatype.value == _BOOLEAN and o.value in _BOOLEAN_FORMS:
        return ox.Triple(t.subject, t.predicate, ox.Literal(_BOOLEAN_FORMS[o.value], datatype=o.datatype))
    return t


def triples(data: bytes, fmt: ox.RdfFormat) -> list[ox.Triple]:
    triples = [q.triple for q in ox.parse(data, fmt)]
    return [_canonical(t) for t in triples] if _BOOLEAN.encode() in data else triples


def term_text(term: Any) -> str:
    """A term as a string: an IRI or a literal's lexical form as it is, a blank node as ``_:id``
    (unbound: ``""``)."""
    if term is None:
        return ""
    return "_:" + term.value if type(term) is _BNODE else term.value


_BNODE = ox.BlankNode


def term_rows(solutions: Any) -> list[tuple[str, ...]]:
    """SELECT solutions as rows of ``term_text`` (for reads that need only the terms' text; the
    usual widths unrolled: a bulk read turns hundreds of thousands of terms)."""
    text = term_text
    width = len(solutions.variables)
    if width == 1:
        return [(text(a),) for (a,) in solutions]
    if width == 2:
        return [(text(a), text(b)) for a, b in solutions]
    return [tuple([text(t) for t in sol]) for sol in solutions]


#: Virtuoso's blank node labels, which its CSV writes without the ``_:`` of SPARQL CSV
_VIRTUOSO_BNODE = "nodeID://"


def csv_rows(data: bytes) -> list[tuple[str, ...]]:
    """A SPARQL CSV answer as ``term_rows`` gives rows: its header left out, a blank node as
    ``_:`` and the label its XML and JSON answers give (``bnode_id``). CSV cannot tell an
    unbound value from an empty literal (both are ``""``, as in ``term_text``), nor a literal
    beginning ``_:`` from a blank node: reads that need either ask for terms."""
    rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    width = len(next(rows, ()))
    return [tuple("_:" + bnode_id(v[2:] if v.startswith("_:") else v)
                  if v.startswith(("_:", _VIRTUOSO_BNODE)) else v for v in row) if row else ("",) * width
            for row in rows]
