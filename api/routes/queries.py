"""`/queries`: the named-query library as an API, one OpenAPI route per query.

Each `queries/*.rq` file becomes `GET /queries/{name}` with its own typed query
parameters in `/docs`, built from the file's header when the app is created (so a new
file is a new route with no code). Values are bound as RDF terms through pyoxigraph
substitutions (`regiongraph.sparql.library`), never spliced into the text. Results come
back exactly as from `/sparql` (same formats, limits, public view for anonymous users).
"""

import inspect
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from regiongraph.api.deps import SettingsDep, StoreDep
from regiongraph.api.routes.sparql import CORS, HTTPProblem, run_query

from regiongraph.iri import Minter
from regiongraph.sparql.library import NamedQuery, ParameterError, load_library

router = APIRouter(tags=["named queries"])

FORMAT_HELP = ("json, xml, csv, tsv for SELECT/ASK; ttl, nt, xml, jsonld for CONSTRUCT/DESCRIBE "
               "(default: from Accept)")


@router.get("/queries", summary="List the named queries with their parameters")
def list_queries(request: Request) -> JSONResponse:
    library = load_library()
    items = []
    for query in library.values():
        item = query.describe()
        item["url"] = str(request.url_for(_route_name(query.name)))
        item["sparql"] = query.text
        items.append(item)
    return JSONResponse({"count": len(items), "queries": items}, headers=CORS)


def _route_name(name: str) -> str:
    return "query_" + name.replace("-", "_")


def _signature(query: NamedQuery) -> inspect.Signature:
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("store", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=StoreDep),
        inspect.Parameter("settings", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=SettingsDep),
    ]
    for param in query.params:
        python_type = param.python_type()
        description = param.description or f"{param.type} value"
        description += f" (type {param.type}"
        description += f"; default {param.default})" if param.default is not None else ")"
        examples = [param.example] if param.example is not None else None
        annotation = Annotated[
            python_type | None,
            Query(description=description, examples=examples, alias=param.name),
        ]
        parameters.append(inspect.Parameter(
            "p_" + param.name.replace("-", "_"), inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation, default=None,
        ))
    parameters.append(inspect.Parameter(
        "format", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[str | None, Query(description=FORMAT_HELP)],
    ))
    return inspect.Signature(parameters)


def _make_endpoint(query: NamedQuery):
    names = {"p_" + p.name.replace("-", "_"): p.name for p in query.params}

    async def endpoint(request: Request, store, settings, **kwargs) -> Response:
        values: dict[str, str | None] = {}
        for key, value in kwargs.items():
            if key in names and value is not None:
                values[names[key]] = value.isoformat() if isinstance(value, date) else str(value)
        current = load_library().get(query.name, query)
        try:
            substitutions = current.bind(values, Minter(settings.base))
        except ParameterError as error:
            return HTTPProblem(400, str(error)).response()
        return await run_query(request, store, settings, text=current.text,
                               substitutions=substitutions, explicit_format=kwargs.get("format"))

    endpoint.__signature__ = _signature(query)  # FastAPI reads parameters from the signature
    endpoint.__name__ = _route_name(query.name)
    return endpoint


def _register() -> None:
    for query in load_library().values():
        router.add_api_route(
            f"/queries/{query.name}", _make_endpoint(query), methods=["GET"],
            name=_route_name(query.name), summary=query.summary,
            description=(query.description or query.summary)
            + f"\n\nQuery form: {query.form}. Source: `queries/{query.path.name}`.",
            response_class=Response,
            responses={200: {"content": {
                "application/sparql-results+json": {}, "application/sparql-results+xml": {},
                "text/csv": {}, "text/tab-separated-values": {}, "text/turtle": {},
            }}},
        )


_register()
