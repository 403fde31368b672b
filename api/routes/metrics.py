"""`/metrics`: Prometheus text exposition (see `regiongraph.observe` for what is in it)."""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from regiongraph.api.deps import SettingsDep, StoreDep

from regiongraph import observe

router = APIRouter(tags=["service"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(store: StoreDep, settings: SettingsDep) -> Response:
    """Counters of this process (requests, SPARQL, harvests) and the store's state."""
    body = await run_in_threadpool(observe.exposition, store, settings)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
