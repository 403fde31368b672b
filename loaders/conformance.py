"""Which standard a dataset most likely follows, and why we think so.

Catalogs rarely fill `conformsTo`, yet a GTFS zip, a GBFS feed or an Open311 endpoint
gives itself away by its format, media type, URL or keywords. Each rule names the
standard (its registry IRI, `{base}standards/<id>`) and the clue that matched; the
clue is stored as evidence on a `rg:ConformanceEvidence` node, so a steward sees why
and can overrule it. A `conformsTo` the record itself gives is kept as it is.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Triple
from regiongraph.loaders.base import Terms

from regiongraph.conformance import normalise_url
from regiongraph.namespaces import DCT, PROV, RDF, RG

DCT, PROV, RDF, RG = (Terms(n) for n in (DCT, PROV, RDF, RG))

if TYPE_CHECKING:
    from regiongraph.loaders.dcatmap import DatasetFields


@dataclass(frozen=True)
class Rule:
    standard: str
    """The registry's id of the standard (`demo/registry/standards.*`)."""
    keywords: tuple[str, ...] = ()
    url: str | None = None
    media_types: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()

    @property
    def pattern(self) -> "re.Pattern[str] | None":
        return _compiled(self.url) if self.url else None


RULES: tuple[Rule, ...] = (
    Rule("gtfs-realtime", keywords=("gtfs-rt", "gtfs realtime", "gtfs-realtime"),
         url=r"gtfs[-_]?rt|gtfs-realtime|tripupdates|vehiclepositions",
         media_types=("application/x-protobuf",)),
    Rule("gtfs", keywords=("gtfs", "general transit feed specification"),
         url=r"gtfs[^/]*\.zip$|/gtfs/?$|/gtfs[._-]|google_transit[^/]*\.zip$", formats=("gtfs",)),
    Rule("gbfs", keywords=("gbfs", "general bikeshare feed specification"),
         url=r"gbfs(\.json)?(/|$)|/gbfs/"),
    Rule("mds", keywords=("mds", "mobility data specification"), url=r"/mds/"),
    Rule("cds", keywords=("curb data specification",), url=r"/cds/|curb[-_]?data"),
    Rule("wzdx", keywords=("wzdx", "work zone data exchange"), url=r"wzdx"),
    Rule("open311", keywords=("open311", "open 311"), url=r"open311|/georeport/v2"),
    Rule("blds", keywords=("blds", "building and land development specification"),
         url=r"blds"),
    Rule("sensorthings", keywords=("sensorthings", "ogc sensorthings"),
         url=r"/v1\.[01]/(things|datastreams|observations)|sensorthings"),
    Rule("hsds", keywords=("hsds", "open referral", "human services data specification"),
         url=r"openreferral|/hsds"),
    Rule("waterml2", keywords=("waterml", "waterml2", "waterml 2.0"), url=r"waterml",
         media_types=("application/vnd.ogc.waterml+xml", "application/waterml+xml")),
    Rule("geojson", url=r"\.geojson$", media_types=("application/geo+json",),
         formats=("geojson",)),
)


def detect_conformance(
    dataset: NamedNode, fields: "DatasetFields", existing: list[Triple],
    standards: dict[str, str] | None = None,
) -> Iterator[Triple]:
    """Yield `dct:conformsTo` and evidence triples for each standard a rule recognises.

    `standards` maps a standard's addresses (as `normalise_url` gives them) to its registry
    IRI (`regiongraph.conformance.Standards.aliases`), so a record that already names GTFS
    by its homepage gets no second claim.
    """
    base = dataset.value.split("datasets/")[0]
    keywords = {k.strip().lower() for k in (*fields.keywords, *fields.themes)}
    urls = [u for d in fields.distributions for u in (d.download_url, d.access_url) if u]
    media = {d.media_type.strip().lower() for d in fields.distributions if d.media_type}
    formats = {d.format.strip().lower() for d in fields.distributions if d.format}
    declared: set[str] | None = None
    for rule in RULES:
        clue = _match(rule, keywords, urls, media, formats)
        if clue is None:
            continue
        if declared is None:
            declared = _declared(existing, standards or {})
        standard = NamedNode(f"{base}standards/{rule.standard}")
        if standard.value in declared:
            continue
        evidence = NamedNode(f"{dataset.value}/conformance/{rule.standard}")
        yield Triple(dataset, DCT.conformsTo, standard)
        yield Triple(evidence, RDF.type, RG.ConformanceEvidence)
        yield Triple(evidence, RG.evidenceFor, dataset)
        yield Triple(evidence, RG.suggestedStandard, standard)
        yield Triple(evidence, RG.clue, Literal(clue))
        yield Triple(evidence, PROV.wasGeneratedBy, NamedNode(f"{base}activities/conformance-detection"))


def _declared(existing: list[Triple], known: dict[str, str]) -> set[str]:
    """Standards the record names itself, by IRI or by a registry standard's homepage."""
    declared = set()
    for t in existing:
        if t.predicate == DCT.conformsTo and isinstance(t.object, NamedNode):
            declared.add(t.object.value)
            declared.add(known.get(normalise_url(t.object.value), t.object.value))
    return declared


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern, re.IGNORECASE)


def _match(rule: Rule, keywords: set[str], urls: list[str], media: set[str],
           formats: set[str]) -> str | None:
    for keyword in rule.keywords:
        if keyword in keywords:
            return f"keyword {keyword!r}"
    for value in formats:
        if value in rule.formats:
            return f"format {value!r}"
    for value in media:
        if value in rule.media_types:
            return f"media type {value}"
    pattern = rule.pattern
    if pattern is not None:
        for url in urls:
            path = url.split("?")[0]
            if pattern.search(path):
                return f"URL {url}"
    return None
