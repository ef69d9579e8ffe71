"""Checks on the Shire County Council sample estate in data/sample/: it parses, is big enough, uses only declared
gov: terms, links only to things it defines, agrees with its IAR CSV and DEFECTS.md, and tells the SALT and Mosaic stories."""
import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
ONTOLOGY = ROOT / "ontology" / "govgraph.ttl"
TTL_FILES = ["organisation.ttl", "systems.ttl", "datasets.ttl", "fields.ttl", "flows.ttl", "partners.ttl",
             "standards.ttl", "glossary.ttl", "quality.ttl", "returns.ttl"]
ID = "https://data.county.example.gov.uk/id/"
GOV = Namespace("https://w3id.org/govgraph#")
DPV = Namespace("https://w3id.org/dpv#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
IAR_HEADER = ["Asset ID", "Asset name", "Description", "Owner", "Service area", "System", "Personal data",
              "Special category", "Lawful basis", "Retention", "Shared with", "Classification"]
CHECK_START, CHECK_END = dt.date(2026, 1, 1), dt.date(2028, 12, 31)


@pytest.fixture(scope="module")
def graphs():
    return {name: Graph().parse(SAMPLE / name, format="turtle") for name in TTL_FILES}


@pytest.fixture(scope="module")
def g(graphs):
    union = Graph()
    for part in graphs.values():
        union += part
    return union


@pytest.fixture(scope="module")
def ontology():
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def iar_rows():
    with open(SAMPLE / "iar.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


@pytest.fixture(scope="module")
def defects():
    rows = []
    for line in (SAMPLE / "DEFECTS.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            rows.append(dict(zip(["principle", "check", "severity", "focus", "explanation"], cells)))
    return rows


def instances(g, ontology, cls):
    """Subjects typed with cls or any of its subclasses (per the ontology)."""
    classes = set(ontology.transitive_subjects(RDFS.subClassOf, cls)) | {cls}
    return {s for c in classes for s in g.subjects(RDF.type, c)}


def test_every_file_parses_and_shares_one_prefix_block(graphs):
    assert all(len(part) > 0 for part in graphs.values())
    blocks = set()
    for name in TTL_FILES:
        text = (SAMPLE / name).read_text(encoding="utf-8")
        blocks.add("\n".join(l for l in text.splitlines() if l.startswith("@prefix")))
    assert len(blocks) == 1


def test_scale(g, ontology):
    assert len(list(g.subjects(RDF.type, GOV.Council))) == 1
    assert len(instances(g, ontology, GOV.System)) >= 13
    assert 120 <= len(instances(g, ontology, DCAT.Dataset)) <= 200
    assert len(set(g.subjects(RDF.type, GOV.Field))) >= 250
    assert len(set(g.subjects(RDF.type, GOV.Flow))) >= 80
    assert len(set(g.subjects(RDF.type, GOV.Partner))) >= 10
    assert len(set(g.subjects(RDF.type, GOV.SharingAgreement))) >= 12
    assert len(set(g.subjects(RDF.type, FOAF.Person))) >= 40
    assert len(set(g.subjects(RDF.type, SKOS.Concept))) >= 25
    assert len(set(g.subjects(RDF.type, GOV.Standard))) >= 7
    assert len(set(g.subjects(RDF.type, GOV.StatutoryReturn))) >= 5
    assert len(set(g.subjects(RDF.type, GOV.Report))) >= 5
    assert len(set(g.subjects(RDF.type, GOV.CommunityOfPractice))) >= 3


def test_every_gov_term_is_declared_in_the_ontology(g, ontology):
    declared = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(GOV))}
    used = {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(str(GOV))}
    assert used - declared == set()


def test_estate_iris_follow_the_scheme(g):
    kinds = {"org", "unit", "person", "partner", "system", "dataset", "field", "flow", "agreement", "standard", "term",
             "purpose", "quality", "dpia", "ethics", "community"}
    for s in set(g.subjects()):
        if str(s).startswith(ID):
            kind = str(s)[len(ID):].split("/")[0]
            assert kind in kinds, s


# objects of these must be typed in the sample itself
SAMPLE_LINKS = [GOV.owner, GOV.steward, GOV.heldIn, GOV.carries, GOV.source, GOV.target, GOV.fieldOf, GOV.derivedFromField,
                GOV.coveredBy, GOV.identifierScheme, DCAT.theme, GOV.custodian, GOV.serviceArea, GOV.community, GOV.aboutEntity,
                GOV.masterOf, GOV.sharedWith, GOV.submittedTo, GOV.operatedBy, GOV.party, GOV.hasDPIA, GOV.hasEthicsAssessment,
                DPV.hasPurpose, PROV.wasDerivedFrom, GOV.targetFor, DCTERMS.conformsTo, GOV.definedBy, GOV.partOfSystem]
# objects of these are controlled values declared in the ontology
ONTOLOGY_LINKS = [GOV.classification, GOV.storageForm, GOV.mechanism, GOV.anonymisation, GOV.metric, DQV.isMeasurementOf]


def local(p):
    return re.split(r"[#/]", str(p))[-1]


@pytest.mark.parametrize("prop", SAMPLE_LINKS, ids=local)
def test_linked_iris_are_defined_in_the_sample(g, prop):
    objects = {o for o in g.objects(None, prop) if isinstance(o, URIRef)}
    assert objects
    assert {o for o in objects if g.value(o, RDF.type) is None} == set()


@pytest.mark.parametrize("prop", ONTOLOGY_LINKS, ids=local)
def test_controlled_values_come_from_the_ontology(g, ontology, prop):
    objects = {o for o in g.objects(None, prop)}
    assert objects
    assert {o for o in objects if ontology.value(o, RDF.type) is None} == set()


def test_datasets_have_the_contract_properties(g, ontology):
    """Properties of the modelling contract that no deliberate defect removes: retention, custodian, return recipient."""
    for ds in instances(g, ontology, DCAT.Dataset):
        assert g.value(ds, GOV.retentionPeriod) is not None, ds
        assert g.value(ds, GOV.custodian) is not None, ds
    for ret in g.subjects(RDF.type, GOV.StatutoryReturn):
        assert (g.value(ret, GOV.submittedTo), RDF.type, GOV.Partner) in g


def label_of(g, node, prop):
    return str(g.value(node, prop)) if node is not None and g.value(node, prop) is not None else ""


def basis_text(iri):
    m = re.fullmatch(r".*#A(\d+)-(\d+)-([a-z])", str(iri))
    return f"UK GDPR Art {m.group(1)}({m.group(2)})({m.group(3)})"


def test_iar_csv_agrees_with_turtle(g, ontology, iar_rows):
    header, rows = iar_rows
    assert header == IAR_HEADER
    assert 30 <= len(rows) <= 60
    assets = {str(s) for s in g.subjects(RDF.type, GOV.InformationAsset)}
    assert {ID + "dataset/" + r["Asset ID"] for r in rows} == assets
    for r in rows:
        ds = URIRef(ID + "dataset/" + r["Asset ID"])
        assert (ds, RDF.type, DCAT.Dataset) in g
        assert r["Asset name"] == label_of(g, ds, DCTERMS.title), ds
        assert r["Description"] == label_of(g, ds, DCTERMS.description), ds
        assert r["Owner"] == label_of(g, g.value(ds, GOV.owner), FOAF.name), ds
        assert r["Service area"] == label_of(g, g.value(ds, GOV.serviceArea), RDFS.label), ds
        assert r["System"] == label_of(g, g.value(ds, GOV.heldIn), RDFS.label), ds
        personal = set(g.objects(ds, DPV.hasPersonalData))
        assert r["Personal data"] == ("Y" if personal else "N"), ds
        assert r["Special category"] == ("Y" if DPV.SpecialCategoryPersonalData in personal else "N"), ds
        bases = sorted(basis_text(b) for b in g.objects(ds, DPV.hasLegalBasis))
        assert sorted(filter(None, r["Lawful basis"].split("; "))) == bases, ds
        assert r["Retention"] == label_of(g, ds, GOV.retentionPeriod), ds
        shared = sorted(label_of(g, p, RDFS.label) for p in g.objects(ds, GOV.sharedWith))
        assert sorted(filter(None, r["Shared with"].split("; "))) == shared, ds
        cls = g.value(ds, GOV.classification)
        assert r["Classification"] == label_of(ontology, cls, SKOS.notation), ds
        assert r["Classification"] in ("", "OFFICIAL", "OFFICIAL-SENSITIVE")


def test_defects_table_is_well_formed_and_points_at_real_nodes(g, defects):
    assert len(defects) >= 24
    per_check, per_principle = {}, {}
    for row in defects:
        assert 1 <= int(row["principle"]) <= 12
        assert row["severity"] in ("Violation", "Warning", "Info")
        assert row["explanation"]
        m = re.fullmatch(r"<(https://data\.county\.example\.gov\.uk/id/[^>]+)>", row["focus"])
        assert m, row["focus"]
        assert g.value(URIRef(m.group(1)), RDF.type) is not None, row["focus"]
        per_check[row["check"]] = per_check.get(row["check"], 0) + 1
        per_principle[int(row["principle"])] = per_principle.get(int(row["principle"]), 0) + 1
    assert all(n >= 2 for n in per_check.values()), per_check
    assert set(per_principle) == set(range(1, 13))
    assert all(n >= 2 for n in per_principle.values())


def upstream_datasets(g, start):
    """Datasets reachable upstream of start through prov:wasDerivedFrom and dataset-to-dataset flows."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        ups = set(g.objects(node, PROV.wasDerivedFrom))
        for flow in g.subjects(GOV.target, node):
            ups.add(g.value(flow, GOV.source))
        for up in ups - seen:
            seen.add(up)
            todo.append(up)
    return seen


def test_salt_return_traces_to_mosaic_and_controcc_through_the_warehouse(g):
    salt = URIRef(ID + "dataset/return-salt")
    assert (salt, RDF.type, GOV.StatutoryReturn) in g
    systems = {g.value(d, GOV.heldIn) for d in upstream_datasets(g, salt)}
    assert {URIRef(ID + "system/mosaic"), URIRef(ID + "system/controcc"), URIRef(ID + "system/data-warehouse")} <= systems
    # every step upstream has an owner
    assert all(g.value(d, GOV.owner) is not None for d in upstream_datasets(g, salt) | {salt})


def in_force_throughout(g, agreement):
    return (g.value(agreement, GOV.validFrom).toPython() <= CHECK_START
            and g.value(agreement, GOV.validUntil).toPython() >= CHECK_END)


def test_salt_nhs_shares_are_covered_by_agreements_in_force(g):
    salt = URIRef(ID + "dataset/return-salt")
    submissions = list(g.subjects(GOV.carries, salt))
    assert submissions
    for flow in submissions:
        agreements = list(g.objects(flow, GOV.coveredBy))
        assert agreements and all(in_force_throughout(g, a) for a in agreements)
    discharge = URIRef(ID + "flow/hospital-to-mosaic-discharge")
    assert all(in_force_throughout(g, a) for a in g.objects(discharge, GOV.coveredBy))


def test_mosaic_integrations(g):
    mosaic = URIRef(ID + "system/mosaic")
    ends = {g.value(f, GOV.target) for f in g.subjects(GOV.source, mosaic)} | \
           {g.value(f, GOV.source) for f in g.subjects(GOV.target, mosaic)}
    for slug in ["data-warehouse", "controcc", "nhs-spine", "police-niche", "crm", "sharepoint", "capita-one", "shire-care-record"]:
        assert URIRef(ID + "system/" + slug) in ends, slug
    assert any((e, RDF.type, GOV.Partner) in g for e in ends)


def source_fields(g, field):
    seen, todo = set(), [field]
    while todo:
        for up in g.objects(todo.pop(), GOV.derivedFromField):
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


@pytest.mark.parametrize("ret,source", [("return-ssda903", "mosaic"), ("return-cin-census", "mosaic"),
                                        ("return-salt", "mosaic"), ("return-salt", "controcc"),
                                        ("return-school-census", "capita-one")])
def test_return_fields_trace_to_source_system_fields_through_the_warehouse(g, ret, source):
    ds = URIRef(ID + "dataset/" + ret)
    fields = list(g.subjects(GOV.fieldOf, ds))
    assert len(fields) >= 8
    warehouse, src = URIRef(ID + "system/data-warehouse"), URIRef(ID + "system/" + source)
    reached = set()
    for f in fields:
        systems = {g.value(g.value(u, GOV.fieldOf), GOV.heldIn) for u in source_fields(g, f)}
        assert warehouse in systems, f
        reached |= systems
    assert src in reached


def test_key_identifier_fields_use_registered_standards(g):
    keyed = list(g.subjects(GOV.keyIdentifier, Literal(True)))
    assert len(keyed) >= 20
    for f in keyed:
        scheme = g.value(f, GOV.identifierScheme)
        assert scheme is None or (scheme, RDF.type, GOV.Standard) in g
