"""The middleware that times and counts every request, logs it, and tags it with an id.

Pure ASGI (not `BaseHTTPMiddleware`), so streamed SPARQL results pass through untouched;
the time covers the whole body. Requests are labelled by the route template that
answered (`/datasets/{community}/{slug}`), never by the raw path: a scanner walking
random URLs adds one `unmatched` label, not one per URL.
"""

import time

from regiongraph import observe


class ObserveMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = observe.request_id(given.decode("latin-1"))
        token = observe.REQUEST_ID.set(rid)
        started, status = time.perf_counter(), 500

        async def tagged(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            observe.request_done(scope["method"], route_template(scope), status,
                                 time.perf_counter() - started, scope.get("path", ""))
            observe.REQUEST_ID.reset(token)


def route_template(scope) -> str:
    """The template of the route that answered; a mount's prefix; else `unmatched`."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    if "endpoint" in scope:  # a mounted app (static files) matched
        return scope.get("root_path", "").rstrip("/") + "/{path}"
    return "unmatched"
