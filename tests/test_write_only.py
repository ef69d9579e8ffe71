"""A new source's commit on a SPARQL server in the form Oxigraph writes without an indexed batch
(``govgraph/write_only.py``): the merge's ADD first, every other operation data, and the store
exactly as the general form leaves it (registry, revision, change record, merge, no claim left),
on `oxigraph serve` and on Virtuoso."""
from __future__ import annotations

import pytest

from govgraph import write_only
from govgraph.commit_lock import LOCK_GRAPH
from govgraph.store_graphs import META_GRAPH, STORE_NODE

ONE = b"@prefix ex: <http://ex/> . ex:a ex:p ex:b ; ex:q \"one\" . ex:shared ex:p ex:c ."
TWO = b"@prefix ex: <http://ex/> . ex:d ex:p ex:e . ex:shared ex:p ex:c ."


@pytest.fixture(params=["remote", "virtuoso"])
def server_store(request, store_factory, tmp_path):
    with store_factory(request.param, tmp_path) as s:
        yield s


def _sent(store, monkeypatch) -> list[str]:
    """The updates the store's backend sends from now on (each still sent)."""
    sent: list[str] = []
    real = store.backend.update

    def update(text: str) -> None:
        sent.append(text)
        real(text)
    monkeypatch.setattr(store.backend, "update", update)
    return sent


def _load(store, name: str, data: bytes) -> None:
    with store.begin(name) as txn:
        txn.load(data=data, fmt="turtle")
        txn.commit()


def _rows(store, text: str) -> list:
    return list(store.backend.query(text, None, None))


def test_new_sources_commit_in_the_plain_form_and_leave_the_store_whole(server_store, monkeypatch):
    st = server_store
    sent = _sent(st, monkeypatch)
    _load(st, "one", ONE)
    _load(st, "two", TWO)
    commits = [u for u in sent if "ChangeRecord" in u]
    assert len(commits) == 2
    for text in commits:
        ops = text.split(";\n")
        assert ops[0].startswith("ADD SILENT <") and " TO <" in ops[0]
        assert all(op.startswith(("INSERT DATA", "DELETE DATA")) for op in ops[1:]), ops
        assert "DELETE WHERE" not in text
    # the second commit deleted the first's revision as data, read under the commit lock
    assert '"1"^^<http://www.w3.org/2001/XMLSchema#integer>' in commits[1].split(";\n")[1]

    st.forget()
    assert st.revision == 2
    assert [r["r"].value for r in _rows(st, f"SELECT ?r WHERE {{ GRAPH <{META_GRAPH.value}> "
                                            f"{{ <{STORE_NODE.value}> <https://w3id.org/govgraph#revision> ?r }} }}")] \
        == ["2"]
    assert sorted(i.name for i in st.sources()) == ["one", "two"]
    assert _rows(st, f"SELECT * WHERE {{ GRAPH <{LOCK_GRAPH.value}> {{ ?s ?p ?o }} }}") == []  # no claim, no stamp
    # the merge: each triple once, the shared one too
    facts = st.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert len(facts) == 4 and len({(r["s"], r["p"], r["o"]) for r in facts}) == 4
    assert [(r.source, r.action, r.added) for r in st.history()][-2:] in (
        [("one", "load", 3), ("two", "load", 2)], [("two", "load", 2), ("one", "load", 3)])


def test_a_replacement_and_a_failed_commit_keep_the_general_form(server_store, monkeypatch):
    st = server_store
    _load(st, "one", ONE)
    sent = _sent(st, monkeypatch)
    with st.begin("one", replace=True) as txn:
        txn.load(data=TWO, fmt="turtle")
        txn.commit()
    (commit,) = [u for u in sent if "ChangeRecord" in u]
    assert "DELETE WHERE" in commit  # a replacement reads its difference: not the plain form
    st.forget()
    assert st.revision == 2 and len(st.select("SELECT * WHERE { ?s ?p ?o }")) == 2


@pytest.mark.parametrize("extra, plain", [("INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }", True),
                                          ("INSERT { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } } WHERE { }", False)])
def test_a_commits_extra_operations_go_with_it(server_store, monkeypatch, extra, plain):
    """Data operations (a validated load's baseline) keep the plain form; any other, the general one."""
    st = server_store
    sent = _sent(st, monkeypatch)
    with st.begin("one") as txn:
        txn.load(data=ONE, fmt="turtle")
        txn.commit(extra=lambda rec: [extra])
    (commit,) = [u for u in sent if "ChangeRecord" in u]
    assert ("DELETE WHERE" not in commit) is plain
    assert st.backend.query("ASK { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }", None, None)
    assert _rows(st, f"SELECT * WHERE {{ GRAPH <{LOCK_GRAPH.value}> {{ ?s ?p ?o }} }}") == []


def test_only_data_operations_follow_the_first(server_store):
    with pytest.raises(ValueError, match="not a data operation"):
        write_only.update(server_store.backend, "ADD <urn:a> TO <urn:b>", [],
                          ["DELETE WHERE { GRAPH <urn:c> { ?s ?p ?o } }"])
