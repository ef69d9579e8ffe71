"""Hypothesis strategies for random writes over a small estate whose names overlap on purpose (the same
datasets described by several sources, glossary terms renamed under the datasets that carry them, lineage
between generated and estate datasets): tests/test_live.py and tests/test_kept_validation.py draw from them,
and ``live_steps.do`` runs each step."""
from __future__ import annotations

import pyoxigraph as ox
from hypothesis import strategies as st

from live_steps import n

BASE = "https://data.county.example.gov.uk/id/"
GOV, DCAT, DCT = "https://w3id.org/govgraph#", "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
SKOS, PROV, RDF = "http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/ns/prov#", \
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DATASETS = [f"{BASE}dataset/{n}" for n in ("d0", "d1", "d2", "referrals", "road-defects")]
TERMS = [f"{BASE}term/{n}" for n in ("roads", "t1")]
PEOPLE = [f"{BASE}person/{n}" for n in ("ann", "sam", "nobody")]
SYSTEMS = [f"{BASE}system/{n}" for n in ("mosaic", "dwh")]
FIELDS = [f"{BASE}field/{n}" for n in ("f0", "f1")]
WORDS = ["Road", "defects", "Care", "carers", "Mosaic", "SSDA903", "referrals", "budget"]
SOURCES = ["s0", "s1", "s2"]


def lit(text: str) -> ox.Literal:
    return ox.Literal(text)


words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)


@st.composite
def statements(draw) -> ox.Triple:
    """One triple about a dataset or a glossary term from the small pools."""
    what = draw(st.sampled_from(["type", "title", "alt", "desc", "owner", "theme", "held", "derived", "term",
                                 "termalt", "personal", "classified", "group", "field", "fieldtype", "flow", "alias"]))
    d = n(draw(st.sampled_from(DATASETS)))
    t = n(draw(st.sampled_from(TERMS)))
    if what == "type":
        return ox.Triple(d, n(RDF + "type"), n(DCAT + "Dataset"))
    if what == "field":  # a field of a dataset (a failing field fails its dataset's asset score)
        return ox.Triple(n(draw(st.sampled_from(FIELDS))), n(GOV + "fieldOf"), d)
    if what == "flow":  # a flow from or to a dataset (renamed when the dataset is hidden)
        return ox.Triple(n(f"{BASE}flow/{draw(st.sampled_from(['a', 'b']))}"),
                         n(GOV + draw(st.sampled_from(["source", "target"]))), d)
    if what == "alias":  # an alias under an OpenLineage namespace (a discovered dataset's system is guessed from it)
        return ox.Triple(d, n(GOV + "alias"), lit(draw(st.sampled_from(["mssql://mosaic/dbo.", "mssql://dwh/mart."]))
                                                  + draw(st.sampled_from(["a", "b"]))))
    if what == "fieldtype":
        return ox.Triple(n(draw(st.sampled_from(FIELDS))), n(RDF + "type"), n(GOV + "Field"))
    if what == "title":
        return ox.Triple(d, n(DCT + "title"), lit(draw(words)))
    if what == "alt":
        return ox.Triple(d, n(SKOS + "altLabel"), lit(draw(words)))
    if what == "desc":
        return ox.Triple(d, n(DCT + "description"), lit(draw(words)))
    if what == "owner":
        return ox.Triple(d, n(GOV + "owner"), n(draw(st.sampled_from(PEOPLE))))
    if what == "theme":
        return ox.Triple(d, n(DCAT + "theme"), t)
    if what == "held":
        return ox.Triple(d, n(GOV + "heldIn"), n(draw(st.sampled_from(SYSTEMS))))
    if what == "derived":
        return ox.Triple(d, n(PROV + "wasDerivedFrom"), n(draw(st.sampled_from(DATASETS))))
    if what == "term":
        return ox.Triple(t, n(SKOS + "prefLabel"), lit(draw(words)))
    if what == "termalt":
        return ox.Triple(t, n(SKOS + "altLabel"), lit(draw(words)))
    if what == "classified":
        return ox.Triple(d, n(GOV + "classification"), n(GOV + draw(st.sampled_from(["OfficialSensitive", "Official"]))))
    if what == "group":
        return ox.Triple(d, n(GOV + "accessGroup"), lit(draw(st.sampled_from(["Analysts", "Children's services"]))))
    return ox.Triple(d, n("https://w3id.org/dpv#hasPersonalData"), n("https://w3id.org/dpv#PersonalData"))


triples = st.lists(statements(), min_size=1, max_size=8)


tables = st.lists(st.sampled_from(["dbo.referrals", "dbo.fact_referral", "dbo.road_defects", "dbo.new"]),
                  min_size=1, max_size=2, unique=True)
steps = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(SOURCES), triples),
    st.tuples(st.just("remove"), st.sampled_from(SOURCES)),
    st.tuples(st.just("patch"), st.sampled_from(SOURCES), triples, st.integers(0, 3)),
    st.tuples(st.just("update"), st.sampled_from(SOURCES), words),
    st.tuples(st.just("event"), st.sampled_from(["load_a", "load_b"]), tables, tables, st.integers(1, 4)),
)
