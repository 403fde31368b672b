"""Every IRI minted under the base dereferences: Turtle (and the other syntaxes) by
content negotiation, a page for browsers, and nothing hidden for anonymous users.

The IRIs come from the demo store itself, every kind the Minter mints; what anonymous users
may see is the public view of `regiongraph.visibility` (the same rule /sparql uses).
"""

from collections import defaultdict

import httpx
import pytest
from rdflib import Graph, URIRef

from regiongraph.sparql.public import public_store
from regiongraph.visibility import publishing_approvals

# datasets dereference as DCAT-AP records (datasets.py); reports live at /reports/latest
NOT_HERE = {"datasets", "reports", "graph", ""}  # "": the base itself is the home page
RDF_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
               "application/rdf+xml": "xml", "application/n-triples": "nt"}


def minted(store, base: str) -> dict[str, list[str]]:
    """Subject IRIs under the base in `store`, by their first path segment."""
    found: dict[str, list[str]] = defaultdict(list)
    query = f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{base}")) }}'
    for row in store.query(query, union_default_graph=True):
        kind = row["s"].value[len(base):].split("/")[0]
        if kind not in NOT_HERE:
            found[kind].append(row["s"].value)
    return {kind: sorted(iris) for kind, iris in found.items()}


@pytest.fixture(scope="module")
def client(planning_url):
    with httpx.Client(base_url=planning_url, timeout=60) as http:
        yield http


def path_of(iri: str, base: str) -> str:
    return "/" + iri[len(base):]


def assert_describes(response: httpx.Response, iri: str, media: str) -> None:
    assert response.status_code == 200, (iri, response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith(media)
    graph = Graph().parse(data=response.text, format=RDF_FORMATS[media])
    assert (URIRef(iri), None, None) in graph, iri


def test_every_public_iri_answers_rdf_and_a_page(client, demo_store, demo_settings):
    base = demo_settings.base
    public = minted(public_store(demo_store, demo_settings), base)
    assert {"communities", "projects", "standards", "strategies", "catalogs", "approvals",
            "partners", "memberships", "regions", "needs", "offers"} <= set(public)
    for iris in public.values():
        for iri in iris:
            path = path_of(iri, base)
            assert_describes(client.get(path, headers={"Accept": "text/turtle"}), iri,
                             "text/turtle")
            page = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert "<h1>" in page.text


def test_hidden_iris_are_404_anonymously_and_answer_stewards(client, demo_store, demo_settings,
                                                             admin_headers):
    base = demo_settings.base
    everything = minted(demo_store, base)
    public = {i for iris in minted(public_store(demo_store, demo_settings), base).values()
              for i in iris}
    hidden = {kind: [i for i in iris if i not in public] for kind, iris in everything.items()}
    hidden = {kind: iris for kind, iris in hidden.items() if iris}
    assert {"people", "agreements", "approvals", "roles", "engagements"} <= set(hidden)
    for iris in hidden.values():
        for number, iri in enumerate(iris):
            path = path_of(iri, base)
            assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404, path
            if number < 5:
                assert client.get(path, headers={"Accept": "text/html"}).status_code == 404
            steward = client.get(path, headers={"Accept": "text/turtle", **admin_headers})
            assert_describes(steward, iri, "text/turtle")
            assert steward.headers["cache-control"] == "private, no-store"


def test_public_and_non_public_approvals(client, demo_store, demo_settings, admin_headers):
    base = demo_settings.base
    publishing = set().union(*publishing_approvals(demo_store, demo_settings).values())
    approvals = minted(demo_store, base)["approvals"]
    others = [a for a in approvals if a not in publishing]
    assert publishing and others
    for approval in sorted(publishing):
        assert_describes(client.get(path_of(approval, base), headers={"Accept": "text/turtle"}),
                         approval, "text/turtle")
    for approval in others:
        path = path_of(approval, base)
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404, path
        assert client.get(path, headers={"Accept": "text/turtle", **admin_headers}
                          ).status_code == 200


def test_a_standard_in_every_syntax_and_its_page(client, demo_settings):
    iri = demo_settings.base + "standards/gtfs"
    for media in RDF_FORMATS:
        assert_describes(client.get("/standards/gtfs", headers={"Accept": media}), iri, media)
    assert_describes(client.get("/standards/gtfs.ttl"), iri, "text/turtle")
    assert_describes(client.get("/standards/gtfs?format=nt"), iri, "application/n-triples")
    page = client.get("/standards/gtfs", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    assert "General Transit Feed Specification (GTFS) Schedule" in text
    assert "Schedule Reference, 2024 revision" in text  # version
    assert "https://gtfs.org/documentation/schedule/reference/" in text  # homepage
    assert "Datasets that conform" in text and 'href="/datasets/' in text
    assert client.get("/standards/no-such-standard").status_code == 404


def test_community_and_project_pages_negotiate_rdf(client, demo_settings):
    base = demo_settings.base
    for path in ("/communities/saguaro", "/projects/work-zone-data-exchange"):
        assert_describes(client.get(path, headers={"Accept": "text/turtle"}), base + path[1:],
                         "text/turtle")
        assert client.get(path).headers["content-type"].startswith("text/html")
        assert client.get(path, headers={"Accept": "application/json"}).json()["id"] == \
            base + path[1:]
