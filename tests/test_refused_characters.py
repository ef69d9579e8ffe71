"""NUL and bidirectional controls are refused on every input path, naming where (issue 21, finding 12).

Table-driven over each refused character and each path (RDF file, IAR CSV, the write API in
Turtle and JSON-LD, SPARQL Update, OpenLineage), plus a property test of the character rule
itself against the SPARQL rule the loader runs in the store.
"""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from hypothesis import given, settings, strategies as st

from govgraph.auth import TokenFile
from govgraph.errors import BadInput
from govgraph.io.characters import REFUSED, check_graph, find, may_spell, problem
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.store import open_store
from govgraph.webapp import create_app

BASE = "https://data.county.example.gov.uk/id/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CHARS = sorted(REFUSED)
IAR = ("Asset ID,Asset name,Description,Owner,System\n"
       "roads,Road defects,Potholes reported,Ann Owner,Confirm\n"
       "parks,Parks,{text},Bob Owner,Confirm\n")
EVENT = {
    "eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
    "run": {"runId": "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a01"},
    "job": {"namespace": "ssis", "name": "load_fact_referral"},
    "inputs": [{"namespace": "mssql://mosaic", "name": "dbo.referrals"}],
    "outputs": [{"namespace": "mssql://dwh", "name": "dbo.fact_referral"}],
    "producer": "https://example.org/producer", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def named(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def refusal_of(path) -> BadInput:
    """The error loading ``path`` into a fresh memory store gives; the store is left empty."""
    store = open_store("memory:")
    try:
        with pytest.raises(BadInput) as e:
            load_files(store, [path], validate=False)
        assert not store.sources() and not list(store.quads())
        return e.value
    finally:
        store.close()


def turtle_escape(ch: str) -> str:
    return f"\\u{ord(ch):04X}"


# ----------------------------------------------------------------------------- files (CLI load)

@pytest.mark.parametrize("ch,how", [(ch, how) for how in ("raw literal", "escaped literal", "escaped IRI")
                                    for ch in CHARS if not (ch == "\x00" and how == "escaped IRI")],  # Turtle refuses that
                         ids=lambda v: named(v) if len(v) == 1 else v)
def test_rdf_file_is_refused_naming_file_and_triple(tmp_path, ch, how):
    if how == "raw literal":
        body = f'<{BASE}term/a> <{SKOS}prefLabel> "Roads{ch}Parks" .'
    elif how == "escaped literal":
        body = f'<{BASE}term/a> <{SKOS}prefLabel> "Roads{turtle_escape(ch)}Parks" .'
    else:
        body = f'<{BASE}term/a{turtle_escape(ch)}b> <{SKOS}prefLabel> "Roads" .'
    path = tmp_path / "terms.ttl"
    path.write_text(f'<{BASE}term/ok> <{SKOS}prefLabel> "fine" .\n{body}\n', encoding="utf-8")
    msg = str(refusal_of(path))
    assert str(path) in msg and named(ch) in msg and f"{BASE}term/a" in msg, msg
    assert ("subject" if how == "escaped IRI" else "object") in msg
    assert ch not in msg  # the message shows the character escaped, not as itself


@pytest.mark.parametrize("ch", CHARS, ids=named)
def test_iar_csv_is_refused_naming_row_and_column(tmp_path, ch):
    path = tmp_path / "iar.csv"
    path.write_text(IAR.format(text=f"Play{ch}areas"), encoding="utf-8")
    assert f"{path}:3: column 'Description': character 5 is {named(ch)}" in str(refusal_of(path))


def test_ordinary_text_still_loads(tmp_path):
    """Right-to-left text itself, zero-width joiners and neighbours of the refused ranges are fine."""
    text = "مرحبا שלום \u200d\u200c\u2029\u202f\u2065\u206a\u2028 – café"
    path = tmp_path / "iar.csv"
    path.write_text(IAR.format(text=f'"{text}"'), encoding="utf-8")
    store = open_store("memory:")
    try:
        load_files(store, [path], validate=False)
        assert store.ask(f'ASK {{ ?d dcterms:description "{text}" }}')
    finally:
        store.close()


# ----------------------------------------------------------------------------- web paths

@pytest.fixture(scope="module")
def app(store_factory, tmp_path_factory):
    with store_factory("memory", None) as st_:
        tokens = tmp_path_factory.mktemp("tokens") / "tokens"
        tokens.write_text("# name role hash\n")
        tf = TokenFile(tokens)
        app = create_app({"STORE": st_, "TOKEN_FILE": str(tokens)})
        app.tokens = {r: tf.add(f"t-{r}", r) for r in ("editor", "admin")}
        r = app.test_client().put("/api/v1/sources/terms", data=f'<{BASE}term/ok> a <{SKOS}Concept> ; <{SKOS}prefLabel> "ok" .',
                                  content_type="text/turtle", headers={"Authorization": "Bearer " + app.tokens["editor"]})
        assert r.status_code == 201
        yield app


def _send(app, method: str, url: str, body, ctype: str, role: str = "admin"):
    return app.test_client().open(url, method=method, data=body, content_type=ctype,
                                  headers={"Authorization": "Bearer " + app.tokens[role]})


@pytest.mark.parametrize("ch", CHARS, ids=named)
@pytest.mark.parametrize("path", ["turtle", "json-ld", "sparql update", "openlineage"])
def test_web_writes_are_refused_naming_where(app, ch, path):
    store = app.extensions["govgraph.store"]
    rev = store.revision
    if path == "turtle":
        r = _send(app, "PUT", "/api/v1/sources/terms",
                  f'<{BASE}term/x> a <{SKOS}Concept> ; <{SKOS}prefLabel> "A{turtle_escape(ch)}B" .', "text/turtle")
        where = f"<{BASE}term/x> <{SKOS}prefLabel>"
    elif path == "json-ld":
        doc = {"@id": f"{BASE}term/y", "@type": f"{SKOS}Concept", f"{SKOS}prefLabel": f"C{ch}D"}
        r = _send(app, "PUT", "/api/v1/sources/terms", json.dumps(doc), "application/ld+json")
        where = f"<{BASE}term/y> <{SKOS}prefLabel>"
    elif path == "sparql update":
        r = _send(app, "POST", "/sparql/update?source=terms",
                  f'INSERT DATA {{ <{BASE}term/ok> skos:altLabel "E{turtle_escape(ch)}F" }}', "application/sparql-update")
        where = f"<{BASE}term/ok> <{SKOS}altLabel>"
    else:
        event = json.loads(json.dumps(EVENT))
        event["outputs"][0]["name"] = f"dbo.fact{ch}referral"
        r = _send(app, "POST", "/api/v1/lineage", json.dumps(event), "application/json", role="editor")
        where = "event.outputs[0].name"
    assert r.status_code == 400, r.data
    msg = r.get_json()["error"]
    assert where in msg and named(ch) in msg and "not accepted" in msg, msg
    assert store.revision == rev


def test_openlineage_keys_are_checked_too():
    store = open_store("memory:")
    try:
        event = json.loads(json.dumps(EVENT))
        event["run"]["facets"] = {"x\u202ey": {}}
        with pytest.raises(BadInput, match=r"event\.run\.facets \(a key\): character 2 is U\+202E"):
            ingest_event(store, event)
    finally:
        store.close()


def test_stored_text_is_not_refused_again(app):
    """A write that keeps triples stored before this check (with a refused character) is not refused for them."""
    store = app.extensions["govgraph.store"]
    with store.begin("legacy", who="test") as txn:
        txn.load(data=f'<{BASE}term/old> a <{SKOS}Concept> ; <{SKOS}prefLabel> "old\\u202Eone" .'.encode(), fmt="turtle")
        txn.commit(forced=True)
    r = _send(app, "POST", "/sparql/update?source=legacy",
              f'INSERT DATA {{ <{BASE}term/old> skos:altLabel "new" }}', "application/sparql-update", role="editor")
    assert r.status_code == 200, r.data


@pytest.mark.parametrize("ch", [c for c in CHARS if c != "\x00"], ids=named)  # XML 1.0 refuses NUL itself
@pytest.mark.parametrize("ref", ["&#x{:X};", "&#x{:x};", "&#{:d};", "&#x000{:X};"])
def test_rdf_xml_character_references_are_refused(tmp_path, ch, ref):
    path = tmp_path / "terms.rdf"
    path.write_text(f'''<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:skos="{SKOS}">
  <rdf:Description rdf:about="{BASE}term/a"><skos:prefLabel>A{ref.format(ord(ch))}B</skos:prefLabel></rdf:Description>
</rdf:RDF>''', encoding="utf-8")
    assert named(ch) in str(refusal_of(path))


@pytest.mark.parametrize("ch", CHARS, ids=named)
def test_json_ld_file_escapes_are_refused(tmp_path, ch):
    path = tmp_path / "terms.jsonld"
    path.write_text(json.dumps({"@id": f"{BASE}term/a", f"{SKOS}prefLabel": f"A{ch}B"}), encoding="utf-8")  # \uXXXX
    assert "\\u" in path.read_text()
    assert named(ch) in str(refusal_of(path))


# ----------------------------------------------------------------------------- the rule

@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(_NEAR_TEXT := [chr(c) for c in (0x01, 0x09, 0x0A, 0x22, 0x5C, 0x26, 0x3C,
                                                                         0x200D, 0x2029, 0x202F, 0x2065, 0x206A)]
                                        + list("ab é")), max_size=10),
       st.lists(st.tuples(st.integers(0, 10), st.sampled_from(CHARS)), max_size=2),
       st.sampled_from(["N_TRIPLES", "TURTLE", "RDF_XML", "JSON_LD"]))
