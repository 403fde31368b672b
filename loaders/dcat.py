"""DCAT RDF catalogs (Turtle, N-Triples, RDF/XML, JSON-LD), with Hydra paging.

A DCAT catalog already speaks the graph's language, so the loader's job is identity, not
translation: each `dcat:Dataset` is re-minted under the alliance's IRI scheme from its
`dct:identifier` (the publisher's own IRI is kept as evidence on the catalog record),
the nodes it owns (distributions, contact, spatial and temporal extents, rights) are
re-minted under it so no blank node survives, and what the record says is kept as it
says it. EU access rights become the alliance's access levels.

Safety: RDF/XML is checked with defusedxml before parsing and refused when it declares
entities (external entities read local files; nested ones expand to gigabytes — pyoxigraph
would expand internal ones). JSON-LD remote contexts are never fetched.

Paging follows `hydra:next` of a `hydra:PartialCollectionView` (IRIs) and the legacy
`hydra:nextPage` of a `hydra:PagedCollection` (often literals); a page seen twice is a
loop and an error, and `max_pages` (default 1000) caps the walk. A next link is resolved
against its page's URL and fetched over http(s) only; a refused one is reported and the
pages read before it load.
"""

from collections import defaultdict
from collections.abc import Iterator
from itertools import count

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse
from regiongraph.loaders.base import (
    Fetched,
    Issue,
    LoadContext,
    Record,
    RefusedURL,
    SourceError,
    link_url,
    refused_page,
)
from regiongraph.loaders.conformance import detect_conformance
from regiongraph.loaders.dcatmap import DatasetFields, Distribution, personal_data_concept
from regiongraph.loaders.spatial import coverage

from regiongraph.geo.geometry import HAS_GEOMETRY, geometry_node, place_key
from regiongraph.namespaces import DCAT, DCT, EUAR, GEO, HYDRA, LOCN, RDF, RDFS, RG, RGC, SKOS

FORMATS = {
    "turtle": RdfFormat.TURTLE, "ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES,
    "ntriples": RdfFormat.N_TRIPLES, "n-triples": RdfFormat.N_TRIPLES,
    "rdfxml": RdfFormat.RDF_XML, "rdf/xml": RdfFormat.RDF_XML, "xml": RdfFormat.RDF_XML,
    "jsonld": RdfFormat.JSON_LD, "json-ld": RdfFormat.JSON_LD,
}
MEDIA_TYPES = {
    "text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "application/rdf+xml": RdfFormat.RDF_XML,
    "application/xml": RdfFormat.RDF_XML, "text/xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD, "application/json": RdfFormat.JSON_LD,
}
OWNED = {
    DCAT.distribution: "distribution", DCAT.contactPoint: "contact", DCT.spatial: "spatial",
    DCT.temporal: "temporal", DCT.rights: "rights", DCT.provenance: "provenance",
    DCAT.qualifiedRelation: "relation", DCT.accessRights: "access-rights",
}
"""Links to nodes a dataset owns; they are re-minted under the dataset's IRI."""
EU_TO_ACCESS = {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "confidential",
                "CONFIDENTIAL": "confidential", "SENSITIVE": "confidential"}
DPV_PERSONAL = {"https://w3id.org/dpv#hasPersonalData", "https://w3id.org/dpv/owl#hasPersonalData"}


def rdf_format(fetched: Fetched, option: str | None) -> RdfFormat:
    if option:
        chosen = FORMATS.get(option.lower())
        if chosen is None:
            raise SourceError(f"unknown RDF format {option!r}; expected one of "
                              f"{', '.join(sorted(FORMATS))}")
        return chosen
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    lowered = fetched.location.lower().split("?")[0]
    for suffix, fmt in ((".ttl", RdfFormat.TURTLE), (".nt", RdfFormat.N_TRIPLES),
                        (".rdf", RdfFormat.RDF_XML), (".xml", RdfFormat.RDF_XML),
                        (".owl", RdfFormat.RDF_XML), (".jsonld", RdfFormat.JSON_LD),
                        (".json", RdfFormat.JSON_LD)):
        if lowered.endswith(suffix):
            return fmt
    head = fetched.content[:200].lstrip()
    if head.startswith((b"<?xml", b"<rdf:RDF")):
        return RdfFormat.RDF_XML
    if head.startswith((b"{", b"[")):
        return RdfFormat.JSON_LD
    return RdfFormat.TURTLE


