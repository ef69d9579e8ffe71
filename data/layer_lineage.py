"""The lineage layers of datasets: source, staging, warehouse, marts, statutory returns and reports."""
from __future__ import annotations

from array import array
from typing import Sequence

from govgraph.data.reference import (AGGREGATED_MART_SHARE, CARRIED_TO_BI, CARRIED_TO_DWH, ENTITIES, ENTITY_BAG,
                                     ENTITY_INDEX, KEY_SHARE, LAYER_SHARES, PERSONAL, REPORT_FREQUENCIES, RETURNS,
                                     SHARE_FREQUENCIES, SHARE_MECHANISMS, SHARE_PROBABILITY, SOURCE_FREQUENCIES,
                                     SPECIAL, UNIT_INDEX, unit_named)
from govgraph.data.statements import DatasetSpec


class LineageLayer:
    """Part of ``generate.Estate``: see the module docstring."""

    def _datasets(self) -> None:
        sizes = {name: (max(1, round(share * self.n)) if name == "source" else round(share * self.n))
                 for name, share in LAYER_SHARES}
        sizes["report"] = max(0, self.n - sum(sizes.values()))
        writers = {"source": self._source, "staging": self._staging, "warehouse": self._warehouse,
                   "mart": self._mart, "return": self._return, "report": self._report}
        self.source_system = array("i", bytes(4 * sizes["source"]))
        step = max(1, self.n // 10)
        i = 0
        for name in ("source", "staging", "warehouse", "mart", "return", "report"):
            self.layer_start[name], self.layer_size[name] = i, sizes[name]
            self.pools[name] = [array("i") for _ in ENTITIES]
            for _ in range(sizes[name]):
                writers[name](i)
                i += 1
                if self.progress and i % step == 0:
                    self.progress(i, self.n)
        if self.progress and self.n % step:
            self.progress(self.n, self.n)

    def _pick_upstream(self, layers: Sequence[str], entity: int | None = None) -> int | None:
        """A dataset from the first of ``layers`` that has one (of ``entity`` if given)."""
        for layer in layers:
            if entity is None:
                size = self.layer_size.get(layer, 0)
                if size:
                    return self.layer_start[layer] + int(self.rng.random() * size)
            else:
                pool = self.pools[layer][entity]
                if pool:
                    return pool[int(self.rng.random() * len(pool))]
        return None

    def _more_upstream(self, layer: str, entity: int, first: int, most: int) -> list[int]:
        """``first`` plus up to ``most`` other datasets of the same entity in ``layer``."""
        chosen = [first]
        pool = self.pools[layer][entity]
        for _ in range(int(self.rng.random() * (most + 1))):
            other = pool[int(self.rng.random() * len(pool))] if pool else first
            if other not in chosen:
                chosen.append(other)
        return chosen

    def _inherit(self, spec: DatasetSpec, upstream: Sequence[int]) -> None:
        """Personal / special category flags from upstream datasets (stopped by aggregation)."""
        flags = 0
        for u in upstream:
            flags |= self.flags[u]
        spec.personal = bool(flags & PERSONAL) and not spec.aggregated
        spec.special = bool(flags & SPECIAL) and not spec.aggregated

    def _source(self, i: int) -> None:
        rng = self.rng
        master = i < len(ENTITIES)
        entity = i if master else self._pick(ENTITY_BAG)
        ent = ENTITIES[entity]
        unit = UNIT_INDEX[ent.unit]
        extras = self.unit_systems.get(unit)
        system = self._pick(extras) if extras and rng.random() < 0.5 else self.system_index[ent.system]
        sysinfo = self.systems[system]
        rec = int(rng.random() * len(ent.records))
        records = ent.records[rec]
        spec = DatasetSpec(
            i, "source", entity, 2 + int(rng.random() * 4),
            f"{records.capitalize()} ({sysinfo.label}) #{i}",
            f"{records.capitalize()} captured at source in {sysinfo.label} by {unit_named(ent.unit).label}.",
            system, unit, self._pick(SOURCE_FREQUENCIES), types=("gov:InformationAsset",),
            personal=ent.subject is not None, special=ent.special,
            purposes=(ent.unit,), art6=unit_named(ent.unit).art6, master=master, about=True,
            key=master or rng.random() < KEY_SHARE)
        spec.extra.append((self.t["gov:systemOfRecord"], self.t.true))
        if spec.key:
            spec.extra.append((self.t["gov:community"], self.t.node("community", "data-champions")))
        if master:
            spec.extra.append((self.t["gov:community"], self.t.node("community", "information-governance")))
        self.rec[i] = rec
        self.source_system[i] = system
        share = self.outbound.get(ent.unit)
        shared = self._pick(share) if share and rng.random() < SHARE_PROBABILITY else None
        if shared:
            spec.extra.append((self.t["gov:sharedWith"], self.t.node("partner", shared.partner)))
        self._write_dataset(spec)
        if master:
            self._system_flows_for(entity, i)
        if shared:
            self._boundary_flow(f"{records.capitalize()} shared with {self.partner_names[shared.partner]}",
                                self.t.node("dataset", f"d{i}"), self.t.node("partner", shared.partner),
                                i, shared, self._pick(SHARE_MECHANISMS), self._pick(SHARE_FREQUENCIES))

    def _staging(self, i: int) -> None:
        up = self._pick_upstream(("source",))
        entity, ent = self.entity[up], ENTITIES[self.entity[up]]
        records = ent.records[self.rec[up]]
        system = self.systems[self.source_system[up]]
        spec = DatasetSpec(
            i, "staging", entity, self.width[up], f"Staging: {records} from {system.label} #{i}",
            f"A nightly copy of {records} from {system.label}, landed in the warehouse staging area.",
            self.system_index["dwh-staging"], UNIT_INDEX[ent.unit], "freq:DAILY",
            purposes=(ent.unit,), art6=unit_named(ent.unit).art6, upstream=[up], alias=f"mssql://dwh/stg.d{i}")
        self.rec[i] = self.rec[up]
        self._inherit(spec, spec.upstream)
        defect = self._write_dataset(spec)
        if defect != "lineage_orphan":
            src = self.source_system[up]
            self._carry(f"etl:{src}", f"{system.label} to data warehouse nightly extract",
                        self.t.node("system", system.slug), self.t.node("system", "dwh"), "gov:ETL",
                        up, CARRIED_TO_DWH)
            self._flow(f"Load {records} #{up} into staging", self.t.node("dataset", f"d{up}"),
                       self.t.node("dataset", f"d{i}"), [self.t.node("dataset", f"d{up}")], "gov:ETL",
                       "freq:DAILY")

    def _warehouse(self, i: int) -> None:
        first = self._pick_upstream(("staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = "staging" if self.layer_size["staging"] else "source"
        upstream = self._more_upstream(layer, entity, first, 2)
        kind = ("fact table", "dimension", "snapshot")[int(self.rng.random() * 3)]
        records = ent.records[self.rec[first]]
        spec = DatasetSpec(
            i, "warehouse", entity, self.width[first], f"Warehouse {records} {kind} #{i}",
            f"Cleansed and conformed {records} in the data warehouse core.",
            self.system_index["dwh"], UNIT_INDEX[ent.unit], "freq:DAILY", types=("gov:InformationAsset",),
            purposes=(ent.unit,), art6=unit_named(ent.unit).art6, upstream=upstream, about=True,
            key=self.rng.random() < KEY_SHARE, alias=f"mssql://dwh/dbo.d{i}",
            transformation="cleansed and conformed")
        self.rec[i] = self.rec[first]
        self._inherit(spec, upstream)
        if self._write_dataset(spec) != "lineage_orphan":
            self._flow(f"Transform {records} #{first} into the warehouse", self.t.node("dataset", f"d{first}"),
                       self.t.node("dataset", f"d{i}"), [self.t.node("dataset", f"d{first}")], "gov:ETL",
                       "freq:DAILY")

    def _mart(self, i: int) -> None:
        rng = self.rng
        first = self._pick_upstream(("warehouse", "staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = next(name for name in ("warehouse", "staging", "source") if self.layer_size[name])
        upstream = self._more_upstream(layer, entity, first, 1)
        aggregated = rng.random() < AGGREGATED_MART_SHARE
        records = ent.records[self.rec[first]]
        spec = DatasetSpec(
            i, "mart", entity, self.width[first], "", "", self.system_index["dwh"], UNIT_INDEX[ent.unit],
            self._pick(("freq:DAILY", "freq:WEEKLY", "freq:MONTHLY")), types=("gov:InformationAsset",),
            aggregated=aggregated, upstream=upstream, alias=f"mssql://dwh/mart.d{i}",
            purposes=("analytics",), art6=unit_named(ent.unit).art6,
            transformation="aggregated" if aggregated else "pseudonymised")
        self._inherit(spec, upstream)
        spec.analytics = not aggregated and spec.personal and rng.random() < 0.5
        if aggregated:
            spec.anonymisation = "gov:Aggregated"
            spec.title, what = f"{ent.label} {records} summary mart #{i}", "Aggregated counts of"
        elif spec.analytics:
            spec.anonymisation = "gov:Pseudonymised"
            spec.title, what = f"{ent.label} risk model features #{i}", "Pseudonymised features from"
        else:
            spec.anonymisation = "gov:Pseudonymised" if spec.personal else None
            spec.title, what = f"{ent.label} {records} analysis mart #{i}", "Record-level analysis of"
        spec.description = f"{what} {records} for analysis and reporting."
        spec.extra.append((self.t["gov:community"], self.t.node("community", "analytics")))
        self.rec[i] = self.rec[first]
        self._write_dataset(spec)

    def _return(self, i: int) -> None:
        eligible = [r for r in RETURNS if any(self.pools[layer][ENTITY_INDEX[r.entity]]
                                              for layer in ("warehouse", "staging", "source"))]
        if not eligible:
            self._report(i)
            return
        ret = self._pick(eligible)
        entity = ENTITY_INDEX[ret.entity]
        ent = ENTITIES[entity]
        first = self._pick_upstream(("warehouse", "staging", "source"), entity)
        year = 2019 + int(self.rng.random() * 8)
        title = f"{ret.label} {year}-{(year + 1) % 100:02d} #{i}"
        partner = self.partner_names[ret.partner]
        spec = DatasetSpec(
            i, "return", entity, self.width[first], title,
            f"The {ret.label} for {year}-{(year + 1) % 100:02d}, submitted to {partner}.",
            self.system_index["dwh"], UNIT_INDEX[ent.unit], ret.frequency,
            types=("gov:InformationAsset", "gov:StatutoryReturn"), aggregated=ret.aggregated,
            anonymisation="gov:Aggregated" if ret.aggregated else None, upstream=[first],
            purposes=("statutory-returns",), art6="eu-gdpr:A6-1-c", key=True,
            transformation="aggregated" if ret.aggregated else "extracted to the return specification")
        spec.extra.append((self.t["gov:submittedTo"], self.t.node("partner", ret.partner)))
        self._inherit(spec, spec.upstream)
        self.rec[i] = self.rec[first]
        self._write_dataset(spec)
        t = self.t
        target = t.node("system", ret.target_system) if ret.target_system else t.node("partner", ret.partner)
        self._boundary_flow(f"Submit {ret.label} {year} to {partner}", t.node("dataset", f"d{i}"), target, i,
                            self.rows[ret.row], "gov:FileUpload", ret.frequency)

    def _report(self, i: int) -> None:
        first = self._pick_upstream(("mart", "warehouse", "staging", "source"))
        entity, ent = self.entity[first], ENTITIES[self.entity[first]]
        layer = next(name for name in ("mart", "warehouse", "staging", "source") if self.layer_size[name])
        upstream = self._more_upstream(layer, entity, first, 1)
        kind = ("dashboard", "performance report", "monthly scorecard")[int(self.rng.random() * 3)]
        records = ent.records[self.rec[first]]
        unit = unit_named(ent.unit)
        spec = DatasetSpec(
            i, "report", entity, self.width[first], f"{unit.label} {records} {kind} #{i}",
            f"Power BI {kind} of {records} for {unit.label} managers.", self.system_index["powerbi"],
            UNIT_INDEX[ent.unit], self._pick(REPORT_FREQUENCIES), types=("gov:Report",), aggregated=True,
            anonymisation="gov:Aggregated", upstream=upstream, transformation="aggregated")
        spec.extra.append((self.t["gov:community"], self.t.node("community", "analytics")))
        self.rec[i] = self.rec[first]
        if self._write_dataset(spec) != "report_no_source":
            for up in upstream:
                self._carry("bi", "Warehouse to Power BI refresh", self.t.node("system", "dwh"),
                            self.t.node("system", "powerbi"), "gov:DatabaseLink", up, CARRIED_TO_BI)
