"""Socrata Discovery API (`/api/catalog/v1`): the catalog of a Socrata portal.

Each result has a `resource` (id, name, description, updatedAt...), a `classification`
(categories, tags, the domain's own category and tags, custom `domain_metadata`) and a
`permalink`. The four-by-four id (`22ew-dxez`) is the identifier; the permalink is the
landing page, which is also what the portal's `data.json` gives — so the same dataset
harvested from both is recognised and linked, not duplicated. Distributions are the
standard export and SODA endpoints every Socrata dataset has.

Paging: `limit` (option `page_size`, default 100) and `offset` until `resultSetSize`.
Only datasets (`resource.type` dataset, map, or filter views when `include_views`) load.
Page URLs are built from the source's own URL; a redirect to somewhere the harvest may not
go is reported and ends the paging.
"""

from collections.abc import Iterator

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

KINDS = {"dataset", "map"}


class SocrataLoader:
    name = "socrata"
    description = "Socrata Discovery API catalog (/api/catalog/v1), with paging"

    def first_params(self, options: dict) -> dict[str, str]:
        params = {"limit": str(int(options.get("page_size", 100))), "offset": "0"}
        if options.get("domain"):
            params["domains"] = str(options["domain"])
        return params

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        max_pages = int(context.options.get("max_pages", 1000))
        kinds = KINDS | ({"filter", "chart"} if context.options.get("include_views") else set())
        mapper = Mapper(context)
        page, offset, pages = first, 0, 1
        while True:
            document = page.json(context.max_json_depth)
            if not isinstance(document, dict) or not isinstance(document.get("results"), list):
                raise SourceError(f"{page.location}: not a Socrata catalog response "
                                  "(no 'results' list)")
            results = document["results"]
            total = document.get("resultSetSize")
            for index, item in enumerate(results):
                if not isinstance(item, dict) or not isinstance(item.get("resource"), dict):
                    yield Issue(f"result {offset + index} has no resource; skipped",
                                f"result[{offset + index}]")
                    continue
                if item["resource"].get("type", "dataset") not in kinds:
                    continue
                fields = self.fields(item)
                yield mapper.record(fields, key=fields.identifier)
            offset += len(results)
            if not results or not isinstance(total, int) or offset >= total:
                return
            if not page.location.startswith(("http://", "https://")) or context.fetch is None:
                yield Issue(f"{first.location} holds {offset:,} of {total:,} results (a stored "
                            "page); the rest were not read", severity="warning")
                return
            if pages >= max_pages:
                raise SourceError(f"{first.location}: more than {max_pages} pages; nothing loaded")
            pages += 1
            params = {**self.first_params(context.options), "offset": str(offset)}
            try:
                page = context.fetch(first.location.split("?")[0], params=params)
            except RefusedURL as error:
                yield refused_page(error, first.location, f"the {offset:,} results")
                return

    @staticmethod
    def fields(item: dict) -> DatasetFields:
        resource = item["resource"]
        classification = item.get("classification") or {}
        metadata = item.get("metadata") or {}
        domain = as_text(metadata.get("domain"))
        ident = as_text(resource.get("id"))
        custom = {}
        for entry in classification.get("domain_metadata") or []:
            if isinstance(entry, dict) and entry.get("key"):
                custom[str(entry["key"]).lower()] = entry.get("value")
        base = f"https://{domain}" if domain else None
        distributions = []
        if base and ident:
            distributions = [
                Distribution(title="CSV export", media_type="text/csv", format="CSV",
                             download_url=f"{base}/api/views/{ident}/rows.csv?accessType=DOWNLOAD"),
                Distribution(title="SODA API (JSON)", media_type="application/json",
                             format="API", access_url=f"{base}/resource/{ident}.json"),
            ]
        keywords = as_list(classification.get("domain_tags")) + as_list(classification.get("tags"))
        themes = as_list(classification.get("domain_category")) + \
            as_list(classification.get("categories"))
        return DatasetFields(
            identifier=ident,
            title=as_text(resource.get("name")),
            description=as_text(resource.get("description")),
            keywords=list(dict.fromkeys(keywords)),
            themes=list(dict.fromkeys(themes)),
            modified=as_text(resource.get("data_updated_at")) or as_text(
                resource.get("updatedAt")),
            issued=as_text(resource.get("createdAt")),
            publisher=as_text(resource.get("attribution")),
            contact_name=as_text(custom.get("contact-information_name"))
            or as_text(resource.get("attribution")),
            contact_email=as_text(custom.get("contact-information_email")),
            access_level=as_text(custom.get("access-level")) or "public",
            license=as_text(metadata.get("license_url")) or _license(metadata.get("license")),
            landing_page=as_text(item.get("permalink")) or as_text(item.get("link")),
            conforms_to=as_list(custom.get("conforms-to")),
            accrual_periodicity=as_text(custom.get("update_frequency")),
            source_iri=f"{base}/api/views/{ident}" if base and ident else None,
            distributions=distributions,
        )


LICENSES = {
    "public domain": "https://creativecommons.org/publicdomain/mark/1.0/",
    "creative commons 1.0 universal (public domain dedication)":
        "https://creativecommons.org/publicdomain/zero/1.0/",
    "creative commons attribution 4.0 international":
        "https://creativecommons.org/licenses/by/4.0/",
    "open data commons open database license": "https://opendatacommons.org/licenses/odbl/1-0/",
    "open data commons public domain dedication and license":
        "https://opendatacommons.org/licenses/pddl/1-0/",
}


def _license(name: object) -> str | None:
    """Socrata gives licence names; the common ones have well-known URLs."""
    text = as_text(name)
    if text is None:
        return None
    return LICENSES.get(text.lower(), text)
