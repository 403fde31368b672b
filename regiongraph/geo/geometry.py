"""Reading and writing geometries: bbox, WKT, GeoJSON or a place name → shapely → WKT literal.

The graph's model is GeoSPARQL 1.1, in CRS84 (longitude, latitude) and nothing else:

    <feature> geo:hasGeometry <feature>/geometry .
    <feature>/geometry a geo:Geometry ; geo:asWKT "POLYGON((...))"^^geo:wktLiteral .

on communities, partners' service areas, projects and datasets. A WKT literal is written
without a CRS IRI prefix (CRS84 is GeoSPARQL's default); one read with the CRS84 IRI prefix
(`<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON(...)`) is accepted, another CRS is
refused: the alliance stores no reprojection library, and guessing would put data in the
wrong place.

Every parser raises `GeometryError` with one line saying what was wrong; the harvest turns it
into an `Issue` on the record and goes on (a malformed geometry never stops a harvest).

>>> to_wkt(parse_bbox("-112.1,33.2,-111.9,33.4"))
'POLYGON ((-112.1 33.2, -111.9 33.2, -111.9 33.4, -112.1 33.4, -112.1 33.2))'
>>> parse_spatial('{"type": "Point", "coordinates": [-111.9, 33.4]}').kind
'geojson'
>>> parse_spatial("City of Saguaro", places={place_key("Saguaro"): "https://x.example/c"}).place
'https://x.example/c'
"""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Literal as Kind

import shapely
from pyoxigraph import Literal, NamedNode, Triple
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

GEO = "http://www.opengis.net/ont/geosparql#"
WKT_LITERAL = GEO + "wktLiteral"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
HAS_GEOMETRY = NamedNode(GEO + "hasGeometry")
AS_WKT = NamedNode(GEO + "asWKT")
GEOMETRY = NamedNode(GEO + "Geometry")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
MAX_WKT = 1_000_000
"""Characters of WKT or GeoJSON read; a longer geometry is refused, not cut."""
DIGITS = 6
"""Decimals kept on write: 6 decimals of a degree are about 0.1 m, finer than any source."""

BBOX = re.compile(r"^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)" + r"\s*,\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)" * 3
                  + r"\s*$")
WKT_START = re.compile(r"^\s*(?:<([^>]*)>\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING"
                       r"|MULTIPOLYGON|GEOMETRYCOLLECTION)\b", re.IGNORECASE)

SpatialKind = Kind["bbox", "wkt", "geojson", "place"]


class GeometryError(ValueError):
    """A geometry that cannot be read; the message is one line saying what was wrong."""


@dataclass(frozen=True)
class Spatial:
    """What one `spatial` value said: a geometry, or a place of the region (or both).

    `place` is the IRI of the region's own feature a place name resolved to; its geometry is
    then referenced, not copied (`geometry` is None unless the caller's `places` held one).
    """

    kind: SpatialKind
    geometry: BaseGeometry | None = None
    place: str | None = None


# reading -----------------------------------------------------------------------------------

def parse_bbox(text: str) -> BaseGeometry:
    """`"W,S,E,N"` (data.json's and CKAN's order) → a polygon (a point when degenerate).

    >>> try:
    ...     parse_bbox("10,60,5,50")
    ... except GeometryError as error:
    ...     print(error)
    bbox '10,60,5,50': west 10 is east of east 5
    """
    found = BBOX.match(text)
    if not found:
        raise GeometryError(f"bbox {_shown(text)}: expected four numbers W,S,E,N")
    west, south, east, north = (float(found.group(i)) for i in range(1, 5))
    where = f"bbox {_shown(text)}"
    _check_lon_lat(west, south, where)
    _check_lon_lat(east, north, where)
    if west > east:
        raise GeometryError(f"{where}: west {found.group(1)} is east of east {found.group(3)}")
    if south > north:
        raise GeometryError(f"{where}: south {found.group(2)} is north of north {found.group(4)}")
    if west == east and south == north:
        return shapely.Point(west, south)
    return _box(west, south, east, north)


def parse_wkt(text: str) -> BaseGeometry:
    """WKT, optionally prefixed by the CRS84 IRI as in a geo:wktLiteral."""
    if len(text) > MAX_WKT:
        raise GeometryError(f"WKT of {len(text):,} characters exceeds {MAX_WKT:,}")
    start = WKT_START.match(text)
    if not start:
        raise GeometryError(f"WKT {_shown(text)}: not a WKT geometry")
    crs = start.group(1)
    if crs is not None and crs.strip() not in (CRS84, CRS84.replace("http://", "https://")):
        raise GeometryError(f"WKT in CRS <{crs}>: only CRS84 (longitude, latitude) is read")
    body = text[start.start(2):] if crs is not None else text
    try:
        geometry = shapely.from_wkt(body)
    except shapely.errors.GEOSException as error:
        raise GeometryError(f"WKT {_shown(text)}: {_geos_message(error)}") from None
    return _checked(geometry, f"WKT {_shown(text)}")


