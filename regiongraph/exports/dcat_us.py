"""DCAT-US 1.1 (Project Open Data `data.json`): a `DatasetRecord` as one JSON object.

The bar is data.gov's harvester schema for non-federal publishers, which requires title,
description, keyword (at least one), modified, publisher, contactPoint (name and e-mail),
identifier and accessLevel. The region's catalogs do not always carry all of them, so a
missing value is filled from the nearest honest source, never invented:

- description: the title (data.gov's own practice for empty descriptions);
- keyword: the theme labels, else the publisher's name;
- modified: the issued date, else the date the region's catalog last changed;
- contactPoint: the publishing community's name and the data address of the host the
  region's IRIs live on (`data@<host of REGIONGRAPH_BASE>`).
"""

from typing import Any
from urllib.parse import urlsplit

from regiongraph.exports.model import CatalogInfo, DatasetRecord
from regiongraph.exports.vocab import (
    DATAJSON_ACCESS,
    ISO_DURATIONS,
    frequency_name,
    language_tag,
)

NAME = "dcat-us-1.1"
KIND = "json"
DESCRIPTION = "DCAT-US 1.1 / Project Open Data data.json"
SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"


def catalog_head(catalog: CatalogInfo, self_url: str) -> dict[str, Any]:
    """Everything in data.json except the `dataset` array (streamed after it)."""
    return {
        "@context": CONTEXT,
        "@id": self_url,
        "@type": "dcat:Catalog",
        "conformsTo": SCHEMA,
        "describedBy": SCHEMA + "/catalog.json",
    }


def fallback_email(base: str) -> str:
    host = urlsplit(base).hostname or "example.org"
    return f"data@{host}"


def dataset(record: DatasetRecord, *, catalog_modified: str, contact_email: str,
            region_name: str) -> dict[str, Any]:
    """One data.json dataset object; key order follows the DCAT-US 1.1 field list."""
    publisher_name = record.publisher.name if record.publisher else region_name
    keywords = list(dict.fromkeys(k for k in record.keywords if k.strip()))
    if not keywords:
        keywords = [t.label for t in record.themes if t.label] or [publisher_name]
    contact = record.contact
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": record.title,
        "description": record.description or record.title,
        "keyword": [k[:1000] for k in keywords[:1000]],
        "modified": own_date(record) or catalog_modified,
        "publisher": {"@type": "org:Organization", "name": publisher_name},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": (contact.name if contact and contact.name else publisher_name),
            "hasEmail": "mailto:" + (contact.email if contact and contact.email
                                     else contact_email),
        },
        "identifier": record.identifier,
        "accessLevel": DATAJSON_ACCESS.get(record.access_level or "", "non-public"),
    }
    if record.license:
        out["license"] = record.license
    if record.rights:
        out["rights"] = "; ".join(record.rights)[:255]
    if record.spatial_label:
        out["spatial"] = record.spatial_label
    elif record.spatial_wkt or record.spatial_bbox:
        out["spatial"] = _bbox(record.spatial_wkt or record.spatial_bbox or "")
    temporal = _temporal(record)
    if temporal:
        out["temporal"] = temporal
    if record.issued and _iso(record.issued):
        out["issued"] = _iso(record.issued)
    frequency = frequency_name(record.accrual_periodicity)
    if frequency:
        out["accrualPeriodicity"] = ISO_DURATIONS[frequency]
    languages = [t for t in (language_tag(v) for v in record.languages) if t]
    if languages:
        out["language"] = languages
    if record.landing_page:
        out["landingPage"] = record.landing_page
    if record.conforms_to:
        out["conformsTo"] = record.conforms_to[0].iri
    if record.described_by:
        out["describedBy"] = record.described_by
    if record.references:
        out["references"] = record.references
    themes = list(dict.fromkeys(t.label for t in record.themes if t.label))
    if themes:
        out["theme"] = themes
    distributions = [_distribution(d) for d in record.distributions]
    distributions = [d for d in distributions if d]
    if distributions:
        out["distribution"] = distributions
    return out


def _distribution(dist) -> dict[str, Any] | None:
    if not (dist.download_url or dist.access_url):
        return None
    out: dict[str, Any] = {"@type": "dcat:Distribution"}
    if dist.download_url:
        out["downloadURL"] = dist.download_url
        if dist.media_type:
            out["mediaType"] = dist.media_type
    if dist.access_url and dist.access_url != dist.download_url or not dist.download_url:
        out["accessURL"] = dist.access_url
    if dist.format:
        out["format"] = dist.format
    if dist.title:
        out["title"] = dist.title
    if dist.description:
        out["description"] = dist.description[:10000]
    if dist.conforms_to:
        out["conformsTo"] = dist.conforms_to[0]
    return out


def own_date(record: DatasetRecord) -> str | None:
    """The record's own `modified` (its `issued` when it has none), if ISO 8601."""
    return _iso(record.modified) or _iso(record.issued)


def _iso(value: str | None) -> str | None:
    """Dates pass as they are when ISO 8601; anything else is dropped, not guessed."""
    from regiongraph.exports.model import parse_time

    if value and parse_time(value) is not None:
        return value
    return None


def _temporal(record: DatasetRecord) -> str | None:
    """`start/end`; an open-ended period has no DCAT-US 1.1 form and is left out."""
    start, end = _iso(record.temporal_start), _iso(record.temporal_end)
    return f"{start}/{end}" if start and end else None


def _bbox(wkt: str) -> str:
    """A WKT geometry → `w,s,e,n` (the bounding-box form data.json uses)."""
    from regiongraph.geo.geometry import bbox_text, parse_wkt

    return bbox_text(parse_wkt(wkt))
