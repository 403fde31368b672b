"""Dataset IRIs dereference here: RDF for machines, a page for people and for Google.

`{base}datasets/<community>/<identifier>` is both the dataset's identity and its web
address. A harvester asking for Turtle or JSON-LD gets the DCAT-AP 3 description (the
same triples the catalog holds); a browser gets a page with the title, description,
publisher, distributions, standards, a lineage summary and the approval that allows
publication, with schema.org `Dataset` JSON-LD embedded for Google Dataset Search.

Anonymous users see only what `regiongraph.visibility` lets the catalog publish;
anything else is a 404, indistinguishable from a dataset that does not exist.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode
from regiongraph.api.deps import AdminFlag, PrincipalDep, SettingsDep, StoreDep
from regiongraph.api.negotiate import negotiate
from regiongraph.api.routes.catalog import not_modified, validators
from regiongraph.api.templating import TEMPLATES

from regiongraph.exports import schema_org
from regiongraph.exports.dcat_ap3 import record_triples
from regiongraph.exports.model import (
    CatalogIndex,
    DatasetRecord,
    catalog_index,
    member_catalog_index,
    read_records,
)
from regiongraph.exports.serializer import (
    SYNTAXES,
    grouped,
    rdf_syntax,
    render,
    with_registry_agents,
)
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.membership import audited
from regiongraph.namespaces import sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store

router = APIRouter(tags=["catalog"])
OFFERS = ["text/html", *(s.media_type for s in SYNTAXES)]
SUFFIXES = {"." + s.suffix: s.media_type for s in SYNTAXES}
LINEAGE_DEPTH = 3

APPROVAL_DETAILS = sparql_prefixes(["rg", "rdfs", "skos", "foaf", "dct"]) + """
SELECT ?approval ?registry ?label ?approverName ?scope ?scopeLabel ?from ?until ?basis WHERE {
  GRAPH ?registry {
    OPTIONAL { ?approval rdfs:label|dct:title|skos:prefLabel ?label }
    OPTIONAL { ?approval rg:approvedBy ?approver .
               OPTIONAL { ?approver foaf:name|rdfs:label|skos:prefLabel ?approverName } }
    OPTIONAL { ?approval rg:scope ?scope }
    OPTIONAL { ?approval rg:validFrom ?from }
    OPTIONAL { ?approval rg:validUntil ?until }
    OPTIONAL { ?approval rg:legalBasis ?basis }
  }
  OPTIONAL { ?scope skos:prefLabel ?scopeLabel }
}"""


def find_dataset(store: Store, settings: Settings, index: CatalogIndex, path: str,
                 admin: bool) -> DatasetRecord:
    """The record at `datasets/<path>`, or 404 when it is absent or not for this asker."""
    iri = Minter(settings.base).base + "datasets/" + path
    try:
        NamedNode(iri)
    except ValueError:
        raise HTTPException(404, "no such dataset") from None
    if not admin and not index.contains(iri):
        raise HTTPException(404, "no such dataset")
    records = read_records(store, [iri], None if admin else index.may_name, base=index.base)
    if not records:
        raise HTTPException(404, "no such dataset")
    return with_registry_agents(records, index)[0]


@router.get("/datasets/{path:path}", summary="A dataset: HTML page or DCAT-AP 3 RDF")
def dataset(request: Request, path: str, store: StoreDep, settings: SettingsDep,
            admin: AdminFlag, principal: PrincipalDep) -> Response:
    suffix_media = None
    index = member_catalog_index(store, settings, principal)
    for suffix, media in SUFFIXES.items():
        base_iri = Minter(settings.base).base + "datasets/" + path[: -len(suffix)]
        if path.endswith(suffix) and (admin or index.contains(base_iri)):
            path, suffix_media = path[: -len(suffix)], media
            break
    record = find_dataset(store, settings, index, path, admin)
    audited(store, settings, principal, [record.iri], "dataset")
    media = negotiate(request, OFFERS, suffix=suffix_media)
    headers = validators(index, record.iri, media, admin)
    headers["Vary"] = "Accept, Accept-Encoding, Authorization"
    if admin or not principal.is_anonymous:
        headers["Cache-Control"] = "private, no-store"
    elif not_modified(request, headers):
        return Response(status_code=304, headers=headers)
    if media != "text/html":
        return Response(render(grouped(record_triples(record)), rdf_syntax(media)), media_type=media,
                        headers=headers)
    page_url = str(request.url.replace(query=None))
    jsonld = json.dumps(schema_org.dataset(record, page_url=page_url), ensure_ascii=False,
                        indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    local = record.iri[len(Minter(settings.base).base):]
    return TEMPLATES.TemplateResponse(request, "dataset.html", {
        "record": record, "jsonld": jsonld, "region_name": index.region.name,
        "lineage": lineage_summary(store, index, record.iri, admin=admin),
        "approvals": approvals(store, settings, index, record.iri, admin=admin),
        "alternates": [{"type": s.media_type, "href": f"/{local}.{s.suffix}"} for s in SYNTAXES],
        "base": settings.base, "public": catalog_index(store, settings).contains(record.iri),
    }, headers=headers)


def lineage_summary(store: Store, index: CatalogIndex, iri: str, *,
                    admin: bool = False) -> dict[str, list[dict]]:
    """Datasets upstream and downstream within a few hops (jobs in between walked).

    For anonymous users the walk never passes through, nor names, a dataset the catalog
    does not publish; a steward sees the whole lineage.
    """
    from regiongraph.analysis.lineage import lineage

    def visible(nodes: set[str]) -> set[str]:
        return {n for n in nodes if index.contains(n) or "/datasets/" not in n}

    result = lineage(store, root=iri, direction="both", depth=LINEAGE_DEPTH,
                     visible=None if admin else visible)
    summary: dict[str, list[dict]] = {"upstream": [], "downstream": []}
    for node in result.nodes:
        shown = admin or index.contains(node.id)
        if node.type != "dataset" or node.id == iri or not shown or node.depth is None:
            continue
        side = "upstream" if node.depth < 0 else "downstream"
        summary[side].append({"iri": node.id, "label": node.label, "hops": abs(node.depth)})
    return summary


def approvals(store: Store, settings: Settings, index: CatalogIndex, iri: str, *,
              admin: bool = False) -> list[dict[str, str | None]]:
    """The approvals that allow this dataset's publication, as `regiongraph.visibility`
    found them, described from the registry graph (the only graph trusted for them).

    The approver is a person, and people are never public: only a steward sees the name.
    """
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    found: list[dict[str, str | None]] = []
    for approval in sorted(index.approvals.get(iri, ())):
        rows = store.query(APPROVAL_DETAILS, substitutions={
            _var("approval"): NamedNode(approval), _var("registry"): registry},
            union_default_graph=True)
        for row in rows:
            found.append({
                "iri": approval,
                "label": _value(row["label"]),
                "approver": _value(row["approverName"]) if admin else None,
                "scope": _value(row["scopeLabel"]) or _value(row["scope"]),
                "valid_from": _value(row["from"]),
                "valid_until": _value(row["until"]),
                "legal_basis": _value(row["basis"]),
            })
            break
    return found


def _var(name: str):
    from pyoxigraph import Variable

    return Variable(name)


def _value(term) -> str | None:
    return None if term is None else term.value
