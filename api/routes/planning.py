"""Planners' reports and pages: the region dashboard, community and project pages, reuse,
standards, governance coverage, engagement, network measures and the lineage explorer.

Each route makes one kernel call (`regiongraph.analysis`) and then picks the output by
content negotiation: JSON (the same pydantic model the CLI prints) or a server-rendered
page. Pages carry no JavaScript except the explorer, which loads cytoscape.js from
`/assets/cytoscape` (installed from package-lock.json, never a CDN) and our own script.

Anonymous users see only publishable datasets (`regiongraph.visibility`). Approvals,
agreements and engagements are never public, so the governance and engagement reports
need the admin token, and other pages leave those parts out for anonymous users.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from regiongraph.api.deps import AdminDep, AdminFlag, PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.negotiate import negotiate, with_format
from regiongraph.api.routes.resources import resource_rdf
from regiongraph.api.templating import TEMPLATES

from regiongraph.analysis.access import visible_datasets
from regiongraph.iri import Minter
from regiongraph.membership import audited
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["planning"])
JSON_FIRST = ["application/json", "text/html"]
HTML_FIRST = ["text/html", "application/json"]


def _region(store: Store, settings: Settings):
    from regiongraph.analysis.cache import cached_region

    return cached_region(store, settings)


def _page(request: Request, template: str, context: dict, json_href: str | None = None):
    alternates = [{"type": "application/json", "href": json_href}] if json_href else []
    return TEMPLATES.TemplateResponse(request, template, {**context, "alternates": alternates})


def _json(model) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/", summary="Region dashboard (HTML; JSON with Accept: application/json)")
def dashboard(request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep):
    from regiongraph.api.routes.rules import report_for, violation_count

    from regiongraph.analysis.governance import expiring
    from regiongraph.analysis.network import network
    from regiongraph.analysis.reuse import reuse
    from regiongraph.analysis.summary import region_summary

    media = negotiate(request, HTML_FIRST)
    region = _region(store, settings)
    visible = visible_datasets(store, settings, principal=principal)
    summary = region_summary(store, region, visible=visible)
    if not admin:  # count what the report shows this asker, so the card and report agree
        report = report_for(store, settings, admin=False)
        summary.violations = violation_count(report) if report is not None else None
    if media == "application/json":
        return _json(summary)
    soon = expiring(region, on=date.today(), days=90) if admin else None
    return _page(request, "planning/dashboard.html", {
        "summary": summary, "expiring": soon, "admin": admin,
        "community_rows": [(c.label, c.datasets) for c in summary.datasets_by_community],
        "quality_rows": [(name, round(share * 100)) for name, share in summary.quality.items()],
        "reuse": reuse(region, visible=visible, duplicates=False).items[:8],
        "network": network(region, visible=visible, top=5),
        "communities": sorted(region.communities, key=region.label), "label": region.label,
        "explore_root": explore_root(region, visible),
    }, json_href="/?format=json")


def _community_iri(settings: Settings, identifier: str) -> str:
    return Minter(settings.base).iri("community", identifier).value


@router.get("/communities/{community}", summary="A community: its data, projects and reuse")
def community_page(community: str, request: Request, store: StoreDep, settings: SettingsDep,
                   admin: AdminFlag, principal: PrincipalDep):
    from regiongraph.analysis.reuse import reuse
    from regiongraph.analysis.standards import standards_adoption

    region = _region(store, settings)
    iri = _community_iri(settings, community)
    if iri not in region.communities:
        raise HTTPException(404, f"no such community: {community}")
    if (rdf := resource_rdf(request, store, settings, iri, admin, principal)) is not None:
        return rdf
    visible = visible_datasets(store, settings, principal=principal)
    datasets = sorted((d for d in region.datasets.values() if d.publisher == iri
                       and (visible is None or d.iri in visible)),
                      key=lambda d: region.label(d.iri).lower())
    projects = sorted((p for p in region.projects.values() if iri in p.participants),
                      key=lambda p: region.label(p.iri).lower())
    recommendations = reuse(region, community=iri, visible=visible)
    adoption = standards_adoption(region, visible=visible).standards
    adopted = [s for s in adoption if any(a.community == iri for a in s.adopters)]
    gaps = [s for s in adoption if any(g.community == iri for g in s.gaps)]
    data = {
        "id": iri, "label": region.label(iri),
        "datasets": [{"id": d.iri, "label": region.label(d.iri)} for d in datasets],
        "projects": [{"id": p.iri, "label": region.label(p.iri), "lead": p.lead == iri}
                     for p in projects],
        "reuse": [i.model_dump() for i in recommendations.items],
        "near_duplicates": [g.model_dump() for g in recommendations.near_duplicates],
        "standards_adopted": [s.standard for s in adopted],
        "standards_gaps": [s.standard for s in gaps],
    }
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(data)
    return _page(request, "planning/community.html", {
        "c": data, "label": region.label, "recommendations": recommendations,
        "adopted": adopted, "gaps": gaps, "projects": projects, "datasets": datasets,
        "local": lambda i: i.rsplit("/", 1)[-1],
    }, json_href=f"/communities/{community}?format=json")


@router.get("/projects/{project}", summary="A project: its data, reuse, capabilities")
def project_page(project: str, request: Request, store: StoreDep, settings: SettingsDep,
                 admin: AdminFlag, principal: PrincipalDep):
    from regiongraph.analysis.engagement import engagement
    from regiongraph.analysis.region import local_name
    from regiongraph.analysis.reuse import reuse

    region = _region(store, settings)
    iri = Minter(settings.base).iri("project", project).value
    p = region.projects.get(iri)
    if p is None:
        raise HTTPException(404, f"no such project: {project}")
    if (rdf := resource_rdf(request, store, settings, iri, admin, principal)) is not None:
        return rdf
    visible = visible_datasets(store, settings, principal=principal)

    def shown(items):
        return sorted((d for d in items if visible is None or d in visible),
                      key=lambda d: region.label(d).lower())

    result = engagement(region)
    data = {
        "id": iri, "label": region.label(iri), "lead": p.lead,
        "participants": sorted(p.participants), "phase": local_name(p.phase) or None,
        "domains": sorted(region.label(d) for d in p.domains),
        "uses": shown(p.uses), "produces": shown(p.produces),
        "reuse": [i.model_dump() for i in reuse(region, visible=visible, duplicates=False).items
                  if i.for_project == iri],
        "capabilities": [c.model_dump() for c in result.capabilities if c.project == iri],
    }
    if admin:
        data["engagement"] = [e.model_dump() for e in result.engagement if e.project == iri]
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(data)
    return _page(request, "planning/project.html", {
        "p": data, "label": region.label, "admin": admin,
        "local": lambda i: i.rsplit("/", 1)[-1],
        "explore_root": (data["uses"] + data["produces"] or [None])[0],
    }, json_href=f"/projects/{project}?format=json")


@router.get("/reuse", summary="Reuse recommendations across communities, and near-duplicates")
def reuse_report(request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep,
                 community: str | None = Query(None, description="Community id or IRI")):
    from regiongraph.analysis.reuse import reuse
    from regiongraph.analysis.standards import standards_adoption

    media = negotiate(request, JSON_FIRST)
    region = _region(store, settings)
    visible = visible_datasets(store, settings, principal=principal)
    target = None
    if community:
        target = community if "://" in community else _community_iri(settings, community)
        if target not in region.communities:
            raise HTTPException(404, f"no such community: {community}")
    result = reuse(region, community=target, visible=visible)
    if media == "application/json":
        return _json(result)
    return _page(request, "planning/reuse.html", {
        "result": result, "label": region.label, "community": target,
        "standards": standards_adoption(region, visible=visible).standards,
        "communities": sorted(region.communities, key=region.label),
        "local": lambda i: i.rsplit("/", 1)[-1],
        "histogram": histogram([i.score for i in result.items]),
    }, json_href=with_format(request, "json"))


def histogram(scores: list[float]) -> list[tuple[str, int]]:
    """Scores in whole-point bins, for the small bar chart on the reuse page."""
    bins: dict[int, int] = {}
    for s in scores:
        bins[int(s)] = bins.get(int(s), 0) + 1
    return [(f"{b}–{b + 1}", bins[b]) for b in sorted(bins)]


@router.get("/standards", summary="Standards adoption and gaps (JSON; a page in a browser)")
def standards_report(request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep):
    from regiongraph.analysis.standards import standards_adoption

    media = negotiate(request, JSON_FIRST)
    region = _region(store, settings)
    result = standards_adoption(region, visible=visible_datasets(store, settings, principal=principal))
    if media == "application/json":
        return _json(result)
    return _page(request, "planning/standards.html", {"result": result, "admin": admin},
                 json_href="/standards?format=json")


@router.get("/governance", summary="Coverage of cross-community data flows (stewards: all; "
            "members: their community's)")
def governance_report(
    request: Request, store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
    lapse: str | None = Query(None, description="What if this approval or agreement ended?"),
    days: int = Query(90, ge=0, le=3650, description="Window for expiring approvals"),
    on: Annotated[date | None, Query(description="Judge as of this day (default today)")] = None,
):
    from regiongraph.analysis.governance import GovernanceError, governance

    if principal.is_anonymous:
        raise HTTPException(401, "governance is for members: sign in, or send a token",
                            headers={"WWW-Authenticate": "Bearer"})
    if not principal.alliance_steward and not principal.memberships:
        raise HTTPException(403, "governance is for members of a community")
    media = negotiate(request, JSON_FIRST)
    region = _region(store, settings)
    visible = visible_datasets(store, settings, principal=principal)
    try:
        result = governance(region, on=on, lapse=lapse or None, expiring_days=days,
                            visible=visible)
    except GovernanceError as error:
        raise HTTPException(404, str(error)) from None
    if not principal.alliance_steward:
        result = own_governance(result, principal.organizations, visible or set())
        audited(store, settings, principal, {e.source for e in result.edges}, "governance")
    if media == "application/json":
        return _json(result)
    records = sorted(((g.iri, region.label(g.iri)) for g in region.governance.values()
                      if visible is None or set(g.datasets) & visible),
                     key=lambda r: r[1].lower())
    return _page(request, "planning/governance.html", {
        "result": result, "records": records, "days": days, "label": region.label,
    }, json_href=with_format(request, "json"))


def own_governance(result, communities: frozenset[str], visible: set[str]):
    """A member's governance page: the flows into or out of their communities, and the
    expiring records about data they see."""
    def own(edge) -> bool:
        return edge.from_community in communities or edge.to_community in communities

    edges = [e for e in result.edges if own(e)]
    return result.model_copy(update={
        "edges": edges, "covered": sum(e.covered for e in edges),
        "uncovered": sum(not e.covered for e in edges),
        "newly_uncovered": [e for e in result.newly_uncovered if own(e)],
        "expiring": [x for x in result.expiring if set(x.datasets) & visible],
    })


@router.get("/engagement", summary="Late or missing data-leader engagement; capabilities (admin)")
def engagement_report(store: StoreDep, settings: SettingsDep, _: AdminDep):
    from regiongraph.analysis.engagement import engagement

    return _json(engagement(_region(store, settings)))


@router.get("/capabilities", summary="Capabilities needed against those offered")
def capabilities_report(store: StoreDep, settings: SettingsDep):
    """Needs and offers are public (the registry declares them); engagements are not."""
    from regiongraph.analysis.engagement import engagement

    result = engagement(_region(store, settings))
    return JSONResponse({"capabilities": [c.model_dump() for c in result.capabilities],
                         "gaps": result.gaps})


@router.get("/network", summary="Centrality, single points of failure, components (JSON)")
def network_report(store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep):
    from regiongraph.analysis.network import network

    region = _region(store, settings)
    return _json(network(region, visible=visible_datasets(store, settings, principal=principal)))


def explore_root(region, visible: set[str] | None) -> str | None:
    """The dataset with the most lineage links the asker may see: a good first view."""
    degree: dict[str, int] = {}
    for up, down, _kind in region.edges:
        for node in (up, down):
            if node in region.datasets and (visible is None or node in visible):
                degree[node] = degree.get(node, 0) + 1
    if not degree:
        return None
    return max(sorted(degree), key=lambda n: degree[n])


@router.get("/explore", summary="Interactive lineage explorer (HTML)")
def explore(request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag, principal: PrincipalDep,
            id: str | None = Query(None, description="Dataset IRI to start from")):
    from regiongraph.api.routes.lineage import dataset_iri

    region = _region(store, settings)
    visible = visible_datasets(store, settings, principal=principal)
    root = dataset_iri(settings, id) if id else explore_root(region, visible)
    if root and visible is not None and root not in visible:
        raise HTTPException(404, "no such dataset")
    return _page(request, "planning/explore.html", {
        "root": root, "root_label": region.label(root) if root else None,
    })
