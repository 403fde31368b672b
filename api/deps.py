"""Typed dependencies: the store, the settings, and who is asking."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

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


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AdminFlag = Annotated[bool, Depends(is_admin)]
AdminDep = Annotated[None, Depends(require_admin)]
