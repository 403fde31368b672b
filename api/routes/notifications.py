"""Notifications for signed-in members: the centre, follows, webhooks and outboxes.

- `GET /api/v1/notifications` (and the `/notifications` page): my events, newest first,
  with the unread count; `POST /api/v1/notifications/read` marks them read.
- `GET|POST|DELETE /api/v1/follows`: what I follow explicitly.
- `PUT /api/v1/notifications/mail`: instant, daily or off.
- `POST|GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`,
  `GET /api/v1/webhooks/{id}/deliveries`: my webhooks and their delivery log.
- `POST|GET /api/v1/saved-searches`, `DELETE /api/v1/saved-searches/{id}`: searches
  whose new matches are announced to me.
- `GET /outbox/{people|communities|projects}/{id}`: an ActivityStreams 2.0
  `OrderedCollection` (`application/activity+json`), or Atom (`Accept:
  application/atom+xml`, or the `.atom` suffix), of the same events.

Everything here needs a member (a token or a session); events are read by their
recipients, a community's outbox by its members, and everything by the alliance steward.
"""

from __future__ import annotations

import json
from typing import Literal as Lit

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.templating import TEMPLATES

from regiongraph.accounts import Principal
from regiongraph.iri import Minter
from regiongraph.notify import feeds, subscriptions, webhooks
from regiongraph.notify.deliver import delivery_log
from regiongraph.notify.events import Event, find_events
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["notifications"])
OUTBOX_KINDS = {"people": "person", "communities": "community", "projects": "project"}


def _person(principal: Principal) -> str:
    if principal.person is None:
        raise HTTPException(401, "sign in, or send a personal token: Authorization: Bearer "
                                 "<token>", headers={"WWW-Authenticate": "Bearer"})
    return principal.person


def _writer(principal: Principal) -> str:
    person = _person(principal)
    if not principal.may_write:
        raise HTTPException(403, "this token may only read")
    return person


class Notifications(BaseModel):
    unread: int
    items: list[dict]


def _centre(store: Store, settings: Settings, person: str) -> Notifications:
    events = find_events(store, settings, recipient=person, limit=100)
    read_until = subscriptions.read_until(store, settings, person)
    items = [dict(feeds.activity(e), unread=read_until is None or e.published > read_until)
             for e in events]
    return Notifications(unread=sum(1 for i in items if i["unread"]), items=items)


@router.get("/api/v1/notifications", response_model=Notifications,
            summary="My notifications, newest first, with the unread count")
def notifications(store: StoreDep, settings: SettingsDep, principal: PrincipalDep
                  ) -> Notifications:
    return _centre(store, settings, _person(principal))


@router.get("/notifications", include_in_schema=False)
def notifications_page(request: Request, store: StoreDep, settings: SettingsDep,
                       principal: PrincipalDep) -> Response:
    centre = _centre(store, settings, _person(principal))
    return TEMPLATES.TemplateResponse(request, "notifications.html", {
        "centre": centre, "follows": subscriptions.followed(store, settings, principal.person)})


@router.post("/api/v1/notifications/read", status_code=204, summary="Mark all as read")
def mark_read(store: StoreDep, settings: SettingsDep, principal: PrincipalDep) -> Response:
    subscriptions.mark_read(store, settings, _writer(principal))
    return Response(status_code=204)


class MailChoice(BaseModel):
    delivery: Lit["instant", "daily", "off"]


@router.put("/api/v1/notifications/mail", response_model=MailChoice,
            summary="E-mail: instant, a daily digest, or off")
def mail(choice: MailChoice, store: StoreDep, settings: SettingsDep,
         principal: PrincipalDep) -> MailChoice:
    subscriptions.set_mail(store, settings, _writer(principal), choice.delivery)
    return choice


class Follow(BaseModel):
    resource: str


