"""Signing in and out, the account page, and personal API tokens.

Browsers sign in by password (`/sign-in`) or through the members' identity provider
(`/sign-in/oidc`, OpenID Connect); either way the browser gets a new session cookie
(HttpOnly, SameSite=Lax, Secure on https), and the id it held before is ended. Every form
carries a CSRF token checked against the `rg_csrf` cookie (double submit). Failed
sign-ins are counted per account and client in the store, so every server process sees
them (`regiongraph.accounts.sessions`).

`/account` shows who you are and what you may see, with its JSON twin; there, and at
`/api/v1/account/tokens`, people create, list and revoke their personal API tokens.
"""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from regiongraph.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    PrincipalDep,
    SettingsDep,
    StoreDep,
    session_principal,
)
from regiongraph.api.forms import (
    NO_STORE,
    check_csrf,
    form_page,
    form_principal,
    set_cookie,
)
from regiongraph.api.negotiate import negotiate

from regiongraph.accounts import Principal, TokenInfo, issue_token, list_tokens, oidc, revoke_token
from regiongraph.accounts.passwords import check_password
from regiongraph.accounts.sessions import (
    clear_failures,
    end_session,
    record_failure,
    start_session,
    sweep,
    take_pending,
    throttle,
    throttle_key,
)
from regiongraph.observe import log
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["account"])
NEXT_COOKIE = "rg_next"


# -- cookies and forms ---------------------------------------------------------------


