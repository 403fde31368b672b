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

import inspect
import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from regiongraph.api.deps import current_principal

from regiongraph import __version__
from regiongraph.accounts import ANONYMOUS, Principal
from regiongraph.limits import LimitExceeded, load_json
from regiongraph.membership import audited, member_also
from regiongraph.search import SearchIndexError, SearchInputError, index_for
from regiongraph.search.index import SearchIndex
from regiongraph.search.query import FACET_ALIASES, facet_name
from regiongraph.search.records import ckan_name, package_name, parse_date

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


def ckan_principal(request: Request) -> Principal:
    """Who a CKAN client is, through the one `current_principal`: the admin token or a
    personal API token, sent as CKAN clients send keys (`Authorization: <key>` as CKAN 2.10
    and ckanapi's `apikey=` do, `X-CKAN-API-Key: <key>` as older clients do) or as
    `Authorization: Bearer <key>`. As in CKAN, a key it does not know is just anonymous."""
    try:
        return current_principal(request)
    except HTTPException:
        return ANONYMOUS


def ckan_admin(request: Request) -> bool:
    return ckan_principal(request).alliance_steward


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
        "id": package_id, "name": package_name(p), "title": p["title"],
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
    """One action's request, index and asker. `admin`: the alliance steward (everything);
    `also`: the non-public datasets a member may see (`regiongraph.membership`), offered,
    as CKAN offers private datasets, to a key holder (`include_private`, package_show)."""

    def __init__(self, request: Request, index: SearchIndex, admin: bool,
                 also: frozenset[str] | None = None, principal: Principal = ANONYMOUS) -> None:
        self.request, self.index, self.admin = request, index, admin
        self.also, self.principal = also, principal
        self.shown: set[str] = set()
        """Dataset IRIs this answer shows (what the audit records)."""

    def search(self, **kwargs):
        try:
            return self.index.search(**kwargs)
        except SearchInputError as error:
            raise CkanError(409, "Search Query Error",
                            f"Search Query is invalid: {error}") from None


def package_search(ctx: Context, params: dict) -> dict:
    """Search the datasets (CKAN packages).

    :param q: words, "phrases", prefix*, -not, a OR b (the service's query language)
    :param fq: Solr-style filters, e.g. `organization:saguaro res_format:"CSV"`; also fq_list
    :param rows: results per page (default 10, at most 1000); :param start: offset
    :param sort: `score desc`, `metadata_modified desc|asc`, `title_string asc|desc`,
        `name asc|desc`
    :param facet.field: JSON list of facets: organization, groups, tags, res_format,
        conforms_to, projects; facet.limit, facet.mincount
    :param include_private: with the admin token, datasets that are not public too
    :returns: {count, sort, facets, search_facets, results: [package]}
    """
    rows = _int(params, "rows", DEFAULT_ROWS, maximum=MAX_ROWS)
    start = _int(params, "start", 0)
    include_private = _bool(params, "include_private", False)
    also = ctx.also if include_private else None
    include_private = ctx.admin and include_private
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
        if facet is None or (facet == "access" and not ctx.admin and also is None):
            raise CkanError(409, "Search Query Error",
                            f"Search Query is invalid: unknown facet field {name!r}")
        ours_facets.append(facet)
    try:
        result = ctx.index.search(q, filters=filters, include_private=include_private,
                                  also=also, start=start, rows=rows, sort=ours, facets=ours_facets,
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
    ctx.shown.update(hit["iri"] for hit in result.hits)
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
    payload = ctx.index.get(key, include_private=ctx.admin, also=ctx.also)
    if payload is None or payload.get("kind") != "dataset":
        raise CkanError(404, "Not Found Error", "Not found")
    ctx.shown.add(payload["iri"])
    return payload


def package_show(ctx: Context, params: dict) -> dict:
    """One dataset as a CKAN package.

    :param id: the package's name, its id (a UUID) or the dataset IRI
    :returns: the package, with its organization (community), groups (themes), tags
        (keywords) and resources (distributions); private ones need the admin token
    """
    key = _text(params, "id") or _text(params, "name")
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    return package_dict(_dataset(ctx, key.strip()))


def package_list(ctx: Context, params: dict) -> list[str]:
    """The names of the public datasets, by name.

    :param limit: how many (default all); :param offset: how many to skip
    :returns: a list of package names
    """
    limit = _int(params, "limit", LIST_LIMIT, maximum=LIST_LIMIT)
    offset = _int(params, "offset", 0)
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False, start=offset,
                        rows=max(limit, 1), sort="name asc", facets=[])
    return [package_name(hit) for hit in result.hits][:limit]


