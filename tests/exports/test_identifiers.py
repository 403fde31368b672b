"""One identifier per dataset, unique in every export: data.json `identifier`, DCAT-AP
`dct:identifier`, schema.org `identifier`, and the CKAN API's `name`, `id` and
`identifier` extra. The demo publishes `ada-ramps` for three communities, so the
publisher's own identifier cannot be it; the path of the dataset's IRI is."""

import json
import re
from collections import Counter

import httpx
import pytest
import rdflib

CKAN_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served, timeout=60) as session:
        yield session


@pytest.fixture(scope="module")
def catalog_ids(client) -> dict[str, str]:
    """Dataset IRI → `dct:identifier`, from the whole DCAT-AP catalog in one page."""
    page = rdflib.Graph().parse(data=client.get("/catalog.ttl?page_size=1000").text,
                                format="turtle")
    found: dict[str, str] = {}
    for dataset in page.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset):
        (identifier,) = page.objects(dataset, rdflib.DCTERMS.identifier)
        found[str(dataset)] = str(identifier)
    return found


@pytest.fixture(scope="module")
def ckan_packages(client) -> list[dict]:
    result = client.get("/api/3/action/package_search", params={"rows": 1000}).json()["result"]
    assert len(result["results"]) == result["count"]
    return result["results"]


def test_identifier_is_the_path_of_the_iri_and_unique(catalog_ids, demo_index, demo_settings):
    assert sorted(catalog_ids) == [e.iri for e in demo_index.entries]
    for iri, identifier in catalog_ids.items():
        assert identifier == iri.removeprefix(demo_settings.base + "datasets/"), iri
    assert len(set(catalog_ids.values())) == len(catalog_ids)
    assert {"agave/ada-ramps", "saguaro/ada-ramps"} <= set(catalog_ids.values())


def test_data_json_and_community_exports_use_the_same_identifiers(client, catalog_ids,
                                                                   demo_index):
    datasets = client.get("/data.json").json()["dataset"]
    counts = Counter(d["identifier"] for d in datasets)
    assert counts.most_common(1)[0][1] == 1, counts.most_common(3)
    assert set(counts) == set(catalog_ids.values())
    for community in demo_index.community_ids():
        own = client.get(f"/communities/{community}/data.json").json()["dataset"]
        assert {d["identifier"] for d in own} == {
            i for i in catalog_ids.values() if i.startswith(community + "/")}, community


def test_ckan_names_ids_and_identifiers_are_unique_and_agree(ckan_packages, catalog_ids,
                                                              client):
    assert len(ckan_packages) == len(catalog_ids)
    for key in ("name", "id"):
        values = [p[key] for p in ckan_packages]
        assert len(set(values)) == len(values), key
    for package in ckan_packages:
        extras = {e["key"]: e["value"] for e in package["extras"]}
        identifier = catalog_ids[extras["uri"]]
        assert extras["identifier"] == identifier
        assert CKAN_NAME.match(package["name"]), package["name"]
        assert package["name"] == identifier.replace("/", "__")
    sample = ckan_packages[0]
    shown = client.get("/api/3/action/package_show", params={"id": sample["name"]}).json()
    assert shown["result"]["id"] == sample["id"]


def test_the_dataset_page_gives_the_same_identifier(client, catalog_ids, demo_settings):
    for iri in sorted(catalog_ids)[::50]:
        page = client.get("/datasets/" + catalog_ids[iri], headers={"Accept": "text/html"})
        assert page.status_code == 200, iri
        jsonld = re.search(r'<script type="application/ld\+json">\s*(.*?)\s*</script>',
                           page.text, re.DOTALL)
        assert json.loads(jsonld[1])["identifier"] == catalog_ids[iri]


def test_ckan_names_never_collide_where_characters_are_replaced():
    from regiongraph.search.records import dataset_name

    names = [dataset_name(i) for i in ("a/b.c", "a/b-c", "a/B-c", "https://x.example/d/1",
                                       "a/" + "x" * 120)]
    assert names[1] == "a__b-c"
    assert len(set(names)) == len(names)
    assert all(CKAN_NAME.match(n) for n in names), names
