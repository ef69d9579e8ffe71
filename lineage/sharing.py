"""Personal data leaving the council: every place it crosses the boundary, with its legal footing.

Built on sensitivity propagation (``lineage.sensitivity``): personal and special-category
data followed downstream until aggregated or anonymised. Each hop across the boundary is
one crossing, listed once however many landings lie beyond it, with:

* agreement coverage on the check date (an agreement in force that the partner signed, or
  a statutory return, which the law requires);
* the lawful basis (UK GDPR Article 6) recorded on the agreement or on the data that
  crosses (the crossing dataset, the datasets the flow carries, or where the data came from);
* for special-category data, the Article 9 condition, recorded the same way.

A crossing with any of these missing is a gap; gaps come first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from govgraph.io.iar import format_lawful_basis
from govgraph.lineage.graph import DATA_KINDS, LineageGraph
from govgraph.lineage.sensitivity import sensitivity
from govgraph.lineage.traverse import graph_of
from govgraph.ontology.ns import DPV, EU_GDPR

_A9 = str(EU_GDPR) + "A9-"
_Q_BASES = "SELECT ?s ?b WHERE { ?s <%s> ?b }" % DPV.hasLegalBasis

GAP_BASIS = "no lawful basis recorded"
GAP_ART9 = "special-category data with no Article 9 condition recorded"


@dataclass
class Crossing:
    """One hop on which personal data crosses the council's boundary, and what makes it lawful (or not)."""
    source: str
    source_label: str
    target: str
    target_label: str
    outbound: bool  # data leaves the council (False: it comes in from outside and is passed on)
    partner: str | None
    partner_label: str | None
    flow: str | None
    flow_label: str
    mechanism: str | None
    data: list[dict[str, str]]  # the personal datasets crossing: iri, label
    special: bool
    path: list[dict[str, str]]  # from where the personal data starts to the far side of the hop: iri, label
    agreement: str | None
    agreement_label: str | None
    agreement_in_force: bool
    partner_is_party: bool
    statutory: bool
    covered: bool
    coverage: str  # in words: "covered", "no sharing agreement", ...
    lawful_bases: list[dict[str, str]]  # Article 6: iri, label
    art9_conditions: list[dict[str, str]]  # Article 9: iri, label
    gaps: list[str] = field(default_factory=list)  # in words: the coverage reason, GAP_BASIS, GAP_ART9
    landings: int = 0  # how many places beyond the boundary the data reaches through this hop

    def to_dict(self) -> dict[str, Any]:
        """This crossing as a JSON-ready dict."""
        return asdict(self)


@dataclass
class SharingResult:
    """Every boundary crossing of personal data, gaps first."""
    check_date: str
    crossings: list[Crossing]
    notices: list[str] = field(default_factory=list)

    def gaps(self) -> list[Crossing]:
        """The crossings missing an agreement in force, a lawful basis or an Article 9 condition."""
        return [c for c in self.crossings if c.gaps]

    def only_gaps(self) -> "SharingResult":
        """The same answer with only the crossings that have a gap (a new result: this one may be shared)."""
        return SharingResult(self.check_date, self.gaps(), list(self.notices))

    def to_dict(self) -> dict[str, Any]:
        """This result as a JSON-ready dict."""
        return {"check_date": self.check_date, "notices": self.notices,
                "counts": {"crossings": len(self.crossings), "gaps": len(self.gaps()),
                           "special": sum(c.special for c in self.crossings)},
                "crossings": [c.to_dict() for c in self.crossings]}

    def table(self) -> list[list[Any]]:
        """One row per crossing (for CSV)."""
        rows: list[list[Any]] = [["gaps", "from", "to", "partner", "flow", "personal data", "special category",
                                  "agreement", "coverage", "lawful basis", "Article 9 condition", "path"]]
        for c in self.crossings:
            rows.append(["; ".join(c.gaps), c.source_label, c.target_label, c.partner_label or "", c.flow_label,
                         "; ".join(d["label"] for d in c.data), "yes" if c.special else "no",
                         c.agreement_label or "", c.coverage, "; ".join(b["label"] for b in c.lawful_bases),
                         "; ".join(b["label"] for b in c.art9_conditions), " -> ".join(p["label"] for p in c.path)])
        return rows


