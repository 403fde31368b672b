"""A read-only subset of the CKAN Action API at /api/3/action/ (and /api/action/).

Existing CKAN clients, scripts and harvesters (`ckanapi`, CKAN's own harvester) then work
against regiongraph unchanged. Mapping: a package is a dataset, an organization is a
community, a group is a domain concept (theme), a tag is a keyword, a resource is a
distribution. Everything is answered from the search index, which carries each record's
visibility from `regiongraph.visibility`: anonymous callers see public, approved datasets
only; the admin bearer token adds the rest (`include_private`).

Envelope and errors follow CKAN: `{"help", "success", "result"}`; failures carry
`{"__type", "message"}` with CKAN's status codes (400 unknown action or bad JSON, 403 a
write action, 404 not found, 409 validation and search-query errors), so `ckanapi` raises
the same exceptions it raises against CKAN. `rows` above 1,000 is clamped, as CKAN does.
"""

import hmac
import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from regiongraph.api.deps import is_admin

from regiongraph import __version__
from regiongraph.limits import LimitExceeded, load_json
from regiongraph.search import SearchIndexError, SearchInputError, index_for
from regiongraph.search.index import SearchIndex
from regiongraph.search.query import FACET_ALIASES, facet_name
from regiongraph.search.records import ckan_name, parse_date

router = APIRouter(tags=["ckan"])

CKAN_API_VERSION = "2.10"
"""The CKAN release whose Action API this subset follows."""
MAX_ROWS = 1000
DEFAULT_ROWS = 10
LIST_LIMIT = 100_000
CKAN_FACETS = {"organization": "community", "groups": "theme", "tags": "keyword",
               "res_format": "format", "conforms_to": "standard", "projects": "project"}
"""CKAN facet.field names → our facets (our own names are accepted too)."""
ALWAYS_TRUE = {("dataset_type", "dataset"), ("state", "active"), ("capacity", "public"),
               ("type", "dataset")}
"""fq clauses harvesters send that hold for every dataset listed here."""
WRITE_ACTIONS = {
    "package_create", "package_update", "package_patch", "package_delete", "resource_create",
    "resource_update", "resource_patch", "resource_delete", "organization_create",
    "organization_update", "organization_delete", "group_create", "group_update",
    "group_delete", "member_create", "dataset_purge", "package_revise",
}


class CkanError(Exception):
    def __init__(self, status: int, kind: str, message: str | None = None,
                 fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message or kind)
        self.status, self.kind, self.message, self.fields = status, kind, message, fields


def ckan_admin(request: Request) -> bool:
    """The admin token, sent the way CKAN clients send an API token.

    CKAN 2.10 takes `Authorization: <token>` (no "Bearer"), older clients
    `X-CKAN-API-Key: <token>`; the service's own `Authorization: Bearer <token>` works too.
    """
    if is_admin(request):
        return True
    expected = request.app.state.settings.admin_token
    if not expected:
        return False
    for header in ("authorization", "x-ckan-api-key"):
        given = request.headers.get(header, "").strip()
        if given and hmac.compare_digest(given.encode(), expected.encode()):
            return True
    return False


def _uuid(iri: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, iri))


def _iso(text: str | None) -> str | None:
    moment = parse_date(text)
    if moment is None:
        return None
    if text and "T" in text:
        return text.rstrip("Z").split("+")[0]
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# parameters ------------------------------------------------------------------


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if key == "fq_list" or len(values) > 1 else values[0]
    if request.method == "POST":
        body = await request.body()
        if body.strip():
            kind = request.headers.get("content-type", "")
            if "application/x-www-form-urlencoded" in kind or "multipart/form-data" in kind:
                form = await request.form()
                params.update({k: form.get(k) for k in form})
            else:
                try:
                    data = _json(request, body, "the request body")
                except ValueError as error:
                    raise CkanError(400, "Bad request",
                                    f"Bad request - JSON Error: {error}") from None
                if not isinstance(data, dict):
                    raise CkanError(400, "Bad request",
                                    "Bad request - JSON Error: the body must be an object")
                params.update(data)
    return params


def _json(request: Request, text: str | bytes, where: str) -> Any:
    """JSON input, depth-checked first: deep JSON made `json.loads` raise RecursionError
    (a 500); now a 400 naming the limit. Other JSON errors stay ValueErrors."""
    try:
        return load_json(text, request.app.state.settings.max_json_depth, where)
    except LimitExceeded as error:
        raise CkanError(400, "Bad request", f"Bad request - JSON Error: {error}") from None


def _int(params: dict, name: str, default: int, *, minimum: int = 0,
         maximum: int | None = None) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CkanError(409, "Validation Error", fields={name: ["Invalid integer"]}) from None
    if number < minimum:
        message = "Must be a natural number" if minimum == 0 else f"Must be at least {minimum}"
        raise CkanError(409, "Validation Error", fields={name: [message]})
    return min(number, maximum) if maximum is not None else number


