"""Responsibilities: what a person or team answers for (owner, steward, custodian, service area), a team's
members, and who has left."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rdflib import URIRef

from govgraph.labels import Ref, labels
from govgraph.ontology.ns import GOV
from govgraph.store import Store


#: Property IRI -> the role it gives (the holder answers for the asset in that role).
ROLE_PROPERTIES = _ROLE_NAMES = {str(GOV.owner): "owner", str(GOV.steward): "steward", str(GOV.custodian): "custodian",
                                 str(GOV.serviceArea): "service area"}


#: The roles a person answers for, in the order a person page lists them, with their headings.
ROLE_HEADINGS = {"owner": "Information Asset Owner", "steward": "Steward (quality lead)",
                 "custodian": "Custodian (technical)", "service area": "Service area"}


@dataclass
class Responsibilities:
    """What a person or team answers for: (holder, role, asset) triples, a team's members, and who has left."""
    holder: Ref
    members: list[Ref]
    roles: list[tuple[Ref, str, Ref]]
    left_on: dict[str, str] = field(default_factory=dict)  # holder IRI -> gov:leftOn date (YYYY-MM-DD)

    def by_role(self) -> dict[str, list[tuple[Ref, Ref]]]:
        """Role -> [(holder, asset)], in ROLE_HEADINGS order, roles with nothing left out."""
        out: dict[str, list[tuple[Ref, Ref]]] = {r: [] for r in ROLE_HEADINGS}
        for holder, role, a in self.roles:
            out[role].append((holder, a))
        return {r: rows for r, rows in out.items() if rows}

    def assets(self) -> list[Ref]:
        """Each asset answered for once, by name."""
        return sorted({a.iri: a for _, _, a in self.roles}.values(), key=lambda r: (r.label.lower(), r.iri))

    def left(self, on: str | None = None) -> list[Ref]:
        """The holders who had left by ``on`` (YYYY-MM-DD, default today): the person, or a team's members."""
        on = on or dt.date.today().isoformat()
        refs = {self.holder.iri: self.holder, **{m.iri: m for m in self.members}}
        return [refs[i] for i, d in sorted(self.left_on.items()) if d <= on and i in refs]


def responsibilities(store: Store, iri: str) -> Responsibilities:
    """Assets a person owns, stewards or holds custody of; for a team, its members' and its service area's."""
    me = URIRef(iri)
    members = [str(r["p"]) for r in store.select("SELECT DISTINCT ?p WHERE { ?p org:memberOf ?u }", bindings={"u": me})]
    holders = [iri] + members
    values = " ".join(f"<{h}>" for h in holders)
    rows = store.select(f"""SELECT DISTINCT ?h ?role ?a WHERE {{ VALUES ?h {{ {values} }}
        VALUES ?role {{ gov:owner gov:steward gov:custodian gov:serviceArea }} ?a ?role ?h FILTER(isIRI(?a)) }}""")
    left = store.select(f"SELECT ?h (MIN(STR(?d)) AS ?on) WHERE {{ VALUES ?h {{ {values} }} ?h gov:leftOn ?d }} GROUP BY ?h")
    refs = labels(store, holders + [str(r["a"]) for r in rows])
    roles = sorted(((refs[str(r["h"])], _ROLE_NAMES[str(r["role"])], refs[str(r["a"])]) for r in rows),
                   key=lambda t: (t[0].iri != iri, t[0].label.lower(), t[1], t[2].label.lower()))
    return Responsibilities(refs[iri], sorted((refs[m] for m in members), key=lambda r: r.label.lower()), roles,
                            {str(r["h"]): str(r["on"])[:10] for r in left if "on" in r})
