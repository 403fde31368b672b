"""One dataset record, written out as a DCAT-US 1.1 `data.json` entry or as DCAT 3 Turtle.

The demo catalogs (`demo/tools/build_catalogs.py`) and the synthetic region
(`regiongraph generate`) both describe datasets with `DatasetRecord` and write them with
the functions below, so the two can never drift apart in shape: whatever the harvest
reads from the demo, it also reads at 100k datasets in the benchmarks.

Everything here is a pure function of its input and writes text byte for byte the same
on every run (sorted where order is not given, no clocks, no hash-seeded iteration):
`generate` promises byte-identical files for the same arguments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Real standards the region's data conforms to: key -> (conformsTo URI, short name).
# The URI is the standard's homepage as `demo/registry/standards.yaml` gives it, which is
# how the harvest recognises a claimed standard (tmg, mmucc, nibrs, opensidewalks and ntd
# are real standards the alliance's registry may not list).
STANDARDS: dict[str, tuple[str, str]] = {
    "gtfs": ("https://gtfs.org/documentation/schedule/reference/", "GTFS Schedule"),
    "gtfs-rt": ("https://gtfs.org/documentation/realtime/reference/", "GTFS Realtime"),
    "gbfs": ("https://gbfs.org/", "GBFS"),
    "mds": ("https://www.openmobilityfoundation.org/about-mds/", "MDS"),
    "cds": ("https://www.openmobilityfoundation.org/about-cds/", "CDS"),
    "wzdx": ("https://github.com/usdot-jpo-ode/wzdx", "WZDx"),
    "open311": ("https://wiki.open311.org/GeoReport_v2/", "Open311 GeoReport v2"),
    "blds": ("https://permitdata.org/", "BLDS"),
    "sensorthings": ("https://www.ogc.org/standards/sensorthings/", "OGC SensorThings API 1.1"),
    "hsds": ("https://docs.openreferral.org/", "Open Referral HSDS"),
    "waterml": ("https://www.ogc.org/standards/waterml/", "OGC WaterML 2.0"),
    "geojson": ("https://datatracker.ietf.org/doc/html/rfc7946", "GeoJSON (RFC 7946)"),
    "mmucc": ("https://www.nhtsa.gov/mmucc-1", "MMUCC"),
    "nibrs": (
        "https://www.fbi.gov/how-we-can-help-you/more-fbi-services-and-information/ucr/nibrs",
        "NIBRS",
    ),
    "hmis": (
        "https://www.hudexchange.info/programs/hmis/hmis-data-standards/",
        "HMIS Data Standards",
    ),
    "iso37120": ("https://www.iso.org/standard/68498.html", "ISO 37120"),
    "fiware": ("https://smartdatamodels.org/", "FIWARE Smart Data Models"),
    "tmg": ("https://www.fhwa.dot.gov/policyinformation/tmguide/", "FHWA Traffic Monitoring Guide"),
    "opensidewalks": (
        "https://github.com/OpenSidewalks/OpenSidewalks-Schema", "OpenSidewalks Schema",
    ),
    "ntd": ("https://www.transit.dot.gov/ntd", "National Transit Database"),
}

# Project domains: slug -> theme label as a data.json publisher would write it.
# In DCAT Turtle a theme is the alliance concept `rgc:domain/<slug>`.
DOMAINS: dict[str, str] = {
    "transportation": "Transportation",
    "micromobility": "Micromobility",
    "street-lighting": "Street Lighting",
    "recycling": "Recycling",
    "pedestrian-safety": "Pedestrian Safety",
    "water-conservation": "Water Conservation",
    "homelessness": "Homelessness",
    "vandalism": "Vandalism",
    "digital-services": "Digital Services",
    "public-safety": "Public Safety",
    "permitting": "Permitting",
    "environment": "Environment",
    # finer concepts of the same scheme, used beside the project domains
    "transit": "Transit",
    "traffic": "Traffic",
    "parking": "Parking",
    "air-quality": "Air Quality",
    "public-health": "Public Health",
    "energy": "Energy",
    "broadband": "Broadband",
    "emergency-management": "Emergency Management",
    "land-use": "Land Use",
    "housing": "Housing",
}

CONCEPTS = "https://w3id.org/regiongraph/concepts/"
IANA = "https://www.iana.org/assignments/media-types/"

ACCESS_LEVELS = ("public", "restricted public", "non-public")
_ACCESS_RIGHTS = {
    "public": "PUBLIC", "restricted public": "RESTRICTED", "non-public": "NON_PUBLIC",
}
_EU = "http://publications.europa.eu/resource/authority/"
_FREQUENCIES = {
    "R/PT1M": "UPDATE_CONT", "R/PT1H": "HOURLY", "R/P1D": "DAILY", "R/P1W": "WEEKLY",
    "R/P1M": "MONTHLY", "R/P3M": "QUARTERLY", "R/P1Y": "ANNUAL", "irregular": "IRREG",
}

LICENSES = {
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "odbl": "https://opendatacommons.org/licenses/odbl/1.0/",
    "pddl": "https://opendatacommons.org/licenses/pddl/1.0/",
}


@dataclass(frozen=True)
class DistributionKind:
    """How one kind of file or API is published: DCAT-US format label, IANA type, EU type."""

    format: str
    media_type: str
    eu_type: str
    download: bool
    suffix: str


DISTRIBUTION_KINDS: dict[str, DistributionKind] = {
    "csv": DistributionKind("CSV", "text/csv", "CSV", True, ".csv"),
    "json": DistributionKind("JSON", "application/json", "JSON", True, ".json"),
    "geojson": DistributionKind("GeoJSON", "application/geo+json", "GEOJSON", True, ".geojson"),
    "shp": DistributionKind("Shapefile", "application/zip", "SHP", True, ".zip"),
    "kml": DistributionKind("KML", "application/vnd.google-earth.kml+xml", "KML", True, ".kml"),
    "xlsx": DistributionKind(
        "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
        True, ".xlsx",
    ),
    "pdf": DistributionKind("PDF", "application/pdf", "PDF", True, ".pdf"),
    "xml": DistributionKind("XML", "application/xml", "XML", True, ".xml"),
    "zip": DistributionKind("ZIP", "application/zip", "ZIP", True, ".zip"),
    "api": DistributionKind("API", "application/json", "JSON", False, ""),
    "protobuf": DistributionKind("Protocol Buffers", "application/x-protobuf", "BIN", False, ".pb"),
    "html": DistributionKind("HTML", "text/html", "HTML", False, ""),
}


@dataclass(frozen=True)
class Distribution:
    title: str
    kind: str
    url: str
    conforms_to: str | None = None
    description: str | None = None

    @property
    def spec(self) -> DistributionKind:
        return DISTRIBUTION_KINDS[self.kind]


@dataclass(frozen=True)
class DatasetRecord:
    """A dataset as a member's own catalog describes it (not yet the alliance's view)."""

    identifier: str
    title: str
    description: str
    keywords: tuple[str, ...]
    domains: tuple[str, ...]
    publisher: str
    parent_organization: str | None
    contact_name: str
    contact_email: str
    modified: str
    access_level: str
    issued: str | None = None
    license: str | None = None
    rights: str | None = None
    spatial: str | None = None
    temporal: str | None = None
    periodicity: str | None = None
    landing_page: str | None = None
    conforms_to: str | None = None
    described_by: str | None = None
    distributions: tuple[Distribution, ...] = ()
    derived_from: tuple[str, ...] = field(default=())
    language: str = "en-US"

    def __post_init__(self) -> None:
        if self.access_level not in ACCESS_LEVELS:
            raise ValueError(f"{self.identifier}: unknown access level {self.access_level!r}")
        for domain in self.domains:
            if domain not in DOMAINS:
                raise ValueError(f"{self.identifier}: unknown domain {domain!r}")


# --- DCAT-US 1.1 data.json -------------------------------------------------------------

DATAJSON_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"


def datajson_record(record: DatasetRecord) -> dict:
    """The record as a DCAT-US 1.1 dataset object (keys in the schema's usual order)."""
    publisher: dict = {"@type": "org:Organization", "name": record.publisher}
    if record.parent_organization:
        publisher["subOrganizationOf"] = {
            "@type": "org:Organization", "name": record.parent_organization,
        }
    out: dict = {
        "@type": "dcat:Dataset",
        "identifier": record.identifier,
        "title": record.title,
        "description": record.description,
        "keyword": list(record.keywords),
        "theme": [DOMAINS[d] for d in record.domains],
        "modified": record.modified,
        "publisher": publisher,
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": record.contact_name,
            "hasEmail": f"mailto:{record.contact_email}",
        },
        "accessLevel": record.access_level,
    }
    optional = {
        "issued": record.issued,
        "license": record.license,
        "rights": record.rights,
        "spatial": record.spatial,
        "temporal": record.temporal,
        "accrualPeriodicity": record.periodicity,
        "landingPage": record.landing_page,
        "conformsTo": record.conforms_to,
        "describedBy": record.described_by,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if record.language:
        out["language"] = [record.language]
    if record.distributions:
        out["distribution"] = [_datajson_distribution(d) for d in record.distributions]
    return out


def _datajson_distribution(dist: Distribution) -> dict:
    spec = dist.spec
    out: dict = {"@type": "dcat:Distribution", "title": dist.title}
    if dist.description:
        out["description"] = dist.description
    out["downloadURL" if spec.download else "accessURL"] = dist.url
    out["mediaType"] = spec.media_type
    out["format"] = spec.format
    if dist.conforms_to:
        out["conformsTo"] = dist.conforms_to
    return out


def datajson_catalog(records: Iterable[DatasetRecord], catalog_url: str) -> str:
    """A whole DCAT-US 1.1 catalog as text, ending with a newline."""
    catalog = {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": catalog_url,
        "@type": "dcat:Catalog",
        "conformsTo": DATAJSON_SCHEMA,
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": [datajson_record(r) for r in records],
    }
    return json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"


# --- DCAT 3 Turtle ---------------------------------------------------------------------

BBOX = re.compile(r"^(-?[\d.]+),(-?[\d.]+),(-?[\d.]+),(-?[\d.]+)$")
TURTLE_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "locn": "http://www.w3.org/ns/locn#",
    "rgc": CONCEPTS,
}


