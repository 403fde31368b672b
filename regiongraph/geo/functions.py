"""Reading geometries, and the GeoSPARQL 1.1 functions the SPARQL endpoint answers.

    read_geometry("POLYGON((...))")          # WKT, GeoJSON or "W,S,E,N" → a shapely geometry
    overlap(coverage, area)                  # how well a coverage fits a searched area, 0..1
    distance_metres(a, b)                    # shortest distance on the Earth's sphere
    store.query(text, custom_functions=FUNCTIONS)

Coordinates are CRS84 (longitude, latitude), GeoSPARQL's default. pyoxigraph 0.5.13
evaluates `sfIntersects`, `sfWithin`, `sfContains`, `sfOverlaps` and `envelope` itself, but
`geof:distance` only between two points, and none of them on GeoJSON literals or bounding
boxes. Registering all six here (custom functions win over pyoxigraph's own) gives one
evaluation, shapely's, for every literal kind and for the search index alike. Parsed
geometries are cached by literal, so a query that tests 100k coverages against one area
parses the area once and each coverage once per process.
"""

from __future__ import annotations

import json
import math
import re
import threading
from functools import lru_cache

import shapely
from pyoxigraph import Literal, NamedNode
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from regiongraph.errors import RegiongraphError

GEO = "http://www.opengis.net/ont/geosparql#"
GEOF = "http://www.opengis.net/def/function/geosparql/"
UOM = "http://www.opengis.net/def/uom/OGC/1.0/"
WKT_LITERAL = NamedNode(GEO + "wktLiteral")
GEOJSON_LITERAL = GEO + "geoJSONLiteral"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EARTH_RADIUS = 6_371_008.8
"""Mean Earth radius in metres (IUGG): the sphere pyoxigraph's own point distance uses,
so the two agree exactly between points."""
METRE_UNITS = {UOM + "metre", UOM + "meter"}

_CRS = re.compile(r"^\s*<([^>]*)>\s*")
_NUMBER = r"\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*"
_BBOX = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")


class GeometryError(RegiongraphError, ValueError):
    """A bounding box, WKT or GeoJSON text that is not a usable CRS84 geometry."""


def read_geometry(text: str) -> BaseGeometry:
    """A geometry from WKT (optionally led by a CRS IRI), GeoJSON, or a `W,S,E,N` box.

    The one reading of geometry text in regiongraph: the search parameters, the index of
    dataset coverages and the SPARQL functions all call it. Raises GeometryError saying
    what is wrong with the text.
    """
    if not isinstance(text, str) or not text.strip():
        raise GeometryError("the geometry is empty")
    return _read(text.strip())


@lru_cache(maxsize=262_144)
def _read(text: str) -> BaseGeometry:
    box = _BBOX.match(text)
    if box:
        return read_bbox(text)
    if text.startswith("{"):
        geometry = _geojson(text)
    else:
        geometry = _wkt(text)
    if geometry.is_empty:
        raise GeometryError(f"the geometry {_short(text)} is empty")
    west, south, east, north = geometry.bounds
    _check_range(west, south, east, north, text)
    return geometry


def read_bbox(text: str) -> BaseGeometry:
    """`W,S,E,N` in degrees (CKAN's `ext_bbox` and `/search?bbox=`) → a rectangle."""
    box = _BBOX.match(text.strip())
    if not box:
        raise GeometryError(f"a bounding box is four numbers west,south,east,north; "
                            f"got {_short(text)}")
    west, south, east, north = (float(box.group(i)) for i in range(1, 5))
    if west > east or south > north:
        raise GeometryError(f"the bounding box {_short(text)} has west > east or "
                            "south > north; give it as west,south,east,north")
    _check_range(west, south, east, north, text)
    return shapely.box(west, south, east, north)


def _check_range(west: float, south: float, east: float, north: float, text: str) -> None:
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90
            and -90 <= north <= 90):
        raise GeometryError(f"the geometry {_short(text)} lies outside longitude -180..180, "
                            "latitude -90..90 (CRS84 is longitude first)")


def _wkt(text: str) -> BaseGeometry:
    crs = _CRS.match(text)
    body = text[crs.end():] if crs else text
    try:
        geometry = shapely.from_wkt(body)
    except shapely.errors.ShapelyError as error:
        raise GeometryError(f"not WKT: {_short(text)} ({error})") from None
    if geometry is None:
        raise GeometryError(f"not WKT: {_short(text)}")
    if crs and crs.group(1) == EPSG4326:  # latitude first in EPSG's axis order
        geometry = shapely.transform(geometry, lambda xy: xy[:, ::-1])
    elif crs and crs.group(1) != CRS84:
        raise GeometryError(f"the CRS <{crs.group(1)}> is not supported; use CRS84 "
                            "(longitude, latitude)")
    return geometry


