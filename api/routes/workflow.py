"""The alliance's workflow: proposals, engagement, strategies, requests and decisions.

Every action is a route acting as the member whose token is sent (`PrincipalDep`); each
calls one function of `regiongraph.workflow` and nothing else. Actions accept JSON or a
browser form (then answer with a redirect to the page); pages have a JSON twin
(`Accept: application/json` or `?format=json`). Kernel refusals map to HTTP: not entitled
or four eyes → 403, unknown → 404, an action that does not fit the state → 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from regiongraph.api.deps import (
    PrincipalDep,
    SettingsDep,
    SignedInWrites,
    StoreDep,
    current_principal,
)
from regiongraph.api.negotiate import negotiate
from regiongraph.api.templating import TEMPLATES

from regiongraph import workflow
from regiongraph.iri import Minter
from regiongraph.limits import load_json
from regiongraph.settings import Settings
from regiongraph.workflow.model import DECISIONS
from regiongraph.workflow.records import read_request

router = APIRouter(prefix="/workflow", tags=["workflow"], dependencies=[SignedInWrites])
HTML_FIRST = ["text/html", "application/json"]


def _iri(settings: Settings, kind: str, ident: str) -> str:
    return Minter(settings.base).iri(kind, ident).value


def _local(settings: Settings, kind: str, iri: str | None) -> str | None:
    return Minter(settings.base).local_id(iri, kind) if iri else None


def _run(action, *args, **kwargs):
    """Call a kernel action, mapping its refusals to HTTP errors."""
    try:
        return action(*args, **kwargs)
    except workflow.Refused as error:
        raise HTTPException(403, str(error)) from None
    except workflow.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except workflow.WorkflowError as error:
        raise HTTPException(409, str(error)) from None


async def _body(request: Request) -> tuple[dict[str, Any], bool]:
    """The action's fields from JSON or a form; True when it came from a form."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raw = await request.body()
        try:
            body = load_json(raw, request.app.state.settings.max_json_depth,
                             "the body") if raw.strip() else {}
        except ValueError as error:  # not JSON, too deep, or not text: said, not a 500
            raise HTTPException(400, f"the body is not a JSON object: {error}") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "the body must be a JSON object")
        return body, False
    form = await request.form()
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key in ("partners", "needs", "creates"):
            fields.setdefault(key, []).extend(v.strip() for v in str(value).split(",")
                                              if v.strip())
        else:
            fields[key] = str(value)
    return fields, True


def _date(fields: dict[str, Any], key: str) -> dt.date | None:
    value = fields.get(key)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise HTTPException(400, f"{key} {value!r} is not a date (YYYY-MM-DD)") from None


def _done(form: bool, location: str, payload: dict, status: int = 200) -> Response:
    if form:
        return RedirectResponse(location, status_code=303)
    return JSONResponse(payload, status_code=status)


def _page(request: Request, template: str, context: dict, twin: str) -> Response:
    return TEMPLATES.TemplateResponse(request, template, {
        **context, "alternates": [{"type": "application/json", "href": twin}]})


def work_counts(request: Request) -> dict | None:
    """The navigation's counts for the person asking (None for anonymous users)."""
    try:
        principal = current_principal(request)
    except HTTPException:
        return None
    if principal.person is None or principal.alliance_steward:
        return None
    from regiongraph.workflow.records import read_requests

    store, settings = request.app.state.store, request.app.state.settings
    waiting = [r for r in read_requests(store, settings,
                                        f"?r rg:addressedTo <{principal.person}> .")
               if r.state in ("submitted", "in-review") and r.requester != principal.person]
    return {"awaiting": len(waiting),
            "overdue": sum(r.overdue(dt.date.today()) for r in waiting)}


TEMPLATES.env.globals["work_counts"] = work_counts


# --- proposals and projects -----------------------------------------------------------

@router.get("/propose", summary="The proposal form (a page)")
def propose_page(request: Request, principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to propose a project",
                            headers={"WWW-Authenticate": "Bearer"})
    return TEMPLATES.TemplateResponse(request, "workflow/propose.html", {})


