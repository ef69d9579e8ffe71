"""Importers and exporters: every RDF format, the IAR CSV, and clear errors for bad input."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from govgraph.errors import BadInput
from govgraph.io.export import export_to
from govgraph.io.iar import HEADER, format_lawful_basis, parse_lawful_basis, write_iar
from govgraph.io.load import load_files
from govgraph.ontology.ns import EU_GDPR

FIX = Path(__file__).parent / "fixtures" / "io"
IAR = """Asset ID,Asset Name,Description,Owner,Service area,System,Personal data,Special category,Lawful basis,Retention,Shared with,Classification,Purpose
pupil-census,Pupil census,Termly census,Jane Smith,Education,Capita ONE,Y,N,UK GDPR Art 6(1)(e),25 years from DOB,DfE,OFFICIAL-SENSITIVE,Statutory returns to DfE
care-records,Care records,Adult social care case records,Sam Patel,Adult Social Care,Mosaic,Y,Y,UK GDPR Art 6(1)(e); UK GDPR Art 9(2)(h),8 years after death,NHS ICB; County Police,OFFICIAL-SENSITIVE,Adult social care case management; Safeguarding adults
budget,Budget,=HYPERLINK("http://evil"),John Doe,Finance,SAP,N,N,,7 years,,OFFICIAL,
"""


def quads(store):
    return sorted(str(q) for q in store.quads())


@pytest.mark.parametrize("name", ["small.ttl", "small.jsonld", "small.rdf", "small.nt", "small.nq", "small.trig"])
def test_every_rdf_format_loads_the_same_triples(any_store, name):
    (r,) = load_files(any_store, [FIX / name])
    assert r.triples == 18 and r.source == name
    rows = any_store.select("SELECT ?t WHERE { ?d dcterms:title ?t } ORDER BY ?t")
    assert [str(x["t"]) for x in rows] == ["Pupil roll", "School census"]


def test_format_override(memory_store, tmp_path):
    f = tmp_path / "data.txt"
    f.write_bytes((FIX / "small.nt").read_bytes())
    with pytest.raises(BadInput, match="cannot tell the format"):
        load_files(memory_store, [f])
    (r,) = load_files(memory_store, [f], fmt="ntriples")
    assert r.triples == 18


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "rdfxml", "ntriples", "nquads", "trig"])
def test_export_round_trips_in_every_format(any_store, tmp_path, fmt):
    load_files(any_store, [FIX / "small.ttl"])
    out = tmp_path / f"out.{fmt}"
    n = export_to(any_store, out, fmt)
    assert n == 18
    from govgraph.store import open_store
    other = open_store("memory:")
    (r,) = load_files(other, [out], fmt=fmt)
    assert r.triples == 18


def test_export_one_source(memory_store, tmp_path):
    load_files(memory_store, [FIX / "small.ttl"])
    load_files(memory_store, [FIX / "small.nt"], source="copy")
    assert export_to(memory_store, tmp_path / "x.nt", "ntriples", source="copy") == 18


@pytest.mark.parametrize("name,pattern", [
    ("bad.ttl", r"bad\.ttl:3:\d+: not valid RDF"),
    ("bad.jsonld", r"bad\.jsonld.*not valid RDF"),
    ("latin1.ttl", r"latin1\.ttl:2:\d+: not valid RDF.*UTF-8"),
    ("zero.ttl", r"zero\.ttl: no triples found"),
    ("missing.ttl", r"missing\.ttl: no such file"),
])
def test_bad_files_are_rejected_and_the_store_is_unchanged(any_store, name, pattern):
    load_files(any_store, [FIX / "small.ttl"])
    before = quads(any_store)
    with pytest.raises(BadInput, match=pattern):
        load_files(any_store, [FIX / name], source="small.ttl", replace=True)
    assert quads(any_store) == before


def test_empty_file(memory_store, tmp_path):
    f = tmp_path / "empty.ttl"
    f.write_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        load_files(memory_store, [f])


def test_one_bad_file_in_a_source_rejects_the_whole_source(any_store):
    with pytest.raises(BadInput):
        load_files(any_store, [FIX / "small.ttl", FIX / "bad.ttl"], source="both")
    assert any_store.sources() == [] and len(list(any_store.quads())) == 0


def test_remote_jsonld_context_is_never_fetched(memory_store, tmp_path):
    f = tmp_path / "remote.jsonld"
    f.write_text('{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://ex/a", "name": "x"}')
    with pytest.raises(BadInput, match="remote.jsonld"):
        load_files(memory_store, [f])


# ----------------------------------------------------------------------------- IAR

def write(tmp_path, text, name="iar.csv"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_iar_import_maps_onto_the_ontology(any_store, tmp_path):
    (r,) = load_files(any_store, [write(tmp_path, IAR)], validate=False)
    assert r.triples > 30
    a = "https://data.county.example.gov.uk/id/dataset/care-records"
    rows = any_store.select("""SELECT ?owner ?sys ?cls WHERE {
        ?a a gov:InformationAsset ; gov:owner/foaf:name ?owner ; gov:heldIn/rdfs:label ?sys ; gov:classification ?cls }""",
                               bindings={"a": __import__("rdflib").URIRef(a)})
    assert [(str(x["owner"]), str(x["sys"]), str(x["cls"])) for x in rows] == [
        ("Sam Patel", "Mosaic", "https://w3id.org/govgraph#OfficialSensitive")]
    bases = {str(x["b"]) for x in any_store.select(f"SELECT ?b WHERE {{ <{a}> dpv:hasLegalBasis ?b }}")}
    assert bases == {str(EU_GDPR["A6-1-e"]), str(EU_GDPR["A9-2-h"])}
    assert any_store.ask(f"ASK {{ <{a}> dpv:hasPersonalData dpv:SpecialCategoryPersonalData }}")
    partners = {str(x["l"]) for x in any_store.select(f"SELECT ?l WHERE {{ <{a}> gov:sharedWith/rdfs:label ?l }}")}
    assert partners == {"NHS ICB", "County Police"}
    purposes = {str(x["l"]) for x in any_store.select(f"SELECT ?l WHERE {{ <{a}> dpv:hasPurpose/rdfs:label ?l }}")}
    assert purposes == {"Adult social care case management", "Safeguarding adults"}


def test_iar_reuses_people_and_systems_already_in_the_store(memory_store, tmp_path):
    load_files(memory_store, [FIX / "small.ttl"])
    load_files(memory_store, [write(tmp_path, IAR)], validate=False)
    owners = memory_store.select("""SELECT DISTINCT ?o WHERE {
        <https://data.county.example.gov.uk/id/dataset/pupil-census> gov:owner ?o }""")
    assert [str(x["o"]) for x in owners] == ["https://data.county.example.gov.uk/id/person/jane-smith"]
    # Capita ONE is referenced, not created a second time in the IAR source
    assert not memory_store.ask("""ASK { GRAPH <urn:govgraph:source:iar.csv> {
        <https://data.county.example.gov.uk/id/system/capita-one> a gov:System } }""")


def test_iar_round_trip(any_store, tmp_path):
    text = IAR.replace("Purpose\n", "Purpose,Steward,Review date,Format,Location\n").replace(
        "Statutory returns to DfE\n", "Statutory returns to DfE,Sam Patel,31/03/2027,Electronic,S:\\Education\n")
    load_files(any_store, [write(tmp_path, text)], validate=False)
    out = io.StringIO()
    assert write_iar(any_store, out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(HEADER)
    assert "'=HYPERLINK" in out.getvalue()  # formula neutralised in the export
    from govgraph.store import open_store
    again = open_store("memory:")
    load_files(again, [write(tmp_path, out.getvalue(), "again.csv")], validate=False)
    out2 = io.StringIO()
    write_iar(again, out2)
    assert out2.getvalue() == out.getvalue()
    assert again.ask('ASK { ?d dcterms:description "=HYPERLINK(\\"http://evil\\")" }')
    assert again.ask('ASK { ?d gov:steward/foaf:name "Sam Patel" ; gov:reviewDate "2027-03-31"^^xsd:date ; '
                     'dcterms:format "Electronic" ; gov:storageLocation "S:\\\\Education" }')


@pytest.mark.parametrize("text,pattern", [
    ("Asset name,Description\nA,B\n", r"iar\.csv:1: missing required column\(s\): Owner, System"),
    (IAR.replace(",Y,N,UK GDPR Art 6(1)(e),25", ",maybe,N,UK GDPR Art 6(1)(e),25"), r"iar\.csv:2: column 'Personal data': 'maybe' is not yes or no \(allowed: yes, no, y, n, true or false"),
    (IAR.replace("OFFICIAL-SENSITIVE,Statutory", "RESTRICTED,Statutory"), r"iar\.csv:2: column 'Classification': 'RESTRICTED'"),
    (IAR.replace("UK GDPR Art 6(1)(e); UK GDPR", "because; UK GDPR"), r"iar\.csv:3: column 'Lawful basis': 'because' is not a lawful basis \(allowed: .*public task"),
    (IAR.replace("budget,Budget,", "budget,,"), r"iar\.csv:4: column 'Asset Name': the asset name is empty"),
    (IAR + "pupil-census,Again,x,y,z,SAP,N,N,,,,OFFICIAL\n", r"iar\.csv:5: .*appears twice \(also row 2\)"),
    ("", r"empty"),
    (",".join(HEADER) + "\n", r"no asset rows"),
])
def test_bad_iar_names_row_and_column_and_loads_nothing(memory_store, tmp_path, text, pattern):
    with pytest.raises(BadInput, match=pattern):
        load_files(memory_store, [write(tmp_path, text)])
    assert len(list(memory_store.quads())) == 0


def test_iar_header_matching_is_case_and_space_insensitive(memory_store, tmp_path):
    text = IAR.replace("Asset ID,Asset Name", " asset id ,ASSET_NAME").replace("Lawful basis", "Legal Basis")
    (r,) = load_files(memory_store, [write(tmp_path, text)], validate=False)
    assert r.triples > 30


def test_iar_not_utf8(memory_store, tmp_path):
    f = tmp_path / "iar.csv"
    f.write_bytes(IAR.replace("Termly", "Caf\u00e9").encode("latin-1"))
    with pytest.raises(BadInput, match="not UTF-8"):
        load_files(memory_store, [f])


@pytest.mark.parametrize("text,code", [("UK GDPR Art 6(1)(e)", "A6-1-e"), ("Article 9(2)(h)", "A9-2-h"),
                                       ("public task", "A6-1-e"), ("eu-gdpr:A6-1-c", "A6-1-c"), ("6(1)(a)", "A6-1-a")])
def test_lawful_basis_text(text, code):
    assert parse_lawful_basis(text) == EU_GDPR[code]
    assert format_lawful_basis(str(EU_GDPR[code])).startswith("UK GDPR Art ")



def test_sample_iar_imports_cleanly_over_the_sample_estate(sample_store):
    """The IAR of the sample estate adds no violation to the estate it describes (no --force needed)."""
    from govgraph.data.estate import sample_dir
    sample_store.remove_source("sample/iar.csv")
    (r,) = load_files(sample_store, [sample_dir() / "iar.csv"], source="iar")
    assert r.triples > 300
    # the assets it declares are the Turtle's own: no new people, systems or units were minted
    assert not sample_store.ask("""ASK { GRAPH <urn:govgraph:source:iar> { ?x a ?t
        VALUES ?t { foaf:Person gov:System org:OrganizationalUnit gov:Partner } } }""")


AWKWARD = r'''@prefix gov: <https://w3id.org/govgraph#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dpv: <https://w3id.org/dpv#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> . @prefix x: <https://ex.org/id/> .
x:a a gov:InformationAsset ; dcterms:title "Zed", "Alpha \"quoted\"\nline" ; dcterms:description "=SUM(A1)"@en ;
    gov:owner x:p1, x:p2, x:nameless ; gov:serviceArea x:u ; gov:heldIn x:s1, x:s2 ;
    dpv:hasPersonalData dpv:PersonalData, dpv:SpecialCategoryPersonalData ;
    dpv:hasLegalBasis eu-gdpr:A9-2-h, eu-gdpr:A6-1-e, <https://ex.org/other-basis> ;
    gov:retentionPeriod "7 years \\ \"then\" review"@en-GB, "7"^^<http://www.w3.org/2001/XMLSchema#integer> ;
    gov:sharedWith x:partner ; gov:classification gov:Official, gov:OfficialSensitive ; dpv:hasPurpose x:purpose .
x:b a gov:InformationAsset ; dcterms:title "Bare" .
x:c a gov:InformationAsset ; gov:owner x:p1 ; gov:classification [ rdfs:label "odd" ] ; gov:retentionPeriod "ünïcode 🗄" .
x:not-an-asset gov:owner x:p1 ; dcterms:title "Not in the register" .
x:p1 foaf:name "Pat One" . x:p2 foaf:name "Bo Two", "Bo 2" . x:u rdfs:label "Unit" .
x:s1 rdfs:label "Sys 1" . x:s2 rdfs:label "Sys 2" . x:partner skos:prefLabel "Partner P" . x:purpose rdfs:label "Purpose" .
'''


def test_iar_rows_read_the_same_either_way(memory_store, tmp_path, monkeypatch):
    """read_rows codes the few distinct values of each property; a property with many (or blank-node)
    values is read value -> assets instead. Both ways give the same rows, awkward literals included."""
    import govgraph.io.iar as iar
    load_files(memory_store, [write(tmp_path, AWKWARD, "awkward.ttl")], validate=False)
    coded = iar.read_rows(memory_store)
    monkeypatch.setattr(iar, "_MAX_CODED", 0)
    assert iar.read_rows(memory_store) == coded
    rows = {iri.rsplit("/", 1)[-1]: dict(zip(HEADER, cells)) for iri, cells in coded}
    assert sorted(rows) == ["a", "b", "c"]
    a = rows["a"]
    assert a["Asset name"] == 'Alpha "quoted"\nline; Zed' and a["Description"] == "=SUM(A1)"
    assert a["Owner"] == "Bo 2; Bo Two; Pat One" and a["System"] == "Sys 1; Sys 2"
    assert (a["Personal data"], a["Special category"]) == ("Y", "Y")
    assert a["Lawful basis"] == "UK GDPR Art 6(1)(e); UK GDPR Art 9(2)(h); https://ex.org/other-basis"
    assert a["Retention"] == '7; 7 years \\ "then" review'
    assert (a["Shared with"], a["Classification"], a["Purpose"]) == ("Partner P", "OFFICIAL", "Purpose")
    assert list(rows["b"].values()) == ["b", "Bare", ""] + ["", "", "", "N", "N", "", "", "", "", ""] + [""] * 4
    assert rows["c"]["Owner"] == "Pat One" and rows["c"]["Retention"] == "ünïcode 🗄"
    assert rows["c"]["Classification"] == ""  # a blank node is no classification name
    out = io.StringIO()
    write_iar(memory_store, out)
    assert "'=SUM(A1)" in out.getvalue()
