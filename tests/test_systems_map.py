"""The systems map (``lineage.systems_map``, /systems): systems and partners as nodes, flows aggregated
by direction and mechanism, the boundary drawn with partners outside it, a service-area filter; and
frequencies in words on the integrations page."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from govgraph.lineage.flows import system_flows
from govgraph.lineage.systems_map import systems_map
from govgraph.webapp import create_app

ID = "https://data.county.example.gov.uk/id/"
SVG = "{http://www.w3.org/2000/svg}"
CSC = ID + "unit/childrens-social-care"


@pytest.fixture(scope="module")
def client(module_sample_store):
    return create_app({"STORE": module_sample_store, "TESTING": True}).test_client()


def test_links_aggregate_every_flow(module_sample_store):
    m = systems_map(module_sample_store)
    flows = system_flows(module_sample_store)
    pairs = {(f.source_system.iri, f.target_system.iri) for f in flows if f.source_system.iri != f.target_system.iri}
    assert {(l.source, l.target) for l in m.links} == pairs  # one link per ordered pair: direction kept
    for l in m.links:
        assert sum(l.mechanisms.values()) == l.count == len(set(l.flows))
        expected = {f.flow.iri for f in flows if (f.source_system.iri, f.target_system.iri) == (l.source, l.target)}
        assert set(l.flows) == expected
    nodes = {n.iri: n for n in m.nodes}
    assert {l.source for l in m.links} | {l.target for l in m.links} == set(nodes)
    for l in m.links:
        assert l.crosses_boundary == (nodes[l.source].external != nodes[l.target].external)
        assert l.inbound == (nodes[l.source].external and not nodes[l.target].external)
    # Mosaic sends Capita ONE its children-in-care flags, and Capita ONE sends Mosaic data back: two links
    mosaic, capita = ID + "system/mosaic", ID + "system/capita-one"
    assert {(l.source, l.target) for l in m.links} >= {(mosaic, capita), (capita, mosaic)}


def test_service_area_filter(module_sample_store):
    every = systems_map(module_sample_store)
    assert (CSC, "Children's Social Care") in every.service_areas
    m = systems_map(module_sample_store, CSC)
    assert m.service_area == CSC and 0 < len(m.links) < len(every.links)
    assert ID + "system/mosaic" in {n.iri for n in m.nodes}
    for l in m.links:  # every link touches a system of the service area
        assert ID + "system/mosaic" in (l.source, l.target) or any(
            n.iri in (l.source, l.target) for n in m.inside())


def test_page_draws_the_boundary_with_partners_outside(client):
    r = client.get("/systems")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    svg = ET.fromstring(re.search(r"<svg xmlns.*?</svg>", html, re.S).group(0))
    rect = svg.find(f".//{SVG}g[@class='boundary']/{SVG}rect")
    bx, by, bw, bh = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
    nodes = svg.findall(f".//{SVG}a")
    assert len(nodes) >= 30
    for a in nodes:
        box = a.find(f"{SVG}rect")
        x, y, w, h = (float(box.get(k)) for k in ("x", "y", "width", "height"))
        inside = bx <= x and x + w <= bx + bw and by <= y and y + h <= by + bh
        assert inside != ("ext" in a.get("class").split()), a.find(f"{SVG}title").text
    assert len(r.data) < 300_000
    # the table of the same links: the outside tag on the side that is outside
    table = html.split('id="links"')[1]
    row = next(tr for tr in table.split("<tr>") if "Shire Constabulary</a>" in tr.split("</th>")[0])
    head, rest = row.split("</th>", 1)
    assert "outside the council" in head and "outside the council" not in rest.split("</td>")[0]
    assert client.get("/systems?area=" + quote(CSC, safe="")).status_code == 200


def test_integrations_frequencies_in_words(client):
    html = client.get("/integrations").get_data(as_text=True)
    assert "three times a year" in html or "continuously updated" in html
    assert not re.search(r">\s*(annual 3|update cont)\s*<", html)


def test_integrations_grouped_by_pair_paged_and_tagged_on_the_outside_side(client, module_sample_store):
    html = client.get("/integrations").get_data(as_text=True)
    heads = re.findall(r'<tr class="pair"><th scope="rowgroup" colspan="7">(.*?)</th></tr>', html, re.S)
    assert len(heads) == 20 and "Page 1 of" in html
    pairs = {(f.source_system.iri, f.target_system.iri) for f in system_flows(module_sample_store)}
    seen = []
    for n in range(1, 10):
        body = client.get(f"/integrations?page={n}").get_data(as_text=True)
        seen += re.findall(r'<tr class="pair"><th scope="rowgroup" colspan="7">(.*?)</th></tr>', body, re.S)
        if 'rel="next"' not in body:
            break
    assert len(seen) == len(pairs)  # every pair once across the pages
    ashdown = next(h for h in seen if h.startswith('<a href="/asset?iri=' + ID + 'partner/ashdown-dc"')
                   and "Capita ONE" in h)
    sender, receiver = ashdown.split("→")
    assert "outside the council" in sender and "outside the council" not in receiver


def test_busiest_keeps_the_most_connected(module_sample_store):
    m = systems_map(module_sample_store)
    top = m.busiest(8)
    assert len(top.nodes) == 8 and m.busiest(len(m.nodes)) is m
    keep = {n.iri for n in top.nodes}
    assert all(l.source in keep and l.target in keep for l in top.links)
    assert {(l.source, l.target) for l in top.links} == {(l.source, l.target) for l in m.links
                                                         if l.source in keep and l.target in keep}
    flows = {}
    for l in m.links:
        for end in (l.source, l.target):
            flows[end] = flows.get(end, 0) + l.count
    assert min(flows[i] for i in keep) >= max(flows[i] for i in flows if i not in keep)
