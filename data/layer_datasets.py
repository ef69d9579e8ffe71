"""Writing one dataset: its defects, description, custody, analytics and personal-data statements,
fields and quality measurements."""
from __future__ import annotations

from typing import Sequence

from govgraph.data.reference import (AGGREGATED, ENTITIES, METRICS, PERSONAL, RECENT_TIMES, RECORD_COUNT, SPECIAL,
                                     STALE_TIMES, TARGETS_MILLI, UNITS, Column, Entity, unit_named)
from govgraph.data.statements import DatasetSpec, Pairs, column_slugs, columns_of


class DatasetWriter:
    """Part of ``generate.Estate``: see the module docstring."""

    def _applicable_defects(self, spec: DatasetSpec, cols: Sequence[Column]) -> list[str]:
        kinds = ["missing_owner", "no_steward", "owner_left", "no_classification", "missing_title",
                 "missing_description", "no_theme", "no_frequency", "no_system"]
        if spec.layer in ("source", "mart"):
            kinds.append("off_system_spreadsheet")
        if spec.personal:
            kinds += ["no_access_group", "no_purpose", "no_lawful_basis"]
        if spec.special:
            kinds.append("no_dpia")
        if spec.analytics and spec.personal:
            kinds.append("no_ethics")
        if any(c.standard for c in cols):
            kinds.append("key_identifier_no_scheme")
        if spec.key:
            kinds += ["no_quality_target", "measurement_below_target", "stale_measurement"]
        if spec.layer == "report":
            kinds.append("report_no_source")
        if spec.layer in ("staging", "warehouse", "mart"):
            kinds.append("lineage_orphan")
        if spec.layer == "source" and not spec.master:
            kinds.append("duplicate_master")
        return kinds

    def _write_dataset(self, spec: DatasetSpec) -> str | None:
        """Write a dataset, its fields and quality; returns the defect given to it, if any."""
        cols = columns_of(spec.entity, spec.width, spec.aggregated)
        defect = self._defect(self._applicable_defects(spec, cols)) if self._roll() else None
        if defect:
            self.counts["defective_datasets"] += 1
        t, ent = self.t, ENTITIES[spec.entity]
        node = t.node("dataset", f"d{spec.index}")
        pairs = self._description_pairs(spec, cols, defect) + self._custody_pairs(spec, defect)
        pairs += self._analytics_pairs(spec)
        if spec.personal:
            pairs += self._personal_pairs(spec, ent, defect)
        if spec.anonymisation:
            pairs.append((t["gov:anonymisation"], t[spec.anonymisation]))
        if spec.alias:
            pairs.append((t["gov:alias"], t.lit(spec.alias)))
        linked = defect not in ("report_no_source", "lineage_orphan")
        if linked:
            pairs += [(t["prov:wasDerivedFrom"], t.node("dataset", f"d{u}")) for u in spec.upstream]
        self.sink.emit(node, pairs + spec.extra)
        self._record(spec)
        self._write_fields(spec, cols, node, defect, spec.upstream if linked else [])
        if spec.key:
            self._write_quality(node, defect)
        return defect

    def _description_pairs(self, spec: DatasetSpec, cols: Sequence[Column], defect: str | None) -> Pairs:
        """Types, title, description, glossary links, frequency, standard, master and key flags."""
        t, ent = self.t, ENTITIES[spec.entity]
        pairs = [(t["a"], t["dcat:Dataset"])] + [(t["a"], t[c]) for c in spec.types]
        if defect != "missing_title":
            pairs.append((t["dcterms:title"], t.lit(spec.title)))
        if defect != "missing_description":
            pairs.append((t["dcterms:description"], t.lit(spec.description)))
        if defect != "no_theme":
            pairs.append((t["dcat:theme"], t.node("term", f"theme-{ent.unit}")))
        if defect != "no_frequency":
            pairs.append((t["dcterms:accrualPeriodicity"], t[spec.frequency]))
        standard = next((c.standard for c in cols if c.standard), "iso-8601")
        pairs.append((t["dcterms:conformsTo"], t.node("standard", standard)))
        if spec.about:
            pairs.append((t["gov:aboutEntity"], t.node("term", ent.slug)))
        if spec.master or defect == "duplicate_master":
            pairs.append((t["gov:masterOf"], t.node("term", ent.slug)))
        if spec.key:
            pairs.append((t["gov:keyDataset"], t.true))
        pairs.append((t["gov:retentionPeriod"], t.lit(ent.retention)))
        return pairs

    def _custody_pairs(self, spec: DatasetSpec, defect: str | None) -> Pairs:
        """Where it is held, who is responsible for it, and its security classification."""
        t, unit, system = self.t, UNITS[spec.unit], self.systems[spec.system]
        if defect == "off_system_spreadsheet":
            pairs = [(t["gov:heldIn"], t.node("system", "sharepoint")), (t["gov:storageForm"], t["gov:Spreadsheet"])]
        elif defect == "no_system":
            pairs = []
        else:
            form = "gov:DocumentLibrary" if system.document_store else "gov:ManagedDatabase"
            pairs = [(t["gov:heldIn"], t.node("system", system.slug)), (t["gov:storageForm"], t[form])]
        if defect == "owner_left":
            leaver = self.n_current + int(self.rng.random() * self.n_leavers)
            pairs.append((t["gov:owner"], t.node("person", f"p{leaver}")))
        elif defect != "missing_owner":
            pairs.append((t["gov:owner"], t.node("person", f"p{self._owner(spec.unit)}")))
        if defect != "no_steward":
            pairs.append((t["gov:steward"], t.node("person", f"p{self._steward(spec.unit)}")))
        pairs += [(t["gov:custodian"], t.node("person", f"p{system.custodian}")),
                  (t["gov:serviceArea"], t.node("unit", unit.slug))]
        sensitive = spec.personal or spec.special
        if defect != "no_classification":
            pairs.append((t["gov:classification"], t["gov:OfficialSensitive" if sensitive else "gov:Official"]))
        if sensitive and defect != "no_access_group":
            pairs.append((t["gov:accessGroup"], t.lit(f"SG-{unit.slug}-{spec.layer}")))
        return pairs

    def _analytics_pairs(self, spec: DatasetSpec) -> Pairs:
        """Principle 11: a report, return or analytics product names its analyst and its method.

        The analyst is the custodian of the tool it is held in (Power BI's for reports, the
        warehouse's for returns and models); no random number is drawn, so the rest of the
        estate is the same as without these statements.
        """
        if not (spec.analytics or "gov:Report" in spec.types or "gov:StatutoryReturn" in spec.types):
            return []
        t = self.t
        return [(t["gov:analyticsOwner"], t.node("person", f"p{self.systems[spec.system].custodian}")),
                (t["gov:method"], t.lit(f"Method note M{spec.index}: definitions and calculation steps"))]

    def _personal_pairs(self, spec: DatasetSpec, ent: Entity, defect: str | None) -> Pairs:
        """Personal data categories, subjects, purposes, lawful bases, DPIA and ethics links."""
        t = self.t
        pairs = [(t["dpv:hasPersonalData"], t["dpv:PersonalData"])]
        if spec.special:
            pairs.append((t["dpv:hasPersonalData"], t["dpv:SpecialCategoryPersonalData"]))
        if ent.subject:
            pairs.append((t["dpv:hasDataSubject"], t[ent.subject]))
        if defect != "no_purpose":
            pairs += [(t["dpv:hasPurpose"], t.node("purpose", p)) for p in spec.purposes]
        if defect != "no_lawful_basis":
            pairs.append((t["dpv:hasLegalBasis"], t[spec.art6]))
            if spec.special and unit_named(ent.unit).art9:
                pairs.append((t["dpv:hasLegalBasis"], t[unit_named(ent.unit).art9]))
        if spec.special:
            pairs.append((t["gov:highRisk"], t.true))
            if defect != "no_dpia":
                pairs.append((t["gov:hasDPIA"], t.node("dpia", ent.unit)))
        if spec.analytics:
            pairs.append((t["gov:analytics"], t.true))
            if defect != "no_ethics":
                pairs.append((t["gov:hasEthicsAssessment"], t.node("ethics", ent.unit)))
        return pairs

    def _record(self, spec: DatasetSpec) -> None:
        """Remember what later layers need to know about a dataset."""
        i = spec.index
        self.entity[i] = spec.entity
        self.width[i] = spec.width
        self.flags[i] = ((PERSONAL if spec.personal else 0) | (SPECIAL if spec.special else 0)
                         | (AGGREGATED if spec.aggregated else 0))
        self.pools[spec.layer][spec.entity].append(i)
        self.counts[f"{spec.layer}_datasets"] += 1
        if spec.key:
            self.counts["key_datasets"] += 1

    def _write_fields(self, spec: DatasetSpec, cols: Sequence[Column], node: str, defect: str | None,
                      upstream: Sequence[int]) -> None:
        t, lit, i = self.t, self.t.lit, spec.index
        sources = [(u, column_slugs(self.entity[u], self.width[u], bool(self.flags[u] & AGGREGATED)),
                    columns_of(self.entity[u], self.width[u], bool(self.flags[u] & AGGREGATED)))
                   for u in upstream]
        drop_scheme = defect == "key_identifier_no_scheme"
        for position, col in enumerate(cols):
            pairs = [(t["a"], t["gov:Field"]), (t["rdfs:label"], lit(col.label)), (t["gov:fieldOf"], node),
                     (t["gov:dataType"], lit(col.dtype))]
            if col.standard:
                pairs.append((t["gov:keyIdentifier"], t.true))
                if drop_scheme:
                    drop_scheme = False
                else:
                    pairs.append((t["gov:identifierScheme"], t.node("standard", col.standard)))
                pairs.append((t["gov:definedBy"], t.node("term", ENTITIES[spec.entity].slug)))
            how = None
            for n, (u, slugs, ucols) in enumerate(sources):
                if n and (spec.aggregated or position):   # further upstreams: the join key only
                    break
                if col.slug in slugs:
                    src, how = col.slug, how or spec.transformation
                elif col is RECORD_COUNT:                 # a count of the upstream's records
                    src, how = ucols[0].slug, "counted"
                else:
                    continue
                pairs.append((t["gov:derivedFromField"], t.node("field", f"d{u}.{src}")))
            if how:
                pairs.append((t["gov:transformation"], lit(how)))
            self.sink.emit(t.node("field", f"d{i}.{col.slug}"), pairs)
        self.counts["fields"] += len(cols)

    def _write_quality(self, node: str, defect: str | None) -> None:
        """Quality targets and measurements for a key dataset (one or two metrics)."""
        if defect == "no_quality_target":
            return
        t, rng = self.t, self.rng
        first = int(rng.random() * len(METRICS))
        metrics = [first] + ([(first + 1 + int(rng.random() * 5)) % len(METRICS)] if rng.random() < 0.5 else [])
        for n, m in enumerate(metrics):
            self._quality_no += 1
            target = self._pick(TARGETS_MILLI)
            if n == 0 and defect == "measurement_below_target":
                value = target - 10 - int(rng.random() * 110)
            else:
                value = target + int(rng.random() * (1001 - target))
            when = self._pick(STALE_TIMES if defect == "stale_measurement" else RECENT_TIMES)
            self.sink.emit(t.node("quality", f"t{self._quality_no}"), [
                (t["a"], t["gov:QualityTarget"]), (t["gov:targetFor"], node), (t["gov:metric"], t[METRICS[m]]),
                (t["gov:targetValue"], t.milli(target))])
            self.sink.emit(t.node("quality", f"m{self._quality_no}"), [
                (t["a"], t["dqv:QualityMeasurement"]), (t["dqv:computedOn"], node),
                (t["dqv:isMeasurementOf"], t[METRICS[m]]), (t["dqv:value"], t.milli(value)),
                (t["prov:generatedAtTime"], t.datetime(when))])
        self.counts["quality_targets"] += len(metrics)
        self.counts["measurements"] += len(metrics)
