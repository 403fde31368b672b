"""The export plumbing: syntaxes, paging, Hydra, prefixes, streaming (profiles only map).

ckanext-dcat's processor lesson: the serializer owns the graph, the format and the
paging; a profile turns a `DatasetRecord` into triples or JSON and never opens the
store. The API routes and the `regiongraph export` command both come through here, so
a file written by the CLI and a page served over HTTP are the same bytes.

Paging is described twice on every page, because harvesters read one or the other:
the Hydra `PartialCollectionView` with IRI-valued `first`/`next`/`previous`/`last`
(uData, piveau) and the legacy `PagedCollection` terms `totalItems`, `itemsPerPage`,
`firstPage`, `nextPage`, `previousPage`, `lastPage` (ckanext-dcat). Both hang off one
IRI node, the page's own URL, never a blank node, and point with IRIs, not literals.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from regiongraph.errors import RegiongraphError
from regiongraph.exports import dcat_ap3, dcat_us
from regiongraph.exports.model import (
    CatalogIndex,
    CatalogInfo,
    DatasetRecord,
    IndexEntry,
    catalog_index,
    read_records,
)
from regiongraph.iri import Minter
from regiongraph.namespaces import HYDRA, PREFIXES, RDF, XSD
from regiongraph.settings import Settings
from regiongraph.store import Store

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
READ_BATCH = 500
"""Records read per query when streaming a whole catalog (bounded memory)."""

EXPORT_PREFIXES = {name: PREFIXES[name] for name in (
    "dcat", "dct", "foaf", "vcard", "skos", "rdfs", "xsd", "hydra", "prov", "locn", "adms")}
EXPORT_PREFIXES["dcatap"] = dcat_ap3.DCATAP


class ExportError(RegiongraphError, ValueError):
    """A request the exports cannot answer (bad page, unknown syntax); says which value."""


@dataclass(frozen=True)
class RdfSyntax:
    name: str
    suffix: str
    media_type: str
    rdf_format: RdfFormat


SYNTAXES = (
    RdfSyntax("ttl", "ttl", "text/turtle", RdfFormat.TURTLE),
    RdfSyntax("jsonld", "jsonld", "application/ld+json", RdfFormat.JSON_LD),
    RdfSyntax("xml", "rdf", "application/rdf+xml", RdfFormat.RDF_XML),
    RdfSyntax("nt", "nt", "application/n-triples", RdfFormat.N_TRIPLES),
)
SYNTAX_ALIASES = {"turtle": "ttl", "json-ld": "jsonld", "rdf": "xml", "rdfxml": "xml",
                  "ntriples": "nt"}


def rdf_syntax(name: str) -> RdfSyntax:
    """A syntax by short name, URL suffix or media type."""
    key = SYNTAX_ALIASES.get(name.lower(), name.lower())
    for syntax in SYNTAXES:
        if key in (syntax.name, syntax.suffix, syntax.media_type):
            return syntax
    names = ", ".join(s.name for s in SYNTAXES)
    raise ExportError(f"unknown RDF syntax {name!r}; choose one of {names}")


def grouped(triples: Iterable[Triple]) -> list[Triple]:
    """Triples gathered by subject (first-seen order) without duplicates, so Turtle writes
    each node once with its properties together, as a person would."""
    by_subject: dict[object, dict[Triple, None]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, {})[triple] = None
    return [t for group in by_subject.values() for t in group]


def render(triples: Iterable[Triple], syntax: RdfSyntax, output: BinaryIO | None = None):
    """Serialise triples; prefixes where the syntax has them."""
    if syntax.rdf_format in (RdfFormat.TURTLE, RdfFormat.RDF_XML):
        return serialize(triples, output, syntax.rdf_format, prefixes=EXPORT_PREFIXES)
    return serialize(triples, output, syntax.rdf_format)


# ---------------------------------------------------------------------------------------
# paging
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    page: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @classmethod
    def check(cls, page: int, size: int, total: int) -> Paging:
        if size < 1 or size > MAX_PAGE_SIZE:
            raise ExportError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
        if page < 1:
            raise ExportError(f"page must be 1 or more, not {page}")
        paging = cls(page, size, total)
        if page > paging.last:
            raise ExportError(f"page {page} is past the last page ({paging.last})")
        return paging


def hydra_triples(collection: str, paging: Paging,
                  page_url: Callable[[int], str]) -> Iterator[Triple]:
    """Both Hydra paging descriptions of one page (see the module docstring)."""
    c = NamedNode(collection)
    view = NamedNode(page_url(paging.page))
    total = Literal(str(paging.total), datatype=XSD.integer)
    yield Triple(c, RDF.type, HYDRA.Collection)
    yield Triple(c, HYDRA.totalItems, total)
    yield Triple(c, HYDRA.view, view)
    yield Triple(view, RDF.type, HYDRA.PartialCollectionView)
    yield Triple(view, RDF.type, HYDRA.PagedCollection)
    yield Triple(view, HYDRA.totalItems, total)
    yield Triple(view, HYDRA.itemsPerPage, Literal(str(paging.size), datatype=XSD.integer))
    links = {"first": 1, "last": paging.last}
    if paging.page > 1:
        links["previous"] = paging.page - 1
    if paging.page < paging.last:
        links["next"] = paging.page + 1
    for name, number in links.items():
        target = NamedNode(page_url(number))
        yield Triple(view, HYDRA.term(name), target)
        yield Triple(view, HYDRA.term(name + "Page"), target)


def link_header(paging: Paging, page_url: Callable[[int], str]) -> str:
    """RFC 8288 links to the neighbouring pages, for clients that read headers only."""
    links = [(1, "first"), (paging.last, "last")]
    if paging.page > 1:
        links.append((paging.page - 1, "prev"))
    if paging.page < paging.last:
        links.append((paging.page + 1, "next"))
    return ", ".join(f'<{page_url(n)}>; rel="{rel}"' for n, rel in links)


# ---------------------------------------------------------------------------------------
# catalogs
# ---------------------------------------------------------------------------------------


def catalog_iri(settings: Settings, community: str | None = None) -> str:
    minter = Minter(settings.base)
    if community is None:
        return minter.iri("catalog", "region").value
    return minter.iri("catalog", "community", community).value


def catalog_info(index: CatalogIndex, settings: Settings,
                 community: str | None = None) -> CatalogInfo:
    """The region's catalog, or one community's, as the registry names them."""
    modified = index.last_modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    region = index.region
    if community is None:
        subcatalogs = tuple(catalog_info(index, settings, c) for c in index.community_ids()
                            if c in index.communities)
        return CatalogInfo(
            iri=catalog_iri(settings), title=f"{region.name}: public data catalog",
            description=(f"Every dataset that the communities of {region.name} publish, "
                         "approved for publication, harvested into one catalog."),
            publisher=region, homepage=region.homepage or settings.base, modified=modified,
            subcatalogs=subcatalogs)
    agent = index.communities.get(community)
    if agent is None:
        raise KeyError(community)
    return CatalogInfo(
        iri=catalog_iri(settings, community), title=f"{agent.name}: public data catalog",
        description=(f"The datasets {agent.name} publishes through {region.name}, "
                     "approved for publication."),
        publisher=agent, homepage=agent.homepage, modified=modified, community=community)


@dataclass
class CatalogPage:
    info: CatalogInfo
    records: list[DatasetRecord]
    paging: Paging
    index: CatalogIndex

    def triples(self, page_url: Callable[[int], str] | None) -> list[Triple]:
        def all_triples() -> Iterator[Triple]:
            yield from dcat_ap3.catalog_triples(self.info, self.records)
            if page_url is not None:
                yield from hydra_triples(self.info.iri, self.paging, page_url)

        return grouped(all_triples())


def catalog_page(store: Store, settings: Settings, *, community: str | None = None,
                 page: int = 1, page_size: int = DEFAULT_PAGE_SIZE,
                 modified_since: datetime | None = None,
                 index: CatalogIndex | None = None) -> CatalogPage:
    """One page of the region's (or a community's) catalog, in IRI order."""
    index = index or catalog_index(store, settings)
    info = catalog_info(index, settings, community)
    entries = index.select(community=community, modified_since=modified_since)
    paging = Paging.check(page, page_size, len(entries))
    if paging.page > 1 and info.subcatalogs:
        # The catalog's own description, with its community catalogs, is given in full on
        # the first page, where every harvester starts; later pages are partial views of
        # its datasets and carry only the catalog's head (its cost then does not grow with
        # the number of communities).
        info = replace(info, subcatalogs=())
    chosen = entries[paging.offset:paging.offset + paging.size]
    records = read_records(store, [e.iri for e in chosen], index.may_name, base=index.base)
    return CatalogPage(info, with_registry_agents(records, index), paging, index)


def with_policies(records: list[DatasetRecord], index: CatalogIndex) -> list[DatasetRecord]:
    """The agreements a member's catalog shares each record under (none in the public one)."""
    for record in records:
        record.policies = sorted(index.policies.get(record.iri, ()))
    return records


