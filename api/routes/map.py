"""/map: the region on a map, and the GeoJSON layers it draws.

The page draws community boundaries, partners' service areas, project areas and dataset
coverage with Leaflet (from npm through package-lock.json, served under `/assets`), with a
search box (the one full-text search, `/search`) and facets. A base map is drawn only when
`REGIONGRAPH_MAP_TILES` names a tile URL; the page's Content-Security-Policy allows images
from that host alone, so without it nothing leaves this server.

The layers are one kernel call each (`regiongraph.geo.layers`); datasets are filtered by
the asker's view (`analysis.access.visible_datasets`: `regiongraph.membership` for a member,
`regiongraph.visibility` anonymously); what it shows a member beyond the public is audited.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.templating import TEMPLATES

from regiongraph.accounts import Principal
from regiongraph.analysis.access import visible_datasets
from regiongraph.geo.layers import LAYERS, features_geojson, layer_geojson
from regiongraph.membership import audited
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["map"])
GEOJSON = "application/geo+json"
MAX_FEATURES = 200


def map_csp(settings: Settings) -> str:
    """Only this host, plus the tile host when a base map is configured."""
    tiles = ""
    if settings.map_tiles:
        parts = urlsplit(settings.map_tiles.replace("{s}", "a"))
        tiles = " " + f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.")
    return (f"default-src 'self'; img-src 'self' data:{tiles}; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'")


@router.get("/map", summary="The region on a map (HTML)")
def map_page(request: Request, settings: SettingsDep) -> Response:
    page = TEMPLATES.TemplateResponse(request, "map.html", {
        "tiles": settings.map_tiles or "", "attribution": settings.map_attribution or "",
        "layers": LAYERS})
    page.headers["Content-Security-Policy"] = map_csp(settings)
    return page


@router.get("/map/layers/{layer}.geojson", summary="One map layer as GeoJSON")
def map_layer(layer: str, store: StoreDep, settings: SettingsDep,
              principal: PrincipalDep) -> Response:
    """communities, service-areas, projects (polygons), datasets (a point per dataset with
    its bbox; the coverage itself from /map/features.geojson)."""
    if layer not in LAYERS:
        raise HTTPException(404, f"no such layer: {layer} (layers: {', '.join(LAYERS)})")
    body = layer_geojson(store, settings, layer,
                         visible=visible_datasets(store, settings, principal=principal))
    return _shown(store, settings, principal, body)


@router.get("/map/features.geojson", summary="The geometries of the features named")
def map_features(store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
                 iri: Annotated[list[str], Query(description="Feature IRI; repeat")]) -> Response:
    """Full geometries (a dataset's coverage, a community's boundary...); what the asker
    may not see is left out, like what does not exist."""
    if len(iri) > MAX_FEATURES:
        raise HTTPException(400, f"at most {MAX_FEATURES} iri parameters, not {len(iri)}")
    body = features_geojson(store, settings, iri,
                            visible=visible_datasets(store, settings, principal=principal))
    return _shown(store, settings, principal, body)


def _shown(store: Store, settings: Settings, principal: Principal, body: dict) -> Response:
    """The answer, with what it shows a member beyond the public view audited."""
    audited(store, settings, principal,
            (feature["properties"]["id"] for feature in body.get("features", [])), "map")
    return JSONResponse(body, media_type=GEOJSON)
