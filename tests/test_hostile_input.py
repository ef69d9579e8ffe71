"""Hostile and random input to the importers: only our own errors, and the store untouched."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.errors import GovGraphError
from govgraph.io.load import load_files

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">
  <rdf:Description rdf:about="http://ex/a"><ex:p>&xxe;</ex:p></rdf:Description>
</rdf:RDF>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [ <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">
  <rdf:Description rdf:about="http://ex/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>"""
PARAM = b"""<?xml version="1.0"?><!DOCTYPE x [ <!ENTITY % p "x"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"""
LONG_PROLOG = b'<?xml version="1.0"?><!--' + b"x" * (1 << 20) + b"""--><!DOCTYPE x [ <!ENTITY e SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"""
OWL_STYLE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY ex "http://ex/"> <!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#"> ]>
<rdf:RDF xmlns:rdf="&rdf;" xmlns:ex="&ex;"><rdf:Description rdf:about="&ex;a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>"""

HOSTILE = {
    "xxe.rdf": (XXE, "external entities"),
    "laughs.rdf": (LAUGHS, "expand other entities"),
    "param.rdf": (PARAM, "parameter entities"),
    "long-prolog.rdf": (LONG_PROLOG, "more than 1 MB before the first element"),
    "remote-context.jsonld": (b'{"@context": "http://127.0.0.1:9/c.jsonld", "@id": "http://ex/a", "name": "x"}', "remote"),
    "deep.jsonld": (b"[" * 100_000 + b"]" * 100_000, "stack"),
    "deep-object.jsonld": (b'{"http://ex/p":' * 100_000 + b'"x"' + b"}" * 100_000, "stack"),
    "huge-literal.ttl": (b'<http://ex/a> <http://ex/p> "' + b"x" * 20_000_000 + b'" .', "too large"),
    "nul.ttl": (b"<http://ex/a> <http://ex/p> \x00 .", "not valid RDF"),
    "not-utf8.nt": (b'<http://ex/a> <http://ex/p> "\xff\xfe" .', "UTF-8"),
}


def quads(store):
    return sorted(str(q) for q in store.quads())


@pytest.fixture
def seeded(disk_store, tmp_path):
    f = tmp_path / "good.ttl"
    f.write_bytes(b"@prefix ex: <http://ex/> . ex:a ex:p ex:b .")
    load_files(disk_store, [f], validate=False)
    return disk_store


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_and_change_nothing(seeded, tmp_path, name):
    data, expected = HOSTILE[name]
    f = tmp_path / name
    f.write_bytes(data)
    before = quads(seeded)
    with pytest.raises(GovGraphError, match=expected):
        load_files(seeded, [f], validate=False, source="hostile")
    assert quads(seeded) == before


def test_plain_entities_as_owl_files_use_them_still_load(memory_store, tmp_path):
    f = tmp_path / "owl.rdf"
    f.write_bytes(OWL_STYLE)
    (r,) = load_files(memory_store, [f], validate=False)
    assert r.triples == 1


def test_deep_turtle_nesting_loads_without_crashing(memory_store, tmp_path):
    f = tmp_path / "deep.ttl"
    f.write_bytes(b"<http://ex/a> <http://ex/p> " + b"[ <http://ex/p> " * 20_000 + b"1" + b" ]" * 20_000 + b" .")
    (r,) = load_files(memory_store, [f], validate=False)
    assert r.triples == 20_001


_FUZZ_NAMES = itertools.count()


def _try_load(store, tmp_path, data: bytes, suffix: str) -> None:
    f = tmp_path / f"fuzz{suffix}"
    f.write_bytes(data)
    before = quads(store)
    # a fresh source name each time: loading a name removed before first moves the removed triples to
    # their history graph (removal.reclaim), which this raw comparison of quads would count as a change
    name = f"fuzz-{next(_FUZZ_NAMES)}"
    try:
        load_files(store, [f], validate=False, source=name, replace=True)
    except GovGraphError:
        assert quads(store) == before
    else:
        assert store.has_source(name)
        store.remove_source(name)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".ttl", ".nt", ".jsonld", ".rdf", ".nq", ".trig", ".csv"]))
def test_random_bytes_raise_only_our_errors(seeded, tmp_path, data, suffix):
    _try_load(seeded, tmp_path, data, suffix)


TOKENS = ["<http://ex/a>", "<http://ex/b>", "ex:c", "_:x", '"lit"', '"x"@en', '"1"^^xsd:integer', "1", "2.5",
          "true", "a", ";", ",", ".", "[", "]", "(", ")", "@prefix", "ex:", "<http://ex/>", "PREFIX", "<bad iri>",
          '"""multi\nline"""', "'single'", "#comment\n", "xsd:", "@base", "^^", "@", "\\u00e9", "<>"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40))
def test_random_turtle_like_text_raises_only_our_errors(seeded, tmp_path, tokens):
    text = "@prefix ex: <http://ex/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + " ".join(tokens)
    _try_load(seeded, tmp_path, text.encode("utf-8"), ".ttl")


@FUZZ
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=13), min_size=1, max_size=6))
def test_random_iar_csv_raises_only_our_errors(seeded, tmp_path, rows):
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Asset name", "Description", "Owner", "System", "Personal data", "Classification"])
    for r in rows:
        w.writerow(r)
    _try_load(seeded, tmp_path, buf.getvalue().encode("utf-8", "surrogatepass"), ".csv")
