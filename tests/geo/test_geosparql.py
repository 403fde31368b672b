"""GeoSPARQL 1.1 in `/sparql` (issue 19): the simple-features functions agree with shapely on
every pair of demo geometries, `geof:distance` answers in metres between any two geometries,
and the named query "datasets whose coverage intersects this project's area"."""

import math

import pyoxigraph as ox
import pytest
import shapely
from fastapi.testclient import TestClient
from regiongraph.api.app import create_app

from regiongraph.change import apply_change
from regiongraph.geo.functions import read_geometry
from regiongraph.geo.index import geo_index
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store

ADMIN = {"authorization": "Bearer test-admin-token"}
PREFIXES = """PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
"""
PAIRS = PREFIXES + """SELECT ?a ?b (geof:sfIntersects(?a, ?b) AS ?intersects)
  (geof:sfWithin(?a, ?b) AS ?within) (geof:sfContains(?a, ?b) AS ?contains)
  (geof:sfOverlaps(?a, ?b) AS ?overlaps) (geof:distance(?a, ?b, uom:metre) AS ?metres)
  (geof:envelope(?a) AS ?envelope)
WHERE { VALUES ?a { %s } VALUES ?b { %s } }"""


def sphere_metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on the mean-radius sphere, written out here as the reference."""
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def brute_distance(a, b) -> float:
    """The least distance between densely sampled points of the two boundaries."""
    def points(shape):
        return shapely.get_coordinates(shapely.segmentize(shape.boundary if shape.area else shape,
                                                          0.01))
    return min(sphere_metres(p, q) for p in points(a) for q in points(b))


@pytest.fixture(scope="module")
def client(demo_store, demo_settings):
    with TestClient(create_app(demo_settings, store=demo_store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def demo_geometries(demo_store) -> list[ox.Literal]:
    """Every geometry literal of the demo: coverages, and any geo:asWKT / GeoJSON."""
    rows = demo_store.query(PREFIXES + """SELECT DISTINCT ?w WHERE { ?s ?p ?w
        FILTER(isLiteral(?w) && DATATYPE(?w) IN (geo:wktLiteral, geo:geoJSONLiteral)) }""",
                            union_default_graph=True)
    return sorted((row["w"] for row in rows), key=str)


def test_functions_agree_with_shapely_on_every_pair_of_demo_geometries(client,
                                                                       demo_geometries):
    assert len(demo_geometries) >= 5
    values = " ".join(str(w) for w in demo_geometries)
    response = client.post("/sparql", data={"query": PAIRS % (values, values)},
                           headers={**ADMIN, "accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert len(rows) == len(demo_geometries) ** 2
    for row in rows:
        a, b = read_geometry(row["a"]["value"]), read_geometry(row["b"]["value"])
        assert row["intersects"]["value"] == str(a.intersects(b)).lower()
        assert row["within"]["value"] == str(a.within(b)).lower()
        assert row["contains"]["value"] == str(a.contains(b)).lower()
        assert row["overlaps"]["value"] == str(a.overlaps(b)).lower()
        assert read_geometry(row["envelope"]["value"]).equals(a.envelope)
        metres = float(row["metres"]["value"])  # bound for polygons too, not only points
        if a.intersects(b):
            assert metres == 0.0
        else:
            # samples 0.01 degrees apart (about 1.1 km) lie at most about 560 m off the
            # boundary; the function takes the planar nearest points, within 1% on a sphere
            sampled = brute_distance(a, b)
            assert sampled - 600 - 0.01 * sampled <= metres <= sampled * 1.01 + 1


def test_point_distance_is_pyoxigraphs_own_and_polygons_get_one():
    """Between points the answer is pyoxigraph's built-in one; polygon to point, where the
    built-in is unbound, the distance to the nearest edge."""
    query = PREFIXES + """SELECT ?points ?polygon WHERE {
      BIND(geof:distance("POINT(-110.9 32.2)"^^geo:wktLiteral,
                         "POINT(-111.9 33.4)"^^geo:wktLiteral, uom:metre) AS ?points)
      BIND(geof:distance("POLYGON((-111 32,-110 32,-110 33,-111 33,-111 32))"^^geo:wktLiteral,
                         "POINT(-109 32.5)"^^geo:wktLiteral, uom:metre) AS ?polygon) }"""
    built_in = next(iter(ox.Store().query(query)))
    ours = next(iter(open_store(Settings(store="memory")).query(query)))
    assert built_in["polygon"] is None
    assert float(ours["points"].value) == pytest.approx(float(built_in["points"].value),
                                                        rel=1e-12)
    assert float(ours["polygon"].value) == pytest.approx(
        sphere_metres((-110, 32.5), (-109, 32.5)), rel=1e-6)


def test_anonymous_endpoint_answers_geosparql_too(client):
    query = PREFIXES + ('ASK { FILTER(geof:sfIntersects("-111,32,-110,33", '
                        '"POINT(-110.5 32.5)"^^geo:wktLiteral)) }')
    response = client.get("/sparql", params={"query": query},
                          headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.json()["boolean"] is True


AREA = "POLYGON((-111 32,-110.5 32,-110.5 32.5,-111 32.5,-111 32))"
REGION = f"""
@prefix rg: <https://w3id.org/regiongraph/ns#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix ds: <https://data.sonoranvalley.example/datasets/t/> .
@prefix prj: <https://data.sonoranvalley.example/projects/> .
@prefix com: <https://data.sonoranvalley.example/communities/> .
prj:corridor a rg:Project ; dct:title "Corridor" ; geo:hasGeometry prj:corridor-area .
prj:corridor-area geo:asWKT "{AREA}"^^geo:wktLiteral .
com:mesa geo:hasGeometry com:mesa-area .
com:mesa-area geo:asWKT "POLYGON((-110.6 32.4,-110 32.4,-110 33,-110.6 33,-110.6 32.4))"^^geo:wktLiteral .
ds:inside a dcat:Dataset ; dct:title "Inside" ; dct:spatial ds:inside-place .
ds:inside-place dcat:bbox "POLYGON((-110.9 32.1,-110.8 32.1,-110.8 32.2,-110.9 32.2,-110.9 32.1))"^^geo:wktLiteral .
ds:mesa a dcat:Dataset ; dct:title "Named place" ; dct:spatial com:mesa .
ds:point a dcat:Dataset ; dct:title "Point" ; geo:hasGeometry ds:point-geom .
ds:point-geom geo:asWKT "POINT(-110.7 32.3)"^^geo:wktLiteral .
ds:far a dcat:Dataset ; dct:title "Far" ; dct:spatial ds:far-place .
ds:far-place dcat:bbox "POLYGON((-100 40,-99 40,-99 41,-100 41,-100 40))"^^geo:wktLiteral .
"""


def test_named_query_datasets_covering_a_project_area_agrees_with_the_index():
    settings = Settings(store="memory", admin_token="test-admin-token",
                        base="https://data.sonoranvalley.example/")
    store = open_store(settings)
    graph = Minter(settings.base).graph("source", "t").value

    def write():
        store.replace_graph(ox.NamedNode(graph), ox.parse(REGION.encode(), ox.RdfFormat.TURTLE))
        return [graph]

    apply_change(store, settings, "test", write)
    with TestClient(create_app(settings, store=store)) as client:
        response = client.get("/queries/datasets-covering-project-area",
                              params={"project": "corridor"},
                              headers={**ADMIN, "accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    found = {row["dataset"]["value"] for row in response.json()["results"]["bindings"]}
    prefix = settings.base + "datasets/t/"
    assert found == {prefix + "inside", prefix + "mesa", prefix + "point"}
    # the same question to the spatial index
    assert set(geo_index(store, settings).overlaps(read_geometry(AREA))) == found
