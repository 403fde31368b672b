"""Where Virtuoso 7.2.5 departs from SPARQL 1.1, shown on a real server (Debian's
virtuoso-opensource), with what the remote backend does about it."""

import io

import httpx
import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from regiongraph.settings import Settings
from regiongraph.store import StoreError, open_store
from regiongraph.store.remote import VIRTUOSO
from tests.support import clear_remote, remote_settings

pytestmark = pytest.mark.remote
G = NamedNode("https://example.org/graph/v")
P = NamedNode("https://example.org/p")
ACCEPT = {"Accept": "application/sparql-results+json"}


@pytest.fixture
def store(virtuoso_url):
    opened = open_store(Settings(**remote_settings("virtuoso", virtuoso_url)))
    clear_remote(opened)
    yield opened
    clear_remote(opened)
    opened.close()


def raw_count(url: str, graph: NamedNode) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}"
    response = httpx.post(f"{url}/sparql", data={"query": query}, headers=ACCEPT, timeout=30)
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_dialect_is_found_from_the_server_header(store):
    assert store.dialect is VIRTUOSO


def test_drop_all_answers_success_and_drops_nothing(store, virtuoso_url):
    store.add([Quad(NamedNode("https://example.org/s"), P, Literal("kept"), G)])
    for update in ("DROP ALL", "DROP SILENT ALL", "CLEAR ALL"):
        store.update(update)  # HTTP 200, no error
    assert store.graphs() == {G.value: 1}


def test_own_graphs_are_hidden(store, virtuoso_url):
    response = httpx.post(f"{virtuoso_url}/sparql", headers=ACCEPT, timeout=30, data={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"})
    listed = {b["g"]["value"] for b in response.json()["results"]["bindings"]}
    assert listed == VIRTUOSO.own_graphs
    assert store.graphs() == {}
    assert store.dump(io.BytesIO()) == 0


def test_a_chunked_graph_store_body_is_read_as_empty(store, virtuoso_url):
    """Why the backend states a Content-Length: a chunked PUT empties the graph, with 2xx."""
    store.replace_graph(G, [Quad(NamedNode("https://example.org/s"), P, Literal("1"), G)])
    body = b'<https://example.org/s> <https://example.org/p> "2" .\n'
    response = httpx.put(f"{virtuoso_url}/sparql-graph-crud", params={"graph": G.value},
                         content=iter([body]), timeout=30,
                         headers={"Content-Type": "application/n-triples"})
    assert response.status_code in (200, 201, 204)
    assert raw_count(virtuoso_url, G) == 0


def test_no_default_graph_of_its_own(store, virtuoso_url):
    store.add([Quad(NamedNode("https://example.org/s"), P, Literal("named"), G)])
    # a query with no dataset reads the union of every graph
    rows = store.query("SELECT ?o WHERE { ?s <https://example.org/p> ?o }")
    assert [row["o"].value for row in rows] == ["named"]
    # writes to it are refused, by Virtuoso or before anything is sent
    with pytest.raises(StoreError, match="No plain default graph specified"):
        store.update('INSERT DATA { <https://example.org/s> <https://example.org/p> "d" }')
    with pytest.raises(StoreError, match="keeps no default graph of its own"):
        store.add([Quad(NamedNode("https://example.org/s"), P, Literal("d"))])
    dump = (b'<https://example.org/n> <https://example.org/p> "new" <https://example.org/graph/b> .\n'
            b'<https://example.org/n> <https://example.org/p> "default" .\n')
    with pytest.raises(StoreError, match="the store was left as it was"):
        store.restore(io.BytesIO(dump))
    assert store.graphs() == {G.value: 1}


def test_blank_nodes_and_constructs_come_back_as_rdf_terms(store):
    node = BlankNode()
    store.add([Quad(NamedNode("https://example.org/s"), P, node, G),
               Quad(node, P, Literal("2024-05-01", datatype=NamedNode(
                   "http://www.w3.org/2001/XMLSchema#date")), G)])
    rows = list(store.query(f"SELECT ?b ?d WHERE {{ GRAPH <{G.value}> {{ ?s ?p ?b . ?b ?p ?d }} }}"))
    assert isinstance(rows[0]["b"], BlankNode)
    assert rows[0]["d"].datatype.value == "http://www.w3.org/2001/XMLSchema#date"
    built = list(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G.value}> {{ ?s ?p ?o }} }}"))
    assert len(built) == 2 and sum(isinstance(t.subject, BlankNode) for t in built) == 1


def test_an_update_whose_where_is_only_optional_writes_nothing(store):
    """Why the journal's version bump (regiongraph/journal.py `append`) matches the current
    version, and the views' marks are DELETE WHERE + INSERT DATA: with a WHERE of only
    OPTIONAL (and BIND), an update inserts nothing and answers success, where as a query
    the same WHERE gives one solution."""
    store.update(f"DELETE {{ GRAPH <{G.value}> {{ <urn:j> <urn:v> ?v }} }} "
                 f"INSERT {{ GRAPH <{G.value}> {{ <urn:j> <urn:v> 1 }} }} "
                 f"WHERE {{ OPTIONAL {{ GRAPH <{G.value}> {{ <urn:j> <urn:v> ?v }} }} }}")
    assert store.graphs() == {}
    where = ("WHERE { OPTIONAL { GRAPH <https://example.org/graph/v> { <urn:j> <urn:v> ?old } } "
             "BIND(COALESCE(?old, 0) + 1 AS ?next) }")
    rows = list(store.query(f"SELECT ?next {where}"))
    assert [row["next"].value for row in rows] == ["1"]
    store.update(f"INSERT {{ GRAPH <{G.value}> {{ <urn:j> <urn:v> ?next }} }} {where}")
    assert store.graphs() == {}
    store.update(f"INSERT {{ GRAPH <{G.value}> {{ <urn:j> <urn:v> ?next }} }} "
                 "WHERE { BIND(1 AS ?next) }")
    assert store.graphs() == {G.value: 1}
