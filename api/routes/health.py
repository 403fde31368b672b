"""Probes: `/health` (alive; touches nothing) and `/ready` (the store answers and every
derived view has caught up with the store version)."""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from regiongraph.api.deps import SettingsDep, StoreDep

from regiongraph import __version__, observe

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str
    store: str
    version: str


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """Liveness: answered without asking the store (its size is in `/metrics`)."""
    return Health(status="ok", store=store.description, version=__version__)


@router.get("/ready", responses={503: {"description": "the store does not answer, or views lag"}})
async def ready(store: StoreDep, settings: SettingsDep) -> JSONResponse:
    """200 when the store answers and every derived view is at the store version; else 503
    with the lagging views (or why the store did not answer)."""
    state = await run_in_threadpool(observe.readiness, store, settings)
    return JSONResponse(state.as_json(), status_code=200 if state.ready else 503)
