"""Harvest one source into its own named graph: read, check, compare, replace in one step.

The steps, in order, and why:

1. Read the source (`fetch.Fetcher`) with conditional GET; a 304 ends here, changing
   nothing, and is reported as `not-modified`.
2. If the document is byte-for-byte what the last harvest read (same loader, options
   and base), end here as `unchanged`: re-reading 10k records to learn nothing is the
   cost the issue caps at 10 % of a first harvest.
3. Let the loader yield records. Each one's triples go, as N-Triples, to a spool file
   (so a 100k-dataset catalog never sits in memory as Python objects), and only its
   key, digest and a few strings stay. A bad record is reported and skipped; the others go on.
4. Compare digests with the ones stored on the source's `dcat:CatalogRecord`s: created,
   updated, unchanged; keys no longer offered are removed and listed.
5. Link datasets another source also offers (same identifier or landing page) with
   `rg:sameDatasetAs`, so exports list them once.
6. If anything differs, replace the source graph from the spool with `store.replace_graph`
   — one atomic step: an error or a SIGKILL before it returns leaves the previous graph.
   Then remember the HTTP validators and the document hash in the meta graph (after the
   data, so a crash in between costs a re-read, never a stale 304).
7. Append the report to the harvest-log graph.

Any `SourceError` (unreadable, truncated, wrong type, HTTP failure) before step 6 means
the source graph was not touched; the report says `failed` with the reason.
"""

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from regiongraph.harvest.config import SourceConfig, SourcesError
from regiongraph.harvest.fetch import Fetcher, FetchPolicy
from regiongraph.harvest.report import (
    DuplicateLink,
    HarvestReport,
    RecordError,
    last_report,
    store_report,
    utcnow,
)
from regiongraph.iri import META_GRAPH, SOURCE_GRAPH, Minter
from regiongraph.loaders import (
    Issue,
    LoadContext,
    Record,
    SourceError,
    UnknownLoaderError,
    get_loader,
)
from regiongraph.namespaces import DCAT, DCT, FOAF, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store

MAPPING_VERSION = "1"
"""Bump when a loader's mapping changes, so unchanged documents are re-read once."""

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def harvest_sources(
    store: Store, settings: Settings, sources: Iterable[SourceConfig], *,
    progress: Progress | None = None, log_unchanged: bool = True,
    policy: FetchPolicy | None = None,
) -> Iterator[HarvestReport]:
    """Harvest each source in turn; one failing source never stops the next."""
    for source in sources:
        yield harvest_source(store, settings, source, progress=progress,
                             log_unchanged=log_unchanged, policy=policy)


def harvest_source(
    store: Store, settings: Settings, source: SourceConfig, *,
    progress: Progress | None = None, log_unchanged: bool = True,
    policy: FetchPolicy | None = None, content: bytes | None = None,
) -> HarvestReport:
    """Harvest one source. `content` gives the document directly (API uploads)."""
    run = _Run(store, settings, source, progress or _quiet, policy, content)
    report = run.execute()
    report.finished = utcnow()
    report.seconds = round((report.finished - report.started).total_seconds(), 3)
    if report.status in ("ok", "failed") or log_unchanged:
        store_report(store, run.minter, report)
    run.say(report.summary())
    return report


def after_harvest(store: Store, settings: Settings, reports: list[HarvestReport]) -> None:
    """Run the pipeline's after-change hooks (inference, validation, search) once.

    The harvested data is already stored when they run, so a failing hook must not turn
    a good harvest into an error: it is reported as a warning on the reports instead.
    """
    from pyoxigraph import NamedNode as Node

    from regiongraph.pipeline import run_after_change

    changed = [Node(g) for r in reports for g in r.written_graphs]
    if not changed:
        return
    try:
        run_after_change(store, settings, changed)
    except Exception as error:  # noqa: BLE001 - reported, data already stored
        for report in reports:
            if report.written_graphs:
                report.add_error(RecordError(
                    message=f"stored, but an after-change step failed: "
                            f"{type(error).__name__}: {error}", severity="warning"))


@dataclass
class _State:
    etag: str | None = None
    last_modified: str | None = None
    document_hash: str | None = None
    config_hash: str | None = None