def _bool(params: dict, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _text(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value)


def _fq_clauses(text: str) -> dict[str, list[str]]:
    """Solr-style `fq` (`organization:saguaro +res_format:"CSV"`) → facet → values."""
    from regiongraph.search.query import parse_query

    parsed = parse_query(text)
    if parsed.groups or parsed.excluded:
        words = [c.text for g in parsed.groups for c in g] + [c.text for c in parsed.excluded]
        known = ", ".join(sorted({*CKAN_FACETS, *FACET_ALIASES}))
        raise CkanError(409, "Search Query Error",
                        f"Search Query is invalid: fq must be field:value clauses "
                        f"({known}); could not use {', '.join(words)[:80]!r}")
    return parsed.filters


def _strip_always_true(text: str) -> str:
    for field, value in ALWAYS_TRUE:
        text = re.sub(rf'(?<![\w-])\+?{field}:"?{value}"?(?![\w-])', " ", text)
    return text


# answers ---------------------------------------------------------------------


def package_dict(p: dict) -> dict:
    """A dataset payload from the index as a CKAN package."""
    community = p["communities"][0] if p.get("communities") else None
    organization = None
    if community:
        organization = {
            "id": _uuid(community["iri"]), "name": community["key"],
            "title": community["label"], "type": "organization", "description": "",
            "image_url": "", "is_organization": True, "approval_status": "approved",
            "state": "active", "created": None,
        }
    package_id = _uuid(p["iri"])
    resources = []
    for position, res in enumerate(p.get("resources", [])):
        resources.append({
            "id": _uuid(res["iri"]), "package_id": package_id, "url": res.get("url") or "",
            "name": res.get("title") or res.get("format") or "", "description":
            res.get("description") or "", "format": res.get("format") or "",
            "mimetype": res.get("media_type"), "position": position, "state": "active",
            "uri": res["iri"],
        })
    extras = [{"key": "uri", "value": p["iri"]}]
    if p.get("identifier"):
        extras.append({"key": "identifier", "value": p["identifier"]})
    for standard in p.get("standards", []):
        extras.append({"key": "conforms_to", "value": standard["iri"]})
    modified = _iso(p.get("modified"))
    return {
        "id": package_id, "name": ckan_name(p["iri"]), "title": p["title"],
        "notes": p.get("description") or "", "url": p.get("landing_page") or "",
        "type": "dataset", "state": "active", "private": not p.get("public", False),
        "license_id": p.get("license") or "", "license_url": p.get("license") or "",
        "isopen": False, "author": None, "author_email": None, "maintainer": None,
        "maintainer_email": None, "version": None,
        "metadata_created": _iso(p.get("issued")) or modified, "metadata_modified": modified,
        "owner_org": organization["id"] if organization else None,
        "organization": organization,
        "tags": [{"name": k, "display_name": k, "state": "active", "vocabulary_id": None}
                 for k in p.get("keywords", [])],
        "num_tags": len(p.get("keywords", [])),
        "groups": [{"id": _uuid(t["iri"]) if t.get("iri") else t["key"], "name": t["key"],
                    "title": t["label"], "display_name": t["label"], "description": "",
                    "image_display_url": ""} for t in p.get("themes", [])],
        "resources": resources, "num_resources": len(resources),
        "relationships_as_object": [], "relationships_as_subject": [],
        "extras": extras,
    }


class Context:
    def __init__(self, request: Request, index: SearchIndex, admin: bool) -> None:
        self.request, self.index, self.admin = request, index, admin

    def search(self, **kwargs):
        try:
            return self.index.search(**kwargs)
        except SearchInputError as error:
            raise CkanError(409, "Search Query Error",
                            f"Search Query is invalid: {error}") from None


def package_search(ctx: Context, params: dict) -> dict:
    rows = _int(params, "rows", DEFAULT_ROWS, maximum=MAX_ROWS)
    start = _int(params, "start", 0)
    include_private = ctx.admin and _bool(params, "include_private", False)
    q = _text(params, "q")
    filters: dict[str, list[str]] = {"kind": ["dataset"]}
    fq_texts = [t for t in [_text(params, "fq")] if t]
    fq_list = params.get("fq_list") or []
    fq_texts += [str(t) for t in (fq_list if isinstance(fq_list, list) else [fq_list])]
    for text in fq_texts:
        for facet, values in _fq_clauses(_strip_always_true(text)).items():
            filters.setdefault(facet, []).extend(values)
    sort = _text(params, "sort") or "score desc, metadata_modified desc"
    ours = _ckan_sort(sort)
    raw_fields = params.get("facet.field") or []
    if isinstance(raw_fields, str):
        try:
            raw_fields = _json(ctx.request, raw_fields, "facet.field")
        except ValueError:
            raise CkanError(409, "Validation Error",
                            fields={"facet.field": ["must be a JSON list"]}) from None
    if not isinstance(raw_fields, list):
        raise CkanError(409, "Validation Error", fields={"facet.field": ["must be a list"]})
    facet_limit = _int(params, "facet.limit", 50, minimum=-1)
    facet_limit = 1000 if facet_limit < 0 else min(facet_limit, 1000)
    mincount = _int(params, "facet.mincount", 1)
    asked = [str(f) for f in raw_fields]
    ours_facets = []
    for name in asked:
        facet = CKAN_FACETS.get(name) or facet_name(name)
        if facet is None or (facet == "access" and not ctx.admin):
            raise CkanError(409, "Search Query Error",
                            f"Search Query is invalid: unknown facet field {name!r}")
        ours_facets.append(facet)
    try:
        result = ctx.index.search(q, filters=filters, include_private=include_private,
                                  start=start, rows=rows, sort=ours, facets=ours_facets,
                                  facet_size=facet_limit)
    except SearchInputError as error:
        raise CkanError(409, "Search Query Error",
                        f"Search Query is invalid: {error}") from None
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict] = {}
    for name, facet in zip(asked, ours_facets, strict=True):
        values = [v for v in result.facets.get(facet, []) if v.count >= mincount]
        facets[name] = {v.key: v.count for v in values}
        search_facets[name] = {"title": name, "items": [
            {"name": v.key, "display_name": v.label, "count": v.count} for v in values]}
    return {"count": result.count, "sort": sort, "facets": facets,
            "search_facets": search_facets,
            "results": [package_dict(hit) for hit in result.hits]}


