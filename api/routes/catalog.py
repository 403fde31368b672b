"""The region's public catalog for harvesters: DCAT-AP 3 with paging, and data.json.

data.gov, CKAN (ckanext-dcat), uData, piveau and Google pull these on a schedule, so
every answer carries an ETag and a Last-Modified and a repeat request that changed
nothing costs a 304. The route only parses the request and picks a syntax; the kernel
(`regiongraph.exports`) builds the page and decides what is publishable.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.negotiate import negotiate
from regiongraph.api.templating import TEMPLATES

from regiongraph.accounts import ANONYMOUS, Principal
from regiongraph.exports.model import CatalogIndex, member_catalog_index, parse_time
from regiongraph.exports.serializer import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    SYNTAXES,
    ExportError,
    catalog_page,
    datajson_chunks,
    link_header,
    rdf_syntax,
    render,
)
from regiongraph.membership import audited

router = APIRouter(tags=["catalog"])

RDF_OFFERS = [s.media_type for s in SYNTAXES]
OFFERS = [*RDF_OFFERS, "text/html"]
SUFFIXES = {s.suffix: s for s in SYNTAXES}
PAGE = Query(1, ge=1, description="Page number, from 1.")
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE,
                  description=f"Datasets per page (at most {MAX_PAGE_SIZE}).")
SINCE = Query(None, description="ISO 8601 date or date-time: only datasets changed since.")


# ---------------------------------------------------------------------------------------
# conditional GET
# ---------------------------------------------------------------------------------------


def validators(index: CatalogIndex, *variant: object) -> dict[str, str]:
    """A weak ETag (gzip may change the bytes, not the meaning) and Last-Modified."""
    digest = hashlib.sha256("|".join([index.version, *map(str, variant)]).encode()).hexdigest()
    return {"ETag": f'W/"{digest[:32]}"',
            "Last-Modified": format_datetime(index.last_modified, usegmt=True)}


def not_modified(request: Request, headers: dict[str, str]) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since when both are sent."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or headers["ETag"].removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            asked = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        current = parsedate_to_datetime(headers["Last-Modified"])
        return asked.tzinfo is not None and current <= asked
    return False


def answer_304(headers: dict[str, str]) -> Response:
    return Response(status_code=304, headers=headers)


def since_param(modified_since: str | None) -> datetime | None:
    if modified_since is None:
        return None
    parsed = parse_time(modified_since)
    if parsed is None:
        raise HTTPException(400, f"modified_since must be an ISO 8601 date or date-time, "
                                 f"not {modified_since!r}")
    return parsed


# ---------------------------------------------------------------------------------------
# /catalog
# ---------------------------------------------------------------------------------------


def _catalog(request: Request, store, settings, *, community: str | None, suffix: str | None,
             page: int, page_size: int, modified_since: str | None,
             principal: Principal = ANONYMOUS) -> Response:
    if suffix is not None and suffix not in SUFFIXES:
        raise HTTPException(404, f"no catalog in .{suffix}; offered: "
                                 + ", ".join("." + s for s in SUFFIXES))
    media = negotiate(request, OFFERS if suffix is None else RDF_OFFERS,
                      suffix=SUFFIXES[suffix].media_type if suffix else None)
    since = since_param(modified_since)
    index = member_catalog_index(store, settings, principal)
    if community is not None and community not in index.communities:
        raise HTTPException(404, f"no community {community!r}")
    headers = validators(index, request.url.path, media, page, page_size, since, community)
    headers["Vary"] = "Accept, Accept-Encoding, Authorization"
    if not_modified(request, headers):
        return answer_304(headers)
    try:
        result = catalog_page(store, settings, community=community, page=page,
                              page_size=page_size, modified_since=since, index=index)
    except ExportError as error:
        raise HTTPException(400 if "past the last" not in str(error) else 404, str(error))
    audited(store, settings, principal, (r.iri for r in result.records), "catalog")

    def page_url(number: int) -> str:
        params = {"page": number, "page_size": page_size}
        if modified_since:
            params["modified_since"] = modified_since
        return f"{request.base_url}{request.url.path.lstrip('/')}?{urlencode(params)}"

    headers["Link"] = link_header(result.paging, page_url)
    if media == "text/html":
        alternates = [{"type": s.media_type, "href": f"{request.url.path}.{s.suffix}"}
                      for s in SYNTAXES]
        return TEMPLATES.TemplateResponse(request, "catalog.html", {
            "page": result, "page_url": page_url, "alternates": alternates,
            "region_name": index.region.name, "base": settings.base,
            "communities": index.communities,
        }, headers=headers)
    body = render(result.triples(page_url), rdf_syntax(media))
    return Response(body, media_type=media, headers=headers)


@router.get("/catalog", summary="The region's DCAT-AP 3 catalog (paged, negotiated)")
def catalog(request: Request, store: StoreDep, settings: SettingsDep,
            principal: PrincipalDep, page: int = PAGE,
            page_size: int = PAGE_SIZE, modified_since: str | None = SINCE) -> Response:
    return _catalog(request, store, settings, community=None, suffix=None, page=page,
                    page_size=page_size, modified_since=modified_since,
                    principal=principal)


@router.get("/catalog.{suffix}", summary="The region's catalog in one syntax (ttl, jsonld, rdf, nt)")
def catalog_file(request: Request, suffix: str, store: StoreDep, settings: SettingsDep,
            principal: PrincipalDep,
                 page: int = PAGE, page_size: int = PAGE_SIZE,
                 modified_since: str | None = SINCE) -> Response:
    return _catalog(request, store, settings, community=None, suffix=suffix, page=page,
                    page_size=page_size, modified_since=modified_since,
                    principal=principal)


@router.get("/communities/{community}/catalog", summary="One community's DCAT-AP 3 catalog")
def community_catalog(request: Request, community: str, store: StoreDep, settings: SettingsDep,
            principal: PrincipalDep,
                      page: int = PAGE, page_size: int = PAGE_SIZE,
                      modified_since: str | None = SINCE) -> Response:
    return _catalog(request, store, settings, community=community, suffix=None, page=page,
                    page_size=page_size, modified_since=modified_since,
                    principal=principal)


@router.get("/communities/{community}/catalog.{suffix}",
            summary="One community's catalog in one syntax")
def community_catalog_file(request: Request, community: str, suffix: str, store: StoreDep,
                           settings: SettingsDep, principal: PrincipalDep, page: int = PAGE, page_size: int = PAGE_SIZE,
                           modified_since: str | None = SINCE) -> Response:
    return _catalog(request, store, settings, community=community, suffix=suffix, page=page,
                    page_size=page_size, modified_since=modified_since,
                    principal=principal)


# ---------------------------------------------------------------------------------------
# /data.json
# ---------------------------------------------------------------------------------------


def _data_json(request: Request, store, settings, community: str | None,
               principal: Principal = ANONYMOUS) -> Response:
    index = member_catalog_index(store, settings, principal)
    if community is not None and community not in index.communities:
        raise HTTPException(404, f"no community {community!r}")
    headers = validators(index, "data.json", community)
    headers["Vary"] = "Authorization"
    if not_modified(request, headers):
        return answer_304(headers)
    self_url = f"{request.base_url}{request.url.path.lstrip('/')}"
    audited(store, settings, principal, (e.iri for e in index.select(community=community)),
            "data.json")
    return StreamingResponse(
        datajson_chunks(store, settings, self_url=self_url, community=community, index=index),
        media_type="application/json", headers=headers)


@router.get("/data.json", summary="DCAT-US 1.1 (Project Open Data) of every public dataset")
def data_json(request: Request, store: StoreDep, settings: SettingsDep,
              principal: PrincipalDep) -> Response:
    """Streamed: the server never holds the whole document, whatever the catalog's size."""
    return _data_json(request, store, settings, None, principal)


@router.get("/communities/{community}/data.json", summary="One community's data.json")
def community_data_json(request: Request, community: str, store: StoreDep,
                        settings: SettingsDep, principal: PrincipalDep) -> Response:
    return _data_json(request, store, settings, community, principal)
