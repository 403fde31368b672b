"""The map's layers: the region's features with a geometry, as GeoJSON for `/map`.

Four layers: community boundaries, partners' service areas, project areas (all declared
by the registry, all public) and dataset coverage. Datasets are filtered per asker with
the one rule of what anonymous users see (`regiongraph.visibility`, through
`analysis.access.visible_datasets`): a dataset that is not publishable is never drawn, its
coverage never sent.

The dataset layer sends a representative point per dataset (with its bounding box), not
its coverage: the page clusters the points when dense and fetches a coverage only when
someone asks for it (`features`). Everything is read once per store version
(`change.VersionedCache`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from regiongraph.change import VersionedCache
from regiongraph.geo.geometry import GeometryError, bbox, from_wkt_literal, to_geojson
from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store

LAYERS = ("communities", "service-areas", "projects", "datasets")


@dataclass(frozen=True)
class MapFeature:
    iri: str
    layer: str
    label: str
    href: str
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict)

    def geojson(self, *, point: bool = False) -> dict[str, Any]:
        """A GeoJSON Feature: the geometry, or (`point`) a point inside it plus its bbox."""
        shape = self.geometry.representative_point() if point else self.geometry
        return {"type": "Feature", "id": self.iri, "geometry": to_geojson(shape),
                "bbox": list(bbox(self.geometry)),
                "properties": {"id": self.iri, "layer": self.layer, "label": self.label,
                               "href": self.href, **self.properties}}


def _rows(store: Store, query: str) -> list[dict[str, str]]:
    """SELECT rows as {variable: value}, unbound variables left out."""
    head = query.split("WHERE", 1)[0]
    names = [word[1:] for word in head.split() if word.startswith("?")]
    rows = store.query(sparql_prefixes() + query, union_default_graph=True)
    return [{n: row[n].value for n in names if row[n] is not None} for row in rows]


def _local(iri: str, base: str) -> str:
    return "/" + iri[len(base):] if iri.startswith(base) else iri


def _labels(store: Store, graph: str) -> dict[str, str]:
    rows = _rows(store, f"""SELECT ?s ?l WHERE {{ GRAPH <{graph}> {{
        ?s skos:prefLabel|foaf:name|dct:title ?l }} }} ORDER BY ?s ?l""")
    labels: dict[str, str] = {}
    for row in rows:
        labels.setdefault(row["s"], row["l"])
    return labels


def read_features(store: Store, settings: Settings) -> dict[str, list[MapFeature]]:
    """Every feature with a geometry, by layer, in a stable order (areas largest first,
    datasets by title)."""
    minter = Minter(settings.base)
    registry = minter.graph(REGISTRY_GRAPH).value
    labels = _labels(store, registry) | _labels(store, minter.graph(ONTOLOGY_GRAPH).value)

    def shape(wkt: str) -> BaseGeometry | None:
        try:
            return from_wkt_literal(wkt)
        except GeometryError:
            return None  # a stored literal that is not CRS84 WKT is not drawn

    layers: dict[str, list[MapFeature]] = {name: [] for name in LAYERS}
    for row in _rows(store, f"""SELECT ?f ?kind ?wkt WHERE {{ GRAPH <{registry}> {{
            ?f a rg:Community ; org:classification ?kind ; geo:hasGeometry/geo:asWKT ?wkt }} }}"""):
        if (geometry := shape(row["wkt"])) is not None:
            layers["communities"].append(MapFeature(
                row["f"], "communities", labels.get(row["f"], row["f"]),
                _local(row["f"], minter.base), geometry,
                {"kind": labels.get(row["kind"], row["kind"].rsplit("/", 1)[-1])}))
    for row in _rows(store, f"""SELECT ?p ?a ?wkt WHERE {{ GRAPH <{registry}> {{
            ?p a rg:Partner ; schema:areaServed ?a . ?a geo:hasGeometry/geo:asWKT ?wkt }} }}"""):
        if (geometry := shape(row["wkt"])) is not None:
            layers["service-areas"].append(MapFeature(
                row["a"], "service-areas", f"{labels.get(row['p'], row['p'])} (service area)",
                _local(row["p"], minter.base), geometry, {"partner": row["p"]}))
    domains: dict[str, list[str]] = defaultdict(list)
    for row in _rows(store, f"SELECT ?f ?d WHERE {{ GRAPH <{registry}> {{ ?f rg:domain ?d }} }}"):
        domains[row["f"]].append(labels.get(row["d"], row["d"]))
    for row in _rows(store, f"""SELECT ?f ?phase ?wkt WHERE {{ GRAPH <{registry}> {{
            ?f a rg:Project ; geo:hasGeometry/geo:asWKT ?wkt OPTIONAL {{ ?f rg:phase ?phase }}
            }} }}"""):
        if (geometry := shape(row["wkt"])) is not None:
            layers["projects"].append(MapFeature(
                row["f"], "projects", labels.get(row["f"], row["f"]),
                _local(row["f"], minter.base), geometry,
                {"phase": labels.get(row.get("phase", ""), ""),
                 "domains": sorted(domains[row["f"]])}))
    for features in layers.values():  # largest first: a small area is drawn on top, clickable
        features.sort(key=lambda f: (-f.geometry.area, f.label.lower(), f.iri))
    layers["datasets"] = sorted(_datasets(store, minter, labels, shape),
                                key=lambda f: (f.label.lower(), f.iri))
    return layers


def _datasets(store: Store, minter: Minter, labels: dict[str, str], shape) -> list[MapFeature]:
    themes: dict[str, list[str]] = defaultdict(list)
    for row in _rows(store, "SELECT DISTINCT ?d ?t WHERE { ?d a dcat:Dataset ; dcat:theme ?t }"):
        themes[row["d"]].append(labels.get(row["t"], row["t"].rsplit("/", 1)[-1]))
    found: dict[str, MapFeature] = {}
    for row in _rows(store, """SELECT ?d ?title ?community ?g ?wkt WHERE {
            ?d a dcat:Dataset ; dct:title ?title ; geo:hasGeometry ?g . ?g geo:asWKT ?wkt
            OPTIONAL { ?d rg:community ?community } } ORDER BY ?d ?title"""):
        if row["d"] in found or (geometry := shape(row["wkt"])) is None:
            continue
        community = row.get("community", "")
        found[row["d"]] = MapFeature(
            row["d"], "datasets", row["title"], _local(row["d"], minter.base), geometry,
            {"community": community, "community_label": labels.get(community, ""),
             "themes": sorted(set(themes[row["d"]])),
             # the coverage is a registry place's own geometry (named, not drawn)
             "place": row["g"].removesuffix("/geometry")
             if not row["g"].startswith(row["d"] + "/") else None})
    return list(found.values())


_FEATURES: VersionedCache[dict[str, list[MapFeature]]] = VersionedCache(read_features)


def map_features(store: Store, settings: Settings) -> dict[str, list[MapFeature]]:
    """`read_features`, kept until the store version (or the day) moves."""
    return _FEATURES.get(store, settings)


def _allowed(feature: MapFeature, visible: set[str] | None) -> bool:
    return feature.layer != "datasets" or visible is None or feature.iri in visible


def layer_geojson(store: Store, settings: Settings, layer: str, *,
                  visible: set[str] | None) -> dict[str, Any]:
    """One layer as a FeatureCollection; datasets as points (see the module docstring).
    `visible` is the asker's datasets (None: all, for stewards)."""
    if layer not in LAYERS:
        raise KeyError(f"unknown layer {layer!r} (expected one of: {', '.join(LAYERS)})")
    features = [f.geojson(point=layer == "datasets")
                for f in map_features(store, settings)[layer] if _allowed(f, visible)]
    return {"type": "FeatureCollection", "features": features}


def features_geojson(store: Store, settings: Settings, iris: list[str], *,
                     visible: set[str] | None) -> dict[str, Any]:
    """The full geometries of the features named (any layer) that the asker may see; a
    hidden or unknown IRI is left out, never told apart."""
    wanted = set(iris)
    features = [f.geojson() for layer in map_features(store, settings).values() for f in layer
                if f.iri in wanted and _allowed(f, visible)]
    return {"type": "FeatureCollection", "features": features}
