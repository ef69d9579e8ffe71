"""Per-asset read protection (issues 10 and 21): with ``HIDE_SENSITIVE`` on, assets classified
OFFICIAL-SENSITIVE / SECRET / TOP SECRET (named, or blank nodes) are invisible to readers without
one of their access groups — on pages, in search and facets, registers, reports and exports, the
JSON API, lineage graphs (as placeholders) and SPARQL — while a token with the group or an admin
sees them, and with the setting off nothing changes. Visible IRIs do not spell hidden names
(flows from or to hidden assets are renamed), and an as-of page answers alike for a hidden and an
absent asset. Runs over a copy of the sample estate on disk and on a real `oxigraph serve`."""
from __future__ import annotations

import html
import io
import json
import re
import shutil
import urllib.parse
import zipfile
from pathlib import Path

import pytest
import rdflib

from govgraph import access, catalog, lineage
from govgraph.auth import Principal, TokenFile, main as auth_main
from govgraph.errors import BadInput
from govgraph.io.load import load_files
from govgraph.lineage.grouping import group_key
from govgraph.store import open_store
from govgraph.webapp import create_app


REPO = Path(__file__).resolve().parent.parent
GOV = rdflib.Namespace("https://w3id.org/govgraph#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
ID = "https://data.county.example.gov.uk/id/"
MASH_CONTACTS = ID + "dataset/mosaic-mash-contacts"      # OFFICIAL-SENSITIVE, group SG-Mosaic-MASH
CHILD_RECORDS = ID + "dataset/mosaic-person-child"   # OFFICIAL-SENSITIVE, group SG-Mosaic-ChildrensSocialCare
MARKER = "zqhiddenmarker"
#: A visible record linked to the probe whose IRI spells the probe's name: renamed like a flow.
SPELLING_DPIA = ID + "dpia/xss-probe-assessment"
BLANK_MARKER = "zqblankmarker"
BLANK_FIELD = ID + "field/zq-adoption-panel-minutes.panel_decision"   # a field of the SECRET blank-node dataset
BLANK_FLOW = ID + "flow/zq-adoption-panel-minutes-to-dwh"             # a flow from it
FROM_BLANK = ID + "dataset/zq-visible-from-blank"                     # visible, derived from a TOP SECRET blank node
#: A flow between two hidden datasets whose IRI spells both their names (finding 8 of issue 21).
SPELLING_FLOW = ID + "flow/dwh-stg-mosaic-cla-episode-to-dwh-fact-cla-episode"
#: Restricted assets written as blank nodes (JSON-LD without ``@id``): a SECRET one the MASH group may
#: see, with a named field, a blank field and a named flow from it; a TOP SECRET one with no group
#: (admins only) that a visible dataset derives from.
BLANK_JSONLD = json.dumps({
    "@context": {"gov": "https://w3id.org/govgraph#", "dcat": "http://www.w3.org/ns/dcat#",
                 "dcterms": "http://purl.org/dc/terms/", "prov": "http://www.w3.org/ns/prov#",
                 "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    "@graph": [
        {"@type": "dcat:Dataset", "dcterms:title": f"{BLANK_MARKER} adoption panel minutes",
         "dcterms:description": f"{BLANK_MARKER} minutes of the adoption panel",
         "gov:classification": {"@id": "gov:Secret"}, "gov:accessGroup": "SG-Mosaic-MASH",
         "gov:heldIn": {"@id": ID + "system/mosaic"}, "gov:owner": {"@id": ID + "person/fiona-macleod"},
         "@reverse": {
             "gov:fieldOf": [{"@id": BLANK_FIELD, "@type": "gov:Field", "rdfs:label": f"{BLANK_MARKER} panel decision"},
                             {"@type": "gov:Field", "rdfs:label": f"{BLANK_MARKER} blank field"}],
             "gov:source": {"@id": BLANK_FLOW, "@type": "gov:Flow",
                            "rdfs:label": f"{BLANK_MARKER} minutes to the warehouse",
                            "gov:target": {"@id": ID + "system/data-warehouse"}, "gov:mechanism": {"@id": "gov:ETL"}}}},
        {"@id": FROM_BLANK, "@type": "dcat:Dataset", "dcterms:title": "Visible extract of a withheld register",
         "gov:classification": {"@id": "gov:Official"}, "gov:heldIn": {"@id": ID + "system/mosaic"},
         "gov:owner": {"@id": ID + "person/fiona-macleod"},
         "prov:wasDerivedFrom": {"@type": "dcat:Dataset", "dcterms:title": f"{BLANK_MARKER} covert source register",
                                 "gov:classification": {"@id": "gov:TopSecret"},
                                 "gov:heldIn": {"@id": ID + "system/mosaic"}}}]})
#: A restricted asset whose title is also an XSS probe: it must never reach a hidden reader in any form.
XSS_TTL = f"""
@prefix gov: <https://w3id.org/govgraph#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix prov: <http://www.w3.org/ns/prov#> .
<{ID}dataset/xss-probe> a dcat:Dataset ;
    dcterms:title "<script>alert('{MARKER}')</script> {MARKER} case notes" ;
    dcterms:description "{MARKER} description" ;
    gov:heldIn <{ID}system/mosaic> ; gov:owner <{ID}person/fiona-macleod> ;
    gov:classification gov:OfficialSensitive ; gov:accessGroup "SG-Mosaic-MASH" ;
    prov:wasDerivedFrom <{MASH_CONTACTS}> .
<{ID}field/xss-probe.case_id> a gov:Field ; gov:fieldOf <{ID}dataset/xss-probe> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "{MARKER} case id" .
<{ID}dataset/xss-probe> gov:hasDPIA <{SPELLING_DPIA}> .
<{SPELLING_DPIA}> a gov:DPIA ; <http://www.w3.org/2000/01/rdf-schema#label> "Impact assessment seven" .
"""


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module", params=["embedded", "remote"])
def store(request, tmp_path_factory, open_sample):
    """The sample estate plus the XSS probe, embedded on disk and on a real `oxigraph serve`."""
    base = tmp_path_factory.mktemp("access")
    st, server = open_sample(request.param, base, request)
    probe = base / "extra-1.ttl"  # source names (from file names) are not redacted: they must not name hidden assets
    probe.write_text(XSS_TTL)
    blank = base / "extra-2.jsonld"
    blank.write_text(BLANK_JSONLD)
    load_files(st, [probe, blank], force=True)
    yield st
    st.close()
    if server:
        server.stop()


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    path = tmp_path_factory.mktemp("access-tokens") / "tokens"
    path.write_text("# name role hash [groups]\n")
    tf = TokenFile(path)
    return path, {
        "reader": tf.add("plain-reader", "reader"),
        "mash": tf.add("mash-reader", "reader", ["SG-Mosaic-MASH"]),
        "editor": tf.add("an-editor", "editor"),
        "admin": tf.add("an-admin", "admin"),
    }


def _app(store, tokens, hide: bool):
    app = create_app({"STORE": store, "TOKEN_FILE": str(tokens[0]), "HIDE_SENSITIVE": hide})
    app.tokens = tokens[1]
    return app


@pytest.fixture(scope="module")
def hiding(store, tokens):
    app = _app(store, tokens, True)
    yield app
    from govgraph.webapp import sparql
    sparql.shutdown(app)


@pytest.fixture(scope="module")
def plain(store, tokens):
    app = _app(store, tokens, False)
    yield app
    from govgraph.webapp import sparql
    sparql.shutdown(app)


def get(app, url, who=None, status=200, **kw):
    headers = kw.pop("headers", {})
    if who:
        headers["Authorization"] = "Bearer " + app.tokens[who]
    r = app.test_client().get(url, headers=headers, **kw)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r


def q(url: str, **args) -> str:
    return url + "?" + urllib.parse.urlencode(args)


def sparql(app, query, who=None, **args):
    r = get(app, q("/sparql", query=query, **args), who, headers={"Accept": "application/sparql-results+json"})
    return r.get_json()


@pytest.fixture(scope="module")
def sample_graph():
    """The sample estate read independently with rdflib (what the expectations are computed from)."""
    g = rdflib.Graph()
    for f in sorted((REPO / "data" / "sample").glob("*.ttl")):
        g.parse(f)
    g.parse(data=XSS_TTL, format="turtle")
    g.parse(data=BLANK_JSONLD, format="json-ld")
    return g


@pytest.fixture(scope="module")
def sensitive(sample_graph):
    """Every OFFICIAL-SENSITIVE asset of the estate -> its access groups."""
    return {str(s): {str(o) for o in sample_graph.objects(s, GOV.accessGroup)}
            for s in sample_graph.subjects(GOV.classification, GOV.OfficialSensitive)}


def hidden_titles(sample_graph, sensitive, visible_to=lambda groups: False) -> set[str]:
    """Titles of assets hidden from a reader, leaving out those a visible resource's own text repeats
    (e.g. the DPIA "... demand forecasting model" names the hidden model: its own label is not redacted)."""
    hidden = {s for s, groups in sensitive.items() if not visible_to(groups)}
    covered = set(hidden)
    for _ in range(3):  # their fields, the measurements and targets on them (hidden with them)
        covered |= {str(x) for p in (GOV.fieldOf, DQV.computedOn, GOV.targetFor)
                    for x, d in sample_graph.subject_objects(p) if str(d) in covered}
    visible_text = "\n".join(str(o) for s, p, o in sample_graph if isinstance(o, rdflib.Literal)
                             and str(s) not in covered and p != GOV.alias)
    titles = {str(t) for s in hidden for t in sample_graph.objects(rdflib.URIRef(s), DCT.title)}
    return {t for t in titles if t not in visible_text}


# ----------------------------------------------------------------------------- tokens with groups

def test_token_file_groups_column_and_old_files(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("old reader sha256:" + "0" * 64 + "\n")  # a file written before groups: still valid
    tf = TokenFile(path)
    tok = tf.add("social", "reader", ["SG-Mosaic-MASH", "SG-Mosaic-EarlyHelp"])
    line = path.read_text().splitlines()[-1]
    assert line.split()[3] == "SG-Mosaic-EarlyHelp,SG-Mosaic-MASH" and tok not in line
    who = tf.check(tok)
    assert who == Principal("social", "reader", frozenset({"SG-Mosaic-MASH", "SG-Mosaic-EarlyHelp"}))
    assert tf.add("plain", "editor") and tf.check(tf.add("p2", "admin")).groups == frozenset()
    with pytest.raises(BadInput):
        tf.add("x", "reader", ["has space"])
    path.write_text(path.read_text() + "bad reader sha256:00 a b\n")
    with pytest.raises(BadInput, match="GROUP"):
        TokenFile(path).check(tok)


def test_auth_cli_add_with_groups(tmp_path, capsys):
    path = tmp_path / "tokens"
    assert auth_main(["add", str(path), "team", "reader", "--groups", "SG-A,SG-B"]) == 0
    tok = capsys.readouterr().out.strip()
    assert TokenFile(path).check(tok).groups == {"SG-A", "SG-B"}
    assert auth_main(["add", str(path), "t2", "reader"]) == 0
    assert auth_main(["add", str(path), "t3", "boss"]) == 2


# ----------------------------------------------------------------------------- core: who may see what

def test_restricted_assets_are_the_sensitive_ones_with_their_groups(store, sensitive):
    assert len(sensitive) > 100
    assert access.restricted_assets(store) == {s: frozenset(g) for s, g in sensitive.items()}
    assert access.hidden_from(store, access.ANONYMOUS) == set(sensitive)
    mash = access.Viewer("m", frozenset({"SG-Mosaic-MASH"}))
    assert access.hidden_from(store, mash) == {s for s, g in sensitive.items() if "SG-Mosaic-MASH" not in g}
    assert access.hidden_from(store, access.Viewer("a", admin=True)) == frozenset()


def test_redacted_copy_holds_nothing_hidden_and_keeps_lineage_shape(store, sensitive, sample_graph):
    view = access.redacted_view(store, access.ANONYMOUS)
    assert view is not store and access.origin(view) is store
    assert access.redacted_view(store, access.ANONYMOUS) is view  # cached per revision and hidden set
    r = access.redaction_of(view)
    fields = {str(s) for s, o in sample_graph.subject_objects(GOV.fieldOf) if str(o) in sensitive}
    assert fields and fields <= r.dependents
    terms = {t.value for quad in view.quads(None, None, None, None) for t in (quad.subject, quad.object)
             if hasattr(t, "value")}
    assert not terms & (set(sensitive) | fields)
    assert not any(MARKER in t for t in terms)
    assert not terms & hidden_titles(sample_graph, sensitive)
    assert view.ask("ASK { ?s gov:classification gov:OfficialSensitive }") is False
    # a visible report fed by hidden datasets: same number of upstream nodes and edges, hidden ones as placeholders
    fed = [s for s in catalog.list_assets(view, kind="report", limit=100)[1]
           if set(lineage.upstream(store, s.iri).to_dict()["nodes"][i]["iri"]
                  for i in range(len(lineage.upstream(store, s.iri).to_dict()["nodes"]))) & set(sensitive)]
    assert fed, "the sample has reports fed by OFFICIAL-SENSITIVE datasets"
    for rep in fed:
        before, after = lineage.upstream(store, rep.iri).to_dict(), lineage.upstream(view, rep.iri).to_dict()
        assert len(before["nodes"]) == len(after["nodes"]) and len(before["edges"]) == len(after["edges"])
        after_iris = {n["iri"] for n in after["nodes"]}
        assert not after_iris & set(sensitive)
        placeholders = {i for i in after_iris if access.is_placeholder(i)}
        assert len(placeholders) == len({n["iri"] for n in before["nodes"]} & set(sensitive))
        assert {n["label"] for n in after["nodes"] if n["iri"] in placeholders} == {access.PLACEHOLDER_TITLE}


# ----------------------------------------------------------------------------- pages and API

HIDDEN_URLS = ["/asset?iri={}", "/asset.ttl?iri={}", "/lineage?iri={}", "/lineage.svg?iri={}", "/ownership?iri={}",
               "/fields?iri={}", "/api/v1/asset?iri={}", "/api/v1/lineage/upstream?iri={}",
               "/api/v1/lineage/downstream?iri={}", "/api/v1/lineage/impact?iri={}"]


@pytest.mark.parametrize("who", [None, "reader", "editor"])
def test_hidden_asset_is_404_everywhere_for_a_reader_without_the_group(hiding, plain, who):
    for url in HIDDEN_URLS:
        u = url.format(urllib.parse.quote(MASH_CONTACTS, safe=""))
        get(plain, u, who)  # exists when hiding is off
        body = get(hiding, u, who, status=404).get_data(as_text=True)
        assert "MASH contacts" not in body and "Multi-Agency" not in body
    # by exact name too, and as of a past date
    body = get(hiding, q("/api/v1/asset", iri="Mosaic - MASH contacts and decisions"), who, status=404).get_data(as_text=True)
    assert "mosaic-mash-contacts" not in body
    get(hiding, q("/asset", iri=MASH_CONTACTS, asof="2099-01-01"), who, status=400)  # future: refused as before
    today = get(hiding, "/api/v1/sources").get_json()["sources"][0]["loaded_at"][:10]
    get(hiding, q("/asset", iri=MASH_CONTACTS, asof=today), who, status=404)
    get(plain, q("/asset", iri=MASH_CONTACTS, asof=today), who)


def test_the_group_or_an_admin_sees_it(hiding):
    for who in ("mash", "admin"):
        body = get(hiding, q("/asset", iri=MASH_CONTACTS), who).get_data(as_text=True)
        assert "Mosaic - MASH contacts and decisions" in body
        assert get(hiding, q("/api/v1/asset", iri=MASH_CONTACTS), who).get_json()["iri"] == MASH_CONTACTS
    get(hiding, q("/asset", iri=CHILD_RECORDS), "mash", status=404)  # another group's asset
    get(hiding, q("/asset", iri=CHILD_RECORDS), "admin")


def test_an_invalid_token_is_refused_not_treated_as_anonymous(hiding, plain):
    bad = {"Authorization": "Bearer not-a-token"}
    assert hiding.test_client().get("/search?q=mosaic", headers=bad).status_code == 401
    assert plain.test_client().get("/search?q=mosaic", headers=bad).status_code == 200


def test_search_results_and_facet_counts(hiding, plain, sensitive):
    def kinds(app, who=None):
        body = get(app, "/api/v1/assets?kind=dataset&limit=1000", who).get_json()
        return body["total"], {i["iri"] for i in body["items"]}
    total_all, all_iris = kinds(plain)
    total_anon, anon_iris = kinds(hiding)
    assert sensitive.keys() <= all_iris and not anon_iris & sensitive.keys()
    assert total_anon == total_all - len(sensitive) - 2  # and the SECRET and TOP SECRET blank-node datasets
    mash = {s for s, g in sensitive.items() if "SG-Mosaic-MASH" in g}
    assert kinds(hiding, "mash")[1] & sensitive.keys() == mash
    assert kinds(hiding, "admin") == (total_all, all_iris)
    hits = get(hiding, q("/api/v1/search", q="MASH")).get_json()
    assert not {i["iri"] for i in hits["items"]} & sensitive.keys()
    assert MASH_CONTACTS in {i["iri"] for i in get(hiding, q("/api/v1/search", q="MASH"), "mash").get_json()["items"]}
    # the HTML search: the classification facet has no OFFICIAL-SENSITIVE count, and the hits are gone
    page = get(hiding, q("/search", q="MASH")).get_data(as_text=True)
    assert "OFFICIAL-SENSITIVE" not in page and "Mosaic - MASH contacts" not in page
    plain_page = get(plain, q("/search", q="MASH")).get_data(as_text=True)
    assert "OFFICIAL-SENSITIVE" in plain_page and "Mosaic - MASH contacts" in plain_page
    assert "Mosaic - MASH contacts" in get(hiding, q("/search", q="MASH"), "mash").get_data(as_text=True)
    facet = re.compile(r"OFFICIAL-SENSITIVE\s*\((\d+)\)")
    plain_n = int(facet.search(re.sub("<[^>]+>", " ", get(plain, q("/search", q="Mosaic")).get_data(as_text=True)))[1])
    mash_page = re.sub("<[^>]+>", " ", get(hiding, q("/search", q="Mosaic"), "mash").get_data(as_text=True))
    assert 0 < int(facet.search(mash_page)[1]) < plain_n  # the facet counts only what the reader may see


def test_sparql_cannot_read_hidden_triples(hiding, plain, sensitive):
    title = "SELECT ?t WHERE { <%s> ?p ?t }" % MASH_CONTACTS
    assert sparql(plain, title)["results"]["bindings"]
    assert sparql(hiding, title)["results"]["bindings"] == []
    count = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s gov:classification gov:OfficialSensitive }"
    n = lambda app, who=None, **a: int(sparql(app, count, who, **a)["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert n(plain) == len(sensitive) and n(hiding) == 0 and n(hiding, "reader") == 0
    assert n(hiding, "mash") == sum("SG-Mosaic-MASH" in g for g in sensitive.values())
    assert n(hiding, "admin") == len(sensitive)
    # named graphs, FROM, text search over literals, CONSTRUCT: nothing hidden through any door
    graphed = "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'MASH contacts') || CONTAINS(STR(?o), '%s')) } }" % MARKER
    assert sparql(plain, graphed)["results"]["bindings"]
    assert sparql(hiding, graphed)["results"]["bindings"] == []
    src = get(hiding, "/api/v1/sources").get_json()["sources"]
    datasets_graph = sparql(plain, "SELECT ?g WHERE { GRAPH ?g { <%s> ?p ?o } } LIMIT 1" % MASH_CONTACTS
                            )["results"]["bindings"][0]["g"]["value"]
    assert datasets_graph in {s["graph"] for s in src}
    assert sparql(hiding, "ASK FROM <%s> { <%s> ?p ?o }" % (datasets_graph, MASH_CONTACTS))["boolean"] is False
    r = get(hiding, q("/sparql", query="CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), headers={"Accept": "application/n-triples"})
    dump = r.get_data(as_text=True)
    assert MASH_CONTACTS not in dump and MARKER not in dump and access.PLACEHOLDER_TITLE in dump
    # as of a past date as well
    today = src[0]["loaded_at"][:10]
    assert int(sparql(hiding, count, asof=today)["results"]["bindings"][0]["n"]["value"]) == 0
    assert sparql(hiding, title, asof=today)["results"]["bindings"] == []


def test_lineage_shows_placeholders_not_hidden_assets(hiding, plain):
    mosaic = ID + "system/mosaic"
    held = group_key(mosaic, "out", "dataset")  # Mosaic's datasets drawn in full, not as one group box
    # a large graph's table lists its first rows under the drawing and every row on a page of its own
    for url in (q("/lineage/table", iri=mosaic), q("/lineage.svg", iri=mosaic, expand=held),
                q("/asset", iri=mosaic), q("/integrations", system=mosaic), q("/ownership/table", iri=mosaic)):
        assert "MASH contacts" in get(plain, url).get_data(as_text=True), url
    for url in (q("/lineage", iri=mosaic), q("/lineage/table", iri=mosaic)):
        body = get(hiding, url).get_data(as_text=True)
        assert "MASH contacts" not in body and MASH_CONTACTS not in body
    assert access.PLACEHOLDER_TITLE in body and "urn:govgraph:restricted:" in body
    svg = get(hiding, q("/lineage.svg", iri=mosaic, expand=held)).get_data(as_text=True)
    assert access.PLACEHOLDER_TITLE in svg and "MASH contacts" not in svg
    up = get(hiding, q("/api/v1/lineage/downstream", iri=mosaic)).get_json()
    assert any(n["label"] == access.PLACEHOLDER_TITLE for n in up["nodes"])
    assert "MASH contacts" in get(hiding, q("/lineage/table", iri=mosaic), "mash").get_data(as_text=True)


def test_exports_and_reports_leave_hidden_assets_out(hiding, plain):
    for name in ("ropa", "iar", "ownership", "quality"):
        full = get(plain, f"/reports/{name}.csv").get_data(as_text=True)
        part = get(hiding, f"/reports/{name}.csv").get_data(as_text=True)
        if "Mosaic - MASH contacts" in full:
            assert "Mosaic - MASH contacts" not in part and MARKER not in part
    xlsx = get(hiding, "/reports/iar.xlsx").data
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    assert "MASH contacts" not in text and MARKER not in text


def test_with_the_setting_off_nothing_changes(hiding, plain):
    for url in ("/api/v1/assets?limit=1000", q("/api/v1/asset", iri=MASH_CONTACTS), q("/api/v1/search", q="Mosaic"),
                q("/api/v1/lineage/downstream", iri=ID + "system/mosaic")):
        assert get(plain, url).get_json() == get(plain, url, "reader").get_json() == get(hiding, url, "admin").get_json()
    query = "SELECT ?s ?t WHERE { ?s dcterms:title ?t } ORDER BY ?s ?t"
    assert sparql(plain, query) == sparql(hiding, query, "admin")


# ----------------------------------------------------------------------------- blank-node assets (issue 21, finding 7)

def _bindings(app, query, who=None):
    return [{k: v["value"] for k, v in b.items()} for b in sparql(app, query, who)["results"]["bindings"]]


BLANK_TITLES = "SELECT ?s ?t WHERE { ?s ?p ?t FILTER(CONTAINS(STR(?t), '%s')) }" % BLANK_MARKER


def test_blank_node_assets_are_hidden_by_their_classification(hiding, plain):
    """A SECRET / TOP SECRET asset written as a blank node is hidden like a named one, with its fields
    (named and blank) and the flow from it, in SPARQL, the search API, pages and lineage."""
    assert len({b["s"] for b in _bindings(plain, BLANK_TITLES)}) == 5  # both assets, two fields, the flow
    assert get(plain, q("/api/v1/search", q=BLANK_MARKER)).get_json()["total"] >= 2
    seen = {}
    for who in (None, "reader", "editor", "mash", "admin"):
        texts = {b["t"] for b in _bindings(hiding, BLANK_TITLES, who)}
        hits = get(hiding, q("/api/v1/search", q=BLANK_MARKER), who).get_json()
        dump = get(hiding, q("/sparql", query="CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"), who,
                   headers={"Accept": "application/n-triples"}).get_data(as_text=True)
        seen[who] = texts
        assert {t for t in texts} == {t for t in texts if t in dump}
        assert (BLANK_MARKER in json.dumps(hits)) == bool(texts)
    assert seen[None] == seen["reader"] == seen["editor"] == set()
    assert seen["mash"] == {f"{BLANK_MARKER} adoption panel minutes", f"{BLANK_MARKER} minutes of the adoption panel",
                            f"{BLANK_MARKER} panel decision", f"{BLANK_MARKER} blank field",
                            f"{BLANK_MARKER} minutes to the warehouse"}  # not the TOP SECRET one: no group, admins only
    assert seen["admin"] == seen["mash"] | {f"{BLANK_MARKER} covert source register"}
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s gov:classification ?c VALUES ?c { gov:Secret gov:TopSecret } }"
    assert [_bindings(hiding, count, who)[0]["n"] for who in (None, "mash", "admin")] == ["0", "1", "2"]
    # the named field and the flow: pages of the MASH reader, absent for the others
    for iri in (BLANK_FIELD, BLANK_FLOW):
        get(hiding, q("/asset", iri=iri), "mash")
        get(hiding, q("/asset", iri=iri), "reader", status=404)
        get(hiding, q("/api/v1/asset", iri=iri), None, status=404)
    # the visible dataset derived from the TOP SECRET blank node: a placeholder upstream, for the MASH reader too
    for who in (None, "mash"):
        up = get(hiding, q("/api/v1/lineage/upstream", iri=FROM_BLANK), who).get_json()
        assert [n["label"] for n in up["nodes"] if n["iri"] != FROM_BLANK] == [access.PLACEHOLDER_TITLE]
        assert BLANK_MARKER not in json.dumps(up)
    page = get(hiding, q("/asset", iri=FROM_BLANK)).get_data(as_text=True)
    assert access.PLACEHOLDER_TITLE in page and BLANK_MARKER not in page
    assert BLANK_MARKER not in get(hiding, "/api/v1/validation").get_data(as_text=True)


def test_blank_node_assets_hidden_through_the_served_app(store, tokens):
    """The same through waitress on loopback: /sparql (worker pool over the redacted copy) and the search API."""
    import urllib.request
    from support import LiveServer
    server = LiveServer(_app(store, tokens, True), threads=2)

    def fetch(path, who=None, accept="application/json"):
        headers = {"Accept": accept}
        if who:
            headers["Authorization"] = "Bearer " + tokens[1][who]
        with urllib.request.urlopen(urllib.request.Request(server.url + path, headers=headers), timeout=60) as r:
            return r.read().decode("utf-8")
    try:
        for who, expect in ((None, False), ("reader", False), ("mash", True)):
            rows = json.loads(fetch(q("/sparql", query=BLANK_TITLES), who, "application/sparql-results+json"))
            assert bool(rows["results"]["bindings"]) is expect
            assert (BLANK_MARKER in fetch(q("/api/v1/search", q=BLANK_MARKER), who)) is expect
            assert (BLANK_MARKER in fetch(q("/sparql", query="SELECT * WHERE { ?s ?p ?o }", format="csv"), who,
                                          "text/csv")) is expect
    finally:
        server.stop()


# ----------------------------------------------------------------------------- as-of oracle (finding 6)

def _alike(body: str, iri: str) -> str:
    """A response body with the IRI asked for (in any spelling a page uses) replaced by one token."""
    for form in sorted({iri, html.escape(iri), urllib.parse.quote(iri, safe=""), urllib.parse.quote(iri),
                        json.dumps(iri)[1:-1]}, key=len, reverse=True):
        body = body.replace(form, "ASKED")
    return body


@pytest.mark.parametrize("who", [None, "reader"])
def test_asof_answers_alike_for_a_hidden_and_an_absent_asset(hiding, who):
    today = get(hiding, "/api/v1/sources").get_json()["sources"][0]["loaded_at"][:10]
    absent = ID + "dataset/zq-never-recorded-anywhere"
    for hidden in (MASH_CONTACTS, ID + "dataset/xss-probe", SPELLING_FLOW):
        # today (not recorded), before the first change (a date out of range), malformed: alike each time
        for url, status in (("/asset?iri={}&asof=" + today, 404), ("/asset?iri={}&asof=2020-01-01", 400),
                            ("/asset?iri={}&asof=yesterday", 400)):
            a = hiding.test_client().get(url.format(urllib.parse.quote(hidden, safe="")),
                                         headers={"Authorization": "Bearer " + hiding.tokens[who]} if who else {})
            b = hiding.test_client().get(url.format(urllib.parse.quote(absent, safe="")),
                                         headers={"Authorization": "Bearer " + hiding.tokens[who]} if who else {})
            assert (a.status_code, a.mimetype) == (b.status_code, b.mimetype) == (status, "text/html")
            assert _alike(a.get_data(as_text=True), hidden) == _alike(b.get_data(as_text=True), absent)
            assert status == 400 or "Not recorded on that date" in a.get_data(as_text=True)


def test_a_hidden_asset_is_answered_byte_for_byte_as_one_that_never_existed(store, hiding, tokens, sample_graph,
                                                                            sensitive):
    """The redacted copy served as an ordinary estate (where the hidden assets were never loaded) answers
    every page and API route about a hidden asset, its fields and measurements, or a renamed record's
    original IRI, today and as of today, with the same bytes."""
    fields = {str(f) for f, d in sample_graph.subject_objects(GOV.fieldOf) if str(d) in sensitive}
    measured = min(str(m) for m, x in sample_graph.subject_objects(DQV.computedOn) if str(x) in fields | set(sensitive))
    field = min(fields)
    copy = access.redact(store, access.redaction_for(store, access.ANONYMOUS))
    copy.derivation = None  # an ordinary store: nothing hidden, nothing to hide
    never = _app(copy, tokens, False)
    today = get(hiding, "/api/v1/sources").get_json()["sources"][0]["loaded_at"][:10]
    try:
        for iri in (MASH_CONTACTS, ID + "dataset/xss-probe", field, measured, BLANK_FIELD, SPELLING_FLOW, SPELLING_DPIA):
            for url in HIDDEN_URLS + ["/asset?iri={}&asof=" + today]:
                u = url.format(urllib.parse.quote(iri, safe=""))
                a, b = hiding.test_client().get(u), never.test_client().get(u)
                assert (a.status_code, a.mimetype, a.get_data()) == (b.status_code, b.mimetype, b.get_data()), u
                assert a.status_code == 404
    finally:
        from govgraph.webapp import sparql
        sparql.shutdown(never)
        copy.close()


def test_asof_answers_alike_for_an_asset_restricted_then(tokens, tmp_path):
    """An asset restricted on the asked date but not today: as absent for a reader without the group."""
    import time
    st = open_store("memory:")
    path = tmp_path / "then.ttl"
    iri = ID + "dataset/zq-restricted-then"
    ttl = f"""@prefix gov: <https://w3id.org/govgraph#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<{iri}> a dcat:Dataset ; dcterms:title "Restricted then" ; gov:classification gov:%s ; gov:accessGroup "SG-Then" ."""
    path.write_text(ttl % "OfficialSensitive")
    load_files(st, [path], source="then", validate=False)
    then = st.sources()[0].loaded_at
    time.sleep(1.1)
    path.write_text(ttl % "Official")
    load_files(st, [path], source="then", replace=True, validate=False)
    app = _app(st, tokens, True)
    try:
        asked = lambda x, who=None: app.test_client().get(  # noqa: E731
            q("/asset", iri=x, asof=then), headers={"Authorization": "Bearer " + app.tokens[who]} if who else {})
        then_page = asked(iri, "admin")
        assert then_page.status_code == 200 and "Restricted then" in then_page.get_data(as_text=True)
        assert app.test_client().get(q("/asset", iri=iri)).status_code == 200  # visible today
        a, b = asked(iri), asked(ID + "dataset/zq-absent-then")
        assert a.status_code == b.status_code == 404
        assert _alike(a.get_data(as_text=True), iri) == _alike(b.get_data(as_text=True), ID + "dataset/zq-absent-then")
    finally:
        from govgraph.webapp import sparql
        sparql.shutdown(app)
        st.close()


# ----------------------------------------------------------------------------- visible IRIs spell no hidden name

def _slug(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def test_visible_iris_do_not_spell_hidden_names(hiding, plain, sensitive, sample_graph):
    """Flows from or to a hidden asset appear under opaque IRIs, titled "restricted flow" and without
    their own text, in SPARQL, pages, integrations, search and the lineage API; lineage keeps its shape."""
    slugs = {_slug(s) for s in sensitive if _slug(s).count("-") >= 1}
    ends = {str(f) for p in (GOV.source, GOV.target) for f, o in sample_graph.subject_objects(p) if str(o) in sensitive}
    assert SPELLING_FLOW in ends and len(ends) >= 40
    dump = get(hiding, q("/sparql", query="CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"),
               headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    iris = set(re.findall(r"<([^>]+)>", dump))
    spelled = {i for i in iris for s in slugs if re.search(r"(^|[/#._-])" + re.escape(s) + r"($|[._-])", i)}
    assert not spelled, sorted(spelled)[:5]
    assert not ends & iris
    renamed = {i for i in iris if access.is_renamed(i)}
    assert len(renamed) == len(ends | {BLANK_FLOW, SPELLING_DPIA})  # one opaque IRI each (the same in every graph)
    assert SPELLING_DPIA not in iris and "Impact assessment seven" not in dump  # its IRI spells the probe's name
    assert '"restricted resource"' in dump
    assert "Build fact_cla_episode" not in dump and "stg_mosaic_cla_episode" not in dump
    flows = _bindings(hiding, "SELECT ?f ?l WHERE { ?f a gov:Flow ; rdfs:label ?l }")
    assert {b["l"] for b in flows if access.is_renamed(b["f"])} == {"restricted flow"}
    all_flows = {str(f) for f in sample_graph.subjects(rdflib.RDF.type, GOV.Flow)}
    assert {b["f"] for b in flows if not access.is_renamed(b["f"])} == all_flows - ends - {BLANK_FLOW}
    # pages and APIs
    get(plain, q("/asset", iri=SPELLING_FLOW))
    get(hiding, q("/asset", iri=SPELLING_FLOW), status=404)
    flow_page = get(hiding, q("/asset", iri=sorted(renamed)[0])).get_data(as_text=True)
    assert "restricted flow" in flow_page
    dwh = ID + "system/data-warehouse"
    for url in (q("/integrations", system=dwh), q("/api/v1/lineage/downstream", iri=dwh), q("/lineage", iri=dwh),
                q("/api/v1/search", q="fact_cla_episode"), q("/search", q="fact_cla_episode")):
        body = get(hiding, url).get_data(as_text=True)
        assert "dwh-stg-mosaic-cla-episode" not in body and "stg_mosaic_cla_episode" not in body, url
    assert get(hiding, q("/api/v1/search", q="stg_mosaic_cla_episode")).get_json()["total"] == 0
    assert "dwh-stg-mosaic-cla-episode" in get(plain, q("/api/v1/lineage/downstream", iri=dwh)).get_data(as_text=True)
    assert get(hiding, q("/api/v1/search", q="fact_cla_episode")).get_json()["total"] < \
        get(plain, q("/api/v1/search", q="fact_cla_episode")).get_json()["total"]
    down = get(hiding, q("/api/v1/lineage/downstream", iri=dwh, depth=6)).get_json()
    full = get(plain, q("/api/v1/lineage/downstream", iri=dwh, depth=6)).get_json()
    assert len(down["nodes"]) == len(full["nodes"]) and len(down["edges"]) == len(full["edges"])
    assert "restricted flow" in {e["label"] for e in down["edges"]}
    # an admin sees the flows as written
    assert get(hiding, q("/asset", iri=SPELLING_FLOW), "admin")


# ----------------------------------------------------------------------------- leak and XSS check

def _texts(resp) -> str:
    if resp.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return resp.get_data(as_text=True)


def _words_shown(resp, body: str) -> str:
    """The text a reader is shown: for a spreadsheet its cells (not the package's own XML names), else the body
    and its percent-decoded form (names inside links are percent-encoded)."""
    if resp.mimetype.endswith("spreadsheetml.sheet"):
        return "\n".join(html.unescape(t) for t in re.findall(r"<(?:t|v)(?: [^>]*)?>([^<]*)</(?:t|v)>", body))
    return body + "\n" + urllib.parse.unquote(body)


def _links(body: str) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', body)}


RESTRICTED = (GOV.OfficialSensitive, GOV.Secret, GOV.TopSecret)


def _canon(text: str) -> str:
    """Text as runs of lower-case words and numbers framed by hyphens (``-mosaic-mash-contacts-`` whether
    written with hyphens, underscores, spaces, dots or slashes); any other character (markup, quotes,
    commas, line ends) ends a run, so words from two table cells or CSV rows do not join."""
    text = re.sub(r"[^a-z0-9 \t./_-]+", "-|-", text.lower())
    return "-" + re.sub(r"[ \t./_-]+", "-", text) + "-"


@pytest.fixture(scope="module")
def hidden_names(sample_graph, sensitive):
    """What a reader without groups must never be shown, computed from the estate read with rdflib:
    hidden assets' titles (in three escapings) and IRIs, and (as ``_canon`` runs) the fragments of
    their IRI local names (one or more consecutive words, 6 characters or more) and the distinctive
    words of their titles (5 letters or more), each kept only when no visible record's IRI or text,
    nor the ontology, nor the viewer's own templates and code contains it. Visible records here
    leave out what only describes a hidden asset and the flows from or to one (renamed by the redaction)."""
    g = sample_graph
    hidden_blank = {s for c in RESTRICTED[1:] for s in g.subjects(GOV.classification, c) if isinstance(s, rdflib.BNode)}
    hidden = set(map(rdflib.URIRef, sensitive)) | hidden_blank
    covered = set(hidden)
    for _ in range(4):  # fields, measurements, targets; blank nodes under hidden things
        covered |= {x for p in (GOV.fieldOf, DQV.computedOn, GOV.targetFor)
                    for x, d in g.subject_objects(p) if d in covered}
        covered |= {o for s, p, o in g if s in covered and isinstance(o, rdflib.BNode)}
    renamed = {f for p in (GOV.source, GOV.target) for f, o in g.subject_objects(p) if o in hidden}
    words = lambda iri: "-" + "-".join(re.findall(r"[a-z0-9]+", _slug(iri).lower())) + "-"  # noqa: E731
    renamed |= {r for s, p, o in g for r, h in ((s, o), (o, s)) if h in hidden and isinstance(r, rdflib.URIRef)
                and r not in covered and words(h).count("-") >= 3 and words(h) in words(r) != words(h)}
    onto = rdflib.Graph().parse(REPO / "ontology" / "govgraph.ttl")
    visible = "\n".join(str(t) for graph, gone in ((g, covered | renamed), (onto, set())) for s, p, o in graph
                         if s not in gone for t in (s, p, o) if not isinstance(t, rdflib.BNode) and t not in gone)
    visible += "\n".join(f.read_text() for f in sorted((REPO / "webapp").rglob("*"))
                          if f.suffix in (".html", ".js", ".css", ".py"))
    visible = _canon(visible)
    fragments: set[str] = set()
    for iri in sensitive:
        words = re.findall(r"[a-z0-9]+", _slug(iri).lower())
        fragments |= {_canon(" ".join(words[i:j])) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    titles = {str(t) for s in hidden for t in g.objects(s, DCT.title)}
    fragments |= {_canon(w) for t in titles for w in re.findall(r"[a-z][a-z0-9]{4,}", t.lower())}
    names = {f for f in fragments if len(f) >= 8 and f not in visible}  # 6 characters or more, framed
    titles = {t for t in titles if _canon(t) not in visible}
    whole = titles | {html.escape(t) for t in titles} | {json.dumps(t)[1:-1] for t in titles} | set(sensitive)
    return whole, names


def _named(names: set[str], text: str) -> set[str]:
    """The ``_canon`` runs of ``names`` found in ``text`` (candidates picked by their first word)."""
    c = _canon(text)
    words = set(c.split("-"))
    return {n for n in names if n[1:n.index("-", 1)] in words and n in c}


@pytest.mark.parametrize("who", [None, "reader"])
def test_no_hidden_title_iri_or_name_in_any_page_a_hidden_reader_gets(hiding, hidden_names, who):
    """Crawl the viewer as a reader without groups (pages, graphs, reports, exports, API, SPARQL,
    404s): no hidden asset's title, IRI, IRI fragment or distinctive title word, in any form, nor
    the probes' markers, appears."""
    whole, names = hidden_names
    assert "Mosaic - MASH contacts and decisions" in whole and len(whole) > 200
    assert {_canon(n) for n in ("dwh-stg-mosaic-cla-episode", "stg_mosaic_cla_episode", "mosaic-mash-contacts",
                                "xss-probe", BLANK_MARKER)} <= names and len(names) > 300
    start = ["/", "/search?q=mosaic", "/search?q=" + MARKER, "/search?q=" + BLANK_MARKER, "/search?q=child",
             "/search?q=episode", "/integrations", "/validation", "/agreements", "/standards", "/glossary", "/reports/",
             "/catalog.ttl", "/catalog.jsonld", "/api/v1/assets?limit=1000", "/api/v1/search?q=mosaic",
             "/api/v1/search?q=warehouse", "/api/v1/validation", "/api/v1/sources",
             q("/integrations", system=ID + "system/data-warehouse"),
             q("/api/v1/lineage/downstream", iri=ID + "system/data-warehouse", depth=6),
             q("/api/v1/lineage/downstream", iri=ID + "system/mosaic", depth=6),
             q("/api/v1/lineage/upstream", iri=FROM_BLANK),
             q("/sparql", query="SELECT * WHERE { ?s ?p ?o }", format="csv"),
             q("/sparql", query="CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", format="turtle"),
             q("/asset", iri=MASH_CONTACTS), q("/asset", iri="Mosaic - MASH contacts"),
             q("/asset", iri=ID + "dataset/xss-probe"), q("/asset", iri=FROM_BLANK), q("/asset", iri=SPELLING_FLOW),
             "/reports/iar.xlsx", "/reports/ropa.xlsx", "/reports/iar.csv", "/reports/ropa.csv"]
    seen, queue, pages, checked = set(), list(start), 0, 0
    client = hiding.test_client()
    headers = {"Authorization": "Bearer " + hiding.tokens[who]} if who else {}
    wanted = re.compile(r"^/(asset|lineage|ownership|fields|reports/|search|integrations|validation|agreements|standards|glossary)")
    while queue and pages < 600:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url, headers=headers)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        body, pages = _texts(resp), pages + 1
        asked = urllib.parse.unquote_plus(url)  # a 404 page or a search page repeats what was asked: not a leak
        leaked = [f for f in whole if f in body and f not in asked]
        assert not leaked, (url, leaked[:3])
        text = _words_shown(resp, body)
        named = _named(names, text) - _named(names, asked)  # the 404 page turns the asked IRI into words
        assert not named, (url, sorted(named)[:5])
        checked += len(whole) + len(names)
        if resp.mimetype == "text/html":
            queue += sorted(u for u in _links(body) - seen if wanted.match(u) and "asof=" not in u
                            and "/field/" not in u and ".svg" not in u)
    assert pages >= 300
    print(f"\nleak crawl as {who or 'anonymous'}: {pages} responses, {len(whole)} whole titles/IRIs and "
          f"{len(names)} name fragments/words per response, {checked:,} string checks")
    assert get(hiding, q("/api/v1/search", q=MARKER), who).get_json()["total"] == 0
    found = get(hiding, q("/api/v1/search", q=MARKER), "mash").get_json()["items"]
    assert ID + "dataset/xss-probe" in {i["iri"] for i in found}
    # the reader with the group sees it, escaped (the title is an XSS probe)
    page = get(hiding, q("/asset", iri=ID + "dataset/xss-probe"), "mash").get_data(as_text=True)
    assert f"alert(&#39;{MARKER}&#39;)" in page and "<script>alert(" not in page


def test_redacted_queries_run_in_the_worker_pool_and_are_really_stopped(store, tokens):
    """A hidden reader's query runs over the redacted copy in a worker process, so the time limit kills it."""
    import time
    from govgraph.webapp import sparql as sparql_mod
    app = create_app({"STORE": store, "TOKEN_FILE": str(tokens[0]), "HIDE_SENSITIVE": True,
                      "SPARQL_TIMEOUT": 2.0, "SPARQL_WORKERS": 1})
    app.tokens = tokens[1]
    try:
        assert sparql(app, "ASK { <%s> ?p ?o }" % MASH_CONTACTS)["boolean"] is False
        assert sparql(app, "ASK { <%s> ?p ?o }" % MASH_CONTACTS, "mash")["boolean"] is True
        pool = app.extensions["govgraph.query_service"].started_pool
        # both readers' redacted copies are queried in the workers, on both backends
        assert pool.copies is not None and pool.stats.queries == 2
        before = pool.stats.killed
        t0 = time.monotonic()
        r = app.test_client().get(q("/sparql", query="SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . "
                                                     "?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"))
        assert r.status_code == 422 and time.monotonic() - t0 < 10
        assert pool.stats.killed == before + 1
    finally:
        sparql_mod.shutdown(app)