def _packages(ctx: Context, filters: dict[str, list[str]]) -> list[dict]:
    """The public datasets of a facet value (an organization's, a group's), by name."""
    result = ctx.search(filters={"kind": ["dataset"], **filters}, include_private=False,
                        rows=MAX_ROWS, sort="name asc", facets=[])
    return [package_dict(hit) for hit in result.hits]


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
    """The communities, as CKAN organizations.

    :param all_fields: whole organizations instead of names
    :param sort: `name`, `title` or `package_count`, then `asc` or `desc`
    :param limit, offset: paging; :param organizations: only these names
    :returns: a list of names, or of organizations with their public package_count
    """
    items = _communities(ctx)
    wanted = params.get("organizations")
    if wanted:
        names = set(_json(ctx.request, wanted, "organizations")
                    if isinstance(wanted, str) and wanted.startswith("[")
                    else (wanted if isinstance(wanted, list) else [wanted]))
        items = [i for i in items if i["name"] in names]
    return _list(items, params)


def organization_show(ctx: Context, params: dict) -> dict:
    """One community, as a CKAN organization.

    :param id: its name, its id (a UUID) or the community IRI
    :param include_datasets: add `packages`, its public datasets (at most 1000)
    :returns: the organization
    """
    key = (_text(params, "id") or "").strip()
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    for item in _communities(ctx):
        if key in (item["name"], item["id"], item["uri"]):
            if _bool(params, "include_datasets"):
                item["packages"] = _packages(ctx, {"community": [item["name"]]})
            return item
    raise CkanError(404, "Not Found Error", "Not found")


def _themes(ctx: Context) -> list:
    """The theme facet of the public datasets: what CKAN clients see as groups."""
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False, rows=1,
                        facets=["theme"], facet_size=10_000)
    return result.facets.get("theme", [])


def _groups(ctx: Context) -> list[dict]:
    return [_group(ctx, v.key, v.label, v.count) for v in _themes(ctx)]


def _group(ctx: Context, key: str, label: str, count: int) -> dict:
    """A theme as a CKAN group; its id is the UUID packages list it under."""
    # A theme's IRI is not a facet value: read it from one of its datasets.
    member = ctx.search(filters={"kind": ["dataset"], "theme": [key]}, include_private=False,
                        rows=1, facets=[]).hits
    iri = next((t.get("iri") for hit in member for t in hit.get("themes", [])
                if t["key"] == key), None)
    return {"id": _uuid(iri) if iri else key, "name": key, "title": label,
            "display_name": label, "description": "", "type": "group",
            "is_organization": False, "state": "active", "approval_status": "approved",
            "image_url": "", "image_display_url": "", "package_count": count}


def group_list(ctx: Context, params: dict) -> list:
    """The domain concepts (themes) of the public datasets, as CKAN groups.

    :param all_fields: whole groups instead of names
    :param sort: `name`, `title` or `package_count`, then `asc` or `desc`
    :param limit, offset: paging
    :returns: a list of names, or of groups with their package_count
    """
    return _list(_groups(ctx), params)


def group_show(ctx: Context, params: dict) -> dict:
    """One theme, as a CKAN group.

    :param id: its name or its id (the UUID packages list it under)
    :param include_datasets: add `packages`, its public datasets (at most 1000)
    :returns: the group (as group_list's all_fields gives it, plus extras, groups, tags,
        users, which are empty here)
    """
    key = (_text(params, "id") or "").strip()
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    themes = _themes(ctx)
    named = next((v for v in themes if v.key == key), None)
    candidates = [named] if named else themes  # by name: one lookup; by id: all of them
    group = next((g for g in (_group(ctx, v.key, v.label, v.count) for v in candidates)
                  if key in (g["name"], g["id"])), None)
    if group is None:
        raise CkanError(404, "Not Found Error", "Group not found")
    group.update({"extras": [], "groups": [], "tags": [], "users": []})
    if _bool(params, "include_datasets"):
        group["packages"] = _packages(ctx, {"theme": [group["name"]]})
    return group


