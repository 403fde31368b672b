"""The forum's pages for browsers: a resource's discussion, search in discussions, and the
forms to post, reply, endorse and follow (session and CSRF, `api.forms`).

The same kernel (`regiongraph.forum`) serves the Web Annotation Protocol
(`annotations.py`); these pages are its HTML face, each with a JSON twin.
"""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep, session_principal
from regiongraph.api.forms import form_page, form_principal
from regiongraph.api.negotiate import negotiate

from regiongraph.accounts import Principal
from regiongraph.forum import posts as forum
from regiongraph.forum import webanno
from regiongraph.forum.audience import readable, resource_visible
from regiongraph.notify import subscriptions
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["forum"])
OFFERS = ["text/html", "application/json"]
MAX_SEARCH = 200


def _threads(store: Store, settings: Settings, principal: Principal, resource: str):
    posts = readable(store, settings, principal, forum.posts_about(store, settings, resource))
    endorsements = [p for p in posts if p.motivation == "assessing"]
    return forum.posts_by_thread(posts), endorsements


@router.get("/discussions", summary="A resource's discussion (HTML, or JSON)")
def discussion(request: Request, resource: str, store: StoreDep, settings: SettingsDep,
               principal: PrincipalDep) -> Response:
    if not resource_visible(store, settings, principal, resource):
        raise HTTPException(404, f"no resource {resource} that you may see")
    threads, endorsements = _threads(store, settings, principal, resource)
    if negotiate(request, OFFERS) == "application/json" or \
            request.query_params.get("format") == "json":
        return JSONResponse({
            "resource": resource,
            "threads": [dict(webanno.to_jsonld(t, context=False),
                             replies=[webanno.to_jsonld(r, context=False) for r in t.replies])
                        for t in threads],
            "endorsements": [webanno.to_jsonld(e, context=False) for e in endorsements]})
    person = principal.person
    following = person is not None and resource in subscriptions.followed(store, settings,
                                                                          person)
    return form_page(request, "discussion.html", {
        "resource": resource, "threads": threads, "endorsements": endorsements,
        "signed_in": session_principal(request) is not None, "following": following,
        "alternates": [{"type": "application/json",
                        "href": f"/discussions?resource={resource}&format=json"}]})


def _back(resource: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/discussions?resource={quote(resource, safe='')}",
                            status_code=303)


def _act(action):
    try:
        action()
    except forum.PostNotFound as error:
        raise HTTPException(404, str(error)) from None
    except forum.NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    except forum.TooManyPosts as error:
        raise HTTPException(429, str(error)) from None
    except forum.ForumError as error:
        raise HTTPException(400, str(error)) from None


Text = Annotated[str, Form(max_length=forum.MAX_TEXT)]


@router.post("/discussions/threads", include_in_schema=False)
def start_thread_form(request: Request, store: StoreDep, settings: SettingsDep,
                      resource: Annotated[str, Form()], title: Annotated[str, Form()],
                      text: Text, csrf: Annotated[str, Form()] = "",
                      audience: Annotated[str, Form()] = "alliance") -> Response:
    principal = form_principal(request, csrf)
    _act(lambda: forum.start_thread(store, settings, principal, resource=resource,
                                    title=title, text=text, audience=audience))
    return _back(resource)


@router.post("/discussions/replies", include_in_schema=False)
def reply_form(request: Request, store: StoreDep, settings: SettingsDep,
               resource: Annotated[str, Form()], to: Annotated[str, Form()], text: Text,
               csrf: Annotated[str, Form()] = "") -> Response:
    principal = form_principal(request, csrf)
    _act(lambda: forum.reply(store, settings, principal, to=to, text=text))
    return _back(resource)


@router.post("/discussions/endorsements", include_in_schema=False)
def endorse_form(request: Request, store: StoreDep, settings: SettingsDep,
                 resource: Annotated[str, Form()], text: Text,
                 csrf: Annotated[str, Form()] = "") -> Response:
    principal = form_principal(request, csrf)
    _act(lambda: forum.endorse(store, settings, principal, resource=resource, text=text))
    return _back(resource)


@router.post("/discussions/follow", include_in_schema=False)
def follow_form(request: Request, store: StoreDep, settings: SettingsDep,
                resource: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
                stop: Annotated[bool, Form()] = False) -> Response:
    principal = form_principal(request, csrf)
    if not resource_visible(store, settings, principal, resource):
        raise HTTPException(404, f"no resource {resource} that you may see")
    change = subscriptions.unfollow if stop else subscriptions.follow
    change(store, settings, principal.person or "", resource)
    return _back(resource)


@router.get("/discussions/search", summary="Search the discussions you may read")
def search_discussions(request: Request, q: str, store: StoreDep, settings: SettingsDep,
                       principal: PrincipalDep) -> Response:
    words = [w for w in q.lower().split() if w]
    if not words:
        raise HTTPException(400, "give some words to look for: q=...")
    found = readable(store, settings, principal, forum.search_posts(store, settings, words))
    found = found[:MAX_SEARCH]
    if negotiate(request, OFFERS) == "application/json" or \
            request.query_params.get("format") == "json":
        return JSONResponse({"query": q, "count": len(found),
                             "items": [webanno.to_jsonld(p, context=False) for p in found]})
    return form_page(request, "discussion_search.html", {"q": q, "found": found})
