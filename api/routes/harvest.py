"""Harvest triggers and OpenLineage intake, for stewards (admin token) only.

- `POST /harvest/{source}` harvests one source of the sources file and answers the same
  `HarvestReport` the CLI prints with `--json` (502 when the source could not be read:
  the report says why, and nothing changed).
- `GET /harvest/{source}/history` lists the stored reports, newest first.
- `POST /lineage/events` (and `POST /api/v1/lineage`, where OpenLineage clients post by
  default) takes OpenLineage run events (one JSON event, a JSON array, or NDJSON) from a
  pipeline, validates them, and adds their PROV-O to the `lineage-events` source graph;
  when no event is valid the answer is a 400 naming the schema error, nothing stored. Events add to what is there (a run posted twice is the
  same triples, minted from its run id), so pipelines can post as they run. Datasets are
  matched with the `datasets` option of the sources file's OpenLineage source.

The sources file is `$REGIONGRAPH_SOURCES` when set, else the demo's `sources.yaml`.
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from regiongraph.api.deps import AdminDep, SettingsDep, StoreDep

from regiongraph.harvest import HarvestReport, SourcesError, read_sources
from regiongraph.settings import Settings

router = APIRouter(tags=["harvest"])
LINEAGE_SOURCE = "lineage-events"


def sources_file(settings: Settings) -> Path:
    from regiongraph.paths import data_path

    configured = settings.sources
    return Path(configured) if configured else data_path("demo") / "sources.yaml"


@router.post("/harvest/{source}", response_model=HarvestReport,
             summary="Harvest one registered source now (admin token)",
             responses={502: {"model": HarvestReport, "description": "source unreadable"}})
def harvest_one(source: str, store: StoreDep, settings: SettingsDep, _: AdminDep):
    from regiongraph.harvest import harvest_source
    from regiongraph.pipeline import harvest

    try:
        sources = read_sources(sources_file(settings))
    except SourcesError as error:
        raise HTTPException(500, f"the sources file is wrong: {error}") from None
    chosen = next((s for s in sources if s.id == source), None)
    if chosen is None:
        raise HTTPException(404, f"no source {source!r}; known: "
                                 + ", ".join(s.id for s in sources))
    [report] = harvest(store, settings, lambda: [harvest_source(store, settings, chosen)])
    if report.status == "failed":
        return JSONResponse(report.model_dump(mode="json"), status_code=502)
    return report


@router.get("/harvest/{source}/history", response_model=list[HarvestReport],
            summary="Stored harvest reports of a source, newest first (admin token)")
def harvest_history(source: str, store: StoreDep, settings: SettingsDep, _: AdminDep,
                    limit: int = 20):
    from regiongraph.harvest import history
    from regiongraph.iri import Minter

    return history(store, Minter(settings.base), source, limit=max(1, min(limit, 500)))


@router.post("/lineage/events", response_model=HarvestReport,
             summary="Add OpenLineage run events (JSON, JSON array or NDJSON; admin token)",
             responses={400: {"model": HarvestReport,
                              "description": "events unreadable, or none valid"}})
@router.post("/api/v1/lineage", response_model=HarvestReport,
             summary="Add OpenLineage run events at the path OpenLineage clients post to "
                     "by default (Marquez's); same as /lineage/events",
             responses={400: {"model": HarvestReport,
                              "description": "events unreadable, or none valid"}})
async def lineage_events(request: Request, store: StoreDep, settings: SettingsDep,
                         _: AdminDep, community: str | None = None):
    body = await request.body()
    if len(body) > settings.max_request_bytes:
        raise HTTPException(413, f"body is {len(body):,} bytes; the limit is "
                                 f"{settings.max_request_bytes:,}")
    from starlette.concurrency import run_in_threadpool

    from regiongraph.harvest.lineage import add_lineage_events
    from regiongraph.pipeline import harvest

    # The dataset mapping (OpenLineage namespace/name → catalog dataset) is the one of the
    # sources file's OpenLineage source of that community (or the first one).
    try:
        lineage = [s for s in read_sources(sources_file(settings)) if s.type == "openlineage"]
    except SourcesError:
        lineage = []
    chosen = next((s for s in lineage if community in (None, s.community)), None)
    community = community or (chosen.community if chosen else None)
    if community is None:
        raise HTTPException(422, "name the community the events belong to: ?community=ID")
    def events():
        return [add_lineage_events(store, settings, body, community=community,
                                   options=chosen.options if chosen else {},
                                   source_id=LINEAGE_SOURCE)]

    [report] = await run_in_threadpool(harvest, store, settings, events, road="lineage-events")
    if report.status == "failed":
        return JSONResponse(report.model_dump(mode="json"), status_code=400)
    return report
