"""The catalogue: the asset read model, typed read access to assets shared by the web app, the CLI and reports.

Every function takes a ``Store`` and answers with plain dataclasses (labels already resolved,
through ``govgraph.labels``), so callers never write SPARQL for everyday questions: one asset
with everything known about it (``get_asset``), its quality, lists of assets by filter, counts by
kind and the Turtle about one resource.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from govgraph import vocabulary
from govgraph.errors import UnknownAsset
from govgraph.kinds import kind_of
from govgraph.labels import KIND_LABELS, KIND_TYPES, KINDS, LABEL_PROPS, Ref, labels, local_name, ontology, term_label
from govgraph.ontology.ns import DCAT, DCTERMS, DPV, DQV, GOV, PREFIXES, SKOS
from govgraph.store import Store


@dataclass(frozen=True)
class Value:
    """One property value: a Ref for resources, or a literal's text and datatype."""
    text: str
    ref: Ref | None = None
    datatype: str | None = None


@dataclass
class Property:
    """A property of an asset with its plain-language label and its values."""
    iri: str
    label: str
    comment: str
    values: list[Value]


@dataclass
class QualityRow:
    """One quality metric of a dataset: the target and the latest measurement."""
    metric: Ref
    dimension: str
    target: float | None
    value: float | None
    measured_at: str | None

    @property
    def below_target(self) -> bool:
        return self.target is not None and self.value is not None and self.value < self.target


@dataclass
class Asset:
    """Everything the catalogue knows about one resource, with labels resolved."""
    iri: str
    label: str
    kind: str
    types: list[Ref]
    description: str = ""
    owners: list[Ref] = field(default_factory=list)
    stewards: list[Ref] = field(default_factory=list)
    custodians: list[Ref] = field(default_factory=list)
    service_areas: list[Ref] = field(default_factory=list)
    systems: list[Ref] = field(default_factory=list)
    standards: list[Ref] = field(default_factory=list)
    agreements: list[Ref] = field(default_factory=list)
    terms: list[Ref] = field(default_factory=list)
    classification: str | None = None
    personal_data: bool = False
    special_category: bool = False
    quality: list[QualityRow] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    incoming: list[Property] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kind_label"] = self.kind_label
        return d


@dataclass(frozen=True)
class AssetSummary:
    """A row in a list or search result."""
    iri: str
    label: str
    kind: str
    description: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def exists(store: Store, iri: str) -> bool:
    """Whether the store says anything about ``iri`` (as subject)."""
    return store.ask("ASK { ?s ?p ?o }", bindings={"s": URIRef(iri)})


_ROLE_FIELDS = {str(GOV.owner): "owners", str(GOV.steward): "stewards", str(GOV.custodian): "custodians",
                str(GOV.serviceArea): "service_areas", str(GOV.heldIn): "systems",
                str(DCTERMS.conformsTo): "standards", str(DCAT.theme): "terms", str(GOV.definedBy): "terms"}


#: What the asset page reads about one resource, in one query (one round trip to a remote store): its
#: own triples (?p ?o), the resources linking to it (?x ?p), the agreements covering it (?a) and its
#: fields' identifier standards (?std) and, for a dataset, its quality (?m ?target ?at), each branch
#: telling its rows apart by the variables it binds. (A subject not blank is an IRI: Virtuoso 7.2
#: answers ``FILTER(isIRI(?x))`` here in 40 ms, ``FILTER(!isBLANK(?x))`` in 1.5 ms.)
_ASSET_ROWS = """SELECT ?p ?o ?x ?a ?std ?m ?target ?at WHERE {
    { ?s ?p ?o }
    UNION { SELECT ?x ?p WHERE { ?x ?p ?s FILTER(!isBLANK(?x)) } LIMIT 2000 }
    UNION { SELECT DISTINCT ?a WHERE {
        { ?f gov:carries ?s ; gov:coveredBy ?a } UNION { ?f gov:source|gov:target ?s ; gov:coveredBy ?a }
        UNION { ?s gov:coveredBy ?a } } }
    UNION { SELECT DISTINCT ?std WHERE { ?f gov:fieldOf ?s ; gov:identifierScheme ?std } }
    UNION %s }"""
#: A dataset's quality targets and latest measurements, per metric (?m): one grouped sub-select per
#: side (MAX over a UNION's unbound values is an error in Oxigraph).
_QUALITY_PARTS = """{ SELECT ?m (MAX(?tv) AS ?target) WHERE {
              ?t gov:targetFor ?s ; gov:metric ?m ; gov:targetValue ?tv } GROUP BY ?m }
    UNION { SELECT ?m (MAX(?when) AS ?at) WHERE {
              ?x dqv:computedOn ?s ; dqv:isMeasurementOf ?m ; prov:generatedAtTime ?when } GROUP BY ?m }"""