def tag_list(ctx: Context, params: dict) -> list:
    """The keywords of the public datasets, as CKAN tags.

    :param query: only tags containing this text
    :param all_fields: whole tags instead of names
    :returns: a sorted list of tag names (or tags)
    """
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
    """What this site is and which CKAN Action API release it follows.

    :returns: {site_title, site_url, site_description, ckan_version, ...}
    """
    base = str(ctx.request.base_url).rstrip("/")
    return {
        "site_title": "regiongraph", "site_url": base,
        "site_description": "A knowledge graph of a region's public-sector data assets; "
                            "this is a read-only, CKAN-compatible view of its catalog.",
        "ckan_version": CKAN_API_VERSION, "regiongraph_version": __version__,
        "error_emails_to": None, "locale_default": "en", "extensions": [],
    }


def resource_show(ctx: Context, params: dict) -> dict:
    """One distribution, as a CKAN resource.

    :param id: the resource's id (a UUID, as package_show lists it) or the distribution IRI
    :returns: the resource, as its package lists it; one of a private dataset needs the
        admin token
    """
    key = (_text(params, "id") or "").strip()
    if not key:
        raise CkanError(409, "Validation Error", fields={"id": ["Missing value"]})
    payload = ctx.index.get(key, include_private=ctx.admin, fields=("resource",),
                            also=ctx.also)
    if payload:
        ctx.shown.add(payload["iri"])
    resources = package_dict(payload)["resources"] if payload else []
    found = next((r for r in resources if key in (r["id"], r["uri"])), None)
    if found is None:
        raise CkanError(404, "Not Found Error", "Resource was not found.")
    return found


def license_list(ctx: Context, params: dict) -> list[dict]:
    """The licenses the public datasets are published under (a package's license_id).

    There is no license register beyond the catalog: each license is its URL.
    :returns: a list of {id, title, url, status}, by id
    """
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=False,
                        rows=LIST_LIMIT, sort="name asc", facets=[])
    used = sorted({hit["license"] for hit in result.hits if hit.get("license")})
    return [{"id": url, "title": url, "url": url, "status": "active"} for url in used]


def package_autocomplete(ctx: Context, params: dict) -> list[dict]:
    """Public datasets whose name or title contains `q`, for type-ahead fields.

    :param q: the text typed so far (its words are matched from their start)
    :param limit: at most this many (default 10, at most 1000)
    :returns: [{name, title, match_field: "name" or "title", match_displayed}]
    """
    q = (_text(params, "q") or "").strip()
    if not q:
        raise CkanError(409, "Validation Error", fields={"q": ["Missing value"]})
    limit = _int(params, "limit", DEFAULT_ROWS, minimum=1, maximum=MAX_ROWS)
    wanted = q.lower()
    words = [w for w in re.split(r"[^\w]+", wanted) if w]
    if not words:
        return []
    result = ctx.search(q=" ".join(f"{w}*" for w in words), filters={"kind": ["dataset"]},
                        include_private=False, rows=MAX_ROWS, facets=[])
    found = []
    for hit in result.hits:
        name, title = ckan_name(hit["iri"]), hit["title"]
        if wanted in name:
            found.append({"name": name, "title": title, "match_field": "name",
                          "match_displayed": name})
        elif wanted in title.lower():
            found.append({"name": name, "title": title, "match_field": "title",
                          "match_displayed": f"{title} ({name})"})
        if len(found) == limit:
            break
    return found


def current_package_list_with_resources(ctx: Context, params: dict) -> list[dict]:
    """Datasets with their resources, most recently modified first, a page at a time.

    :param limit: per page (default 10, at most 1000); :param offset: how many to skip
        (or :param page: 1-based, with limit)
    :returns: a list of packages; private ones too with the admin token
    """
    limit = _int(params, "limit", DEFAULT_ROWS, minimum=1, maximum=MAX_ROWS)
    offset = _int(params, "offset", (_int(params, "page", 1, minimum=1) - 1) * limit)
    result = ctx.search(filters={"kind": ["dataset"]}, include_private=ctx.admin,
                        also=ctx.also, start=offset, rows=limit, sort="modified desc",
                        facets=[])
    ctx.shown.update(hit["iri"] for hit in result.hits)
    return [package_dict(hit) for hit in result.hits]


