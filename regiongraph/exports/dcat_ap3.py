"""DCAT-AP 3.0.1: a `DatasetRecord` and a `CatalogInfo` as RDF triples.

Mandatory properties are always written (title, description, publisher with a
`foaf:name`, distribution `accessURL`); recommended ones where the record has them;
coded values use the EU authority tables (`vocab`), because that is what DCAT-AP's
shapes and European harvesters compare against. Nothing here reads the store.
"""

from collections.abc import Iterator

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.exports.model import Agent, CatalogInfo, DatasetRecord
from regiongraph.exports.vocab import (
    PUBLISHER_TYPE,
    PUBLISHER_TYPES,
    eu_access_right,
    eu_file_type,
    eu_frequency,
    eu_language,
    eu_licence,
)
from regiongraph.namespaces import DCAT, DCT, FOAF, LOCN, ODRL, RDF, RDFS, SKOS, VCARD, XSD

NAME = "dcat-ap-3"
KIND = "rdf"
DESCRIPTION = "DCAT-AP 3.0.1 (RDF: Turtle, JSON-LD, RDF/XML, N-Triples)"
WKT = NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
DCATAP = "http://data.europa.eu/r5r/"
THEME_TAXONOMY = "https://w3id.org/regiongraph/concepts/domain"
"""The SKOS scheme every `dcat:theme` the harvest assigns comes from (rgc:domain)."""
NO_DESCRIPTION = "No description was given by the publisher."


def _literal(text: str, datatype: NamedNode | None = None) -> Literal:
    return Literal(text, datatype=datatype) if datatype else Literal(text)


def _date(text: str) -> Literal:
    """ISO dates keep their XSD type (DCAT-AP's range is date, dateTime or gYear)."""
    if len(text) == 10:
        return Literal(text, datatype=XSD.date)
    if len(text) == 4 and text.isdigit():
        return Literal(text, datatype=XSD.gYear)
    if "T" in text:
        return Literal(text, datatype=XSD.dateTime)
    return Literal(text)


def agent_triples(agent: Agent) -> Iterator[Triple]:
    node = NamedNode(agent.iri)
    yield Triple(node, RDF.type, FOAF.Agent)
    yield Triple(node, FOAF.name, Literal(agent.name))
    if agent.homepage:
        yield Triple(node, FOAF.homepage, NamedNode(agent.homepage))
    if agent.kind in PUBLISHER_TYPES:
        yield Triple(node, DCT.type, NamedNode(PUBLISHER_TYPE + PUBLISHER_TYPES[agent.kind]))


