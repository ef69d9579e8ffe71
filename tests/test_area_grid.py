"""The systems map of a large estate: council systems in a grid of service-area panels (issue 19:
a map of 60 systems was a single column thousands of pixels tall)."""
from __future__ import annotations

import re

import pytest

from govgraph.lineage.area_grid import NO_AREA, area_grid
from govgraph.webapp import create_app, svg
from govgraph.webapp.systems import GRID_FROM

W, H = svg.NODE_W, svg.NODE_H


def _estate(areas: int, per_area: int) -> tuple[list[str], dict[str, str], list[tuple[str, str]]]:
    """``areas`` service areas of ``per_area`` systems, each feeding a warehouse in a BI area."""
    ids, area, edges = ["dwh", "bi"], {"dwh": "Business Intelligence", "bi": "Business Intelligence"}, [("dwh", "bi")]
    for a in range(areas):
        for k in range(per_area):
            i = f"s{a}-{k}"
            ids.append(i)
            area[i] = f"Area {a:02}"
            edges.append((i, "dwh"))
    return ids, area, edges


def _overlap(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_sixty_systems_make_a_block_not_a_column():
    ids, area, edges = _estate(14, 4)
    lay, panels = area_grid(ids, area, edges, node_w=W, node_h=H)
    assert set(lay.nodes) == set(ids) and len(lay.edges) == len(edges)
    assert 0.8 <= lay.width / lay.height <= 4, (lay.width, lay.height)  # about as wide as a screen, not a column
    assert lay.height < 2000
    boxes = list(lay.nodes.values())
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert not any(_overlap(a, b) for i, a in enumerate(panels) for b in panels[i + 1:])
    # every system inside its own area's panel, every panel counting its systems
    by_label = {p.label: p for p in panels}
    for i, b in lay.nodes.items():
        p = by_label[area[i]]
        assert p.x <= b.x and b.x + b.w <= p.x + p.w and p.y <= b.y and b.y + b.h <= p.y + p.h
    assert {p.label: p.count for p in panels} == {a: sum(1 for i in ids if area[i] == a) for a in set(area.values())}
    # the busiest area sits in the middle of the grid, with areas on both sides of it
    bi = by_label["Business Intelligence"]
    assert any(p.x < bi.x for p in panels) and any(p.x > bi.x for p in panels)
    assert any(p.y < bi.y for p in panels) and any(p.y > bi.y for p in panels)
    # every route leaves its source's box and ends at its target's
    for r in lay.edges:
        s, t = lay.nodes[r.source], lay.nodes[r.target]
        (x0, y0), (x1, y1) = r.points[0], r.points[-1]
        assert x0 in (s.x, s.x + s.w) and y0 == s.cy and x1 in (t.x, t.x + t.w) and y1 == t.cy


def test_systems_without_an_area_get_a_panel_of_their_own():
    ids, area, edges = _estate(3, 3)
    area.pop("s0-0")
    _, panels = area_grid(ids, area, edges, node_w=W, node_h=H)
    assert [p.count for p in panels if p.label == NO_AREA] == [1]


@pytest.fixture(scope="module")
def client(store_factory, tmp_path_factory):
    with store_factory("embedded", tmp_path_factory.mktemp("grid"), generated=6000) as st:
        yield create_app({"STORE": st, "TESTING": True}).test_client()


def test_the_systems_page_draws_the_grid_on_a_large_estate(client):
    page = client.get("/systems").get_data(as_text=True)
    inside = int(re.search(r"(\d+) council systems", page).group(1))
    assert inside >= GRID_FROM
    areas = re.findall(r'<g class="area"><rect[^>]*/><text[^>]*>([^<]+) \((\d+)\)</text>', page)
    assert len(areas) >= 10 and sum(int(n) for _, n in areas) == inside
    w, h = (int(x) for x in re.search(r'class="lineage-svg" width="(\d+)" height="(\d+)"', page).groups())
    assert w > h, (w, h)  # wider than tall: it fits a screen
    boxes = [(int(x), int(y)) for x, y in re.findall(r'<rect class="b" x="(\d+)" y="(\d+)"', page)]
    assert len(boxes) >= inside
    assert all(0 <= x and x + svg.NODE_W <= w and 0 <= y and y + svg.NODE_H <= h for x, y in boxes)
    assert len(set(boxes)) == len(boxes)  # partners wrapped into columns beside the grid, none on another
    assert "drawn in a panel for each service area" in page


def test_a_small_map_keeps_its_layers(store_factory, tmp_path):
    with store_factory("embedded", tmp_path, sample=True) as st:
        page = create_app({"STORE": st, "TESTING": True}).test_client().get("/systems").get_data(as_text=True)
    assert int(re.search(r"(\d+) council systems", page).group(1)) < GRID_FROM
    assert '<g class="area">' not in page and "drawn in a panel for each service area" not in page
