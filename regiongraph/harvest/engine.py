"""Harvest one source into its own named graph: read, check, compare, replace in one step.

The steps, in order, and why:

1. Read the source (`fetch.Fetcher`) with conditional GET; a 304 ends here, changing
   nothing, and is reported as `not-modified`.
2. If the document is byte-for-byte what the last harvest read (same loader, options
   and base), end here as `unchanged`: re-reading 10k records to learn nothing is the
   cost the issue caps at 10 % of a first harvest.
3. Let the loader yield records. Each one's triples go, as N-Triples, to a spool file
   (so a 100k-dataset catalog never sits in memory as Python objects), and only its
   key, digest and a few strings stay. A bad record is reported and skipped; the others
   go on. Loaders that can hash a raw record (data.json) get the stored digests and skip
   validating and mapping the records that did not change.
4. Compare digests with the ones stored on the source's `dcat:CatalogRecord`s: created,
   updated, unchanged; keys no longer offered are removed and listed.
5. Link datasets another source also offers (same URL identifier or landing page) with
   `rg:sameDatasetAs`, so exports list them once.
6. If anything differs, write — atomically, so an error or a SIGKILL leaves the previous
   graph: into an empty graph, Oxigraph's bulk loader straight from the spool; when few
   records changed, one SPARQL update that deletes their old triples and adds the new
   ones from a staging graph; otherwise the whole graph through a staging graph. Then
   remember the HTTP validators and the document hash in the meta graph (after the data,
   so a crash in between costs a re-read, never a stale 304).
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

from regiongraph import observe
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
from regiongraph.store import Store, one_update

LOOKUP_ABOVE = 1_000
"""Records (identifiers and landing pages) up to which a harvest looks up the datasets
its records may duplicate, one by one through the store's indexes; above, it reads every
dataset of the other sources once. Measured on 20k datasets of another source: 300
records 0.1 s by lookup (1.0 s reading all), 3,000 records 1.9 s (1.0 s reading all)."""
MAPPING_VERSION = "3"
"""Bump when a loader's mapping changes, so unchanged documents are re-read once."""

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def harvest_sources(
    store: Store, settings: Settings, sources: Iterable[SourceConfig], *,
    progress: Progress | None = None, log_unchanged: bool = True,
    policy: FetchPolicy | None = None, together: bool = False,
) -> Iterator[HarvestReport]:
    """Harvest each source in turn; one failing source never stops the next.

    `together` (a region load): the sources harvested for the first time into an empty
    graph of the embedded store are bulk-loaded at once, after the last one, not one bulk
    load each (`FirstLoads`). Their reports follow that load."""
    from regiongraph.store.embedded import EmbeddedStore

    batch = FirstLoads() if together and isinstance(store, EmbeddedStore) else None
    done: list[tuple[_Run, HarvestReport]] = []  # with a batch: reported after its load
    try:
        for source in sources:
            run = _Run(store, settings, source, progress or _quiet, policy, None, batch)
            report = _execute(run)
            if batch is None:
                yield _finish(store, run, report, log_unchanged)
                continue
            done.append((run, report))
            if run.staged:
                batch.pending.append((run, report))
                if batch.quads >= FirstLoads.MAX_QUADS:
                    batch.load(store)
        if batch is not None:
            batch.load(store)
            for run, report in done:
                yield _finish(store, run, report, log_unchanged)
    finally:
        if batch is not None:
            batch.close()


def harvest_source(
    store: Store, settings: Settings, source: SourceConfig, *,
    progress: Progress | None = None, log_unchanged: bool = True,
    policy: FetchPolicy | None = None, content: bytes | None = None,
) -> HarvestReport:
    """Harvest one source. `content` gives the document directly (API uploads)."""
    run = _Run(store, settings, source, progress or _quiet, policy, content)
    return _finish(store, run, _execute(run), log_unchanged)


def _execute(run: "_Run") -> HarvestReport:
    report = run.execute()
    report.finished = utcnow()
    report.seconds = round((report.finished - report.started).total_seconds(), 3)
    return report


