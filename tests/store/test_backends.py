"""The same contract on all three backends: disk, memory and a remote SPARQL server (a real
`oxigraph serve`, and a real Virtuoso 7)."""

import io

import pytest
from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Triple, Variable

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import clear_remote, remote_settings

G = NamedNode("https://example.org/graph/a")
H = NamedNode("https://example.org/graph/b")
P = NamedNode("https://example.org/p")


def triples(n: int, fail_at: int | None = None, tag: str = "v"):
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"producer failed at {i}")
        yield Triple(NamedNode(f"https://example.org/s{i}"), P, Literal(f"{tag}{i}"))


@pytest.fixture(params=["disk", "memory", "oxigraph", "virtuoso"])
def store(request, tmp_path):
    if request.param == "disk":
        settings = Settings(store=str(tmp_path / "store"))
    elif request.param == "memory":
        settings = Settings(store="memory")
    else:
        url = request.getfixturevalue(f"{request.param}_url")
        settings = Settings(**remote_settings(request.param, url))
    opened = open_store(settings)
    if request.param in ("oxigraph", "virtuoso"):
        clear_remote(opened)
    yield opened
    opened.close()


def test_replace_graph_swaps_content(store):
    assert store.replace_graph(G, triples(10)) == 10
    assert store.replace_graph(G, triples(3, tag="w")) == 3
    values = sorted(row["o"].value for row in store.query(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G]))
    assert values == ["w0", "w1", "w2"]


def test_failed_replace_keeps_previous_graph(store):
    store.replace_graph(G, triples(5))
    with pytest.raises(ValueError, match="producer failed"):
        store.replace_graph(G, triples(100, fail_at=60, tag="new"))
    assert store.count(G) == 5
    assert store.graphs() == {G.value: 5}


def test_failed_first_load_leaves_nothing(store):
    with pytest.raises(ValueError):
        store.replace_graph(H, triples(100, fail_at=10))
    assert store.count(H) == 0
    assert H.value not in store.graphs()


def test_graphs_counts_and_remove(store):
    store.replace_graph(G, triples(4))
    store.replace_graph(H, triples(2))
    assert store.graphs() == {G.value: 4, H.value: 2}
    store.remove_graph(G)
    assert store.graphs() == {H.value: 2}


def test_query_forms_and_union_default_graph(store):
    store.replace_graph(G, triples(3))
    store.replace_graph(H, triples(2, tag="h"))
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", union_default_graph=True)
    assert isinstance(rows, QuerySolutions)
    assert int(next(iter(rows))["n"].value) == 5
    assert bool(store.query("ASK { GRAPH ?g { ?s ?p \"h1\" } }"))
    built = list(store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://example.org/graph/b> { ?s ?p ?o } }"))
    assert sorted(t.object.value for t in built) == ["h0", "h1"]
    described = list(store.query(
        "DESCRIBE <https://example.org/s0>", default_graph=[G]))
    assert [t.object.value for t in described] == ["v0"]


def test_substitutions_bind_terms_not_text(store):
    store.replace_graph(G, triples(3))
    hostile = Literal('x" } ; DROP ALL ; #')
    rows = list(store.query(
        "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }", substitutions={Variable("o"): hostile}))
    assert rows == []
    rows = list(store.query(
        "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }", substitutions={Variable("o"): Literal("v1")}))
    assert [r["s"].value for r in rows] == ["https://example.org/s1"]
    assert store.count(G) == 3


def test_update_is_applied(store):
    store.replace_graph(G, triples(2))
    store.update(f"INSERT DATA {{ GRAPH <{H.value}> {{ <https://example.org/x> <{P.value}> 1 }} }}")
    assert store.count(H) == 1


def test_dump_restore_round_trip(store):
    store.replace_graph(G, triples(20))
    store.add([Quad(NamedNode("https://example.org/y"), P, Literal("é \"quoted\"\n"), H)])
    before = store.graphs()
    buffer = io.BytesIO()
    assert store.dump(buffer) == 21
    store.remove_graph(G)
    store.remove_graph(H)
    assert store.graphs() == {}
    buffer.seek(0)
    assert store.restore(buffer) == 21
    assert store.graphs() == before
    rows = list(store.query("SELECT ?o WHERE { GRAPH ?g { <https://example.org/y> ?p ?o } }"))
    assert rows[0]["o"].value == "é \"quoted\"\n"


@pytest.mark.parametrize("store", ["disk", "memory", "oxigraph"], indirect=True)
def test_restore_replaces_every_graph_and_leaves_no_staging(store):
    """Virtuoso keeps no default graph: tests/store/test_virtuoso.py."""
    store.replace_graph(G, triples(5))
    store.update('INSERT DATA { <https://example.org/old> <https://example.org/p> "old" }')
    dump = (b'<https://example.org/n> <https://example.org/p> "new" <https://example.org/graph/b> .\n'
            b'<https://example.org/n> <https://example.org/p> "default" .\n')
    assert store.restore(io.BytesIO(dump)) == 2
    assert store.graphs() == {H.value: 1, "": 1}
    rows = store.query("SELECT ?o WHERE { ?s ?p ?o }")
    assert [row["o"].value for row in rows] == ["default"]


def test_remote_without_graph_store_url_says_what_to_set(remote_engine):
    from regiongraph.store import StoreError

    store = open_store(Settings(**{**remote_engine, "gsp_url": None}))
    with pytest.raises(StoreError) as failure:
        store.replace_graph(G, triples(3))
    store.close()
    assert "set REGIONGRAPH_GSP_URL (or --gsp-url)" in str(failure.value)
    assert "nothing was written" in str(failure.value)


def test_bad_dump_changes_nothing(store):
    store.replace_graph(G, triples(3))
    with pytest.raises(SyntaxError):
        store.restore(io.BytesIO(b"<https://a> <https://b> \"ok\" <https://g> .\n<broken\n"))
    assert store.graphs() == {G.value: 3}
