"""Page weight of drawings (issue 19: under 300 KB): the table of a drawing's nodes and edges shows its
first rows under the drawing and lives whole on a paged page of its own; a person's responsibilities are
paged; a drawing never has more than MAX_DRAWN boxes. On a generated estate whose busiest graphs have
hundreds of nodes and edges."""
from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import quote

import pytest

from govgraph import catalog
from govgraph.lineage.live_graph import get_graph
from govgraph.responsibilities import responsibilities
from govgraph.webapp import create_app
from govgraph.webapp.graphs import INLINE_ROWS, MAX_DRAWN, TABLE_ROWS

TARGET = 300 * 1024
STATIC = ["/static/style.css", "/static/panzoom.js"]


@pytest.fixture(scope="module")
def estate(store_factory, tmp_path_factory):
    with store_factory("embedded", tmp_path_factory.mktemp("weight"), generated=5000) as st:
        lg = get_graph(st)
        nodes = lg.g.nodes(data=True)
        systems = sorted((n for n, a in nodes if a.get("kind") == "system" and not a.get("external")),
                         key=lambda s: -lg.g.degree(s))[:3]
        owners = [o for o, _ in Counter(a.get("owner") for _, a in nodes if a.get("owner")).most_common(2)]
        yield st, create_app({"STORE": st, "TESTING": True}).test_client(), systems, owners


def _get(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def _table_rows(page: str, caption: str) -> list[str]:
    """The rows of the table with ``caption`` (each row's first two cells' links, as text)."""
    start = page.index(f"<caption>{caption}")
    body = page[start:page.index("</table>", start)]
    return [" | ".join(re.findall(r'href="([^"]+)"', row)[:2]) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def _walk(client, url: str) -> list[str]:
    """Every page of a paged table, following its Next links (bounded)."""
    pages = []
    for _ in range(100):
        page = _get(client, url)
        pages.append(page)
        nxt = re.search(r'<a href="([^"]+)" rel="next">', page)
        if not nxt:
            return pages
        url = html.unescape(nxt.group(1))
    raise AssertionError("more than 100 pages")


def test_the_drawing_shows_the_first_rows_and_links_to_every_one(estate):
    _, client, systems, _ = estate
    page = _get(client, f"/lineage?iri={quote(systems[0], safe='')}&depth=3")
    links, assets = (int(x.replace(",", "")) for x in
                     re.search(r"every one of the ([\d,]+) links and ([\d,]+) assets", page).groups())
    assert links > TABLE_ROWS and assets > INLINE_ROWS  # large enough to be paged
    assert len(_table_rows(page, "Links in the graph")) == INLINE_ROWS
    assert len(_table_rows(page, "Assets in the graph")) == INLINE_ROWS
    table = html.unescape(re.search(r'<a href="([^"]+)">every one of the', page).group(1))
    assert table.startswith("/lineage/table?") and "depth=3" in table
    pages = _walk(client, table)
    assert len(pages) == -(-max(links, assets) // TABLE_ROWS) > 1
    edge_rows = [r for p in pages for r in _table_rows(p, "Links in the graph")]
    node_rows = [r for p in pages for r in _table_rows(p, "Assets in the graph")]
    # every link and asset once, and the first rows are those shown under the drawing
    assert len(edge_rows) == links and len(node_rows) == assets == len(set(node_rows))
    assert edge_rows[:INLINE_ROWS] == _table_rows(page, "Links in the graph")
    assert 'class="lineage-svg"' not in pages[0]  # the table page draws nothing
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_a_small_graph_keeps_its_whole_table_in_the_page(estate):
    st, client, _, _ = estate
    _, items = catalog.list_assets(st, kind="dataset", limit=50)
    small = next(a.iri for a in items
                 if "page of its own" not in _get(client, f"/lineage?iri={quote(a.iri, safe='')}&depth=1"))
    page = _get(client, f"/lineage?iri={quote(small, safe='')}&depth=1")
    assert "every one of the" not in page and len(_table_rows(page, "Assets in the graph")) >= 2


def test_a_persons_responsibilities_are_paged(estate):
    st, client, _, owners = estate
    roles = responsibilities(st, owners[0]).roles
    assert len(roles) > TABLE_ROWS
    pages = _walk(client, f"/ownership?iri={quote(owners[0], safe='')}")
    assert len(pages) == -(-len(roles) // TABLE_ROWS)
    shown = [m for p in pages for m in re.findall(
        r'<tr><td><a href="[^"]+">[^<]+</a></td><td>(\w+)</td><td><a href="([^"]+)"', p)]
    assert len(shown) == len(roles)
    assert Counter(role for role, _ in shown) == Counter(role for _, role, _ in roles)


def test_an_ownership_drawing_has_at_most_max_drawn_boxes(estate):
    _, client, _, owners = estate
    page = _get(client, f"/ownership?iri={quote(owners[0], safe='')}")
    every = html.unescape(re.search(r'<a href="([^"]+)">Show every group in full', page).group(1))
    full = _get(client, every)
    boxes = len(re.findall(r'<a class="n ', full))
    assert boxes == MAX_DRAWN and f"the {MAX_DRAWN} nearest are" in full


def test_every_drawing_page_is_under_300_kb(estate):
    _, client, systems, owners = estate
    static = sum(len(client.get(u).data) for u in STATIC)
    q = lambda i: quote(i, safe="")  # noqa: E731
    bodies = {u: _get(client, u) for u in [f"/lineage?iri={q(s)}&depth={d}" for s in systems[:2] for d in (1, 3)]
              + [f"/asset?iri={q(systems[0])}", f"/ownership?iri={q(owners[0])}"]}
    # the same drawings with every group in full, and the first page of each one's table
    for pattern in (r'<a href="([^"]+)">Show every group in full', r'<a href="([^"]+)">every one of the'):
        found = {html.unescape(m) for body in list(bodies.values()) for m in re.findall(pattern, body)}
        assert found
        bodies.update({u: _get(client, u) for u in found if u not in bodies})
    weights = {u: len(body.encode()) + static for u, body in bodies.items()}
    heaviest = max(weights, key=weights.get)
    assert weights[heaviest] < TARGET, (heaviest, weights[heaviest])