def dataset_triples(record: DatasetRecord) -> Iterator[Triple]:
    d = NamedNode(record.iri)
    yield Triple(d, RDF.type, DCAT.Dataset)
    yield Triple(d, DCT.identifier, Literal(record.identifier))
    yield Triple(d, DCT.term("title"), Literal(record.title))
    yield Triple(d, DCT.description, Literal(record.description or NO_DESCRIPTION))
    for keyword in record.keywords:
        yield Triple(d, DCAT.keyword, Literal(keyword))
    for theme in record.themes:
        yield Triple(d, DCAT.theme, NamedNode(theme.iri))
        if theme.label:
            yield Triple(NamedNode(theme.iri), SKOS.prefLabel, Literal(theme.label))
    if record.issued:
        yield Triple(d, DCT.issued, _date(record.issued))
    if record.modified:
        yield Triple(d, DCT.modified, _date(record.modified))
    if record.publisher:
        yield Triple(d, DCT.publisher, NamedNode(record.publisher.iri))
        yield from agent_triples(record.publisher)
    if record.contact and (record.contact.name or record.contact.email):
        contact = NamedNode(record.iri + "/contact")
        yield Triple(d, DCAT.contactPoint, contact)
        yield Triple(contact, RDF.type, VCARD.Kind)
        if record.contact.name:
            yield Triple(contact, VCARD.fn, Literal(record.contact.name))
        if record.contact.email:
            yield Triple(contact, VCARD.hasEmail, NamedNode("mailto:" + record.contact.email))
    access = eu_access_right(record.access_level)
    if access:
        yield Triple(d, DCT.accessRights, NamedNode(access))
    licence = eu_licence(record.license) or record.license
    if record.license:
        # DCAT 3 lets any resource carry a licence; DCAT-AP reads it on distributions
        # (below, as the EU authority IRI). The publisher's own IRI stays on the dataset
        # so harvesters that read the dataset (ckanext-dcat, regiongraph) keep it.
        yield Triple(d, DCT.license, NamedNode(record.license))
    if record.landing_page:
        yield Triple(d, DCAT.landingPage, NamedNode(record.landing_page))
        yield Triple(NamedNode(record.landing_page), RDF.type, FOAF.Document)
    for index, rights in enumerate(record.rights, start=1):
        node = NamedNode(f"{record.iri}/rights/{index}")
        yield Triple(d, DCT.rights, node)
        yield Triple(node, RDF.type, DCT.RightsStatement)
        yield Triple(node, RDFS.label, Literal(rights))
    if record.spatial_label or record.spatial_bbox or record.spatial_wkt:
        yield from _location(d, record)
    if record.temporal_start or record.temporal_end:
        period = NamedNode(record.iri + "/temporal")
        yield Triple(d, DCT.temporal, period)
        yield Triple(period, RDF.type, DCT.PeriodOfTime)
        if record.temporal_start:
            yield Triple(period, DCAT.startDate, _date(record.temporal_start))
        if record.temporal_end:
            yield Triple(period, DCAT.endDate, _date(record.temporal_end))
    for standard in record.conforms_to:
        node = NamedNode(standard.iri)
        yield Triple(d, DCT.conformsTo, node)
        yield Triple(node, RDF.type, DCT.Standard)
        if standard.label:
            yield Triple(node, DCT.term("title"), Literal(standard.label))
    for language in record.languages:
        eu = eu_language(language)
        if eu:
            yield Triple(d, DCT.language, NamedNode(eu))
    for reference in record.references:
        yield Triple(d, DCT.references, NamedNode(reference))
    if record.described_by:
        yield Triple(d, RDFS.seeAlso, NamedNode(record.described_by))
    frequency = eu_frequency(record.accrual_periodicity)
    if frequency:
        yield Triple(d, DCT.accrualPeriodicity, NamedNode(frequency))
    for source in record.derived_from:
        yield Triple(d, NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), NamedNode(source))
    for dist in record.distributions:
        node = NamedNode(dist.iri)
        access_url = dist.access_url or dist.download_url or record.landing_page
        if access_url is None:
            continue  # DCAT-AP needs an accessURL; a distribution without one is no use
        yield Triple(d, DCAT.distribution, node)
        yield Triple(node, RDF.type, DCAT.Distribution)
        yield Triple(node, DCAT.accessURL, NamedNode(access_url))
        if dist.download_url:
            yield Triple(node, DCAT.downloadURL, NamedNode(dist.download_url))
        if dist.title:
            yield Triple(node, DCT.term("title"), Literal(dist.title))
        description = dist.description or distribution_summary(record, dist)
        yield Triple(node, DCT.description, Literal(description))
        if dist.media_type:
            yield Triple(node, DCAT.mediaType, NamedNode(
                "https://www.iana.org/assignments/media-types/" + dist.media_type))
        file_type = eu_file_type(dist.media_type, dist.format)
        if file_type:
            yield Triple(node, DCT.term("format"), NamedNode(file_type))
        if licence:
            yield Triple(node, DCT.license, NamedNode(licence))
        for standard in dist.conforms_to:
            yield Triple(node, DCT.conformsTo, NamedNode(standard))
        for policy in record.policies:
            yield Triple(node, ODRL.hasPolicy, NamedNode(policy))