def parse_geojson(value: str | Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON geometry, Feature or FeatureCollection (as text or parsed) → one geometry."""
    if isinstance(value, str):
        if len(value) > MAX_WKT:
            raise GeometryError(f"GeoJSON of {len(value):,} characters exceeds {MAX_WKT:,}")
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise GeometryError(f"GeoJSON: invalid JSON at column {error.colno}: {error.msg}") \
                from None
    if not isinstance(value, Mapping):
        raise GeometryError("GeoJSON: expected an object")
    kind = value.get("type")
    try:
        if kind == "FeatureCollection":
            parts = [parse_geojson(f) for f in value.get("features") or []]
            if not parts:
                raise GeometryError("GeoJSON FeatureCollection has no features")
            geometry = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        elif kind == "Feature":
            if not isinstance(value.get("geometry"), Mapping):
                raise GeometryError("GeoJSON Feature has no geometry")
            geometry = parse_geojson(value["geometry"])
        else:
            geometry = shape(value)
    except GeometryError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError,
            shapely.errors.GEOSException) as error:
        raise GeometryError(f"GeoJSON {kind or 'object'}: {str(error)[:120] or 'malformed'}") \
            from None
    return _checked(geometry, f"GeoJSON {kind}")


def parse_spatial(value: str | Mapping[str, Any] | None, *,
                  places: Mapping[str, str] | None = None) -> Spatial | None:
    """Any `spatial` a catalog gives: a bbox, WKT, GeoJSON, or a place name.

    `places` maps `place_key(name)` → the IRI of one of the region's own features (its
    communities, service areas); a name found there becomes `Spatial(kind="place")`. A name
    not found is not an error: None (the caller keeps it as a label). Malformed geometry
    raises `GeometryError`.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        return Spatial("geojson", parse_geojson(value))
    text = value.strip()
    if not text:
        return None
    if text.startswith("{"):
        return Spatial("geojson", parse_geojson(text))
    if WKT_START.match(text):
        return Spatial("wkt", parse_wkt(text))
    if re.match(r"^[-+]?\.?\d", text) and text.count(",") >= 2:  # a name has fewer
        return Spatial("bbox", parse_bbox(text))
    iri = (places or {}).get(place_key(text))
    return Spatial("place", place=iri) if iri else None


def place_key(name: str) -> str:
    """How a place name is matched: case, punctuation and "City of"/"Town of" aside."""
    key = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return re.sub(r"^(city|town|county|village) of ", "", key)


def from_wkt_literal(value: str | Literal) -> BaseGeometry:
    """A `geo:wktLiteral` read back from the store (its text, or the pyoxigraph Literal)."""
    return parse_wkt(value.value if isinstance(value, Literal) else value)


# writing -----------------------------------------------------------------------------------

def to_wkt(geometry: BaseGeometry) -> str:
    """WKT with `DIGITS` decimals and no trailing zeros, without a CRS prefix (CRS84)."""
    return shapely.to_wkt(geometry, rounding_precision=DIGITS, trim=True)


def wkt_literal(geometry: BaseGeometry) -> Literal:
    """The `geo:wktLiteral` the graph stores for `geometry`."""
    return Literal(to_wkt(geometry), datatype=NamedNode(WKT_LITERAL))


def geometry_node(feature: NamedNode) -> NamedNode:
    """`<feature>/geometry`: minted, never a blank node, so a later load finds it again."""
    return NamedNode(feature.value + "/geometry")


def geometry_triples(feature: NamedNode, geometry: BaseGeometry) -> list[Triple]:
    """`feature geo:hasGeometry <feature>/geometry`, typed, with its `geo:asWKT`."""
    node = geometry_node(feature)
    return [Triple(feature, HAS_GEOMETRY, node), Triple(node, RDF_TYPE, GEOMETRY),
            Triple(node, AS_WKT, wkt_literal(geometry))]


def bbox(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    """(west, south, east, north)."""
    west, south, east, north = geometry.bounds
    return west, south, east, north


def bbox_text(geometry: BaseGeometry) -> str:
    """data.json's `"W,S,E,N"`."""
    return ",".join(_number(n) for n in bbox(geometry))


def envelope_wkt(geometry: BaseGeometry) -> str:
    """The bounding box as a WKT polygon (what `dcat:bbox` holds)."""
    west, south, east, north = bbox(geometry)
    if west == east or south == north:
        return to_wkt(geometry.envelope)
    return to_wkt(_box(west, south, east, north))


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry object, rounded like `to_wkt`."""
    return mapping(shapely.set_precision(geometry, 10 ** -DIGITS))


# checks ------------------------------------------------------------------------------------

def _checked(geometry: BaseGeometry, where: str) -> BaseGeometry:
    """Refuse empty geometries, coordinates outside lon/lat, and invalid polygons."""
    if geometry.is_empty:
        raise GeometryError(f"{where}: empty geometry")
    coordinates = shapely.get_coordinates(geometry)
    for lon, lat in coordinates:
        _check_lon_lat(lon, lat, where)
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise GeometryError(f"{where}: invalid geometry ({reason})")
    return geometry


def _check_lon_lat(lon: float, lat: float, where: str) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeometryError(f"{where}: coordinate is not a finite number")
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise GeometryError(f"{where}: ({_number(lon)} {_number(lat)}) is outside longitude "
                            "-180..180 / latitude -90..90 (CRS84 is longitude first)")


def _box(west: float, south: float, east: float, north: float) -> BaseGeometry:
    """A box ringed from the south-west corner eastwards, as data.json's bboxes were always
    written here (`dcat:bbox` output stays the same)."""
    return shapely.Polygon([(west, south), (east, south), (east, north), (west, north)])


def _geos_message(error: Exception) -> str:
    return str(error).splitlines()[0].removeprefix("ParseException: ")[:120]


def _number(value: float) -> str:
    return f"{round(value, DIGITS):.{DIGITS}f}".rstrip("0").rstrip(".")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
