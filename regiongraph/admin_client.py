"""The CLI's way to the running server's admin routes (`api/routes/admin.py`).

A running `regiongraph serve` holds the embedded store, so a maintenance command started
beside it (`reindex`, `refresh`, a stored `validate`) sends its job there instead of
failing. The server is found at REGIONGRAPH_SERVER (default: where `serve` listens) and
asked with REGIONGRAPH_ADMIN_TOKEN. Before any job it checks that the server answering
holds the same store, so a wrong URL never rebuilds another store's views. Every way this
can go wrong is one line saying what to set.
"""

from typing import TypeVar

import httpx
from pydantic import BaseModel

from regiongraph.errors import RegiongraphError
from regiongraph.maintenance import ViewsReport, store_location
from regiongraph.settings import Settings

M = TypeVar("M", bound=BaseModel)
JOB_SECONDS = 3600.0
"""How long a job may take (a reindex of a large region takes minutes, not hours)."""


class ServerError(RegiongraphError):
    """The running server could not be asked, or refused."""


def ask_server(settings: Settings, path: str, answer: type[M], *,
               params: dict | None = None) -> M:
    """POST the admin job `path` to the running server holding `settings.store`."""
    url = settings.server_url
    held = f"the store at {settings.store} is held by another process"
    if not settings.admin_token:
        raise ServerError(f"{held}; to ask the server at {url} instead, set "
                          "REGIONGRAPH_ADMIN_TOKEN to its admin token (and REGIONGRAPH_SERVER "
                          "if it listens elsewhere)")
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    timeout = httpx.Timeout(10.0, read=JOB_SECONDS)
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=timeout) as client:
            views = ViewsReport.model_validate(_answer(client.get("/admin/views"), url))
            if views.store != store_location(settings):
                raise ServerError(f"the server at {url} holds {views.store}, not "
                                  f"{store_location(settings)}: set REGIONGRAPH_SERVER to the "
                                  f"server of {settings.store}")
            return answer.model_validate(_answer(client.post(path, params=params), url))
    except httpx.TransportError as error:
        raise ServerError(f"{held}, and no server answers at {url} ({type(error).__name__}): "
                          "set REGIONGRAPH_SERVER to the URL of the running `regiongraph serve`, "
                          "or stop the process holding the store") from None


def _answer(response: httpx.Response, url: str) -> dict:
    if response.status_code in (401, 403):
        raise ServerError(f"the server at {url} refused the admin token "
                          f"({response.status_code}): set REGIONGRAPH_ADMIN_TOKEN to the token "
                          "it was started with")
    if response.status_code != 200:
        raise ServerError(f"the server at {url} answered {response.status_code} to "
                          f"{response.request.method} {response.request.url.path}: "
                          f"{_detail(response)}")
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail", body) if isinstance(body, dict) else body)