def _location(d: NamedNode, record: DatasetRecord) -> Iterator[Triple]:
    """`dct:spatial`: a `dct:Location` with its name, `dcat:bbox`, `dcat:centroid` and
    `locn:geometry`, each a `geo:wktLiteral`. DCAT-AP 3.0.1's files disagree on the geometry
    (the split shapes want a literal, the full file a `locn:Geometry` node); the literal
    is what GeoDCAT-AP, ckanext-dcat and data.europa.eu write and read."""
    place = NamedNode(record.iri + "/spatial")
    yield Triple(d, DCT.spatial, place)
    yield Triple(place, RDF.type, DCT.Location)
    if record.spatial_label:
        yield Triple(place, SKOS.prefLabel, Literal(record.spatial_label))
    if record.spatial_bbox:
        yield Triple(place, DCAT.bbox, Literal(record.spatial_bbox, datatype=WKT))
    shape = record.spatial_wkt or record.spatial_bbox
    if shape:
        centre = centroid(shape)
        if centre:
            yield Triple(place, DCAT.centroid, Literal(centre, datatype=WKT))
    if record.spatial_wkt:
        yield Triple(place, LOCN.geometry, Literal(record.spatial_wkt, datatype=WKT))


def centroid(wkt: str) -> str | None:
    """The centre of a geometry (its centroid), as a WKT point; None if it is not WKT.

    >>> centroid("POLYGON((-111.4 32.1,-111.2 32.1,-111.2 32.3,-111.4 32.3,-111.4 32.1))")
    'POINT (-111.3 32.2)'
    """
    from regiongraph.geo.geometry import GeometryError, parse_wkt, to_wkt

    try:
        return to_wkt(parse_wkt(wkt).centroid)
    except GeometryError:
        return None


def distribution_summary(record: DatasetRecord, dist) -> str:
    """A distribution described by what we know of it (its title or format, its dataset)."""
    what = dist.title or (f"{dist.format} distribution" if dist.format else "Distribution")
    return f"{what} of {record.title}."


def dataset_licence(record: DatasetRecord) -> Iterator[Triple]:
    """The licences named are `dct:LicenseDocument`s (DCAT-AP's range for dct:license)."""
    for licence in {eu_licence(record.license), record.license} - {None}:
        yield Triple(NamedNode(licence), RDF.type, DCT.LicenseDocument)


def catalog_head(catalog: CatalogInfo) -> Iterator[Triple]:
    """What DCAT-AP requires of any catalog: title, description, one named publisher."""
    c = NamedNode(catalog.iri)
    yield Triple(c, RDF.type, DCAT.Catalog)
    yield Triple(c, DCT.term("title"), Literal(catalog.title))
    yield Triple(c, DCT.description, Literal(catalog.description))
    yield Triple(c, DCT.publisher, NamedNode(catalog.publisher.iri))
    yield from agent_triples(catalog.publisher)
    if catalog.homepage:
        yield Triple(c, FOAF.homepage, NamedNode(catalog.homepage))
    if catalog.modified:
        yield Triple(c, DCT.modified, _date(catalog.modified))
    yield Triple(c, DCT.language, NamedNode(eu_language("en")))
    yield Triple(c, DCAT.themeTaxonomy, NamedNode(THEME_TAXONOMY))


def catalog_triples(catalog: CatalogInfo, records: list[DatasetRecord]) -> Iterator[Triple]:
    """The catalog node, its publisher, its community catalogs and this page's datasets."""
    c = NamedNode(catalog.iri)
    yield from catalog_head(catalog)
    for sub in catalog.subcatalogs:
        yield Triple(c, DCAT.catalog, NamedNode(sub.iri))
        yield from catalog_head(sub)
    for record in records:
        yield Triple(c, DCAT.dataset, NamedNode(record.iri))
        yield from dataset_triples(record)
        yield from dataset_licence(record)


def page_triples(catalog: CatalogInfo, records: list[DatasetRecord]) -> Iterator[Triple]:
    yield from catalog_triples(catalog, records)


def record_triples(record: DatasetRecord) -> Iterator[Triple]:
    """One dataset on its own (what its IRI dereferences to)."""
    yield from dataset_triples(record)
    yield from dataset_licence(record)


__all__ = ["DCATAP", "catalog_triples", "dataset_triples", "record_triples"]
