"""Typed dependencies: the store, the settings, and who is asking.

A request acts as one `Principal`, found by `current_principal` and nowhere else:

- the admin token → the alliance steward's account;
- a personal API token → its person, with the token's scope. It may come as
  `Authorization: Bearer <token>`, or as CKAN clients send keys: `Authorization: <token>`
  (ckanapi's `apikey=`) or `X-CKAN-API-Key: <token>`;
- a session cookie (browser sign-in) → its person. On a request that changes something
  (not GET/HEAD/OPTIONS) the cookie counts only with the CSRF token beside it: the
  `X-CSRF-Token` header for scripts, the `csrf` form field for pages (`signed_in_by_form`);
- nothing → anonymous.
"""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from regiongraph.accounts import ANONYMOUS, Principal, principal_for_token
from regiongraph.accounts.principal import alliance_steward
from regiongraph.accounts.sessions import principal_for_session
from regiongraph.settings import Settings
from regiongraph.store import Store

SESSION_COOKIE = "rg_session"
CSRF_COOKIE = "rg_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def presented_keys(request: Request) -> list[str]:
    """Every credential the request presents in a header, the way clients send them."""
    keys = []
    header = request.headers.get("authorization", "").strip()
    if header.lower().startswith("bearer "):
        keys.append(header[7:].strip())
    elif header:
        keys.append(header)  # CKAN: `Authorization: <key>`
    ckan = request.headers.get("x-ckan-api-key", "").strip()
    if ckan:
        keys.append(ckan)
    return keys


def _is_admin_key(key: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(key.encode(), (expected or "").encode())


def is_admin(request: Request) -> bool:
    """True when the request carries the admin token (never when none is set)."""
    expected = request.app.state.settings.admin_token
    return any(_is_admin_key(key, expected) for key in presented_keys(request))


def require_admin(request: Request) -> None:
    if not request.headers.get("authorization"):
        raise HTTPException(401, "this needs the admin token: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    if not is_admin(request):
        raise HTTPException(403, "the token given is not the admin token")


def csrf_matches(request: Request, given: str | None) -> bool:
    """Double-submit check: the token sent with the request equals the CSRF cookie (a
    page on another site can send the cookie, but cannot read it to send it back)."""
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected and given) and hmac.compare_digest(expected.encode(),
                                                            (given or "").encode())


def csrf_token(request: Request) -> str:
    """The CSRF token a page puts in its forms: the browser's, or a new one that
    `set_csrf_cookie` then hands the browser."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def session_principal(request: Request) -> Principal | None:
    """The person the session cookie signs in, None without a live session."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return principal_for_session(request.app.state.store, request.app.state.settings,
                                 session_id)


def current_principal(request: Request) -> Principal:
    """Who the request acts as (see the module docstring). An unknown, revoked or expired
    token is refused, never treated as anonymous, so a client learns its token stopped
    working instead of silently seeing less; an ended session is simply signed out."""
    settings = request.app.state.settings
    keys = presented_keys(request)
    if any(_is_admin_key(key, settings.admin_token) for key in keys):
        return alliance_steward(settings)
    if keys:
        for key in keys:
            principal = principal_for_token(request.app.state.store, settings, key)
            if principal is not None:
                return principal
        raise HTTPException(401, "the token given is unknown, revoked or expired",
                            headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and \
            not csrf_matches(request, request.headers.get(CSRF_HEADER)):
        return ANONYMOUS
    return session_principal(request) or ANONYMOUS


async def principal_dependency(request: Request) -> Principal:
    """`current_principal` off the event loop (it may ask a remote store)."""
    return await run_in_threadpool(current_principal, request)


async def refuse_anonymous_writes(request: Request,
                                  principal: Annotated[Principal, Depends(principal_dependency)]
                                  ) -> None:
    """A router's writes answer an anonymous caller 401 before looking anything up: their
    later refusals (no such request, wrong state) would tell a caller who is nobody what
    exists and where it stands."""
    if request.method not in SAFE_METHODS and principal.is_anonymous:
        raise HTTPException(401, "sign in, or send a personal token: Authorization: Bearer "
                                 "<token>", headers={"WWW-Authenticate": "Bearer"})


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AdminFlag = Annotated[bool, Depends(is_admin)]
AdminDep = Annotated[None, Depends(require_admin)]
PrincipalDep = Annotated[Principal, Depends(principal_dependency)]
SignedInWrites = Depends(refuse_anonymous_writes)