def with_registry_agents(records: list[DatasetRecord], index: CatalogIndex
                         ) -> list[DatasetRecord]:
    """Publishers as the registry describes them (name, homepage, kind), where it does."""
    by_iri = {agent.iri: agent for agent in index.communities.values()}
    for record in records:
        if record.publisher is not None and record.publisher.iri in by_iri:
            record.publisher = by_iri[record.publisher.iri]
    return with_policies(records, index)


def all_records(store: Store, entries: list[IndexEntry], *,
                visible: Callable[[str], bool] | None, index: CatalogIndex,
                batch: int = READ_BATCH) -> Iterator[DatasetRecord]:
    """Every record of `entries`, read `batch` at a time (memory stays bounded)."""
    for start in range(0, len(entries), batch):
        records = read_records(store, [e.iri for e in entries[start:start + batch]], visible,
                               base=index.base)
        yield from with_registry_agents(records, index)


def write_catalog(store: Store, settings: Settings, output: BinaryIO, syntax: RdfSyntax, *,
                  community: str | None = None) -> int:
    """The whole catalog as one DCAT-AP 3 document (no paging); returns the dataset count."""
    index = catalog_index(store, settings)
    info = catalog_info(index, settings, community)
    entries = index.select(community=community)

    def triples() -> Iterator[Triple]:
        catalog = NamedNode(info.iri)
        yield from grouped([
            *dcat_ap3.catalog_triples(info, []),
            *(Triple(catalog, dcat_ap3.DCAT.dataset, NamedNode(e.iri)) for e in entries),
        ])
        for record in all_records(store, entries, visible=index.may_name, index=index):
            yield from grouped(dcat_ap3.record_triples(record))

    render(triples(), syntax, output)
    return len(entries)


