"""Real SPARQL clients against the real server: SPARQLWrapper and rdflib's SPARQLStore.

The answers are compared with the same query run in-process on the public view, so the
test checks what the clients decode, not merely that something came back.
"""

import csv
import io

import httpx
import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import CSV, JSON, N3, TURTLE, XML, SPARQLWrapper

from regiongraph.sparql.public import public_store
from tests.sparql.conftest import ADMIN

TITLES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?dataset ?title WHERE { ?dataset a dcat:Dataset ; dct:title ?title }
ORDER BY ?dataset ?title"""


@pytest.fixture(scope="module")
def expected(demo_service):
    view = public_store(demo_service.store, demo_service.settings)
    rows = [(r["dataset"].value, r["title"].value)
            for r in view.query(TITLES, union_default_graph=True)]
    assert len(rows) > 20, "the public view should hold the publishable demo datasets"
    return rows


def wrapper(service, fmt) -> SPARQLWrapper:
    client = SPARQLWrapper(service.sparql)
    client.setQuery(TITLES)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_json(demo_service, expected):
    result = wrapper(demo_service, JSON).queryAndConvert()
    rows = [(b["dataset"]["value"], b["title"]["value"]) for b in result["results"]["bindings"]]
    assert rows == expected


def test_sparqlwrapper_xml(demo_service, expected):
    document = wrapper(demo_service, XML).queryAndConvert()
    rows = []
    for result in document.getElementsByTagName("result"):
        cells = {b.getAttribute("name"): b.firstChild.firstChild.nodeValue
                 for b in result.getElementsByTagName("binding")}
        rows.append((cells["dataset"], cells["title"]))
    assert rows == expected


def test_sparqlwrapper_csv(demo_service, expected):
    body = wrapper(demo_service, CSV).queryAndConvert()
    table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert table[0] == ["dataset", "title"]
    assert [tuple(row) for row in table[1:]] == expected


@pytest.mark.parametrize("fmt", [XML, TURTLE, N3])
def test_sparqlwrapper_construct(demo_service, expected, fmt):
    client = SPARQLWrapper(demo_service.sparql)
    client.setQuery("PREFIX dct: <http://purl.org/dc/terms/>\nCONSTRUCT { ?d dct:title ?t } "
                    "WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; dct:title ?t }")
    client.setReturnFormat(fmt)
    result = client.queryAndConvert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
    got = sorted((str(s), str(o)) for s, _, o in graph)
    assert got == sorted(expected)


def test_sparqlwrapper_ask_and_admin_header(demo_service):
    client = SPARQLWrapper(demo_service.sparql)
    client.setQuery("ASK { ?s a <https://w3id.org/regiongraph/ns#DataSharingAgreement> }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is False
    client.addCustomHttpHeader("Authorization", ADMIN["Authorization"])
    assert client.queryAndConvert()["boolean"] is True


def test_rdflib_sparqlstore(demo_service, expected):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(demo_service.sparql, returnFormat="json")
    graph = Graph(store=store)
    rows = [(str(r.dataset), str(r.title)) for r in graph.query(TITLES)]
    assert rows == expected
    ask = graph.query("ASK { ?s a <http://www.w3.org/ns/dcat#Dataset> }")
    assert ask.askAnswer is True
    first = URIRef(expected[0][0])
    triples = list(graph.triples((first, None, None)))
    assert any(str(o) == expected[0][1] for _, _, o in triples)


def test_plain_http_formats_cors_gzip_and_head(demo_service, expected):
    response = httpx.get(demo_service.sparql, params={"query": TITLES},
                         headers={"Accept": "text/tab-separated-values",
                                  "Accept-Encoding": "gzip", "Origin": "http://elsewhere.example"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "*"
    lines = response.text.splitlines()
    assert lines[0] == "?dataset\t?title" and len(lines) == len(expected) + 1
    head = httpx.head(demo_service.sparql, params={"query": TITLES},
                      headers={"Accept": "application/sparql-results+xml"})
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("application/sparql-results+xml")
    assert head.content == b""
    preflight = httpx.options(demo_service.sparql, headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    refused = httpx.get(demo_service.sparql, params={"query": TITLES},
                        headers={"Accept": "image/png"})
    assert refused.status_code == 406
