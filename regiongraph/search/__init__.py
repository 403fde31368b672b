"""Full-text search over the region's catalog: datasets, projects, standards, communities.

    index = index_for(store, settings)       # the index beside the store (built if empty)
    index.search("bike share", filters={"format": ["CSV"]})
    update(store, settings, changed_graphs)   # after a harvest, demo load or registry edit
    rebuild(store, settings)                  # `regiongraph reindex`

The index is derived from the store and can always be rebuilt from it. It is a view of
the one change path (`regiongraph.change`): it keeps the store version it caught up to,
follows the journal from there after every change, and a search first catches up with
changes another process made (a second server on a remote store, the CLI).
Of the records with a triple in a changed graph, a harvest's own per-record hashes
(`rg:recordHash` on its catalog records) pick the few it created or updated, so a 1%
change re-reads 1% of the records; a graph written any other way (SPARQL Update, Graph
Store) has all its records re-read. Only records whose content or visibility moved are
rewritten. A change to the registry, the ontology or the inference graph can change any
record's labels or visibility, so then every record is re-read. Approvals start and
expire by date: once a day the first search re-checks visibility (`refresh_visibility`).

Every record is indexed with a `public` flag taken from `regiongraph.visibility` (the one
place that says what anonymous users may see); anonymous searches filter on it.
"""

import itertools
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import NamedNode

from regiongraph import journal
from regiongraph.iri import INFERENCE_GRAPH, META_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.search.index import SearchIndex, SearchIndexError, SearchResult
from regiongraph.search.query import SearchInputError, parse_filters, parse_query
from regiongraph.search.records import RecordReader, SearchRecord
from regiongraph.settings import Settings
from regiongraph.store import Store

_DISK: dict[Path, SearchIndex] = {}
_MEMORY: "weakref.WeakKeyDictionary[object, SearchIndex]" = weakref.WeakKeyDictionary()
_REMOTE: dict[str, SearchIndex] = {}
_GUARD = threading.Lock()


@dataclass
class UpdateReport:
    """What an index update did; `regiongraph reindex --json` prints it."""

    candidates: int
    written: int
    deleted: int
    unchanged: int
    seconds: float
    full: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def index_location(settings: Settings) -> Path | None:
    """Where the index lives: REGIONGRAPH_INDEX, else beside the store; None = in memory.

    `./data/store` → `./data/store.search`. A memory store gets a memory index (it dies
    with the store); a remote store's index defaults to `./data/search-index`.
    """
    if settings.index:
        return None if settings.index == "memory" else Path(settings.index).resolve()
    if settings.store == "memory":
        return None
    if settings.store.startswith(("http://", "https://")):
        return Path("data/search-index").resolve()
    store = Path(settings.store).resolve()
    return store.with_name(store.name + ".search")


def open_index(store: Store, settings: Settings) -> SearchIndex:
    """The process's one `SearchIndex` for this store and settings (not built)."""
    location = index_location(settings)
    with _GUARD:
        if location is not None:
            if location not in _DISK:
                _DISK[location] = SearchIndex(location)
            return _DISK[location]
        if settings.store.startswith(("http://", "https://")):
            if settings.store not in _REMOTE:
                _REMOTE[settings.store] = SearchIndex(None)
            return _REMOTE[settings.store]
        found = _MEMORY.get(store)
        if found is None:
            found = SearchIndex(None)
            _MEMORY[store] = found
        return found


def index_for(store: Store, settings: Settings) -> SearchIndex:
    """The index, built whole from the store first if it never was.

    A new store, an index deleted by hand, a new schema version, or a store loaded before
    search existed: the first search builds it instead of answering "nothing found".
    """
    index = open_index(store, settings)
    if not index.complete:
        with index._lock:
            if not index.complete:
                rebuild(store, settings, index=index)
    # A rebuild keeps the version it started from: a change committed meanwhile (its view
    # skipped the index, not yet complete) is followed now, not left until the next one.
    if index.version != journal.version(store, settings):
        from regiongraph.change import READ_WAIT, changing_elsewhere, refresh

        if not changing_elsewhere(store):  # else that change's request brings it up
            refresh(store, settings, views=["search"], wait=READ_WAIT)
    if index.visible_on != _today():
        # Approvals start and expire by date: re-check visibility once a day.
        with index._lock:
            if index.visible_on != _today():
                refresh_visibility(store, settings)
    return index


