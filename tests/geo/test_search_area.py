"""Search by area (issue 19): `/search?bbox=&intersects=`, CKAN's `ext_bbox`, the CLI, and
the spatial index following the one change path, on the demo region and a small store."""

import json
import subprocess
import sys

import httpx
import pytest
import shapely
from fastapi.testclient import TestClient
from regiongraph.api.app import create_app

from regiongraph.change import apply_change
from regiongraph.geo.functions import overlap, read_geometry
from regiongraph.geo.index import COVERAGE, PREFIXES, GeoIndex, geo_index
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.visibility import publishable_datasets
from tests.support import serve_app

ADMIN = {"authorization": "Bearer test-admin-token"}
BASE = "https://data.sonoranvalley.example/"


@pytest.fixture(scope="module")
def client(demo_store, demo_settings):
    with TestClient(create_app(demo_settings, store=demo_store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def coverages(demo_store) -> dict[str, shapely.Geometry]:
    """Every demo dataset's coverage, read straight from the store, no index."""
    found: dict[str, list] = {}
    for row in demo_store.query(PREFIXES + f"SELECT ?d ?w WHERE {{ ?d a dcat:Dataset . "
                                f"{COVERAGE} }}", union_default_graph=True):
        found.setdefault(row["d"].value, []).append(read_geometry(row["w"].value))
    return {iri: shapely.union_all(shapes) for iri, shapes in found.items()}


def all_pages(client, params: dict, headers=None) -> list[dict]:
    results, page = [], 1
    while True:
        body = client.get("/search", params={**params, "rows": 100, "page": page},
                          headers=headers or {}).json()
        results += body["results"]
        if page >= body["pages"]:
            return results
        page += 1


def test_far_away_bbox_finds_nothing(client):
    body = client.get("/search", params={"bbox": "10,45,11,46"}).json()
    assert body["count"] == 0 and body["results"] == []
    assert client.get("/search").json()["count"] > 300  # without an area: everything


def test_bbox_finds_exactly_the_public_datasets_covering_it(client, demo_store, demo_settings,
                                                            coverages):
    public = {str(getattr(d, "value", d)) for d in publishable_datasets(demo_store,
                                                                        demo_settings)}
    west, south, east, north = coverages[min(coverages)].bounds
    box = f"{west + 0.01},{south + 0.01},{(west + east) / 2},{(south + north) / 2}"
    area = shapely.box(*(float(n) for n in box.split(",")))
    expected = {iri for iri, shape in coverages.items() if shape.intersects(area)}
    results = all_pages(client, {"bbox": box})
    assert {r["iri"] for r in results} == expected & public
    assert 0 < len(results) < len(public)
    # ranked by overlap, and the overlap is the real one
    overlaps = [r["overlap"] for r in results]
    assert overlaps == sorted(overlaps, reverse=True)
    for r in results:
        assert r["overlap"] == pytest.approx(overlap(coverages[r["iri"]], area), abs=1e-6)
    # the admin sees the non-public ones too
    private = all_pages(client, {"bbox": box}, headers=ADMIN)
    assert {r["iri"] for r in private} == expected


def test_intersects_wkt_geojson_and_words_with_facets(client, coverages):
    west, south, east, north = coverages[max(coverages)].bounds
    x, y = (west + east) / 2, (south + north) / 2
    point = f"POINT({x} {y})"
    by_wkt = client.get("/search", params={"intersects": point, "rows": 100}).json()
    geojson = json.dumps({"type": "Point", "coordinates": [x, y]})
    by_json = client.get("/search", params={"intersects": geojson, "rows": 100}).json()
    assert by_wkt["count"] == by_json["count"] > 0
    assert [r["iri"] for r in by_wkt["results"]] == [r["iri"] for r in by_json["results"]]
    # combined with a facet: the facet's count inside the area
    value = by_wkt["facets"]["community"][0]
    narrowed = client.get("/search", params={"intersects": point,
                                             "fq": f"community:{value['value']}"}).json()
    assert narrowed["count"] == value["count"]
    # combined with words: a subset of both
    word = by_wkt["results"][0]["title"].split()[0]
    both = all_pages(client, {"intersects": point, "q": word})
    words_only = {r["iri"] for r in all_pages(client, {"q": word})}
    assert both and {r["iri"] for r in both} <= words_only & {
        r["iri"] for r in all_pages(client, {"intersects": point})}


@pytest.mark.parametrize("params,fragment", [
    ({"bbox": "1,2,3"}, "four numbers"),
    ({"bbox": "-110,33,-111,34"}, "west > east"),
    ({"bbox": "-110,33,-109,95"}, "outside"),
    ({"intersects": "POLYGON((0 0, 1 1"}, "not WKT"),
    ({"intersects": '{"type": "Polygon"'}, "not GeoJSON"),
    ({"intersects": "<http://www.opengis.net/def/crs/EPSG/0/3857> POINT(1 1)"}, "CRS"),
])
def test_bad_areas_are_400_saying_what(client, params, fragment):
    response = client.get("/search", params=params)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert next(iter(params)) in response.json()["detail"]


@pytest.fixture(scope="module")
def server(demo_store, demo_settings):
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


def test_ckan_ext_bbox(server, client, coverages):
    west, south, east, north = coverages[min(coverages)].bounds
    box = f"{west},{south},{east},{north}"
    with httpx.Client(base_url=server, timeout=30) as http:
        answer = http.get("/api/3/action/package_search",
                          params={"ext_bbox": box, "rows": 1000}).json()
        assert answer["success"]
        ours = all_pages(client, {"bbox": box, "fq": "kind:dataset"})
        assert answer["result"]["count"] == len(ours) > 0
        assert [p["extras"][0]["value"] for p in answer["result"]["results"]] == [
            r["iri"] for r in ours]
        far = http.get("/api/3/action/package_search", params={"ext_bbox": "10,45,11,46"})
        assert far.json()["result"]["count"] == 0
        bad = http.get("/api/3/action/package_search", params={"ext_bbox": "nonsense"})
        assert bad.status_code == 409
        assert "Wrong bounding box provided" in bad.json()["error"]["message"]


SMALL = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix ds: <https://data.sonoranvalley.example/datasets/t/> .
ds:a a dcat:Dataset ; dct:title "Alpha counts" ; dct:spatial ds:a-place .
ds:a-place dcat:bbox "POLYGON((0 0,1 0,1 1,0 1,0 0))"^^geo:wktLiteral .
ds:b a dcat:Dataset ; dct:title "Beta counts" ; geo:hasGeometry ds:b-geom .
ds:b-geom geo:asWKT "POLYGON((5 5,6 5,6 6,5 6,5 5))"^^geo:wktLiteral .
ds:c a dcat:Dataset ; dct:title "Gamma counts" .
"""


def _write(store, settings, graph: str, turtle: str):
    from pyoxigraph import NamedNode, RdfFormat, parse

    def write():
        store.replace_graph(NamedNode(graph), parse(turtle.encode(), RdfFormat.TURTLE))
        return [graph]

    return apply_change(store, settings, "test", write)


def test_the_index_follows_the_change_path(tmp_path):
    settings = Settings(store=str(tmp_path / "store"), base=BASE)
    store = open_store(settings)
    graph = Minter(BASE).graph("source", "t").value
    _write(store, settings, graph, SMALL)
    index = geo_index(store, settings)
    assert set(index.overlaps(shapely.box(-1, -1, 10, 10))) == {BASE + "datasets/t/a",
                                                                BASE + "datasets/t/b"}
    # move a, drop b's geometry, give c one: the index follows the change
    moved = SMALL.replace("POLYGON((0 0,1 0,1 1,0 1,0 0))", "POLYGON((20 20,21 20,21 21,20 21,20 20))")
    moved = moved.replace('ds:b-geom geo:asWKT "POLYGON((5 5,6 5,6 6,5 6,5 5))"^^geo:wktLiteral .',
                          "")
    moved += ('ds:c dct:spatial ds:c-place . ds:c-place dcat:bbox '
              '"POLYGON((5 5,7 5,7 7,5 7,5 5))"^^geo:wktLiteral .\n')
    applied = _write(store, settings, graph, moved)
    assert not applied.failures
    assert geo_index(store, settings) is index
    assert index.version == applied.version
    assert set(index.overlaps(shapely.box(-1, -1, 10, 10))) == {BASE + "datasets/t/c"}
    assert set(index.overlaps(shapely.box(19, 19, 30, 30))) == {BASE + "datasets/t/a"}
    # what it holds equals a fresh build from the store
    fresh = GeoIndex()
    fresh.rebuild(store, settings)
    for box in (shapely.box(-1, -1, 10, 10), shapely.box(19, 19, 30, 30),
                shapely.box(-180, -90, 180, 90)):
        assert index.overlaps(box) == fresh.overlaps(box)
    # a graph dropped: its datasets leave the index
    apply_change(store, settings, "test", lambda: (store.remove_graph(
        __import__("pyoxigraph").NamedNode(graph)), [graph])[1])
    assert geo_index(store, settings).overlaps(shapely.box(-180, -90, 180, 90)) == {}
    store.close()


def test_cli_search_bbox(tmp_path):
    settings = Settings(store=str(tmp_path / "store"), base=BASE)
    store = open_store(settings)
    _write(store, settings, Minter(BASE).graph("source", "t").value, SMALL)
    store.close()

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "regiongraph", "--store", str(tmp_path / "store"), "--base",
             BASE, "search", "counts", "--private", "--json", *args],
            check=False, capture_output=True, text=True, timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200"})

    done = cli("--bbox", "0.5,0.5,5.5,5.5")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [r["title"] for r in body["results"]] == ["Alpha counts", "Beta counts"]
    assert body["results"][0]["overlap"] == pytest.approx(
        overlap(shapely.box(0, 0, 1, 1), shapely.box(0.5, 0.5, 5.5, 5.5)))
    bad = cli("--bbox", "0,0,1")
    assert bad.returncode == 2 and "bbox" in bad.stderr + bad.stdout


def _catalog(boxes: dict[str, str]) -> dict:
    return {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
        {"identifier": name, "title": f"Dataset {name}", "description": f"About {name}.",
         "keyword": ["test"], "modified": "2026-01-01", "accessLevel": "public",
         "publisher": {"name": "Testville"}, "contactPoint": {
             "fn": "Data team", "hasEmail": "mailto:data@testville.example"},
         "spatial": box} for name, box in boxes.items()]}


def test_a_harvest_is_followed_record_by_record(tmp_path):
    """A harvest that writes record by record journals the datasets it changed; the index
    re-reads those alone and ends equal to a fresh build."""
    from regiongraph.geo.index import changed_subjects
    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.journal import version
    from regiongraph.pipeline import harvest

    settings = Settings(store=str(tmp_path / "store"), base=BASE)
    store = open_store(settings)
    boxes = {f"d{n}": f"{n},0,{n + 0.5},0.5" for n in range(6)}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(_catalog(boxes)))
    source = one_source(str(path), type="datajson", community="testville", source_id="t")
    harvest(store, settings, lambda: [harvest_source(store, settings, source)])
    index = geo_index(store, settings)
    assert len(index.overlaps(shapely.box(-1, -1, 10, 10))) == 6
    before = version(store, settings)
    boxes["d1"] = "20,20,20.5,20.5"
    path.write_text(json.dumps(_catalog(boxes)))
    [report] = harvest(store, settings, lambda: [harvest_source(store, settings, source)])
    assert report.updated == 1
    [moved] = changed_subjects(store, settings, before)
    assert moved.endswith("d1")
    assert geo_index(store, settings).version == version(store, settings)
    assert set(index.overlaps(shapely.box(19, 19, 21, 21))) == {moved}
    assert len(index.overlaps(shapely.box(-1, -1, 10, 10))) == 5
    fresh = GeoIndex()
    fresh.rebuild(store, settings)
    assert index.overlaps(shapely.box(-180, -90, 180, 90)) == fresh.overlaps(
        shapely.box(-180, -90, 180, 90))
    store.close()
