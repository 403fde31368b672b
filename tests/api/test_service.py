"""The service skeleton over real HTTP on loopback."""

import httpx
import pytest
from regiongraph.api.app import create_app

from regiongraph import __version__
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.store.test_backends import G, triples
from tests.support import serve_app


@pytest.fixture(scope="module")
def small_service(tmp_path_factory):
    settings = Settings(store=str(tmp_path_factory.mktemp("svc") / "store"))
    store = open_store(settings)
    store.replace_graph(G, triples(7))
    with serve_app(create_app(settings, store=store)) as url:
        yield url
    store.close()


def test_health_reports_store_and_metrics_the_count(small_service):
    response = httpx.get(f"{small_service}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["store"].startswith("oxigraph:")
    metrics = httpx.get(f"{small_service}/metrics").text.splitlines()
    assert "regiongraph_store_quads 7.0" in metrics


def test_openapi_docs_are_served(small_service):
    assert httpx.get(f"{small_service}/docs").status_code == 200
    spec = httpx.get(f"{small_service}/openapi.json").json()
    assert "/health" in spec["paths"]


def test_ontology_turtle_and_html(small_service):
    turtle = httpx.get(f"{small_service}/ontology", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "owl:Ontology" in turtle.text
    html = httpx.get(f"{small_service}/ontology", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.status_code == 200
    assert 'id="Project"' in html.text
    jsonld = httpx.get(f"{small_service}/ontology?format=jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert any("@id" in node for node in jsonld.json())
    refused = httpx.get(f"{small_service}/ontology", headers={"Accept": "image/png"})
    assert refused.status_code == 406