def refresh_visibility(store: Store, settings: Settings) -> UpdateReport:
    """Re-read only the records whose visibility flipped since the index last asked.

    Nothing in the store changed, only the day: an approval came into force or expired.
    """
    began = time.perf_counter()
    index = open_index(store, settings)
    with index._lock:
        public = public_iris(store, settings)
        shown = index.all_ids(public_only=True)
        flipped = sorted(iri for iri in index.all_ids() if (iri in public) != (iri in shown))
        reader = RecordReader(store, base=settings.base, public=public)
        records = list(reader.read(index.kinds(flipped))) if flipped else []
        hashes = reader.record_hashes(iris=[r.iri for r in records]) if records else {}
        written, _ = index.write(_with_hashes(records, hashes)) if records else (0, 0)
        index.remember(visible_on=_today())
    return UpdateReport(candidates=len(flipped), written=written, deleted=0,
                        unchanged=len(flipped) - written,
                        seconds=round(time.perf_counter() - began, 3), full=False)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def public_iris(store: Store, settings: Settings) -> set[str]:
    """IRIs anonymous users may see today, as `regiongraph.visibility` decides.

    The rule lives there and only there: its public nodes are the publishable datasets
    and the registry's communities, standards, projects (and more, which are not records).
    """
    from regiongraph.visibility import public_nodes

    nodes = public_nodes(store, settings)
    return nodes.public - nodes.private


def rebuild(store: Store, settings: Settings, *, index: SearchIndex | None = None,
            progress=None) -> UpdateReport:
    """Re-create the whole index from the store (`regiongraph reindex`)."""
    began = time.perf_counter()
    day = _today()
    version = journal.version(store, settings)
    index = index or open_index(store, settings)
    reader = RecordReader(store, base=settings.base, public=public_iris(store, settings))
    subjects = reader.subjects()
    hashes = reader.record_hashes()
    graphs = sorted({g for found in hashes.values() for g in found})
    stamps = reader.harvest_stamps(graphs, _meta(settings)) if graphs else {}
    records = _with_hashes(reader.read(subjects), hashes)
    if progress is not None:
        records = progress(records, len(subjects))
    written, _ = index.write(records, clear=True)
    index.remember(visible_on=day, stamps=stamps, clear=True, complete=True, version=version)
    return UpdateReport(candidates=len(subjects), written=written, deleted=0, unchanged=0,
                        seconds=round(time.perf_counter() - began, 3), full=True)


def _meta(settings: Settings) -> str:
    return Minter(settings.base).graph(META_GRAPH).value


def _with_hashes(records, hashes: dict[str, dict[str, str]]):
    for record in records:
        record.source_hashes = {g: h for g, h in hashes.get(record.iri, {}).items()
                                if g in record.graphs}
        yield record


def update(store: Store, settings: Settings, changed: list[NamedNode] | list[str]) -> UpdateReport:
    """Bring the index in step after `changed` graphs were rewritten, record by record.

    Which records to re-read: a change to the registry, ontology or inference graph can
    move any record's labels or visibility, so then all of them (but only those whose
    content moved are rewritten). For other graphs, the records with a triple there —
    and of those, when a harvest wrote the graph, only the ones whose harvest record hash
    differs from the one indexed (the harvest's own created/updated verdict), so a 1%
    change re-reads 1% of the records. Records that left the graph are deleted, or
    re-read if they still exist elsewhere.
    """
    began = time.perf_counter()
    day = _today()
    index = open_index(store, settings)
    if not index.complete:
        # Never built: nothing to keep in step. Building it whole here would stall the
        # write that triggered the hook; the first search builds it (`index_for`).
        return UpdateReport(candidates=0, written=0, deleted=0, unchanged=0,
                            seconds=round(time.perf_counter() - began, 3), full=False)
    graphs = sorted({g.value if isinstance(g, NamedNode) else str(g) for g in changed})
    minter = Minter(settings.base)
    everything = {minter.graph(name).value for name in
                  (REGISTRY_GRAPH, ONTOLOGY_GRAPH, INFERENCE_GRAPH)}
    full = bool(everything.intersection(graphs))
    reader = RecordReader(store, base=settings.base)
    with index._lock:
        if full:
            subjects = reader.subjects()
            stale = index.all_ids() - set(subjects)
            candidates = dict(subjects)
            stamps = None
        else:
            by_graph = reader.subjects_by_graph(graphs)
            subjects = {s: k for found in by_graph.values() for s, k in found.items()}
            stamps = reader.harvest_stamps(graphs, _meta(settings))
            trusted = [g for g in graphs if stamps[g] and stamps[g] != index.stamps.get(g)]
            hashes = reader.record_hashes(trusted) if trusted else {}
            stored = index.stored_state(sorted(subjects))
            candidates = {}
            for graph in graphs:
                for iri, kind in by_graph[graph].items():
                    if iri in candidates:
                        continue
                    known = stored.get(iri)
                    now = hashes.get(iri, {}).get(graph)
                    if graph not in trusted or known is None or now is None \
                            or now != known[1].get(graph):
                        candidates[iri] = kind
            stale = index.ids_in_graphs(graphs, excluding=set(subjects))
            if stale:
                elsewhere = reader.subjects(None)
                for iri in stale:
                    if iri in elsewhere:
                        candidates[iri] = elsewhere[iri]
        reader.public = _visible(store, settings, full, candidates)
        tally = _Tally()
        fresh = _fresh(reader, candidates, index.stored_state(sorted(candidates)), tally)
        first = next(fresh, None)
        gone = [iri for iri in stale if iri not in candidates]
        written, deleted = (0, 0) if first is None and not gone else index.write(
            itertools.chain([first] if first is not None else [], fresh), gone)
        if full:
            graphs_now = sorted(tally.graphs)
            index.remember(visible_on=day, stamps=reader.harvest_stamps(
                graphs_now, _meta(settings)) if graphs_now else {}, clear=True)
        else:
            index.remember(stamps=stamps)
    return UpdateReport(candidates=len(candidates), written=written, deleted=deleted,
                        unchanged=tally.unchanged,
                        seconds=round(time.perf_counter() - began, 3), full=full)