def test_the_byte_scan_misses_no_refused_character(tmp_path_factory, text, inserts, fmt):
    """Whatever a serializer writes, the file's bytes give the character away when the parsed data holds one."""
    for pos, ch in inserts:
        text = text[:pos] + ch + text[pos:]
    if fmt == "RDF_XML" and any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return  # XML 1.0 cannot hold these characters at all
    path = tmp_path_factory.mktemp("scan") / "f"
    try:
        data = ox.serialize([ox.Triple(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal(text))],
                            format=getattr(ox.RdfFormat, fmt))
    except (ValueError, SyntaxError):
        return
    path.write_bytes(data)
    parsed = [t.object.value for t in ox.parse(data, format=getattr(ox.RdfFormat, fmt))]
    if find("".join(parsed)) >= 0:
        assert may_spell(path)
    if not inserts:
        assert not may_spell(path)


_NEAR = [chr(c) for c in (0x01, 0x09, 0x0A, 0x200B, 0x200C, 0x200D, 0x2028, 0x2029, 0x202F, 0x2060, 0x2065,
                          0x206A, 0x061C, 0xFEFF, 0x0590, 0x05D0)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(_NEAR + list("ab é")), max_size=12),
       st.lists(st.tuples(st.integers(0, 12), st.sampled_from(CHARS)), max_size=3))
