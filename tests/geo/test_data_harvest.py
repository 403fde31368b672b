"""Harvested coverage: data.json, DCAT, CKAN and ArcGIS Hub spatial values become one
CRS84 geometry per dataset; place names resolve against the region's own places (by
reference to the registry's geometry); malformed geometry is a warning on its record and
never stops the harvest. The files in tests/fixtures/geo carry the broken forms portals
really publish (lat/lon swapped, unclosed rings, bow-ties, another CRS, truncated GeoJSON).
"""

from pathlib import Path

import pytest
import shapely

from regiongraph.geo.geometry import from_wkt_literal
from regiongraph.iri import Minter
from regiongraph.namespaces import sparql_prefixes
from regiongraph.paths import data_path
from regiongraph.pipeline import LoadSummary, load_registry
from tests.harvest.conftest import Harvester

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "geo"


@pytest.fixture
def harvest(store, settings):
    load_registry(store, settings, data_path("demo") / "registry", LoadSummary())
    return Harvester(store, settings)


def geometries(harvest) -> dict[str, str]:
    """Dataset identifier → the IRI of its geometry node, and the WKT read through it."""
    rows = harvest.store.query(sparql_prefixes() + f"""
        SELECT ?id ?g ?wkt WHERE {{
          GRAPH <{harvest.graph().value}> {{ ?d a dcat:Dataset ; dct:identifier ?id ;
                                              geo:hasGeometry ?g }}
          ?g geo:asWKT ?wkt }}""", union_default_graph=True)
    return {r["id"].value: (r["g"].value, from_wkt_literal(r["wkt"])) for r in rows}


def warnings(report) -> dict[str, str]:
    return {e.record: e.message for e in report.errors if e.field and "spatial" in e.field
            or e.field and ("geometry" in e.field or "bbox" in e.field)}


def community_geometry(settings, ident):
    return Minter(settings.base).iri("community", ident).value + "/geometry"


def test_datajson_spatial_forms_and_broken_ones(harvest, settings):
    report = harvest(FIXTURE / "spatial-datajson.json")
    assert report.status == "ok" and report.created == 16 and report.skipped == 0
    found = geometries(harvest)
    assert found["bbox"][1].equals(shapely.box(-111.08, 32.05, -110.72, 32.38))
    assert found["wkt-polygon"][1].geom_type == "Polygon"
    assert found["geojson-text"][1].equals(shapely.Point(-110.95, 32.22))
    assert found["geojson-object"][1].geom_type == "LineString"
    # place names: by reference to the registry's boundary (name or acronym)
    assert found["place-known"][0] == community_geometry(settings, "saguaro")
    assert found["place-acronym"][0] == community_geometry(settings, "valley-transit")
    assert "place-unknown" not in found
    assert "place-is-a-project" not in found  # a project's title names work, not a place
    broken = warnings(report)
    expected = {
        "bbox-lat-lon-swapped": "outside longitude",
        "bbox-three-numbers": "expected four numbers",
        "bbox-west-east-reversed": "is east of east",
        "wkt-unclosed-ring": "WKT 'POLYGON",
        "wkt-bowtie": "Self-intersection",
        "wkt-web-mercator": "only CRS84",
        "geojson-truncated": "invalid JSON",
        "geojson-feature-without-geometry": "has no geometry",
    }
    assert set(broken) == set(expected)
    for record, words in expected.items():
        assert words in broken[record] and "no geometry" in broken[record], broken[record]
        assert record not in found
    assert all(e.severity == "warning" for e in report.errors if e.record in expected)


def test_dcat_locn_geometry_bbox_and_names(harvest, settings):
    report = harvest(FIXTURE / "spatial-dcat.ttl", "dcat")
    assert report.status == "ok" and report.created == 7
    found = geometries(harvest)
    assert found["node-geometry"][1].equals(shapely.Point(-110.55, 32.01))  # DCAT-AP 3 form
    assert found["geometry"][1].geom_type == "Polygon"  # CRS84 IRI prefix read
    assert found["bbox"][1].equals(shapely.box(-110.62, 31.95, -110.5, 32.05))
    assert found["geojson"][1].equals(shapely.Point(-110.56, 32.0))
    assert found["named"][0] == community_geometry(settings, "agave")
    # the broken bbox literal is left out; the location's name still places the dataset
    assert found["broken-bbox"][0] == community_geometry(settings, "agave")
    assert "broken-geometry" not in found
    broken = warnings(report)
    assert set(broken) == {"broken-bbox", "broken-geometry"}
    rows = harvest.store.query(
        "SELECT ?w WHERE { GRAPH ?g { ?p <http://www.w3.org/ns/dcat#bbox> ?w } }",
        named_graphs=[harvest.graph()])
    assert all(from_wkt_literal(r["w"]) is not None for r in rows)


def test_ckan_spatial_extra(harvest):
    report = harvest(FIXTURE / "spatial-ckan.json", "ckan", site="https://data.testville.example")
    assert report.status == "ok" and report.created == 4
    found = geometries(harvest)
    assert found["id-ckan-geojson"][1].equals(found["id-ckan-bbox"][1])
    broken = warnings(report)
    assert set(broken) == {"id-ckan-geojson-broken", "id-ckan-geojson-lon-200"}
    assert "outside longitude" in broken["id-ckan-geojson-lon-200"]


def test_arcgis_hub_extents(harvest):
    report = harvest(FIXTURE / "spatial-arcgis.json", "arcgis",
                     site="https://hub.testville.example")
    assert report.status == "ok" and report.created == 4
    found = geometries(harvest)
    assert found["arc-extent"][1].equals(shapely.box(-110.4, 31.6, -109.6, 32.4))
    assert found["arc-extent-envelope"][1].equals(shapely.box(-110.3, 31.7, -110.1, 31.9))
    assert "arc-extent-empty" not in found
    assert set(warnings(report)) == {"arc-extent-broken"}
