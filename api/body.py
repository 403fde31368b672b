"""Every request body, whichever route reads it: a time limit and no content coding.

Uvicorn waits for a body as long as the client keeps the connection open, so a client
trickling one byte a second holds a worker for as long as it likes. This middleware
wraps the ASGI `receive` of every request: the whole body must arrive within
`REGIONGRAPH_BODY_TIMEOUT` seconds of the first read, or the request is answered 408
and the connection closed. A body sent with a `Content-Encoding` other than `identity`
is refused with 415 before anything reads it: no route decodes gzip or deflate, so such
a body would otherwise be parsed as if it were plain (or, compressed, as garbage).

A JSON body (`application/json`, `*+json`) whose strings hold a lone UTF-16 surrogate
(`"\\ud800"`: valid JSON, not text) is refused with 400 (`{"detail": ...}`) here, for
every route at once but the CKAN API, which refuses it itself in CKAN's error envelope:
the routes that take a model let pydantic accept it, and it failed later, in the store
or in echoing it back (a 500). Only a body that may hold one is parsed here
(`limits.load_json`'s own test); bodies over `REGIONGRAPH_MAX_REQUEST_BYTES` are passed
on unread for the route's own limit to refuse.
"""

import asyncio
import time

from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regiongraph.limits import lone_surrogate


class BodyTimeout(Exception):
    """The body did not arrive within the time limit."""


class BodyLimits:
    def __init__(self, app: ASGIApp, *, timeout: float, json_cap: int,
                 own_json_errors: tuple[str, ...] = ()) -> None:
        self.app = app
        self.timeout = timeout
        self.json_cap = json_cap
        self.own_json_errors = own_json_errors
        """Path prefixes whose routes refuse such JSON themselves, in their own error format
        (the CKAN API's envelope)."""

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
        body_done = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done
            if body_done:
                # Past the body only a disconnect comes, which a streaming response waits
                # for as long as it streams: timed too, it cut /data.json at 100k datasets
                # (66 s) 15 s into the stream.
                return await receive()
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            try:
                message = await asyncio.wait_for(receive(),
                                                 max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise BodyTimeout() from None
            body_done = message["type"] != "http.request" or not message.get("more_body")
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            app_receive: Receive = timed_receive
            if _is_json(_header(scope, b"content-type")) and \
                    not scope["path"].startswith(self.own_json_errors):
                messages, whole = await _read(timed_receive, self.json_cap)
                found = lone_surrogate(b"".join(m.get("body", b"") for m in messages),
                                       "the JSON body") if whole else None
                if found:
                    await JSONResponse({"detail": found}, status_code=400)(scope, receive, send)
                    return
                app_receive = _replay(messages, timed_receive)
            await self.app(scope, app_receive, watched_send)
        except BodyTimeout:
            if not started:
                await _answer(scope, receive, send, 408,
                              f"the request body did not arrive within {self.timeout:g} s "
                              "(REGIONGRAPH_BODY_TIMEOUT)", close=True)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _read(receive: Receive, cap: int) -> tuple[list[Message], bool]:
    """The body's messages, up to `cap` bytes; True when that is the whole body."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, size <= cap
        if size > cap:
            return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the messages already read, then reads on."""
    waiting = list(messages)

    async def replay() -> Message:
        return waiting.pop(0) if waiting else await receive()

    return replay


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
