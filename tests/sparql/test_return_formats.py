"""Every SPARQLWrapper return format × SELECT/ASK/CONSTRUCT/DESCRIBE × GET/POST form/POST direct.

SPARQLWrapper 2.0.0 repeats the format in `format`, `output` and `results`, and for RDF/XML,
JSON-LD and TSV sends two values of each (a short name and the media type; NOTES.md §7).
Each answer is decoded by SPARQLWrapper itself (or rdflib) and compared with the same query
run in-process on the public view, so the test checks content, not status codes alone.
"""

import csv
import io
import xml.dom.minidom

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from regiongraph.sparql.public import public_store

PREFIXES = "PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
SELECT = PREFIXES + ("SELECT ?dataset ?title WHERE { ?dataset a dcat:Dataset ; dct:title ?title }"
                     " ORDER BY ?dataset ?title")
ASK = PREFIXES + "ASK { ?dataset a dcat:Dataset }"
CONSTRUCT = PREFIXES + ("CONSTRUCT { ?dataset dct:title ?title } "
                        "WHERE { ?dataset a dcat:Dataset ; dct:title ?title }")
METHODS = {"GET": None, "POST form": URLENCODED, "POST direct": POSTDIRECTLY}
GRAPH_FORMATS = [XML, RDFXML, RDF, TURTLE, N3, JSONLD, JSON, "n-triples"]
TIMEOUT = 30


@pytest.fixture(scope="module")
def view(demo_service):
    return public_store(demo_service.store, demo_service.settings)


@pytest.fixture(scope="module")
def rows(view):
    found = [(r["dataset"].value, r["title"].value)
             for r in view.query(SELECT, union_default_graph=True)]
    assert len(found) > 20
    return found


@pytest.fixture(scope="module")
def describe(rows):
    return f"DESCRIBE <{rows[0][0]}>"


def in_process_graph(view, text: str) -> Graph:
    from pyoxigraph import RdfFormat, serialize

    triples = view.query(text, union_default_graph=True)
    return Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


def client(service, query: str, fmt: str, method: str) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(service.sparql)
    wrapper.setTimeout(TIMEOUT)
    wrapper.setQuery(query)
    if fmt == "n-triples":  # SPARQLWrapper has no N-Triples constant: content negotiation only
        wrapper.setReturnFormat(N3)
        wrapper.setOnlyConneg(True)
        wrapper.addCustomHttpHeader("Accept", "application/n-triples")
    else:
        wrapper.setReturnFormat(fmt)
    if METHODS[method]:
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(METHODS[method])
    return wrapper


def select_rows(fmt: str, answer) -> list[tuple[str, str]]:
    if fmt == JSON:
        return [(b["dataset"]["value"], b["title"]["value"])
                for b in answer["results"]["bindings"]]
    if fmt == XML:
        found = []
        for result in answer.getElementsByTagName("result"):
            cells = {b.getAttribute("name"): b.firstChild.firstChild.nodeValue
                     for b in result.getElementsByTagName("binding")}
            found.append((cells["dataset"], cells["title"]))
        return found
    if fmt == CSV:
        table = list(csv.reader(io.StringIO(answer.decode("utf-8"))))
        assert table[0] == ["dataset", "title"]
        return [tuple(row) for row in table[1:]]
    assert fmt == TSV
    lines = answer.decode("utf-8").splitlines()
    assert lines[0] == "?dataset\t?title"
    parsed = Graph().parse(data="".join(
        f"{line.split(chr(9))[0]} <urn:title> {line.split(chr(9))[1]} .\n" for line in lines[1:]
    ), format="nt")
    return sorted((str(s), str(o)) for s, _, o in parsed)


def ask_answer(fmt: str, answer) -> bool:
    if fmt == JSON:
        return answer["boolean"]
    if fmt == XML:
        return answer.getElementsByTagName("boolean")[0].firstChild.nodeValue == "true"
    return {b"true": True, b"false": False}[answer.strip()]


def as_graph(fmt: str, answer) -> Graph:
    if isinstance(answer, Graph):  # SPARQLWrapper parsed RDF/XML or JSON-LD itself
        return answer
    syntax = "nt" if fmt == "n-triples" else "turtle"
    return Graph().parse(data=answer, format=syntax)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select(demo_service, rows, fmt, method):
    answer = client(demo_service, SELECT, fmt, method).queryAndConvert()
    got = select_rows(fmt, answer)
    assert (sorted(got) if fmt == TSV else got) == (sorted(rows) if fmt == TSV else rows)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_ask(demo_service, fmt, method):
    assert ask_answer(fmt, client(demo_service, ASK, fmt, method).queryAndConvert()) is True
    never = ASK.replace("dcat:Dataset", "<urn:no-such-class>")
    assert ask_answer(fmt, client(demo_service, never, fmt, method).queryAndConvert()) is False


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_construct(demo_service, rows, fmt, method):
    graph = as_graph(fmt, client(demo_service, CONSTRUCT, fmt, method).queryAndConvert())
    assert sorted((str(s), str(o)) for s, _, o in graph) == sorted(rows)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_describe(demo_service, view, describe, fmt, method):
    expected = in_process_graph(view, describe)
    assert len(expected) > 3
    graph = as_graph(fmt, client(demo_service, describe, fmt, method).queryAndConvert())
    assert isomorphic(graph, expected)


def test_repeated_formats_naming_the_same_format_agree(demo_service):
    """`rdf+xml` and `application/rdf+xml` are one format; an unknown value is passed over."""
    response = httpx.get(demo_service.sparql, timeout=TIMEOUT, params=[
        ("query", CONSTRUCT), ("format", "rdf+xml"), ("format", "application/rdf+xml"),
        ("output", "no-such-format"), ("results", "rdf+xml")])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rdf+xml")
    xml.dom.minidom.parseString(response.content)


def test_conflicting_formats_are_refused(demo_service):
    response = httpx.get(demo_service.sparql, timeout=TIMEOUT, params=[
        ("query", SELECT), ("format", "json"), ("output", "csv")])
    assert response.status_code == 400
    assert "json" in response.text and "csv" in response.text


def test_no_servable_format_is_406(demo_service):
    response = httpx.get(demo_service.sparql, timeout=TIMEOUT, params=[
        ("query", SELECT), ("format", "image/png"), ("output", "png")])
    assert response.status_code == 406
    assert "image/png" in response.text
