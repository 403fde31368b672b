"""`/sparql`: the SPARQL 1.1 Protocol (query and update), for researchers and their tools.

The route only parses the request the way the protocol says (GET, POST form, POST
direct; dataset parameters; the status codes the W3C protocol tests expect) and hands
the text to the kernel (`regiongraph.sparql`). Who asks decides which store answers:
anonymous requests run against the public view (a separate store of public quads, see
`regiongraph.sparql.public`), requests with the admin token against the full store.

Every query on a pyoxigraph store (the embedded store, and every public or member view)
runs in a process of its own, killed at the deadline (`regiongraph.sparql.workers`); the
steward's queries to a remote store run in a worker thread. Either way results stream
through a bounded channel, so memory stays bounded whatever the result size, and the time
limit is enforced from the event loop: a client gets its error at the deadline even while
pyoxigraph is still computing.
"""

import asyncio
import queue
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from regiongraph.api.deps import SettingsDep, StoreDep, current_principal, is_admin
from regiongraph.api.negotiate import ALIASES, choose, parse_accept
from starlette.concurrency import run_in_threadpool

from regiongraph import observe
from regiongraph.accounts import Principal
from regiongraph.accounts.secrecy import check_update_secrecy
from regiongraph.limits import LimitExceeded
from regiongraph.membership import audited
from regiongraph.settings import Settings
from regiongraph.sparql.execute import (
    Cancelled,
    Output,
    QueryJob,
    QuerySyntaxError,
    QueryTimeout,
    base_prefix,
    evaluate,
    produce,
    syntax_message,
)
from regiongraph.sparql.guard import DatasetConflict, OperationRefused, check_update, with_using
from regiongraph.sparql.member import reader_of, view_for
from regiongraph.sparql.update import apply_update
from regiongraph.sparql.workers import RunningQuery, for_store, isolated
from regiongraph.sparql_results import GRAPH_FORMATS, RESULT_FORMATS, ResultFormat
from regiongraph.store import Store

router = APIRouter(tags=["sparql"])

QUERY_WORKERS = 32
"""The steward's queries to a remote store sent at once (each waits on HTTP; queries on a
pyoxigraph store run in processes instead, `regiongraph.sparql.workers`)."""
EXECUTOR = ThreadPoolExecutor(max_workers=QUERY_WORKERS, thread_name_prefix="sparql")
CHUNK = 64 * 1024
GRAPH_OFFERS = [f for f in GRAPH_FORMATS if f.name != "nq"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Regiongraph-Note, Regiongraph-Truncated, Content-Type",
}
FORM = "application/x-www-form-urlencoded"
QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"


