"""A Harvest as the triples of one named source, written through the validated whole-source path.

The source is replaced as a unit (``govgraph.io.catalogued.write_catalogue``): a run that finds what
the last one found writes nothing (no new revision); otherwise the change record carries, as its
note, what changed in words (``changes.summary``), shown by ``govgraph history --source NAME``.
Only harvested facts are in the source: owners, classifications and descriptions that people
wrote about the same datasets live in their own sources and meet the harvest's in the views.

A harvested table is committed as found: the gaps it shows (no owner, no classification) are
for curators to fill in their sources, not a reason to refuse the harvest. The write is an as-is
write (``shapes/baseline.py``): the gaps become the harvest source's baseline, shown with every
source's known gaps, and shrink as curators fill them in; a re-harvest that adds a gap records it
in the baseline the same way, in the open.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import quote

import pyoxigraph as ox

from govgraph.errors import BadInput
from govgraph.harvest.changes import first_harvest, summary
from govgraph.harvest.model import DatasetKey, Harvest
from govgraph.io.iar import DEFAULT_BASE
from govgraph.io.openlineage_mapping import OL_DATASET_PREFIX, alias_of, field_iri
from govgraph.io.catalogued import write_catalogue
from govgraph.io.write import WriteResult, source_triples
from govgraph.ontology.ns import DCAT, DCTERMS, DQV, FOAF, GOV, PROV, RDF, RDFS
from govgraph.store import Store, source_graph_iri

_XSD = "http://www.w3.org/2001/XMLSchema#"


def _n(term) -> ox.NamedNode:
    return ox.NamedNode(str(term))


_A = _n(RDF.type)
_DATASET, _FIELD = _n(DCAT.Dataset), _n(GOV.Field)
_TITLE, _DESCRIPTION, _LABEL = _n(DCTERMS.title), _n(DCTERMS.description), _n(RDFS.label)
_ALIAS, _HELD_IN, _STORAGE = _n(GOV.alias), _n(GOV.heldIn), _n(GOV.storageForm)
_KIND, _ROWS, _LOOKS, _LINKS = _n(GOV.objectKind), _n(GOV.rowCount), _n(GOV.looksPersonal), _n(GOV.linksTo)
_FIELD_OF, _PHYSICAL, _NULLABLE, _PK = _n(GOV.fieldOf), _n(GOV.physicalType), _n(GOV.nullable), _n(GOV.primaryKey)
_REFERENCES, _DERIVED_FIELD, _DERIVED = _n(GOV.references), _n(GOV.derivedFromField), _n(PROV.wasDerivedFrom)
_OWNER, _LOCATION, _SIZE, _MODIFIED, _PAGE = (_n(GOV.owner), _n(GOV.storageLocation), _n(DCAT.byteSize),
                                               _n(DCTERMS.modified), _n(DCAT.landingPage))
_MEASUREMENT, _ON, _OF, _VALUE = (_n(DQV.QualityMeasurement), _n(DQV.computedOn), _n(DQV.isMeasurementOf),
                                  _n(DQV.value))
_AT, _COMMENT = _n(PROV.generatedAtTime), _n(RDFS.comment)
_SYSTEM_TYPES = [str(GOV.System), str(GOV.DataWarehouse), str(GOV.DataLake), str(GOV.Database), str(GOV.DocumentStore)]


def _typed(text: str, xsd: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(_XSD + xsd))


def _bool(v: bool) -> ox.Literal:
    return ox.Literal("true" if v else "false", datatype=ox.NamedNode(_XSD + "boolean"))


def default_source(system_iri: str, kind: str = "db") -> str:
    """``harvest:<kind>:<system>``: the default source name of a harvest (``harvest:db:dwh``)."""
    return f"harvest:{kind}:" + system_iri.rstrip("/").rsplit("/", 1)[-1]


def resolve_system(store: Store, name_or_iri: str) -> str:
    """The IRI of the system a harvest's datasets are held in: an IRI of a system in the store, or
    the exact name (label) of one; BadInput otherwise (the system is recorded first, with its owner)."""
    types = " ".join(f"<{t}>" for t in _SYSTEM_TYPES)
    if name_or_iri.startswith(("http://", "https://", "urn:")):
        q = f"ASK {{ VALUES ?t {{ {types} }} <{name_or_iri}> a ?t }}"
        if store.query(q, prefixes=False):
            return name_or_iri
        raise BadInput(f"no system <{name_or_iri}> in the store: record the system first (its owner and custodian), "
                       "then harvest into it")
    text = name_or_iri.strip().lower()
    q = (f"SELECT DISTINCT ?s ?l WHERE {{ VALUES ?t {{ {types} }} ?s a ?t ; "
         f"<{RDFS.label}>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }}")
    rows = store.query(q, prefixes=False)
    hits = sorted({r["s"].value for r in rows if r["l"].value.strip().lower() == text})
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise BadInput(f"{len(hits)} systems are named {name_or_iri!r}: give the IRI of one ({', '.join(hits)})")
    known = sorted({r["l"].value for r in store.query(q, prefixes=False)})
    close = [k for k in known if text in k.lower() or k.lower() in text][:5]
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    raise BadInput(f"no system named {name_or_iri!r} in the store{hint}: record the system first, or give its IRI")


def dataset_iris(store: Store, h: Harvest, source: str = "") -> dict[DatasetKey, str]:
    """The node of each harvested dataset: a catalogue dataset already known by the same
    OpenLineage identifier (``gov:alias``, as OpenLineage ingest resolves it) if there is one,
    else ``<base>dataset/<system>.<name>``; the same table always gets the same node."""
    slug = h.system.rstrip("/").rsplit("/", 1)[-1]
    found = _aliased(store, [alias_of(*d.key) for d in h.datasets], source)
    return {d.key: found.get(alias_of(*d.key)) or f"{DEFAULT_BASE}dataset/{quote(slug, safe='')}.{quote(d.key[1], safe='.')}"
            for d in h.datasets}


#: aliases looked up per query (a SPARQL server gets one request per batch, not one per table)
ALIAS_BATCH = 500


def _aliased(store: Store, aliases: list[str], source: str) -> dict[str, str]:
    """alias -> the catalogue node carrying it in a live source: one that another source (a curator's)
    aliases first, then the harvest's own (``source``) from its last run; the first in IRI order
    among equals, as OpenLineage ingest resolves them. Nodes OpenLineage minted for datasets no
    catalogue held are not catalogue datasets and are left out."""
    own = source_graph_iri(source) if source else ""
    out: dict[str, list[tuple[bool, str]]] = {}
    texts = sorted(set(aliases))
    for i in range(0, len(texts), ALIAS_BATCH):
        values = " ".join(str(ox.Literal(t)) for t in texts[i:i + ALIAS_BATCH])
        q = (f"SELECT DISTINCT ?s ?a ?g WHERE {{ VALUES ?a {{ {values} }} "
             f"GRAPH ?g {{ ?s <{GOV.alias}> ?a }} FILTER(isIRI(?s)) }}")
        for r in store.query(q, prefixes=False):
            if not r["s"].value.startswith(OL_DATASET_PREFIX):
                out.setdefault(r["a"].value, []).append((r["g"].value == own, r["s"].value))
    return {a: min(nodes)[1] for a, nodes in out.items()}


def harvest_triples(h: Harvest, iris: dict[DatasetKey, str]) -> Iterator[ox.Triple]:
    """The facts a harvest states (deterministic: the same harvest gives the same triples)."""
    system = ox.NamedNode(h.system)
    storage = _n(GOV[h.storage_form])
    for ds in h.datasets:
        d = ox.NamedNode(iris[ds.key])
        yield ox.Triple(d, _A, _DATASET)
        yield ox.Triple(d, _TITLE, ox.Literal(ds.title))
        yield ox.Triple(d, _ALIAS, ox.Literal(alias_of(*ds.key)))
        yield ox.Triple(d, _HELD_IN, system)
        yield ox.Triple(d, _STORAGE, storage)
        yield ox.Triple(d, _KIND, ox.Literal(ds.kind))
        if ds.description:
            yield ox.Triple(d, _DESCRIPTION, ox.Literal(ds.description))
        if ds.row_count is not None:
            yield ox.Triple(d, _ROWS, ox.Literal(str(ds.row_count), datatype=ox.NamedNode(_XSD + "integer")))
        for text in ds.looks_personal:
            yield ox.Triple(d, _LOOKS, ox.Literal(text))
        yield from _more_triples(d, ds)
        for f in ds.fields:
            fi = ox.NamedNode(field_iri(d.value, f.name))
            yield ox.Triple(fi, _A, _FIELD)
            yield ox.Triple(fi, _FIELD_OF, d)
            yield ox.Triple(fi, _LABEL, ox.Literal(f.name))
            if f.physical_type:
                yield ox.Triple(fi, _PHYSICAL, ox.Literal(f.physical_type))
            if f.nullable is not None:
                yield ox.Triple(fi, _NULLABLE, _bool(f.nullable))
            if f.primary_key:
                yield ox.Triple(fi, _PK, _bool(True))
            if f.description:
                yield ox.Triple(fi, _DESCRIPTION, ox.Literal(f.description))
            for text in f.looks_personal:
                yield ox.Triple(fi, _LOOKS, ox.Literal(text))
        for fk in ds.foreign_keys:
            t = iris[fk.target]
            yield ox.Triple(d, _LINKS, ox.NamedNode(t))
            for c, tc in zip(fk.columns, fk.target_columns):
                yield ox.Triple(ox.NamedNode(field_iri(d.value, c)), _REFERENCES, ox.NamedNode(field_iri(t, tc)))
    for lin in h.lineage:
        d = iris[lin.target]
        for s in lin.sources:
            yield ox.Triple(ox.NamedNode(d), _DERIVED, ox.NamedNode(iris[s]))
        for col, srcs in lin.fields.items():
            for s, c in srcs:
                yield ox.Triple(ox.NamedNode(field_iri(d, col)), _DERIVED_FIELD, ox.NamedNode(field_iri(iris[s], c)))


def _more_triples(d: ox.NamedNode, ds) -> Iterator[ox.Triple]:
    """What other harvesters than the database's state: classes, owners, quality measurements,
    a file's location, size and date, a dashboard's page."""
    for t in ds.types:
        yield ox.Triple(d, _A, _n(GOV[t]))
    for person in ds.owners:
        yield ox.Triple(d, _OWNER, ox.NamedNode(person))
    if ds.location:
        yield ox.Triple(d, _LOCATION, ox.Literal(ds.location))
    if ds.byte_size is not None:
        yield ox.Triple(d, _SIZE, _typed(str(ds.byte_size), "decimal"))
    if ds.modified:
        yield ox.Triple(d, _MODIFIED, _typed(ds.modified, "dateTime"))
    if ds.landing_page:
        yield ox.Triple(d, _PAGE, ox.NamedNode(ds.landing_page))
    for m in ds.measurements:
        node = ox.NamedNode(d.value.replace("/dataset/", "/measurement/", 1) + "." + m.metric)
        yield ox.Triple(node, _A, _MEASUREMENT)
        yield ox.Triple(node, _ON, d)
        yield ox.Triple(node, _OF, _n(GOV[m.metric]))
        yield ox.Triple(node, _VALUE, _typed(f"{m.value:.3f}", "decimal"))
        yield ox.Triple(node, _AT, _typed(m.at, "dateTime"))
        if m.evidence:
            yield ox.Triple(node, _COMMENT, ox.Literal(m.evidence))


def match_owners(store: Store, h: Harvest) -> None:
    """Match each dataset's ``owner_names`` to people in the store (``foaf:Person`` by ``foaf:name``
    or ``rdfs:label``, ignoring case): matched ones become ``owners``; a name no one (or more than
    one person) has is a finding in ``h.warnings``, and is not linked."""
    names = sorted({n for d in h.datasets for n in d.owner_names})
    if not names:
        return
    q = (f"SELECT DISTINCT ?p ?n WHERE {{ ?p a <{FOAF.Person}> ; <{FOAF.name}>|<{RDFS.label}> ?n }}")
    people: dict[str, set[str]] = {}
    for r in store.query(q, prefixes=False):
        people.setdefault(r["n"].value.strip().lower(), set()).add(r["p"].value)
    for ds in h.datasets:
        for name in ds.owner_names:
            found = sorted(people.get(name.strip().lower(), ()))
            if len(found) == 1:
                if found[0] not in ds.owners:
                    ds.owners.append(found[0])
            elif found:
                h.warnings.append(f"{ds.title}: owner {name!r} names {len(found)} people in the store: not linked")
            else:
                h.warnings.append(f"{ds.title}: owner {name!r} is not a person in the store: not linked "
                                  "(record the person, or correct the name where it is written)")


_DIGEST = _n(GOV.harvestDigest)


def _digest_node(source: str) -> ox.NamedNode:
    return ox.NamedNode("urn:govgraph:harvest:" + quote(source, safe=""))


#: The version of ``harvest_triples``'s mapping: bump it when the same harvest would give other
#: triples, so that sources written before are written again.
MAPPING = 1


def fingerprint(h: Harvest, iris: dict[DatasetKey, str]) -> str:
    """A fingerprint of everything ``harvest_triples`` states (SHA-256 of the harvest's model, its
    nodes and the mapping's version): equal fingerprints, equal triples. Reading the model is
    cheaper than making and sorting the triples (2,000 tables: 0.3 s against 3 s)."""
    text = repr((MAPPING, h.system, h.storage_form, h.datasets, h.lineage, sorted(iris.items())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unchanged(store: Store, name: str, fp: str) -> bool:
    """Whether the source holds exactly what a harvest with fingerprint ``fp`` states, known without
    reading it back (a remote store would send the whole source): it holds that fingerprint, and
    still the number of triples that harvest wrote (another write to the source changes it)."""
    if not store.has_source(name):
        return False
    graph = ox.NamedNode(source_graph_iri(name))
    held = [q.object.value for q in store.quads(_digest_node(name), _DIGEST, None, graph)]
    return len(held) == 1 and held[0] == f"{fp} {store.source(name).triples}"


@dataclass
class HarvestResult:
    """What writing a harvest did."""
    source: str
    write: WriteResult
    summary: str
    tables: int = 0
    views: int = 0
    columns: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: int = 0

    @property
    def changed(self) -> bool:
        return self.write.changed

    #: datasets found by kind, for harvests other than a database's ({"model": 6, "seed": 2})
    kinds: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the harvest: what was found and what changed."""
        found = (found_words(self.kinds, self.columns) if self.kinds
                 else f"{self.tables:,} tables, {self.views:,} views, {self.columns:,} columns")
        what = (f"rev {self.write.record.revision}: {self.summary}" if self.changed else "unchanged (nothing written)")
        extra = "".join(f"; {n} {w}" for n, w in ((len(self.skipped), "skipped"), (len(self.warnings), "warnings"),
                                                   (self.suggestions, "personal-data suggestions")) if n)
        return f"{self.source}: {found}; {what}{extra}"


def _by_kind(h: Harvest) -> dict[str, int]:
    """Datasets found by kind (models, seeds ...) for a harvest other than a database's; {} for one."""
    out: dict[str, int] = {}
    if h.kind != "db":
        for d in h.datasets:
            out[d.kind] = out.get(d.kind, 0) + 1
    return out


def found_words(kinds: dict[str, int], columns: int) -> str:
    """"6 models, 2 sources, 41 columns": what a harvest found."""
    parts = [f"{n:,} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items())]
    return ", ".join([*parts, f"{columns:,} columns"])


def _counts(h: Harvest) -> tuple[int, int, int]:
    """Tables (every dataset not a view), views and columns found."""
    views = sum(1 for d in h.datasets if d.kind == "view")
    return len(h.datasets) - views, views, sum(len(d.fields) for d in h.datasets)


def write_harvest(store: Store, h: Harvest, *, source: str | None = None, who: str = "harvest",
                  progress: Callable[[int, int, str], None] | None = None) -> HarvestResult:
    """Replace the harvest's source with what ``h`` found; unchanged content writes nothing.
    ``progress(done, total, what)`` is told when the (validated) write starts."""
    name = source or default_source(h.system, h.kind)
    if not h.datasets and store.has_source(name):
        found = "tables or views" if h.kind == "db" else "datasets"
        raise BadInput(f"the harvest found no {found} (skipped: {'; '.join(h.skipped) or 'none'}): "
                       f"source {name!r} is not emptied; remove it with `govgraph remove` if that is meant")
    iris = dataset_iris(store, h, name)
    fp = fingerprint(h, iris)
    if _unchanged(store, name, fp):
        res = WriteResult(name, store.source(name).triples, None)
        words = ""
    else:
        new = set(harvest_triples(h, iris))
        # the fingerprint and the size written with it: "<sha256> <triples>"
        stamp = ox.Triple(_digest_node(name), _DIGEST, ox.Literal(f"{fp} {len(new) + 1}"))
        if progress:
            progress(0, 1, f"writing {len(new):,} triples (validated)")
        old = source_triples(store, name)
        kinds = _by_kind(h)
        words = summary({t for t in old if t.predicate != _DIGEST}, new) if old else \
            ("first harvest: " + found_words(kinds, _counts(h)[2]) if kinds else first_harvest(*_counts(h)))
        # a harvest may drop most of its source (tables dropped in the database): it is replaced as found
        res = write_catalogue(store, name, new | {stamp}, who=who, loaded_from=h.origin, current=old, as_is=True,
                           may_remove=True, note=words)
    tables, views, columns = _counts(h)
    return HarvestResult(source=name, write=res, summary=words, tables=tables, views=views, columns=columns,
                         kinds=_by_kind(h), skipped=list(h.skipped), warnings=list(h.warnings),
                         suggestions=sum(1 for d in h.datasets for f in d.fields if f.looks_personal))
