"""`POST /admin/backup`: an online copy of the embedded store, made by the process that
holds it (`regiongraph backup DIR` beside a running server asks here)."""

import time
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from regiongraph.api.deps import AdminDep, StoreDep

from regiongraph.observe import log
from regiongraph.store import StoreError, backup

router = APIRouter(tags=["admin"])


class BackupRequest(BaseModel):
    directory: str
    """An absolute path on the server's machine, not yet existing; its parent must exist."""


class BackupDone(BaseModel):
    directory: str
    seconds: float


@router.post("/admin/backup", response_model=BackupDone, status_code=201)
async def make_backup(body: BackupRequest, store: StoreDep, _: AdminDep) -> BackupDone:
    target = Path(body.directory)
    if not target.is_absolute():
        raise HTTPException(400, f"{body.directory!r} is not an absolute path: the server "
                                 "resolves no relative paths; nothing was written")
    started = time.perf_counter()
    try:
        await run_in_threadpool(backup, store, target)
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    seconds = round(time.perf_counter() - started, 3)
    log.info("backup", extra={"fields": {"directory": str(target), "seconds": seconds}})
    return BackupDone(directory=str(target), seconds=seconds)