def check_xml(content: bytes, location: str) -> None:
    """Refuse DTD entities and external references before any RDF/XML parser sees them."""
    import defusedxml.ElementTree as safe
    from defusedxml import DefusedXmlException

    try:
        safe.fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise SourceError(f"{location}: RDF/XML declares entities or external references "
                          f"({type(error).__name__}); refused, entity expansion is off") from None
    except safe.ParseError as error:
        raise SourceError(f"{location}: not well-formed XML: {error}") from None


def parse_page(fetched: Fetched, option: str | None, max_json_depth: int) -> list[Triple]:
    fmt = rdf_format(fetched, option)
    if fmt == RdfFormat.RDF_XML:
        check_xml(fetched.content, fetched.location)
    if fmt == RdfFormat.JSON_LD:  # pyoxigraph's JSON-LD parser recurses per level
        fetched.check_depth(max_json_depth)
    try:
        return [q.triple if hasattr(q, "triple") else q for q in
                parse(fetched.content, fmt, base_iri=_base(fetched.location))]
    except SyntaxError as error:
        message = str(error)
        if "LoadDocumentCallback" in message:
            message = "JSON-LD with a remote @context; remote contexts are not fetched"
        raise SourceError(f"{fetched.location}: {fmt.name} syntax error: {message}") from None


def _base(location: str) -> str | None:
    if location.startswith(("http://", "https://")):
        return location
    from pathlib import Path

    return Path(location).resolve().as_uri()


class DcatLoader:
    name = "dcat"
    description = "DCAT RDF: Turtle, N-Triples, RDF/XML, JSON-LD; Hydra paging"

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        triples, refused = self.all_pages(first, context)
        if refused is not None:
            yield refused
        index: dict = defaultdict(list)
        for t in triples:
            index[t.subject].append(t)
        datasets = [t.subject for t in triples
                    if t.predicate == RDF.type and t.object == DCAT.Dataset]
        if not datasets and not any(t.object == DCAT.Catalog for t in triples
                                    if t.predicate == RDF.type):
            raise SourceError(f"{first.location}: no dcat:Catalog or dcat:Dataset in "
                              f"{len(triples):,} triples: not a DCAT catalog")
        seen: dict[str, str] = {}
        mapper = _Remint(context, index)
        mapper.aliases = {d: mapper.minted(d) for d in dict.fromkeys(datasets)}
        for subject in dict.fromkeys(datasets):
            yield mapper.record(subject, seen)

    def all_pages(self, first: Fetched, context: LoadContext
                  ) -> tuple[list[Triple], Issue | None]:
        """Every page's triples, and the note about a refused next page (paging ends)."""
        option = context.options.get("format")
        max_pages = int(context.options.get("max_pages", 1000))
        triples = parse_page(first, option, context.max_json_depth)
        seen = {_norm(first.location)}
        page = triples
        location = first.location
        while True:
            following = next_page(page, location)
            if following is None:
                return triples, None
            if _norm(following) in seen:
                raise SourceError(f"{location}: Hydra next page {following} was already read "
                                  "(a paging loop); nothing loaded")
            if len(seen) >= max_pages:
                raise SourceError(f"{location}: more than {max_pages} Hydra pages "
                                  "(options.max_pages); nothing loaded")
            if context.fetch is None:
                raise SourceError(f"{location}: has a next page but this source cannot fetch")
            seen.add(_norm(following))
            context.say(f"{context.source_id}: page {len(seen)}: {following}")
            try:
                fetched = context.fetch(following)
            except RefusedURL as error:
                kept = f"the triples of {len(seen) - 1} page(s)"
                return triples, refused_page(error, location, kept)
            page = parse_page(fetched, option, context.max_json_depth)
            location = following
            triples.extend(page)


