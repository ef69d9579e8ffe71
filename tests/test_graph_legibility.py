"""Legible graphs: large fans collapse into expandable group nodes, parallel edges are bundled
with a count, edge labels sit in the gaps between layers clear of nodes and of each other."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from govgraph.lineage.grouping import THRESHOLD, collapse_fanouts, group_key, is_group
from govgraph.lineage.labels import place_edge_labels
from govgraph.lineage.layout import layered_layout
from govgraph.lineage.results import EdgeInfo, NodeInfo, Subgraph
from govgraph.webapp import create_app, svg


@pytest.fixture(scope="module")
def store(store_factory, tmp_path_factory):
    with store_factory("embedded", tmp_path_factory.mktemp("legibility"), sample=True) as st:
        yield st


@pytest.fixture(scope="module")
def client(store):
    return create_app({"STORE": store, "TESTING": True}).test_client()


def _fan(n: int) -> Subgraph:
    """A system holding ``n`` datasets, each feeding one report; plus one feed into the system."""
    nodes = [NodeInfo("sys", "Capita ONE", "system"), NodeInfo("src", "DfE", "partner", depth=1)]
    edges = [EdgeInfo("src", "sys", "flow", mechanism="SFTP")]
    for i in range(n):
        nodes.append(NodeInfo(f"d{i:02}", f"Dataset {i}", "dataset", depth=1, system="sys", system_label="Capita ONE",
                              personal=i == 3))
        nodes.append(NodeInfo(f"r{i:02}", f"Report {i}", "report", depth=2))
        edges.append(EdgeInfo("sys", f"d{i:02}", "holds"))
        edges.append(EdgeInfo(f"d{i:02}", f"r{i:02}", "derived"))
    return Subgraph(nodes, edges, ["sys"])


def test_a_fan_above_the_threshold_becomes_one_group():
    small, groups = collapse_fanouts(_fan(THRESHOLD))
    assert groups == [] and len(small.nodes) == 2 + 2 * THRESHOLD  # at the threshold: drawn in full

    sub, groups = collapse_fanouts(_fan(14))
    datasets = next(g for g in groups if g.kind == "dataset")
    assert datasets.label == "+14 datasets in Capita ONE" and datasets.hub == "sys" and len(datasets.members) == 14
    node = next(n for n in sub.nodes if n.iri == datasets.iri)
    assert is_group(node.iri) and node.kind == "group" and node.personal  # one member holds personal data
    assert not any(n.iri.startswith("d") for n in sub.nodes)
    # the members' edges now start and end at the group; the focus and the feed are untouched
    assert sum(1 for e in sub.edges if (e.source, e.target) == ("sys", datasets.iri)) == 14
    assert ("src", "sys") in {(e.source, e.target) for e in sub.edges}
    # the 14 reports, each fed by one member, are now a fan of the group: collapsed in a second round
    reports = next(g for g in groups if g.kind == "report")
    assert reports.hub == datasets.iri and reports.label == "+14 reports downstream"


def test_an_expanded_group_is_drawn_in_full_and_the_focus_never_grouped():
    key = group_key("sys", "out", "dataset")
    sub, groups = collapse_fanouts(_fan(14), expanded=[key])
    assert key not in {g.key for g in groups}
    assert sum(1 for n in sub.nodes if n.kind == "dataset") == 14
    # the focus itself is never a member, even when it sits in a fan
    fan = _fan(14)
    fan.focus = ["d05"]
    sub, groups = collapse_fanouts(fan)
    assert "d05" in {n.iri for n in sub.nodes}


def test_parallel_edges_are_bundled_with_a_count():
    edges = [EdgeInfo("a", "b", "flow", mechanism="SFTP"), EdgeInfo("a", "b", "flow", mechanism="SFTP"),
             EdgeInfo("a", "b", "flow", mechanism="SFTP", crosses_boundary=True), EdgeInfo("b", "c", "flow", mechanism="API"),
             EdgeInfo("b", "c", "flow", mechanism="SFTP"), EdgeInfo("c", "d", "holds")]
    bundles = {(b.edge.source, b.edge.target): b for b in svg.bundle_edges(edges)}
    assert bundles[("a", "b")].count == 3 and bundles[("a", "b")].text == "SFTP ×3"
    assert bundles[("a", "b")].edge.crosses_boundary  # a boundary crossing is what the line shows
    assert bundles[("b", "c")].text == "2 links" and bundles[("c", "d")].text == ""
    nodes = [NodeInfo(i, i.upper(), "dataset") for i in "abcd"]
    drawing = svg.render(Subgraph(nodes, edges, ["a"]), href=lambda i: f"/asset?iri={i}")
    assert drawing.svg.count('<path class="e') == 3 and "SFTP ×3" in drawing.svg and "3 links: " in drawing.svg


def _boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_sit_between_layers_clear_of_nodes_and_each_other():
    # ten edges converging on one node: their labels share one gap and must stack without overlapping
    edges = [(f"s{i}", "hub") for i in range(10)] + [("hub", "out")]
    lay = layered_layout([], edges, layer_gap=40.0)
    wide = {k: (150.0, 14.0) for k in range(len(edges))}  # wider than the 40 px gap: the gap must widen
    placed = place_edge_labels(lay, wide)
    assert set(placed.labels) == set(range(len(edges)))
    nodes = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in placed.nodes.values()]
    labels = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in placed.labels.values()]
    for i, a in enumerate(labels):
        assert not any(_boxes_overlap(a, n) for n in nodes)
        assert not any(_boxes_overlap(a, b) for b in labels[i + 1:])
        assert 0 <= a[0] and a[2] <= placed.width and 0 <= a[1] and a[3] <= placed.height
    assert placed.width > lay.width
    # edges still join their nodes after the columns moved
    for e in placed.edges:
        s, t = placed.nodes[e.source], placed.nodes[e.target]
        assert e.points[0] == (round(s.x + s.w, 2), round(s.cy, 2)) and e.points[-1] == (round(t.x, 2), round(t.cy, 2))


def test_the_lineage_page_collapses_and_expands_a_group(client, store):
    capita = next(iter(store.query(
        "SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> 'Capita ONE' }")))[0].value
    r = client.get(f"/lineage?iri={quote(capita, safe='')}&depth=1")
    html = r.get_data(as_text=True)
    m = re.search(r'<a class="n k-gr[^"]*" href="([^"]+)"', html)
    assert m, "Capita ONE holds more than 8 datasets: one group box"
    assert "+15 datasets in Capita ONE" in html
    href = m.group(1).replace("&amp;", "&")
    expand = parse_qs(urlsplit(href).query)["expand"]
    assert len(expand) == 1 and urlsplit(href).fragment == "lineage"
    full = client.get(href).get_data(as_text=True)
    assert "+15 datasets in Capita ONE" not in full and 'class="n k-gr' not in full
    assert full.count('class="n k-ds') >= 15
    # the table lists every asset, grouped in the drawing or not
    assert html.count("<td><a href=\"/asset?iri=") == full.count("<td><a href=\"/asset?iri=")


def test_expand_keys_that_are_not_group_keys_are_ignored(client, store):
    capita = "https://data.county.example.gov.uk/id/system/capita-one"
    junk = "&".join(["expand=%3Cscript%3E", "expand=" + "x" * 5000] + ["expand=0123456789"] * 300)
    r = client.get(f"/lineage?iri={quote(capita, safe='')}&depth=1&{junk}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "+15 datasets in Capita ONE" in html and "<script>" not in html


def test_a_persons_ownership_graph_groups_a_long_list(client, store):
    chris = "https://data.county.example.gov.uk/id/person/chris-lawson"
    html = client.get(f"/ownership?iri={quote(chris, safe='')}").get_data(as_text=True)
    m = re.search(r"\+(\d+) datasets Chris Lawson is custodian of", html)
    assert m and int(m.group(1)) > THRESHOLD
    full = client.get(f"/ownership?iri={quote(chris, safe='')}&expand={group_key(chris, 'out', 'dataset')}")
    assert "is custodian of" not in full.get_data(as_text=True)