class HTTPProblem(Exception):
    """An error answer: status, a plain-text message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return PlainTextResponse(self.message + "\n", status_code=self.status,
                                 headers={**CORS, **self.headers})


# -- requests -------------------------------------------------------------------


def _media(request: Request) -> tuple[str | None, dict[str, str]]:
    header = request.headers.get("content-type")
    if not header:
        return None, {}
    parts = [p.strip() for p in header.split(";")]
    params = {}
    for part in parts[1:]:
        if "=" in part:
            key, value = part.split("=", 1)
            params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


async def read_body(request: Request, settings: Settings) -> bytes:
    """The request body, refused with 413 beyond `max_request_bytes` (before reading it all)."""
    cap = settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise HTTPProblem(413, f"the request body is larger than the limit of {cap} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise HTTPProblem(413, f"the request body is larger than the limit of {cap} bytes")
    return bytes(body)


def _utf8(body: bytes, params: dict[str, str], what: str) -> str:
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPProblem(415, f"{what} must be UTF-8 (the request says charset={charset})")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPProblem(400, f"{what} is not valid UTF-8: {error}") from None


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise HTTPProblem(400, f"the request has {len(values)} '{name}' parameters; send one")
    return values[0] if values else None


class Operation:
    """A parsed protocol request: a query or an update, with its dataset parameters."""

    def __init__(self, pairs: list[tuple[str, str]], body_text: str | None = None,
                 body_kind: str | None = None) -> None:
        def get(name: str) -> list[str]:
            return [v for k, v in pairs if k == name]

        queries, updates = get("query"), get("update")
        if body_kind == "query":
            queries.append(body_text or "")
        if body_kind == "update":
            updates.append(body_text or "")
        self.query = _single(queries, "query")
        self.update = _single(updates, "update")
        if self.query is not None and self.update is not None:
            raise HTTPProblem(400, "a request carries either a query or an update, not both")
        self.default_graphs = get("default-graph-uri")
        self.named_graphs = get("named-graph-uri")
        self.using = get("using-graph-uri")
        self.using_named = get("using-named-graph-uri")
        # SPARQLWrapper repeats its format in all three, some twice (a name, a media type)
        self.formats = [*get("format"), *get("output"), *get("results")]
        if self.query is not None and (self.using or self.using_named):
            raise HTTPProblem(400, "using-graph-uri parameters belong to updates; queries take "
                                   "default-graph-uri and named-graph-uri")
        if self.update is not None and (self.default_graphs or self.named_graphs):
            raise HTTPProblem(400, "default-graph-uri parameters belong to queries; updates "
                                   "take using-graph-uri and using-named-graph-uri")


async def parse_post(request: Request, settings: Settings) -> Operation:
    media, params = _media(request)
    url_pairs = list(request.query_params.multi_items())
    if media is None:
        raise HTTPProblem(415, f"a POST needs a Content-Type: {FORM}, {QUERY_MEDIA} or "
                               f"{UPDATE_MEDIA}")
    if media not in (FORM, QUERY_MEDIA, UPDATE_MEDIA):
        raise HTTPProblem(415, f"Content-Type {media} is not one of {FORM}, {QUERY_MEDIA}, "
                               f"{UPDATE_MEDIA}")
    body = await read_body(request, settings)
    if media == FORM:
        text = _utf8(body, params, "the form body")
        try:
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise HTTPProblem(400, f"the form body is not UTF-8 once decoded: {error}") from None
        return Operation(url_pairs + pairs)
    kind = "query" if media == QUERY_MEDIA else "update"
    text = _utf8(body, params, f"the {kind}")
    if any(k in ("query", "update") for k, _ in url_pairs):
        raise HTTPProblem(400, f"a direct POST carries the {kind} in its body; the URL has "
                               "another query or update")
    return Operation(url_pairs, text, kind)


# -- negotiation -------------------------------------------------------------------


def _named_format(value: str, table: list[ResultFormat], *, graph: bool) -> ResultFormat | None:
    """The format a `format=` value names (short name, alias or media type), if served."""
    wanted = value.strip().lower()
    for candidate in (wanted, ALIASES.get(wanted), "text/turtle" if wanted == "n3" else None):
        for fmt in table:
            if candidate in (fmt.name, fmt.media_type, *fmt.also):
                return fmt
    if graph and wanted == "json":
        return next(f for f in table if f.name == "jsonld")
    return None


def explicit_format(values: list[str], *, graph: bool) -> ResultFormat | None:
    """The format named by `format`/`output`/`results` values; None if none was given.

    Clients repeat these (SPARQLWrapper sends `rdf+xml` and `application/rdf+xml`, and a
    value may list several media types): the first value this server can serve wins,
    values it cannot serve are passed over, and two that name different served formats
    are a 400 rather than a guess.
    """
    table = GRAPH_OFFERS if graph else RESULT_FORMATS
    named: list[tuple[str, ResultFormat]] = []
    for value in values:
        for item in value.split(","):  # a value may list media types, like Accept
            fmt = _named_format(item, table, graph=graph) if item.strip() else None
            if fmt is not None:
                named.append((item.strip(), fmt))
                break
    given = [v for v in values if v.strip()]
    if not named:
        if not given:
            return None
        kind = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
        asked = ", ".join(repr(v) for v in dict.fromkeys(given))
        names = ", ".join(f.name for f in table)
        raise HTTPProblem(406, f"format {asked} does not fit a {kind} result; use {names}")
    first_value, first = named[0]
    for value, fmt in named[1:]:
        if fmt is not first:
            raise HTTPProblem(400, f"the request asks for two result formats, {first_value!r} "
                                   f"({first.media_type}) and {value!r} ({fmt.media_type}); "
                                   "send one")
    return first


def choose_format(request: Request, explicit: list[str] | str | None, *,
                  graph: bool) -> ResultFormat:
    """A result format from `format=` values (names or media types) or Accept; 406 if none fits."""
    table = GRAPH_OFFERS if graph else RESULT_FORMATS
    kind = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
    values = [explicit] if isinstance(explicit, str) else list(explicit or [])
    named = explicit_format(values, graph=graph)
    if named is not None:
        return named
    accept = request.headers.get("accept")
    if not accept:
        return table[0]
    for media_range, q in parse_accept(accept):
        if q <= 0:
            continue
        for fmt in table:
            for media in (fmt.media_type, *fmt.also):
                if media_range in ("*/*", "*", media) or (
                    media_range.endswith("/*") and media.split("/")[0] == media_range[:-2]
                ):
                    return fmt
    offered = ", ".join(f.media_type for f in table)
    raise HTTPProblem(406, f"none of {accept!r} fits a {kind} result; offered: {offered}")


def _content_type(fmt: ResultFormat) -> str:
    if fmt.media_type.startswith("text/") or fmt.media_type.endswith(("json", "xml")):
        return f"{fmt.media_type}; charset=utf-8"
    return fmt.media_type


# -- running queries ------------------------------------------------------------------


class QueueOutput(Output):
    """Both ends of the stream: the worker puts chunks, the event loop takes them.

    A thread-safe queue of bounded size gives backpressure (the worker waits while the
    client is slow: bounded memory); the loop is woken with `call_soon_threadsafe`, never
    waited for, so a small result costs one wake-up instead of a round trip per item
    (measured: each round trip costs milliseconds on a loaded 2-core machine).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, deadline: float, timeout: float) -> None:
        self.loop, self.deadline, self.timeout = loop, deadline, timeout
        self.items: queue.Queue = queue.Queue(maxsize=8)
        self.ready = asyncio.Event()
        self.buffer = bytearray()
        self.cancelled = False

    # worker side ---------------------------------------------------------------------

    def _put(self, item: tuple) -> None:
        give_up = max(self.deadline, time.monotonic()) + 5.0
        while True:
            if self.cancelled:
                raise Cancelled()
            try:
                self.items.put(item, timeout=0.2)
                break
            except queue.Full:
                if time.monotonic() > give_up:  # the client stopped reading
                    self.cancelled = True
                    raise Cancelled() from None
        try:
            self.loop.call_soon_threadsafe(self.ready.set)
        except RuntimeError:  # the loop is gone (server shutting down)
            self.cancelled = True

    def start(self, note: str | None) -> None:
        self._put(("start", note))

    def write(self, data: bytes) -> int:
        if self.cancelled:
            raise Cancelled()
        if time.monotonic() > self.deadline:
            raise QueryTimeout(f"the query ran longer than the time limit of {self.timeout:g} s "
                               "and was stopped")
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self._put(("data", bytes(self.buffer)))
            self.buffer.clear()
        return len(data)

    def finish(self, rows: int | None = None) -> None:
        if self.buffer:
            self._put(("data", bytes(self.buffer)))
            self.buffer.clear()
        self._put(("end", rows))

    def fail(self, error: BaseException) -> None:
        if not self.cancelled:
            try:
                self._put(("error", error))
            except Cancelled:
                pass

    # loop side -------------------------------------------------------------------------

    async def get(self, timeout: float) -> tuple:
        """The next item; TimeoutError after `timeout` seconds without one."""
        while True:
            try:
                return self.items.get_nowait()
            except queue.Empty:
                pass
            self.ready.clear()
            try:  # an item may have come between the first look and the clear
                return self.items.get_nowait()
            except queue.Empty:
                pass
            await asyncio.wait_for(self.ready.wait(), timeout)

    async def stopped(self) -> bool:
        """Stop as far as a thread can be: pyoxigraph computing its first row runs on (False)."""
        self.cancel()
        return False

    def cancel(self) -> None:
        """The consumer is gone: stop the worker and unblock a pending put."""
        self.cancelled = True
        while True:
            try:
                self.items.get_nowait()
            except queue.Empty:
                return