# ---------------------------------------------------------------------------------------
# data.json
# ---------------------------------------------------------------------------------------


def datajson_chunks(store: Store, settings: Settings, *, self_url: str,
                    community: str | None = None,
                    index: CatalogIndex | None = None) -> Iterator[bytes]:
    """data.json as a stream of byte chunks: the head, then the datasets a batch at a time.

    Records are read 500 at a time, so a first stream holds one batch of records. Each
    dataset object is encoded once per index and kept in it (`CatalogIndex.rendered`,
    about the document's size: 6.6 MB at 10k datasets), so the next stream, and the one
    after a small change (`follow_index` keeps what the change cannot have moved), joins
    kept text instead of reading every record again. An object that falls back on the
    catalog's own date is not kept: that date moves with every change.
    """
    index = index or catalog_index(store, settings)
    entries = index.select(community=community)
    head = json.dumps(dcat_us.catalog_head(catalog_info(index, settings, community), self_url),
                      ensure_ascii=False)
    yield (head[:-1] + ', "dataset": [').encode()
    kept = index.rendered.setdefault(dcat_us.NAME, {})
    separator = "\n"
    for start in range(0, len(entries), READ_BATCH):
        batch = entries[start:start + READ_BATCH]
        fresh = _datajson_items(store, settings, index, [e for e in batch if e.iri not in kept])
        texts = [text for e in batch if (text := kept.get(e.iri) or fresh.get(e.iri))]
        if texts:
            yield (separator + ",\n".join(texts)).encode()
            separator = ",\n"
    yield b"\n]}\n"


def _datajson_items(store: Store, settings: Settings, index: CatalogIndex,
                    entries: list[IndexEntry]) -> dict[str, str]:
    """The data.json objects of `entries`, encoded; kept in the index where they can be."""
    catalog_modified = index.last_modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    email = dcat_us.fallback_email(settings.base)
    kept = index.rendered[dcat_us.NAME]
    texts = {}
    for record in all_records(store, entries, visible=index.may_name, index=index):
        item = dcat_us.dataset(record, catalog_modified=catalog_modified, contact_email=email,
                               region_name=index.region.name)
        texts[record.iri] = json.dumps(item, ensure_ascii=False)
        if dcat_us.own_date(record):
            kept[record.iri] = texts[record.iri]
            index.read_from[record.iri] = record.read_from
    return texts


def prime_datajson(store: Store, settings: Settings,
                   after: threading.Thread | None = None) -> Callable[[], None]:
    """At a server's start: encode every public `/data.json` object in a thread, once
    `after` (the views' catch-up) is done, so the first harvester after a start joins kept
    text instead of reading every record (10k datasets: 3.8 s of work; 100k: ~55 s). A
    stream asked for meanwhile encodes what is not kept yet itself. Returns the stop the
    server calls before it closes the store: the thread ends after its current batch."""
    stopping = threading.Event()

    def run() -> None:
        from regiongraph.observe import log as events

        if after is not None:
            after.join()
        if stopping.is_set():
            return
        started = time.perf_counter()
        try:
            index = catalog_index(store, settings)
            for _chunk in datajson_chunks(store, settings, self_url=settings.base, index=index):
                if stopping.is_set():
                    return
            events.info("data.json objects encoded", extra={"fields": {
                "objects": len(index.rendered.get(dcat_us.NAME, {})),
                "datasets": len(index.entries),
                "seconds": round(time.perf_counter() - started, 2)}})
        except Exception as error:  # noqa: BLE001 - the first stream encodes them instead
            log.warning("data.json objects were not encoded at start: %s; the first "
                        "/data.json encodes them", error)

    thread = threading.Thread(target=run, name="datajson-prime", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=60)

    return stop
