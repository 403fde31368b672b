"""schema.org `Dataset` JSON-LD, as Google Dataset Search reads it from a dataset page.

Google's guidelines ask for name, description (50 to 5,000 characters), url, identifier,
keywords, license, creator, distribution as `DataDownload` with `contentUrl` and
`encodingFormat`, `spatialCoverage` and `temporalCoverage`. The same `DatasetRecord` as
the DCAT exports feeds it, so the page and the catalog never disagree.
"""

from typing import Any

from regiongraph.exports.model import DatasetRecord

NAME = "schema.org"
KIND = "json"
DESCRIPTION = "schema.org Dataset JSON-LD (Google Dataset Search)"
CONTEXT = "https://schema.org/"


def dataset(record: DatasetRecord, *, page_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": record.iri,
        "name": record.title,
        "description": _description(record),
        "url": page_url or record.landing_page or record.iri,
        "identifier": record.identifier,
    }
    if record.landing_page:
        out["sameAs"] = record.landing_page
    keywords = list(dict.fromkeys([*record.keywords, *(t.label for t in record.themes
                                                       if t.label)]))
    if keywords:
        out["keywords"] = keywords
    if record.license:
        out["license"] = record.license
    if record.publisher:
        organisation = {"@type": "Organization", "@id": record.publisher.iri,
                        "name": record.publisher.name}
        if record.publisher.homepage:
            organisation["url"] = record.publisher.homepage
        out["creator"] = organisation
        out["publisher"] = organisation
    if record.issued:
        out["datePublished"] = record.issued
    if record.modified:
        out["dateModified"] = record.modified
    if record.contact and record.contact.email:
        point = {"@type": "ContactPoint", "email": record.contact.email}
        if record.contact.name:
            point["name"] = record.contact.name
        out["contactPoint"] = point  # type: ignore[assignment]
    place = _place(record)
    if place:
        out["spatialCoverage"] = place
    temporal = _temporal(record)
    if temporal:
        out["temporalCoverage"] = temporal
    if record.conforms_to:
        out["conformsTo"] = [{"@type": "CreativeWork", "@id": s.iri, "url": s.iri,
                              **({"name": s.label} if s.label else {})}
                             for s in record.conforms_to]
    if record.access_level == "public":
        out["isAccessibleForFree"] = True
    downloads = []
    for dist in record.distributions:
        url = dist.download_url or dist.access_url
        if not url:
            continue
        item: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        if dist.media_type or dist.format:
            item["encodingFormat"] = dist.media_type or dist.format
        if dist.title:
            item["name"] = dist.title
        if dist.description:
            item["description"] = dist.description
        downloads.append(item)
    if downloads:
        out["distribution"] = downloads
    return out


def _description(record: DatasetRecord) -> str:
    """Google wants 50 to 5,000 characters; short ones are completed from facts we hold."""
    text = (record.description or "").strip()
    if len(text) < 50:
        facts = [text or record.title]
        if record.publisher:
            facts.append(f"Published by {record.publisher.name}.")
        if record.keywords:
            facts.append("Keywords: " + ", ".join(record.keywords[:10]) + ".")
        text = " ".join(f for f in facts if f)
    return text[:5000]


def _place(record: DatasetRecord) -> dict[str, Any] | None:
    """`spatialCoverage`: a Place with `GeoCoordinates` for a point, a `GeoShape` polygon
    for a simple polygon, else the `GeoShape` box (schema.org writes "lat lon", south-west
    corner first)."""
    place: dict[str, Any] = {"@type": "Place"}
    if record.spatial_label:
        place["name"] = record.spatial_label
    shape = record.spatial_wkt or record.spatial_bbox
    if shape:
        place["geo"] = _geo(shape)
    return place if len(place) > 1 else None


def _geo(wkt: str) -> dict[str, Any]:
    from regiongraph.geo.geometry import bbox, parse_wkt

    geometry = parse_wkt(wkt)
    if geometry.geom_type == "Point":
        return {"@type": "GeoCoordinates", "latitude": geometry.y, "longitude": geometry.x}
    if geometry.geom_type == "Polygon" and not geometry.interiors:
        ring = " ".join(f"{round(y, 6)} {round(x, 6)}" for x, y in geometry.exterior.coords)
        return {"@type": "GeoShape", "polygon": ring}
    west, south, east, north = bbox(geometry)
    return {"@type": "GeoShape",
            "box": " ".join(str(round(n, 6)) for n in (south, west, north, east))}


def _temporal(record: DatasetRecord) -> str | None:
    start, end = record.temporal_start, record.temporal_end
    if start and end:
        return f"{start}/{end}"
    if start:
        return f"{start}/.."
    return None