def _finish(store: Store, run: "_Run", report: HarvestReport,
            log_unchanged: bool) -> HarvestReport:
    if report.status in ("ok", "failed") or log_unchanged:
        store_report(store, run.minter, report)
    observe.harvest_done(report)
    run.say(report.summary())
    return report


class FirstLoads:
    """The first harvests of a region load, spooled as N-Quads and bulk-loaded at once.

    Oxigraph's bulk loader costs about 0.1 s a call whatever it loads (it writes and
    ingests a table file per index): 50 sources of a 10k-dataset region took 9-12 s one
    bulk load each, 5 s as one. The batch is loaded whenever it reaches MAX_QUADS (its
    memory), and at the end. One bulk load is all-or-nothing (NOTES.md §1), so a failure
    or a kill leaves every graph of that batch empty and their reports say failed.
    A later source looks up duplicates among the staged ones as it would in the store
    (`others`): from the same lines, parsed back."""

    MAX_QUADS = 200_000
    """Staged quads loaded once there are this many: a bulk load holds ~1 KB a quad until
    it ends (measured: 680k quads, 709 MB), so the batch is cut where one source's own
    load used to peak at 100k datasets (~140k quads), not at the region's millions."""

    def __init__(self) -> None:
        self.spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - see close()
        self.quads = 0
        self.pending: list[tuple[_Run, HarvestReport]] = []
        """The runs whose graphs wait in the spool."""
        self.datasets: set[tuple[str, str]] = set()
        """(dataset IRI, graph IRI) of every `a dcat:Dataset` staged."""
        self.holders: dict[tuple[NamedNode, object], set[tuple[str, str]]] = {}
        """(predicate, object) → (subject IRI, graph IRI) of every identifier and landing
        page staged."""

    def add(self, graph: NamedNode, triples: IO[bytes], state: list[Quad] | None) -> None:
        """Stage a graph's N-Triples spool (and the state quads that ride along)."""
        label = f" <{graph.value}> .\n".encode()
        wanted = (f"<{DCAT.Dataset.value}> .\n".encode(), f" <{DCT.identifier.value}> ".encode(),
                  f" <{DCAT.landingPage.value}> ".encode())
        lookups: list[bytes] = []
        triples.seek(0)
        for line in triples:
            self.quads += 1
            self.spool.write(line[:-3] + label)
            if line.endswith(wanted[0]) or wanted[1] in line or wanted[2] in line:
                lookups.append(line)
        if state is not None:
            self.spool.write(serialize(state, format=RdfFormat.N_QUADS))
        for triple in parse(b"".join(lookups), RdfFormat.N_TRIPLES):
            subject, predicate, obj = triple.subject, triple.predicate, triple.object
            if not isinstance(subject, NamedNode):
                continue
            if predicate == RDF.type and obj == DCAT.Dataset:
                self.datasets.add((subject.value, graph.value))
            elif predicate in (DCT.identifier, DCAT.landingPage):
                self.holders.setdefault((predicate, obj), set()).add((subject.value, graph.value))

    def datasets_with(self, predicate: NamedNode, value: object, graph: NamedNode) -> set[str]:
        """Staged datasets of graphs other than `graph` with `predicate` `value`."""
        return {subject for subject, holder in self.holders.get((predicate, value), ())
                if holder != graph.value and (subject, holder) in self.datasets}

    def others(self, graph: NamedNode) -> "Iterator[tuple[NamedNode, str, object]]":
        """(predicate, dataset IRI, value) of the staged datasets of graphs other than
        `graph`: what the store would answer for them once they are loaded."""
        for (predicate, obj), holders in self.holders.items():
            for subject, holder in holders:
                if holder != graph.value and (subject, holder) in self.datasets:
                    yield predicate, subject, obj

    def load(self, store: Store) -> None:
        """Bulk-load every staged graph at once, count what each holds, start afresh."""
        staged, self.pending = self.pending, []
        if staged:
            self.spool.seek(0)
            try:
                store.load_alone(self.spool)  # type: ignore[attr-defined]
            except Exception as error:  # noqa: BLE001 - all-or-nothing: each staged one failed
                for run, _report in staged:
                    run.failed(f"the bulk load of the region's new sources failed: {error}")
            else:
                for run, report in staged:
                    report.written_graphs[run.graph.value] = run.written()
        # loaded (or failed): what the store holds now answers a later source's lookups
        self.spool.seek(0)
        self.spool.truncate()
        self.quads = 0
        self.datasets.clear()
        self.holders.clear()

    def close(self) -> None:
        self.spool.close()