_ASSET_ROWS = _ASSET_ROWS % _QUALITY_PARTS


def get_asset(store: Store, iri: str) -> Asset:
    """Everything about one resource; UnknownAsset (with suggestions) if the store has nothing."""
    return asset_and_triples(store, iri)[0]


def asset_and_triples(store: Store, iri: str) -> tuple[Asset, list[tuple[URIRef, rdflib.term.Node, rdflib.term.Node]]]:
    """``get_asset`` and the resource's own triples (what ``turtle`` shows), from the same reads."""
    return asset_with_names(store, iri)[:2]


def asset_with_names(store: Store, iri: str, also: Callable[[str], Iterable[str]] | None = None
                     ) -> tuple[Asset, list[tuple[URIRef, rdflib.term.Node, rdflib.term.Node]], dict[str, Ref]]:
    """``asset_and_triples``, and the names of the IRIs ``also`` gives for the asset's kind, read with
    the asset's own names (one query: the asset page reads its lineage neighbours' names so)."""
    s = URIRef(iri)
    rows = store.select(_ASSET_ROWS, bindings={"s": s})
    out_rows = [r for r in rows if "o" in r]
    if not out_rows:
        raise UnknownAsset(iri)  # suggestions: search.suggest
    in_rows = [r for r in rows if "x" in r]
    agreements = [r for r in rows if "a" in r]
    field_standards = [r for r in rows if "std" in r]
    objs = [str(r["o"]) for r in out_rows if isinstance(r["o"], URIRef)]
    objs += [str(r["x"]) for r in in_rows] + [str(r["a"]) for r in agreements] + [str(r["std"]) for r in field_standards]
    kind = kind_of(str(r["o"]) for r in out_rows if r["p"] == RDF.type)
    extra = list(also(kind)) if also is not None else []
    refs = labels(store, objs + [iri] + extra)
    me = refs[iri]
    types = [refs[str(r["o"])] for r in out_rows if r["p"] == RDF.type]
    asset = Asset(iri=iri, label=me.label, kind=kind, types=types)
    props: dict[str, list[Value]] = {}
    for r in out_rows:
        p, o = str(r["p"]), r["o"]
        if isinstance(o, URIRef):
            v = Value(refs[str(o)].label, ref=refs[str(o)])
        else:
            v = Value(str(o), datatype=str(o.datatype) if isinstance(o, rdflib.Literal) and o.datatype else None)
        props.setdefault(p, []).append(v)
        if p in _ROLE_FIELDS and v.ref is not None:
            lst = getattr(asset, _ROLE_FIELDS[p])
            if v.ref not in lst:
                lst.append(v.ref)
        elif p in (str(DCTERMS.description), str(SKOS.definition), str(RDFS.comment)) and not asset.description:
            asset.description = v.text
        elif p == str(GOV.classification) and v.ref is not None:
            asset.classification = v.ref.label
        elif p == str(DPV.hasPersonalData):
            asset.personal_data = True
            if str(o) == str(DPV.SpecialCategoryPersonalData):
                asset.special_category = True
    for r in field_standards:
        ref = refs[str(r["std"])]
        if ref not in asset.standards:
            asset.standards.append(ref)
    asset.agreements = [refs[str(r["a"])] for r in agreements]
    if asset.kind == "agreement":
        asset.agreements = []
    asset.properties = [Property(p, *term_label(p), vals) for p, vals in sorted(props.items(), key=lambda kv: term_label(kv[0])[0])]
    incoming: dict[str, list[Value]] = {}
    for r in in_rows:
        ref = refs[str(r["x"])]
        incoming.setdefault(str(r["p"]), []).append(Value(ref.label, ref=ref))
    asset.incoming = [Property(p, *term_label(p), vals) for p, vals in sorted(incoming.items(), key=lambda kv: term_label(kv[0])[0])]
    if asset.kind in ("dataset", "report", "return"):
        asset.quality = quality(store, iri, [r for r in rows if "m" in r])
    return asset, [(s, r["p"], r["o"]) for r in out_rows], {i: refs[i] for i in extra}