def _without_frames(error: BaseException) -> BaseException:
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return error


# What pyoxigraph reports as a bare RuntimeError but the request itself caused: an
# unknown function, a graph an update names that is missing (DROP, MOVE, CLEAR without
# SILENT) or already there (CREATE). The request is at fault: a 400, not a 500.
REQUEST_FAULTS = re.compile(r"^The custom function <[^>]*> is not supported|"
                            r"^The graph <[^>]*> (does not exist|already exists)")


# A snapshot that lost a table file to the writer's compaction between the query helper's
# check (`EmbeddedStore.outdated`) and the query's read: the helper reopens it for the
# next query, so asking again succeeds. Not the request's fault, nor a broken store.
SNAPSHOT_LOST_A_FILE = "IO error: No such file or directory"
SNAPSHOT_ATTEMPTS = 3


def request_fault(error: BaseException) -> bool:
    return isinstance(error, RuntimeError) and bool(REQUEST_FAULTS.match(str(error)))


def problem_for(error: BaseException, timeout: float) -> HTTPProblem:
    if isinstance(error, HTTPProblem):
        return error
    if request_fault(error):
        return HTTPProblem(400, f"{error}")
    if isinstance(error, (QuerySyntaxError, OperationRefused, DatasetConflict, LimitExceeded)):
        return HTTPProblem(400, str(error))
    if isinstance(error, SyntaxError):
        return HTTPProblem(400, f"syntax: {error}")
    if isinstance(error, QueryTimeout):
        return HTTPProblem(503, str(error), {"Retry-After": "1"})
    if SNAPSHOT_LOST_A_FILE in str(error):
        return HTTPProblem(503, "the store was compacting under this query's snapshot; "
                                "ask again", {"Retry-After": "1"})
    if isinstance(error, ValueError):
        return HTTPProblem(400, str(error))
    if isinstance(error, ModuleNotFoundError):
        return HTTPProblem(503, "the public view is not available on this server "
                                f"({error}); nothing is shown anonymously")
    return HTTPProblem(500, f"the query failed: {type(error).__name__}: {error}")


