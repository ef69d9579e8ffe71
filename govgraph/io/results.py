"""SPARQL results written for people (a table) or tools (SPARQL 1.1 CSV / JSON, Turtle)."""
from __future__ import annotations

import io
from typing import TextIO

import pyoxigraph as ox

from govgraph.errors import BadInput


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def write_results(result, fmt: str, out: TextIO) -> int:
    """Write a pyoxigraph query result in ``fmt`` (table, csv, json, turtle); returns rows."""
    if isinstance(result, (bool, ox.QueryBoolean)):
        result = bool(result)
        if fmt == "json":
            out.write('{"head": {}, "boolean": %s}\n' % ("true" if result else "false"))
        else:
            out.write(("true" if result else "false") + "\n")
        return 1
    if isinstance(result, ox.QuerySolutions):
        if fmt in ("csv", "json"):
            buf = io.BytesIO()
            result.serialize(buf, ox.QueryResultsFormat.CSV if fmt == "csv" else ox.QueryResultsFormat.JSON)
            text = buf.getvalue().decode("utf-8")
            out.write(text if text.endswith("\n") else text + "\n")
            return max(text.count("\n") - 1, 0)
        if fmt == "turtle":
            raise BadInput("--format turtle is for CONSTRUCT and DESCRIBE queries; use table, csv or json")
        names = [v.value for v in result.variables]
        rows = [[_cell(sol[n]) for n in names] for sol in result]
        widths = [min(max([len(n)] + [len(r[i]) for r in rows]), 80) for i, n in enumerate(names)]
        out.write("  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for r in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
        return len(rows)
    # triples from CONSTRUCT / DESCRIBE
    triples = list(result)
    if fmt in ("table", "turtle"):
        data = ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    elif fmt == "json":
        data = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    else:
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    out.write(data.decode("utf-8"))
    return len(triples)


def parse_outcome(body: bytes, kind: str):
    """A query job's serialised answer (SPARQL JSON results, or N-Triples for a graph) read back as
    the pyoxigraph result ``write_results`` takes."""
    if kind == "graph":
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
