"""The impact index of a lineage graph: what impact needs of each node, as flat arrays over integer ids."""
from __future__ import annotations

import dataclasses
import gc
from array import array
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from itertools import accumulate, chain, count, repeat
from operator import add
from typing import Any

from govgraph.kinds import DATASET, FIELD, REPORT, RETURN


@dataclass
class ImpactIndex:
    """What impact needs of each node, as flat arrays over integer node ids (made once per graph).

    A warehouse's impact reaches tens of thousands of nodes; on a shared machine each random
    look-up in a big dict (or touch of a string to hash it) costs a cache miss, so impact
    walks ids (adjacency as one array of successor ids, ``targets[offsets[i]:offsets[i + 1]]``,
    in the graph's edge order), marks them in a bytearray, and reads each fact from an array.
    Data nodes (datasets, reports, returns) get a rank in (label, IRI) order and an int
    ``code`` (kind index * ``kind_stride`` + rank + 1): impact sorts ``code + depth * ranks``
    ints, which gives (kind, depth, label, IRI) order without tuples or strings.

    Field nodes are left out (the field layer, 350,000 nodes on a big estate, is walked by
    field queries, not impact) unless some non-field node has a field successor. Labels are
    read when the index is made, so ``load_fields`` drops it if a field is also a core node.
    """
    nodes: list[str]                      # id -> IRI
    ids: dict[str, int]                   # IRI -> id
    offsets: array                        # id -> where its successors start in ``targets`` (and end: id + 1)
    targets: array                        # successor ids, node after node, in the graph's edge order
    container: bytearray                  # id -> 1 for systems, partners, organisations
    code: array                           # id -> data code (0: not a dataset, report or return)
    home: array                           # id -> 1 + id of the system a data node is held in (0: none)
    owner: array                          # id -> 1 + index in ``owners`` of its one owner (0: none, or several)
    owners: list[str]                     # owner index -> IRI
    several: dict[int, tuple[str, ...]]   # id -> owners, for nodes with more than one
    ranks: int                            # more than the number of ranked nodes
    rank_iris: list[str]                  # rank -> IRI
    rank_labels: list[str]                # rank -> label
    rank_homes: list[str | None]          # rank -> held_in
    rank_home_labels: list[str | None]    # rank -> the label of held_in

    KINDS = (DATASET, REPORT, RETURN)
    DEPTHS = 1 << 32  # more than any hop depth

    _ARRAYS = ("offsets", "targets", "code", "home", "owner")  # integer arrays (typecode q)
    _PLAIN = ("owners", "several", "ranks", "rank_iris", "rank_labels", "rank_homes", "rank_home_labels")

    def plain(self) -> dict[str, Any]:
        """The index as plain data (lists, dicts, bytes) to keep on disk (``lineage.live_graph``)."""
        return {"nodes": self.nodes, "container": bytes(self.container),
                **{k: getattr(self, k).tobytes() for k in self._ARRAYS}, **{k: getattr(self, k) for k in self._PLAIN}}

    @classmethod
    def from_plain(cls, kept: dict[str, Any], graph_nodes: dict) -> "ImpactIndex":
        """The index again from ``plain``'s data (untrusted: its lengths are checked against each other and
        its nodes against ``graph_nodes``; ValueError if they do not agree)."""
        arrays = {}
        for k in cls._ARRAYS:
            a = arrays[k] = array("q")
            a.frombytes(kept[k])
        nodes = kept["nodes"]
        n = len(nodes)
        if not (isinstance(nodes, list) and isinstance(kept["container"], bytes) and len(kept["container"]) == n
                and len(arrays["offsets"]) == n + 1 and all(len(arrays[k]) == n for k in ("code", "home", "owner"))
                and arrays["offsets"][-1] == len(arrays["targets"]) and all(i in graph_nodes for i in nodes)):
            raise ValueError("a kept impact index of the wrong shape")
        return cls(nodes=nodes, ids=dict(zip(nodes, count())), container=bytearray(kept["container"]),
                   **arrays, **{k: kept[k] for k in cls._PLAIN})

    @property
    def kind_stride(self) -> int:
        """The code distance between two kinds."""
        return self.DEPTHS * self.ranks

    @classmethod
    def of(cls, lg: Any) -> "ImpactIndex":
        """The index of a lineage graph: C-level passes over its nodes and edges, one sort of labels.

        The cyclic garbage collector is paused meanwhile: a full collection walks every object
        of a 100,000-node graph, and the many new lists would trigger several.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._of(lg)
        finally:
            if was_enabled:
                gc.enable()

    @classmethod
    def _of(cls, lg: Any) -> "ImpactIndex":
        g = lg.g
        node_attrs, succ = g._node, g._succ  # noqa: SLF001
        get = dict.get
        for nodes in ([n for n, a in node_attrs.items() if a.get("kind") != FIELD], list(node_attrs)):
            ids = dict(zip(nodes, count()))
            adj = list(map(succ.__getitem__, nodes))
            flat = list(map(ids.get, chain.from_iterable(adj)))
            attrs = list(map(node_attrs.__getitem__, nodes))
            helds = list(map(get, attrs, repeat("held_in")))
            if None not in flat and all(map(ids.__contains__, filter(None, helds))):
                break  # else a field is reached from (or holds) a core node: index every node
        n_nodes = len(nodes)
        offsets = array("q", accumulate(map(len, adj), initial=0))
        kinds = list(map(get, attrs, repeat("kind")))
        # data nodes ranked by (label, IRI)
        kind_ix = {k: i for i, k in enumerate(cls.KINDS)}
        data = [i for i, k in enumerate(kinds) if k in kind_ix]
        data_iris = list(map(nodes.__getitem__, data))
        labels = lg.labels
        labs = [lab or lg.label(n) for lab, n in zip(map(labels.get, data_iris), data_iris)]
        if "\0" in "".join(labs):
            order = sorted(range(len(data)), key=lambda j: (labs[j], data_iris[j]))
        else:  # no label holds NUL, so one string per node sorts as (label, IRI), faster than tuples
            order = sorted(range(len(data)), key=list(map(add, map(add, labs, repeat("\0")), data_iris)).__getitem__)
        ranks = len(data) + 1
        strides = [k * cls.DEPTHS * ranks for k in range(len(cls.KINDS))]
        ranked = list(map(data.__getitem__, order))  # rank - 1 -> node id
        code = array("q", bytes(8 * n_nodes))
        deque(map(code.__setitem__, ranked, map(add, map(strides.__getitem__, map(kind_ix.__getitem__, map(
            kinds.__getitem__, ranked))), count(1))), 0)
        home = array("q", bytes(8 * n_nodes))
        deque(map(home.__setitem__, data, [ids[h] + 1 if h else 0 for h in map(helds.__getitem__, data)]), 0)
        owner_vals = list(map(get, attrs, repeat("owner")))
        several = {i: tuple(o) for i, o in enumerate(owner_vals) if isinstance(o, (list, tuple))}
        for i in several:
            owner_vals[i] = None
        owner_ix = dict.fromkeys(owner_vals)
        owner_ix.pop(None, None)
        owners = list(owner_ix)
        owner_ix = dict(zip(owners, count(1)))
        owner = array("q", map(owner_ix.get, owner_vals, repeat(0)))
        rank_homes = list(map(helds.__getitem__, ranked))
        home_labels = {h: lg.label(h) for h in set(rank_homes) if h is not None}
        return cls(nodes=nodes, ids=ids, offsets=offsets, targets=array("q", flat),
                   container=bytearray(map(lg.containers.__contains__, nodes)), code=code, home=home, owner=owner,
                   owners=owners, several=several, ranks=ranks, rank_iris=list(map(nodes.__getitem__, ranked)),
                   rank_labels=list(map(labs.__getitem__, order)), rank_homes=rank_homes,
                   rank_home_labels=list(map(home_labels.get, rank_homes)))

    def patched(self, lg: Any, new_nodes: list[str], sources: set[str]) -> "ImpactIndex | None":
        """The index of ``lg``, a graph patched from the one this index was made of by appending
        ``new_nodes`` (in the order they were added to ``lg.g``) and adding edges from ``sources``
        (nothing else changed: no node's facts, no label of a node already there), exactly as
        ``of(lg)`` would make it, in time that follows the change: copies of the arrays (C-level),
        the successors of ``sources`` re-read, the new data nodes ranked by bisection, and the
        data codes recounted (their stride depends on how many are ranked). None where the patch
        would change which nodes are indexed (a new edge to, or a new node held in, a node left
        out): then ``of`` is what to call.
        """
        g = lg.g
        node_attrs, succ = g._node, g._succ  # noqa: SLF001
        old_ids, n0 = self.ids, len(self.nodes)
        if any(n in old_ids for n in new_nodes):
            return None
        nodes = self.nodes + list(new_nodes)
        ids = dict(old_ids)
        ids.update(zip(new_nodes, count(n0)))
        new_attrs = [node_attrs[n] for n in new_nodes]
        if not all(h in ids for h in filter(None, (a.get("held_in") for a in new_attrs))):
            return None
        # successors: the sources' re-read (a networkx successor dict only grows by appending), new nodes' appended
        adj = {}
        for u in sources:
            i = old_ids.get(u)
            if i is not None:  # else new (below) or a field the index leaves out
                adj[i] = [ids.get(v) for v in succ[u]]
        new_adj = [[ids.get(v) for v in succ[n]] for n in new_nodes]
        if any(None in a for a in adj.values()) or any(None in a for a in new_adj):
            return None
        offsets, targets = self.offsets, self.targets
        # targets: slices of the old array around the changed nodes' successors; offsets: each node after a
        # changed one shifted by how much the changed ones before it grew
        t, off = array("q"), array("q")
        prev = start = shift = 0
        for i in sorted(adj):
            a, b = offsets[i], offsets[i + 1]
            t.extend(targets[prev:a])
            t.extend(adj[i])
            prev = b
            seg = offsets[start:i + 1]
            off.extend(map(add, seg, repeat(shift)) if shift else seg)
            shift += len(adj[i]) - (b - a)
            start = i + 1
        t.extend(targets[prev:])
        seg = offsets[start:]
        off.extend(map(add, seg, repeat(shift)) if shift else seg)
        for a in new_adj:
            t.extend(a)
            off.append(off[-1] + len(a))
        get = dict.get
        kinds_new = list(map(get, new_attrs, repeat("kind")))
        kind_ix = {k: i for i, k in enumerate(self.KINDS)}
        home = array("q", self.home)
        home.extend(ids[a["held_in"]] + 1 if k in kind_ix and a.get("held_in") else 0
                    for a, k in zip(new_attrs, kinds_new))
        # owners: a new one goes last (its first node is new, so last in node order)
        owner = array("q", self.owner)
        owners, several = self.owners, self.several
        new_owner = [a.get("owner") for a in new_attrs]
        if any(o is not None for o in new_owner):
            owners, several = list(owners), dict(several)
            owner_ix = dict(zip(owners, count(1)))
            for i, o in enumerate(new_owner, n0):
                if isinstance(o, (list, tuple)):
                    several[i], o = tuple(o), None
                if o is not None and o not in owner_ix:
                    owners.append(o)
                    owner_ix[o] = len(owners)
                owner.append(owner_ix[o] if o is not None else 0)
        else:
            owner.extend(repeat(0, len(new_nodes)))
        container = bytearray(self.container)
        container.extend(map(lg.containers.__contains__, new_nodes))
        data = [n for n, k in zip(new_nodes, kinds_new) if k in kind_ix]
        if not data:
            code = array("q", self.code)
            code.extend(repeat(0, len(new_nodes)))
            return dataclasses.replace(self, nodes=nodes, ids=ids, offsets=off, targets=t, container=container,
                                       code=code, home=home, owner=owner, owners=owners, several=several)
        # new data nodes placed in the (label, IRI) order; every code recounted (the stride grows with the ranks)
        rank_iris, rank_labels = list(self.rank_iris), list(self.rank_labels)
        rank_homes, rank_home_labels = list(self.rank_homes), list(self.rank_home_labels)
        for n in data:
            lab, h = lg.labels.get(n) or lg.label(n), node_attrs[n].get("held_in")
            at = bisect_left(range(len(rank_iris)), (lab, n), key=lambda j: (rank_labels[j], rank_iris[j]))
            rank_iris.insert(at, n)
            rank_labels.insert(at, lab)
            rank_homes.insert(at, h)
            rank_home_labels.insert(at, None if h is None else lg.label(h))
        ranks = self.ranks + len(data)
        strides = [k * self.DEPTHS * ranks for k in range(len(self.KINDS))]
        code = array("q", bytes(8 * len(nodes)))
        deque(map(code.__setitem__, map(ids.__getitem__, rank_iris), map(add, map(strides.__getitem__, map(
            kind_ix.__getitem__, map(get, map(node_attrs.__getitem__, rank_iris), repeat("kind")))), count(1))), 0)
        return dataclasses.replace(self, nodes=nodes, ids=ids, offsets=off, targets=t, container=container,
                                   code=code, home=home, owner=owner, owners=owners, several=several, ranks=ranks,
                                   rank_iris=rank_iris, rank_labels=rank_labels, rank_homes=rank_homes,
                                   rank_home_labels=rank_home_labels)


__all__ = ["ImpactIndex"]
