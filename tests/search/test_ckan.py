"""The CKAN-compatible API, driven by the real `ckanapi` client against a real uvicorn on
loopback, over the demo region."""

import httpx
import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, SearchQueryError, ValidationError
from regiongraph.api.app import create_app

from regiongraph.search.records import ckan_name
from regiongraph.visibility import publishable_datasets
from tests.support import serve_app

TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def server(demo_store, demo_settings):
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


@pytest.fixture(scope="module", params=["post", "get"])
def ckan(server, request):
    """ckanapi as harvesters use it: POSTing JSON, and with get_only=True."""
    client = RemoteCKAN(server, get_only=request.param == "get", user_agent="regiongraph-test")
    yield client
    client.close()


@pytest.fixture(scope="module")
def published(demo_store, demo_settings):
    return {ckan_name(iri): iri for iri in publishable_datasets(demo_store, demo_settings)}


def test_package_list_is_the_published_catalog(ckan, published):
    names = ckan.action.package_list()
    assert sorted(names) == sorted(published)
    assert ckan.action.package_list(limit=5, offset=5) == sorted(published)[5:10]


def test_package_search_with_q_fq_facets_paging_and_sort(ckan, published):
    result = ckan.action.package_search(
        q="bike share", rows=5, facet="true",
        **{"facet.field": '["organization", "res_format", "tags", "groups"]'})
    assert result["count"] > 0 and len(result["results"]) <= 5
    assert set(result["search_facets"]) == {"organization", "res_format", "tags", "groups"}
    assert all(p["name"] in published for p in result["results"])
    package = result["results"][0]
    assert {"id", "name", "title", "notes", "organization", "resources", "tags",
            "metadata_modified"} <= set(package)
    org = result["search_facets"]["organization"]["items"][0]
    narrowed = ckan.action.package_search(q="bike share", fq=f"organization:{org['name']}")
    assert narrowed["count"] == org["count"]
    everything = ckan.action.package_search(rows=1000)
    assert everything["count"] == len(published)
    page_two = ckan.action.package_search(rows=10, start=10, sort="name asc")
    assert [p["name"] for p in page_two["results"]] == sorted(published)[10:20]
    recent = ckan.action.package_search(rows=20, sort="metadata_modified desc")["results"]
    stamps = [p["metadata_modified"] for p in recent if p["metadata_modified"]]
    assert stamps == sorted(stamps, reverse=True)


def test_harvester_style_fq_and_rows_clamped(ckan, published):
    result = ckan.action.package_search(fq="+dataset_type:dataset", rows=10_000_000)
    assert result["count"] == len(published) and len(result["results"]) == min(
        1000, len(published))
    fmt = ckan.action.package_search(fq='res_format:"CSV"', rows=0)
    assert 0 < fmt["count"] <= len(published)


def test_package_show_by_name_id_and_iri(ckan, published):
    name, iri = min(published.items())
    by_name = ckan.action.package_show(id=name)
    assert by_name["name"] == name
    assert {"key": "uri", "value": iri} in by_name["extras"]
    assert ckan.action.package_show(id=by_name["id"])["name"] == name
    assert ckan.action.package_show(id=iri)["name"] == name
    with pytest.raises(NotFound):
        ckan.action.package_show(id="no-such-dataset")


def test_private_datasets_are_not_found_anonymously(ckan, server, demo_store, demo_settings,
                                                     published):
    admin = RemoteCKAN(server, apikey=TOKEN)  # sent as CKAN sends API tokens
    try:
        everything = admin.action.package_search(include_private=True, rows=1000)
        private = [p for p in everything["results"] if p["name"] not in published]
        assert private and all(p["private"] for p in private)
        with pytest.raises(NotFound):
            ckan.action.package_show(id=private[0]["name"])
        assert admin.action.package_show(id=private[0]["name"])["private"] is True
        # a wrong token is just anonymous
        wrong = RemoteCKAN(server, apikey="not-the-token")
        with pytest.raises(NotFound):
            wrong.action.package_show(id=private[0]["name"])
        wrong.close()
    finally:
        admin.close()


def test_organizations_groups_tags_status(ckan, published):
    orgs = ckan.action.organization_list(all_fields=True)
    assert orgs and sum(o["package_count"] for o in orgs) >= len(published)
    names = ckan.action.organization_list()
    assert names == sorted(o["name"] for o in orgs)
    busiest = max(orgs, key=lambda o: o["package_count"])
    shown = ckan.action.organization_show(id=busiest["name"], include_datasets=True)
    assert shown["title"] == busiest["title"]
    assert len(shown["packages"]) == busiest["package_count"]
    with pytest.raises(NotFound):
        ckan.action.organization_show(id="atlantis")
    groups = ckan.action.group_list(all_fields=True)
    assert any(g["name"] == "micromobility" for g in groups)
    tags = ckan.action.tag_list()
    assert tags == sorted(tags) and "traffic" in tags
    assert all("bike" in t for t in ckan.action.tag_list(query="bike"))
    status = ckan.action.status_show()
    assert status["ckan_version"] and status["site_title"] == "regiongraph"


def test_errors_are_ckan_errors(ckan, server):
    with pytest.raises(ValidationError):
        ckan.action.package_search(rows=-1)
    with pytest.raises(ValidationError):
        ckan.action.package_search(start=-10)
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(fq="colour:red")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(sort="colour asc")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(q="x" * 10_000)
    with pytest.raises(NotAuthorized):
        ckan.action.package_create(name="sneaky")
    unknown = httpx.get(f"{server}/api/3/action/no_such_action")
    assert unknown.status_code == 400
    assert unknown.json()["success"] is False
    assert "Action name not known" in unknown.json()["error"]["message"]
    broken = httpx.post(f"{server}/api/3/action/package_search", content=b"{not json",
                        headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["__type"] == "Bad request"
    envelope = httpx.get(f"{server}/api/3/action/package_search", params={"q": '"unbalanced'})
    assert envelope.status_code == 200
    assert set(envelope.json()) == {"help", "success", "result"}
