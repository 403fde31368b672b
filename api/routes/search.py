"""GET /search: full-text search with facets, as JSON for programs and a page for people.

One kernel call (`SearchIndex.search`), then the output is picked by content negotiation
(`?format=json|html` or Accept). Anonymous users search public, approved records only; the
admin token adds the rest and the access-level facet.

Parameters arrive as text and are checked here, so a bad one is a 400 that says what to
change (FastAPI's own 422 would not tell a harvester much): `page` below 1 or not a number,
an unknown facet or sort, a query longer than 1,000 characters. `rows` is clamped to
1..100, never an error.
"""

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.negotiate import negotiate
from regiongraph.api.templating import TEMPLATES

from regiongraph.membership import audited, member_also
from regiongraph.search import (
    SearchIndexError,
    SearchInputError,
    index_for,
    parse_filters,
    parse_query,
)
from regiongraph.search.query import MAX_ROWS, clamp_rows
from regiongraph.search.schema import FACETS, PRIVATE_FACETS

router = APIRouter(tags=["search"])
OFFERS = ["application/json", "text/html"]
DEFAULT_ROWS = 20


def _integer(name: str, value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise SearchInputError(f"{name} must be a whole number, not {value[:40]!r}") from None


def _local_href(iri: str, base: str) -> str:
    """Records minted under the base resolve on this server; others link out."""
    return "/" + iri[len(base):] if iri.startswith(base) else iri


@router.get("/search", summary="Full-text search with facets (JSON or HTML)")
def search(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    q: Annotated[str | None, Query(description='words, "phrases", prefix*, -not, a OR b')] = None,
    fq: Annotated[list[str] | None, Query(description="Facet filter name:value; repeat")] = None,
    page: Annotated[str | None, Query(description="Page number, from 1")] = None,
    rows: Annotated[str | None, Query(description=f"Results per page (1..{MAX_ROWS})")] = None,
    sort: Annotated[str | None, Query(description="relevance, title asc, modified desc")] = None,
) -> Response:
    media = negotiate(request, OFFERS)
    admin = principal.alliance_steward
    also = member_also(store, settings, principal)
    try:
        page_number = _integer("page", page, 1)
        if page_number < 1:
            raise SearchInputError(f"page must be 1 or more, not {page_number}")
        size = clamp_rows(_integer("rows", rows, DEFAULT_ROWS), DEFAULT_ROWS)
        parsed = parse_query(q)
        filters = parse_filters(fq)
        index = index_for(store, settings)
        result = index.search(parsed, filters=filters, include_private=admin, also=also,
                              start=(page_number - 1) * size, rows=size, sort=sort)
        audited(store, settings, principal, (hit["iri"] for hit in result.hits), "search")
    except SearchIndexError as error:
        raise HTTPException(503, f"the search index is not available: {error}",
                            headers={"Retry-After": "30"}) from None
    except SearchInputError as error:
        if media == "text/html":
            return TEMPLATES.TemplateResponse(
                request, "search.html",
                {"error": str(error), "q": q or "", "result": None, "active": [],
                 "facet_help": FACETS, "sort": sort or "relevance"},
                status_code=400)
        raise HTTPException(400, str(error)) from None
    body = {
        "query": q or "",
        "filters": result.filters,
        "sort": sort or "relevance",
        "count": result.count,
        "page": page_number,
        "rows": size,
        "pages": math.ceil(result.count / size) if result.count else 0,
        "results": [_hit(hit, settings.base) for hit in result.hits],
        "facets": {name: [{"value": v.key, "label": v.label, "count": v.count} for v in values]
                   for name, values in result.facets.items()},
        "notes": result.notes,
    }
    if media == "application/json":
        return JSONResponse(body)
    return TEMPLATES.TemplateResponse(request, "search.html", _page_context(
        request, body, result.filters, admin or also is not None))


def _hit(hit: dict, base: str) -> dict:
    out = {
        "iri": hit["iri"], "kind": hit["kind"],
        # datasets, projects and communities have pages here; a standard, its homepage
        "href": (hit.get("landing_page") or hit["iri"]) if hit["kind"] == "standard"
        else _local_href(hit["iri"], base),
        "title": hit["title"], "description": hit["description"],
        "keywords": hit["keywords"],
        "themes": [{"value": t["key"], "label": t["label"]} for t in hit["themes"]],
        "communities": [{"value": c["key"], "label": c["label"]} for c in hit["communities"]],
        "publisher": hit["publisher"]["label"] if hit.get("publisher") else None,
        "formats": hit["formats"],
        "standards": [{"value": s["key"], "label": s["label"]} for s in hit["standards"]],
        "projects": [{"value": p["key"], "label": p["label"]} for p in hit["projects"]],
        "modified": hit["modified"],
    }
    if "access" in hit:
        out["access"] = hit["access"]
    if "score" in hit:
        out["score"] = hit["score"]
    return out


def _page_context(request: Request, body: dict, filters: dict[str, list[str]],
                  admin: bool) -> dict:
    q = body["query"]
    active = [(name, value) for name, values in filters.items() for value in values]

    def link(*, add: tuple[str, str] | None = None, remove: tuple[str, str] | None = None,
             page: int | None = None) -> str:
        chosen = [pair for pair in active if pair != remove]
        if add is not None and add not in chosen:
            chosen.append(add)
        params: list[tuple[str, str]] = []
        if q:
            params.append(("q", q))
        params += [("fq", f"{name}:{value}") for name, value in chosen]
        if body["sort"] != "relevance":
            params.append(("sort", body["sort"]))
        if body["rows"] != DEFAULT_ROWS:
            params.append(("rows", str(body["rows"])))
        if page and page > 1:
            params.append(("page", str(page)))
        return "/search" + ("?" + urlencode(params) if params else "")

    labels: dict[tuple[str, str], str] = {}
    facets = []
    for name, values in body["facets"].items():
        if name in PRIVATE_FACETS and not admin:
            continue
        entries = []
        for value in values:
            key = (name, value["value"])
            labels[key] = value["label"]
            selected = key in active
            entries.append({**value, "selected": selected,
                            "href": link(remove=key) if selected else link(add=key)})
        if entries:
            facets.append({"name": name, "help": FACETS[name], "entries": entries})
    chips = [{"name": name, "value": value, "label": labels.get((name, value), value),
              "href": link(remove=(name, value))} for name, value in active]
    json_params = request.url.query
    return {
        "q": q, "result": body, "facets": facets, "active": chips, "error": None,
        "sort": body["sort"],
        "hidden": [f"{name}:{value}" for name, value in active],
        "rows": body["rows"] if body["rows"] != DEFAULT_ROWS else None,
        "prev": link(page=body["page"] - 1) if body["page"] > 1 else None,
        "next": link(page=body["page"] + 1) if body["page"] < body["pages"] else None,
        "json_href": "/search?" + (json_params + "&" if json_params else "") + "format=json",
        "alternates": [{"type": "application/json",
                        "href": "/search?" + (json_params + "&" if json_params else "")
                        + "format=json"}],
        "facet_title": {name: name.replace("_", " ") for name in FACETS},
        "admin": admin,
    }


__all__ = ["router"]
