"""The formats govgraph reads and writes, in one registry, and how a file's format is recognised.

Every table of format names, file extensions, media types and parser/serialiser names is
derived from ``RDF_FORMATS`` and ``TABLE_FORMATS`` here: the store (``store.FORMATS``), file
loads (``detect_format``), exports (``EXPORT_FORMATS``), the CLI's ``--format`` choices, the
write API's accepted content types (``BY_MEDIA_TYPE``) and rdflib serialisation (``RDFLIB_NAMES``).
A new RDF format is one row. (SPARQL result formats live with the query pool; report formats
with ``reports.render``; diagram formats with ``lineage.export``.)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from govgraph.errors import BadInput


@dataclass(frozen=True)
class Format:
    """One format: its ``--format`` name, file extensions (the usual one first), media types (the usual
    one first), and for RDF its pyoxigraph and rdflib names and whether it keeps named graphs."""
    name: str
    extensions: tuple[str, ...]
    media_types: tuple[str, ...]
    ox: ox.RdfFormat | None = None
    rdflib: str | None = None
    quads: bool = False

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def suffix(self) -> str:
        return self.extensions[0]


RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", (".ttl", ".turtle"), ("text/turtle", "application/x-turtle"), ox.RdfFormat.TURTLE, "turtle"),
    Format("jsonld", (".jsonld", ".json"), ("application/ld+json",), ox.RdfFormat.JSON_LD, "json-ld"),
    Format("rdfxml", (".rdf", ".xml", ".owl"), ("application/rdf+xml",), ox.RdfFormat.RDF_XML, "xml"),
    Format("ntriples", (".nt",), ("application/n-triples",), ox.RdfFormat.N_TRIPLES, "nt"),
    Format("nquads", (".nq",), ("application/n-quads",), ox.RdfFormat.N_QUADS, "nquads", quads=True),
    Format("trig", (".trig",), ("application/trig",), ox.RdfFormat.TRIG, "trig", quads=True),
)
#: Registers (an Information Asset Register as CSV or an Excel workbook): read by io/iar_import, written as CSV.
TABLE_FORMATS: tuple[Format, ...] = (
    Format("iar", (".csv", ".xlsx"), ("text/csv",)),
)

#: RDF format names with their pyoxigraph formats (what the store parses and serialises).
FORMATS: dict[str, ox.RdfFormat] = {f.name: f.ox for f in RDF_FORMATS}
#: RDF formats that keep each source in its own named graph.
QUAD_FORMATS = frozenset(f.name for f in RDF_FORMATS if f.quads)
#: File extensions and the format names they map to (`--format` overrides).
EXTENSIONS: dict[str, str] = {e: f.name for f in RDF_FORMATS + TABLE_FORMATS for e in f.extensions}
#: Every format name accepted on input, and on export: the RDF formats plus the IAR layout.
INPUT_FORMATS = tuple(f.name for f in RDF_FORMATS + TABLE_FORMATS)
EXPORT_FORMATS = INPUT_FORMATS
#: Media types for each RDF format (for HTTP responses and downloads).
MEDIA_TYPES: dict[str, str] = {f.name: f.media_type for f in RDF_FORMATS}
#: RDF format names by any media type that names them (request bodies).
BY_MEDIA_TYPE: dict[str, str] = {m: f.name for f in RDF_FORMATS for m in f.media_types}
#: The usual file extension for each output format.
SUFFIXES: dict[str, str] = {f.name: f.suffix for f in RDF_FORMATS + TABLE_FORMATS}
#: govgraph's format names as rdflib knows them.
RDFLIB_NAMES: dict[str, str] = {f.name: f.rdflib for f in RDF_FORMATS if f.rdflib}


def detect_format(path: str | Path, override: str | None = None) -> str:
    """The format name for ``path``: ``override`` if given, else from the file extension."""
    if override:
        if override not in INPUT_FORMATS:
            raise BadInput(f"unknown format {override!r}: use one of {', '.join(INPUT_FORMATS)}", file=str(path))
        return override
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        raise BadInput("compressed files are not read directly: decompress it first", file=str(path))
    if suffix == ".xls":
        raise BadInput("an old-style Excel workbook (.xls) is not read: save it as .xlsx, or as CSV UTF-8",
                       file=str(path))
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        raise BadInput(f"cannot tell the format from the extension {suffix or '(none)'!r}: "
                       f"pass --format ({', '.join(INPUT_FORMATS)})", file=str(path)) from None
