"""One reading of conformance: the dataset page, the CKAN API, the search facet and the
standards analysis name the same standards for every published dataset of the demo."""

import html
import re
from collections import defaultdict

import httpx
import pytest

from regiongraph.analysis.region import load_region
from regiongraph.analysis.standards import standards_adoption

STANDARDS = re.compile(r'<ul class="standards">(.*?)</ul>', re.DOTALL)
ITEM = re.compile(r'<li><a href="([^"]*)">([^<]*)</a></li>')


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served, timeout=30) as session:
        yield session


def page_standards(client: httpx.Client, iri: str, base: str) -> dict[str, str]:
    """IRI → name of the standards the dataset's HTML page lists."""
    response = client.get("/datasets/" + iri[len(base + "datasets/"):],
                          headers={"Accept": "text/html"})
    assert response.status_code == 200, iri
    found = STANDARDS.search(response.text)
    if found is None:
        assert "No standard is declared." in response.text, iri
        return {}
    return {html.unescape(href): html.unescape(name) for href, name in ITEM.findall(found[1])}


def test_high_injury_network_page_names_geojson(client, demo_settings):
    """Its GeoJSON download conforms to RFC 7946: the page says so by the standard's name."""
    shown = page_standards(client, demo_settings.base + "datasets/saguaro/high-injury-network",
                           demo_settings.base)
    assert shown == {demo_settings.base + "standards/geojson": "GeoJSON (RFC 7946)"}


def test_bike_share_page_names_gbfs_not_its_homepage(client, demo_settings):
    shown = page_standards(client, demo_settings.base + "datasets/valley-transit/bike-share-gbfs",
                           demo_settings.base)
    assert shown == {demo_settings.base + "standards/gbfs":
                     "General Bikeshare Feed Specification (GBFS)"}


def ckan_conformance(client: httpx.Client) -> dict[str, set[str]]:
    """Dataset IRI → its CKAN `conforms_to` extras, over every published package."""
    found: dict[str, set[str]] = {}
    start = 0
    while True:
        result = client.get("/api/3/action/package_search",
                            params={"rows": 1000, "start": start}).json()["result"]
        for package in result["results"]:
            extras = defaultdict(set)
            for extra in package["extras"]:
                extras[extra["key"]].add(extra["value"])
            (iri,) = extras["uri"]
            found[iri] = extras["conforms_to"]
        start += len(result["results"])
        if start >= result["count"] or not result["results"]:
            return found


def facet_conformance(client: httpx.Client) -> dict[str, dict[str, str]]:
    """Dataset IRI → {facet value → label}, from the search page's `standard` facet."""
    first = client.get("/search", params={"fq": "kind:dataset", "rows": 1}).json()
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for value in first["facets"]["standard"]:
        iris: list[str] = []
        page = 1
        while len(iris) < value["count"]:
            body = client.get("/search", params=[
                ("fq", "kind:dataset"), ("fq", f"standard:{value['value']}"),
                ("rows", 100), ("page", page)]).json()
            assert body["results"], value
            iris += [r["iri"] for r in body["results"]]
            page += 1
        for iri in iris:
            found[iri][value["value"]] = value["label"]
    return found


def test_page_ckan_facet_and_analysis_agree_for_every_dataset(client, demo_index, demo_store,
                                                             demo_settings):
    base = demo_settings.base
    ckan = ckan_conformance(client)
    facets = facet_conformance(client)
    published = [e.iri for e in demo_index.entries]
    assert set(ckan) == set(published)
    region = load_region(demo_store)
    adopters: dict[str, int] = defaultdict(int)
    for adoption in standards_adoption(region, visible=set(published)).standards:
        adopters[adoption.standard] = sum(c.datasets for c in adoption.adopters)
    counted: dict[str, int] = defaultdict(int)
    for iri in published:
        page = page_standards(client, iri, base)
        assert set(page) == ckan[iri], iri
        assert sorted(facets.get(iri, {}).values()) == sorted(page.values()), iri
        for standard in page:
            counted[standard] += 1
    assert sum(counted.values()) > 100, "the demo should conform to standards widely"
    for standard, count in adopters.items():
        assert count == counted.get(standard, 0), standard