def next_page(triples: list[Triple], location: str) -> str | None:
    """The next page, from hydra:next (IRIs) or legacy hydra:nextPage (IRIs or literals)."""
    for t in triples:
        if t.predicate in (HYDRA.next, HYDRA.nextPage):
            value = t.object.value if isinstance(t.object, (NamedNode, Literal)) else None
            if value:
                return link_url(location, value)
    return None


def _norm(url: str) -> str:
    return url.strip().rstrip("/")


class _Remint:
    def __init__(self, context: LoadContext, index: dict) -> None:
        self.context = context
        self.index = index
        self.community = context.minter.iri("community", context.community)
        self.catalog = context.minter.iri("catalog", context.source_id)
        self.aliases: dict = {}
        """The publisher's dataset IRIs → minted ones, so links between datasets
        (prov:wasDerivedFrom, dct:isPartOf...) land on the minted IRIs."""

    def minted(self, subject) -> NamedNode | None:
        props = self.index.get(subject, [])
        for t in props:
            if t.predicate == DCT.identifier and isinstance(t.object, Literal):
                return self.context.dataset_iri(t.object.value)
        if isinstance(subject, NamedNode):
            return self.context.dataset_iri(subject.value)
        return None

    def record(self, subject, seen: dict[str, str]) -> Record:
        props = self.index.get(subject, [])
        identifiers = [t.object.value for t in props if t.predicate == DCT.identifier
                       and isinstance(t.object, Literal)]
        titles = [t for t in props if t.predicate == DCT.term("title")]
        own = subject.value if isinstance(subject, NamedNode) else None
        label = identifiers[0] if identifiers else (own or "(blank node dataset)")
        issues: list[Issue] = []
        if identifiers:
            identifier = identifiers[0]
        elif own:
            identifier = own
            issues.append(Issue("no dct:identifier; the dataset's own IRI is used", label,
                                "dct:identifier", "warning"))
        else:
            return Record(key=f"_:{subject.value}", skipped="no identifier", issues=[
                Issue("blank-node dataset without dct:identifier; skipped", label,
                      "dct:identifier")])
        if not titles:
            return Record(key=identifier, skipped="no title", identifier=identifier,
                          issues=[Issue("dataset has no dct:title; skipped", label, "dct:title")])
        dataset = self.context.dataset_iri(identifier)
        if dataset.value in seen:
            return Record(key=f"{identifier}#duplicate", skipped="duplicate identifier",
                          identifier=identifier, issues=[Issue(
                              f"identifier {identifier!r} already used by {seen[dataset.value]}; "
                              "this later one is skipped", label, "dct:identifier")])
        seen[dataset.value] = own or label
        out: list[Triple] = [Triple(self.catalog, DCAT.dataset, dataset),
                             Triple(dataset, RG.community, self.community)]
        fields = DatasetFields(identifier=identifier, title=titles[0].object.value)
        access_found = False
        counters: dict[str, count] = defaultdict(lambda: count(1))
        landing = None
        for t in props:
            p, o = t.predicate, t.object
            if p == DCT.publisher:
                out.append(Triple(dataset, DCT.publisher, self.community))
                continue
            if p == DCT.accessRights and isinstance(o, NamedNode) and o.value.startswith(EUAR):
                level = EU_TO_ACCESS.get(o.value[len(EUAR):])
                if level:
                    out.append(Triple(dataset, RG.accessLevel, RGC.term(f"access/{level}")))
                    access_found = True
                continue
            if p == RG.accessLevel:
                access_found = True
            if p.value in DPV_PERSONAL or p == RG.personalDataCategory:
                out.append(Triple(dataset, RG.personalDataCategory,
                                  personal_data_concept(o.value)))
                continue
            if p == DCAT.keyword and isinstance(o, Literal):
                fields.keywords.append(o.value)
            if p == DCAT.landingPage and isinstance(o, NamedNode):
                landing = o.value
            if p in OWNED and not isinstance(o, Literal) and o != dataset:
                child = NamedNode(f"{dataset.value}/{OWNED[p]}/{next(counters[OWNED[p]])}")
                out.append(Triple(dataset, p, child))
                self.copy_owned(o, child, out, fields, depth=0)
                if p == DCT.spatial:
                    issues.extend(self.spatial(dataset, child, out, label))
                continue
            if isinstance(o, BlankNode):
                issues.append(Issue(f"{p.value} points to a blank node; left out", label,
                                    p.value, "warning"))
                continue
            out.append(Triple(dataset, p, self.aliases.get(o) or o))
        if not access_found:
            issues.append(Issue("no dct:accessRights; recorded as restricted until stated",
                                label, "dct:accessRights", "warning"))
            out.append(Triple(dataset, RG.accessLevel, RGC.term("access/restricted")))
        out.extend(detect_conformance(dataset, fields, out, self.context.standards))
        return Record(key=identifier, iri=dataset, triples=out, issues=issues,
                      landing_page=landing, identifier=identifier, source_iri=own)

    def spatial(self, dataset: NamedNode, place: NamedNode, out: list[Triple],
                label: str) -> list[Issue]:
        """The dataset's geometry from its location's `locn:geometry` or `dcat:bbox`, else
        from a name of the region's own places; a malformed literal is left out."""
        said = [t for t in out if t.subject == place and isinstance(t.object, Literal)]
        # DCAT-AP 3's locn:geometry is a node holding the literal (GeoSPARQL's asWKT or
        # asGeoJSON); GeoDCAT-AP 2 put the literal on the location itself.
        nodes = {t.object for t in out if t.subject == place and t.predicate == LOCN.geometry
                 and isinstance(t.object, NamedNode)}
        said += [Triple(place, LOCN.geometry, t.object) for t in out if t.subject in nodes
                 and t.predicate in (GEO.asWKT, GEO.asGeoJSON) and isinstance(t.object, Literal)]
        issues = []
        for prop in (LOCN.geometry, DCAT.bbox):
            for t in [t for t in said if t.predicate == prop]:
                found = coverage(dataset, t.object.value, None)
                if found.problem:
                    if t in out:
                        out.remove(t)
                    issues.append(Issue(f"{prop.value}: {found.problem}", label, prop.value,
                                        "warning"))
                elif found.triples:
                    out.extend(found.triples)
                    return issues
        for t in said:
            if t.predicate in (LOCN.geographicName, SKOS.prefLabel, RDFS.label):
                feature = self.context.places.get(place_key(t.object.value))
                if feature is not None:
                    out.append(Triple(dataset, HAS_GEOMETRY, geometry_node(NamedNode(feature))))
                    break
        return issues

    def copy_owned(self, node, child: NamedNode, out: list[Triple], fields: DatasetFields,
                   depth: int) -> None:
        """Copy what a distribution (contact, extent...) says, one level of blank nodes deep."""
        dist = Distribution() if any(t.predicate == RDF.type and t.object == DCAT.Distribution
                                     for t in self.index.get(node, [])) else None
        inner = count(1)
        for t in self.index.get(node, []):
            p, o = t.predicate, t.object
            if isinstance(o, BlankNode):
                if depth >= 2:
                    continue
                grandchild = NamedNode(f"{child.value}/n{next(inner)}")
                out.append(Triple(child, p, grandchild))
                self.copy_owned(o, grandchild, out, fields, depth + 1)
                continue
            out.append(Triple(child, p, o))
            if dist is not None:
                if p == DCAT.downloadURL:
                    dist.download_url = o.value
                elif p == DCAT.accessURL:
                    dist.access_url = o.value
                elif p == DCAT.mediaType:
                    dist.media_type = o.value.rsplit("media-types/", 1)[-1]
                elif p == DCT.term("format"):
                    dist.format = o.value.rsplit("/", 1)[-1]
        if dist is not None:
            fields.distributions.append(dist)


__all__ = ["DcatLoader"]
