"""Pages with forms, for signed-in browsers: CSRF by double submit, and the session's
cookies. Every router with a form uses these, so the rules are written once."""

from fastapi import HTTPException, Request
from fastapi.responses import Response
from regiongraph.api.deps import CSRF_COOKIE, csrf_matches, csrf_token, session_principal
from regiongraph.api.templating import TEMPLATES

from regiongraph.accounts import Principal
from regiongraph.settings import Settings

NO_STORE = {"Cache-Control": "private, no-store", "Vary": "Cookie, Authorization"}


def secure_scheme(request: Request, settings: Settings) -> bool:
    """Secure cookies on https; uvicorn turns a trusted proxy's X-Forwarded-Proto into the
    request's scheme (its --forwarded-allow-ips), and `secure_cookies` forces them."""
    return request.url.scheme == "https" or settings.secure_cookies


def set_cookie(response: Response, request: Request, settings: Settings, name: str,
               value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure_scheme(request, settings), path="/")


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_matches(request, given):
        raise HTTPException(403, "the form's CSRF token is missing or does not match: reload "
                                 "the page and send the form again; nothing was changed")


def form_page(request: Request, template: str, context: dict, status: int = 200) -> Response:
    token = csrf_token(request)
    response = TEMPLATES.TemplateResponse(request, template, {**context, "csrf": token},
                                          status_code=status, headers=NO_STORE)
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(response, request, request.app.state.settings, CSRF_COOKIE, token)
    return response


def form_principal(request: Request, csrf: str) -> Principal:
    """The signed-in person sending a form: session cookie and the form's CSRF token."""
    check_csrf(request, csrf)
    principal = session_principal(request)
    if principal is None:
        raise HTTPException(401, "sign in first: your session has ended")
    return principal


