"""The geometry kernel: every form a catalog uses is read, every malformed one refused in
one line, and what is written reads back the same."""

import pytest
import shapely

from regiongraph.geo.geometry import (
    GeometryError,
    bbox_text,
    envelope_wkt,
    from_wkt_literal,
    parse_bbox,
    parse_geojson,
    parse_spatial,
    parse_wkt,
    place_key,
    to_geojson,
    wkt_literal,
)

SQUARE = "POLYGON((-111 32, -110 32, -110 33, -111 33, -111 32))"


def test_bbox_wkt_geojson_give_the_same_polygon():
    from_bbox = parse_bbox("-111,32,-110,33")
    from_wkt = parse_wkt(SQUARE)
    from_json = parse_geojson({"type": "Polygon", "coordinates": [
        [[-111, 32], [-110, 32], [-110, 33], [-111, 33], [-111, 32]]]})
    assert from_bbox.equals(from_wkt) and from_wkt.equals(from_json)
    assert bbox_text(from_json) == "-111,32,-110,33"
    assert envelope_wkt(from_wkt) == "POLYGON ((-111 32, -110 32, -110 33, -111 33, -111 32))"


def test_crs84_prefix_read_other_crs_refused():
    crs84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> " + SQUARE
    assert parse_wkt(crs84).equals(parse_wkt(SQUARE))
    with pytest.raises(GeometryError, match="EPSG/0/4326.*only CRS84"):
        parse_wkt("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(32 -111)")


def test_feature_collection_is_united():
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [3, 4]}},
    ]}
    assert parse_geojson(collection).equals(shapely.MultiPoint([(1, 2), (3, 4)]))


@pytest.mark.parametrize("value, message", [
    ("-111,32,-110", "expected four numbers"),
    ("-110,32,-111,33", "west -110 is east of east -111"),
    ("-111,33,-110,32", "south 33 is north of north 32"),
    ("32,-111,33,-110", "outside longitude"),   # lat/lon swapped: -111 is no latitude
    ("POLYGON((0 0, 1 1, 0 1))", "WKT 'POLYGON"),  # ring not closed
    ("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))", "invalid geometry (Self-intersection"),
    ("POINT(200 10)", "outside longitude"),
    ("POINT EMPTY", "empty geometry"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}', "GeoJSON Polygon"),
    ('{"type": "Point", "coordinates": [0, 0]', "invalid JSON"),
    ('{"type": "Feature", "geometry": null}', "has no geometry"),
    ('{"type": "FeatureCollection", "features": []}', "has no features"),
])
def test_malformed_geometry_is_one_line_error(value, message):
    with pytest.raises(GeometryError) as caught:
        parse_spatial(value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_place_names_resolve_against_the_region_only():
    places = {place_key("City of Saguaro"): "https://r.example/community/saguaro"}
    for name in ("City of Saguaro", "saguaro", "SAGUARO "):
        found = parse_spatial(name, places=places)
        assert found is not None and found.kind == "place"
        assert found.place == "https://r.example/community/saguaro"
    assert parse_spatial("Atlantis", places=places) is None
    assert parse_spatial("", places=places) is None


def test_written_literal_reads_back_and_rounds():
    geometry = parse_wkt("POINT(-111.123456789 32.987654321)")
    literal = wkt_literal(geometry)
    assert literal.datatype.value == "http://www.opengis.net/ont/geosparql#wktLiteral"
    assert literal.value == "POINT (-111.123457 32.987654)"
    assert from_wkt_literal(literal).equals(shapely.Point(-111.123457, 32.987654))
    assert to_geojson(geometry) == {"type": "Point", "coordinates": (-111.123457, 32.987654)}