def endpoint_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/sparql"


async def principal_of(request: Request) -> Principal:
    """Who the request acts as (`api.deps.current_principal`), a bad token as a 401."""
    try:
        return await run_in_threadpool(current_principal, request)
    except HTTPException as error:
        raise HTTPProblem(error.status_code, str(error.detail), dict(error.headers or {})
                          ) from None


async def visible_store(store: Store, settings: Settings, principal: Principal) -> Store:
    """The store a caller may query (`regiongraph.sparql.member.view_for`): all of it for
    the alliance steward, a member tier's view, else the public view."""
    try:
        return await run_in_threadpool(view_for, store, settings, principal)
    except ModuleNotFoundError as error:
        raise problem_for(error, settings.query_timeout) from None


class DatasetsSeen:
    """The dataset IRIs a streamed answer names, gathered chunk by chunk (an IRI cut
    between two chunks is read whole from the carried tail), for the audit."""

    def __init__(self, base: str) -> None:
        self.pattern = re.compile(re.escape(base + "datasets/").encode()
                                  + rb"[^\s\"'<>,|{}\\^`]+")
        self.found: set[str] = set()
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        text = self.tail + chunk
        self.found.update(m.group().decode(errors="replace") for m in self.pattern.finditer(text))
        self.tail = text[-400:]