@router.post("/proposals", status_code=201, summary="Propose a project (a draft)")
async def propose(request: Request, store: StoreDep, settings: SettingsDep,
                  principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    proposal = workflow.Proposal(
        title=str(fields.get("title", "")), domain=str(fields.get("domain", "")),
        lead=str(fields.get("lead", "")), description=str(fields.get("description", "")),
        partners=list(fields.get("partners", [])), needs=list(fields.get("needs", [])),
        creates=list(fields.get("creates", [])))
    project = _run(workflow.propose, store, settings, principal, proposal)
    ident = _local(settings, "project", project)
    return _done(form, f"/workflow/projects/{ident}", {"id": project, "page":
                 f"/workflow/projects/{ident}", "state": "draft"}, status=201)


@router.post("/projects/{ident}/submit", summary="Submit a draft proposal")
async def submit(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    _, form = await _body(request)
    made = _run(workflow.submit, store, settings, principal, _iri(settings, "project", ident))
    return _done(form, f"/workflow/projects/{ident}", {"engagement_requests": made})


@router.post("/projects/{ident}/advance", summary="Move a project to its next phase")
async def advance(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                  principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    _run(workflow.advance, store, settings, principal, _iri(settings, "project", ident),
         str(fields.get("phase", "")))
    return _done(form, f"/workflow/projects/{ident}", {"phase": fields.get("phase")})


@router.get("/projects/{ident}", summary="A project's story: timeline, strategy, requests")
def project_page(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see a project's workflow",
                            headers={"WWW-Authenticate": "Bearer"})
    story = _run(workflow.project, store, settings, _iri(settings, "project", ident))
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(story)
    return _page(request, "workflow/project.html", {
        "p": story, "ident": ident, "principal": principal,
        "local": lambda kind, iri: _local(settings, kind, iri)},
        f"/workflow/projects/{ident}?format=json")


@router.get("/projects/{ident}/strategy", summary="The project's data strategy (drafted)")
def strategy(ident: str, store: StoreDep, settings: SettingsDep,
             principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see a data strategy",
                            headers={"WWW-Authenticate": "Bearer"})
    pieces = _run(workflow.draft_strategy, store, settings, _iri(settings, "project", ident))
    return JSONResponse({"project": _iri(settings, "project", ident),
                         "pieces": [p.as_dict() for p in pieces]})


@router.post("/projects/{ident}/strategy/submit",
             summary="Submit the strategy to the lead community's executives")
async def submit_strategy(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                          principal: PrincipalDep) -> Response:
    _, form = await _body(request)
    made = _run(workflow.request_strategy_approval, store, settings, principal,
                _iri(settings, "project", ident))
    return _done(form, f"/workflow/requests/{_local(settings, 'request', made)}",
                 {"id": made}, status=201)


@router.post("/projects/{ident}/requests",
             summary="Create the request a strategy's missing piece calls for")
async def request_piece(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                        principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    made = _run(workflow.request_piece, store, settings, principal,
                _iri(settings, "project", ident), str(fields.get("dataset", "")),
                valid_from=_date(fields, "valid_from"), valid_until=_date(fields, "valid_until"),
                legal_basis=str(fields.get("legal_basis", "")))
    return _done(form, f"/workflow/requests/{_local(settings, 'request', made)}",
                 {"id": made}, status=201)


@router.post("/access", summary="Ask for one member's access to one dataset")
async def request_access(request: Request, store: StoreDep, settings: SettingsDep,
                         principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    made = _run(workflow.request_access, store, settings, principal,
                str(fields.get("dataset", "")), reason=str(fields.get("reason", "")),
                valid_until=_date(fields, "valid_until"))
    return _done(form, f"/workflow/requests/{_local(settings, 'request', made)}",
                 {"id": made}, status=201)


# --- requests and decisions -----------------------------------------------------------

@router.get("/requests", summary="Requests (filter by state and kind)")
def requests(request: Request, store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
             state: str | None = None, kind: str | None = None) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see requests", headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse({"requests": workflow.list_requests(store, settings, state=state,
                                                            kind=kind)})


@router.get("/requests/{ident}", summary="A request and its decisions (the decision form)")
def request_page(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see a request", headers={"WWW-Authenticate": "Bearer"})
    shown = _run(workflow.show_request, store, settings, _iri(settings, "request", ident))
    may_decide, why_not = True, ""
    try:
        workflow.check_may_decide(store, settings, principal,
                                  read_request(store, settings, shown["id"]))
    except workflow.Refused as error:
        may_decide, why_not = False, str(error)
    shown["may_decide"], shown["why_not"] = may_decide, why_not
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(shown)
    return _page(request, "workflow/request.html", {
        "r": shown, "ident": ident, "outcomes": DECISIONS[shown["kind"]],
        "local": lambda kind, iri: _local(settings, kind, iri)},
        f"/workflow/requests/{ident}?format=json")


@router.post("/requests/{ident}/review", summary="Take a request into review")
async def review(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    _, form = await _body(request)
    _run(workflow.start_review, store, settings, principal, _iri(settings, "request", ident))
    return _done(form, f"/workflow/requests/{ident}", {"state": "in-review"})


@router.post("/requests/{ident}/decision", status_code=201,
             summary="Decide: approve, approve with conditions, reject (accept or decline)")
async def decide(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    decision = _run(workflow.decide, store, settings, principal,
                    _iri(settings, "request", ident), str(fields.get("outcome", "")),
                    reason=str(fields.get("reason", "")),
                    conditions=fields.get("conditions") or None,
                    valid_until=_date(fields, "valid_until"))
    return _done(form, f"/workflow/requests/{ident}", {"decision": decision}, status=201)


@router.post("/requests/{ident}/revoke", status_code=201, summary="Revoke an approval")
async def revoke(ident: str, request: Request, store: StoreDep, settings: SettingsDep,
                 principal: PrincipalDep) -> Response:
    fields, form = await _body(request)
    decision = _run(workflow.revoke, store, settings, principal,
                    _iri(settings, "request", ident), reason=str(fields.get("reason", "")))
    return _done(form, f"/workflow/requests/{ident}", {"decision": decision}, status=201)


# --- my work and the alliance's measures ----------------------------------------------

@router.get("/me", summary="My work: what awaits me, what I asked for, my drafts")
def my_work(request: Request, store: StoreDep, settings: SettingsDep,
            principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see your work", headers={"WWW-Authenticate": "Bearer"})
    work = workflow.my_work(store, settings, principal)
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(work)
    return _page(request, "workflow/me.html", {
        "w": work, "local": lambda kind, iri: _local(settings, kind, iri)},
        "/workflow/me?format=json")


@router.get("/dashboard", summary="The alliance's measures of its own workflow")
def dashboard(request: Request, store: StoreDep, settings: SettingsDep,
              principal: PrincipalDep) -> Response:
    if principal.is_anonymous:
        raise HTTPException(401, "sign in to see the alliance's measures",
                            headers={"WWW-Authenticate": "Bearer"})
    shown = workflow.measures(store, settings)
    if negotiate(request, HTML_FIRST) == "application/json":
        return JSONResponse(shown)
    return _page(request, "workflow/dashboard.html", {
        "m": shown, "local": lambda kind, iri: _local(settings, kind, iri)},
        "/workflow/dashboard?format=json")
