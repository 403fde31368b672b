"""ArcGIS Hub: its DCAT-US feed, or its search API (OGC API – Records), with paging.

Hub sites publish `/api/feed/dcat-us/1.1.json` — a `data.json` in all but name, with
Hub's habits: HTML fragments as licences and descriptions, item-page URLs as
identifiers. That feed goes through the data.json loader (and its schema checks),
so the Oakland County record loads with its licence defect reported.

The search API (`/api/search/v1/collections/dataset/items`) answers GeoJSON features
whose `properties` describe an item; paging follows the `next` link (`limit`,
`startindex`) until `numberMatched`. The document itself says which of the two it is.
A `next` link is resolved against the page's URL and fetched over http(s) only; a
refused one is reported and ends the paging.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

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
from regiongraph.loaders.datajson import DataJsonLoader
from regiongraph.loaders.dcatmap import DatasetFields, Distribution, Mapper, as_list, as_text
from regiongraph.loaders.spatial import spatial_text

DOWNLOADABLE = {"Feature Service", "Feature Layer", "Map Service", "Table", "Image Service"}
"""Item types Hub offers CSV and GeoJSON downloads for (a document link has none)."""


class ArcGisLoader:
    name = "arcgis"
    description = "ArcGIS Hub DCAT-US feed or search API (OGC API Records), with paging"

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        document = first.json(context.max_json_depth)
        if isinstance(document, dict) and "dataset" in document or isinstance(document, list):
            yield from DataJsonLoader().records(first, context)
            return
        if not isinstance(document, dict) or not isinstance(document.get("features"), list):
            raise SourceError(f"{first.location}: neither an ArcGIS Hub DCAT-US feed ('dataset') "
                              "nor a search response ('features')")
        yield from self.search(first, document, context)

    def search(self, first: Fetched, document: dict,
               context: LoadContext) -> Iterator[Record | Issue]:
        mapper = Mapper(context)
        max_pages = int(context.options.get("max_pages", 1000))
        seen_pages = {first.location}
        page_location, read = first.location, 0
        while True:
            for feature in document["features"]:
                read += 1
                if not isinstance(feature, dict) or not isinstance(feature.get("properties"),
                                                                   dict):
                    yield Issue(f"feature {read - 1} has no properties; skipped",
                                f"feature[{read - 1}]")
                    continue
                fields = self.fields(feature, context.options)
                yield mapper.record(fields, key=fields.identifier)
            following = next(
                (link_url(page_location, str(link["href"])) for link in document.get("links")
                 or [] if isinstance(link, dict) and link.get("rel") == "next"
                 and link.get("href")), None)
            total = document.get("numberMatched")
            if following is None or not document["features"] or (
                    isinstance(total, int) and read >= total):
                return
            if not page_location.startswith(("http://", "https://")) or context.fetch is None:
                yield Issue(f"{first.location} holds {read:,} of {total or '?'} items (a stored "
                            "page); the rest were not read", severity="warning")
                return
            if following in seen_pages:
                raise SourceError(f"{page_location}: the next link points to a page already "
                                  f"read ({following}); nothing loaded")
            if len(seen_pages) >= max_pages:
                raise SourceError(f"{first.location}: more than {max_pages} pages; nothing loaded")
            seen_pages.add(following)
            try:
                page = context.fetch(following)
            except RefusedURL as error:
                yield refused_page(error, page_location, f"the {read:,} items")
                return
            document = page.json(context.max_json_depth)
            page_location = following
            if not isinstance(document, dict) or not isinstance(document.get("features"), list):
                raise SourceError(f"{following}: not an ArcGIS Hub search page")

    @staticmethod
    def fields(feature: dict, options: dict) -> DatasetFields:
        p = feature["properties"]
        ident = as_text(feature.get("id")) or as_text(p.get("id"))
        site = (options.get("site") or "").rstrip("/")
        slug = as_text(p.get("slug"))
        landing = f"{site}/datasets/{slug or ident}" if site and (slug or ident) else \
            as_text(p.get("landingPage"))
        url = as_text(p.get("url"))
        distributions = []
        if url:
            distributions.append(Distribution(title=f"{p.get('type') or 'ArcGIS'} service",
                                              access_url=url, format="API",
                                              media_type="application/json"))
        if site and ident and str(p.get("type", "Feature Service")) in DOWNLOADABLE:
            for fmt, media in (("csv", "text/csv"), ("geojson", "application/geo+json")):
                distributions.append(Distribution(
                    title=f"{fmt.upper()} download", format=fmt.upper(), media_type=media,
                    download_url=f"{site}/api/download/v1/items/{ident}/{fmt}?layers=0"))
        spatial = spatial_text(p.get("extent"))  # [[w, s], [e, n]] → "w,s,e,n"
        return DatasetFields(
            identifier=ident,
            title=as_text(p.get("title")) or as_text(p.get("name")),
            description=_plain(as_text(p.get("description")) or as_text(p.get("snippet"))),
            keywords=as_list(p.get("tags")),
            themes=as_list(p.get("categories")),
            modified=_date(p.get("modified")),
            issued=_date(p.get("created")),
            publisher=as_text(p.get("orgName")) or as_text(p.get("source")),
            contact_name=as_text(p.get("owner")),
            contact_email=as_text(p.get("ownerEmail")),
            access_level={"public": "public", "org": "restricted public",
                          "shared": "restricted public", "private": "non-public"}.get(
                str(p.get("access", "public")), "public"),
            license=as_text(p.get("licenseInfo")) or as_text(p.get("license")),
            spatial=spatial,
            landing_page=landing,
            source_iri=f"https://www.arcgis.com/home/item.html?id={ident}" if ident else None,
            distributions=distributions,
        )


def _date(value: object) -> str | None:
    """Hub gives epoch milliseconds or ISO strings."""
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return as_text(value)


def _plain(text: str | None) -> str | None:
    """Hub descriptions are HTML; keep the words."""
    if text is None or "<" not in text:
        return text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() or None