def turtle_string(text: str) -> str:
    """A Turtle string literal: quotes, backslashes and control characters escaped."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"')
        .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _iri(value: str) -> str:
    if any(c in value for c in '<>"{}|^`\\ '):
        raise ValueError(f"not writable as an IRI: {value!r}")
    return f"<{value}>"


def _date(value: str) -> str:
    kind = "dateTime" if "T" in value else "date"
    return f'"{value}"^^xsd:{kind}'


@dataclass(frozen=True)
class TurtleCatalog:
    """Catalog-level facts for a DCAT 3 Turtle file; dataset IRIs are `{base}dataset/{id}`."""

    base: str
    title: str
    description: str
    publisher_name: str
    homepage: str
    modified: str
    spatial_bbox: str | None = None

    def dataset_iri(self, identifier: str) -> str:
        return f"{self.base}dataset/{identifier}"


def turtle_catalog(catalog: TurtleCatalog, records: Sequence[DatasetRecord]) -> str:
    """A DCAT 3 catalog in Turtle: one dcat:Catalog, its datasets and distributions."""
    lines = [f"@prefix {p}: <{u}> ." for p, u in TURTLE_PREFIXES.items()]
    publisher = f"{catalog.base}organization"
    lines += [
        "",
        f"{_iri(catalog.base + 'catalog')} a dcat:Catalog ;",
        f"    dct:title {turtle_string(catalog.title)}@en ;",
        f"    dct:description {turtle_string(catalog.description)}@en ;",
        f"    dct:publisher {_iri(publisher)} ;",
        f"    foaf:homepage {_iri(catalog.homepage)} ;",
        f"    dct:modified {_date(catalog.modified)} ;",
        "    dct:language <http://publications.europa.eu/resource/authority/language/ENG>",
    ]
    if records:
        lines[-1] += " ;"
        members = ",\n        ".join(_iri(catalog.dataset_iri(r.identifier)) for r in records)
        lines.append(f"    dcat:dataset {members} .")
    else:
        lines[-1] += " ."
    lines += [
        "",
        f"{_iri(publisher)} a foaf:Agent, foaf:Organization ;",
        f"    foaf:name {turtle_string(catalog.publisher_name)} .",
    ]
    contacts: dict[str, tuple[str, str]] = {}
    for record in records:
        lines.append("")
        lines.extend(_turtle_dataset(catalog, record, contacts))
    for email in sorted(contacts):
        iri, name = contacts[email]
        lines += [
            "",
            f"{_iri(iri)} a vcard:Organization ;",
            f"    vcard:fn {turtle_string(name)} ;",
            f"    vcard:hasEmail {_iri('mailto:' + email)} .",
        ]
    return "\n".join(lines) + "\n"


def _turtle_dataset(
    catalog: TurtleCatalog, record: DatasetRecord, contacts: dict[str, tuple[str, str]]
) -> list[str]:
    iri = catalog.dataset_iri(record.identifier)
    contact = contacts.setdefault(
        record.contact_email,
        (f"{catalog.base}contact/{record.contact_email.split('@')[0]}", record.contact_name),
    )[0]
    props: list[str] = [
        f"dct:identifier {turtle_string(record.identifier)}",
        f"dct:title {turtle_string(record.title)}@en",
        f"dct:description {turtle_string(record.description)}@en",
        "dcat:keyword " + ", ".join(turtle_string(k) + "@en" for k in record.keywords),
        "dcat:theme " + ", ".join(_iri(f"{CONCEPTS}domain/{d}") for d in record.domains),
        f"dct:publisher {_iri(catalog.base + 'organization')}",
        f"dcat:contactPoint {_iri(contact)}",
        f"dct:modified {_date(record.modified)}",
        f"dct:accessRights {_iri(_EU + 'access-right/' + _ACCESS_RIGHTS[record.access_level])}",
    ]
    if record.issued:
        props.append(f"dct:issued {_date(record.issued)}")
    if record.license:
        props.append(f"dct:license {_iri(record.license)}")
    if record.rights:
        props.append(f"dct:rights [ a dct:RightsStatement ; dct:description "
                     f"{turtle_string(record.rights)}@en ]")
    box = BBOX.match(record.spatial or "")
    if box:  # "W,S,E,N", as data.json writes it: a dcat:bbox polygon here
        w, s, e, n = box.groups()
        wkt = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
        props.append(f"dct:spatial [ a dct:Location ; dcat:bbox {turtle_string(wkt)}"
                     "^^<http://www.opengis.net/ont/geosparql#wktLiteral> ]")
    elif record.spatial:
        props.append(f"dct:spatial [ a dct:Location ; locn:geographicName "
                     f"{turtle_string(record.spatial)}@en ]")
    if record.temporal:
        start, _, end = record.temporal.partition("/")
        period = f"dcat:startDate {_date(start)}"
        if end:
            period += f" ; dcat:endDate {_date(end)}"
        props.append(f"dct:temporal [ a dct:PeriodOfTime ; {period} ]")
    if record.periodicity:
        props.append(
            f"dct:accrualPeriodicity {_iri(_EU + 'frequency/' + _FREQUENCIES[record.periodicity])}"
        )
    if record.landing_page:
        props.append(f"dcat:landingPage {_iri(record.landing_page)}")
    if record.conforms_to:
        props.append(f"dct:conformsTo {_iri(record.conforms_to)}")
    if record.described_by:
        props.append(f"foaf:page {_iri(record.described_by)}")
    for source in record.derived_from:
        props.append(f"prov:wasDerivedFrom {_iri(catalog.dataset_iri(source))}")
    props.append("dct:language <http://publications.europa.eu/resource/authority/language/ENG>")
    dist_iris = [f"{iri}/distribution/{n}" for n in range(1, len(record.distributions) + 1)]
    if dist_iris:
        props.append("dcat:distribution " + ", ".join(_iri(d) for d in dist_iris))
    lines = [f"{_iri(iri)} a dcat:Dataset ;"]
    lines += [f"    {p} ;" for p in props[:-1]]
    lines.append(f"    {props[-1]} .")
    for dist_iri, dist in zip(dist_iris, record.distributions, strict=True):
        spec = dist.spec
        dprops = [
            f"dct:title {turtle_string(dist.title)}@en",
            f"dcat:accessURL {_iri(dist.url)}",
        ]
        if spec.download:
            dprops.append(f"dcat:downloadURL {_iri(dist.url)}")
        dprops += [
            f"dcat:mediaType {_iri(IANA + spec.media_type)}",
            f"dct:format {_iri(_EU + 'file-type/' + spec.eu_type)}",
        ]
        if dist.description:
            dprops.append(f"dct:description {turtle_string(dist.description)}@en")
        if dist.conforms_to:
            dprops.append(f"dct:conformsTo {_iri(dist.conforms_to)}")
        if record.license:
            dprops.append(f"dct:license {_iri(record.license)}")
        lines.append("")
        lines.append(f"{_iri(dist_iri)} a dcat:Distribution ;")
        lines += [f"    {p} ;" for p in dprops[:-1]]
        lines.append(f"    {dprops[-1]} .")
    return lines
