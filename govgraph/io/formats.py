"""File formats govgraph reads and writes, and how a file's format is recognised."""
from __future__ import annotations

from pathlib import Path

from govgraph.errors import BadInput
from govgraph.store import FORMATS

#: File extensions and the format names they map to (`--format` overrides).
EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle", ".turtle": "turtle",
    ".jsonld": "jsonld", ".json": "jsonld",
    ".rdf": "rdfxml", ".xml": "rdfxml", ".owl": "rdfxml",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".csv": "iar", ".xlsx": "iar",
}

#: Every format name accepted on input: the RDF formats plus the IAR CSV layout.
INPUT_FORMATS = tuple(FORMATS) + ("iar",)

#: Media types for each RDF format (for HTTP responses and downloads).
MEDIA_TYPES: dict[str, str] = {
    "turtle": "text/turtle", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
    "ntriples": "application/n-triples", "nquads": "application/n-quads", "trig": "application/trig",
}

#: The usual file extension for each output format.
SUFFIXES: dict[str, str] = {
    "turtle": ".ttl", "jsonld": ".jsonld", "rdfxml": ".rdf", "ntriples": ".nt",
    "nquads": ".nq", "trig": ".trig", "iar": ".csv",
}


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
