"""The alliance ontology: Turtle for machines, a readable page for people.

Each term's IRI (https://w3id.org/regiongraph/ns#Term) resolves to this page at
the term's anchor once w3id redirects the namespace here.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from regiongraph.api.negotiate import negotiate
from regiongraph.api.templating import TEMPLATES

from regiongraph.namespaces import PREFIXES, RG

router = APIRouter(tags=["ontology"])
OFFERS = ["text/turtle", "text/html", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@router.get("/ontology", summary="The alliance ontology (Turtle, HTML, N-Triples, JSON-LD, RDF/XML)")
def ontology(request: Request) -> Response:
    from pyoxigraph import RdfFormat, serialize

    from regiongraph.ontology import ontology_dataset, ontology_turtle, own_terms

    media = negotiate(request, OFFERS)
    if media == "text/html":
        return TEMPLATES.TemplateResponse(
            request, "ontology.html",
            {"terms": own_terms(), "namespace": str(RG), "prefixes": PREFIXES,
             "alternates": [{"type": "text/turtle", "href": "/ontology?format=ttl"}]},
        )
    if media == "text/turtle":
        return Response(ontology_turtle(), media_type="text/turtle; charset=utf-8")
    fmt = RdfFormat.from_media_type(media)
    triples = (q.triple for q in ontology_dataset())
    body = serialize(triples, format=fmt, prefixes=dict(PREFIXES))
    return Response(body, media_type=media)
