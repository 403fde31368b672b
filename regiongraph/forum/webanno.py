"""Forum posts as W3C Web Annotations (JSON-LD with the `anno.jsonld` context), and back.

The Data Model's own terms carry the post (`motivation`, `body`, `target`, `creator`,
`created`, `modified`, and `audience`, which the context maps to `schema:audience`); what
the forum adds — the thread, the resource discussed, the community audience, the
organisation posted for, mentions, closing — is named by a second, inline context, so any
JSON-LD processor expands every key.
"""

from typing import Any

from regiongraph.clock import iso
from regiongraph.forum.model import AUDIENCES, MOTIVATIONS, Post
from regiongraph.namespaces import RG, RGC

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _ref(name: str) -> dict[str, str]:
    return {"@id": f"rg:{name}", "@type": "@id"}


EXTENSION: dict[str, Any] = {
    "rg": str.__str__(RG),
    "title": "dcterms:title",
    "audienceCommunity": _ref("audienceCommunity"),
    "postedByOrganization": _ref("postedByOrganization"),
    "inThread": _ref("inThread"),
    "aboutResource": _ref("aboutResource"),
    "mentions": _ref("mentions"),
    "closedBy": _ref("closedBy"),
    "closedAt": {"@id": "rg:closedAt", "@type": "xsd:dateTime"},
    "hiddenBy": {"@id": "rg:hiddenBy", "@type": "@id"},
}
CONTEXT = [ANNO_CONTEXT, EXTENSION]


def audience_iri(name: str) -> str:
    return RGC.term(f"audience/{name}").value


def to_jsonld(post: Post, *, context: bool = True) -> dict[str, Any]:
    """One post as an annotation; `context=False` inside a page that states it once."""
    body: dict[str, Any] = {"type": "TextualBody", "value": post.text, "format": "text/plain"}
    document: dict[str, Any] = {
        "id": post.iri, "type": "Annotation", "motivation": post.motivation,
        "created": iso(post.created), "creator": {"id": post.creator, "type": "Person"},
        "body": body, "target": post.target, "audience": audience_iri(post.audience),
        "inThread": post.thread, "aboutResource": post.resource,
    }
    optional = {"modified": post.modified and iso(post.modified), "title": post.title,
                "audienceCommunity": post.audience_community,
                "postedByOrganization": post.posted_by_organization,
                "mentions": list(post.mentions) or None, "closedBy": post.closed_by,
                "closedAt": post.closed_at and iso(post.closed_at),
                "hiddenBy": post.hidden_by}
    document.update({key: value for key, value in optional.items() if value})
    return {"@context": CONTEXT, **document} if context else document


class NotAnAnnotation(ValueError):
    """A posted document is not an annotation the forum can take; says which field."""


def _text(body: Any, document: dict[str, Any]) -> str:
    if isinstance(document.get("bodyValue"), str):
        return document["bodyValue"]
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if isinstance(body, dict) and body.get("type") == "TextualBody" and isinstance(
            body.get("value"), str):
        return body["value"]
    raise NotAnAnnotation("body: one TextualBody with a string value (or bodyValue) is needed")


def _target(target: Any) -> str:
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    if isinstance(target, dict):
        target = target.get("id") or target.get("source")
    if not isinstance(target, str) or not target.startswith(("http://", "https://")):
        raise NotAnAnnotation("target: one http(s) IRI is needed")
    return target


def _audience(value: Any) -> str:
    if value is None:
        return "alliance"
    name = value.get("id") if isinstance(value, dict) else value
    if isinstance(name, str):
        name = name.removeprefix(audience_iri(""))
    if name not in AUDIENCES:
        raise NotAnAnnotation(f"audience: one of {', '.join(AUDIENCES)} (or its IRI)")
    return name


def from_jsonld(document: Any) -> dict[str, Any]:
    """The fields of a new post from a posted annotation (`id` is the server's to give)."""
    if not isinstance(document, dict):
        raise NotAnAnnotation("an annotation is a JSON object")
    types = document.get("type")
    if types != "Annotation" and not (isinstance(types, list) and "Annotation" in types):
        raise NotAnAnnotation('type: "Annotation" is needed')
    motivation = document.get("motivation", "commenting")
    if isinstance(motivation, list) and len(motivation) == 1:
        motivation = motivation[0]
    if motivation not in MOTIVATIONS:
        raise NotAnAnnotation(f"motivation: one of {', '.join(MOTIVATIONS)}")
    title = document.get("title")
    if title is not None and not isinstance(title, str):
        raise NotAnAnnotation("title: a string")
    organization = document.get("postedByOrganization")
    if organization is not None and not isinstance(organization, str):
        raise NotAnAnnotation("postedByOrganization: an IRI")
    community = document.get("audienceCommunity")
    if community is not None and not isinstance(community, str):
        raise NotAnAnnotation("audienceCommunity: an IRI")
    return {"motivation": motivation, "text": _text(document.get("body"), document),
            "target": _target(document.get("target")), "title": title,
            "audience": _audience(document.get("audience")), "community": community,
            "as_organization": organization}


def page(container: str, posts: list[Post], *, index: int, size: int, total: int,
         iris_only: bool = False) -> dict[str, Any]:
    """One `AnnotationPage` of a container."""
    last = max((total - 1) // size, 0)
    document: dict[str, Any] = {
        "@context": ANNO_CONTEXT if iris_only else CONTEXT,
        "id": f"{container}?page={index}", "type": "AnnotationPage",
        "partOf": {"id": container, "total": total}, "startIndex": index * size,
        "items": [p.iri if iris_only else to_jsonld(p, context=False) for p in posts],
    }
    if index > 0:
        document["prev"] = f"{container}?page={index - 1}"
    if index < last:
        document["next"] = f"{container}?page={index + 1}"
    return document


def collection(container: str, label: str, total: int, size: int,
               first: dict[str, Any] | None) -> dict[str, Any]:
    """The container: an LDP basic container that is an `AnnotationCollection`."""
    last = max((total - 1) // size, 0)
    document: dict[str, Any] = {
        "@context": [ANNO_CONTEXT, LDP_CONTEXT], "id": container,
        "type": ["BasicContainer", "AnnotationCollection"], "label": label, "total": total,
    }
    if total:
        document["first"] = first if first is not None else f"{container}?page=0"
        document["last"] = f"{container}?page={last}"
    return document
