"""The W3C SPARQL 1.1 Protocol test descriptions, over real HTTP.

Each test below is one entry of the W3C protocol test manifest
(http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#), with the
request the description gives and the outcome it expects: negative tests a 4xx, positive
tests a 2xx and the right content. The dataset tests use graphs named like the suite's
data files. The admin token is sent so that the whole (scratch) store answers.
"""

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, Quad
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.sparql.conftest import ADMIN, TOKEN
from tests.support import serve_app

DATA = "http://kasei.us/2009/09/sparql/data/"
FOAF = "http://xmlns.com/foaf/0.1/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def endpoint():
    """A store holding data1..data3 as named graphs, as the suite assumes."""
    settings = Settings(store="memory", admin_token=TOKEN)
    store = open_store(settings)
    for n in (1, 2, 3):
        graph = NamedNode(f"{DATA}data{n}.rdf")
        store.add([
            Quad(graph, NamedNode(FOAF + "name"), Literal(f"data {n}"), graph),
            Quad(graph, NamedNode("http://purl.org/dc/terms/type"), NamedNode(FOAF + "Document"),
                 graph),
            Quad(NamedNode(f"http://example.org/person{n}"), NamedNode(FOAF + "knows"),
                 NamedNode(f"http://example.org/person{n + 1}"), graph),
        ])
    with serve_app(create_app(settings, store=store)) as url:
        yield url + "/sparql"
    store.close()


def ask(response: httpx.Response) -> bool:
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


# -- negative tests -------------------------------------------------------------------


def test_bad_query_method(endpoint):
    response = httpx.put(endpoint, params={"query": "ASK {}"}, headers=ADMIN)
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


