"""Systems, sharing agreements and flows (system to system, dataset to dataset, and across the boundary)."""
from __future__ import annotations

from typing import Sequence

from govgraph.data.reference import (AGREEMENT_DEFECTS, CORE_SYSTEMS, DATA_UNITS, ENTITY_INDEX, EXTRA_SYSTEM_KINDS,
                                     FLOW_DEFECTS, HOSTING, PERSONAL, SPECIAL, SYSTEM_FLOWS, UNIT_INDEX, VENDORS,
                                     SharingRow, SystemSpec, purpose_label, unit_named)
from govgraph.data.statements import SystemInfo


class SharingLayer:
    """Part of ``generate.Estate``: see the module docstring."""

    def _systems(self) -> None:
        ict, bi = UNIT_INDEX["ict"], UNIT_INDEX["business-intelligence"]
        specs = list(CORE_SYSTEMS)
        for k in range(max(0, self.n // 200 + 10 - len(CORE_SYSTEMS))):
            unit = DATA_UNITS[k % len(DATA_UNITS)]
            kind = EXTRA_SYSTEM_KINDS[(k // len(DATA_UNITS)) % len(EXTRA_SYSTEM_KINDS)]
            specs.append(SystemSpec(f"sys-{k + 1}", f"{unit.label} {kind} {k + 1}", "gov:System",
                                    self._pick(VENDORS), self._pick(HOSTING), unit.slug,
                                    f"A line-of-business {kind} used by {unit.label}."))
        for spec in specs:
            unit = UNIT_INDEX[spec.unit]
            run_by = bi if spec.unit == "business-intelligence" else ict
            info = SystemInfo(spec.slug, spec.label, unit, owner=unit,
                              custodian=self._member(run_by, 1, 1 << 30),
                              document_store=spec.cls == "gov:DocumentStore")
            self.system_index[spec.slug] = len(self.systems)
            self.systems.append(info)
            self._write_system(spec, info)
            if spec.slug.startswith("sys-"):
                self.unit_systems.setdefault(unit, []).append(len(self.systems) - 1)
        self.counts["systems"] = len(self.systems)

    def _write_system(self, spec: SystemSpec, info: SystemInfo) -> None:
        t, lit = self.t, self.t.lit
        pairs = [(t["a"], t[spec.cls]), (t["rdfs:label"], lit(spec.label)),
                 (t["dcterms:description"], lit(spec.description)), (t["gov:vendor"], lit(spec.vendor)),
                 (t["gov:hosting"], lit(spec.hosting)), (t["gov:owner"], t.node("person", f"p{info.owner}")),
                 (t["gov:custodian"], t.node("person", f"p{info.custodian}")),
                 (t["gov:serviceArea"], t.node("unit", spec.unit))]
        if spec.operated_by:
            pairs.append((t["gov:operatedBy"], t.node("partner", spec.operated_by)))
        if spec.part_of:
            pairs.append((t["gov:partOfSystem"], t.node("system", spec.part_of)))
        self.sink.emit(t.node("system", spec.slug), pairs)

    def _agreements(self) -> None:
        for row in self.rows.values():
            defect = self._defect(AGREEMENT_DEFECTS) if self._roll() else None
            if defect:
                self.counts["defective_agreements"] += 1
            self._write_agreement(row, row.slug, defect=defect)

    def _write_agreement(self, row: SharingRow, slug: str, *, defect: str | None = None,
                         valid: tuple[str, str, str] = ("2024-01-01", "2030-12-31", "2029-06-30"),
                         art9: bool = True, note: str = "") -> str:
        """Write a sharing agreement for ``row``; returns its node."""
        t, lit = self.t, self.t.lit
        partner = self.partner_names[row.partner]
        unit = unit_named(row.unit)
        label = f"{unit.label} data sharing agreement with {partner}{note}"
        node = t.node("agreement", slug)
        pairs = [(t["a"], t["gov:SharingAgreement"]), (t["rdfs:label"], lit(label)),
                 (t["dcterms:description"], lit(f"Sharing of {unit.label} data with {partner} for "
                                                f"{purpose_label(row.purpose).lower()}.")),
                 (t["gov:party"], t.node("org", "council")), (t["gov:party"], t.node("partner", row.partner)),
                 (t["gov:owner"], t.node("person", f"p{UNIT_INDEX[row.unit]}")),
                 (t["dpv:hasPurpose"], t.node("purpose", row.purpose))]
        if defect != "agreement_no_lawful_basis":
            pairs.append((t["dpv:hasLegalBasis"], t["eu-gdpr:A6-1-e"]))
            if art9 and row.art9:
                pairs.append((t["dpv:hasLegalBasis"], t[row.art9]))
        review = "2025-06-30" if defect == "agreement_review_overdue" else valid[2]
        pairs += [(t["gov:validFrom"], t.date(valid[0])), (t["gov:validUntil"], t.date(valid[1])),
                  (t["gov:reviewDate"], t.date(review))]
        self.sink.emit(node, pairs)
        self.counts["agreements"] += 1
        return node

    def _lazy_agreement(self, row: SharingRow, kind: str) -> str:
        """The superseded (expired) or general (no Art 9 condition) agreement for ``row``."""
        key = f"{kind}:{row.slug}"
        if key not in self._lazy:
            if kind == "expired":
                node = self._write_agreement(row, f"{row.slug}-2021", note=" (2021, expired)",
                                             valid=("2021-04-01", "2025-03-31", "2024-03-31"))
            else:
                node = self._write_agreement(row, f"{row.slug}-general", art9=False,
                                             note=" (general terms)")
            self._lazy[key] = node
        return self._lazy[key]

    # -- flows ---------------------------------------------------------------------------

    def _flow(self, label: str, source: str, target: str, carries: Sequence[str], mechanism: str,
              frequency: str, covered: str | None = None) -> str:
        t = self.t
        self._flow_no += 1
        node = t.node("flow", f"f{self._flow_no}")
        pairs = [(t["a"], t["gov:Flow"]), (t["rdfs:label"], t.lit(label)), (t["gov:source"], source),
                 (t["gov:target"], target)]
        pairs += [(t["gov:carries"], c) for c in carries]
        pairs += [(t["gov:mechanism"], t[mechanism]), (t["gov:frequency"], t[frequency])]
        if covered:
            pairs.append((t["gov:coveredBy"], covered))
        self.sink.emit(node, pairs)
        self.counts["flows"] += 1
        return node

    def _boundary_flow(self, label: str, source: str, target: str, carried: int, row: SharingRow,
                       mechanism: str, frequency: str) -> None:
        """A flow across the boundary, covered by the row's agreement unless given a defect."""
        flags = self.flags[carried]
        defect = None
        if flags & PERSONAL:
            kinds = FLOW_DEFECTS if flags & SPECIAL and row.art9 else FLOW_DEFECTS[:2]
            defect = self._defect(kinds) if self._roll() else None
            self.counts["personal_boundary_flows"] += 1
        covered: str | None = self.t.node("agreement", row.slug)
        if defect == "no_agreement":
            covered = None
        elif defect == "expired_agreement":
            covered = self._lazy_agreement(row, "expired")
        elif defect == "no_art9_condition":
            covered = self._lazy_agreement(row, "general")
        if defect:
            self.counts["defective_flows"] += 1
        self._flow(label, source, target, [self.t.node("dataset", f"d{carried}")], mechanism, frequency, covered)

    def _carry(self, key: str, label: str, source: str, target: str, mechanism: str, dataset: int,
               bit: int) -> None:
        """Add ``dataset`` to the system-level flow ``key`` (written on first use), once."""
        if self.flags[dataset] & bit:
            return
        self.flags[dataset] |= bit
        t = self.t
        if key not in self._lazy:
            self._lazy[key] = self._flow(label, source, target, [], mechanism, "freq:DAILY")
        self.sink.emit(self._lazy[key], [(t["gov:carries"], t.node("dataset", f"d{dataset}"))])

    def _system_flows_for(self, entity: int, master: int) -> None:
        """The fixed system-level integrations that carry an entity's master dataset."""
        t = self.t
        for slug, label, skind, source, tkind, target, mechanism, row in SYSTEM_FLOWS:
            if ENTITY_INDEX[slug] == entity:
                self._boundary_flow(label, t.node(skind, source), t.node(tkind, target), master,
                                    self.rows[row], mechanism, "freq:DAILY")