def test_the_rule_finds_the_first_refused_character_as_the_store_query_does(text, inserts):
    for pos, ch in inserts:
        text = text[:pos] + ch + text[pos:]
    first = min((text.index(ch) for _, ch in inserts), default=-1)
    assert find(text) == first
    assert (problem(text) is None) == (not inserts)
    if inserts:
        assert problem(text).startswith(f"character {first + 1} is {named(text[first])}")
    # the loader's check runs as a SPARQL REGEX in the store itself: it must agree
    triple = ox.Triple(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal(text))
    store = open_store("memory:")
    try:
        with store.begin("t", who="test") as txn:
            txn.load(data=ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES), fmt="ntriples")
            try:
                check_graph(store, txn.graph, "t:")
                refused = False
            except BadInput:
                refused = True
            txn.rollback()
    finally:
        store.close()
    assert refused == bool(inserts)


def test_both_backends_refuse_a_file_and_load_the_clean_one(any_store, tmp_path):
    bad, good = tmp_path / "bad.nt", tmp_path / "good.nt"
    bad.write_text(f'<{BASE}term/a> <{SKOS}prefLabel> "A\\u2067B" .\n<{BASE}term/b> <{SKOS}prefLabel> "\\u0000" .\n')
    good.write_text(f'<{BASE}term/a> <{SKOS}prefLabel> "A\\u2065B \\u00e9" .\n')
    with pytest.raises(BadInput, match=r"bad\.nt: the object of the triple .*: character (2 is U\+2067|1 is U\+0000)"):
        load_files(any_store, [bad], validate=False)
    assert not any_store.sources()
    load_files(any_store, [good], validate=False)
    assert [s.name for s in any_store.sources()] == ["good.nt"]
