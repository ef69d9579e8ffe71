"""The audit trail: one change record per committed write, kept in the audit graph with the
store's revision, written in the commit's own update and read back as ``ChangeRecord``s."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from govgraph.ontology.ns import GG, GOV, sparql_prologue
from govgraph.store_graphs import (AUDIT_GRAPH, DCT, KEPT_IN, META_GRAPH, PROV, RDFS_LABEL, STORE_NODE, diff_graph,
                                   source_graph_iri)
from govgraph.terms import literal as _lit
from govgraph.write_only import Deletion

#: The store's revision, as ``revision_update`` removes it before writing the next.
OLD_REVISION = Deletion(META_GRAPH.value, STORE_NODE.value, str(GOV.revision))


@dataclass(frozen=True)
class ChangeRecord:
    """What one committed write did, as kept in the audit graph."""
    iri: str
    revision: int
    source: str
    action: str  # load | replace | remove | patch
    who: str
    at: dt.datetime
    added: int
    removed: int
    forced: bool = False
    note: str = ""
    #: the graph keeping the triples this change removed, if not ``diff_graph(revision, "removed")``
    #: (a removal's: see ``Store.remove_source``)
    kept: str = ""

    @property
    def removed_graphs(self) -> tuple[str, ...]:
        """The graphs holding the triples this change removed, to be read in this order and joined:
        a removal's kept triples may be moving from the first to the second (``removal.reclaim``)."""
        diff = diff_graph(self.revision, "removed")
        return (self.kept, diff) if self.kept else (diff,)

    @property
    def added_graphs(self) -> tuple[str, ...]:
        """The graphs holding the triples this change added. A load keeps no difference: its source
        graph is read, as it is now (a patch's load does keep one)."""
        if self.action == "remove":
            return ()
        added = (diff_graph(self.revision, "added"),)
        return added + (source_graph_iri(self.source),) if self.action == "load" else added


def new_record(revision: int, source: str, action: str, who: str, added: int, removed: int,
               forced: bool, note: str, kept: str = "") -> ChangeRecord:
    """A change record for ``revision``, stamped now."""
    return ChangeRecord(iri=str(GG[f"change:{revision}:{uuid.uuid4().hex[:8]}"]), revision=revision,
                        source=source, action=action, who=who, at=dt.datetime.now(dt.timezone.utc), added=added,
                        removed=removed, forced=forced, note=note, kept=kept)


def revision_update(rec: ChangeRecord) -> str:
    """SPARQL Update text bumping the revision and appending the change record."""
    return (f"DELETE WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{STORE_NODE.value}> <{GOV.revision}> ?r }} }};"
            + revision_data(rec))


def revision_data(rec: ChangeRecord) -> str:
    """``revision_update`` less its removal of the old revision (``OLD_REVISION``): the new one and the
    change record, one ``INSERT DATA``."""
    m, a = META_GRAPH.value, AUDIT_GRAPH.value
    t = _lit(rec.at)
    note = _lit(rec.note) if rec.note else None
    return (
        f"INSERT DATA {{ GRAPH <{m}> {{ <{STORE_NODE.value}> <{GOV.revision}> {_lit(rec.revision)} }}"
        f" GRAPH <{a}> {{ <{rec.iri}> a <{GOV.ChangeRecord}> ;"
        f" <{GOV.sourceGraph}> <{source_graph_iri(rec.source)}> ;"
        f" <{GOV.sourceName}> {_lit(rec.source)} ;"
        f" <{RDFS_LABEL.value}> {_lit(rec.action)} ;"
        f" <{PROV}wasAssociatedWith> {_lit(rec.who)} ;"
        f" <{PROV}endedAtTime> {t} ;"
        f" <{GOV.revision}> {_lit(rec.revision)} ;"
        f" <{GOV.triplesAdded}> {_lit(rec.added)} ;"
        f" <{GOV.triplesRemoved}> {_lit(rec.removed)} ;"
        f" <{GOV.forced}> {_lit(rec.forced)}"
        + (f" ; <{DCT}description> {note}" if note else "")
        + (f" ; <{KEPT_IN.value}> <{rec.kept}>" if rec.kept else "")
        + " } }"
    )


#: Widest range of revisions ``read_history`` looks up by their revision numbers (an index lookup each);
#: a wider range is read by a pass over every record.
LOOKUP_RANGE = 1_000


def read_history(backend: Any, after: int | None = None, until: int | None = None) -> list[ChangeRecord]:
    """Every change record in the audit graph, oldest first (only revisions ``after`` < r <= ``until`` if given).

    A range of up to LOOKUP_RANGE revisions costs in proportion to the range, not to the history: the
    live views read each commit's records, and a FILTER over every record took 11 ms a read after
    2,000 OpenLineage events, growing with each (``tests/bench/bench_live.py --stream``)."""
    lookup = within = ""
    if after is not None and until is not None:
        if until <= after:
            return []
        if until - after <= LOOKUP_RANGE:
            lookup = "VALUES ?rev { " + " ".join(str(_lit(r)) for r in range(int(after) + 1, int(until) + 1)) + " }"
        else:
            within = f"FILTER(?rev > {int(after)} && ?rev <= {int(until)})"
    rows = backend.query(
        sparql_prologue() + """SELECT ?c ?rev ?src ?act ?who ?at ?add ?rem ?forced ?note ?kept WHERE { """ + lookup + """
          ?c gov:revision ?rev ; a gov:ChangeRecord ; gov:sourceName ?src ; rdfs:label ?act ;
             prov:wasAssociatedWith ?who ; prov:endedAtTime ?at ; gov:triplesAdded ?add ;
             gov:triplesRemoved ?rem ; gov:forced ?forced . """ + within + """ OPTIONAL { ?c dcterms:description ?note }
          OPTIONAL { ?c <""" + KEPT_IN.value + """> ?kept }
        } ORDER BY ?rev""", [AUDIT_GRAPH], None)
    return [ChangeRecord(iri=r["c"].value, revision=int(r["rev"].value), source=r["src"].value,
                         action=r["act"].value, who=r["who"].value,
                         at=dt.datetime.fromisoformat(r["at"].value), added=int(r["add"].value),
                         removed=int(r["rem"].value), forced=r["forced"].value in ("true", "1"),
                         note=r["note"].value if r["note"] is not None else "",
                         kept=r["kept"].value if r["kept"] is not None else "")
            for r in rows]


def kept_graphs(backend: Any) -> set[str]:
    """Graphs named by change records as keeping what they removed (``ChangeRecord.kept``)."""
    return {q.object.value for q in backend.quads(None, KEPT_IN, None, AUDIT_GRAPH) if isinstance(q.object, ox.NamedNode)}
