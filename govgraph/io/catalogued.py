"""Discovered datasets catalogued under another IRI: their lineage moved onto the catalogue's dataset.

An OpenLineage run naming a dataset the catalogue does not describe mints an IRI for it under
``dataset/openlineage/`` (``govgraph.discovered``). When a load, harvest, upload or SPARQL Update
later describes that dataset under the council's own IRI, carrying the same ``gov:alias``
(``namespace/name``), the two would stay apart: the runs would still point at the discovered
node, which would still be counted and flagged as discovered, and the catalogued dataset would
have no lineage. Events after the cataloguing already resolve to the catalogue's IRI
(``openlineage_mapping.resolve_datasets``: catalogue datasets by alias first).

``adopt`` closes that gap: in every OpenLineage source that mentions a discovered dataset whose
alias a catalogue dataset (``dcat:Dataset``) carries, the discovered node is replaced by the
catalogue's (a discovered dataset has no columns: the mapping records fields of catalogue datasets
only, so there are none to move); its own discovered description (``prov:Entity``, title, alias, description, guessed system) is
dropped, since the catalogue describes it now. Several catalogue datasets with one alias: the
first in IRI order, as ``resolve_datasets`` chooses. Only the sources govgraph writes for
OpenLineage are changed, never a source a person loaded.

The change is one validated commit of one patch per source, written as is: a violation the lineage
reveals (personal data now seen flowing to a partner without an agreement, say) becomes a known gap
and a finding, rather than a refusal that would leave the lineage hidden.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import pyoxigraph as ox

from govgraph.io.openlineage_mapping import OL_DATASET_PREFIX
from govgraph.io.write import WriteResult, source_triples, write_source
from govgraph.ontology.ns import DCTERMS, GOV, PROV, RDF
from govgraph.shapes.change import ChangeView, InexactView, baseline_ops, validate_change
from govgraph.store import Store, commit_patches

#: The sources govgraph writes for OpenLineage (``openlineage_mapping.source_name``).
SOURCE_PREFIX = "openlineage/"

#: What a discovered node says of itself, dropped once the catalogue describes the dataset.
_OWN = {(str(RDF.type), str(PROV.Entity)), (str(DCTERMS.title), None), (str(GOV.alias), None),
        (str(DCTERMS.description), None), (str(GOV.guessedSystem), None)}


@dataclass(frozen=True)
class Adopted:
    """One discovered dataset now the catalogue's ``dataset``, in the OpenLineage ``sources`` that named it."""
    discovered: str
    dataset: str
    sources: tuple[str, ...]

    def line(self) -> str:
        return (f"catalogued the discovered dataset {self.discovered} as {self.dataset}: its lineage moved "
                f"(source{'s' if len(self.sources) > 1 else ''} {', '.join(self.sources)})")


def write_catalogue(store: Store, name: str, triples, **kw) -> WriteResult:
    """``write_source`` for a source that may catalogue datasets (an upload, a harvest, a SPARQL Update),
    then ``adopt``: what it catalogues under its own IRIs takes over their discovered lineage."""
    res = write_source(store, name, triples, **kw)
    if res.changed and not name.startswith(SOURCE_PREFIX):
        res.catalogued = adopt(store, who=kw.get("who") or "govgraph")
    return res


def candidates(store: Store) -> dict[str, str]:
    """Discovered dataset IRI -> the catalogue dataset carrying its alias (first in IRI order)."""
    rows = store.query(f"""
        SELECT ?m ?d WHERE {{
          ?m a prov:Entity ; gov:alias ?a .
          FILTER(STRSTARTS(STR(?m), "{OL_DATASET_PREFIX}"))
          ?d gov:alias ?a ; a dcat:Dataset .
          FILTER(isIRI(?d) && !STRSTARTS(STR(?d), "{OL_DATASET_PREFIX}"))
        }}""")
    out: dict[str, str] = {}
    for r in rows:
        m, d = r["m"].value, r["d"].value
        if m not in out or d < out[m]:
            out[m] = d
    return out


def _own(t: ox.Triple, discovered: set[str]) -> bool:
    """Whether ``t`` is a discovered node's description of itself."""
    if t.subject.value not in discovered:
        return False
    p = t.predicate.value
    return (p, t.object.value) in _OWN or (p, None) in _OWN


def _rename(t: ox.Triple, renames: dict[ox.NamedNode, ox.NamedNode]) -> ox.Triple:
    return ox.Triple(renames.get(t.subject, t.subject), t.predicate, renames.get(t.object, t.object))


def adopt(store: Store, *, who: str) -> list[Adopted]:
    """Move every discovered dataset that the catalogue now describes (by its alias) onto the catalogue's
    dataset, in one validated commit (nothing written when there is none)."""
    found = candidates(store)
    if not found:
        return []
    infos = {s.graph: s.name for s in store.sources() if s.name.startswith(SOURCE_PREFIX)}
    live = {ox.NamedNode(g) for g in infos}
    renames = {ox.NamedNode(m): ox.NamedNode(d) for m, d in found.items()}
    removed: dict[str, set[ox.Triple]] = {}  # source -> its triples naming a discovered dataset
    named_in: dict[str, set[str]] = {}  # discovered dataset -> the sources naming it
    for node in renames:
        for q in [*store.quads(node, None, None, None), *store.quads(None, None, node, None)]:
            if q.graph_name in live:
                name = infos[q.graph_name.value]
                removed.setdefault(name, set()).add(ox.Triple(q.subject, q.predicate, q.object))
                named_in.setdefault(node.value, set()).add(name)
    if not removed:
        return []
    discovered = set(found)
    added = {name: {_rename(t, renames) for t in ts if not _own(t, discovered)} for name, ts in removed.items()}
    note = "catalogued: " + ", ".join(f"{m} is {d}" for m, d in sorted(found.items()))
    _commit(store, removed, added, who, note)
    return [Adopted(m, found[m], tuple(sorted(named_in[m]))) for m in sorted(found) if m in named_in]


def _commit(store: Store, removed: dict[str, set[ox.Triple]], added: dict[str, set[ox.Triple]], who: str,
            note: str) -> None:
    """One patch per source, validated as is, committed together; the exact (whole-source) path when a
    check reads what the patches remove."""
    all_added = set().union(*added.values())
    all_removed = set().union(*removed.values())
    with ExitStack() as stack:
        patches = {name: stack.enter_context(store.patch(name, who=who, loaded_from="catalogue"))
                   for name in sorted(removed)}
        for name, p in patches.items():
            p.remove(removed[name] - added[name])
            p.add(added[name] - removed[name])
        try:
            report = validate_change(ChangeView.of_patches(store, list(patches.values())), all_added - all_removed,
                                     all_removed - all_added, as_is=True)
        except InexactView:
            report = None
        if report is not None:
            commit_patches(list(patches.values()), note=note, extra=baseline_ops(report))
            return
    for name in sorted(removed):  # the exact path: each source written anew
        current = source_triples(store, name)
        write_source(store, name, (current - removed[name]) | added[name], who=who, loaded_from="catalogue",
                     current=current, may_remove=True, as_is=True, note=note)
