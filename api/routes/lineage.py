"""Lineage and impact for planners, and manual lineage edges for stewards.

- `GET /lineage/{id}?direction=up|down|both&depth=N&level=dataset|project|community&cap=N`
  — `id` is a dataset IRI (percent-encoded or not) or `community/identifier`. The
  explorer page calls this with depth 1 each time a node is clicked, so pages stay fast
  on graphs of thousands of nodes.
- `GET /impact/{id}` — everything downstream, with projects, communities and (for
  stewards) the approvals and agreements involved.
- `POST /lineage/edges`, `GET /lineage/edges`, `DELETE /lineage/edges?id=` — manual
  edges, admin token only; deleting keeps an audit record.

Anonymous users walk only publishable datasets (`regiongraph.visibility`); a dataset
they may not see is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from regiongraph.api.deps import AdminDep, AdminFlag, PrincipalDep, SettingsDep, StoreDep

from regiongraph.analysis.access import node_filter, visible_datasets
from regiongraph.analysis.lineage import LineageError
from regiongraph.analysis.manual import EdgeNotFound, ManualEdgeError
from regiongraph.analysis.models import ImpactResult, LineageResult, ManualEdge, ManualEdgeIn
from regiongraph.iri import MANUAL_GRAPH, Minter
from regiongraph.membership import audited
from regiongraph.settings import Settings

router = APIRouter(tags=["lineage"])
MAX_DEPTH = 25
MAX_CAP = 5000


def dataset_iri(settings: Settings, identifier: str) -> str:
    """An IRI as given, or `community/identifier` minted the way the harvest mints it."""
    text = identifier.strip()
    if "://" in text or text.startswith("urn:"):
        # Proxies and clients collapse `//` in paths: restore `https://`.
        for scheme in ("https:/", "http:/"):
            if text.startswith(scheme) and not text.startswith(scheme + "/"):
                text = scheme + "/" + text[len(scheme):]
        return text
    community, sep, rest = text.partition("/")
    if not sep or not rest:
        raise HTTPException(404, f"no such dataset: {identifier}")
    return Minter(settings.base).iri("dataset", community, rest).value


@router.post("/lineage/edges", status_code=201, response_model=ManualEdge,
             summary="Record a manual lineage edge (admin)")
def add_edge(edge: ManualEdgeIn, store: StoreDep, settings: SettingsDep, _: AdminDep
             ) -> ManualEdge:
    from regiongraph.analysis.manual import add_manual_edge

    try:
        created = add_manual_edge(store, settings, edge)
    except ManualEdgeError as error:
        raise HTTPException(422, str(error)) from None
    return created


@router.get("/lineage/edges", response_model=list[ManualEdge],
            summary="Manual lineage edges; with deleted=true the audit trail too (admin)")
def list_edges(store: StoreDep, settings: SettingsDep, _: AdminDep,
               deleted: bool = False) -> list[ManualEdge]:
    from regiongraph.analysis.manual import list_manual_edges

    return list_manual_edges(store, Minter(settings.base), include_deleted=deleted)


@router.delete("/lineage/edges", response_model=ManualEdge,
               summary="Withdraw a manual lineage edge, keeping an audit record (admin)")
def delete_edge(store: StoreDep, settings: SettingsDep, _: AdminDep,
                id: str = Query(..., description="The edge's IRI"),
                agent: str = Query(..., min_length=1, description="Who withdraws it"),
                reason: str = Query(..., min_length=1, description="Why")) -> ManualEdge:
    from regiongraph.analysis.manual import delete_manual_edge

    try:
        deleted = delete_manual_edge(store, settings, id, agent=agent,
                                     reason=reason)
    except EdgeNotFound as error:
        raise HTTPException(404, str(error)) from None
    except ManualEdgeError as error:
        raise HTTPException(409, str(error)) from None
    return deleted


@router.get("/lineage/{identifier:path}", response_model=LineageResult,
            summary="Lineage of a dataset (up, down or both; dataset, project or community level)")
def get_lineage(
    identifier: str, request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep,
    direction: Literal["up", "down", "both"] = "both",
    depth: int = Query(3, ge=0, le=MAX_DEPTH),
    level: Literal["dataset", "project", "community"] = "dataset",
    cap: int = Query(500, ge=1, le=MAX_CAP),
) -> LineageResult:
    from regiongraph.analysis.lineage import lineage

    root = dataset_iri(settings, identifier)
    visible = visible_datasets(store, settings, principal=principal)
    try:
        result = lineage(store, root=root, direction=direction, depth=depth, level=level,
                         cap=cap, manual_graph=Minter(settings.base).graph(MANUAL_GRAPH).value,
                         visible=node_filter(visible))
    except LineageError as error:
        raise HTTPException(404 if "no such" in str(error) or "not an IRI" in str(error)
                            else 422, str(error)) from None
    audited(store, settings, principal, (n.id for n in result.nodes), "lineage")
    return result


@router.get("/impact/{identifier:path}", response_model=ImpactResult,
            summary="Everything downstream of a dataset: datasets, projects, communities")
def get_impact(identifier: str, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep
               ) -> ImpactResult:
    from regiongraph.analysis.impact import impact

    root = dataset_iri(settings, identifier)
    visible = visible_datasets(store, settings, principal=principal)
    # Approvals and agreements are never public (regiongraph.visibility): stewards only.
    try:
        result = impact(store, root=root, manual_graph=Minter(settings.base).graph(
            MANUAL_GRAPH).value, visible=node_filter(visible), include_governance=admin)
    except LineageError as error:
        raise HTTPException(404, str(error)) from None
    except ValueError:
        raise HTTPException(404, f"no such dataset: {identifier}") from None
    audited(store, settings, principal, [root, *(d.id for d in result.datasets)], "impact")
    return result
