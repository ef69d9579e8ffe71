"""Node order within the layers of a layered drawing: few edge crossings.

Iterated barycentre and median sweeps (down and up) from several starts (the DFS order, its
mirror, and for small drawings a few seeded shuffles), each followed by adjacent swaps
(transpose) while they remove crossings; then sifting (each node moved alone to its best
place in its layer). Crossings between two layers are counted exactly as inversions
(Fenwick tree). Deterministic: the shuffles are seeded.
"""
from __future__ import annotations

import random

#: Drawings of up to this many nodes (virtual ones included) get RESTARTS extra shuffled starts.
RESTART_LIMIT, RESTARTS = 400, 8


def order_layers(layers: list[list[int]], succ: list[list[int]], pred: list[list[int]],
           sweeps: int) -> tuple[list[list[int]], int]:
    """Iterated barycentre (and median) sweeps from two starts, with adjacent swaps; the best ordering wins."""
    total = sum(len(l) for l in layers)
    small = total <= 3000
    starts = [layers, [l[::-1] for l in layers]] if small and sweeps else [layers]
    if sweeps and total <= RESTART_LIMIT:
        # small drawings: a few more starts from seeded shuffles (deterministic) escape poor local optima
        for seed in range(RESTARTS):
            rnd = random.Random(seed)
            starts.append([rnd.sample(l, len(l)) for l in layers])
    methods = ("bary", "median") if small and sweeps else ("bary",)
    best: list[list[int]] = [list(l) for l in layers]
    best_c = _count_all(best, succ, _positions(best))
    for start in starts:
        for method in methods:
            ls, c = _sweeps([list(l) for l in start], succ, pred, sweeps, method, small)
            if c < best_c:
                best, best_c = ls, c
    if sweeps and best_c and total <= SIFT_LIMIT:
        pos = _positions(best)
        for _ in range(4):
            if not _sift(best, succ, pred, pos):
                break
            best = [list(l) for l in best]
        best_c = _count_all(best, succ, _positions(best))
    return best, best_c


#: Sifting is quadratic in a layer's size: only for drawings of up to this many nodes (virtual ones included).
SIFT_LIMIT = 1500


def _sift(layers: list[list[int]], succ: list[list[int]], pred: list[list[int]], pos: dict[int, int]) -> bool:
    """Move each node, one at a time, to the place in its layer with fewest crossings (sifting).

    Escapes the local optima of the barycentre sweeps and adjacent swaps; True if anything moved.
    """
    moved = False
    for lay in layers:
        if len(lay) < 2:
            continue
        for v in sorted(lay, key=lambda x: (-(len(succ[x]) + len(pred[x])), x)):
            others = [u for u in lay if u != v]
            cur = lay.index(v)
            # crossings (relative) with v at each place: left of all, then moved right past each other node
            c = 0
            best_c, best_i, here = 0, 0, None
            for i, u in enumerate(others):
                c += (_pair_crossings(u, v, pred, pos) + _pair_crossings(u, v, succ, pos)
                      - _pair_crossings(v, u, pred, pos) - _pair_crossings(v, u, succ, pos))
                if i + 1 == cur:
                    here = c
                if c < best_c:
                    best_c, best_i = c, i + 1
            if cur == 0:
                here = 0
            if best_c < here:
                others.insert(best_i, v)
                lay[:] = others
                for k, w in enumerate(lay):
                    pos[w] = k
                moved = True
    return moved


def _positions(layers: list[list[int]]) -> dict[int, int]:
    return {v: i for lay in layers for i, v in enumerate(lay)}


def _sweeps(layers: list[list[int]], succ: list[list[int]], pred: list[list[int]], sweeps: int,
            method: str, transpose: bool) -> tuple[list[list[int]], int]:
    """Alternate down and up sweeps sorting each layer by its neighbours' positions; keep the best."""
    pos = _positions(layers)
    best = [list(l) for l in layers]
    best_c = _count_all(layers, succ, pos)
    stale = 0
    for it in range(sweeps):
        if best_c == 0 or stale >= 4:
            break
        down = it % 2 == 0
        rng = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        nbrs = pred if down else succ
        for l in rng:
            lay = layers[l]
            keys = {}
            for v in lay:
                ps = sorted(pos[u] for u in nbrs[v])
                if not ps:
                    keys[v] = pos[v]
                elif method == "median":
                    m = len(ps) // 2
                    keys[v] = ps[m] if len(ps) % 2 else (ps[m - 1] + ps[m]) / 2
                else:
                    keys[v] = sum(ps) / len(ps)
            lay.sort(key=lambda v: (keys[v], pos[v]))
            for i, v in enumerate(lay):
                pos[v] = i
        c = _count_all(layers, succ, pos)
        if transpose:
            c = _transpose(layers, succ, pred, pos, c)
        if c < best_c:
            best_c, best, stale = c, [list(l) for l in layers], 0
        else:
            stale += 1
    return best, best_c


def _count_all(layers: list[list[int]], succ: list[list[int]], pos: dict[int, int]) -> int:
    return sum(_count_between(layers[l], succ, pos) for l in range(len(layers) - 1))


def _count_between(upper: list[int], succ: list[list[int]], pos: dict[int, int]) -> int:
    """Crossings between a layer and the next: inversions among edge end positions (Fenwick tree)."""
    ends = []
    for v in upper:  # upper is in position order
        ends.extend(sorted(pos[w] for w in succ[v]))
    if len(ends) < 2:
        return 0
    size = max(ends) + 1
    tree = [0] * (size + 1)
    crossings = 0
    seen = 0
    for e in ends:
        # count earlier ends strictly greater than e
        i, le = e + 1, 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        crossings += seen - le
        i = e + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
        seen += 1
    return crossings


def _pair_crossings(u: int, v: int, nbrs: list[list[int]], pos: dict[int, int]) -> int:
    """Crossings between the edges of u and v to one neighbouring layer when u is left of v."""
    c = 0
    pv = sorted(pos[w] for w in nbrs[v])
    if not pv:
        return 0
    for w in nbrs[u]:
        p = pos[w]
        # edges of v ending strictly before p cross this one
        lo, hi = 0, len(pv)
        while lo < hi:
            mid = (lo + hi) // 2
            if pv[mid] < p:
                lo = mid + 1
            else:
                hi = mid
        c += lo
    return c


def _transpose(layers: list[list[int]], succ: list[list[int]], pred: list[list[int]],
               pos: dict[int, int], crossings: int, rounds: int = 8) -> int:
    """Swap adjacent nodes while a swap lowers crossings with both neighbouring layers."""
    for _ in range(rounds):
        improved = False
        for lay in layers:
            for i in range(len(lay) - 1):
                u, v = lay[i], lay[i + 1]
                before = _pair_crossings(u, v, pred, pos) + _pair_crossings(u, v, succ, pos)
                after = _pair_crossings(v, u, pred, pos) + _pair_crossings(v, u, succ, pos)
                if after < before:
                    lay[i], lay[i + 1] = v, u
                    pos[u], pos[v] = i + 1, i
                    crossings -= before - after
                    improved = True
        if not improved:
            break
    return crossings


__all__ = ["order_layers", "SIFT_LIMIT", "RESTART_LIMIT", "RESTARTS"]