@router.get("/api/v1/follows", response_model=list[str], summary="What I follow explicitly")
def follows(store: StoreDep, settings: SettingsDep, principal: PrincipalDep) -> list[str]:
    return subscriptions.followed(store, settings, _person(principal))


def _visible(store: Store, settings: Settings, principal: Principal, iri: str) -> None:
    from regiongraph.forum.audience import resource_visible

    if not resource_visible(store, settings, principal, iri):
        raise HTTPException(404, f"no resource {iri} that you may see")


@router.post("/api/v1/follows", status_code=201, response_model=Follow,
             summary="Follow a resource")
def add_follow(body: Follow, store: StoreDep, settings: SettingsDep,
               principal: PrincipalDep) -> Follow:
    person = _writer(principal)
    _visible(store, settings, principal, body.resource)
    subscriptions.follow(store, settings, person, body.resource)
    return body


@router.delete("/api/v1/follows", status_code=204, summary="Stop following a resource")
def remove_follow(resource: str, store: StoreDep, settings: SettingsDep,
                  principal: PrincipalDep) -> Response:
    subscriptions.unfollow(store, settings, _writer(principal), resource)
    return Response(status_code=204)


class WebhookIn(BaseModel):
    url: str
    scope: str | None = None
    """A community or project IRI whose outbox the webhook mirrors; default: my events."""


class WebhookOut(BaseModel):
    id: str
    url: str
    scope: str
    active: bool
    consecutive_failures: int
    secret: str | None = None
    """Shown once, when the webhook is registered."""


def _hook_out(settings: Settings, hook: webhooks.Webhook, secret: str | None = None
              ) -> WebhookOut:
    local = Minter(settings.base).local_id(hook.iri, "webhook") or hook.iri
    return WebhookOut(id=local, url=hook.url, scope=hook.scope, active=hook.active,
                      consecutive_failures=hook.failures, secret=secret)


def _may_watch(store: Store, settings: Settings, principal: Principal, scope: str) -> None:
    """A scope other than oneself: a community one belongs to, or a visible project one
    takes part in (or anything, for the alliance steward)."""
    if principal.alliance_steward or scope in principal.organizations:
        return
    if principal.person in subscriptions.followers(store, settings, [scope]):
        _visible(store, settings, principal, scope)
        return
    raise HTTPException(403, "a webhook's scope is yourself, a community you belong to, or "
                             "a project you take part in")


@router.post("/api/v1/webhooks", status_code=201, response_model=WebhookOut,
             summary="Register a webhook (its secret is shown once)")
def add_webhook(body: WebhookIn, store: StoreDep, settings: SettingsDep,
                principal: PrincipalDep) -> WebhookOut:
    person = _writer(principal)
    if body.scope and body.scope != person:
        _may_watch(store, settings, principal, body.scope)
    try:
        hook, secret = webhooks.register(store, settings, person, body.url, body.scope)
    except webhooks.WebhookError as error:
        raise HTTPException(400, str(error)) from None
    return _hook_out(settings, hook, secret)


@router.get("/api/v1/webhooks", response_model=list[WebhookOut], summary="My webhooks")
def list_webhooks(store: StoreDep, settings: SettingsDep, principal: PrincipalDep
                  ) -> list[WebhookOut]:
    owner = _person(principal)
    return [_hook_out(settings, h) for h in webhooks.webhooks(store, settings, owner=owner)]


def _own_hook(store: Store, settings: Settings, principal: Principal, local: str
              ) -> webhooks.Webhook:
    iri = Minter(settings.base).iri("webhook", local).value
    found = [h for h in webhooks.webhooks(store, settings, owner=_person(principal))
             if h.iri == iri]
    if not found:
        raise HTTPException(404, f"no webhook {local} of yours")
    return found[0]


@router.get("/api/v1/webhooks/{local}/deliveries", summary="A webhook's delivery log")
def deliveries(local: str, store: StoreDep, settings: SettingsDep,
               principal: PrincipalDep) -> list[dict]:
    return delivery_log(store, settings, _own_hook(store, settings, principal, local).iri)


