"""Refusing SERVICE and LOAD in SPARQL text from the network, decided by a real SPARQL parser.

A keyword check over a tokenizer of our own can be fooled: wherever it and the engine
split the text differently (``FILTER(0<1)SERVICE#>`` is one IRI to a naive tokenizer and
``0 < 1``, ``SERVICE``, a comment to Oxigraph), a SERVICE clause passes unseen and the
server fetches whatever URL the caller names. So the decision is made on a parse tree:

1. A fast, conservative test on the raw text: the SPARQL grammar has no way to write the
   keyword SERVICE (or LOAD) without its letters, so a text that, after SPARQL's codepoint
   escapes (``\\u0053``) are decoded and case is folded, does not contain ``service``
   (``load``) anywhere cannot hold the clause. Most queries end here, at no cost.
2. Otherwise the text is parsed by rdflib's SPARQL 1.1 grammar (a full parser, not a
   tokenizer), and refused if the parse tree holds a SERVICE pattern or a LOAD operation,
   or if it cannot be parsed at all (fail closed: what we cannot read, we do not run).
3. Our own tokenizer (``sparql_text.inspect``) is kept as a second opinion: either finding
   the keyword refuses the text, so fooling the guard means fooling two parsers while
   staying valid for rdflib's.

This is one layer of two: embedded stores also run every query and update in worker
processes that cannot open a network socket at all (``govgraph.io.no_network``).

Strict mode (``refusal(text, strict=True)``), for queries sent on to a remote SPARQL server:
the text is always parsed, and it must be standard SPARQL 1.1, nothing a particular server
would read as its own extension. Refused: anything rdflib's SPARQL 1.1 grammar cannot parse
(Virtuoso's ``DEFINE input:default-graph-uri <...>`` pragmas, which would name the dataset past
the protocol's, ``OPTION (...)`` clauses, and the like), a prefix the text neither declares nor
takes from the endpoint's predeclared ones (a server's built-in prefixes such as ``bif:`` or
``sql:``), and a function named by IRI other than the XSD casts of SPARQL 1.1 section 17.5
(extension functions, which a server may map onto its own procedures). The verdict is cached
per text, so a query asked again costs nothing.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache

from pyparsing import ParseResults
from rdflib.plugins.sparql import parser as rdflib_sparql
from rdflib.plugins.sparql.parserutils import CompValue

from govgraph.errors import BadInput
from govgraph.io.sparql_text import inspect

SERVICE_REFUSED = "SERVICE (federated query) is not allowed on this endpoint"
LOAD_REFUSED = "LOAD (fetching data from the web) is not allowed on this endpoint"

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# pyparsing's packrat cache is shared by every thread using the grammar
_PARSE_LOCK = threading.Lock()


def decode_escapes(text: str) -> str:
    """The text with SPARQL's codepoint escapes decoded, as a SPARQL parser reads it first."""
    if "\\" not in text:
        return text

    def one(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()
    return _ESCAPE.sub(one, text)


def _folded(text: str) -> str:
    # casefold (not lower): it also maps the long s and the Kelvin sign onto ASCII letters,
    # so no spelling of the keyword that some engine might accept slips past step 1
    return decode_escapes(text).casefold()


def refusal(text: str, *, update: bool = False, strict: bool = False,
            predeclared: Mapping[str, str] | None = None) -> str | None:
    """Why ``text`` is refused (SERVICE or LOAD), or None when it may run.

    ``update`` says the text is a SPARQL Update (checked for LOAD as well as SERVICE);
    otherwise it is a query. ``strict`` (queries only) also refuses whatever is not standard
    SPARQL 1.1; ``predeclared`` maps the prefixes the endpoint declares for the text to their IRIs.
    """
    if strict and not update:
        return _refusal_strict(text, frozenset((predeclared or {}).items()))
    folded = _folded(text)
    words = [w for w in ("service", "load") if w in folded and (update or w == "service")]
    if not words:
        return None
    return _refusal_parsed(text, update)


@lru_cache(maxsize=512)
def _refusal_parsed(text: str, update: bool) -> str | None:
    why = _second_opinion(text, update)
    if why:
        return why
    try:
        tree = _parse(text, update)
    except Exception as e:  # noqa: BLE001 - pyparsing's ParseException and any parser failure
        return _unparsed(e)
    return _found(tree, update)


def _second_opinion(text: str, update: bool) -> str | None:
    """What our own tokenizer refuses in ``text`` (SERVICE; LOAD in an update)."""
    for msg in inspect(text).refused:
        if msg.startswith("SERVICE"):
            return SERVICE_REFUSED
        if update and msg.startswith("LOAD"):
            return LOAD_REFUSED
    return None


def _unparsed(e: Exception) -> str:
    return ("SPARQL syntax error (the text names SERVICE or LOAD, so it is parsed and checked "
            f"before it runs, and it could not be parsed): {_short(e)}")


def _found(tree, update: bool) -> str | None:
    """SERVICE (or, in an update, LOAD) found in a parse tree."""
    found = {node.name for node in _rules(tree)}
    if "ServiceGraphPattern" in found:
        return SERVICE_REFUSED
    if update and "Load" in found:
        return LOAD_REFUSED
    return None


#: The function IRIs of SPARQL 1.1 (the XSD constructor functions, section 17.5); any other
#: IRI called as a function is an extension, which a server may bind to anything it likes.
XSD = "http://www.w3.org/2001/XMLSchema#"
STANDARD_FUNCTIONS = frozenset(XSD + t for t in ("boolean", "double", "float", "decimal", "integer",
                                                 "dateTime", "string"))
NOT_STANDARD = ("is not standard SPARQL 1.1, and this endpoint sends its remote store nothing else "
                "(server extensions such as Virtuoso's DEFINE pragmas are refused)")


@lru_cache(maxsize=1024)
def _refusal_strict(text: str, predeclared: frozenset[tuple[str, str]]) -> str | None:
    # parsed once: the SERVICE check and the standard-SPARQL check read the same tree
    service = "service" in _folded(text)
    why = _second_opinion(text, False) if service else None
    if why:
        return why
    try:
        tree = _parse(text, False)
    except Exception as e:  # noqa: BLE001 - pyparsing's ParseException and any parser failure
        if service:
            return _unparsed(e)
        return (f"SPARQL syntax error: {_where(text, e)} is not standard SPARQL 1.1 ({_short(e)}); this endpoint "
                "sends its remote store nothing else (server extensions such as Virtuoso's DEFINE pragmas are refused)")
    why = _found(tree, False) if service else None
    if why:
        return why
    declared, used, functions = _prefixes_and_functions(tree)
    declared = {**dict(predeclared), **declared}  # the text's own declarations win, as in the query job
    unknown = sorted(used - set(declared))
    if unknown:
        return (f"the undeclared prefix {unknown[0]}: {NOT_STANDARD}: a server's built-in prefixes are not "
                "used (declare it with PREFIX)")
    for iri in functions:
        if isinstance(iri, CompValue):  # a prefixed name: the text's own declaration, else the endpoint's
            iri = declared[iri.get("prefix") or ""] + (iri.get("localname") or "")
        if str(iri) not in STANDARD_FUNCTIONS:
            return f"the extension function <{iri}> {NOT_STANDARD}"
    return None


def _where(text: str, e: Exception) -> str:
    """What the parser stopped at, e.g. ``'DEFINE' (line 1, column 1)``."""
    loc = getattr(e, "loc", None)
    if not isinstance(loc, int) or not 0 <= loc <= len(text):
        return "the text"
    word = text[loc:].split(None, 1)[0][:40] if text[loc:].strip() else ""
    line = text.count("\n", 0, loc) + 1
    col = loc - (text.rfind("\n", 0, loc) + 1) + 1
    return f"{word!r} (line {line}, column {col})" if word else "the text (it ends too soon)"


def _prefixes_and_functions(tree) -> tuple[dict[str, str], set[str], list]:
    """The prefixes a query declares (name to IRI), those it uses, and the IRIs it calls as functions."""
    declared: dict[str, str] = {}
    used: set[str] = set()
    functions: list = []
    for node in _rules(tree):
        if node.name == "PrefixDecl":
            declared[node.get("prefix") or ""] = str(node.get("iri"))
        elif node.name == "pname":
            used.add(node.get("prefix") or "")
        elif node.name == "Function":
            functions.append(node.get("iri"))
    return declared, used, functions


def check(text: str, *, update: bool = False) -> None:
    """Raise ``BadInput`` when ``text`` holds SERVICE (or, for an update, LOAD)."""
    why = refusal(text, update=update)
    if why:
        raise BadInput(why)


def _parse(text: str, update: bool):
    with _PARSE_LOCK:
        return rdflib_sparql.parseUpdate(text) if update else rdflib_sparql.parseQuery(text)


def _rules(tree) -> Iterator[CompValue]:
    """Every rule (``CompValue``) in an rdflib SPARQL parse tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(list(node))


def _short(e: Exception) -> str:
    msg = " ".join(str(e).split())
    return msg if len(msg) <= 300 else msg[:297] + "..."
