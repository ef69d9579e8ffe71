"""What a harvester found, before it is turned into triples: datasets, fields, keys, lineage, findings.

Every harvester (databases today; dbt projects and shared drives later) fills one ``Harvest``;
``govgraph.harvest.writer`` turns it into the triples of one named source. Datasets are keyed
by their OpenLineage identifier (namespace, name), so references between them (foreign keys,
lineage) and a pipeline's reports of the same table meet on one node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: (OpenLineage namespace, name): how a harvested dataset is identified.
DatasetKey = tuple[str, str]


@dataclass
class Field:
    """A column as the system declares it."""
    name: str
    physical_type: str = ""
    nullable: bool | None = None
    description: str = ""
    primary_key: bool = False
    #: evidence that the column holds personal data ("nhs_no: 98 of 100 sampled values are valid NHS numbers")
    looks_personal: list[str] = field(default_factory=list)


@dataclass
class ForeignKey:
    """Columns of one dataset referring to columns of another."""
    columns: list[str]
    target: DatasetKey
    target_columns: list[str]


@dataclass
class Dataset:
    """A table, view or file as found."""
    key: DatasetKey
    title: str
    kind: str = "table"  # table | view (| model, file ... for other harvesters)
    description: str = ""
    fields: list[Field] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    row_count: int | None = None
    looks_personal: list[str] = field(default_factory=list)

    def field_named(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class Lineage:
    """``target`` is derived from ``sources`` (table level); ``fields`` maps a target column to
    the (source dataset, column) pairs it is computed from, where that is known."""
    target: DatasetKey
    sources: list[DatasetKey]
    fields: dict[str, list[tuple[DatasetKey, str]]] = field(default_factory=dict)


@dataclass
class Harvest:
    """Everything one harvest run found, and what it could not read (``skipped``) or only partly
    understood (``warnings``)."""
    system: str  # the IRI of the system holding the datasets
    origin: str  # where it was read from, with no secret (a URL with its password hidden)
    #: what was harvested: names the default source, ``harvest:<kind>:<system>`` (db, dbt, files)
    kind: str = "db"
    #: how the datasets are kept: a gov:StorageForm's local name (ManagedDatabase, Spreadsheet ...)
    storage_form: str = "ManagedDatabase"
    datasets: list[Dataset] = field(default_factory=list)
    lineage: list[Lineage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def by_key(self) -> dict[DatasetKey, Dataset]:
        return {d.key: d for d in self.datasets}
