"""Layered layout: no overlaps, deterministic, few crossings, cycles handled, long edges routed; and the
viewer's drawings of the sample estate: no overlaps, crossings within 10% of Graphviz dot's."""
from __future__ import annotations

import random
import time

import pytest

from govgraph.lineage.layout import layered_layout
from layout_quality import dot, drawn_graphs, measure, ours


def _overlap(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _random_graph(seed: int, n: int = 60, m: int = 110, acyclic: bool = False):
    rnd = random.Random(seed)
    nodes = [f"n{i:03}" for i in range(n)]
    edges = []
    for _ in range(m):
        a, b = rnd.sample(range(n), 2)
        if acyclic and a > b:
            a, b = b, a
        edges.append((nodes[a], nodes[b]))
    return nodes, edges


@pytest.mark.parametrize("seed", range(6))
def test_no_overlapping_nodes(seed):
    nodes, edges = _random_graph(seed)
    sizes = {n: (80 + (i * 37) % 120, 30 + (i * 11) % 30) for i, n in enumerate(nodes)}
    lay = layered_layout(nodes, edges, sizes=sizes)
    boxes = list(lay.nodes.values())  # virtual nodes included: edges never run through a node
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (a, b)
        assert a.x >= 0 and a.y >= 0 and a.x + a.w <= lay.width and a.y + a.h <= lay.height
    for n in nodes:
        assert (lay.nodes[n].w, lay.nodes[n].h) == tuple(map(float, sizes[n]))


def test_deterministic_and_independent_of_input_order():
    nodes, edges = _random_graph(7)
    a = layered_layout(nodes, edges)
    b = layered_layout(list(reversed(nodes)), edges)
    assert a.to_dict()["nodes"] == b.to_dict()["nodes"]
    assert a.crossings == b.crossings
    assert layered_layout(nodes, edges).to_dict() == a.to_dict()


def test_layers_by_longest_path_and_edges_point_right():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("x", "d")]
    lay = layered_layout([], edges)
    layer = {n: lay.nodes[n].layer for n in "abcdx"}
    assert layer == {"a": 0, "b": 1, "c": 2, "d": 3, "x": 2}  # x pulled right next to d
    for e in lay.edges:
        assert e.points[0][0] < e.points[-1][0]  # left to right
    # the long edge a -> d runs through two virtual nodes, one per layer crossed
    (ad,) = [e for e in lay.edges if (e.source, e.target) == ("a", "d")]
    virtual = [b for b in lay.nodes.values() if b.virtual]
    assert len(virtual) == 2 and len(ad.points) == 2 + 2 * len(virtual)


def test_known_graph_drawn_without_crossings():
    # a two-layer graph whose input order would cross: a->y, b->x (ids sort a, b, x, y)
    lay = layered_layout([], [("a", "y"), ("b", "x"), ("a", "z"), ("c", "x")])
    assert lay.crossings == 0
    # K(3,3) in two layers always has C(3,2) * C(3,2) = 9 crossings, whatever the order
    k33 = [(u, v) for u in ("u1", "u2", "u3") for v in ("v1", "v2", "v3")]
    assert layered_layout([], k33).crossings == 9
    # three layers, drawable with none; a barycentre tie (b and c) leaves at most one
    known = [("a", "r"), ("a", "q"), ("b", "p"), ("c", "q"), ("r", "z"), ("q", "y"), ("p", "x"), ("c", "x")]
    assert layered_layout([], known).crossings <= 1
    # a permuted ladder: sorted ids cross every rung, the sweeps must untangle it completely
    ladder = [("a1", "b3"), ("a2", "b1"), ("a3", "b2"), ("b1", "c2"), ("b2", "c3"), ("b3", "c1")]
    assert layered_layout([], ladder).crossings == 0


def test_crossings_on_random_dag_are_reduced():
    nodes, edges = _random_graph(3, n=40, m=70, acyclic=True)
    lay = layered_layout(nodes, edges)
    untangled = layered_layout(nodes, edges, sweeps=0)
    assert lay.crossings <= untangled.crossings
    assert lay.crossings <= 130  # 122 when written (303 with no sweeps); more means the ordering regressed


def test_cycles_are_broken_by_reversing_few_edges():
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "c"), ("b", "b")]
    lay = layered_layout([], edges)
    assert len(lay.reversed_edges) == 2  # one per cycle, the self-loop needs none
    assert {e for e in lay.reversed_edges} <= set(edges)
    rev = [e for e in lay.edges if e.reversed]
    assert len(rev) == 2 and all(e.points[0][0] > e.points[-1][0] for e in rev)
    loop = next(e for e in lay.edges if e.source == e.target)
    assert len(loop.points) == 4


def test_big_cyclic_graph_finishes_quickly():
    nodes, edges = _random_graph(11, n=600, m=1200)
    t = time.perf_counter()
    lay = layered_layout(nodes, edges)
    assert time.perf_counter() - t < 10
    assert len(lay.real_nodes()) == 600


def test_empty_and_single():
    assert layered_layout([], []).nodes == {}
    one = layered_layout(["only"], [])
    assert one.nodes["only"].layer == 0 and one.crossings == 0


# ----------------------------------------------------------------------------- the viewer's drawings vs Graphviz dot

@pytest.fixture(scope="module")
def sample_drawings(store_factory, tmp_path_factory):
    """The 50 lineage graphs of the sample estate as the viewer draws them (see tests/layout_quality.py)."""
    with store_factory("embedded", tmp_path_factory.mktemp("layout"), sample=True) as st:
        yield drawn_graphs(st, 50)


def test_sample_drawings_have_no_overlaps(sample_drawings):
    assert len(sample_drawings) == 50
    labelled = 0
    for iri, sub in sample_drawings:
        d = ours(sub)
        q = measure(d)
        assert (q.node_node, q.label_node, q.label_label) == (0, 0, 0), iri
        labelled += len(d.labels)
    assert labelled > 100, "the measure must see the edge labels (mechanisms) it checks"


def test_sample_drawings_cross_no_more_than_dot(sample_drawings):
    """Edge crossings, counted the same way on both drawings: ours at most dot's plus 10%."""
    mine = sum(measure(ours(sub)).crossings for _, sub in sample_drawings)
    theirs = sum(measure(dot(sub)).crossings for _, sub in sample_drawings)
    assert theirs > 0, "dot crosses somewhere on the sample: the comparison is not empty"
    assert mine <= theirs * 1.1, (mine, theirs)