def run_in_thread(store: Store, job: QueryJob, fmt: ResultFormat, cap: int | None,
                  deadline: float, timeout: float) -> QueueOutput:
    """Run `job` in a worker thread (the steward's queries a remote server answers: the work
    is the remote server's, nothing to kill here)."""
    loop = asyncio.get_running_loop()
    out = QueueOutput(loop, deadline, timeout)

    def work() -> None:
        failure: BaseException | None = None
        try:
            results = evaluate(store, job)
            out.finish(produce(results, fmt, out, cap=cap, deadline=deadline, timeout=timeout))
        except Cancelled:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the loop, which answers
            failure = error
        finally:
            # pyoxigraph result iterators must die on the thread that made them: drop them
            # here, and send the error on without the frames (tracebacks) that hold them.
            results = None
        if failure is not None:
            out.fail(_without_frames(failure))

    loop.run_in_executor(EXECUTOR, work)
    return out


def client_of(request: Request, principal: Principal) -> str | None:
    """Who holds a query process (`REGIONGRAPH_QUERY_WORKERS_PER_CLIENT`): the person, or
    an anonymous client's address; None (no per-client limit) for the admin token."""
    if principal.alliance_steward:
        return None
    return principal.person or (request.client.host if request.client else "unknown")


async def start_query(request: Request, store: Store, settings: Settings, principal: Principal,
                      job: QueryJob, fmt: ResultFormat, deadline: float
                      ) -> QueueOutput | RunningQuery:
    """Start `job` on the store `principal` reads (`member.view_for`): in a process of its
    own, killed at the deadline, for every pyoxigraph store; in a thread otherwise."""
    timeout = settings.query_timeout
    cap = None if principal.alliance_steward else settings.anonymous_row_cap
    reader = reader_of(principal)
    if not isolated(store, reader):
        target = await visible_store(store, settings, principal)
        return run_in_thread(target, job, fmt, cap, deadline, timeout)
    assert job.info is not None
    return await for_store(store, settings).start(
        job, reader=reader, client=client_of(request, principal), fmt_name=fmt.name,
        graph=job.info.is_graph, cap=cap, deadline=deadline, timeout=timeout)


def server_timing(out: QueueOutput | RunningQuery, began: float) -> str:
    """`Server-Timing`: milliseconds waiting for a query process slot, handing its ticket to
    the zygote, forking it, and until the first result (all included; bench/bench_runaway.py
    reads them to tell where time goes)."""
    timing = {**getattr(out, "timing", {}), "first": time.monotonic() - began}
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in timing.items())


async def first_answer(request: Request, store: Store, settings: Settings,
                       principal: Principal, job: QueryJob, fmt: ResultFormat,
                       deadline: float) -> tuple[QueueOutput | RunningQuery, tuple]:
    """Start `job` and wait for its first item; QueryTimeout once its process has exited
    when none comes in time. A snapshot that lost a table file (SNAPSHOT_LOST_A_FILE) gets
    the query run again, up to twice and a moment apart: nothing is sent yet, and the
    helper reopens its snapshot for the next query, so the client gets its answer rather
    than "ask again" (the 60 s soak beside a harvest once saw two in a row)."""
    for attempt in range(1, SNAPSHOT_ATTEMPTS + 1):
        if attempt > 1:
            await asyncio.sleep(0.1 * attempt)  # the writer's compaction moves on meanwhile
        out = await start_query(request, store, settings, principal, job, fmt, deadline)
        try:
            first = await out.get(timeout=max(0.0, out.deadline - time.monotonic()))
        except TimeoutError:
            await out.stopped()  # the 503 goes once the query's process has exited
            raise QueryTimeout(f"the query ran longer than the time limit of "
                               f"{settings.query_timeout:g} s and was stopped") from None
        if attempt == SNAPSHOT_ATTEMPTS or first[0] != "error" \
                or SNAPSHOT_LOST_A_FILE not in str(first[1]):
            break
    return out, first