def test_bad_multiple_queries(endpoint):
    response = httpx.get(endpoint + "?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert response.status_code == 400
    assert "2 'query' parameters" in response.text


def test_bad_query_wrong_media_type(endpoint):
    response = httpx.post(endpoint, content="ASK {}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_bad_query_missing_form_type(endpoint):
    response = httpx.post(endpoint, content="query=ASK%20%7B%7D")
    assert response.status_code == 415
    assert "Content-Type" in response.text


def test_bad_query_missing_direct_type(endpoint):
    response = httpx.post(endpoint, content="ASK {}")
    assert response.status_code == 415


def test_bad_query_non_utf8(endpoint):
    response = httpx.post(endpoint, content="ASK {}".encode("utf-16"),
                          headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert response.status_code == 415
    invalid = httpx.post(endpoint, content=b"ASK { <http://e/\xff> ?p ?o }",
                         headers={"Content-Type": "application/sparql-query"})
    assert invalid.status_code == 400
    assert "UTF-8" in invalid.text


def test_bad_query_syntax(endpoint):
    response = httpx.get(endpoint, params={"query": "ASK {"})
    assert response.status_code == 400
    assert "syntax" in response.text


def test_bad_update_get(endpoint):
    response = httpx.get(endpoint, params={"update": "CLEAR ALL"}, headers=ADMIN)
    assert response.status_code == 400
    assert "never by GET" in response.text


def test_bad_multiple_updates(endpoint):
    response = httpx.post(endpoint, content="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                          headers={**ADMIN, "Content-Type": FORM})
    assert response.status_code == 400


def test_bad_update_wrong_media_type(endpoint):
    response = httpx.post(endpoint, content="CLEAR NAMED",
                          headers={**ADMIN, "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_bad_update_missing_form_type(endpoint):
    response = httpx.post(endpoint, content="update=CLEAR%20NAMED", headers=ADMIN)
    assert response.status_code == 415


def test_bad_update_non_utf8(endpoint):
    response = httpx.post(
        endpoint, content="CLEAR NAMED".encode("utf-16"),
        headers={**ADMIN, "Content-Type": "application/sparql-update; charset=UTF-16"})
    assert response.status_code == 415


def test_bad_update_syntax(endpoint):
    response = httpx.post(endpoint, content="update=CLEAR%20XYZ",
                          headers={**ADMIN, "Content-Type": FORM})
    assert response.status_code == 400


def test_bad_update_dataset_conflict(endpoint):
    update = ("PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
              "DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName "
              "'William' }\nWHERE { ?person foaf:givenName 'Bill' }")
    response = httpx.post(endpoint, data={"using-named-graph-uri": "http://example/people",
                                          "update": update}, headers=ADMIN)
    assert response.status_code == 400
    assert "one way only" in response.text


def test_update_needs_the_token(endpoint):
    anonymous = httpx.post(endpoint, content="CLEAR ALL",
                           headers={"Content-Type": "application/sparql-update"})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(endpoint, content="CLEAR ALL", headers={
        "Content-Type": "application/sparql-update", "Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    still = f"ASK {{ GRAPH <{DATA}data1.rdf> {{ ?s ?p ?o }} }}"
    assert ask(httpx.get(endpoint, params={"query": still},
                         headers=ADMIN))


# -- positive tests -------------------------------------------------------------------


def test_query_get(endpoint):
    assert ask(httpx.get(endpoint, params={"query": "ASK {}"})) is True


def test_query_post_form(endpoint):
    assert ask(httpx.post(endpoint, data={"query": "ASK {}"})) is True


def test_query_post_direct(endpoint):
    assert ask(httpx.post(endpoint, content="ASK {}",
                          headers={"Content-Type": "application/sparql-query"})) is True


def test_query_dataset_default_graph(endpoint):
    response = httpx.post(endpoint, params={"default-graph-uri": f"{DATA}data1.rdf"},
                          content=f"ASK {{ <{DATA}data1.rdf> ?p ?o }}",
                          headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert ask(response) is True
    other = httpx.post(endpoint, params={"default-graph-uri": f"{DATA}data2.rdf"},
                       content=f"ASK {{ <{DATA}data1.rdf> ?p ?o }}",
                       headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert ask(other) is False


def test_query_dataset_default_graphs(endpoint):
    params = [("default-graph-uri", f"{DATA}data1.rdf"), ("default-graph-uri", f"{DATA}data2.rdf")]
    response = httpx.post(
        endpoint, params=params,
        content=f"ASK {{ <{DATA}data1.rdf> ?p ?o . <{DATA}data2.rdf> ?p ?o }}",
        headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert ask(response) is True


def test_query_dataset_named_graphs_get_and_post(endpoint):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    params = [("named-graph-uri", f"{DATA}data1.rdf"), ("named-graph-uri", f"{DATA}data2.rdf")]
    for response in (
        httpx.get(endpoint, params=[("query", query), *params], headers=ADMIN),
        httpx.post(endpoint, data={"query": query, "named-graph-uri": [p[1] for p in params]},
                   headers=ADMIN),
    ):
        assert response.status_code == 200
        graphs = [b["g"]["value"] for b in response.json()["results"]["bindings"]]
        assert graphs == [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]


def test_query_dataset_full(endpoint):
    params = [("default-graph-uri", f"{DATA}data3.rdf"), ("named-graph-uri", f"{DATA}data1.rdf"),
              ("named-graph-uri", f"{DATA}data2.rdf")]
    response = httpx.post(endpoint, params=params,
                          content="SELECT ?g ?x ?s { ?x ?y ?o  GRAPH ?g { ?s ?p ?o } }",
                          headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    rows = response.json()["results"]["bindings"]
    # ?x comes from the default graph (data3 only), ?g from the named graphs (data1, data2).
    assert {(r["g"]["value"], r["x"]["value"]) for r in rows} == {
        (f"{DATA}data1.rdf", f"{DATA}data3.rdf"), (f"{DATA}data2.rdf", f"{DATA}data3.rdf")}
    names = httpx.post(endpoint, params=params,
                       content="SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
                       headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert {b["g"]["value"] for b in names.json()["results"]["bindings"]} == {
        f"{DATA}data1.rdf", f"{DATA}data2.rdf"}


def test_query_multiple_dataset(endpoint):
    """Protocol dataset parameters override the query's own FROM."""
    response = httpx.post(endpoint, params={"default-graph-uri": f"{DATA}data2.rdf"},
                          content=f"ASK FROM <{DATA}data1.rdf> {{ <{DATA}data2.rdf> ?p ?o }}",
                          headers={**ADMIN, "Content-Type": "application/sparql-query"})
    assert ask(response) is True


def test_query_from_clause_is_kept_without_parameters(endpoint):
    template = "ASK FROM <{0}data1.rdf> {{ <{0}data{1}.rdf> ?p ?o }}"
    yes = httpx.get(endpoint, params={"query": template.format(DATA, 1)},
                    headers=ADMIN)
    no = httpx.get(endpoint, params={"query": template.format(DATA, 2)},
                   headers=ADMIN)
    assert ask(yes) is True and ask(no) is False


@pytest.mark.parametrize("query,expected", [
    ("SELECT (1 AS ?value) {}", {"application/sparql-results+xml",
                                 "application/sparql-results+json", "text/csv",
                                 "text/tab-separated-values"}),
    ("ASK {}", {"application/sparql-results+xml", "application/sparql-results+json"}),
    ("DESCRIBE <http://example.org/>", {"application/rdf+xml", "text/turtle",
                                        "application/n-triples"}),
    ("CONSTRUCT { <s> <p> 1 } WHERE {}", {"application/rdf+xml", "text/turtle",
                                          "application/n-triples"}),
])
def test_query_content_type(endpoint, query, expected):
    response = httpx.post(endpoint, content=query,
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in expected


def test_update_post_form_and_direct(endpoint):
    graph = "http://example.org/protocol-update-test/"
    insert = "INSERT DATA {{ GRAPH <{0}> {{ <http://e/{1}> <http://e/p> 1 }} }}"
    form = httpx.post(endpoint, data={"update": insert.format(graph, "a")},
                      headers=ADMIN)
    assert form.status_code == 204
    direct = httpx.post(endpoint, content=insert.format(graph, "b"),
                        headers={**ADMIN, "Content-Type": "application/sparql-update"})
    assert direct.status_code == 204
    counting = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    count = httpx.get(endpoint, params={"query": counting},
                      headers=ADMIN)
    assert count.json()["results"]["bindings"][0]["n"]["value"] == "2"
    httpx.post(endpoint, data={"update": f"DROP GRAPH <{graph}>"}, headers=ADMIN)


def test_update_dataset_default_graphs(endpoint):
    """using-graph-uri makes those graphs the WHERE clause's default graph."""
    target = "http://example.org/protocol-update-dataset-graphs-test/"
    update = (f"PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <{FOAF}>\n"
              f"INSERT DATA {{ GRAPH <{DATA}data1.rdf> {{ <{DATA}data1.rdf> a foaf:Document }} }}"
              " ;\n"
              f"INSERT DATA {{ GRAPH <{DATA}data2.rdf> {{ <{DATA}data2.rdf> a foaf:Document }} }}"
              " ;\n"
              f"INSERT {{ GRAPH <{target}> {{ ?s a dc:BibliographicResource }} }}\n"
              "WHERE { ?s a foaf:Document }")
    response = httpx.post(endpoint, params=[("using-graph-uri", f"{DATA}data1.rdf"),
                                            ("using-graph-uri", f"{DATA}data2.rdf")],
                          content=update,
                          headers={**ADMIN, "Content-Type": "application/sparql-update"})
    assert response.status_code == 204, response.text
    resource = "<http://purl.org/dc/terms/BibliographicResource>"
    check = (f"ASK {{ GRAPH <{target}> {{ <{DATA}data1.rdf> a {resource} . "
             f"<{DATA}data2.rdf> a {resource} }} }}")
    assert ask(httpx.get(endpoint, params={"query": check}, headers=ADMIN)) is True
    httpx.post(endpoint, data={"update": f"DROP GRAPH <{target}>"}, headers=ADMIN)


def test_update_dataset_named_graphs(endpoint):
    target = "http://example.org/protocol-update-dataset-named-graphs-test/"
    update = (f"INSERT {{ GRAPH <{target}> {{ ?g a <http://example.org/Seen> }} }} "
              "WHERE { GRAPH ?g { ?s ?p ?o } }")
    response = httpx.post(endpoint, headers=ADMIN, data={
        "update": update, "using-named-graph-uri": f"{DATA}data3.rdf"})
    assert response.status_code == 204, response.text
    seen = httpx.get(endpoint, params={"query": f"SELECT ?g {{ GRAPH <{target}> {{ ?g a ?c }} }}"},
                     headers=ADMIN).json()["results"]["bindings"]
    assert [b["g"]["value"] for b in seen] == [f"{DATA}data3.rdf"]
    httpx.post(endpoint, data={"update": f"DROP GRAPH <{target}>"}, headers=ADMIN)


def test_update_base_uri(endpoint):
    graph = "http://example.org/protocol-base-test/"
    update = (f"CLEAR SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> "
              "{ <http://example.org/s> <http://example.org/p> <test> } }")
    assert httpx.post(endpoint, content=update, headers={
        **ADMIN, "Content-Type": "application/sparql-update"}).status_code == 204
    rows = httpx.get(endpoint, params={"query": f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                     headers=ADMIN).json()["results"]["bindings"]
    assert rows[0]["o"]["value"] == endpoint.rsplit("/", 1)[0] + "/test"
    httpx.post(endpoint, data={"update": f"DROP GRAPH <{graph}>"}, headers=ADMIN)


def test_service_description_without_query(endpoint):
    from pyoxigraph import RdfFormat, parse

    response = httpx.get(endpoint, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    triples = list(parse(response.content, RdfFormat.TURTLE))
    types = {(t.subject.value, t.object.value) for t in triples
             if t.predicate.value.endswith("#type")}
    assert (endpoint, "http://www.w3.org/ns/sparql-service-description#Service") in types
    features = {t.object.value for t in triples if t.predicate.value.endswith("#feature")}
    assert "http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph" in features


def test_html_browser_gets_yasgui(endpoint):
    response = httpx.get(endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert "/assets/yasgui/yasgui.min.js" in response.text
    assert "unpkg" not in response.text and "cdn" not in response.text.lower()


def test_syntax_errors_point_at_the_users_text(endpoint):
    """The endpoint's BASE (for relative IRIs) must not shift the column in the message."""
    for query, column in (("SELECT * {", 11), ("SELECT * { <relative> ?p ?o ", 29)):
        response = httpx.get(endpoint, params={"query": query})
        assert response.status_code == 400
        assert f"error at 1:{column}:" in response.text, response.text[:80]
