"""The catalogue: typed read access to assets, shared by the web app, the CLI and reports.

Every function takes a ``Store`` and answers with plain dataclasses (labels already
resolved), so callers never write SPARQL for everyday questions.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Iterable

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from govgraph import agreements as agreement_rules
from govgraph import vocabulary
from govgraph.errors import UnknownAsset
from govgraph.kinds import CATALOG_KINDS, kind_of  # noqa: F401 - kind_of: the catalogue's API
from govgraph.ontology.ns import DCAT, DCTERMS, DPV, DQV, FOAF, GOV, ORG, PROV, SKOS
from govgraph.store import Store

#: rdf:type -> kind name, most specific first (the first match wins): the table is govgraph.kinds.
KINDS: list[tuple[URIRef, str]] = CATALOG_KINDS
KIND_LABELS = {"dataset": "Dataset", "report": "Report", "return": "Statutory return", "system": "System",
               "database": "Database", "field": "Field", "flow": "Data flow", "agreement": "Sharing agreement",
               "council": "Council", "partner": "Partner", "team": "Team / service area",
               "community": "Community of practice", "person": "Person", "standard": "Standard",
               "purpose": "Processing purpose", "dpia": "DPIA", "ethics": "Ethics assessment",
               "quality-target": "Quality target", "measurement": "Quality measurement",
               "activity": "Pipeline run", "discovered": "Discovered dataset", "term": "Glossary term", "glossary": "Glossary", "thing": "Thing"}
_KIND_TYPES: dict[str, list[URIRef]] = {}
for _t, _k in KINDS:
    _KIND_TYPES.setdefault(_k, []).append(_t)

LABEL_PROPS = "rdfs:label|dcterms:title|foaf:name|skos:prefLabel"
#: The kinds people mostly mean when they name something.
MAIN_KINDS = {"dataset", "report", "return", "system", "database", "person", "team", "partner", "agreement",
              "standard", "term", "council", "community"}


@dataclass(frozen=True)
class Ref:
    """A link to another resource: its IRI, a readable label and its kind."""
    iri: str
    label: str
    kind: str = "thing"


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


# ----------------------------------------------------------------------------- ontology labels

#: The govgraph vocabulary (labels and comments for every gov: term), parsed once.
ontology = vocabulary.ontology


#: Labels for common W3C terms, where the ontology does not describe them.
_W3C_LABELS = {
    str(DCTERMS.title): ("title", "The name of the resource."),
    str(DCTERMS.description): ("description", "What the resource is, in plain language."),
    str(DCTERMS.conformsTo): ("conforms to standard", "A standard the resource follows."),
    str(DCTERMS.accrualPeriodicity): ("update frequency", "How often the dataset is updated."),
    str(DCTERMS.publisher): ("publisher", "The organisation that publishes the resource."),
    str(DCTERMS.license): ("licence", "The licence under which the resource may be reused."),
    str(DCAT.theme): ("glossary term", "A glossary concept the dataset is about."),
    str(DCAT.keyword): ("keyword", "A keyword describing the resource."),
    str(DCAT.distribution): ("distribution", "A downloadable form of the dataset."),
    str(RDF.type): ("type", "What kind of thing this is."),
    str(RDFS.label): ("name", "The name of the resource."),
    str(RDFS.comment): ("comment", "A note about the resource."),
    str(FOAF.name): ("name", "The person's name."),
    str(FOAF.member): ("member", "A member of the group."),
    str(FOAF.homepage): ("web page", "Where to read more."),
    str(ORG.memberOf): ("member of", "The team or service area the person belongs to."),
    str(ORG.unitOf): ("part of", "The organisation or service area this unit belongs to."),
    str(SKOS.prefLabel): ("name", "The preferred name of the concept."),
    str(SKOS.definition): ("definition", "What the term means."),
    str(SKOS.inScheme): ("in glossary", "The glossary or code list the term belongs to."),
    str(SKOS.broader): ("broader term", "A more general term."),
    str(SKOS.notation): ("code", "A short code for the concept."),
    str(PROV.wasDerivedFrom): ("derived from", "A dataset this one is computed or copied from."),
    str(PROV.used): ("used", "A dataset the run read."),
    str(PROV.generated): ("generated", "A dataset the run wrote."),
    str(PROV.generatedAtTime): ("measured at", "When the value was produced."),
    str(DPV.hasPersonalData): ("personal data", "The categories of personal data held."),
    str(DPV.hasLegalBasis): ("lawful basis", "The UK GDPR lawful basis (Article 6) or condition (Article 9)."),
    str(DPV.hasPurpose): ("purpose", "Why the data is processed."),
    str(DPV.hasDataSubject): ("data subjects", "Whose personal data it is."),
    str(DQV.computedOn): ("measured on", "The dataset the measurement is about."),
    str(DQV.isMeasurementOf): ("metric", "The quality metric measured."),
    str(DQV.value): ("value", "The measured value."),
    str(DQV.inDimension): ("quality dimension", "The data quality dimension."),
}


def term_label(iri: str) -> tuple[str, str]:
    """A plain-language (label, comment) for a vocabulary term."""
    if iri in _W3C_LABELS:
        return _W3C_LABELS[iri]
    g = ontology()
    u = URIRef(iri)
    lab = g.value(u, RDFS.label)
    com = g.value(u, RDFS.comment)
    if lab is not None:
        return str(lab), str(com or "")
    return local_name(iri), ""


def local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[-1]
    return iri


def _gdpr_label(iri: str) -> str | None:
    text = vocabulary.basis_label(iri)
    return text if text != iri else None


# ----------------------------------------------------------------------------- lookups

def labels(store: Store, iris: Iterable[str]) -> dict[str, Ref]:
    """Labels and kinds for many IRIs in one query (IRIs with no label get their local name)."""
    iris = sorted({i for i in iris if i})
    out: dict[str, Ref] = {}
    for chunk_start in range(0, len(iris), 500):
        chunk = iris[chunk_start:chunk_start + 500]
        values = " ".join(f"<{i}>" for i in chunk)
        rows = store.select(f"""SELECT ?s (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?types)
            WHERE {{ VALUES ?s {{ {values} }} OPTIONAL {{ ?s {LABEL_PROPS} ?l }} OPTIONAL {{ ?s a ?t }} }} GROUP BY ?s""")
        for r in rows:
            s = str(r["s"])
            types = str(r.get("types", "")).split()
            out[s] = Ref(s, str(r["label"]) if "label" in r else _fallback_label(s), kind_of(types))
    for i in iris:
        out.setdefault(i, Ref(i, _fallback_label(i), "thing"))
    return out


def _fallback_label(iri: str) -> str:
    lab = _gdpr_label(iri)
    if lab:
        return lab
    known = term_label(iri)
    return known[0]


def label(store: Store, iri: str) -> str:
    """A readable label for one IRI."""
    return labels(store, [iri])[iri].label


def exists(store: Store, iri: str) -> bool:
    """Whether the store says anything about ``iri`` (as subject)."""
    return store.ask("ASK { ?s ?p ?o }", bindings={"s": URIRef(iri)})


def base_title(label: str) -> str:
    """A label without a closing parenthesis, case-folded: "SALT return (Short …)" -> "salt return"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", label.strip()).casefold()


