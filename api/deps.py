"""Typed dependencies: the store, the settings, and who is asking."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from regiongraph.accounts import ANONYMOUS, Principal, principal_for_token
from regiongraph.accounts.principal import alliance_steward
from regiongraph.settings import Settings
from regiongraph.store import Store


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def is_admin(request: Request) -> bool:
    """True when the request carries the admin bearer token (never when none is set)."""
    expected = request.app.state.settings.admin_token
    header = request.headers.get("authorization", "")
    if not expected or not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), expected.encode())


def require_admin(request: Request) -> None:
    if not request.headers.get("authorization"):
        raise HTTPException(401, "this needs the admin token: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    if not is_admin(request):
        raise HTTPException(403, "the token given is not the admin token")


def current_principal(request: Request) -> Principal:
    """Who the request acts as: the admin token's account, a person's API token, or
    anonymous. An unknown, revoked or expired token is refused, never treated as anonymous,
    so a client learns its token stopped working instead of silently seeing less."""
    if is_admin(request):
        return alliance_steward(request.app.state.settings)
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return ANONYMOUS
    principal = principal_for_token(request.app.state.store, request.app.state.settings,
                                    header[7:])
    if principal is None:
        raise HTTPException(401, "the token given is unknown, revoked or expired",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AdminFlag = Annotated[bool, Depends(is_admin)]
AdminDep = Annotated[None, Depends(require_admin)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