async def run_query(
    request: Request, store: Store, settings: Settings, *, text: str,
    default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
    substitutions: dict | None = None, explicit_format: list[str] | str | None = None,
    union: bool | None = None, route: str = "sparql",
) -> Response:
    """Answer one query: negotiate, run it (`start_query`), stream the body (shared with
    /queries and /store)."""
    timeout = settings.query_timeout
    began = time.monotonic()
    deadline = began + timeout
    try:
        principal = await principal_of(request)
        job = QueryJob(text, default_graphs=default_graphs or [], named_graphs=named_graphs or [],
                       substitutions=substitutions, base_iri=endpoint_url(request), union=union,
                       limits=settings.limits)
        assert job.info is not None
        fmt = choose_format(request, explicit_format, graph=job.info.is_graph)
        out, first = await first_answer(request, store, settings, principal, job, fmt, deadline)
    except (HTTPProblem, OperationRefused, LimitExceeded) as error:
        observe.sparql_query("error")
        return problem_for(error, timeout).response()
    except Exception as error:  # noqa: BLE001 - unreadable, not started or too slow: an answer
        observe.sparql_query(observe.query_outcome(error))
        return problem_for(error, timeout).response()
    # Every principal reads a view (never the store itself): the audit looks at what a
    # person was shown, and records what they see only as a member.
    seen = DatasetsSeen(settings.base) if principal.person else None
    deadline = out.deadline  # a process's time starts once its data is ready
    if first[0] == "error":
        observe.sparql_query(observe.query_outcome(first[1]))
        return problem_for(first[1], timeout).response()
    note = first[1]
    headers = dict(CORS)
    headers["Vary"] = "Accept, Authorization"
    headers["Server-Timing"] = server_timing(out, began)
    if note:
        headers["Regiongraph-Truncated"] = "true"
        headers["Regiongraph-Note"] = note
    media_type = _content_type(fmt)
    if request.method == "HEAD":
        out.cancel()
        return Response(status_code=200, media_type=media_type, headers=headers)

    async def body():
        try:
            while True:
                item = await out.get(timeout=max(0.0, deadline - time.monotonic()) + 5.0)
                if item[0] == "data":
                    if seen is not None:
                        seen.feed(item[1])
                    yield item[1]
                elif item[0] == "end":
                    observe.sparql_query("ok", item[1])
                    if seen is not None and seen.found:
                        await run_in_threadpool(audited, store, settings, principal,
                                                seen.found, route)
                    return
                else:
                    observe.sparql_query(observe.query_outcome(item[1]))
                    # Headers are gone: the only honest signal left is to break the stream.
                    raise RuntimeError(f"result stream stopped: {item[1]}")
        finally:
            out.cancel()

    return StreamingResponse(body(), media_type=media_type, headers=headers)


async def run_update(request: Request, store: Store, settings: Settings, op: Operation) -> Response:
    if not request.headers.get("authorization"):
        return HTTPProblem(401, "updates need the admin token: Authorization: Bearer <token>",
                           {"WWW-Authenticate": "Bearer"}).response()
    if not is_admin(request):
        return HTTPProblem(403, "the token given is not the admin token").response()
    assert op.update is not None
    try:
        check_update(op.update, settings.limits)
        text = with_using(op.update, op.using, op.using_named)
        prefix = base_prefix(text, endpoint_url(request))
        check_update_secrecy(prefix + text, settings)
    except (OperationRefused, DatasetConflict, ValueError) as error:
        return problem_for(error, settings.query_timeout).response()
    try:
        applied = await run_in_threadpool(apply_update, store, settings, prefix + text)
    except SyntaxError as error:
        return HTTPProblem(400, f"update syntax: {syntax_message(error, prefix)}").response()
    except Exception as error:  # noqa: BLE001 - any store error; one transaction, no change
        status = 400 if request_fault(error) else 500
        return HTTPProblem(status, f"the update failed and changed nothing: {error}").response()
    headers = dict(CORS)
    if applied.failures:
        headers["Regiongraph-Note"] = "updated; not yet followed by: " + ", ".join(
            sorted(applied.failures))
    return Response(status_code=204, headers=headers)


# -- routes -------------------------------------------------------------------------------


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if not accept:
        return False
    try:
        best = choose(accept, ["text/turtle", "text/html"])
    except HTTPException:
        return False
    return best == "text/html" and "text/html" in accept


SD_OFFERS = ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"]


