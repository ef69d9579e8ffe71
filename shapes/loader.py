"""Finding, parsing and checking the shape files; the parsed shapes graph is cached.

A shape set is every ``shapes/*.ttl`` (the principle shapes) or one profile from
``shapes/profiles/`` (plus ``prefixes.ttl``), or any files given. Date-dependent SPARQL
constraints use ``$checkDate`` / ``$recentSince``, replaced by literals for the check date
before either engine runs, so both see the same constraint text.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from govgraph import vocabulary
from govgraph.errors import BadInput
from govgraph.ontology.ns import GOV, SH

SHAPES_DIR = Path(__file__).resolve().parent
PROFILES_DIR = SHAPES_DIR / "profiles"
PREFIXES_FILE = SHAPES_DIR / "prefixes.ttl"
GSH = rdflib.Namespace("https://w3id.org/govgraph/shapes#")

#: Every term of the SHACL vocabulary a shapes file may use as a predicate.
SHACL_PREDICATES = {
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target", "property", "path",
    "inversePath", "alternativePath", "zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath",
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "flags", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone",
    "node", "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint", "closed", "ignoredProperties", "hasValue", "in", "severity",
    "message", "deactivated", "name", "description", "order", "group", "defaultValue", "sparql",
    "select", "ask", "prefixes", "declare", "prefix", "namespace", "shapesGraph", "entailment",
    "suggestedShapesGraph", "parameter", "optional", "validator", "labelTemplate", "propertyValidator",
    "nodeValidator", "resultAnnotation", "annotationProperty", "annotationValue", "annotationVarName",
    "jsLibrary", "rule", "condition", "targetType",
}

_lock = threading.Lock()
_raw_cache: dict[tuple, rdflib.Graph] = {}


@dataclass(frozen=True)
class ShapeSet:
    """A parsed shapes graph with the check date substituted, ready for either engine."""
    graph: rdflib.Graph
    files: tuple[Path, ...]
    check_date: dt.date
    name: str


def profile_names() -> list[str]:
    """The profiles that ``--profile`` accepts."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.ttl"))


def principle_files() -> list[Path]:
    """The default shape files: every Turtle file in shapes/ (principle groups and core)."""
    return sorted(SHAPES_DIR.glob("*.ttl"))


def files_for(profile: str | None = None, files: Sequence[str | Path] | None = None) -> tuple[tuple[Path, ...], str]:
    """The shape files for a profile name or explicit list, and a name for the set."""
    if files:
        return tuple(Path(f) for f in files), "custom"
    if profile:
        p = PROFILES_DIR / f"{profile}.ttl"
        if not p.exists():
            raise BadInput(f"unknown profile {profile!r}: use one of {', '.join(profile_names()) or 'none'}")
        return (PREFIXES_FILE, p), profile
    return tuple(principle_files()), "principles"


#: The govgraph ontology, parsed once (``govgraph.vocabulary``).
ontology = vocabulary.ontology


def known_gov_terms() -> set[str]:
    """Every gov: term the ontology defines (has a label)."""
    return {str(s) for s in ontology().subjects(RDFS.label, None) if str(s).startswith(str(GOV))}


def _parse(path: Path) -> rdflib.Graph:
    if not path.exists():
        raise BadInput("no such shapes file", file=str(path))
    g = rdflib.Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as e:  # rdflib raises many types; report one clear line
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        line = None
        m = re.search(r"line (\d+)", str(e))
        if m:
            line = int(m.group(1))
        raise BadInput(f"malformed shapes file: {msg}", file=str(path), line=line) from None
    return g


def check_terms(g: rdflib.Graph, label: str) -> None:
    """Raise BadInput when shapes use SHACL or gov: terms that do not exist (typos)."""
    known = known_gov_terms()
    bad: set[str] = set()
    for s, p, o in g:
        if str(p).startswith(str(SH)) and str(p)[len(str(SH)):] not in SHACL_PREDICATES:
            bad.add(f"sh:{str(p)[len(str(SH)):]}")
        for t in (p, o):
            if isinstance(t, URIRef) and str(t).startswith(str(GOV)) and str(t) != str(GOV) and str(t) not in known:
                bad.add(f"gov:{str(t)[len(str(GOV)):]}")
    for q in g.objects(None, SH.select):
        for m in re.finditer(r"\bgov:([A-Za-z][\w-]*)", str(q)):
            if str(GOV[m.group(1)]) not in known:
                bad.add(f"gov:{m.group(1)}")
    if bad:
        raise BadInput(f"shapes refer to unknown terms: {', '.join(sorted(bad))}", file=label)


def _raw(files: tuple[Path, ...]) -> rdflib.Graph:
    key = tuple((str(f), f.stat().st_mtime_ns if f.exists() else 0) for f in files)
    with _lock:
        hit = _raw_cache.get(key)
    if hit is not None:
        return hit
    g = rdflib.Graph()
    for f in files:
        part = _parse(f)
        check_terms(part, str(f))
        g += part
    if not any(g.triples((None, RDF.type, SH.NodeShape))) and not any(g.triples((None, RDF.type, SH.PropertyShape))) \
            and not any(g.triples((None, SH.targetClass, None))):
        raise BadInput("no SHACL shapes found in the shapes files", file=", ".join(str(f) for f in files))
    with _lock:
        _raw_cache[key] = g
    return g


def date_literal(d: dt.date) -> str:
    """``d`` as a SPARQL xsd:date literal."""
    return f'"{d.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'


def recent_since(d: dt.date) -> dt.date:
    """The earliest date a quality measurement still counts as recent on check date ``d`` (one year)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def substitute(text: str, d: dt.date) -> str:
    """Replace the date placeholders of a SPARQL constraint with literals for check date ``d``."""
    since = recent_since(d)
    text = text.replace("$checkDate", date_literal(d))
    return text.replace("$recentSince", f'"{since.isoformat()}T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>')


def load_shapes(profile: str | None = None, files: Sequence[str | Path] | None = None,
                check_date: dt.date | None = None) -> ShapeSet:
    """The shape set for a profile (default: all principle shapes) with the check date applied."""
    d = check_date or dt.date.today()
    paths, name = files_for(profile, files)
    raw = _raw(paths)
    g = rdflib.Graph()
    for p, ns in raw.namespaces():
        g.bind(p, ns)
    for s, p, o in raw:
        if p == SH.select or p == SH.ask:
            o = Literal(substitute(str(o), d))
        g.add((s, p, o))
    return ShapeSet(graph=g, files=paths, check_date=d, name=name)


def principle_of(g: rdflib.Graph, shape) -> int:
    """The gov:principle of a shape, or of a node shape that holds it as sh:property; 0 if none."""
    for v in g.objects(shape, GOV.principle):
        try:
            return int(v)
        except (TypeError, ValueError):
            pass
    for parent in g.subjects(SH.property, shape):
        for v in g.objects(parent, GOV.principle):
            try:
                return int(v)
            except (TypeError, ValueError):
                pass
    return 0
