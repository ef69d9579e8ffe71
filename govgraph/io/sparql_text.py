"""Reading a SPARQL request's text without executing it: its form, dataset clauses and refused features.

A small tokenizer (comments, strings, IRIs, variables and prefixed names are whole
tokens), so a keyword is recognised only where the grammar allows one: ``SERVICE``
inside a string, an IRI, a comment, a variable (``?service``) or a prefixed name
(``ex:service``) is not a SERVICE clause. Oxigraph parses the query again when it runs
it; this only decides what the endpoint allows before any work starts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?:(?:[\w\-.:%\\\u00b7\u00c0-\uffff])*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
#: Keywords refused wherever they appear: federation and fetching from the network.
REFUSED = {"SERVICE": "SERVICE (federated query) is not allowed on this endpoint",
           "LOAD": "LOAD (fetching data from the web) is not allowed on this endpoint"}


@dataclass
class Token:
    kind: str
    text: str
    pos: int


@dataclass
class Inspection:
    """What a SPARQL text is: its form and the dataset and features it asks for."""
    form: str | None                      # SELECT / CONSTRUCT / DESCRIBE / ASK / UPDATE / None
    refused: list[str] = field(default_factory=list)
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    #: Prefixes of the prefixed names used and not declared in the text (the predeclared ones it needs).
    undeclared_prefixes: set[str] = field(default_factory=set)

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def tokens(text: str) -> list[Token]:
    """The significant tokens of a SPARQL text (whitespace and comments dropped)."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        out.append(Token(kind, m.group(), m.start()))
    return out


def inspect(text: str, prefixes: dict[str, str] | None = None) -> Inspection:
    """Tokenize ``text`` and report its form, FROM / FROM NAMED graphs and refused keywords."""
    toks = tokens(text)
    declared = dict(prefixes or {})
    form = None
    words: set[str] = set()
    used = {t.text.partition(":")[0] for t in toks if t.kind == "pname"}
    in_text: set[str] = set()
    res = Inspection(form=None)
    i = 0
    while i < len(toks):
        t = toks[i]
        up = t.text.upper() if t.kind == "word" else ""
        if up:
            words.add(up)
        if up == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            declared[toks[i + 1].text[:-1]] = toks[i + 2].text[1:-1]
            in_text.add(toks[i + 1].text[:-1])
            i += 3
            continue
        if form is None and up in QUERY_FORMS:
            form = up
        elif form is None and up in UPDATE_WORDS:
            form = "UPDATE"
        if up in REFUSED:
            msg = REFUSED[up]
            if msg not in res.refused:
                res.refused.append(msg)
        if up == "FROM" and i + 1 < len(toks):
            named = toks[i + 1].kind == "word" and toks[i + 1].text.upper() == "NAMED"
            j = i + 2 if named else i + 1
            if j < len(toks):
                iri = _resolve(toks[j], declared)
                (res.from_named if named else res.from_graphs).append(iri)
            i = j + 1
            continue
        i += 1
    res.form, res.words, res.undeclared_prefixes = form, words, used - in_text
    return res


def _resolve(tok: Token, prefixes: dict[str, str]) -> str:
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "pname":
        p, _, local = tok.text.partition(":")
        if p in prefixes:
            return prefixes[p] + local
    return tok.text
