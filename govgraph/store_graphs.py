"""The store's layout: the named graphs it keeps (sources, registry, audit, staging, differences),
their IRIs, the registry entry of a source, and the small texts and checks every writer shares."""
from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

import pyoxigraph as ox

from govgraph.errors import BadInput
from govgraph.ontology.ns import GG, GOV
from govgraph.terms import literal as _lit
from govgraph.io.formats import FORMATS, QUAD_FORMATS  # the format registry (re-exported for the store's writers)

META_GRAPH = ox.NamedNode(str(GG["meta"]))
AUDIT_GRAPH = ox.NamedNode(str(GG["audit"]))
STORE_NODE = ox.NamedNode(str(GG["store"]))
SOURCE_PREFIX = str(GG["source:"])
STAGING_PREFIX = str(GG["staging:"])
DIFF_PREFIX = str(GG["diff:"])
INTERNAL_PREFIX = str(GG)
#: Where a change record names the graph keeping what it removed (``ChangeRecord.kept``).
KEPT_IN = ox.NamedNode(str(GG["removedTriplesIn"]))
#: Seconds after which a hidden staging graph on a shared server counts as left by a crashed
#: import and is dropped by the next process that opens the store (GOVGRAPH_STAGING_MAX_AGE).
STAGING_MAX_AGE = float(os.environ.get("GOVGRAPH_STAGING_MAX_AGE") or 6 * 3600)
_STAGING_NAME = re.compile(r"(\d{10,})-[0-9a-f]{32}")

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"



def source_graph_iri(name: str) -> str:
    """The named-graph IRI a source called ``name`` is stored under."""
    return SOURCE_PREFIX + safe_name(name)


def diff_graph(revision: int, kind: str) -> str:
    """The graph holding the triples a change added or removed (kind: added | removed)."""
    return f"{DIFF_PREFIX}{revision}:{kind}"


def staging_graph() -> ox.NamedNode:
    """A new hidden graph for one write; its name carries its creation time (for the sweeper)."""
    return ox.NamedNode(f"{STAGING_PREFIX}{int(time.time())}-{uuid.uuid4().hex}")


def staging_age(graph: str, now: float | None = None) -> float | None:
    """Seconds since a staging graph named by ``staging_graph`` was made (None: an older kind of name)."""
    m = _STAGING_NAME.fullmatch(graph[len(STAGING_PREFIX):]) if graph.startswith(STAGING_PREFIX) else None
    return None if m is None else (time.time() if now is None else now) - int(m.group(1))


def safe_name(name: str) -> str:
    """A source name as given, refused if it cannot be part of an IRI."""
    name = name.strip()
    if not name or any(c in name for c in '<>"{}|^`\\ \t\r\n'):
        raise BadInput(f"invalid source name {name!r}: use letters, digits, '-', '_', '.', '/' or ':'")
    return name


@dataclass(frozen=True)
class SourceInfo:
    """A loaded source: its name, graph IRI, size and when and where it was loaded from."""
    name: str
    graph: str
    triples: int
    loaded_at: dt.datetime | None
    loaded_from: str


def registry_update(graph: str, name: str, size: int, loaded_from: str, at: dt.datetime) -> list[str]:
    """SPARQL Update operations that (re)write a source's entry in the registry graph."""
    m = META_GRAPH.value
    return [f"DELETE WHERE {{ GRAPH <{m}> {{ <{graph}> ?p ?o }} }}",
            f"INSERT DATA {{ GRAPH <{m}> {{ <{graph}> a <{GOV.Source}> ; <{GOV.sourceName}> {_lit(name)} ;"
            f" <{GOV.tripleCount}> {_lit(size)} ; <{GOV.loadedFrom}> {_lit(loaded_from)} ;"
            f" <{GOV['loadedAt']}> {_lit(at)} }} }}"]


def triples_text(triples: Iterable[ox.Triple]) -> str:
    """Triples in the N-Triples syntax of a SPARQL ``INSERT DATA`` / ``DELETE DATA`` block."""
    return " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)


def count(backend: Any, pattern: str) -> int:
    """Solutions of a graph pattern, counted by the backend (over the whole dataset: name graphs in it)."""
    res = backend.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", None, None)
    return int(next(iter(res))["n"].value)


def already_loaded(name: str) -> str:
    return f"source {name!r} is already loaded: use --replace to replace it, or --source to load under another name"


def syntax_error(e: SyntaxError, label: str) -> BadInput:
    """Turn a parser's SyntaxError into BadInput naming the file, line and column."""
    msg = str(e.msg if getattr(e, "msg", None) else e)
    line = getattr(e, "lineno", None)
    col = getattr(e, "offset", None)
    # pyoxigraph puts "(file, line N)" at the end of its message; keep the parser's words only
    if " (" in msg and msg.endswith(")"):
        msg = msg[: msg.rfind(" (")]
    return BadInput(f"not valid RDF: {msg}", file=label, line=line, column=col)


def whoami() -> str:
    """Who is writing: GOVGRAPH_USER, else the login name."""
    try:
        return os.environ.get("GOVGRAPH_USER") or getpass.getuser()
    except Exception:
        return "unknown"