def help_show(ctx: Context, params: dict) -> str:
    """The documentation of an action; every answer's `help` URL points here.

    :param name: the action's name
    :returns: what the action does, its parameters and what it returns
    """
    name = (_text(params, "name") or "").strip()
    action = ACTIONS.get(name)
    if action is None:
        raise CkanError(404, "Not Found Error", f"Action function not found: {name[:80]}")
    return inspect.getdoc(action) or ""


ACTIONS: dict[str, Callable[[Context, dict], Any]] = {
    "package_search": package_search, "package_show": package_show,
    "package_list": package_list, "organization_list": organization_list,
    "organization_show": organization_show, "group_list": group_list,
    "group_show": group_show, "tag_list": tag_list, "status_show": status_show,
    "resource_show": resource_show, "license_list": license_list,
    "package_autocomplete": package_autocomplete,
    "current_package_list_with_resources": current_package_list_with_resources,
    "help_show": help_show,
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
        principal = ANONYMOUS if admin else await _principal(request)

        def run() -> Any:
            store, settings = app.state.store, app.state.settings
            index = index_for(store, settings)
            ctx = Context(request, index, admin, member_also(store, settings, principal),
                          principal)
            answer = handler(ctx, params)
            audited(store, settings, principal, ctx.shown, "ckan")
            return answer

        try:
            result = await run_in_threadpool(run)
        except SearchIndexError as error:
            raise CkanError(503, "Search Index Error", f"Search index error: {error}") from None
    except CkanError as error:
        return _envelope(request, action, error=error)
    return _envelope(request, action, result=result)


# CKAN's page URLs ------------------------------------------------------------------------


@router.get("/dataset/{key}", summary="CKAN's dataset page URL: redirects to the dataset's "
            "page here", response_class=RedirectResponse, status_code=302)
async def dataset_page(key: str, request: Request) -> Response:
    """`/dataset/<name or id>` → `/datasets/<community>/<identifier>`; 404 when not visible."""
    from regiongraph.iri import Minter

    admin = ckan_admin(request)
    try:
        principal = ANONYMOUS if admin else await _principal(request)
    except CkanError as error:
        return PlainTextResponse(f"{error.message}\n", status_code=error.status)
    also = member_also(request.app.state.store, request.app.state.settings, principal)
    payload = await _lookup(request, lambda index: index.get(key, include_private=admin,
                                                             also=also))
    prefix = Minter(request.app.state.settings.base).base + "datasets/"
    if not payload or payload.get("kind") != "dataset" or not payload["iri"].startswith(prefix):
        return PlainTextResponse(f"no such dataset: {key}\n", status_code=404)
    target = request.url_for("dataset", path=payload["iri"][len(prefix):])
    return RedirectResponse(str(target), status_code=302, headers={"Vary": "Authorization"})


@router.get("/organization/{key}", summary="CKAN's organization page URL: redirects to the "
            "community's page here", response_class=RedirectResponse, status_code=302)
async def organization_page(key: str, request: Request) -> Response:
    """`/organization/<name or id>` → `/communities/<id>`; 404 for an unknown one."""
    admin = ckan_admin(request)
    found = await _lookup(request, lambda index: next(
        (c for c in _communities(Context(request, index, admin))
         if key in (c["name"], c["id"], c["uri"])), None))
    if found is None:
        return PlainTextResponse(f"no such organization: {key}\n", status_code=404)
    target = request.url_for("community_page", community=found["name"])
    return RedirectResponse(str(target), status_code=302)


async def _principal(request: Request) -> Principal:
    """The member a key acts as (`api.deps.current_principal`); a bad key is CKAN's 403."""
    from starlette.concurrency import run_in_threadpool

    try:
        return await run_in_threadpool(current_principal, request)
    except HTTPException as error:
        raise CkanError(403, "Authorization Error", f"Access denied: {error.detail}") from None


async def _lookup(request: Request, find: Callable[[SearchIndex], Any]) -> Any:
    from starlette.concurrency import run_in_threadpool

    app = request.app
    return await run_in_threadpool(
        lambda: find(index_for(app.state.store, app.state.settings)))