class _Run:
    def __init__(self, store: Store, settings: Settings, source: SourceConfig, say: Progress,
                 policy: FetchPolicy | None, content: bytes | None) -> None:
        self.store = store
        self.settings = settings
        self.source = source
        self.say = say
        self.minter = Minter(settings.base)
        self.graph = self.minter.graph(SOURCE_GRAPH, source.id)
        self.catalog = self.minter.iri("catalog", source.id)
        self.policy = policy
        self.content = content
        self.report = HarvestReport(source=source.id, community=source.community,
                                    type=source.type, location=source.location, status="ok",
                                    started=utcnow())

    # the steps -----------------------------------------------------------

    def execute(self) -> HarvestReport:
        report = self.report
        fetcher: Fetcher | None = None
        try:
            loader = get_loader(self.source.type)
            policy = self.policy or FetchPolicy.from_options(self.source.options)
            fetcher = Fetcher(policy, headers=self.source.auth_headers())
            state = self.read_state()
            has_data = self.store.count(self.graph) > 0
            # Validators only count for the configuration that read the document: a
            # source switched to another type or options must be read again.
            conditional = has_data and state.config_hash == self.config_hash()
            self.say(f"{self.source.id}: reading {self.source.location}")
            if self.content is not None:
                from regiongraph.loaders.base import Fetched

                first = Fetched(self.source.location, self.content)
            else:
                params = loader.first_params(self.source.options) \
                    if hasattr(loader, "first_params") else None
                first = fetcher(self.source.location, params=params,
                                etag=state.etag if conditional else None,
                                last_modified=state.last_modified if conditional else None)
            report.http_status = first.status if self.source.is_remote else None
            if first.not_modified:
                return self.nothing_new("not-modified", "HTTP 304: the source has not changed")
            document_hash = self.document_hash(first.content)
            if has_data and state.document_hash == document_hash:
                self.remember(first.etag, first.last_modified, document_hash)
                return self.nothing_new("unchanged", "the document is the one last harvested")
            pages = _PageCounter(fetcher)
            context = LoadContext(minter=self.minter, community=self.source.community,
                                  source_id=self.source.id, options=self.source.options,
                                  fetch=pages, say=self.say, standards=self.standards())
            with tempfile.TemporaryFile() as spool:
                records = self.read_records(loader.records(first, context), spool)
                self.compare(records)
                links = self.duplicates(records)
                if not self.changed(has_data, links):
                    report.status = "unchanged"
                else:
                    self.say(f"{self.source.id}: writing {len(records):,} records")
                    spool.seek(0)
                    written = self.store.replace_graph(
                        self.graph, self.all_triples(spool, records, links))
                    report.written_graphs[self.graph.value] = written
            self.remember(first.etag, first.last_modified,
                          document_hash if pages.extra == 0 else None)
            return report
        except (SourceError, SourcesError, UnknownLoaderError) as error:
            return self.failed(str(error))
        except MemoryError:
            return self.failed("out of memory while reading the source")
        finally:
            if fetcher is not None:
                report.requests = fetcher.requests
                fetcher.close()

    def failed(self, message: str) -> HarvestReport:
        report = self.report
        report.status = "failed"
        report.message = message
        report.created = report.updated = report.unchanged = report.removed = 0
        report.written_graphs = {}
        report.duplicates = []
        report.removed_records = []
        report.errors.insert(0, RecordError(message=message, severity="error"))
        return report

    def nothing_new(self, status: str, message: str) -> HarvestReport:
        """Nothing to read: counts and errors are those of the last harvest that read it."""
        report = self.report
        report.status = status  # type: ignore[assignment]
        report.message = message
        previous = last_report(self.store, self.minter, self.source.id)
        stored = self.stored_records()
        report.unchanged = len(stored)
        if previous is not None:
            report.previous_report = previous.report_iri
            report.skipped = previous.skipped
            report.errors = previous.errors
            report.duplicates = previous.duplicates
        return report

    def read_records(self, items: Iterator[Record | Issue], spool: IO[bytes]) -> list[Record]:
        """Spool each usable record's triples; keep only what comparing needs."""
        kept: list[Record] = []
        keys: set[str] = set()
        report = self.report
        for item in items:
            if isinstance(item, Issue):
                report.add_error(RecordError(record=item.record, field=item.field,
                                             message=item.message, severity=item.severity))
                continue
            for issue in item.issues:
                report.add_error(RecordError(record=issue.record or item.key, field=issue.field,
                                             message=issue.message, severity=issue.severity))
            if item.skipped:
                report.skipped += 1
                continue
            if item.key in keys:
                report.skipped += 1
                report.add_error(RecordError(record=item.key, field="identifier",
                                             message="key already used in this source; skipped"))
                continue
            keys.add(item.key)
            body = item.ntriples
            item._digest = hashlib.sha256(body).hexdigest()
            spool.write(body)
            item.triples = []
            kept.append(item)
            if len(kept) % 1000 == 0:
                self.say(f"{self.source.id}: {len(kept):,} records read")
        return kept

    def compare(self, records: list[Record]) -> None:
        stored = self.stored_records()
        report = self.report
        for record in records:
            previous = stored.pop(record.key, None)
            if previous is None:
                report.created += 1
            elif previous != record.digest:
                report.updated += 1
            else:
                report.unchanged += 1
        report.removed = len(stored)
        report.removed_records = sorted(stored)[:1000]

    def changed(self, has_data: bool, links: list[DuplicateLink]) -> bool:
        r = self.report
        if not has_data or r.created or r.updated or r.removed:
            return True
        return {(d.dataset, d.same_as) for d in links} != self.stored_links()

    # what is written -------------------------------------------------------

    def all_triples(self, spool: IO[bytes], records: list[Record],
                    links: list[DuplicateLink]) -> Iterator[Triple]:
        catalog = self.catalog
        yield Triple(catalog, RDF.type, DCAT.Catalog)
        yield Triple(catalog, DCT.term("title"),
                     Literal(self.source.title or f"{self.source.id} ({self.source.type})"))
        yield Triple(catalog, DCT.publisher, self.minter.iri("community", self.source.community))
        if self.source.is_remote:
            yield Triple(catalog, FOAF.homepage, NamedNode(self.source.url))
        yield from parse(spool, RdfFormat.N_TRIPLES)
        matched = {d.dataset: d for d in links}
        for record in records:
            node = self.record_iri(record.key)
            yield Triple(catalog, DCAT.record, node)
            yield Triple(node, RDF.type, DCAT.CatalogRecord)
            yield Triple(node, DCT.identifier, Literal(record.key))
            yield Triple(node, RG.recordHash, Literal(record.digest))
            if record.iri is not None:
                yield Triple(node, FOAF.primaryTopic, record.iri)
            if record.source_iri:
                yield Triple(node, DCT.source, NamedNode(record.source_iri))
            link = matched.get(record.iri.value if record.iri is not None else "")
            if link is not None:
                yield Triple(node, RG.matchedBy, Literal(link.matched_by))
        for link in links:
            yield Triple(NamedNode(link.dataset), RG.sameDatasetAs, NamedNode(link.same_as))

    def record_iri(self, key: str) -> NamedNode:
        return self.minter.iri("source", self.source.id, "records", key or "-")

    # what is stored --------------------------------------------------------

    def config_hash(self) -> str:
        """What, besides the document, decides the triples: loader, options, base."""
        digest = hashlib.sha256()
        for part in (MAPPING_VERSION, self.source.type, self.source.community, self.settings.base,
                     self.source.location,
                     json.dumps(self.source.options, sort_keys=True, default=str)):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def document_hash(self, content: bytes) -> str:
        digest = hashlib.sha256(self.config_hash().encode())
        digest.update(content)
        return digest.hexdigest()

    def standards(self) -> dict[str, str]:
        """The registry's standards by normalised homepage (empty before a registry loads)."""
        from regiongraph.iri import REGISTRY_GRAPH
        from regiongraph.loaders.conformance import normalise_url as norm

        rows = self.store.query(
            f"SELECT ?s ?h WHERE {{ GRAPH <{self.minter.graph(REGISTRY_GRAPH).value}> {{ "
            f"?s a <{DCT.Standard.value}> ; <{FOAF.homepage.value}> ?h }} }}")
        return {norm(row["h"].value): row["s"].value for row in rows}

    def stored_records(self) -> dict[str, str]:
        rows = self.store.query(
            f"SELECT ?key ?hash WHERE {{ GRAPH <{self.graph.value}> {{ "
            f"?r a <{DCAT.CatalogRecord.value}> ; <{DCT.identifier.value}> ?key ; "
            f"<{RG.recordHash.value}> ?hash }} }}")
        return {row["key"].value: row["hash"].value for row in rows}

    def stored_links(self) -> set[tuple[str, str]]:
        rows = self.store.query(
            f"SELECT ?a ?b WHERE {{ GRAPH <{self.graph.value}> {{ "
            f"?a <{RG.sameDatasetAs.value}> ?b }} }}")
        return {(row["a"].value, row["b"].value) for row in rows}

    def read_state(self) -> _State:
        meta = self.minter.graph(META_GRAPH)
        rows = self.store.query(
            f"SELECT ?p ?o WHERE {{ GRAPH <{meta.value}> {{ <{self.catalog.value}> ?p ?o }} }}")
        state = _State()
        for row in rows:
            predicate, value = row["p"], row["o"].value
            if predicate == RG.httpETag:
                state.etag = value
            elif predicate == RG.httpLastModified:
                state.last_modified = value
            elif predicate == RG.documentHash:
                state.document_hash = value
            elif predicate == RG.harvestConfigHash:
                state.config_hash = value
        return state

    def remember(self, etag: str | None, last_modified: str | None,
                 document_hash: str | None) -> None:
        """Keep validators and the document hash; called only after the data is stored."""
        meta = self.minter.graph(META_GRAPH)
        config = self.config_hash()
        new = [Quad(self.catalog, p, Literal(v), meta) for p, v in (
            (RG.httpETag, etag), (RG.httpLastModified, last_modified),
            (RG.documentHash, document_hash), (RG.harvestConfigHash, config)) if v]
        old = self.read_state()
        if (old.etag, old.last_modified, old.document_hash, old.config_hash) == (
                etag, last_modified, document_hash, config):
            return
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{meta.value}> {{ <{self.catalog.value}> ?p ?o }} }}")
        if new:
            self.store.add(new)

    # one dataset, two sources ------------------------------------------------

    def duplicates(self, records: list[Record]) -> list[DuplicateLink]:
        """Datasets of other sources with the same identifier or landing page.

        Same community and identifier already mint the same IRI, so only differing
        IRIs need a link: a portal's Socrata API and its data.json name one dataset
        `22ew-dxez` and `https://data.ny.gov/api/views/22ew-dxez`, but both give the
        landing page `https://data.ny.gov/d/22ew-dxez`.
        """
        if not records:
            return []
        prefix = self.minter.graph(SOURCE_GRAPH, "").value
        rows = self.store.query(
            f"SELECT ?g ?d ?id ?lp WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> . "
            f"OPTIONAL {{ ?d <{DCT.identifier.value}> ?id }} "
            f"OPTIONAL {{ ?d <{DCAT.landingPage.value}> ?lp }} }} "
            f"FILTER(STRSTARTS(STR(?g), \"{prefix}\") && ?g != <{self.graph.value}>) }}")
        by_identifier: dict[str, set[str]] = {}
        by_page: dict[str, set[str]] = {}
        for row in rows:
            dataset = row["d"].value
            if row["id"] is not None and _distinctive(row["id"].value):
                by_identifier.setdefault(row["id"].value, set()).add(dataset)
            if row["lp"] is not None:
                by_page.setdefault(normalise_url(row["lp"].value), set()).add(dataset)
        links: list[DuplicateLink] = []
        for record in records:
            if record.iri is None:
                continue
            mine = record.iri.value
            found: dict[str, str] = {}
            if record.identifier and _distinctive(record.identifier):
                for other in by_identifier.get(record.identifier, ()):
                    found.setdefault(other, "identifier")
            if record.landing_page:
                for other in by_page.get(normalise_url(record.landing_page), ()):
                    found.setdefault(other, "landingPage")
            for other, how in sorted(found.items()):
                if other != mine:
                    links.append(DuplicateLink(record=record.key, dataset=mine, same_as=other,
                                               matched_by=how))  # type: ignore[arg-type]
        self.report.duplicates = links[:1000]
        return links


class _PageCounter:
    """The fetch a paging loader gets: counts extra pages (no document shortcut then)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.extra = 0

    def __call__(self, location: str, *, params: dict[str, str] | None = None):
        self.extra += 1
        return self.fetcher(location, params=params)


def normalise_url(url: str) -> str:
    """Compare landing pages the way a person would: scheme, www. and a final / aside."""
    text = url.strip().lower()
    for scheme in ("https://", "http://"):
        text = text.removeprefix(scheme)
    text = text.removeprefix("www.")
    return text.rstrip("/")


def _distinctive(identifier: str) -> bool:
    """Only a URL identifies a dataset across publishers.

    `traffic-counts-2024` in two cities' catalogs names two datasets; within one community
    the same identifier already mints the same IRI, so plain identifiers never link.
    """
    return identifier.startswith(("http://", "https://")) and len(identifier) > 12


def serialize_triples(triples: list[Triple]) -> bytes:
    return serialize(triples, format=RdfFormat.N_TRIPLES)