RECORD_CHUNK = 2_000
"""Records an update reads, compares and hands to the index writer at a time: all of a
10k-row first harvest's records held at once peaked the server 68 MB over the update."""


@dataclass
class _Tally:
    unchanged: int = 0
    graphs: set[str] = field(default_factory=set)
    """The graphs the records' harvest hashes came from."""


def _fresh(reader: RecordReader, candidates: dict[str, str],
           known: dict[str, tuple], tally: _Tally) -> Iterator[SearchRecord]:
    """The records of `candidates` whose content moved since they were indexed (`known`),
    RECORD_CHUNK at a time; the others are counted in `tally`."""
    ordered = sorted(candidates)
    for start in range(0, len(ordered), RECORD_CHUNK):
        chunk = {iri: candidates[iri] for iri in ordered[start:start + RECORD_CHUNK]}
        records = list(reader.read(chunk))
        hashes = reader.record_hashes(iris=[r.iri for r in records]) if records else {}
        tally.graphs.update(g for found in hashes.values() for g in found)
        for record in _with_hashes(records, hashes):
            if record.iri in known and known[record.iri][0] == record.digest():
                tally.unchanged += 1
            else:
                yield record


def _visible(store: Store, settings: Settings, full: bool, candidates: dict[str, str]
             ) -> set[str]:
    """What anonymous users may see, asked of `regiongraph.visibility` as cheaply as the
    change allows: the whole public view when the registry, the ontology or a non-dataset
    record changed; otherwise only which datasets are publishable (the registry, which
    decides about everything else, did not change)."""
    if full or any(kind != "dataset" for kind in candidates.values()):
        return public_iris(store, settings)
    if not candidates:
        return set()
    from regiongraph.visibility import publishable_among

    return publishable_among(store, settings, candidates)


def after_change(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    """The view's follow step (`regiongraph.change.VIEWS`): keep the index in step with the
    graphs just written. An index another process holds raises SearchIndexError: the view
    then keeps its old version and follows on the next change or `regiongraph refresh`."""
    update(store, settings, changed)


def seen_version(store: Store, settings: Settings) -> int:
    index = open_index(store, settings)
    # Never built: the first search builds it whole, nothing to follow before that.
    return index.version if index.complete else journal.version(store, settings)


def mark_version(store: Store, settings: Settings, version: int) -> None:
    index = open_index(store, settings)
    if index.complete:
        index.remember(version=version)


__all__ = [
    "SearchIndex",
    "SearchIndexError",
    "SearchInputError",
    "SearchRecord",
    "SearchResult",
    "UpdateReport",
    "after_change",
    "index_for",
    "index_location",
    "mark_version",
    "open_index",
    "parse_filters",
    "parse_query",
    "public_iris",
    "rebuild",
    "refresh_visibility",
    "seen_version",
    "update",
]