def _geojson(text: str) -> BaseGeometry:
    try:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("type") == "Feature":
            text = json.dumps(data.get("geometry"))
        return shapely.from_geojson(text)
    except (ValueError, shapely.errors.ShapelyError) as error:
        raise GeometryError(f"not GeoJSON: {_short(text)} ({error})") from None


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def overlap(coverage: BaseGeometry, area: BaseGeometry) -> float:
    """How well `coverage` fits the searched `area`, 0..1: the mean of the share of the
    area the coverage fills and the share of the coverage inside the area (Solr's
    BBoxField overlapRatio, which ckanext-spatial ranks by, with both halves weighted
    alike). A coverage or area without extent (a point, a line) counts as wholly inside
    whatever it touches."""
    in_area, in_coverage = shares(coverage, area)
    return round((in_area + in_coverage) / 2, 6)


def shares(coverage: BaseGeometry, area: BaseGeometry) -> tuple[float, float]:
    """(share of `area` inside `coverage`, share of `coverage` inside `area`), 0..1 each."""
    if not coverage.intersects(area):
        return 0.0, 0.0
    shared = coverage.intersection(area).area
    return (shared / area.area if area.area > 0 else 1.0,
            shared / coverage.area if coverage.area > 0 else 1.0)


def distance_metres(a: BaseGeometry, b: BaseGeometry) -> float:
    """The shortest distance between two geometries on the Earth's sphere, in metres.

    The nearest points are found in a plane whose longitudes are shrunk by the cosine of
    the mean latitude (so a degree east weighs what it does on the ground), and their
    great-circle distance is measured; between two points that is the haversine distance.
    """
    if a.intersects(b):
        return 0.0
    latitude = math.radians((a.centroid.y + b.centroid.y) / 2)
    scale = max(math.cos(latitude), 1e-6)

    def squeeze(xy):
        return xy * [scale, 1.0]

    near_a, near_b = nearest_points(shapely.transform(a, squeeze),
                                                shapely.transform(b, squeeze))
    return haversine(near_a.x / scale, near_a.y, near_b.x / scale, near_b.y)


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))


# --- the SPARQL extension functions -----------------------------------------------------


def _term_geometry(term) -> BaseGeometry | None:
    """A geometry literal's shape; None (the value is unbound) for anything else."""
    if not isinstance(term, Literal):
        return None
    try:
        return read_geometry(term.value)
    except GeometryError:
        return None


def _relation(test):
    def function(a, b):
        first, second = _term_geometry(a), _term_geometry(b)
        if first is None or second is None:
            return None
        return Literal(bool(test(first, second)))

    return function


def _envelope(term):
    geometry = _term_geometry(term)
    if geometry is None:
        return None
    return Literal(f"<{CRS84}> {shapely.envelope(geometry).wkt}", datatype=WKT_LITERAL)


def _distance(a, b, unit=None):
    if unit is not None and not (isinstance(unit, NamedNode) and unit.value in METRE_UNITS):
        return None  # only metres: other units stay unbound rather than guessed
    first, second = _term_geometry(a), _term_geometry(b)
    if first is None or second is None:
        return None
    return Literal(distance_metres(first, second))


_PREPARING = threading.Lock()


def prepared(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry prepared (indexed edges) for repeated tests: parsed geometries are
    cached by literal, so a query testing many coverages against one area prepares the area
    once, and each test then costs microseconds instead of a walk over every edge."""
    if not shapely.is_prepared(geometry):
        with _PREPARING:  # cached objects are shared between request threads
            if not shapely.is_prepared(geometry):
                shapely.prepare(geometry)
    return geometry


def _intersects(a: BaseGeometry, b: BaseGeometry) -> bool:
    # symmetric: test from the more detailed side, which benefits most from preparing
    if shapely.get_num_coordinates(a) < shapely.get_num_coordinates(b):
        a, b = b, a
    return bool(shapely.intersects(prepared(a), b))


FUNCTIONS: dict[NamedNode, object] = {
    NamedNode(GEOF + "sfIntersects"): _relation(_intersects),
    NamedNode(GEOF + "sfWithin"): _relation(lambda a, b: shapely.contains(prepared(b), a)),
    NamedNode(GEOF + "sfContains"): _relation(lambda a, b: shapely.contains(prepared(a), b)),
    NamedNode(GEOF + "sfOverlaps"): _relation(lambda a, b: a.overlaps(b)),
    NamedNode(GEOF + "envelope"): _envelope,
    NamedNode(GEOF + "distance"): _distance,
}
"""The GeoSPARQL functions every embedded store query is given (`EmbeddedStore.query`)."""

__all__ = ["FUNCTIONS", "GeometryError", "distance_metres", "haversine", "overlap",
           "prepared", "read_bbox", "read_geometry", "shares"]
