"""Maintenance through the running server, for stewards (admin token) only.

- `GET /admin/views`: each derived view's seen version against the store version, and its
  last failure to follow, if any.
- `POST /admin/refresh?view=search`: bring views (all without `view`) up to the store
  version, as `regiongraph refresh` does; a view that fails is named in `failures`.
- `POST /admin/reindex`: rebuild the search index whole (`regiongraph reindex`).
- `POST /admin/revalidate?today=YYYY-MM-DD`: validate the whole store and store the run
  as the current report (`regiongraph validate`).

The server holds the embedded store, so the CLI beside it sends these jobs here
(`regiongraph.admin_client`); both call the same `regiongraph.maintenance` functions. Long
work runs in a worker thread: the server keeps answering meanwhile.
"""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from regiongraph.api.deps import AdminDep, SettingsDep, StoreDep
from starlette.concurrency import run_in_threadpool

from regiongraph import maintenance
from regiongraph.maintenance import (
    RefreshReport,
    ReindexReport,
    RevalidateReport,
    UnknownViewError,
    ViewsReport,
)

router = APIRouter(prefix="/admin", tags=["admin"])
ADMIN_ERRORS: dict[int | str, dict] = {
    401: {"description": "no admin token given"},
    403: {"description": "the token given is not the admin token"},
}


@router.get("/views", response_model=ViewsReport, responses=ADMIN_ERRORS,
            summary="Each derived view against the store version (admin token)")
async def views(store: StoreDep, settings: SettingsDep, _: AdminDep) -> ViewsReport:
    return await run_in_threadpool(maintenance.view_states, store, settings)


@router.post("/refresh", response_model=RefreshReport,
             responses={**ADMIN_ERRORS, 400: {"description": "an unknown view"}},
             summary="Bring derived views up to the store version (admin token)")
async def refresh(store: StoreDep, settings: SettingsDep, _: AdminDep,
                  view: Annotated[list[str] | None, Query(
                      description="A view to refresh (repeat); all when absent.")] = None
                  ) -> RefreshReport:
    try:
        return await run_in_threadpool(maintenance.refresh_views, store, settings, view)
    except UnknownViewError as error:
        raise HTTPException(400, str(error)) from None


@router.post("/reindex", response_model=ReindexReport, responses=ADMIN_ERRORS,
             summary="Rebuild the search index whole from the store (admin token)")
async def reindex(store: StoreDep, settings: SettingsDep, _: AdminDep) -> ReindexReport:
    return await run_in_threadpool(maintenance.reindex, store, settings)


@router.post("/revalidate", response_model=RevalidateReport, responses=ADMIN_ERRORS,
             summary="Validate the whole store and keep the run as the current report "
                     "(admin token)")
async def revalidate(store: StoreDep, settings: SettingsDep, _: AdminDep,
                     today: Annotated[dt.date | None, Query(
                         description="Judge approvals as of this day instead of today.")]
                     = None) -> RevalidateReport:
    return await run_in_threadpool(maintenance.revalidate_all, store, settings, today=today)
