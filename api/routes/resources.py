"""Every IRI the service mints under its base dereferences: RDF by content negotiation,
a page for browsers.

`{base}standards/gtfs` is the standard's identity and its address, like a dataset's
(`datasets.py`, which serves DCAT-AP 3 records). One handler serves every other kind the
Minter mints (`regiongraph.iri.KINDS`), registered under each kind's path segment so it
never shadows another router's routes. Communities and projects have planners' pages
(`planning.py`); those routes hand RDF requests to `resource_rdf` here.

What a resource says is `regiongraph.resources.describe`: its DESCRIBE in the public view
for anonymous users, so a hidden resource is a 404 like one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pyoxigraph import Triple
from regiongraph.api.deps import AdminFlag, PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.negotiate import RDF_TYPES, negotiate
from regiongraph.api.templating import TEMPLATES

from regiongraph.accounts.principal import Principal
from regiongraph.exports.serializer import SYNTAXES, grouped, rdf_syntax, render
from regiongraph.iri import KINDS, Minter
from regiongraph.resources import describe, page_description
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["resources"])
OFFERS = ["text/html", *RDF_TYPES]
SUFFIXES = {"." + s.suffix: s.media_type for s in SYNTAXES}
# Kinds with their own routes: datasets (DCAT-AP 3 records), reports (/reports/latest;
# validation reports are never public, stewards read them there or by SPARQL).
OWN_ROUTES = {"datasets", "reports", "annotations"}


def rdf_response(triples: list[Triple], media: str, admin: bool) -> Response:
    return Response(render(grouped(triples), rdf_syntax(media)), media_type=media,
                    headers=_headers(admin))


def resource_rdf(request: Request, store: Store, settings: Settings, iri: str,
                 admin: bool, principal: Principal | None = None) -> Response | None:
    """The RDF answer for a page route whose asker wants RDF; None when they want the page."""
    media = negotiate(request, ["text/html", "application/json", *RDF_TYPES])
    if media not in RDF_TYPES:
        return None
    triples = describe(store, settings, iri, admin=admin, principal=principal)
    if not triples:
        raise HTTPException(404, "no such resource")
    return rdf_response(triples, media, admin or (principal is not None
                                                  and not principal.is_anonymous))


def resource(request: Request, path: str, store: StoreDep, settings: SettingsDep,
             admin: AdminFlag, principal: PrincipalDep) -> Response:
    """A minted resource: Turtle, JSON-LD, RDF/XML or N-Triples, or its page."""
    local = request.url.path.lstrip("/")
    base = Minter(settings.base).base
    iri, suffix_media = base + local, None
    triples = describe(store, settings, iri, admin=admin, principal=principal)
    if not triples:
        for suffix, media in SUFFIXES.items():
            if local.endswith(suffix):
                iri, suffix_media = base + local[: -len(suffix)], media
                triples = describe(store, settings, iri, admin=admin, principal=principal)
                break
    if not triples:
        raise HTTPException(404, "no such resource")
    media = negotiate(request, OFFERS, suffix=suffix_media)
    private = admin or not principal.is_anonymous  # a member's answer is theirs alone
    if media != "text/html":
        return rdf_response(triples, media, private)
    page = iri[len(base):]
    return TEMPLATES.TemplateResponse(request, "resource.html", {
        "r": page_description(store, settings, iri, triples, admin=admin, principal=principal),
        "alternates": [{"type": s.media_type, "href": f"/{page}.{s.suffix}"} for s in SYNTAXES],
    }, headers=_headers(private))


def _headers(admin: bool) -> dict[str, str]:
    headers = {"Vary": "Accept, Accept-Encoding, Authorization"}
    if admin:
        headers["Cache-Control"] = "private, no-store"
    return headers


for _segment in sorted(set(KINDS.values()) - OWN_ROUTES):
    router.add_api_route(f"/{_segment}/{{path:path}}", resource, methods=["GET"],
                         summary=f"A resource under /{_segment}/: RDF or its page",
                         response_class=Response)