def sharing(source: Any, *, check_date: dt.date | str | None = None) -> SharingResult:
    """Every hop on which personal or special-category data crosses the council's boundary.

    Gaps first (most gaps first), then special-category data, then by partner and source.
    The answer is kept with the lineage graph of the revision, per check date: treat it as read-only.
    """
    lg = graph_of(source)
    memo = lg.__dict__.setdefault("_sharing", {})
    key = str(check_date or dt.date.today())
    if key not in memo:
        if len(memo) > 16:
            memo.clear()
        memo[key] = _sharing(lg, check_date)
    return memo[key]


def _sharing(lg: LineageGraph, check_date: dt.date | str | None) -> SharingResult:
    res = sensitivity(lg, None, check_date=check_date)
    bases = legal_bases(lg)
    path_to = {l.node.iri: l.path for l in res.landings}
    found: dict[tuple[str, str, str], Crossing] = {}
    for landing in res.landings:
        for h in landing.boundary_hops:
            k = (h["source"], h["target"], h["key"])
            c = found.get(k)
            if c is None:
                c = found[k] = _crossing(lg, h, path_to.get(h["source"], [h["source"]]) + [h["target"]], bases)
            c.landings += 1
    out = sorted(found.values(), key=lambda c: (-len(c.gaps), not c.special, (c.partner_label or "").casefold(),
                                                 c.source_label.casefold(), c.target_label.casefold(), c.flow or ""))
    return SharingResult(res.check_date, out, list(res.notices))


def legal_bases(lg: LineageGraph) -> dict[str, list[str]]:
    """IRI -> the lawful bases recorded on it (dpv:hasLegalBasis), for the store behind ``lg`` (per revision)."""
    got = lg.__dict__.get("_legal_bases")
    if got is None:
        got = {}
        if lg.store is not None:
            for s, b in lg.store.query(_Q_BASES, prefixes=False):
                got.setdefault(s.value, []).append(b.value)
        lg.__dict__["_legal_bases"] = got
    return got


def _crossing(lg: LineageGraph, h: dict[str, Any], path: list[str], bases: dict[str, list[str]]) -> Crossing:
    u, v = h["source"], h["target"]
    e = lg.g.edges[u, v, h["key"]]
    data = [n for n in _unique([u, *e.get("carries", ())]) if _personal(lg, n)]
    origin = path[0]
    special = any(lg.attrs(n).get("special") for n in (*data, origin))
    found = _unique(b for n in (h["agreement"], *data, origin) if n for b in bases.get(n, ()))
    art6 = [b for b in found if not b.startswith(_A9)]
    art9 = [b for b in found if b.startswith(_A9)]
    gaps = []
    if not h["covered"]:
        gaps.append(h["reason"])
    if not art6 and not h["statutory"]:
        gaps.append(GAP_BASIS)
    if special and not art9:
        gaps.append(GAP_ART9)
    return Crossing(
        source=u, source_label=lg.label(u), target=v, target_label=lg.label(v), outbound=lg.is_external(v),
        partner=h["partner"], partner_label=h["partner_label"], flow=h["flow"], flow_label=h["flow_label"],
        mechanism=h["mechanism"], data=[_ref(lg, n) for n in data or [origin]], special=special,
        path=[_ref(lg, n) for n in path], agreement=h["agreement"], agreement_label=h["agreement_label"],
        agreement_in_force=h["agreement_in_force"], partner_is_party=h["partner_is_party"],
        statutory=h["statutory"], covered=h["covered"], coverage=h["reason"],
        lawful_bases=[{"iri": b, "label": format_lawful_basis(b)} for b in art6],
        art9_conditions=[{"iri": b, "label": format_lawful_basis(b)} for b in art9], gaps=gaps)


def _personal(lg: LineageGraph, n: str) -> bool:
    a = lg.attrs(n)
    return bool(a.get("personal")) and a.get("kind") in DATA_KINDS


def _ref(lg: LineageGraph, n: str) -> dict[str, str]:
    return {"iri": n, "label": lg.label(n)}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
