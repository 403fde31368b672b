"""One Jinja2 environment for every server-rendered page (autoescaped), and error pages."""

from http import HTTPStatus
from pathlib import Path

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.templating import Jinja2Templates
from regiongraph.api.negotiate import prefers_html
from starlette.exceptions import HTTPException
from starlette.responses import Response

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


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
