"""Rules over HTTP: the latest validation report, validating an upload, quality scores.

Reports name every failing record, public or not, so anonymous users see only the results
whose focus node (and value) `regiongraph.visibility` lets them see; the admin token shows
all. An uploaded graph is validated in a scratch store beside the ontology, never stored.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from regiongraph.api.deps import AdminFlag, SettingsDep, StoreDep
from regiongraph.api.negotiate import negotiate, with_format
from regiongraph.api.templating import TEMPLATES

if TYPE_CHECKING:
    from regiongraph.rules.validate import Report
    from regiongraph.settings import Settings
    from regiongraph.store import Store

router = APIRouter(tags=["rules"])
REPORT_OFFERS = ["application/json", "text/turtle", "text/html"]
UPLOAD_TYPES = {"text/turtle": "TURTLE", "application/x-turtle": "TURTLE",
                "application/ld+json": "JSON_LD", "application/json": "JSON_LD"}


def _visible_report(store, settings, report):
    """The report with only the results an anonymous user may see."""
    from pyoxigraph import NamedNode

    from regiongraph.visibility import public_nodes

    nodes = public_nodes(store, settings)
    kept = []
    for result in report.results:
        if not nodes.subject_public(NamedNode(result.focus)):
            continue
        if result.value and result.value.startswith(("http://", "https://")) \
                and not nodes.object_allowed(NamedNode(result.value)):
            continue
        kept.append(result)
    report.results = kept
    return report


def report_for(store: Store, settings: Settings, *, admin: bool) -> Report | None:
    """The current validation report as the asker may see it (None before any run): the
    report page and the dashboard's violation count both read this."""
    from regiongraph.rules.reports import latest_report

    report = latest_report(store, settings)
    if report is not None and not admin:
        report = _visible_report(store, settings, report)
    return report


def violation_count(report: Report) -> int:
    return sum(r.severity_name == "Violation" for r in report.results)


@router.get("/reports/latest", summary="The latest validation report (JSON, Turtle, HTML)")
def latest(request: Request, store: StoreDep, settings: SettingsDep, admin: AdminFlag
           ) -> Response:
    from regiongraph.rules.reports import grouped, report_turtle

    media = negotiate(request, REPORT_OFFERS)
    report = report_for(store, settings, admin=admin)
    if media == "text/html":
        violations = violation_count(report) if report else 0
        return TEMPLATES.TemplateResponse(request, "reports.html", {
            "report": report, "groups": grouped(report) if report else {},
            "violations": violations,
            "warnings": (len(report.results) - violations) if report else 0,
            "filtered": not admin,
            "alternates": [{"type": "application/json", "href": "/reports/latest?format=json"},
                           {"type": "text/turtle", "href": "/reports/latest?format=ttl"}]})
    if report is None:
        raise HTTPException(404, "no validation report yet: run `regiongraph validate`")
    if media == "text/turtle":
        return Response(report_turtle(report, settings), media_type="text/turtle; charset=utf-8")
    return JSONResponse(report.as_json())


@router.post("/validate", summary="Validate an uploaded graph (Turtle or JSON-LD) against the shapes")
async def validate_upload(request: Request, settings: SettingsDep) -> JSONResponse:
    from pyoxigraph import Quad, RdfFormat, parse

    from regiongraph.iri import ONTOLOGY_GRAPH, Minter
    from regiongraph.limits import LimitExceeded, check_json_depth
    from regiongraph.ontology import ontology_dataset
    from regiongraph.rules.validate import validate
    from regiongraph.store import open_store

    media = request.headers.get("content-type", "text/turtle").split(";")[0].strip().lower()
    if media not in UPLOAD_TYPES:
        raise HTTPException(415, f"send Turtle (text/turtle) or JSON-LD (application/ld+json), "
                                 f"not {media!r}")
    cap = settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise HTTPException(413, f"the upload is larger than {cap} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > cap:
            raise HTTPException(413, f"the upload is larger than {cap} bytes")
    try:
        if UPLOAD_TYPES[media] == "JSON_LD":
            check_json_depth(body, settings.max_json_depth, "the upload")
        triples = list(parse(bytes(body), getattr(RdfFormat, UPLOAD_TYPES[media]),
                             base_iri=settings.base))
    except LimitExceeded as error:
        raise HTTPException(400, str(error)) from None
    except (SyntaxError, ValueError) as error:
        raise HTTPException(400, f"could not parse the upload: {error}") from None
    scratch_settings = settings.with_overrides(store="memory")
    scratch = open_store(scratch_settings)
    try:
        minter = Minter(settings.base)
        ontology = minter.graph(ONTOLOGY_GRAPH)
        scratch.add(Quad(q.subject, q.predicate, q.object, ontology) for q in ontology_dataset())
        upload = minter.graph("upload")
        scratch.add(Quad(t.subject, t.predicate, t.object, upload) for t in triples)
        day = request.query_params.get("today")
        try:
            today = dt.date.fromisoformat(day) if day else None
        except ValueError:
            raise HTTPException(400, f"today={day!r} is not a date (YYYY-MM-DD)") from None
        report = validate(scratch, scratch_settings, today=today)
    finally:
        scratch.close()
    data = report.as_json()
    data["triples"] = len(triples)
    return JSONResponse(data)


@router.get("/quality", summary="Metadata quality (MQA) of public datasets, per community and "
                                  "region (JSON; a page in a browser)")
def quality(request: Request, store: StoreDep, settings: SettingsDep,
            community: str | None = None, datasets: bool = False) -> Response:
    from regiongraph.analysis.cache import cached_region
    from regiongraph.iri import Minter
    from regiongraph.rules.quality import DIMENSIONS, MAX_POINTS, assess, history

    media = negotiate(request, ["application/json", "text/html"])
    assessment = assess(store, settings)
    summary = assessment.summary(community=community, with_datasets=datasets)
    summary["history"] = history(store, settings)
    if media == "application/json":
        return JSONResponse(json.loads(json.dumps(summary)))
    region, minter = cached_region(store, settings), Minter(settings.base)
    return TEMPLATES.TemplateResponse(request, "quality.html", {
        "q": summary, "dimensions": DIMENSIONS, "max_points": MAX_POINTS,
        "community": community, "datasets": datasets,
        "community_label": lambda c: region.label(minter.iri("community", c).value),
        "dataset_label": region.label,
        "alternates": [{"type": "application/json", "href": with_format(request, "json")}]})

