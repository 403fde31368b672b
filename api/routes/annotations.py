"""The forum over the W3C Web Annotation Protocol.

- `/annotations/on/{path}/` — the container of every post about the resource
  `{base}{path}` (threads, replies, endorsements): GET/HEAD pages it (`?page=N`,
  `Prefer` for contained IRIs or descriptions, or a minimal container), POST adds an
  annotation (201 with `Location` and `ETag`).
- `/annotations/{id}` — one post: GET/HEAD with an `ETag`; PUT with `If-Match` edits the
  author's own text (428 without it, 412 when stale).
- `POST /annotations/{id}/close` — close a thread (author or steward).

Who may read what is `regiongraph.forum.audience`: a post someone may not read is a 404,
the same as one that does not exist.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from regiongraph.api.deps import PrincipalDep, SettingsDep, SignedInWrites, StoreDep

from regiongraph.accounts import Principal
from regiongraph.forum import posts as forum
from regiongraph.forum import webanno
from regiongraph.forum.audience import readable
from regiongraph.forum.model import ENDORSING, MODERATING, REPLYING
from regiongraph.iri import Minter
from regiongraph.limits import LimitExceeded, load_json
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["forum"], dependencies=[SignedInWrites])
PAGE_SIZE = 50
CONTAINER_LINKS = ('<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
                   '<http://www.w3.org/TR/annotation-protocol/>; '
                   'rel="http://www.w3.org/ns/ldp#constrainedBy"')
RESOURCE_LINK = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
ERRORS: dict[type, int] = {forum.PostNotFound: 404, forum.NotAllowed: 403,
                           forum.TooManyPosts: 429, forum.ForumError: 400}


def _fail(error: forum.ForumError, principal: Principal) -> HTTPException:
    status = next(code for kind, code in ERRORS.items() if isinstance(error, kind))
    if status == 403 and principal.person is None:
        return HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"})
    return HTTPException(status, str(error))


def _etag(document: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _jsonld(document: dict[str, Any], headers: dict[str, str], status: int = 200,
            head: bool = False) -> Response:
    etag = _etag(document)
    body = b"" if head else json.dumps(document, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=webanno.MEDIA_TYPE,
                    headers={**headers, "ETag": etag, "Vary": "Accept, Prefer"})


def _resource(settings: Settings, path: str) -> str:
    return Minter(settings.base).base + path.strip("/")


def _container_url(request: Request, path: str) -> str:
    return str(request.base_url) + f"annotations/on/{path.strip('/')}/"


def _post_url(request: Request, settings: Settings, iri: str) -> str:
    local = Minter(settings.base).local_id(iri, "annotation") or ""
    return str(request.base_url) + f"annotations/{local}"


def _readable_about(store: Store, settings: Settings, principal: Principal,
                    resource: str) -> list:
    return readable(store, settings, principal, forum.posts_about(store, settings, resource))


@router.get("/annotations/on/{path:path}",
            summary="The annotation container of a resource (Web Annotation Protocol)")
@router.head("/annotations/on/{path:path}", include_in_schema=False)
def container(path: str, request: Request, store: StoreDep, settings: SettingsDep,
              principal: PrincipalDep, page: int | None = None) -> Response:
    resource = _resource(settings, path)
    if not forum.rule.resource_visible(store, settings, principal, resource):
        raise HTTPException(404, f"no resource {resource} that you may see")
    posts = _readable_about(store, settings, principal, resource)
    url, head = _container_url(request, path), request.method == "HEAD"
    prefer = request.headers.get("prefer", "")
    iris_only = PREFER_IRIS in prefer
    headers = {"Link": CONTAINER_LINKS, "Allow": "GET, HEAD, OPTIONS, POST",
               "Accept-Post": webanno.MEDIA_TYPE}
    if page is not None:
        last = max((len(posts) - 1) // PAGE_SIZE, 0)
        if page < 0 or page > last:
            raise HTTPException(404, f"no page {page}: pages run from 0 to {last}")
        chunk = posts[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        document = webanno.page(url, chunk, index=page, size=PAGE_SIZE, total=len(posts),
                                iris_only=iris_only)
        return _jsonld(document, {"Allow": "GET, HEAD, OPTIONS"}, head=head)
    first = None
    if PREFER_MINIMAL not in prefer:
        first = webanno.page(url, posts[:PAGE_SIZE], index=0, size=PAGE_SIZE,
                             total=len(posts), iris_only=iris_only)
        first.pop("@context")
    document = webanno.collection(url, f"Discussion of {resource}", len(posts), PAGE_SIZE,
                                  first)
    if not iris_only and first is not None:
        document["@context"] = [*webanno.CONTEXT, webanno.LDP_CONTEXT]
    return _jsonld(document, headers, head=head)


@router.options("/annotations/on/{path:path}", include_in_schema=False)
def container_options() -> Response:
    return Response(status_code=204, headers={
        "Allow": "GET, HEAD, OPTIONS, POST", "Accept-Post": webanno.MEDIA_TYPE,
        "Link": CONTAINER_LINKS})


async def _document(request: Request, settings: Settings) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/ld+json", "application/json"):
        raise HTTPException(415, f"send the annotation as {webanno.MEDIA_TYPE}")
    try:
        return load_json(await request.body(), settings.max_json_depth, "the annotation")
    except LimitExceeded as error:
        raise HTTPException(400, str(error)) from None
    except ValueError as error:
        raise HTTPException(400, f"the annotation is not JSON: {error}") from None


def _create(store: Store, settings: Settings, principal: Principal, resource: str,
            fields: dict[str, Any]):
    target, motivation = fields["target"], fields["motivation"]
    common = {"as_organization": fields["as_organization"]}
    if motivation == MODERATING:
        return forum.hide(store, settings, principal, post=target, reason=fields["text"])
    if motivation == REPLYING or target != resource:
        parent = forum.readable_post(store, settings, principal, target)
        if parent.resource != resource:
            raise forum.ForumError("the target is a post about another resource: post to "
                                   "that resource's container")
        return forum.reply(store, settings, principal, to=target, text=fields["text"],
                           **common)
    audience = {"audience": fields["audience"], "community": fields["community"]}
    if motivation == ENDORSING:
        return forum.endorse(store, settings, principal, resource=resource,
                             text=fields["text"], **audience, **common)
    return forum.start_thread(store, settings, principal, resource=resource,
                              title=fields["title"] or "", text=fields["text"],
                              motivation=motivation, **audience, **common)


@router.post("/annotations/on/{path:path}", status_code=201,
             summary="Post an annotation about a resource (Web Annotation Protocol)")
async def create(path: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    resource = _resource(settings, path)
    document = await _document(request, settings)
    try:
        fields = webanno.from_jsonld(document)
        post = _create(store, settings, principal, resource, fields)
    except webanno.NotAnAnnotation as error:
        raise HTTPException(400, str(error)) from None
    except forum.ForumError as error:
        raise _fail(error, principal) from None
    url = _post_url(request, settings, post.iri)
    return _jsonld(webanno.to_jsonld(post), {"Location": url, "Link": RESOURCE_LINK},
                   status=201)


def _post_iri(settings: Settings, local: str) -> str:
    return Minter(settings.base).iri("annotation", local).value


@router.get("/annotations/{local}", summary="One annotation (Web Annotation Protocol)")
@router.head("/annotations/{local}", include_in_schema=False)
def annotation(local: str, request: Request, store: StoreDep, settings: SettingsDep,
               principal: PrincipalDep) -> Response:
    try:
        post = forum.readable_post(store, settings, principal, _post_iri(settings, local))
    except forum.ForumError as error:
        raise _fail(error, principal) from None
    headers = {"Link": RESOURCE_LINK, "Allow": "GET, HEAD, OPTIONS, PUT"}
    return _jsonld(webanno.to_jsonld(post), headers, head=request.method == "HEAD")


@router.options("/annotations/{local}", include_in_schema=False)
def annotation_options() -> Response:
    return Response(status_code=204, headers={"Allow": "GET, HEAD, OPTIONS, PUT",
                                              "Link": RESOURCE_LINK})


@router.put("/annotations/{local}", summary="Edit one's own annotation (If-Match required)")
async def replace(local: str, request: Request, store: StoreDep, settings: SettingsDep,
                  principal: PrincipalDep) -> Response:
    iri = _post_iri(settings, local)
    try:
        current = forum.readable_post(store, settings, principal, iri)
        expected = request.headers.get("if-match")
        if expected is None:
            raise HTTPException(428, "send If-Match with the ETag you last read")
        if expected != _etag(webanno.to_jsonld(current)):
            raise HTTPException(412, "the annotation changed since you read it: read it again")
        fields = webanno.from_jsonld(await _document(request, settings))
        if fields["target"] != current.target or fields["motivation"] != current.motivation:
            raise HTTPException(400, "only the body's text can change: target and motivation "
                                     "stay")
        post = forum.edit(store, settings, principal, post=iri, text=fields["text"])
    except webanno.NotAnAnnotation as error:
        raise HTTPException(400, str(error)) from None
    except forum.ForumError as error:
        raise _fail(error, principal) from None
    return _jsonld(webanno.to_jsonld(post), {"Link": RESOURCE_LINK})


@router.post("/annotations/{local}/close", summary="Close a thread (author or steward)")
def close_thread(local: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    try:
        post = forum.close(store, settings, principal, thread=_post_iri(settings, local))
    except forum.ForumError as error:
        raise _fail(error, principal) from None
    return _jsonld(webanno.to_jsonld(post), {"Link": RESOURCE_LINK})
