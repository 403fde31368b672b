"""GET /search on the demo region: JSON and HTML, the bad inputs of issue 9 (never a 500)."""

import pytest
from fastapi.testclient import TestClient
from regiongraph.api.app import create_app

from regiongraph.visibility import public_nodes

ADMIN = {"authorization": "Bearer test-admin-token"}


@pytest.fixture(scope="module")
def client(demo_store, demo_settings):
    with TestClient(create_app(demo_settings, store=demo_store)) as test_client:
        yield test_client


def test_json_search_with_facets(client, demo_store, demo_settings):
    response = client.get("/search", params={"q": "bike share", "fq": "kind:dataset"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"]) or body["count"] > body["rows"]
    assert body["count"] > 0
    assert {f for f in body["facets"]} >= {"community", "theme", "format", "keyword"}
    assert "access" not in body["facets"]
    nodes = public_nodes(demo_store, demo_settings)
    assert all(r["iri"] in nodes.public for r in body["results"])
    assert all(r["href"].startswith("/datasets/") for r in body["results"])
    # narrowing by a facet value gives its count
    value = body["facets"]["community"][0]
    narrowed = client.get("/search", params=[("q", "bike share"), ("fq", "kind:dataset"),
                                             ("fq", f"community:{value['value']}")]).json()
    assert narrowed["count"] == value["count"]


def test_admin_gets_private_records_and_the_access_facet(client):
    anonymous = client.get("/search", params={"fq": "kind:dataset"}).json()
    admin = client.get("/search", params={"fq": "kind:dataset"}, headers=ADMIN).json()
    assert admin["count"] > anonymous["count"]
    assert "access" in admin["facets"]
    refused = client.get("/search", params={"fq": "access:restricted"})
    assert refused.status_code == 400 and "admin token" in refused.json()["detail"]


@pytest.mark.parametrize("params,status,fragment", [
    ({"q": 'traffic "counts'}, 200, None),                  # unbalanced quote: a phrase
    ({"q": '"""'}, 200, None),
    ({"q": "x" * 10_000}, 400, "10,000 characters"),
    ({"fq": "colour:red"}, 400, "unknown facet"),
    ({"fq": "nonsense"}, 400, "name:value"),
    ({"rows": "10000000"}, 200, None),                      # clamped
    ({"rows": "-5"}, 200, None),                            # clamped to 1
    ({"rows": "many"}, 400, "whole number"),
    ({"page": "-1"}, 400, "page must be 1 or more"),
    ({"page": "0"}, 400, "page must be 1 or more"),
    ({"page": "99999999"}, 400, "at most"),
    ({"sort": "colour"}, 400, "unknown sort"),
    ({"fq": "modified:last week"}, 400, "give a year"),
    ({"q": "a" * 200 + " OR " * 50}, 200, None),
    ({"q": "\x00\ud7ff\u202e"}, 200, None),
])
def test_bad_inputs_are_a_clear_400_or_clamped(client, params, status, fragment):
    response = client.get("/search", params=params)
    assert response.status_code == status, response.text
    if fragment:
        assert fragment in response.json()["detail"]
    if "rows" in params and status == 200:
        assert response.json()["rows"] == (100 if params["rows"] == "10000000" else 1)


def test_html_page_renders_results_and_facets(client):
    response = client.get("/search", params={"q": "water"}, headers={"accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    assert 'name="q" value="water"' in html
    assert 'data-facet="community"' in html and "/static/search.css" in html
    assert "cdn" not in html.lower() and "<script" not in html.lower()
    bad = client.get("/search", params={"page": "0", "format": "html"})
    assert bad.status_code == 400 and "page must be 1 or more" in bad.text


def test_a_busy_index_is_a_503_not_a_500(tmp_path):
    """Another process holds the index writer while the index needs building."""
    from pathlib import Path

    import tantivy
    from pyoxigraph import RdfFormat, parse

    from regiongraph.iri import Minter
    from regiongraph.search import index_location
    from regiongraph.search.schema import build_schema
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=str(tmp_path / "store"), admin_token="t")
    store = open_store(settings)
    small = Path(__file__).with_name("small.ttl").read_bytes()
    store.replace_graph(Minter(settings.base).graph("source", "s"),
                        parse(small, RdfFormat.TURTLE))
    folder = index_location(settings)
    folder.mkdir(parents=True)
    (folder / "regiongraph-search.json").write_text('{"schema": 0}')
    holder = None
    try:
        from regiongraph.search import open_index

        open_index(store, settings)  # the directory is now a current, empty index
        holder = tantivy.Index(build_schema(), path=str(folder), reuse=True).writer()
        # held before the server starts, so nothing of the server's can take it first
        with TestClient(create_app(settings, store=store)) as client:
            client.get("/health")
            response = client.get("/search", params={"q": "bike"})
            assert response.status_code == 503
            assert "being written by another process" in response.json()["detail"]
            ckan = client.get("/api/3/action/package_search")
            assert ckan.status_code == 503 and ckan.json()["success"] is False
    finally:
        del holder
        store.close()


def test_random_inputs_never_cause_a_500(client):
    """Random text, filters, rows, pages and sorts on /search and CKAN's package_search."""
    import random
    import string

    rnd = random.Random(9)
    alphabet = string.printable + '"*-:()[]{}~^!?\\/é中😀\x00'
    for number in range(150):
        q = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        params = {
            "q": q,
            "fq": rnd.choice(["", f"community:{q[:5]}", f"format={q[:3]}", q[:8],
                              f"modified:{q[:6]}", 'keyword:"x']),
            "rows": rnd.choice(["", "0", "-3", "5", "x", "999999999999999999999"]),
            "page": rnd.choice(["", "1", "2", "0", "abc"]),
            "sort": rnd.choice(["", "title asc", "modified desc", q[:4]]),
        }
        headers = ADMIN if number % 2 else {}
        response = client.get("/search", params=params, headers=headers)
        assert response.status_code < 500, (params, response.text[:200])
        ckan = client.get("/api/3/action/package_search", params={
            "q": q, "fq": params["fq"], "rows": params["rows"], "start": params["page"],
            "sort": params["sort"],
            "facet.field": rnd.choice(['["tags"]', "x", "[1]", '["organization"]', ""])})
        assert ckan.status_code < 500, (params, ckan.text[:200])
        assert "success" in ckan.json()
