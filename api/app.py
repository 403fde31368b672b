"""`create_app(settings)`: one FastAPI app, one store, every router in `routes/`.

Routers are discovered, so a new concern adds `routes/<name>.py` with a `router`
and nothing here changes. The store opens with the app and closes with it.
"""

import pkgutil
from contextlib import asynccontextmanager
from importlib import import_module
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from regiongraph.api.body import BodyLimits
from regiongraph.api.observe import ObserveMiddleware

from regiongraph import __version__
from regiongraph.change import catch_up_in_background
from regiongraph.exports.serializer import prime_datajson
from regiongraph.notify.loop import start_delivery_loop
from regiongraph.observe import store_opened
from regiongraph.settings import Settings
from regiongraph.sparql.workers import prime as prime_queries
from regiongraph.sparql.workers import stop as stop_queries
from regiongraph.store import Store, StoreBusyError, open_store, served


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               warm: bool | None = None) -> FastAPI:
    """Build the service; pass `store` to share an already open one (tests, CLI).

    `warm`: encode the export objects at start (`prime_datajson`), as a server does; by
    default only when the app opens its own store (a store handed in is a test's or a
    tool's, which asks for what it reads)."""
    settings = settings or Settings()
    warm = store is None if warm is None else warm

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.store = store if store is not None else open_store(settings)
        served(app.state.store)
        store_opened(app.state.store, settings)
        catching_up = catch_up_in_background(app.state.store, settings)
        prime_queries(app.state.store, settings)
        stop_priming = prime_datajson(app.state.store, settings, after=catching_up) \
            if warm else (lambda: None)
        stop_delivery = start_delivery_loop(app.state.store, settings)
        try:
            yield
        finally:
            stop_delivery()
            catching_up.join(timeout=30)  # not closed under its feet (a long catch-up aside)
            stop_priming()
            from regiongraph.audit import flush

            flush(app.state.store)  # the audit's pending records, before closing
            stop_queries(app.state.store)
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="regiongraph",
        version=__version__,
        description="A knowledge graph of a region's public-sector data assets.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(BodyLimits, timeout=settings.body_timeout,
                       json_cap=settings.max_request_bytes,
                       own_json_errors=("/api/3/action/", "/api/action/"))
    app.add_middleware(ObserveMiddleware)  # outermost: times and tags every request
    _add_site_handlers(app)
    for router in _routers():
        app.include_router(router)
    _mount_assets(app)
    _docs_routes(app)
    return app


# URL prefix → folder under node_modules; only the files regiongraph.paths.NPM_FILES lists
# from these front-end builds are served.
NPM_ASSETS = {
    "/assets/yasgui": "@zazuko/yasgui/build",
    "/assets/cytoscape": "cytoscape/dist",
    "/assets/swagger-ui": "swagger-ui-dist",
    "/assets/redoc": "redoc/bundles",
    "/assets/leaflet/images": "leaflet/dist/images",
    "/assets/leaflet": "leaflet/dist",
    "/assets/markercluster": "leaflet.markercluster/dist",
}


def _mount_assets(app: FastAPI) -> None:
    from regiongraph.paths import NPM_FILES, npm_path

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for prefix, folder in NPM_ASSETS.items():
        directory = npm_path() / folder
        if directory.is_dir():
            app.mount(prefix, ListedFiles(directory, NPM_FILES[folder]), name=prefix.strip("/"))


class ListedFiles(StaticFiles):
    """Static files limited to a list, so a checkout serves exactly what a wheel carries."""

    def __init__(self, directory: Path, names: tuple[str, ...]) -> None:
        super().__init__(directory=directory)
        self.names = frozenset(names)

    def lookup_path(self, path: str):
        return super().lookup_path(path) if path in self.names else ("", None)


# The docs pages may load nothing from another host: ReDoc's sidebar would otherwise fetch
# its "API docs by Redocly" logo from cdn.redoc.ly (hard-coded, no option turns it off).
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "worker-src 'self' blob:; connect-src 'self'")


def _docs_routes(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc served from /assets, not FastAPI's default CDN."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    openapi_url = app.openapi_url or "/openapi.json"
    favicon = "/assets/swagger-ui/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url="/assets/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/assets/swagger-ui/swagger-ui.css",
            swagger_favicon_url=favicon,
            # no badge fetched from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None})
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url="/assets/redoc/redoc.standalone.js",
                              redoc_favicon_url=favicon, with_google_fonts=False)
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page


def _routers():
    from regiongraph.api import routes

    found = []
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        loaded = import_module(f"{routes.__name__}.{module.name}")
        if hasattr(loaded, "router"):
            found.append(loaded.router)
    return found


async def _store_busy(_request, error: Exception):
    """A write that waited too long for the store (a bulk load held it): try again soon."""
    from fastapi.responses import PlainTextResponse

    return PlainTextResponse(f"{error}\n", status_code=503, headers={"Retry-After": "5"})


def _add_site_handlers(app: FastAPI) -> None:
    """Error pages for browsers (JSON errors for API clients) and the favicon."""
    from pathlib import Path

    from fastapi.responses import FileResponse
    from regiongraph.api.templating import error_page
    from starlette.exceptions import HTTPException

    app.add_exception_handler(HTTPException, error_page)
    app.add_exception_handler(StoreBusyError, _store_busy)
    icon = Path(__file__).parent / "static" / "favicon.ico"

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(icon, media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})