def _local(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/account"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(request: Request, response: Response, person: str, method: str) -> Response:
    """Begin a session: a new id (the old one ended), and a new CSRF token."""
    store, settings = request.app.state.store, request.app.state.settings
    session_id = start_session(store, settings, person, method,
                               previous=request.cookies.get(SESSION_COOKIE))
    set_cookie(response, request, settings, SESSION_COOKIE, session_id,
            max_age=int(settings.session_hours * 3600))
    set_cookie(response, request, settings, CSRF_COOKIE, secrets.token_urlsafe(32))
    log.info("sign-in", extra={"fields": {"person": person, "method": method}})
    return response


# -- sign in and out -----------------------------------------------------------------


def _sign_in_page(request: Request, settings: Settings, next_: str, error: str | None = None,
                  status: int = 200, headers: dict | None = None) -> Response:
    response = form_page(request, "signin.html", {
        "next": _local(next_), "error": error, "oidc": oidc.configured(settings),
        "oidc_name": settings.oidc_name}, status)
    response.headers.update(headers or {})
    return response


@router.get("/sign-in", summary="The sign-in page (password, or the identity provider)",
            include_in_schema=False)
def sign_in_form(request: Request, settings: SettingsDep, next: str = "/account") -> Response:
    return _sign_in_page(request, settings, next)


@router.post("/sign-in", include_in_schema=False)
def sign_in(request: Request, store: StoreDep, settings: SettingsDep,
            email: Annotated[str, Form(max_length=320)],
            password: Annotated[str, Form(max_length=1000)],
            csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/account"
            ) -> Response:
    check_csrf(request, csrf)
    key = throttle_key(email, _client(request))
    limited = throttle(store, settings, key)
    if limited.retry_after:
        minutes = -(-limited.retry_after // 60)
        return _sign_in_page(request, settings, next, status=429,
                             error=f"Too many failed sign-ins for this account from here: try "
                                   f"again in {minutes} minute{'s' if minutes > 1 else ''}.",
                             headers={"Retry-After": str(limited.retry_after)})
    person = check_password(store, settings, email, password)
    if person is None:
        record_failure(store, settings, key)
        log.info("sign-in refused", extra={"fields": {"method": "password"}})
        return _sign_in_page(request, settings, next, status=401,
                             error="The email or the password is wrong.")
    clear_failures(store, settings, key)
    sweep(store, settings)
    return _signed_in(request, RedirectResponse(_local(next), status_code=303), person,
                      "password")


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, store: StoreDep, settings: SettingsDep,
             csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        end_session(store, settings, session_id)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/sign-in/oidc", include_in_schema=False)
def sign_in_oidc(request: Request, store: StoreDep, settings: SettingsDep,
                 next: str = "/account") -> Response:
    if not oidc.configured(settings):
        raise HTTPException(404, "no identity provider is configured here (REGIONGRAPH_OIDC_*)")
    try:
        target = oidc.begin(store, settings, _callback(request))
    except oidc.SignInRefused as error:
        raise HTTPException(502, str(error)) from None
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, settings, NEXT_COOKIE, _local(next), max_age=900)
    return response


def _callback(request: Request) -> str:
    return str(request.url_for("sign_in_oidc_callback"))


@router.get("/sign-in/oidc/callback", include_in_schema=False)
def sign_in_oidc_callback(request: Request, store: StoreDep, settings: SettingsDep,
                          code: str = "", state: str = "", error: str = "") -> Response:
    if error:
        raise HTTPException(403, f"the identity provider did not sign you in ({error[:100]})")
    pending = take_pending(store, settings, state)
    if pending is None or not code:
        raise HTTPException(400, "this sign-in is unknown or too old: start again from the "
                                 "sign-in page")
    try:
        person = oidc.finish(store, settings, _callback(request), code, pending)
    except oidc.SignInRefused as refused:
        log.info("sign-in refused", extra={"fields": {"method": "oidc"}})
        raise HTTPException(403, str(refused)) from None
    response = RedirectResponse(_local(request.cookies.get(NEXT_COOKIE)), status_code=303)
    response.delete_cookie(NEXT_COOKIE, path="/")
    return _signed_in(request, response, person, "oidc")


# -- the account page ----------------------------------------------------------------


class TokenOut(BaseModel):
    id: str
    label: str
    scope: str
    created: str
    expires: str
    revoked: bool
    active: bool


def _token_out(info: TokenInfo) -> TokenOut:
    from regiongraph.clock import now

    return TokenOut(id=info.id, label=info.label, scope=info.scope,
                    created=info.created.isoformat(), expires=info.expires.isoformat(),
                    revoked=info.revoked, active=info.active(now()))


def account_summary(store: Store, settings: Settings, principal: Principal) -> dict:
    """Who the principal is and what they may see, in words and links (the JSON twin)."""
    from regiongraph.analysis.cache import cached_region

    region = cached_region(store, settings)
    memberships = [{"organization": m.organization, "organization_label":
                    region.label(m.organization), "role": m.role,
                    "role_label": region.label(m.role), "executive": m.executive}
                   for m in principal.memberships]
    if principal.alliance_steward:
        sees = ["everything in the store, for the whole alliance (sign-in secrets aside)"]
    else:
        sees = ["everything public"]
        for org in sorted({m["organization_label"] for m in memberships}):
            sees.append(f"{org}'s own datasets, at the access levels your role there allows")
        if memberships:
            sees.append("datasets that an agreement or approval in force shares with your "
                        "community or a project you take part in, for the actions it permits")
    return {"person": principal.person,
            "name": region.label(principal.person) if principal.person else None,
            "alliance_steward": principal.alliance_steward, "scope": principal.scope,
            "memberships": memberships, "sees": sees}


def _require_person(principal: Principal) -> str:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in, or send a personal API token: Authorization: "
                                 "Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    if principal.alliance_steward or principal.person is None:
        raise HTTPException(403, "the admin token is the alliance steward's account, which "
                                 "has no personal tokens: issue tokens to people with "
                                 "`regiongraph tokens create --person ...`")
    return principal.person


@router.get("/account", summary="Who you are, what you may see, and your API tokens")
def account(request: Request, store: StoreDep, settings: SettingsDep,
            principal: PrincipalDep) -> Response:
    media = negotiate(request, ["text/html", "application/json"])
    if principal.is_anonymous:
        if media == "text/html":
            return RedirectResponse("/sign-in?next=/account", status_code=303)
        _require_person(principal)
    summary = account_summary(store, settings, principal)
    tokens = [] if principal.alliance_steward or principal.person is None else \
        [_token_out(t) for t in list_tokens(store, settings, principal.person)]
    if media == "application/json":
        return JSONResponse({**summary, "tokens": [t.model_dump() for t in tokens]},
                            headers=NO_STORE)
    return _account_page(request, summary, tokens)


def _account_page(request: Request, summary: dict, tokens: list[TokenOut],
                  new_token: str | None = None, status: int = 200) -> Response:
    return form_page(request, "account.html", {
        "a": summary, "tokens": tokens, "new_token": new_token,
        "signed_in": session_principal(request) is not None,
        "alternates": [{"type": "application/json", "href": "/account?format=json"}]}, status)


@router.post("/account/tokens", include_in_schema=False)
def create_token_form(request: Request, store: StoreDep, settings: SettingsDep,
                      csrf: Annotated[str, Form()] = "",
                      label: Annotated[str, Form(max_length=100)] = "",
                      scope: Annotated[str, Form()] = "read",
                      days: Annotated[int, Form(ge=1, le=3660)] = 90) -> Response:
    principal = form_principal(request, csrf)
    person = _require_person(principal)
    try:
        token, _ = issue_token(store, settings, person, scope=scope, days=days, label=label)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    tokens = [_token_out(t) for t in list_tokens(store, settings, person)]
    return _account_page(request, account_summary(store, settings, principal), tokens,
                         new_token=token, status=201)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_form(token_id: str, request: Request, store: StoreDep, settings: SettingsDep,
                      csrf: Annotated[str, Form()] = "") -> Response:
    person = _require_person(form_principal(request, csrf))
    if not revoke_token(store, settings, person, token_id):
        raise HTTPException(404, f"you have no token {token_id}")
    return RedirectResponse("/account", status_code=303)


# -- the token API ---------------------------------------------------------------------


class TokenRequest(BaseModel):
    label: str = Field("", max_length=100)
    scope: str = "read"
    days: int = Field(90, ge=1, le=3660)


class TokenCreated(TokenOut):
    token: str
    """The token itself, shown this once: only a hash of it is kept."""


@router.get("/api/v1/account/tokens", response_model=list[TokenOut],
            summary="Your personal API tokens (never their secrets)")
def api_list_tokens(store: StoreDep, settings: SettingsDep, principal: PrincipalDep
                    ) -> list[TokenOut]:
    person = _require_person(principal)
    return [_token_out(t) for t in list_tokens(store, settings, person)]


@router.post("/api/v1/account/tokens", response_model=TokenCreated, status_code=201,
             summary="Create a personal API token; the response shows it once")
def api_create_token(body: TokenRequest, store: StoreDep, settings: SettingsDep,
                     principal: PrincipalDep) -> TokenCreated:
    person = _require_person(principal)
    if body.scope == "write" and not principal.may_write:
        raise HTTPException(403, "a read token cannot create a write token; sign in, or use "
                                 "a write token")
    try:
        token, info = issue_token(store, settings, person, scope=body.scope, days=body.days,
                                  label=body.label)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return TokenCreated(token=token, **_token_out(info).model_dump())


@router.delete("/api/v1/account/tokens/{token_id}", status_code=204,
               summary="Revoke one of your personal API tokens")
def api_revoke_token(token_id: str, store: StoreDep, settings: SettingsDep,
                     principal: PrincipalDep) -> Response:
    person = _require_person(principal)
    if not revoke_token(store, settings, person, token_id):
        raise HTTPException(404, f"you have no token {token_id}")
    return Response(status_code=204)
