"""`create_app(settings)`: one FastAPI app, one store, every router in `routes/`.

Routers are discovered, so a new concern adds `routes/<name>.py` with a `router`
and nothing here changes. The store opens with the app and closes with it.
"""

import pkgutil
from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from regiongraph import __version__
from regiongraph.settings import Settings
from regiongraph.store import Store, open_store


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the service; pass `store` to share an already open one (tests, CLI)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.store = store if store is not None else open_store(settings)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="regiongraph",
        version=__version__,
        description="A knowledge graph of a region's public-sector data assets.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    _add_site_handlers(app)
    for router in _routers():
        app.include_router(router)
    _mount_assets(app)
    return app


# URL prefix → folder under node_modules; only these front-end builds are served.
NPM_ASSETS = {"/assets/yasgui": "@zazuko/yasgui/build", "/assets/cytoscape": "cytoscape/dist"}


def _mount_assets(app: FastAPI) -> None:
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from regiongraph.paths import npm_path

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for prefix, folder in NPM_ASSETS.items():
        directory = npm_path() / folder
        if directory.is_dir():
            app.mount(prefix, StaticFiles(directory=directory), name=prefix.strip("/"))


def _routers():
    from regiongraph.api import routes

    found = []
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        loaded = import_module(f"{routes.__name__}.{module.name}")
        if hasattr(loaded, "router"):
            found.append(loaded.router)
    return found


def _add_site_handlers(app: FastAPI) -> None:
    """Error pages for browsers (JSON errors for API clients) and the favicon."""
    from pathlib import Path

    from fastapi.responses import FileResponse
    from regiongraph.api.templating import error_page
    from starlette.exceptions import HTTPException

    app.add_exception_handler(HTTPException, error_page)
    icon = Path(__file__).parent / "static" / "favicon.ico"

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(icon, media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})