def _ckan_sort(sort: str) -> str:
    first = sort.split(",")[0].strip().lower()
    mapping = {
        "score desc": "relevance", "relevance": "relevance",
        "metadata_modified desc": "modified desc", "metadata_modified asc": "modified asc",
        "title_string asc": "title asc", "title_string desc": "title desc",
        "name asc": "name asc", "name desc": "name desc",
        "metadata_created desc": "modified desc", "metadata_created asc": "modified asc",
    }
    if first not in mapping:
        raise CkanError(409, "Search Query Error",
                        f"Search Query is invalid: cannot sort by {sort[:60]!r}; use one of "
                        + ", ".join(mapping))
    return mapping[first]


def _dataset(ctx: Context, key: str) -> dict:
    payload = ctx.index.get(key, include_private=ctx.admin)
    if payload is None or payload.get("kind") != "dataset":
        raise CkanError(404, "Not Found Error", "Not found")
    return payload


def package_show(ctx: Context, params: dict) -> dict:
    key = _text(params, "id") or _text(params, "name")
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    return package_dict(_dataset(ctx, key.strip()))


def package_list(ctx: Context, params: dict) -> list[str]:
    limit = _int(params, "limit", LIST_LIMIT, maximum=LIST_LIMIT)
    offset = _int(params, "offset", 0)
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False, start=offset,
                        rows=max(limit, 1), sort="name asc", facets=[])
    return [ckan_name(hit["iri"]) for hit in result.hits][:limit]


def _communities(ctx: Context) -> list[dict]:
    result = ctx.search(filters={"kind": ["community"]}, include_private=ctx.admin,
                        rows=LIST_LIMIT, sort="name asc", facets=[])
    counts = ctx.search(filters={"kind": ["dataset"]}, include_private=False, rows=1,
                        facets=["community"], facet_size=10_000).facets.get("community", [])
    count_of = {v.key: v.count for v in counts}
    found = []
    for hit in result.hits:
        ref = next((c for c in hit["communities"] if c["iri"] == hit["iri"]), None)
        key = ref["key"] if ref else ckan_name(hit["iri"])
        found.append({
            "id": _uuid(hit["iri"]), "name": key, "title": hit["title"],
            "display_name": hit["title"], "description": hit.get("description") or "",
            "type": "organization", "is_organization": True, "state": "active",
            "approval_status": "approved", "image_url": "", "image_display_url": "",
            "package_count": count_of.get(key, 0), "created": None, "uri": hit["iri"],
        })
    return found


def _list(items: list[dict], params: dict, default_sort: str = "name asc") -> list:
    sort = (_text(params, "sort") or default_sort).strip().lower()
    field, _, direction = sort.partition(" ")
    key = {"name": "name", "title": "title", "display_name": "title",
           "package_count": "package_count"}.get(field)
    if key is None:
        raise CkanError(409, "Validation Error",
                        fields={"sort": ["sort by name, title or package_count"]})
    items = sorted(items, key=lambda i: (i[key] if key != "title" else str(i[key]).lower()),
                   reverse=direction.strip() == "desc")
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", LIST_LIMIT, maximum=LIST_LIMIT)
    items = items[offset:offset + limit]
    if _bool(params, "all_fields"):
        return items
    return [i["name"] for i in items]


