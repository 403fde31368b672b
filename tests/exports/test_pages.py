"""Dataset IRIs dereference: RDF by negotiation, HTML with schema.org JSON-LD for Google."""

import json
import re

import httpx
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS

from regiongraph.exports.model import read_records

JSONLD = re.compile(r'<script type="application/ld\+json">\s*(.*?)\s*</script>', re.DOTALL)


def path_of(iri: str, settings) -> str:
    return "/datasets/" + iri[len(settings.base + "datasets/"):]


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def sample(demo_store, demo_index):
    """Every seventh public dataset, plus those with lineage, as the model reads them."""
    iris = [e.iri for e in demo_index.entries[::7]]
    return read_records(demo_store, iris, demo_index.may_name, base=demo_index.base)


def test_html_page_has_the_facts_and_google_dataset_json_ld(client, sample, demo_settings):
    for record in sample:
        response = client.get(path_of(record.iri, demo_settings), headers={"Accept": "text/html"})
        assert response.status_code == 200, record.iri
        html = response.text
        assert f"<h1>{_escaped(record.title)}</h1>" in html
        if record.publisher:
            assert _escaped(record.publisher.name) in html
        for heading in ("Distributions", "Standards", "Lineage", "Approval to publish"):
            assert f"<h2>{heading}</h2>" in html
        found = JSONLD.search(html)
        assert found, "no embedded JSON-LD"
        data = json.loads(found.group(1))
        assert data["@type"] == "Dataset" and data["name"] == record.title
        assert 50 <= len(data["description"]) <= 5000
        assert data["identifier"] == record.identifier
        assert data["url"].endswith(path_of(record.iri, demo_settings))
        assert data["keywords"]
        assert data["creator"]["name"] == record.publisher.name
        if record.license:
            assert data["license"] == record.license
        downloads = [d for d in record.distributions if d.download_url or d.access_url]
        assert len(data.get("distribution", [])) == len(downloads)
        for item in data.get("distribution", []):
            assert item["@type"] == "DataDownload" and item["contentUrl"].startswith("http")
            assert item.get("encodingFormat")
        if record.spatial_label or record.spatial_bbox:
            assert data["spatialCoverage"]["@type"] == "Place"
        if record.temporal_start:
            assert data["temporalCoverage"].startswith(record.temporal_start)


def test_rdf_by_accept_and_suffix(client, sample, demo_settings):
    record = sample[0]
    path = path_of(record.iri, demo_settings)
    for accept, suffix, fmt in (("text/turtle", ".ttl", "turtle"),
                                ("application/ld+json", ".jsonld", "json-ld"),
                                ("application/rdf+xml", ".rdf", "xml"),
                                ("application/n-triples", ".nt", "nt")):
        for response in (client.get(path, headers={"Accept": accept}), client.get(path + suffix)):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(accept)
            graph = rdflib.Graph().parse(data=response.content, format=fmt)
            subject = rdflib.URIRef(record.iri)
            assert (subject, rdflib.RDF.type, DCAT.Dataset) in graph
            assert str(graph.value(subject, DCTERMS.title)) == record.title
    page = client.get(path, headers={"Accept": "*/*"})
    assert page.headers["content-type"].startswith("text/html"), "*/* gets the page"
    assert client.get(path, headers={"If-None-Match": page.headers["etag"]}).status_code == 304


def test_lineage_summary_links_only_public_datasets(client, demo_store, demo_index,
                                                    demo_settings):
    rows = demo_store.query(
        "SELECT DISTINCT ?d WHERE { ?d <http://www.w3.org/ns/prov#wasDerivedFrom> ?u }",
        union_default_graph=True)
    derived = [r["d"].value for r in rows if demo_index.contains(r["d"].value)]
    assert derived, "the demo has public datasets with lineage"
    linked = 0
    for iri in derived:
        html = client.get(path_of(iri, demo_settings), headers={"Accept": "text/html"}).text
        section = html.split('<section class="lineage">')[1].split("</section>")[0]
        for href in re.findall(r'href="(/datasets/[^"]+)"', section):
            linked += 1
            assert demo_index.contains(demo_settings.base + href[1:])
    assert linked, "no lineage link shown for any public derived dataset"


def test_unknown_dataset_is_404(client):
    assert client.get("/datasets/nowhere/nothing").status_code == 404
    assert client.get("/datasets/nowhere/nothing.ttl").status_code == 404


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
