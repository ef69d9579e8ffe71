"""Replacing a source with much less than it had is a removal, and needs an admin (issue 21, finding 12)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.io.write import LARGE_REMOVAL, is_removal
from govgraph.store import open_store
from support import tokened_app

BASE = "https://data.county.example.gov.uk/id/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def terms(names) -> str:
    """Turtle with one skos:Concept per name (2 triples each)."""
    return "\n".join(f'<{BASE}term/{n}> a <{SKOS}Concept> ; <{SKOS}prefLabel> "{n}" .' for n in names)


@pytest.mark.parametrize("had,dropped,removal", [
    (0, 0, False), (1, 0, False), (1, 1, True), (2, 1, False), (10, 5, False), (10, 6, True), (10, 10, True),
    (1_000_000, 100_000, False), (1_000_000, LARGE_REMOVAL + 1, True), (3, 2, True),
])
def test_what_counts_as_a_removal(had, dropped, removal):
    assert is_removal(had, dropped) is removal


@pytest.fixture
def app(memory_store, tmp_path):
    return tokened_app(memory_store, tmp_path)


def _put(app, body: str, role: str):
    return app.test_client().put("/api/v1/sources/terms", data=body, content_type="text/turtle",
                                 headers={"Authorization": "Bearer " + app.tokens[role]})


def _update(app, text: str, role: str):
    return app.test_client().post("/sparql/update?source=terms", data=text, content_type="application/sparql-update",
                                  headers={"Authorization": "Bearer " + app.tokens[role]})


def _size(app) -> int:
    return app.extensions["govgraph.store"].source("terms").triples


def test_write_api_editor_may_not_shrink_a_source_admin_may(app):
    st = app.extensions["govgraph.store"]
    ten = [f"t{i}" for i in range(10)]
    assert _put(app, terms(ten), "editor").status_code == 201  # creating is not a removal
    assert _size(app) == 20
    rev = st.revision
    r = _put(app, terms(["t0"]), "editor")  # one term left: 18 of 20 triples dropped
    assert r.status_code == 403, r.data
    msg = r.get_json()["error"]
    assert "drop 18 of its 20 triples" in msg and "admin" in msg and "DELETE /api/v1/sources/terms" in msg
    assert st.revision == rev and _size(app) == 20
    r = _put(app, terms(ten[:5] + ["new1", "new2"]), "editor")  # 10 of 20 dropped: exactly half is an edit
    assert r.status_code == 201, r.data
    assert _size(app) == 14
    r = _put(app, terms(["other"]), "editor")  # same size as a removal plus an addition: still a removal
    assert r.status_code == 403
    assert _put(app, terms(["t0"]), "admin").status_code == 201
    assert _size(app) == 2


def test_sparql_update_editor_may_not_shrink_a_source_admin_may(app):
    st = app.extensions["govgraph.store"]
    assert _put(app, terms([f"t{i}" for i in range(10)]), "editor").status_code == 201
    rev = st.revision
    keep_one = f"DELETE {{ ?t ?p ?o }} WHERE {{ ?t ?p ?o FILTER(?t != <{BASE}term/t0>) }}"
    r = _update(app, keep_one, "editor")
    assert r.status_code == 403 and "needs an admin" in r.get_json()["error"]
    assert st.revision == rev and _size(app) == 20
    few = f"DELETE WHERE {{ <{BASE}term/t1> ?p ?o }}"
    assert _update(app, few, "editor").status_code == 200
    assert _size(app) == 18
    assert _update(app, keep_one, "admin").status_code == 200
    assert _size(app) == 2
    assert _update(app, "DELETE WHERE { ?s ?p ?o }", "admin").status_code == 400  # empty: remove it instead


def test_the_cli_replaces_with_anything(tmp_path):
    """File-system access is an admin's: `govgraph load --replace` may shrink a source."""
    url = f"oxigraph:{tmp_path / 'store'}"
    big, small = tmp_path / "big.ttl", tmp_path / "small.ttl"
    big.write_text(terms([f"t{i}" for i in range(50)]))
    small.write_text(terms(["t0"]))
    r = CliRunner()
    assert r.invoke(main, ["load", "--store", url, "--source", "terms", str(big)]).exit_code == 0
    res = r.invoke(main, ["load", "--store", url, "--source", "terms", "--replace", str(small)])
    assert res.exit_code == 0, res.output
    st = open_store(url)
    try:
        assert st.source("terms").triples == 2
    finally:
        st.close()
