"""Records read through SPARQL TSV (the fast path) equal records read row by row, on the
demo region and on literals with every escape TSV has."""

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from regiongraph.search import records
from regiongraph.search.records import RecordReader, _rows
from regiongraph.settings import Settings
from regiongraph.store import open_store

XSD = "http://www.w3.org/2001/XMLSchema#"


def read_all(store, fast: bool, public=frozenset()):
    old = records.FAST_ROWS
    records.FAST_ROWS = fast
    try:
        reader = RecordReader(store, public=set(public))
        return {r.iri: r.encoded() for r in reader.read(reader.subjects())}
    finally:
        records.FAST_ROWS = old


def test_both_paths_read_the_demo_alike(demo_store):
    fast, slow = read_all(demo_store, True), read_all(demo_store, False)
    assert len(fast) > 400
    assert fast == slow


@pytest.mark.parametrize("term", [
    Literal('tab\there, newline\nthere, "quotes", back\\slash, é, 😀, \\u0041'),
    Literal("Café", language="fr"),
    Literal("hi", language="en-US"),
    Literal("42", datatype=NamedNode(XSD + "integer")),
    Literal("-4.50", datatype=NamedNode(XSD + "decimal")),
    Literal("1.0E3", datatype=NamedNode(XSD + "double")),
    Literal("true", datatype=NamedNode(XSD + "boolean")),
    Literal("2024-02-29", datatype=NamedNode(XSD + "date")),
    Literal(""),
    NamedNode("https://example.org/a%20b?x=1#frag"),
    BlankNode("b0"),
])
def test_tsv_terms_round_trip(term):
    store = open_store(Settings(store="memory"))
    graph = NamedNode("https://example.org/g")
    subject = NamedNode("https://example.org/s")
    store.add([Quad(subject, NamedNode("https://example.org/p"), term, graph)])
    sparql = "SELECT ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    records.FAST_ROWS = True
    (fast,) = list(_rows(store, sparql, ("o", "g")))
    records.FAST_ROWS = False
    try:
        (slow,) = list(_rows(store, sparql, ("o", "g")))
    finally:
        records.FAST_ROWS = True
    assert fast[1] == slow[1] == graph
    if isinstance(term, BlankNode):
        assert isinstance(fast[0], BlankNode)
    else:
        assert fast[0] == slow[0]
        assert fast[0].value == slow[0].value
