"""`/store`: the SPARQL 1.1 Graph Store HTTP Protocol.

`?default` names the default graph, `?graph=IRI` a named graph. The default graph is
the store's own default graph, not the union `/sparql` queries (so a GET reads back what a
PUT wrote); it always exists, empty or not. GET and HEAD are open
to anyone and read the same store the caller's SPARQL queries read (anonymous: the
public view, so a private graph answers 404 exactly like one that does not exist); PUT,
POST and DELETE need the admin token. Reads reuse the `/sparql` streaming path (a
CONSTRUCT with the graph bound as a term), so limits, formats and gzip are the same.
Every write goes through the one change path (`regiongraph.change.apply_change`): it is
journalled and the derived views (inferences, validation, search, public view) follow.
"""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, Variable
from regiongraph.api.deps import SettingsDep, StoreDep, is_admin
from regiongraph.api.routes.sparql import (
    CORS,
    HTTPProblem,
    principal_of,
    read_body,
    run_query,
    visible_store,
)
from starlette.concurrency import run_in_threadpool

from regiongraph.accounts.secrecy import is_secret
from regiongraph.iri import MANUAL_GRAPH, Minter
from regiongraph.settings import Settings
from regiongraph.sparql.graphstore import (
    UnsupportedMedia,
    UploadError,
    delete_graph,
    graph_exists,
    parse_upload,
    post_graph,
    put_graph,
)
from regiongraph.store import Store

router = APIRouter(tags=["graph store"])


def target_graph(request: Request, *, required: bool = True) -> tuple[bool, NamedNode | None]:
    """(given, graph): graph None means the default graph."""
    params = request.query_params
    graphs = params.getlist("graph")
    default = "default" in params
    if default and graphs:
        raise HTTPProblem(400, "give either ?default or ?graph=IRI, not both")
    if len(graphs) > 1:
        raise HTTPProblem(400, "give one ?graph=IRI")
    if graphs:
        try:
            return True, NamedNode(graphs[0])
        except ValueError as error:
            raise HTTPProblem(400, f"?graph={graphs[0]!r} is not an IRI: {error}") from None
    if default:
        return True, None
    if required:
        raise HTTPProblem(400, "name the graph: ?default or ?graph=IRI")
    return False, None


def _admin_problem(request: Request) -> HTTPProblem | None:
    if not request.headers.get("authorization"):
        return HTTPProblem(401, "writing graphs needs the admin token: Authorization: Bearer "
                                "<token>", {"WWW-Authenticate": "Bearer"})
    if not is_admin(request):
        return HTTPProblem(403, "the token given is not the admin token")
    return None


@router.head("/store", include_in_schema=False)
async def head_graph(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await read_graph(request, store, settings)


@router.get("/store", response_class=Response,
            summary="Read a graph (Turtle, N-Triples, RDF/XML, JSON-LD)")
async def read_graph(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        _, graph = target_graph(request)
        visible = await visible_store(store, settings, await principal_of(request))
        exists = await run_in_threadpool(graph_exists, visible, graph)
    except HTTPProblem as problem:
        return problem.response()
    if not exists and graph is not None:
        return HTTPProblem(404, f"graph <{graph.value}> does not exist (or is not visible to "
                                "you)").response()
    if graph is None:
        return await run_query(request, store, settings, text="CONSTRUCT WHERE { ?s ?p ?o }",
                               union=False, explicit_format=request.query_params.get("format"),
                               route="store")
    return await run_query(
        request, store, settings,
        text="CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
        substitutions={Variable("g"): graph}, explicit_format=request.query_params.get("format"),
        route="store",
    )


async def _write(request: Request, store: Store, settings: Settings, method: str) -> Response:
    problem = _admin_problem(request)
    if problem:
        return problem.response()
    try:
        given, graph = target_graph(request, required=method != "POST")
    except HTTPProblem as problem:
        return problem.response()
    if graph is not None and is_secret(settings.base, graph.value):
        return HTTPProblem(403, f"<{graph.value}> holds sign-in secrets: no route reads or "
                                "writes it; nothing was changed").response()
    created_iri = None
    if method == "POST" and not given:
        # POST to the store itself creates a new graph with a server-minted name (GSP 5.5).
        graph = Minter(settings.base).graph(MANUAL_GRAPH, uuid.uuid4().hex)
        created_iri = graph.value
    existed = await run_in_threadpool(graph_exists, store, graph)
    if method == "DELETE":
        if not existed:
            return HTTPProblem(404, "no such graph").response()
        return await _apply(store, settings, graph, lambda: delete_graph(store, graph),
                            Response(status_code=204, headers=CORS))
    try:
        body = await read_body(request, settings)
        media = (request.headers.get("content-type") or "").split(";")[0].strip() or None
        base = graph.value if graph is not None else str(request.url)
        triples = await run_in_threadpool(parse_upload, body, media, base_iri=base,
                                          limit=settings.max_request_bytes,
                                          json_depth=settings.max_json_depth)
    except HTTPProblem as problem:
        return problem.response()
    except UnsupportedMedia as error:
        return HTTPProblem(415, str(error)).response()
    except UploadError as error:
        return HTTPProblem(400, str(error)).response()
    writer = put_graph if method == "PUT" else post_graph
    headers = dict(CORS)
    status = 204
    if created_iri or not existed:
        status = 201
        if created_iri:
            headers["Location"] = str(request.url_for("read_graph").include_query_params(
                graph=created_iri))
    return await _apply(store, settings, graph, lambda: writer(store, graph, triples),
                        Response(status_code=status, headers=headers))


async def _apply(store: Store, settings: Settings, graph: NamedNode | None, write,
                 response: Response) -> Response:
    """Write through the one change path; the write stands even if a view cannot follow
    yet (the response says so, and the view follows on the next change)."""
    from regiongraph.change import apply_change
    from regiongraph.journal import DEFAULT_GRAPH

    def run() -> list[str]:
        write()
        return [graph.value if graph is not None else DEFAULT_GRAPH]

    applied = await run_in_threadpool(apply_change, store, settings, "graph-store", run)
    if applied.failures:
        response.headers["Regiongraph-Note"] = "written; not yet followed by: " + ", ".join(
            f"{view} ({why})" for view, why in sorted(applied.failures.items()))
    return response


@router.put("/store", response_class=Response, summary="Replace a graph (admin token)")
async def put_store(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await _write(request, store, settings, "PUT")


@router.post("/store", response_class=Response,
             summary="Add triples to a graph, or create a new graph (admin token)")
async def post_store(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await _write(request, store, settings, "POST")


@router.delete("/store", response_class=Response, summary="Delete a graph (admin token)")
async def delete_store(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await _write(request, store, settings, "DELETE")


@router.options("/store", include_in_schema=False)
async def store_preflight() -> Response:
    return Response(status_code=204, headers={
        **CORS,
        "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
    })