async def service_answer(request: Request, store: Store, settings: Settings) -> Response:
    from pyoxigraph import RdfFormat, serialize

    from regiongraph.namespaces import PREFIXES
    from regiongraph.sparql.service import service_description

    if wants_html(request):
        return await yasgui_page(request, settings)
    try:
        explicit = request.query_params.get("format")
        media = choose(request.headers.get("accept"), SD_OFFERS, explicit)
    except HTTPException:
        return HTTPProblem(406, f"the service description is offered as {', '.join(SD_OFFERS)}"
                           ).response()
    try:
        principal = await principal_of(request)
        visible = await visible_store(store, settings, principal)
    except HTTPProblem as problem:
        return problem.response()
    triples = await run_in_threadpool(
        service_description, endpoint_url(request), visible,
        row_cap=None if principal.alliance_steward else settings.anonymous_row_cap, timeout=settings.query_timeout,
        update_allowed=bool(settings.admin_token),
    )
    fmt = RdfFormat.from_media_type(media)
    body = serialize(triples, format=fmt, prefixes={"sd": PREFIXES["sd"], "dct": PREFIXES["dct"]}
                     if fmt == RdfFormat.TURTLE else None)
    return Response(body, media_type=media, headers={**CORS, "Vary": "Accept"})


async def yasgui_page(request: Request, settings: Settings) -> Response:
    from regiongraph.api.templating import TEMPLATES

    from regiongraph.namespaces import PREFIXES
    from regiongraph.sparql.library import load_library

    library = await run_in_threadpool(load_library)
    examples = [{"name": q.name, "summary": q.summary, "text": q.text}
                for q in library.values()]
    prefixes = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
    start = prefixes + "\nSELECT ?dataset ?title WHERE {\n  ?dataset a dcat:Dataset ;\n" \
        "           dct:title ?title .\n}\nLIMIT 25\n"
    return TEMPLATES.TemplateResponse(request, "sparql.html", {
        "endpoint": endpoint_url(request), "start_query": start, "examples": examples,
        "prefixes": dict(PREFIXES), "row_cap": settings.anonymous_row_cap,
        "timeout": settings.query_timeout,
        "alternates": [{"type": "text/turtle", "href": "/sparql?format=ttl"}],
    })


@router.head("/sparql", include_in_schema=False)
async def sparql_head(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """HEAD: the headers a GET would give (the query runs until its first row)."""
    return await sparql_get(request, store, settings)


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query by GET; without a query: service description or YASGUI",
    response_class=Response,
)
async def sparql_get(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        pairs = list(request.query_params.multi_items())
        if any(k == "update" for k, _ in pairs):
            raise HTTPProblem(400, "updates are sent by POST (form or application/sparql-update), "
                                   "never by GET")
        op = Operation(pairs)
    except HTTPProblem as problem:
        return problem.response()
    if op.query is None:
        return await service_answer(request, store, settings)
    return await run_query(request, store, settings, text=op.query,
                           default_graphs=op.default_graphs, named_graphs=op.named_graphs,
                           explicit_format=op.formats)


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query or update by POST (form or direct); updates need the admin token",
    response_class=Response,
)
async def sparql_post(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        op = await parse_post(request, settings)
        if op.query is None and op.update is None:
            raise HTTPProblem(400, "the request has neither a query nor an update")
    except HTTPProblem as problem:
        return problem.response()
    if op.update is not None:
        return await run_update(request, store, settings, op)
    return await run_query(request, store, settings, text=op.query or "",
                           default_graphs=op.default_graphs, named_graphs=op.named_graphs,
                           explicit_format=op.formats)


@router.options("/sparql", include_in_schema=False)
async def sparql_preflight() -> Response:
    return Response(status_code=204, headers={
        **CORS,
        "Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
        "Access-Control-Max-Age": "86400",
    })


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    """W3C bad_query_method: other methods get 405 naming the ones that work."""
    return HTTPProblem(405, f"{request.method} is not a SPARQL protocol operation; use GET or "
                            "POST", {"Allow": "GET, HEAD, POST, OPTIONS"}).response()
