"""A SELECT read as strings (``Store.query(..., strings=True)``, what the lineage build reads): the same
rows on every backend as the terms' text, however the server writes them (a SPARQL server is asked for
CSV: quotes, commas and line breaks in literals, language tags and datatypes dropped, blank nodes as
``_:`` and their label, an unbound value as ``""``)."""
from __future__ import annotations

import pyoxigraph as ox
from govgraph.backends.results import term_rows

EX = "http://strings.example/"
LITERALS = [ox.Literal('a, "quoted"\nsecond line'), ox.Literal("fr", language="fr"), ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            ox.Literal("2020-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")), ox.Literal("")]
TRUE = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


def test_rows_as_strings_are_the_terms_text(any_store):
    st = any_store
    with st.begin("strings", who="test") as txn:
        quads = [ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), lit, txn.graph)
                 for i, lit in enumerate(LITERALS)]
        blank = ox.BlankNode()
        quads += [ox.Quad(blank, ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}o"), txn.graph),
                  ox.Quad(ox.NamedNode(f"{EX}s0"), ox.NamedNode(f"{EX}q"), blank, txn.graph),
                  ox.Quad(ox.NamedNode(f"{EX}t"), ox.NamedNode(f"{EX}flag"), TRUE, txn.graph)]
        st.add_quads(quads)
        txn.commit()
    for q in (f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}",
              f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}",
              f"SELECT ?s ?b ?o WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}q> ?b }} }}",
              f"SELECT ?b WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}q> ?b }} }}"):
        rows = st.query(q, strings=True)
        assert sorted(rows) == sorted(term_rows(st.query(q))), q
        assert len(rows) == len(LITERALS) + 1, q
    texts = {o for _, o in st.query(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}", strings=True)}
    assert {lit.value for lit in LITERALS} <= texts
    # xsd:boolean as the server writes it (CSV has no datatypes to read Virtuoso's 1 and 0 by)
    assert st.query(f"SELECT ?o WHERE {{ <{EX}t> <{EX}flag> ?o }}", strings=True) in ([("true",)], [("1",)])
    # a blank node is the same "_:" string whichever way it is read, and its label is stable
    (b1,) = {s for s, o in st.query(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}", strings=True) if o == f"{EX}o"}
    (b2,) = st.query(f"SELECT ?b WHERE {{ <{EX}s0> <{EX}q> ?b }}", strings=True)[0]
    assert b1 == b2 and b1.startswith("_:")
