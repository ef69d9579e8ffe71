"""A plain reference for impact: a recorded ``walk`` and one tuple per item (the tests compare to it)."""
from __future__ import annotations

import json

from govgraph.lineage.queries import impact
from govgraph.lineage.traverse import walk


def impact_by_walk(lg, root):
    """Impact's groups worked out the plain way: a recorded walk and one row per item."""
    groups = {k: {} for k in ("datasets", "reports", "returns", "systems", "partners")}
    group_of = {"dataset": "datasets", "report": "reports", "return": "returns", "system": "systems",
                "partner": "partners"}
    owners = {}
    for n, depth in walk(lg, root, "down", None).depth.items():
        if n == root:
            continue
        a = lg.attrs(n)
        if a["kind"] in group_of:
            groups[group_of[a["kind"]]][n] = (depth, a.get("held_in"))
        if a["kind"] == "system":
            ops = a.get("operated_by")
            for op in (ops if isinstance(ops, (list, tuple)) else [ops] if ops else []):
                if lg.kind(op) == "partner" and op not in groups["partners"]:
                    groups["partners"][op] = (depth + 1, None)
        home = a.get("held_in")
        if home and home != root and a["kind"] in ("dataset", "report", "return") and home not in groups["systems"]:
            groups["systems"][home] = (depth, None)
        owner = a.get("owner")
        for o in (owner if isinstance(owner, tuple) else (owner,) if owner else ()):
            owners.setdefault(o, []).append(n)
    out = {k: sorted((d, lg.label(i), i, s) for i, (d, s) in v.items()) for k, v in groups.items()}
    out["owners"] = sorted(((-len(v), lg.label(o), o, v) for o, v in owners.items()))
    return out


def assert_impact_matches_walk(lg, root):
    """impact(lg, root) lists what the plain walk finds, item for item, in the same order; and serialises."""
    res = impact(lg, root)
    want = impact_by_walk(lg, root)
    for k, rows in want.items():
        got = res.groups[k].items
        assert res.groups[k].count == len(rows), (root, k)
        if k == "owners":
            assert [(-o["count"], o["label"], o["iri"], o["assets"]) for o in got] == rows, (root, k)
            assert all(o["kind"] == "person" for o in got)
        else:
            assert [(i["depth"], i["label"], i["iri"], i["system"]) for i in got] == rows, (root, k)
            assert [i["system_label"] for i in got] == [lg.label(s) if s is not None else None
                                                        for *_, s in rows], (root, k)
            assert all(i["kind"] == k[:-1] for i in got), (root, k)
    data = json.loads(json.dumps(impact(lg, root).to_dict()))  # to_dict before items are read
    assert data["groups"] == {k: {"name": k, "count": g.count, "items": g.items} for k, g in res.groups.items()}
    assert data["counts"] == {k: len(v) for k, v in want.items()}
    return res
