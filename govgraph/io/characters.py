"""Characters refused on input: NUL and the bidirectional controls.

NUL ends text early in C libraries, terminals and many file formats, and hides what
follows it. The bidirectional controls make text display in another order than it is
stored ("Trojan Source"): a name with a RIGHT-TO-LEFT OVERRIDE can read on screen as a
different asset, owner or file name. Neither has a use in governance metadata, so every
input path refuses them, with an error naming where the character is (file and line,
IAR row and column, the triple's subject and predicate, or the JSON field), rather than
storing text that displays as something else. Refusing, not stripping, keeps what is
stored exactly what was sent: the sender fixes the source of the character.

Refused: U+0000 NUL; U+200E LEFT-TO-RIGHT MARK and U+200F RIGHT-TO-LEFT MARK; U+202A-U+202E
(embeddings, pop, overrides); U+2066-U+2069 (isolates). Output to spreadsheets is made
safe separately (``govgraph.io.cells``), for data stored before this check.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import pyoxigraph as ox

from govgraph.errors import BadInput

#: The refused characters, as a regular-expression class (Python and SPARQL REGEX alike).
CLASS = "[\\u0000\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]"
REFUSED = frozenset("\x00\u200e\u200f" + "".join(map(chr, range(0x202A, 0x202F))) + "".join(map(chr, range(0x2066, 0x206A))))
_RULE = "NUL and bidirectional control characters are not accepted (they hide or reorder text on screen)"


def char_name(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'NULL' if ch == chr(0) else 'control')}"


def shown(text: str, limit: int = 80) -> str:
    """``text`` for an error message: refused and control characters written as ``\\uXXXX``, cut to ``limit``."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return "".join(f"\\u{ord(c):04x}" if c in REFUSED or ord(c) < 32 else c for c in text)


def find(text: str) -> int:
    """The index of the first refused character in ``text``, or -1."""
    if REFUSED.isdisjoint(text):
        return -1
    return next(i for i, c in enumerate(text) if c in REFUSED)


def problem(text: str) -> str | None:
    """'character 7 is U+202E RIGHT-TO-LEFT OVERRIDE: ...' for text holding a refused character, else None."""
    i = find(text)
    if i < 0:
        return None
    return f"character {i + 1} is {char_name(text[i])} in '{shown(text)}': {_RULE}"


def check_text(text: str, where: str, **location: Any) -> None:
    """BadInput naming ``where`` (and file/line, if given) when ``text`` holds a refused character."""
    p = problem(text)
    if p is not None:
        raise BadInput(f"{where}: {p}" if where else p, **location)


def check_triples(triples: Iterable[ox.Triple], where: str = "") -> None:
    """BadInput naming the triple (subject and predicate) whose IRI or literal holds a refused character."""
    for t in triples:
        for part, term in (("subject", t.subject), ("predicate", t.predicate), ("object", t.object)):
            if isinstance(term, (ox.NamedNode, ox.Literal)):
                p = problem(term.value)
                if p is not None:
                    raise BadInput(f"{where}{' ' if where else ''}the {part} of the triple <{shown(t.subject.value)}> "
                                   f"<{shown(t.predicate.value)}>: {p}")


def check_json(value: Any, path: str = "event") -> None:
    """BadInput naming the JSON field (``event.job.name``, ``event.inputs[0]``) whose key or text holds one."""
    if isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_text(str(k), f"{path} (a key)")
            check_json(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_json(v, f"{path}[{i}]")


#: Bytes of a UTF-8 file that can spell a refused character once parsed: the character itself, or an
#: escape of it (``\\uXXXX`` / ``\\UXXXXXXXX`` in Turtle, N-Triples, TriG and JSON; ``&#...;`` in XML).
_SPELLED = re.compile(
    rb"\x00|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
    rb"|\\[uU](?:0000)?(?:0000|200[eEfF]|202[a-eA-E]|206[6-9])"
    rb"|&#(?:[xX]0*(?:200[eEfF]|202[a-eA-E]|206[6-9]|0)|0*(?:820[67]|823[4-8]|829[4-7]|0));")
_CHUNK = 1 << 24


def may_spell(path: str | Path) -> bool:
    """Whether a file's bytes can spell a refused character (if not, nothing parsed from it holds one).

    A fast pre-check (a regular expression over the bytes, about 0.7 s for a 1M-triple N-Triples file)
    so that ``check_graph``, a query over every parsed triple, runs only for files that may need it.
    """
    tail = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                return False
            if _SPELLED.search(tail + chunk):
                return True
            tail = chunk[-16:]


#: One triple of the default graph with a refused character in an IRI or literal (no rows: none).
_QUERY = (f'SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(REGEX(STR(?o), "{CLASS}") || REGEX(STR(?s), "{CLASS}") '
          f'|| REGEX(STR(?p), "{CLASS}")) }} LIMIT 1')


def check_graph(store: Any, graph: ox.NamedNode, where: str) -> None:
    """``check_triples`` over a (staged) graph of ``store``, by one query run in the store itself."""
    check_triples((ox.Triple(r["s"], r["p"], r["o"]) for r in store.query(_QUERY, graphs=[graph], prefixes=False)),
                  where)