# ----------------------------------------------------------------------------- assets

_ROLE_FIELDS = {str(GOV.owner): "owners", str(GOV.steward): "stewards", str(GOV.custodian): "custodians",
                str(GOV.serviceArea): "service_areas", str(GOV.heldIn): "systems",
                str(DCTERMS.conformsTo): "standards", str(DCAT.theme): "terms", str(GOV.definedBy): "terms"}


#: What the asset page reads about one resource, in one query (one round trip to a remote store): its
#: own triples (?p ?o), the resources linking to it (?x ?p), the agreements covering it (?a) and its
#: fields' identifier standards (?std) and, for a dataset, its quality (?m ?target ?at), each branch
#: telling its rows apart by the variables it binds.
_ASSET_ROWS = """SELECT ?p ?o ?x ?a ?std ?m ?target ?at WHERE {
    { ?s ?p ?o }
    UNION { SELECT ?x ?p WHERE { ?x ?p ?s FILTER(isIRI(?x)) } LIMIT 2000 }
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
    refs = labels(store, objs + [iri])
    me = refs[iri]
    types = [refs[str(r["o"])] for r in out_rows if r["p"] == RDF.type]
    asset = Asset(iri=iri, label=me.label, kind=kind_of(t.iri for t in types), types=types)
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
    return asset, [(s, r["p"], r["o"]) for r in out_rows]


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
        types = _KIND_TYPES.get(kind)
        if not types:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(sorted(_KIND_TYPES))}")
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
    from govgraph.ontology.ns import PREFIXES
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    return g.serialize(format="turtle")


# ============================================================================= web viewer support
# Added for issue 6 (the Flask viewer): the status of sharing agreements on a date and what people
# answer for. (The search index is govgraph/search.py.)

import datetime as _dt


# ----------------------------------------------------------------------------- agreements

@dataclass
class AgreementStatus:
    """A sharing agreement's dates and where it stands on a date."""
    agreement: Ref
    parties: list[Ref]
    valid_from: str | None
    valid_until: str | None
    review_date: str | None
    status: str  # expired | not yet in force | review overdue | review due | in force
    flows: int = 0

    @property
    def needs_attention(self) -> bool:
        return self.status != "in force"


