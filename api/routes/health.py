"""Liveness and what the service runs on."""

from fastapi import APIRouter
from pydantic import BaseModel
from regiongraph.api.deps import StoreDep

from regiongraph import __version__

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str
    store: str
    triples: int
    version: str


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    return Health(status="ok", store=store.description, triples=sum(store.graphs().values()),
                  version=__version__)
