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
class Measurement:
    """A quality measurement (``dqv:QualityMeasurement``): a metric's value between 0 and 1, when it
    was taken and the evidence in words ("2 of 2 dbt tests passed: unique(child_id), not_null(child_id)")."""
    metric: str  # the local name of a gov: dqv:Metric (uniquenessRate, documentationCoverage ...)
    value: float
    at: str  # xsd:dateTime
    evidence: str = ""


@dataclass
class Dataset:
    """A table, view or file as found."""
    key: DatasetKey
    title: str
    kind: str = "table"  # table | view | model | source | seed | snapshot | exposure | file
    description: str = ""
    fields: list[Field] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    row_count: int | None = None
    looks_personal: list[str] = field(default_factory=list)
    #: further classes, local names of gov: classes (Report, StatutoryReturn)
    types: list[str] = field(default_factory=list)
    #: owners as the harvested system names them (dbt ``meta.owner``), and the people they were matched to
    owner_names: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    #: where a file is kept (``gov:storageLocation``), its size in bytes and when it was last modified
    location: str = ""
    byte_size: int | None = None
    modified: str = ""
    #: a web page showing it (a dashboard's URL)
    landing_page: str = ""

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
