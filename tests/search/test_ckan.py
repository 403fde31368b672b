"""The CKAN-compatible API, driven by the real `ckanapi` client against a real uvicorn on
loopback, over the demo region."""

import json
import os
import subprocess
import sys
from pathlib import Path

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


# -- the actions CKAN clients also call, the help_show behind every `help` URL, page URLs ----


@pytest.fixture(scope="module")
def public_packages(server):
    client = RemoteCKAN(server)
    try:
        return client.action.package_search(rows=1000)["results"]
    finally:
        client.close()


def test_group_show_by_name_and_id_with_its_datasets(ckan, public_packages):
    groups = ckan.action.group_list(all_fields=True)
    assert len(groups) > 5
    for group in groups:
        shown = ckan.action.group_show(id=group["name"])
        assert {k: shown[k] for k in group} == group
        assert "packages" not in shown
        assert ckan.action.group_show(id=shown["id"])["name"] == group["name"]
    busiest = max(groups, key=lambda g: g["package_count"])
    shown = ckan.action.group_show(id=busiest["name"], include_datasets=True)
    members = {p["name"] for p in public_packages
               if busiest["name"] in {g["name"] for g in p["groups"]}}
    assert {p["name"] for p in shown["packages"]} == members
    assert len(members) == busiest["package_count"]
    # the group a package names is the group group_show shows
    listed = next(g for p in public_packages for g in p["groups"])
    assert ckan.action.group_show(id=listed["id"])["name"] == listed["name"]
    with pytest.raises(NotFound):
        ckan.action.group_show(id="atlantis")


def test_resource_show_by_id_and_only_public_anonymously(ckan, server, public_packages):
    shown = 0
    for package in public_packages[:20]:
        for resource in package["resources"]:
            assert ckan.action.resource_show(id=resource["id"]) == resource
            shown += 1
    assert shown > 10
    admin = RemoteCKAN(server, apikey=TOKEN)
    try:
        everything = admin.action.package_search(include_private=True, rows=1000)["results"]
        public = {p["name"] for p in public_packages}
        hidden = next(r for p in everything if p["name"] not in public for r in p["resources"])
        with pytest.raises(NotFound):
            ckan.action.resource_show(id=hidden["id"])
        assert admin.action.resource_show(id=hidden["id"]) == hidden
    finally:
        admin.close()
    with pytest.raises(NotFound):
        ckan.action.resource_show(id="no-such-resource")


def test_license_list_is_the_licenses_of_the_public_catalog(ckan, public_packages):
    licenses = ckan.action.license_list()
    used = {p["license_id"] for p in public_packages if p["license_id"]}
    assert {item["id"] for item in licenses} == used and len(used) >= 2
    for item in licenses:
        assert item["url"] == item["id"] and item["title"]


def test_package_autocomplete_matches_name_or_title(ckan, public_packages):
    found = ckan.action.package_autocomplete(q="bike", limit=50)
    expected = {p["name"] for p in public_packages
                if "bike" in p["name"] or "bike" in p["title"].lower()}
    assert {r["name"] for r in found} == expected and len(expected) >= 5
    titles = {p["name"]: p["title"] for p in public_packages}
    for result in found:
        assert set(result) == {"name", "title", "match_field", "match_displayed"}
        assert result["title"] == titles[result["name"]]
        if result["match_field"] == "name":
            assert "bike" in result["name"] and result["match_displayed"] == result["name"]
        else:
            assert result["match_field"] == "title"
            assert result["match_displayed"] == f"{result['title']} ({result['name']})"
    assert len(ckan.action.package_autocomplete(q="bike", limit=2)) == 2
    assert ckan.action.package_autocomplete(q="zzzqqq") == []