def quality(store: Store, iri: str, parts: list[dict] | None = None) -> list[QualityRow]:
    """A dataset's quality metrics: each target with the latest measurement against it (``parts``:
    the rows of ``_QUALITY_PARTS`` for it, if already read)."""
    if parts is None:
        parts = store.select(f"SELECT ?m ?target ?at WHERE {{ {_QUALITY_PARTS} }}", bindings={"s": URIRef(iri)})
    merged: dict[str, dict] = {}
    for r in parts:
        merged.setdefault(str(r["m"]), {}).update(r)
    rows = list(merged.values())
    latest = [r for r in rows if "at" in r]
    values: dict[tuple[str, str], float] = {}
    if latest:  # each metric's latest measured value, all in one query
        pairs = " ".join(f"({r['m'].n3()} {r['at'].n3()})" for r in latest)
        for v in store.select(f"""SELECT ?m ?at ?v WHERE {{ VALUES (?m ?at) {{ {pairs} }}
                ?x dqv:computedOn ?s ; dqv:isMeasurementOf ?m ; prov:generatedAtTime ?at ; dqv:value ?v }}""",
                              bindings={"s": URIRef(iri)}):
            values.setdefault((str(v["m"]), str(v["at"])), float(v["v"]))
    out = []
    for r in rows:
        m = str(r["m"])
        value = values.get((m, str(r["at"]))) if "at" in r else None
        lab, _ = term_label(m)
        dim = str(r["dim"]) if "dim" in r else ""
        if not dim:
            dim = str(ontology().value(ontology().value(URIRef(m), DQV.inDimension) or URIRef(m), RDFS.label) or "")
        out.append(QualityRow(metric=Ref(m, lab, "metric"), dimension=dim,
                              target=float(r["target"]) if "target" in r else None, value=value,
                              measured_at=str(r["at"]) if "at" in r else None))
    return sorted(out, key=lambda q: q.metric.label)


def list_assets(store: Store, *, kind: str | None = None, owner: str | None = None,
                system: str | None = None, classification: str | None = None, text: str | None = None,
                personal: bool | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[AssetSummary]]:
    """Assets matching every filter given, by label; returns (total matches, one page)."""
    where = ["?s a ?type ."]
    bindings: dict = {}
    if kind:
        types = KIND_TYPES.get(kind)
        if not types:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(sorted(KIND_TYPES))}")
        where.append("VALUES ?type { " + " ".join(f"<{t}>" for t in types) + " }")
    else:
        where.append("VALUES ?type { " + " ".join(f"<{t}>" for t, _ in KINDS if _ != "measurement") + " }")
    if owner:
        where.append("?s gov:owner ?owner .")
        bindings["owner"] = URIRef(owner)
    if system:
        where.append("?s gov:heldIn ?system .")
        bindings["system"] = URIRef(system)
    if classification:
        where.append("?s gov:classification ?cls .")
        bindings["cls"] = vocabulary.classification(classification) or URIRef(classification)
    if personal is True:
        where.append("FILTER EXISTS { ?s dpv:hasPersonalData ?pd }")
    elif personal is False:
        where.append("FILTER NOT EXISTS { ?s dpv:hasPersonalData ?pd }")
    where.append(f"OPTIONAL {{ ?s {LABEL_PROPS} ?l }} OPTIONAL {{ ?s dcterms:description|skos:definition ?d }}")
    if text:
        where.append("FILTER(CONTAINS(LCASE(STR(?l)), ?q) || CONTAINS(LCASE(STR(?d)), ?q))")
        bindings["q"] = rdflib.Literal(text.lower())
    body = "\n".join(where)
    rows = store.select(f"""SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?desc)
        (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types)
        WHERE {{ {body} }} GROUP BY ?s""", bindings=bindings)
    items = [AssetSummary(str(r["s"]), str(r.get("label", local_name(str(r["s"])))),
                          kind_of(str(r["types"]).split()), str(r.get("desc", ""))) for r in rows]
    if text:
        q = text.lower()
        items.sort(key=lambda a: (q not in a.label.lower(), not a.label.lower().startswith(q), a.label.lower()))
    else:
        items.sort(key=lambda a: (a.label.lower(), a.iri))
    return len(items), items[offset:offset + limit]


def counts_by_kind(store: Store) -> dict[str, int]:
    """How many resources of each kind the store holds."""
    out: dict[str, int] = {}
    # count each resource once, under its most specific kind
    rows = store.select("SELECT ?s (GROUP_CONCAT(STR(?t); separator=' ') AS ?ts) WHERE { ?s a ?t } GROUP BY ?s")
    for r in rows:
        k = kind_of(str(r["ts"]).split())
        if k != "thing":
            out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def turtle(store: Store, iri: str) -> str:
    """The triples about one resource (as subject), as Turtle."""
    return turtle_of(store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", bindings={"s": URIRef(iri)}))


def turtle_of(triples: Iterable[tuple]) -> str:
    """Triples (an rdflib Graph, or ``asset_and_triples``'s) as Turtle with the vocabulary's prefixes."""
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    return g.serialize(format="turtle")