@router.delete("/api/v1/webhooks/{local}", status_code=204, summary="Delete a webhook")
def delete_webhook(local: str, store: StoreDep, settings: SettingsDep,
                   principal: PrincipalDep) -> Response:
    hook = _own_hook(store, settings, principal, local)
    webhooks.remove(store, settings, _writer(principal), hook.iri)
    return Response(status_code=204)


def _outbox_events(store: Store, settings: Settings, principal: Principal, kind: str,
                   iri: str) -> list[Event]:
    person = _person(principal)
    if kind == "person":
        if iri != person and not principal.alliance_steward:
            raise HTTPException(403, "a person's outbox is theirs to read")
        return find_events(store, settings, recipient=iri)
    events = find_events(store, settings, context=iri)
    if principal.alliance_steward or (kind == "community" and iri in principal.organizations):
        return events
    return [e for e in events if person in e.recipients]


@router.get("/outbox/{kind}/{local:path}", summary="An ActivityStreams outbox, or Atom")
def outbox(kind: str, local: str, request: Request, store: StoreDep, settings: SettingsDep,
           principal: PrincipalDep) -> Response:
    if kind not in OUTBOX_KINDS:
        raise HTTPException(404, f"outboxes are of {', '.join(OUTBOX_KINDS)}")
    as_atom = local.endswith(".atom") or "atom" in request.headers.get("accept", "")
    local = local.removesuffix(".atom")
    iri = Minter(settings.base).iri(OUTBOX_KINDS[kind], *local.split("/")).value
    events = _outbox_events(store, settings, principal, OUTBOX_KINDS[kind], iri)
    url = str(request.url)
    if as_atom:
        return Response(feeds.atom(iri + "#outbox", f"regiongraph: {local}", url, events),
                        media_type=feeds.ATOM_MEDIA)
    document = feeds.outbox(url, f"Outbox of {local}", events)
    return Response(json.dumps(document, ensure_ascii=False), media_type=feeds.AS_MEDIA)


class SavedSearchIn(BaseModel):
    q: str


class SavedSearchOut(BaseModel):
    id: str
    q: str


def _saved_out(settings: Settings, saved) -> SavedSearchOut:
    return SavedSearchOut(id=Minter(settings.base).local_id(saved.iri, "saved-search") or "",
                          q=saved.query)


@router.post("/api/v1/saved-searches", status_code=201, response_model=SavedSearchOut,
             summary="Save a search: datasets that newly match it are announced to me")
def add_saved_search(body: SavedSearchIn, store: StoreDep, settings: SettingsDep,
                     principal: PrincipalDep) -> SavedSearchOut:
    from regiongraph.notify.saved import save_search
    from regiongraph.search.query import SearchInputError

    try:
        saved = save_search(store, settings, _writer(principal), body.q)
    except SearchInputError as error:
        raise HTTPException(400, str(error)) from None
    return _saved_out(settings, saved)


@router.get("/api/v1/saved-searches", response_model=list[SavedSearchOut],
            summary="My saved searches")
def list_saved_searches(store: StoreDep, settings: SettingsDep, principal: PrincipalDep
                        ) -> list[SavedSearchOut]:
    from regiongraph.notify.saved import saved_searches

    return [_saved_out(settings, s)
            for s in saved_searches(store, settings, _person(principal))]


@router.delete("/api/v1/saved-searches/{local}", status_code=204,
               summary="Delete a saved search")
def delete_saved_search(local: str, store: StoreDep, settings: SettingsDep,
                        principal: PrincipalDep) -> Response:
    from regiongraph.notify.saved import delete_search

    iri = Minter(settings.base).iri("saved-search", local).value
    if not delete_search(store, settings, _writer(principal), iri):
        raise HTTPException(404, f"no saved search {local} of yours")
    return Response(status_code=204)