def agreement_statuses(store: Store, on: _dt.date | None = None, *, due_within_days: int = 90) -> list[AgreementStatus]:
    """Every sharing agreement with its status on ``on`` (default today), most urgent first.

    Expired: past validUntil. Review overdue: reviewDate passed. Review due: reviewDate
    within ``due_within_days``.
    """
    on = on or _dt.date.today()
    rows = store.select("""SELECT ?a (SAMPLE(?vf) AS ?from) (SAMPLE(?vu) AS ?until) (SAMPLE(?rd) AS ?review)
        (GROUP_CONCAT(DISTINCT STR(?p); separator=" ") AS ?parties) (COUNT(DISTINCT ?f) AS ?flows) WHERE {
        ?a a gov:SharingAgreement .
        OPTIONAL { ?a gov:validFrom ?vf } OPTIONAL { ?a gov:validUntil ?vu } OPTIONAL { ?a gov:reviewDate ?rd }
        OPTIONAL { ?a gov:party ?p } OPTIONAL { ?f gov:coveredBy ?a } } GROUP BY ?a""")
    parties = {p for r in rows for p in str(r.get("parties", "")).split()}
    refs = labels(store, [str(r["a"]) for r in rows] + list(parties))
    out = []
    for r in rows:
        vf, vu, rd = (str(r[k])[:10] if k in r else None for k in ("from", "until", "review"))
        out.append(AgreementStatus(refs[str(r["a"])], [refs[p] for p in str(r.get("parties", "")).split()],
                                   vf, vu, rd, _agreement_status(on, vf, vu, rd, due_within_days),
                                   int(r["flows"]) if "flows" in r else 0))
    order = {st: i for i, st in enumerate(agreement_rules.STATUSES)}
    out.sort(key=lambda a: (order[a.status], a.review_date or a.valid_until or "", a.agreement.label.lower()))
    return out


def agreement_status(on: _dt.date, valid_from: _dt.date | None, valid_until: _dt.date | None,
                     review: _dt.date | None, due_within_days: int = 90) -> str:
    """A sharing agreement's status on ``on`` (the rule is ``govgraph.agreements.status``)."""
    return agreement_rules.status(on, valid_from, valid_until, review, due_within_days)


def _agreement_status(on: _dt.date, vf: str | None, vu: str | None, rd: str | None, within: int) -> str:
    return agreement_rules.status(on, vf, vu, rd, within)


# ----------------------------------------------------------------------------- responsibilities

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
        on = on or _dt.date.today().isoformat()
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
