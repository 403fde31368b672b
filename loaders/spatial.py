"""A record's spatial coverage, as every loader reads it: one geometry per dataset.

Whatever the source says — a bbox `"W,S,E,N"` (data.json, CKAN, ArcGIS extents), WKT or
GeoJSON (data.json, CKAN's `spatial` extra as ckanext-spatial writes it, DCAT's
`locn:geometry`), or a place name — becomes `<dataset> geo:hasGeometry <dataset>/geometry`
with a CRS84 `geo:asWKT`. A name of one of the region's own places (its communities,
partners' service areas; `LoadContext.places`) is not copied but referenced:
`<dataset> geo:hasGeometry <community>/geometry`, so the dataset follows the registry's
boundary. A malformed geometry is a warning on its record, which loads without it.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import NamedNode, Triple

from regiongraph.geo.geometry import (
    HAS_GEOMETRY,
    GeometryError,
    Spatial,
    geometry_node,
    geometry_triples,
    parse_spatial,
)


@dataclass
class Coverage:
    """What one spatial value gave: the dataset's geometry triples, or why it has none."""

    spatial: Spatial | None = None
    triples: list[Triple] = field(default_factory=list)
    problem: str | None = None


GEOJSON_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                 "MultiPolygon", "GeometryCollection", "Feature", "FeatureCollection"}


def spatial_text(value: Any) -> str | None:
    """A source's spatial value as text: GeoJSON objects as JSON, ArcGIS extents
    (`[[w, s], [e, n]]`, or `{"type": "envelope", "coordinates": ...}`) as a bbox
    `w,s,e,n`; None for nothing."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, Mapping):
        if value.get("type") in GEOJSON_TYPES:
            return json.dumps(value)
        value = value.get("coordinates", value)
        if isinstance(value, Mapping):
            return json.dumps(value)  # not GeoJSON: the parser says what is wrong with it
    if isinstance(value, list):
        return ",".join(str(v) for v in _flat(value))
    text = str(value).strip()
    return text or None


def _flat(items: Iterable[Any]) -> Iterable[Any]:
    for item in items:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def coverage(dataset: NamedNode, value: str | None,
             places: Mapping[str, str] | None) -> Coverage:
    """The geometry triples `value` gives `dataset` (see the module docstring)."""
    if not value:
        return Coverage()
    try:
        found = parse_spatial(value, places=places)
    except GeometryError as error:
        return Coverage(problem=f"{error}; the dataset has no geometry")
    if found is None:
        return Coverage()
    if found.place is not None:
        return Coverage(found, [Triple(dataset, HAS_GEOMETRY,
                                       geometry_node(NamedNode(found.place)))])
    assert found.geometry is not None
    return Coverage(found, geometry_triples(dataset, found.geometry))
