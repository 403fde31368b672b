"""Every request body, whichever route reads it: a time limit and no content coding.

Uvicorn waits for a body as long as the client keeps the connection open, so a client
trickling one byte a second holds a worker for as long as it likes. This middleware
wraps the ASGI `receive` of every request: the whole body must arrive within
`REGIONGRAPH_BODY_TIMEOUT` seconds of the first read, or the request is answered 408
and the connection closed. A body sent with a `Content-Encoding` other than `identity`
is refused with 415 before anything reads it: no route decodes gzip or deflate, so such
a body would otherwise be parsed as if it were plain (or, compressed, as garbage).
"""

import asyncio
import time

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTimeout(Exception):
    """The body did not arrive within the time limit."""


class BodyLimits:
    def __init__(self, app: ASGIApp, *, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = _header(scope, b"content-encoding")
        if coding and coding.strip().lower() != "identity":
            await _answer(scope, receive, send, 415,
                          f"Content-Encoding {coding!r} is not accepted: send the body "
                          "uncompressed")
            return
        started = False
        deadline: float | None = None

        async def timed_receive() -> Message:
            nonlocal deadline
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            try:
                return await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise BodyTimeout() from None

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, watched_send)
        except BodyTimeout:
            if not started:
                await _answer(scope, receive, send, 408,
                              f"the request body did not arrive within {self.timeout:g} s "
                              "(REGIONGRAPH_BODY_TIMEOUT)", close=True)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                  *, close: bool = False) -> None:
    headers = {"Connection": "close"} if close else None
    response = PlainTextResponse(message + "\n", status_code=status, headers=headers)
    await response(scope, receive, send)
