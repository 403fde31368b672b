"""The Graph Store HTTP Protocol at /store: the W3C status codes, tokens, safe uploads."""

import httpx
import pytest
from rdflib import Graph

from tests.sparql.conftest import ADMIN

GRAPH = "http://example.org/gsp/person"
TTL = {"Content-Type": "text/turtle"}
PERSON = ("@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
          "<http://example.org/people/jane> foaf:name \"Jane Doe\" ; foaf:age 42 .\n")


@pytest.fixture
def store_url(scratch_service):
    yield scratch_service.url + "/store"
    httpx.delete(scratch_service.url + "/store", params={"graph": GRAPH}, headers=ADMIN)


def test_put_get_post_delete_lifecycle(store_url):
    created = httpx.put(store_url, params={"graph": GRAPH}, content=PERSON,
                        headers={**ADMIN, **TTL})
    assert created.status_code == 201
    replaced = httpx.put(store_url, params={"graph": GRAPH}, content=PERSON,
                         headers={**ADMIN, **TTL})
    assert replaced.status_code == 204
    got = httpx.get(store_url, params={"graph": GRAPH},
                    headers={**ADMIN, "Accept": "application/n-triples"})
    assert got.status_code == 200
    assert len(got.text.strip().splitlines()) == 2 and "Jane Doe" in got.text
    head = httpx.head(store_url, params={"graph": GRAPH},
                      headers={**ADMIN, "Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/turtle")
    merged = httpx.post(store_url, params={"graph": GRAPH}, headers={**ADMIN, **TTL},
                        content='<http://example.org/people/jane> '
                                '<http://xmlns.com/foaf/0.1/nick> "JD" .')
    assert merged.status_code == 204
    got = httpx.get(store_url, params={"graph": GRAPH, "format": "nt"}, headers=ADMIN)
    assert len(got.text.strip().splitlines()) == 3
    assert httpx.delete(store_url, params={"graph": GRAPH}, headers=ADMIN).status_code == 204
    assert httpx.delete(store_url, params={"graph": GRAPH}, headers=ADMIN).status_code == 404
    assert httpx.get(store_url, params={"graph": GRAPH}, headers=ADMIN).status_code == 404


def test_post_to_the_store_creates_a_graph(store_url, scratch_service):
    response = httpx.post(store_url, content=PERSON, headers={**ADMIN, **TTL})
    assert response.status_code == 201
    location = response.headers["location"]
    assert "graph=" in location
    got = httpx.get(location, headers={**ADMIN, "Accept": "application/n-triples"})
    assert got.status_code == 200 and "Jane Doe" in got.text
    graph = httpx.URL(location).params["graph"]
    assert graph.startswith(scratch_service.settings.base + "graph/manual/")
    assert httpx.delete(store_url, params={"graph": graph}, headers=ADMIN).status_code == 204


def test_default_graph(store_url):
    """The default graph always exists: its own triples (not the union), empty or not."""
    body = "<http://example.org/d> <http://example.org/p> \"one\" ."
    assert httpx.put(store_url, params={"default": ""}, content=body,
                     headers={**ADMIN, **TTL}).status_code == 204
    got = httpx.get(store_url, params={"default": "", "format": "nt"}, headers=ADMIN)
    assert got.text.strip() == body
    assert httpx.delete(store_url, params={"default": ""}, headers=ADMIN).status_code == 204
    emptied = httpx.get(store_url, params={"default": "", "format": "nt"}, headers=ADMIN)
    assert emptied.status_code == 200 and emptied.text.strip() == ""
    assert httpx.delete(store_url, params={"default": ""}, headers=ADMIN).status_code == 204


@pytest.mark.parametrize("headers", [{}, ADMIN], ids=["anonymous", "admin"])
def test_default_graph_of_the_demo_is_there_and_empty(demo_service, headers):
    """The demo keeps everything in named graphs: `?default` is 200 with no triple."""
    for accept, syntax in [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                           ("application/n-triples", "nt")]:
        got = httpx.get(demo_service.url + "/store", params={"default": ""},
                        headers={**headers, "Accept": accept}, timeout=30)
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith(accept)
        assert len(Graph().parse(data=got.text, format=syntax)) == 0
    head = httpx.head(demo_service.url + "/store", params={"default": ""}, headers=headers)
    assert head.status_code == 200


def test_writes_need_the_token(store_url):
    anonymous = httpx.put(store_url, params={"graph": GRAPH}, content=PERSON, headers=TTL)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    wrong = httpx.delete(store_url, params={"graph": GRAPH},
                         headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 403
    assert httpx.post(store_url, content=PERSON, headers=TTL).status_code == 401


@pytest.mark.parametrize("params,body,headers,status", [
    ({"graph": GRAPH, "default": ""}, PERSON, TTL, 400),
    ({}, PERSON, TTL, 400),
    ({"graph": "not an iri"}, PERSON, TTL, 400),
    ({"graph": GRAPH}, "this is not turtle .", TTL, 400),
    ({"graph": GRAPH}, PERSON, {"Content-Type": "application/pdf"}, 415),
    ({"graph": GRAPH}, PERSON, {}, 415),
])
def test_bad_writes(store_url, params, body, headers, status):
    response = httpx.put(store_url, params=params, content=body, headers={**ADMIN, **headers})
    assert response.status_code == status, response.text
    assert httpx.get(store_url, params={"graph": GRAPH}, headers=ADMIN).status_code == 404


def laughs(levels: int) -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
            f"<ex:p>&a{levels};</ex:p></rdf:Description></rdf:RDF>").encode()


def test_xml_entity_expansion_is_refused(store_url):
    xml = {**ADMIN, "Content-Type": "application/rdf+xml"}
    bomb = httpx.put(store_url, params={"graph": GRAPH}, content=laughs(9), headers=xml)
    assert bomb.status_code == 400 and "nested entities" in bomb.text
    external = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    refused = httpx.put(store_url, params={"graph": GRAPH}, content=external, headers=xml)
    assert refused.status_code == 400 and "external" in refused.text
    flat = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ex "http://example.org/">]>\n'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:ex="http://example.org/"><rdf:Description rdf:about="&ex;a">'
            b"<ex:p>ok</ex:p></rdf:Description></rdf:RDF>")
    accepted = httpx.put(store_url, params={"graph": GRAPH}, content=flat, headers=xml)
    assert accepted.status_code == 201, accepted.text
    got = httpx.get(store_url, params={"graph": GRAPH, "format": "nt"}, headers=ADMIN)
    assert got.text.strip() == '<http://example.org/a> <http://example.org/p> "ok" .'


def test_anonymous_reads_follow_the_public_view(scratch_service, store_url):
    assert httpx.put(store_url, params={"graph": GRAPH}, content=PERSON,
                     headers={**ADMIN, **TTL}).status_code == 201
    # A graph written by hand is not part of the public view (nothing vouches for it).
    assert httpx.get(store_url, params={"graph": GRAPH}).status_code == 404
    assert httpx.get(store_url, params={"graph": GRAPH}, headers=ADMIN).status_code == 200
