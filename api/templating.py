"""One Jinja2 environment for every server-rendered page (autoescaped), and error pages."""

from http import HTTPStatus
from pathlib import Path

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.templating import Jinja2Templates
from regiongraph.api.negotiate import prefers_html
from starlette.exceptions import HTTPException
from starlette.responses import Response


def unread_notifications(request: Request) -> dict:
    """The navigation's unread count, for a browser with a session (no cookie, no query)."""
    from regiongraph.api.deps import SESSION_COOKIE, session_principal

    if not request.cookies.get(SESSION_COOKIE):
        return {}
    principal = session_principal(request)
    if principal is None or principal.person is None:
        return {}
    from regiongraph.notify.subscriptions import unread_count

    return {"unread": unread_count(request.app.state.store, request.app.state.settings,
                                   principal.person)}


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"),
                            context_processors=[unread_notifications])


async def error_page(request: Request, error: Exception) -> Response:
    """HTTP errors as a page for browsers, as `{"detail": ...}` JSON for everyone else.

    The page says what went wrong in the error's own words; it never echoes the URL, so a
    404 for a hidden dataset names nothing a 404 for a missing one would not.
    """
    assert isinstance(error, HTTPException)
    if not prefers_html(request):
        return await http_exception_handler(request, error)
    title = f"{error.status_code} {HTTPStatus(error.status_code).phrase}"
    detail = error.detail if isinstance(error.detail, str) else title
    return TEMPLATES.TemplateResponse(
        request, "error.html", {"title": title, "detail": detail, "status": error.status_code},
        status_code=error.status_code, headers=getattr(error, "headers", None))