def test_current_package_list_with_resources_pages_newest_first(ckan, public_packages):
    everything = ckan.action.current_package_list_with_resources(limit=1000)
    assert {p["name"] for p in everything} == {p["name"] for p in public_packages}
    stamps = [p["metadata_modified"] for p in everything if p["metadata_modified"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all("resources" in p for p in everything)
    pages = [ckan.action.current_package_list_with_resources(limit=7, offset=offset)
             for offset in (0, 7, 14)]
    assert [p["name"] for page in pages for p in page] == [p["name"] for p in everything[:21]]
    assert len(ckan.action.current_package_list_with_resources()) == 10  # CKAN's default rows


def test_every_help_url_answers_with_the_actions_documentation(server):
    calls = {"package_search": {}, "package_show": None, "package_list": {},
             "organization_list": {}, "organization_show": None, "group_list": {},
             "group_show": None, "tag_list": {}, "status_show": {}, "resource_show": None,
             "license_list": {}, "package_autocomplete": {"q": "bike"},
             "current_package_list_with_resources": {}, "help_show": {"name": "package_show"}}
    for action, params in calls.items():
        answer = httpx.get(f"{server}/api/3/action/{action}", params=params or {"id": "x"},
                           timeout=30).json()
        help_url = answer["help"]
        assert help_url == f"{server}/api/3/action/help_show?name={action}"
        documented = httpx.get(help_url, timeout=30).json()
        assert documented["success"] is True, (action, documented)
        assert len(documented["result"]) > 40 and "\n" in documented["result"].strip()
    unknown = httpx.get(f"{server}/api/3/action/help_show", params={"name": "no_such"}).json()
    assert unknown["success"] is False and unknown["error"]["__type"] == "Not Found Error"


def test_ckanapi_dump_groups_all(server, tmp_path):
    """The command line that failed without group_show, run as a user runs it."""
    bin_dir = Path(sys.executable).parent
    out = tmp_path / "groups.jsonl"
    done = subprocess.run(
        [str(bin_dir / "ckanapi"), "dump", "groups", "--all", "-r", server, "-O", str(out),
         "-p", "2", "-q"],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stderr
    dumped = [json.loads(line) for line in out.read_text().splitlines()]
    listed = httpx.get(f"{server}/api/3/action/group_list", timeout=30).json()["result"]
    assert [g["name"] for g in dumped] == listed and len(listed) > 5
    assert all(g["type"] == "group" and g["title"] for g in dumped)


def test_ckan_page_urls_redirect_to_ours(server, public_packages):
    package = public_packages[0]
    moved = httpx.get(f"{server}/dataset/{package['name']}", follow_redirects=False)
    assert moved.status_code in (301, 302, 307, 308)
    page = httpx.get(f"{server}/dataset/{package['name']}", follow_redirects=True,
                     headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and str(page.url).startswith(f"{server}/datasets/")
    uri = next(e["value"] for e in package["extras"] if e["key"] == "uri")
    assert uri.endswith(str(page.url)[len(f"{server}/"):])
    assert package["title"] in page.text
    by_id = httpx.get(f"{server}/dataset/{package['id']}", follow_redirects=True, timeout=30)
    assert by_id.url == page.url
    org = package["organization"]
    for key in (org["name"], org["id"]):
        shown = httpx.get(f"{server}/organization/{key}", follow_redirects=True, timeout=30)
        assert shown.status_code == 200 and str(shown.url) == f"{server}/communities/{org['name']}"
        assert org["title"] in shown.text
    assert httpx.get(f"{server}/dataset/no-such-dataset").status_code == 404
    assert httpx.get(f"{server}/organization/atlantis").status_code == 404


def test_private_dataset_pages_are_not_redirected_anonymously(server, public_packages):
    admin = RemoteCKAN(server, apikey=TOKEN)
    try:
        everything = admin.action.package_search(include_private=True, rows=1000)["results"]
    finally:
        admin.close()
    public = {p["name"] for p in public_packages}
    hidden = next(p["name"] for p in everything if p["name"] not in public)
    assert httpx.get(f"{server}/dataset/{hidden}").status_code == 404
    with_token = httpx.get(f"{server}/dataset/{hidden}", follow_redirects=False,
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert with_token.status_code in (301, 302, 307, 308)
