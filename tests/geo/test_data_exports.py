"""Coverage leaves through every export: DCAT-AP 3 (`dct:spatial` with `dcat:bbox`,
`dcat:centroid` and a `locn:geometry` node), data.json `spatial`, schema.org
`spatialCoverage`; each checked against the official shapes and schema in ../shared and
against the geometry the store holds."""

import json

import httpx
import pyshacl
import pytest
import rdflib
import shapely
from jsonschema import Draft202012Validator, FormatChecker

from regiongraph.exports import schema_org
from regiongraph.exports.model import read_records
from regiongraph.geo.geometry import from_wkt_literal, parse_bbox, parse_wkt
from regiongraph.namespaces import sparql_prefixes
from tests.exports.conftest import DATAJSON_SCHEMAS, SHARED_SHAPES

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
LOCN = rdflib.Namespace("http://www.w3.org/ns/locn#")
GEO = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")


@pytest.fixture(scope="module")
def coverage(demo_store, demo_index):
    """Published dataset IRI → its geometry in the store (through geo:hasGeometry)."""
    published = {e.iri for e in demo_index.entries}
    rows = demo_store.query(sparql_prefixes() + """
        SELECT ?d ?wkt WHERE { ?d a dcat:Dataset ; geo:hasGeometry/geo:asWKT ?wkt }""",
                            union_default_graph=True)
    return {r["d"].value: from_wkt_literal(r["wkt"]) for r in rows if r["d"].value in published}


@pytest.fixture(scope="module")
def catalog(served):
    return rdflib.Graph().parse(data=httpx.get(f"{served}/catalog.nt?page_size=1000",
                                               timeout=60).text, format="nt")


def test_named_places_now_carry_geometry(coverage, demo_index, demo_store):
    """Before: 245 of the published datasets had a bbox and none a geometry; the datasets
    naming a community as their place had none. Now every published one with a place has."""
    named = demo_store.query(sparql_prefixes() + """
        SELECT DISTINCT ?d WHERE { ?d dct:spatial/locn:geographicName ?n }""",
                             union_default_graph=True)
    named = {r["d"].value for r in named} & {e.iri for e in demo_index.entries}
    assert named and named <= set(coverage)
    print(f"\npublished datasets with a geometry: {len(coverage)} of {len(demo_index.entries)}"
          f" ({len(named)} by a place name)")


def test_dcat_ap_spatial_matches_the_store_and_the_shapes(catalog, coverage, shared_dir):
    for iri, geometry in coverage.items():
        place = catalog.value(rdflib.URIRef(iri), DCT.spatial)
        assert place is not None, iri
        box = catalog.value(place, DCAT.bbox)
        assert parse_wkt(str(box)).equals(shapely.box(*geometry.bounds)), iri
        literal = catalog.value(place, LOCN.geometry)
        assert literal.datatype == GEO.wktLiteral
        assert parse_wkt(str(literal)).equals(geometry), iri
        assert catalog.value(place, DCAT.centroid) is not None
    places = rdflib.Graph()
    for place in set(catalog.subjects(rdflib.RDF.type, DCT.Location)):
        places += catalog.triples((place, None, None))
    conforms, _report, text = pyshacl.validate(
        places, shacl_graph=rdflib.Graph().parse(shared_dir / SHARED_SHAPES))
    assert conforms, text[:3000]


def test_data_json_spatial_is_the_bbox_or_the_place_name(served, coverage, shared_dir):
    records = httpx.get(f"{served}/data.json", timeout=60).json()["dataset"]
    schema = json.loads((shared_dir / DATAJSON_SCHEMAS / "non-federal_dataset.json").read_text())
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    by_iri = {r["@id"] if "@id" in r else r["identifier"]: r for r in records}
    checked = 0
    for record in records:
        assert not list(validator.iter_errors(record)), record["identifier"]
    for iri, geometry in coverage.items():
        record = next((r for key, r in by_iri.items() if iri.endswith("/" + key)
                       or key == iri), None)
        assert record is not None and "spatial" in record, iri
        spatial = record["spatial"]
        if spatial[0].isdigit() or spatial[0] == "-":
            assert parse_bbox(spatial).equals(shapely.box(*geometry.bounds)), iri
        checked += 1
    assert checked == len(coverage)


def test_schema_org_spatial_coverage(demo_store, demo_settings, coverage):
    iris = sorted(coverage)
    for record in read_records(demo_store, iris, base=demo_settings.base):
        geo = schema_org.dataset(record)["spatialCoverage"]["geo"]
        geometry = coverage[record.iri]
        if "polygon" in geo:
            numbers = [float(n) for n in geo["polygon"].split()]
            ring = list(zip(numbers[1::2], numbers[0::2], strict=True))  # "lat lon" pairs
            assert shapely.Polygon(ring).equals(geometry), record.iri
        elif "box" in geo:
            south, west, north, east = (float(n) for n in geo["box"].split())
            assert (west, south, east, north) == pytest.approx(geometry.bounds), record.iri
        else:
            assert (geo["longitude"], geo["latitude"]) == (geometry.x, geometry.y)