def organization_list(ctx: Context, params: dict) -> list:
    items = _communities(ctx)
    wanted = params.get("organizations")
    if wanted:
        names = set(_json(ctx.request, wanted, "organizations")
                    if isinstance(wanted, str) and wanted.startswith("[")
                    else (wanted if isinstance(wanted, list) else [wanted]))
        items = [i for i in items if i["name"] in names]
    return _list(items, params)


def organization_show(ctx: Context, params: dict) -> dict:
    key = (_text(params, "id") or "").strip()
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    for item in _communities(ctx):
        if key in (item["name"], item["id"], item["uri"]):
            if _bool(params, "include_datasets"):
                result = ctx.search(filters={"kind": ["dataset"], "community": [item["name"]]},
                                    include_private=False, rows=MAX_ROWS, sort="name asc",
                                    facets=[])
                item["packages"] = [package_dict(hit) for hit in result.hits]
            return item
    raise CkanError(404, "Not Found Error", "Not found")


def group_list(ctx: Context, params: dict) -> list:
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False, rows=1,
                        facets=["theme"], facet_size=10_000)
    items = [{"id": v.key, "name": v.key, "title": v.label, "display_name": v.label,
              "description": "", "type": "group", "is_organization": False,
              "state": "active", "approval_status": "approved", "image_url": "",
              "image_display_url": "", "package_count": v.count}
             for v in result.facets.get("theme", [])]
    return _list(items, params)


def tag_list(ctx: Context, params: dict) -> list:
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False, rows=1,
                        facets=["keyword"], facet_size=10_000)
    names = sorted(v.key for v in result.facets.get("keyword", []))
    query = (_text(params, "query") or "").strip().lower()
    if query:
        names = [n for n in names if query in n]
    if _bool(params, "all_fields"):
        return [{"id": n, "name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


def status_show(ctx: Context, params: dict) -> dict:
    base = str(ctx.request.base_url).rstrip("/")
    return {
        "site_title": "regiongraph", "site_url": base,
        "site_description": "A knowledge graph of a region's public-sector data assets; "
                            "this is a read-only, CKAN-compatible view of its catalog.",
        "ckan_version": CKAN_API_VERSION, "regiongraph_version": __version__,
        "error_emails_to": None, "locale_default": "en", "extensions": [],
    }


ACTIONS: dict[str, Callable[[Context, dict], Any]] = {
    "package_search": package_search, "package_show": package_show,
    "package_list": package_list, "organization_list": organization_list,
    "organization_show": organization_show, "group_list": group_list,
    "tag_list": tag_list, "status_show": status_show,
}


def _envelope(request: Request, action: str, *, result: Any = None,
              error: CkanError | None = None) -> JSONResponse:
    help_url = f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={action}"
    if error is None:
        return JSONResponse({"help": help_url, "success": True, "result": result})
    body: dict[str, Any] = {"__type": error.kind}
    if error.message:
        body["message"] = error.message
    if error.fields:
        body.update(error.fields)
    return JSONResponse({"help": help_url, "success": False, "error": body},
                        status_code=error.status)


@router.get("/api/3/action/{action}", summary="CKAN Action API (read-only subset)",
            operation_id="ckan_action_get")
async def action_get(action: str, request: Request) -> JSONResponse:
    return await _dispatch(action, request)


@router.post("/api/3/action/{action}", summary="CKAN Action API (read-only subset)",
             operation_id="ckan_action_post")
async def action_post(action: str, request: Request) -> JSONResponse:
    return await _dispatch(action, request)


# ckanapi and older clients call /api/action/ (CKAN answers both)
router.add_api_route("/api/action/{action}", action_get, methods=["GET"],
                     include_in_schema=False)
router.add_api_route("/api/action/{action}", action_post, methods=["POST"],
                     include_in_schema=False)


async def _dispatch(action: str, request: Request) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    try:
        if action in WRITE_ACTIONS:
            raise CkanError(403, "Authorization Error",
                            f"Access denied: {action} is not offered; this CKAN-compatible "
                            "API is read-only")
        handler = ACTIONS.get(action)
        if handler is None:
            raise CkanError(400, "Bad request",
                            f"Bad request - Action name not known: {action[:80]}")
        params = await _params(request)
        app = request.app
        admin = ckan_admin(request)

        def run() -> Any:
            index = index_for(app.state.store, app.state.settings)
            return handler(Context(request, index, admin), params)

        try:
            result = await run_in_threadpool(run)
        except SearchIndexError as error:
            raise CkanError(503, "Search Index Error", f"Search index error: {error}") from None
    except CkanError as error:
        return _envelope(request, action, error=error)
    return _envelope(request, action, result=result)