@dataclass
class _State:
    etag: str | None = None
    last_modified: str | None = None
    document_hash: str | None = None
    config_hash: str | None = None


class _Run:
    def __init__(self, store: Store, settings: Settings, source: SourceConfig, say: Progress,
                 policy: FetchPolicy | None, content: bytes | None,
                 batch: "FirstLoads | None" = None) -> None:
        self.store = store
        self.batch = batch
        self.staged = False
        """Its graph waits in `batch` for the region's one bulk load."""
        self.settings = settings
        self.source = source
        self.say = say
        self.minter = Minter(settings.base)
        self.graph = self.minter.graph(SOURCE_GRAPH, source.id)
        self.catalog = self.minter.iri("catalog", source.id)
        self.policy = policy
        self.content = content
        self.lines = 0
        self.spans: dict[str, tuple[int, int]] = {}
        """Where each record's N-Triples (and its catalog record) sit in the spool."""
        self.touched: set[str] = set()
        """Keys created, updated or removed in this harvest."""
        self.stored_topics: dict[str, str] = {}
        self._places: dict[str, str] | None = None
        self.old_topics: set[str] = set()
        """Datasets the touched records held before this harvest (`old_triples`)."""
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
            fetcher = Fetcher(policy, headers=self.source.auth_headers(),
                              allow_private=self.settings.harvest_allow_private)
            state = self.read_state()
            has_data = self.has_quads()
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
                self.remember(self.new_state(first.etag, first.last_modified, document_hash))
                return self.nothing_new("unchanged", "the document is the one last harvested")
            pages = _PageCounter(fetcher)
            context = LoadContext(minter=self.minter, community=self.source.community,
                                  source_id=self.source.id, options=self.source.options,
                                  fetch=pages, say=self.say, standards=self.standards(),
                                  known=self.stored_records() if has_data else {},
                                  salt=self.config_hash(),
                                  max_json_depth=self.settings.max_json_depth,
                                  places=self.places())
            with tempfile.TemporaryFile() as spool:
                records = self.read_records(loader.records(first, context), spool)
                self.compare(records)
                links = self.duplicates(records)
                skipped_mapping = any(r.unchanged for r in records)
                if skipped_mapping:
                    self.carry_forward_errors({r.key for r in records if r.unchanged})

                def read_now() -> list[Quad] | None:
                    return self.new_state(first.etag, first.last_modified,
                                          document_hash if pages.extra == 0 else None)

                if not self.changed(has_data, links):
                    report.status = "unchanged"
                    self.remember(read_now())
                elif has_data and self.incremental_fits(records):
                    self.say(f"{self.source.id}: writing {len(self.touched):,} changed records")
                    report.written_graphs[self.graph.value] = self.write_changes(
                        spool, records, links, read_now())
                else:
                    if skipped_mapping:
                        # Most records changed: the whole graph is rewritten, so the records
                        # the loader skipped as unchanged are read again, in full.
                        records = self.reread(loader, first, context, spool)
                    self.say(f"{self.source.id}: writing {len(records):,} records")
                    self.finish_spool(spool, records, links)
                    report.written_graphs[self.graph.value] = self.write_graph(
                        spool, read_now())
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
        rows = self.store.query(
            f"SELECT (COUNT(?r) AS ?n) WHERE {{ GRAPH <{self.graph.value}> {{ "
            f"<{self.catalog.value}> <{DCAT.record.value}> ?r }} }}")
        report.unchanged = int(next(iter(rows))["n"].value)
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
            report.add_issues(item)
            if isinstance(item, Issue):
                continue
            if item.skipped:
                report.skipped += 1
                continue
            if item.unchanged:
                keys.add(item.key)
                kept.append(item)
                continue
            if item.key in keys:
                report.skipped += 1
                report.add_error(RecordError(record=item.key, field="identifier",
                                             message="key already used in this source; skipped"))
                continue
            keys.add(item.key)
            item.triples = list(dict.fromkeys(item.triples))
            body = item.ntriples
            if item._digest is None:  # loaders that hash the raw record set it themselves
                item._digest = hashlib.sha256(body).hexdigest()
            start = spool.tell()
            spool.write(body)
            spool.write(self.record_ntriples(item))
            self.spans[item.key] = (start, spool.tell() - start)
            self.lines += len(item.triples)
            item.triples = []
            kept.append(item)
            if len(kept) % 1000 == 0:
                self.say(f"{self.source.id}: {len(kept):,} records read")
        return kept

    def reread(self, loader, first, context: LoadContext, spool: IO[bytes]) -> list[Record]:
        """Map every record again (none skipped), into a fresh spool."""
        spool.seek(0)
        spool.truncate()
        self.lines = 0
        self.spans.clear()
        self.report.errors, self.report.skipped = [], 0
        context.known = {}
        return self.read_records(loader.records(first, context), spool)

    def carry_forward_errors(self, keys: set[str]) -> None:
        """Records not re-read still have the defects the last harvest found in them."""
        previous = last_report(self.store, self.minter, self.source.id)
        if previous is None:
            return
        for error in previous.errors:
            if error.record in keys:
                self.report.add_error(error)

    def compare(self, records: list[Record]) -> None:
        stored = self.stored_records()
        report = self.report
        for record in records:
            previous = stored.pop(record.key, None)
            if previous is None:
                report.created += 1
                self.touched.add(record.key)
            elif previous != record.digest:
                report.updated += 1
                self.touched.add(record.key)
            else:
                report.unchanged += 1
        report.removed = len(stored)
        self.touched.update(stored)
        report.removed_records = sorted(stored)[:1000]

    def changed(self, has_data: bool, links: list[DuplicateLink]) -> bool:
        r = self.report
        if not has_data or r.created or r.updated or r.removed:
            return True
        return {(d.dataset, d.same_as) for d in links} != self.stored_links()

    # what is written -------------------------------------------------------

    def record_ntriples(self, record: Record) -> bytes:
        """The catalog record: key, hash, topic, and the source's own IRI as evidence."""
        node = self.record_iri(record.key)
        triples = [Triple(self.catalog, DCAT.record, node),
                   Triple(node, RDF.type, DCAT.CatalogRecord),
                   Triple(node, DCT.identifier, Literal(record.key)),
                   Triple(node, RG.recordHash, Literal(record.digest))]
        if record.iri is not None:
            triples.append(Triple(node, FOAF.primaryTopic, record.iri))
        if record.source_iri:
            triples.append(Triple(node, DCT.source, NamedNode(record.source_iri)))
        self.lines += len(triples)
        return serialize(triples, format=RdfFormat.N_TRIPLES)

    def finish_spool(self, spool: IO[bytes], records: list[Record],
                     links: list[DuplicateLink]) -> None:
        """Append what is known only after every record: the catalog, duplicate links."""
        catalog = self.catalog
        triples = [
            Triple(catalog, RDF.type, DCAT.Catalog),
            Triple(catalog, DCT.term("title"),
                   Literal(self.source.title or f"{self.source.id} ({self.source.type})")),
            Triple(catalog, DCT.publisher, self.minter.iri("community", self.source.community)),
        ]
        if self.source.is_remote:
            triples.append(Triple(catalog, FOAF.homepage, NamedNode(self.source.url)))
        keys = {r.iri.value: r.key for r in records if r.iri is not None}
        for link in links:
            triples.append(Triple(NamedNode(link.dataset), RG.sameDatasetAs,
                                  NamedNode(link.same_as)))
            matched = Triple(self.record_iri(keys[link.dataset]), RG.matchedBy,
                             Literal(link.matched_by))
            triples.append(matched)
        triples = list(dict.fromkeys(triples))
        self.lines += len(triples)
        spool.write(serialize(triples, format=RdfFormat.N_TRIPLES))

    def write_graph(self, spool: IO[bytes], state: list[Quad] | None) -> int:
        """Replace the source graph from the N-Triples spool, atomically, with the record
        of the document it came from (`state`) in the same write.

        On the embedded store the spool goes to Oxigraph's bulk loader in Rust straight
        into the graph when it is empty (a bulk load is all-or-nothing, NOTES.md §1), in a
        helper process whose memory the batch is (`EmbeddedStore.load_alone`); the
        state rides along as N-Quads lines naming their graph (the spool's own lines have
        none, and land in the source graph). A graph holding data, and other backends, get
        the triples through `Store.replace_graph`, which writes only the difference on the
        embedded store, with the state's update in the same transaction.
        """
        from regiongraph.store.embedded import EmbeddedStore

        if isinstance(self.store, EmbeddedStore) and not self.has_quads():
            # A state kept for a graph that is empty now is stale: it goes first, or the
            # bulk load would add a second value beside it.
            if state is not None and self.has_state():
                self.store.update(self.state_update([]))
            if self.batch is not None:
                self.batch.add(self.graph, spool, state)
                self.staged = True
                return self.lines  # counted in the store once the batch is loaded
            if state is not None:
                spool.seek(0, 2)
                spool.write(serialize(state, format=RdfFormat.N_QUADS))
            self.store.load_alone(spool, self.graph)
            return self.written()
        spool.seek(0)
        return self.store.replace_graph(self.graph, parse(spool, RdfFormat.N_TRIPLES),
                                        then=self.state_update(state))

    def incremental_fits(self, records: list[Record]) -> bool:
        """Rewrite only what changed when that is a small part of the source.

        Replacing a whole graph costs a DROP/MOVE of every quad (measured: minutes and
        gigabytes at half a million quads); touching 1 % of the records should cost 1 %.
        OpenLineage runs share job and dataset nodes across records, so they are always
        rewritten whole.
        """
        return (self.source.type != "openlineage" and bool(records)
                and len(self.touched) <= max(1, len(records) // 2))

    def write_changes(self, spool: IO[bytes], records: list[Record],
                      links: list[DuplicateLink], state: list[Quad] | None) -> int:
        """Swap in the changed records by their difference, in one SPARQL update (one
        transaction).

        What the graph holds for every touched record (the catalog record, the dataset and
        the nodes minted under its IRI), the catalog's own triples and the old links are
        compared with their new triples; one update deletes the triples that went and
        inserts those that came. A retitled record changes a line or two of its ~20, so a
        1% re-harvest writes ~0.1% of the graph (staging the new triples and moving them
        in cost a bulk load, a copy and a drop: 0.6 s of the 1.35 s kernel at 10k
        datasets). The record of the document read (`state`) is written by the same
        update. A failure or a kill leaves the source graph and that record as they were.
        """
        with tempfile.TemporaryFile() as changed:
            for key in sorted(self.touched):
                span = self.spans.get(key)
                if span is not None:
                    spool.seek(span[0])
                    changed.write(spool.read(span[1]))
            self.finish_spool(changed, records, links)
            changed.seek(0)
            new = {quad.triple for quad in parse(changed, RdfFormat.N_TRIPLES)}
        old = set(self.old_triples())
        self.report.changed_subjects = sorted(self.old_topics | {
            r.iri.value for r in records if r.key in self.touched and r.iri is not None})
        graph = f"GRAPH <{self.graph.value}>"
        operations = [f"{verb} {{ {graph} {{\n" + "\n".join(
            f"{t.subject} {t.predicate} {t.object} ." for t in triples) + "\n} }"
            for verb, triples in (("DELETE DATA", old - new), ("INSERT DATA", new - old))
            if triples]
        update = one_update(*operations, self.state_update(state))
        if update:
            self.store.update(update)
        return len(new)

    def old_triples(self) -> list[Triple]:
        """What the graph holds for the touched records, found by flat, indexed queries.

        A record owns its catalog record, its dataset, and the nodes minted under the
        dataset's IRI (distributions, contact, extents, evidence; two levels deep). The
        catalog's own triples and the duplicate links are rebuilt every time.
        """
        graph = f"<{self.graph.value}>"
        records = [self.record_iri(k).value for k in sorted(self.touched)]
        topics: dict[str, str] = {}
        for chunk in _chunks(records):
            for row in self.store.query(
                    f"SELECT ?r ?d WHERE {{ VALUES ?r {{ {chunk} }} GRAPH {graph} {{ "
                    f"?r <{FOAF.primaryTopic.value}> ?d }} }}"):
                topics[row["r"].value] = row["d"].value
        datasets = sorted(set(topics.values()))
        dataset_set = set(datasets)
        self.old_topics = dataset_set

        def minted_under_a_dataset(iri: str) -> bool:
            cut = iri.find("/", iri.find("//") + 2)
            while cut != -1:
                if iri[:cut] in dataset_set:
                    return True
                cut = iri.find("/", cut + 1)
            return False

        owned = set(records) | dataset_set
        frontier = datasets
        for _depth in range(3):
            found: set[str] = set()
            for chunk in _chunks(frontier):
                for row in self.store.query(
                        f"SELECT ?s WHERE {{ VALUES ?d {{ {chunk} }} GRAPH {graph} {{ "
                        f"{{ ?d ?l ?s }} UNION {{ ?s ?l ?d }} FILTER(isIRI(?s)) }} }}"):
                    child = row["s"].value
                    if child not in owned and minted_under_a_dataset(child):
                        found.add(child)
            owned |= found
            frontier = sorted(found)
            if not frontier:
                break
        old: list[Triple] = []
        for chunk in _chunks(sorted(owned)):
            for row in self.store.query(
                    f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {chunk} }} GRAPH {graph} {{ "
                    f"?s ?p ?o }} }}"):
                old.append(Triple(row["s"], row["p"], row["o"]))
        for row in self.store.query(
                f"SELECT ?p ?o WHERE {{ GRAPH {graph} {{ <{self.catalog.value}> ?p ?o }} }}"):
            if row["p"] in (DCAT.dataset, DCAT.record) and row["o"].value not in owned:
                continue
            old.append(Triple(self.catalog, row["p"], row["o"]))
        for predicate in (RG.sameDatasetAs, RG.matchedBy):
            for row in self.store.query(
                    f"SELECT ?s ?o WHERE {{ GRAPH {graph} {{ ?s <{predicate.value}> ?o }} }}"):
                old.append(Triple(row["s"], predicate, row["o"]))
        return list(dict.fromkeys(old))

    def written(self) -> int:
        """Quads now in the graph: counted exactly when cheap, else the lines spooled
        (equal unless two records repeat a triple, as runs of one OpenLineage job do)."""
        return self.store.count(self.graph) if self.lines <= 200_000 else self.lines

    def has_quads(self) -> bool:
        return bool(self.store.query(f"ASK {{ GRAPH <{self.graph.value}> {{ ?s ?p ?o }} }}"))

    def record_iri(self, key: str) -> NamedNode:
        return self.minter.iri("source", self.source.id, "records", key or "-")

    # what is stored --------------------------------------------------------

    def config_hash(self) -> str:
        """What, besides the document, decides the triples: loader, options, base."""
        digest = hashlib.sha256()
        for part in (MAPPING_VERSION, self.source.type, self.source.community, self.settings.base,
                     self.source.location,
                     json.dumps(self.source.options, sort_keys=True, default=str),
                     json.dumps(self.places(), sort_keys=True)):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def document_hash(self, content: bytes) -> str:
        digest = hashlib.sha256(self.config_hash().encode())
        digest.update(content)
        return digest.hexdigest()

    def standards(self) -> dict[str, str]:
        """The registry's standards by normalised address (empty before a registry loads)."""
        from regiongraph.conformance import Standards
        from regiongraph.iri import REGISTRY_GRAPH

        return Standards.read(self.store, self.minter.graph(REGISTRY_GRAPH)).aliases

    def places(self) -> dict[str, str]:
        """The region's places that catalogs' place names resolve to; part of the
        configuration hash, so a registry boundary added or renamed re-maps the records."""
        if self._places is None:
            from regiongraph.geo.features import region_places

            self._places = region_places(self.store, self.minter)
        return self._places

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

    def new_state(self, etag: str | None, last_modified: str | None,
                  document_hash: str | None) -> list[Quad] | None:
        """The validators and document hash to keep for what this harvest read, or None
        when the kept ones already say it.

        They answer "has the document changed since the graph was written?", so they must
        never describe another graph than the one stored: the writes put them in the same
        transaction as the graph (`write_graph`, `write_changes`). Kept apart, a kill
        between the two left a new graph beside the old document's hash, and the next
        harvest of the old document was skipped as "unchanged".
        """
        config = self.config_hash()
        old = self.read_state()
        if (old.etag, old.last_modified, old.document_hash, old.config_hash) == (
                etag, last_modified, document_hash, config):
            return None
        meta = self.minter.graph(META_GRAPH)
        return [Quad(self.catalog, p, Literal(v), meta) for p, v in (
            (RG.httpETag, etag), (RG.httpLastModified, last_modified),
            (RG.documentHash, document_hash), (RG.harvestConfigHash, config)) if v]

    def state_update(self, state: list[Quad] | None) -> str:
        """The SPARQL update that replaces the kept state by `state` ("" for None)."""
        if state is None:
            return ""
        meta = f"<{self.minter.graph(META_GRAPH).value}>"
        body = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in state)
        return one_update(
            f"DELETE WHERE {{ GRAPH {meta} {{ <{self.catalog.value}> ?p ?o }} }}",
            f"INSERT DATA {{ GRAPH {meta} {{ {body} }} }}" if body else "")

    def has_state(self) -> bool:
        state = self.read_state()
        return any((state.etag, state.last_modified, state.document_hash, state.config_hash))

    def remember(self, state: list[Quad] | None) -> None:
        """Keep the state when nothing else is written (the document had not changed)."""
        update = self.state_update(state)
        if update:
            self.store.update(update)

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
        identifiers = sorted({r.identifier for r in records if r.iri is not None
                              and r.identifier and _distinctive(r.identifier)})
        pages = sorted({r.landing_page for r in records if r.iri is not None and r.landing_page})
        if len(identifiers) + len(pages) <= LOOKUP_ABOVE:
            by_identifier = self.others_by("identifier", identifiers)
            by_page = self.others_by("page", pages)
            self.staged_others_by(by_identifier, identifiers, by_page, pages)
        else:
            by_identifier, by_page = self.all_others()
            self.staged_others(by_identifier, by_page)
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


    def all_others(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """Every dataset of the other sources, by identifier and by normalised landing page
        (for a harvest of many records, one read beats that many lookups)."""
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
        return by_identifier, by_page

    def staged_others(self, by_identifier: dict[str, set[str]],
                      by_page: dict[str, set[str]]) -> None:
        """`all_others` for the sources staged in this region load's batch."""
        for predicate, dataset, value in self.batch.others(self.graph) if self.batch else ():
            text = value.value  # type: ignore[attr-defined]
            if predicate == DCT.identifier:
                if _distinctive(text):
                    by_identifier.setdefault(text, set()).add(dataset)
            else:
                by_page.setdefault(normalise_url(text), set()).add(dataset)

    def staged_others_by(self, by_identifier: dict[str, set[str]], identifiers: list[str],
                         by_page: dict[str, set[str]], pages: list[str]) -> None:
        """`others_by` for the sources staged in this region load's batch: an identifier
        as a plain literal, a landing page in one of its `page_spellings`."""
        if self.batch is None:
            return
        for value in identifiers:
            found = self.batch.datasets_with(DCT.identifier, Literal(value), self.graph)
            if found:
                by_identifier.setdefault(value, set()).update(found)
        for iri in {iri for v in pages for iri in page_spellings(v)}:
            found = self.batch.datasets_with(DCAT.landingPage, NamedNode(iri), self.graph)
            if found:
                by_page.setdefault(normalise_url(iri), set()).update(found)

    def others_by(self, kind: str, values: list[str]) -> dict[str, set[str]]:
        """Datasets of the other sources with one of these identifiers, or (`kind` "page")
        a landing page that normalises to one of these (`normalise_url`), by key.

        A lookup of what can collide, through the store's indexes, not a read of every
        dataset of the region (0.7-1.8 s at 10k): a landing page is looked up in the
        spellings `page_spellings` gives, and what comes back is compared normalised.
        """
        found: dict[str, set[str]] = {}
        prefix = self.minter.graph(SOURCE_GRAPH, "").value
        if kind == "identifier":
            terms = [_string_literal(v) for v in values]
            predicate = DCT.identifier
        else:
            terms = sorted({f"<{iri}>" for v in values for iri in page_spellings(v)})
            predicate = DCAT.landingPage
        candidates: dict[tuple[str, str], set[str]] = {}
        for start in range(0, len(terms), 2000):
            # one triple pattern per query: joined with `?d a dcat:Dataset` (or filtered on
            # ?g) in SPARQL, Oxigraph scans the region's datasets for every value
            for row in self.store.query(
                    f"SELECT ?d ?v ?g WHERE {{ VALUES ?v {{ {' '.join(terms[start:start + 2000])} "
                    f"}} GRAPH ?g {{ ?d <{predicate.value}> ?v }} }}"):
                graph = row["g"].value
                if graph.startswith(prefix) and graph != self.graph.value:
                    candidates.setdefault((row["d"].value, graph), set()).add(row["v"].value)
        pairs = sorted(candidates)
        for start in range(0, len(pairs), 2000):
            values = " ".join(f"(<{d}> <{g}>)" for d, g in pairs[start:start + 2000])
            for row in self.store.query(
                    f"SELECT ?d ?g WHERE {{ VALUES (?d ?g) {{ {values} }} "
                    f"GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> }} }}"):
                dataset = row["d"].value
                for value in candidates[(dataset, row["g"].value)]:
                    key = value if kind == "identifier" else normalise_url(value)
                    found.setdefault(key, set()).add(dataset)
        return found


class _PageCounter:
    """The fetch a paging loader gets: http(s) pages only, counted (no document shortcut
    then)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.extra = 0

    def __call__(self, location: str, *, params: dict[str, str] | None = None):
        self.extra += 1
        return self.fetcher.page(location, params=params)


def normalise_url(url: str) -> str:
    """Compare landing pages the way a person would: scheme, www. and a final / aside."""
    text = url.strip().lower()
    for scheme in ("https://", "http://"):
        text = text.removeprefix(scheme)
    text = text.removeprefix("www.")
    return text.rstrip("/")


def page_spellings(url: str) -> set[str]:
    """The ways another catalog likely wrote the landing page `url`: http or https, with
    or without www. and a final /, as written or in lower case (hosts are case-blind).
    Only IRIs: a spelling that is not one is left out."""
    text = url.strip()
    rest = text
    for scheme in ("https://", "http://"):
        if rest.lower().startswith(scheme):
            rest = rest[len(scheme):]
    if rest.lower().startswith("www."):
        rest = rest[4:]
    rest = rest.rstrip("/")
    host, slash, path = rest.partition("/")
    found = set()
    for body in {rest, rest.lower(), host.lower() + slash + path}:
        for scheme in ("https://", "http://"):
            for www in ("", "www."):
                for end in ("", "/"):
                    iri = f"{scheme}{www}{body}{end}"
                    if _is_iri(iri):
                        found.add(iri)
    return found


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


def _distinctive(identifier: str) -> bool:
    """Only a URL identifies a dataset across publishers.

    `traffic-counts-2024` in two cities' catalogs names two datasets; within one community
    the same identifier already mints the same IRI, so plain identifiers never link.
    """
    return identifier.startswith(("http://", "https://")) and len(identifier) > 12


def _string_literal(text: str) -> str:
    """`text` as a SPARQL string literal (pyoxigraph escapes it)."""
    return str(Literal(text))


def _chunks(iris: list[str], size: int = 500) -> Iterator[str]:
    """IRIs as VALUES lists of at most `size` (minted IRIs: safe to write in a query)."""
    for start in range(0, len(iris), size):
        yield " ".join(f"<{iri}>" for iri in iris[start:start + size])
