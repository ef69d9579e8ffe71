"""The redacted copies behind --hide-sensitive follow each commit: a write that leaves what a reader
may not see as it was is redacted source by source into the copy kept for that reader (whose own
derived views then apply it as a change); a write that changes it (a classification, an access
group) makes a new copy. Either way the copy equals one made afresh, and never holds a hidden asset.
"""
from __future__ import annotations

import pyoxigraph as ox

from govgraph import access, live, search
from govgraph.io.write import write_source
from govgraph.redaction import redact, redacted_revision
from support import INTERFACES_ESTATE

BASE = "https://data.county.example.gov.uk/id/"
GOV, DCT, PROV = "https://w3id.org/govgraph#", "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#"
ANALYSTS = access.Viewer("analyst", frozenset({"Analysts"}))


def t(s: str, p: str, o) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o if not isinstance(o, str) else ox.NamedNode(o))


def contents(copy) -> dict[str, list[str]]:
    """Every source of a copy with its triples."""
    return {src.name: sorted(str(ox.Triple(q.subject, q.predicate, q.object))
                             for q in copy.quads(None, None, None, ox.NamedNode(src.graph)))
            for src in copy.sources()}


def mentions(copy, iri: str) -> bool:
    return any(f"<{iri}>" in triple for triples in contents(copy).values() for triple in triples)


def check(store, viewer) -> object:
    """The kept copy for ``viewer``: exact for the store's revision, equal to a fresh one, nothing hidden in it."""
    copy = access.redacted_view(store, viewer)
    r = access.redaction_for(store, viewer)
    assert redacted_revision(copy) == store.revision and copy.derivation.redaction == r
    assert contents(copy) == contents(redact(store, r))
    for iri in r.hidden:
        assert not mentions(copy, iri), f"{iri} is hidden from {viewer.name} but in the copy"
    return copy


def test_redacted_copies_follow_writes_and_never_keep_a_hidden_asset(any_store):
    store = any_store
    from govgraph.io.load import load_files
    load_files(store, [INTERFACES_ESTATE], force=True)
    hidden = access.hidden_from(store, access.ANONYMOUS)
    assert hidden, "the estate has restricted assets"
    visible = sorted(r["d"].value for r in store.query("SELECT ?d WHERE { ?d a dcat:Dataset }")
                     if r["d"].value not in hidden)[0]
    first = check(store, access.ANONYMOUS)
    check(store, ANALYSTS)
    search.search(first, "gritting")  # the copy's search index, built

    # a write that changes no classification: the same copy, brought up to date
    extra = BASE + "dataset/winter-gritting-extract"
    write_source(store, "extra", [t(extra, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                    "http://www.w3.org/ns/dcat#Dataset"),
                                  t(extra, DCT + "title", ox.Literal("Winter gritting extract")),
                                  t(extra, PROV + "wasDerivedFrom", sorted(hidden)[0])],
                 who="test", force=True, may_remove=True)
    followed = check(store, access.ANONYMOUS)
    assert followed is first
    assert extra in [i.iri for i in search.search(followed, "winter gritting extract")[1]]
    assert any(f"<{extra}> <{PROV}wasDerivedFrom> <urn:govgraph:restricted:" in x
               for x in contents(followed)["extra"])  # its derivation points at the placeholder
    assert live.memo(followed).stats["search"].applied >= 1  # the copy's search index applied the change
    assert check(store, ANALYSTS) is not None

    # a field described in one source, placed under a hidden asset by another: the redaction differs
    # (the field now only describes a hidden asset) though the hidden set does not: a new copy
    field = BASE + "field/gritting-extract-secret-column"
    write_source(store, "field-label", [t(field, "http://www.w3.org/2000/01/rdf-schema#label",
                                          ox.Literal("Secret column"))], who="test", force=True, may_remove=True)
    assert mentions(check(store, access.ANONYMOUS), field)
    write_source(store, "field-of", [t(field, GOV + "fieldOf", sorted(hidden)[0])],
                 who="test", force=True, may_remove=True)
    assert not mentions(check(store, access.ANONYMOUS), field)
    followed = check(store, access.ANONYMOUS)

    # classifying a visible dataset: that copy is not kept (a new one hides it) ...
    write_source(store, "classify", [t(visible, GOV + "classification", GOV + "OfficialSensitive"),
                                     t(visible, GOV + "accessGroup", ox.Literal("Analysts"))],
                 who="test", force=True, may_remove=True)
    assert visible in access.hidden_from(store, access.ANONYMOUS)
    remade = check(store, access.ANONYMOUS)
    assert remade is not followed and not mentions(remade, visible)
    assert search.search(remade, visible.rsplit("/", 1)[-1])[0] == 0 or \
        visible not in [i.iri for i in search.search(remade, visible.rsplit("/", 1)[-1])[1]]
    # ... while a reader in its group still sees it
    assert mentions(check(store, ANALYSTS), visible)

    # removing a source that hid nothing: followed again; un-classifying: a new copy that shows it
    store.remove_source("extra", who="test")
    again = check(store, access.ANONYMOUS)
    assert again is remade and not mentions(again, extra)
    store.remove_source("classify", who="test")
    shown = check(store, access.ANONYMOUS)
    assert shown is not again and mentions(shown, visible)
