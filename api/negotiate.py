"""Content negotiation: one table of formats for `Accept`, `?format=` and suffixes.

Datasette's lesson: build the data once, then pick the output. A route lists the
media types it can produce; this module picks one the way RFC 9110 says (q-values,
wildcards), with an explicit `format` parameter or file suffix winning.
"""

from urllib.parse import quote

from fastapi import HTTPException, Request

# short name or suffix → media type
ALIASES = {
    "ttl": "text/turtle", "turtle": "text/turtle",
    "nt": "application/n-triples", "ntriples": "application/n-triples",
    "nq": "application/n-quads",
    "rdf": "application/rdf+xml", "rdfxml": "application/rdf+xml", "owl": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/json", "html": "text/html",
    "srj": "application/sparql-results+json", "srx": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values",
    "xml": "application/xml",
}
RDF_TYPES = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"]


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first (stable for equal q)."""
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges]


def _matches(media_range: str, offer: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    if media_range.endswith("/*"):
        return offer.split("/")[0] == media_range[:-2]
    return media_range == offer


def choose(accept: str | None, offers: list[str], explicit: str | None = None) -> str:
    """Pick one of `offers` (first = default); 406 if nothing acceptable."""
    if explicit:
        wanted = ALIASES.get(explicit.lower(), explicit.lower())
        if wanted in offers:
            return wanted
        raise HTTPException(406, f"format {explicit!r} is not offered here; offered: {', '.join(offers)}")
    if not accept:
        return offers[0]
    for media_range, q in parse_accept(accept):
        if q <= 0:
            continue
        for offer in offers:
            if _matches(media_range, offer):
                return offer
    raise HTTPException(406, f"none of {accept!r} is offered here; offered: {', '.join(offers)}")


def negotiate(request: Request, offers: list[str], *, suffix: str | None = None) -> str:
    explicit = suffix or request.query_params.get("format")
    return choose(request.headers.get("accept"), offers, explicit)


def prefers_html(request: Request) -> bool:
    """True for a browser (its Accept ranks text/html above JSON); API clients sending
    `*/*`, JSON or nothing get False."""
    try:
        return choose(request.headers.get("accept"), ["application/json", "text/html"]) \
            == "text/html"
    except HTTPException:
        return False


def with_format(request: Request, short: str) -> str:
    """This request's path and query asking for another format (`?format=json`): the link
    a page gives to its twin."""
    kept = [f"{k}={quote(v)}" for k, v in request.query_params.multi_items() if k != "format"]
    return f"{request.url.path}?{'&'.join([*kept, f'format={short}'])}"
