"""Flows between systems for architects: every gov:Flow lifted to the systems at its ends.

Read from the lineage graph (cached per store revision), so the whole estate's flows cost a
walk over its flow edges rather than a query per page.
"""
from __future__ import annotations

from dataclasses import dataclass

from govgraph.kinds import catalog_kind
from govgraph.labels import Ref, term_label
from govgraph.lineage.graph import FLOW
from govgraph.lineage.live_graph import get_graph
from govgraph.store import Store


@dataclass
class FlowRow:
    """A data flow seen at system level: both ends, how and how often, what, and under which agreement."""
    flow: Ref
    source: Ref
    target: Ref
    source_system: Ref
    target_system: Ref
    mechanism: Ref | None
    frequency: Ref | None
    carries: list[Ref]
    agreement: Ref | None
    crosses_boundary: bool
    source_external: bool = False  # the sending end is outside the council (a partner, or a system one runs)
    target_external: bool = False  # the receiving end is outside the council


def system_flows(store: Store, system: str | None = None) -> list[FlowRow]:
    """Every gov:Flow, with dataset ends lifted to the system holding them; only those touching ``system`` if given.

    Read from the lineage graph (cached per store revision), so the whole estate's flows
    cost a walk over its flow edges rather than a query per page.
    """
    lg = get_graph(store)
    g = lg.g

    def ref(iri: str | None) -> Ref:
        a = lg.attrs(iri) if iri else {}
        kind = a.get("kind", "thing")
        return Ref(iri or "", lg.label(iri), catalog_kind(kind))

    def home(iri: str) -> str:
        return lg.attrs(iri).get("held_in") or iri

    out = []
    for u, v, key, e in g.edges(keys=True, data=True):
        if e.get("kind") != FLOW:
            continue
        ss, ts = home(u), home(v)
        if system and system not in (u, v, ss, ts):
            continue
        mech, freq, agr = e.get("mechanism"), e.get("frequency"), e.get("agreement")
        out.append(FlowRow(
            Ref(e.get("flow") or key, e.get("label") or lg.label(e.get("flow") or key), "flow"), ref(u), ref(v),
            ref(ss), ref(ts),
            Ref(mech, term_label(mech)[0], "mechanism") if mech else None,
            Ref(freq, term_label(freq)[0], "frequency") if freq else None,
            sorted((ref(c) for c in e.get("carries", ())), key=lambda x: x.label.lower()),
            ref(agr) if agr else None,
            any(lg.is_external(x) for x in (u, v, ss, ts)),
            lg.is_external(u) or lg.is_external(ss), lg.is_external(v) or lg.is_external(ts)))
    out.sort(key=lambda f: (f.source_system.label.lower(), f.target_system.label.lower(), f.flow.label.lower()))
    return out
