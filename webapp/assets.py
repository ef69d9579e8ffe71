"""The asset page: any resource's properties in plain language, its people, standards,
agreements, quality, validation findings, lineage graph and raw Turtle."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request
from rdflib import URIRef

from govgraph import access, catalog, history
from govgraph.agreement_statuses import agreement_statuses
from govgraph.errors import NotRecordedThen, UnknownAsset
from govgraph.labels import Ref, labels, term_label
from govgraph.responsibilities import ROLE_HEADINGS, ROLE_PROPERTIES, responsibilities
from govgraph.webapp import findings, graphs
from govgraph.webapp.context import hidden_now, hiding, iri_arg, read_store, redaction, store, viewer

bp = Blueprint("assets", __name__)

#: Kinds whose page shows a lineage graph.
LINEAGE_KINDS = {"dataset", "report", "return", "system", "database"}
#: Kinds that have an ownership graph.
OWNERSHIP_KINDS = LINEAGE_KINDS | {"person", "team"}


@bp.get("/asset")
def asset():
    st = read_store()  # redacted for this reader when hiding is on: a hidden asset is unknown here
    iri = iri_arg()
    asof = request.args.get("asof", "").strip()
    if asof:
        return _asset_asof(store(), iri, asof)
    changes = history.asset_history_ahead(store(), iri)  # on a SPARQL server, read while the asset is
    try:  # the lineage view's names are read with the asset's
        a, triples, names = catalog.asset_with_names(
            st, iri, lambda kind: graphs.lineage_names(st, iri, kind) if kind in LINEAGE_KINDS else ())
    except UnknownAsset:
        label, comment = term_label(iri)
        if not comment:
            raise
        return render_template("term.html", iri=iri, label=label, comment=comment)
    lineage = graphs.lineage_view(st, a.iri, a.kind, known=names) if a.kind in LINEAGE_KINDS else None
    status = next((s for s in agreement_statuses(st) if s.agreement.iri == a.iri), None) \
        if a.kind == "agreement" else None
    resp = responsibilities(st, a.iri) if a.kind in ("person", "team") else None
    return render_template("asset.html", asset=a, turtle=catalog.turtle_of(triples), agreement=status,
                           responsibilities=resp, role_headings=ROLE_HEADINGS,
                           role_properties=ROLE_PROPERTIES,
                           findings=findings.for_asset(st, a.iri), lineage=lineage,
                           has_ownership=a.kind in OWNERSHIP_KINDS,
                           has_fields=any(p.iri.endswith("#fieldOf") for p in a.incoming),
                           **_changes(st, access.visible_changes(
                               changes() if a.iri == iri else history.asset_history(store(), a.iri),
                               access.redaction_of(st)), _refs(a)))


def _refs(a: catalog.Asset) -> dict[str, Ref]:
    """The names ``get_asset`` already read for what the asset links to (by IRI)."""
    vals = [v for p in (*a.properties, *a.incoming) for v in p.values]
    return {r.iri: r for r in (*(v.ref for v in vals if v.ref is not None), *a.types, *a.agreements, *a.standards)}


def _changes(st, changes: list, known: dict[str, Ref] | None = None) -> dict:
    """The history of an asset, with the names of the things its changes point at (not bare IRIs).
    ``known``: names already read from ``st`` (only the others are asked for)."""
    iris = {o for c in changes for _, _, o in (*c.added, *c.removed) if isinstance(o, URIRef)}
    known = known or {}
    missing = [str(o) for o in iris if str(o) not in known]
    refs = {**known, **(labels(st, missing) if missing else {})}
    return {"changes": changes, "change_labels": {o: refs[str(o)] for o in iris if str(o) in refs}}  # keyed by the term


def _asset_asof(st, iri: str, asof: str):
    """The asset page as the asset was on a past date (its own triples; names as today).

    With hiding on, an asset this reader may not see (today, or on that date) is answered exactly
    as one the history does not hold: "not recorded on that date" (no existence oracle).
    """
    when = history.parse_when(asof)
    hidden = hidden_now()
    today = redaction()  # what today's copy leaves out or renames: fields of hidden blank nodes, flows, ...
    try:
        past = history.asset_store_asof(st, iri, when)  # the date is checked first, for every IRI alike
        if iri in hidden or (today is not None and today.conceals(iri)):
            raise UnknownAsset(iri)
        if hiding():  # names linked from the past asset are today's: hide today's hidden ones, and it if it was then
            past = access.redacted_view(past, viewer(), hidden)
        a = catalog.get_asset(past, iri)
    except UnknownAsset:
        raise NotRecordedThen(iri, history.moment_text(when)) from None
    g.asof_text = asof  # links on the page keep the date
    kept, then = findings.kept_for_asset(st, iri, when.date())  # validation as it stood then (the kept report)
    return render_template("asset.html", asset=a, turtle=catalog.turtle(past, iri), agreement=None,
                           findings=then if kept else None, kept_check=kept, lineage=None, has_ownership=False,
                           has_fields=False,
                           past_lineage=a.kind in LINEAGE_KINDS,
                           **_changes(st, access.visible_changes(history.asset_history(st, iri),
                                                                 access.redaction_of(past))),
                           asof=when)


@bp.get("/asset.ttl")
def asset_turtle():
    st = read_store()
    _, triples = catalog.asset_and_triples(st, iri_arg())
    return Response(catalog.turtle_of(triples), mimetype="text/turtle")
