"""CKAN Action API: `package_search`, page by page.

CKAN is what most national and many city portals run. A package maps to a dataset:
resources → distributions, organization → publisher (kept as the community, named in
the record), tags → keywords, groups → themes (the alliance's domain concepts where
they match), `extras` fill what core CKAN lacks (access level, spatial, temporal,
conformsTo, as ckanext-dcat and ckanext-datajson name them).

Paging asks `rows` (option `page_size`, default 100) from `start` 0, 100, 200 ... until
`count` is reached or a page comes back empty. A stored response (a file) is one page.
Page URLs are built from the source's own URL, never taken from a response; a redirect
to somewhere the harvest may not go is reported and ends the paging.
"""

from collections.abc import Iterator
from urllib.parse import urlparse

from regiongraph.loaders.base import (
    Fetched,
    Issue,
    LoadContext,
    Record,
    RefusedURL,
    SourceError,
    refused_page,
)
from regiongraph.loaders.dcatmap import DatasetFields, Distribution, Mapper, as_list, as_text
from regiongraph.loaders.spatial import spatial_text

EXTRA_KEYS = {
    "access_level": ("access_level", "accessLevel", "public_access_level", "access-level"),
    "spatial": ("spatial", "spatial_text", "bbox"),
    "temporal": ("temporal", "temporal_coverage"),
    "conforms_to": ("conforms_to", "conformsTo", "dcat_conforms_to"),
    "frequency": ("frequency", "accrual_periodicity", "accrualPeriodicity"),
    "personal_data": ("personal_data", "personalData"),
    "identifier": ("identifier", "guid", "dct_identifier"),
}


class CkanLoader:
    name = "ckan"
    description = "CKAN Action API package_search, with paging"

    def first_params(self, options: dict) -> dict[str, str]:
        return {"rows": str(int(options.get("page_size", 100))), "start": "0",
                **({"fq": options["fq"]} if options.get("fq") else {})}

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        page_size = int(context.options.get("page_size", 100))
        max_pages = int(context.options.get("max_pages", 1000))
        site = context.options.get("site") or site_of(first.location)
        mapper = Mapper(context)
        page, start, pages = first, 0, 1
        while True:
            result = self.result(page, context.max_json_depth)
            packages = result["results"]
            total = result.get("count")
            for index, package in enumerate(packages):
                if not isinstance(package, dict):
                    yield Issue(f"result {start + index} is not an object; skipped",
                                f"result[{start + index}]")
                    continue
                if package.get("private") or package.get("state") not in (None, "active"):
                    continue
                fields = self.fields(package, site)
                yield mapper.record(fields, key=fields.identifier)
            start += len(packages)
            if not packages or not isinstance(total, int) or start >= total:
                return
            if not page.location.startswith(("http://", "https://")) or context.fetch is None:
                yield Issue(f"{first.location} holds {start:,} of {total:,} packages (a stored "
                            "page); the rest were not read", severity="warning")
                return
            if pages >= max_pages:
                raise SourceError(f"{first.location}: more than {max_pages} pages "
                                  "(options.max_pages); nothing loaded")
            pages += 1
            context.say(f"{context.source_id}: {start:,} of {total:,} packages")
            params = {**self.first_params(context.options), "rows": str(page_size),
                      "start": str(start)}
            try:
                page = context.fetch(first.location.split("?")[0], params=params)
            except RefusedURL as error:
                yield refused_page(error, first.location, f"the {start:,} packages")
                return

    @staticmethod
    def result(page: Fetched, max_depth: int) -> dict:
        document = page.json(max_depth)
        if not isinstance(document, dict) or not isinstance(document.get("result"), dict):
            raise SourceError(f"{page.location}: not a CKAN package_search response "
                              "(no 'result' object)")
        if document.get("success") is False:
            error = document.get("error") or {}
            raise SourceError(f"{page.location}: CKAN says the call failed: "
                              f"{error.get('message') or error}")
        results = document["result"].get("results")
        if not isinstance(results, list):
            raise SourceError(f"{page.location}: 'result.results' is not a list")
        return document["result"]

    @staticmethod
    def fields(package: dict, site: str | None) -> DatasetFields:
        extras = {}
        for extra in package.get("extras") or []:
            if isinstance(extra, dict) and extra.get("key"):
                extras[str(extra["key"])] = extra.get("value")

        def extra(name: str):
            for key in EXTRA_KEYS[name]:
                if key in extras:
                    return extras[key]
                if key in package and not isinstance(package[key], (dict, list)):
                    return package[key]
            return None

        organization = package.get("organization") or {}
        name = as_text(package.get("name"))
        landing = as_text(package.get("url")) if str(package.get("url", "")).startswith(
            "http") else None
        if site and name:
            landing = f"{site}/dataset/{name}"
        distributions = []
        for resource in package.get("resources") or []:
            if not isinstance(resource, dict):
                continue
            url = as_text(resource.get("url"))
            distributions.append(Distribution(
                title=as_text(resource.get("name")),
                description=as_text(resource.get("description")),
                download_url=url if resource.get("url_type") == "upload" or
                _looks_like_file(url) else None,
                access_url=url,
                media_type=as_text(resource.get("mimetype")),
                format=as_text(resource.get("format")),
            ))
        license_url = as_text(package.get("license_url")) or (
            f"https://opendefinition.org/licenses/{package['license_id']}/"
            if package.get("license_id") and package["license_id"] not in ("notspecified",)
            else None)
        return DatasetFields(
            identifier=as_text(extra("identifier")) or as_text(package.get("id")) or name,
            title=as_text(package.get("title")) or name,
            description=as_text(package.get("notes")),
            keywords=[t.get("display_name") or t.get("name") for t in package.get("tags") or []
                      if isinstance(t, dict) and (t.get("name") or t.get("display_name"))],
            themes=[g.get("title") or g.get("name") for g in package.get("groups") or []
                    if isinstance(g, dict) and (g.get("name") or g.get("title"))],
            modified=as_text(package.get("metadata_modified")),
            issued=as_text(package.get("metadata_created")),
            publisher=as_text(organization.get("title")) if isinstance(organization, dict)
            else None,
            contact_name=as_text(package.get("maintainer")) or as_text(package.get("author")),
            contact_email=as_text(package.get("maintainer_email"))
            or as_text(package.get("author_email")),
            access_level=as_text(extra("access_level")) or "public",
            license=license_url,
            spatial=spatial_text(extra("spatial")),
            temporal=as_text(extra("temporal")),
            landing_page=landing,
            conforms_to=as_list(extra("conforms_to")),
            accrual_periodicity=as_text(extra("frequency")),
            source_iri=f"{site}/dataset/{package['id']}" if site and package.get("id") else None,
            distributions=distributions,
            personal_data=as_list(str(extra("personal_data") or "").split(",")
                                  if extra("personal_data") else []),
        )


def site_of(location: str) -> str | None:
    """https://portal/api/3/action/package_search → https://portal (None for a file)."""
    if not location.startswith(("http://", "https://")):
        return None
    parsed = urlparse(location)
    path = parsed.path.split("/api/")[0]
    return f"{parsed.scheme}://{parsed.netloc}{path}".rstrip("/")


def _looks_like_file(url: str | None) -> bool:
    if not url:
        return False
    tail = url.split("?")[0].lower()
    return tail.endswith((".csv", ".json", ".geojson", ".zip", ".xlsx", ".xls", ".xml", ".pdf",
                          ".kml", ".parquet", ".txt"))
