"""Refusing XML entity tricks (XXE, billion laughs) in RDF/XML before a parser sees them."""
from __future__ import annotations

import re
from typing import Any

from govgraph.errors import BadInput

_XML_HEAD = 1 << 20
_DOCTYPE = re.compile(rb"<!DOCTYPE\b[^\[>]*\[(?P<body>.*?)\]\s*>", re.S)
_ENTITY = re.compile(rb"<!ENTITY\s+(?P<pct>%\s+)?(?P<name>[^\s]+)\s+(?P<rest>(?:\"[^\"]*\"|'[^']*'|[^>\"'])*)>", re.S)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def head_of(path: Any, data: bytes | None, stream: Any) -> bytes:
    """The first megabyte of an input, without consuming a stream."""
    if path is not None:
        with open(path, "rb") as f:
            return f.read(_XML_HEAD)
    if data is not None:
        return bytes(data[:_XML_HEAD]) if not isinstance(data, str) else data[:_XML_HEAD].encode()
    peek = getattr(stream, "peek", None)
    return peek(_XML_HEAD)[:_XML_HEAD] if peek else b""


def guard_xml_entities(head: bytes, label: str) -> None:
    """Refuse XML entity tricks before the RDF/XML parser sees them.

    External entities (XXE: SYSTEM/PUBLIC), parameter entities and entities whose value
    refers to other entities (billion laughs) are refused. Plain entities with literal
    values, as OWL files use for namespace IRIs, are allowed.
    """
    if len(head) >= _XML_HEAD and not _FIRST_ELEMENT.search(head):
        raise BadInput("refused RDF/XML: more than 1 MB before the first element", file=label)
    m = _DOCTYPE.search(head)
    if not m:
        return
    for e in _ENTITY.finditer(m.group("body")):
        rest = e.group("rest")
        why = None
        if e.group("pct"):
            why = "parameter entities are not accepted"
        elif re.match(rb"(SYSTEM|PUBLIC)\b", rest.strip()):
            why = "external entities (which read files or URLs) are not accepted"
        elif b"&" in rest or b"%" in rest:
            why = "entities that expand other entities are not accepted"
        if why:
            name = e.group("name").decode("utf-8", "replace")
            raise BadInput(f"refused RDF/XML: entity {name!r}: {why}", file=label)
