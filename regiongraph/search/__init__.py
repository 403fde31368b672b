"""Full-text search over the region's catalog: datasets, projects, standards, communities.

    index = index_for(store, settings)       # the index beside the store (built if empty)
    index.search("bike share", filters={"format": ["CSV"]})
    update(store, settings, changed_graphs)   # after a harvest, demo load or registry edit
    rebuild(store, settings)                  # `regiongraph reindex`

The index is derived from the store and can always be rebuilt from it. It follows every
change through `after_change`, registered in `regiongraph.pipeline.AFTER_CHANGE_HOOKS`:
only records with a triple in a changed graph are re-read, and only those whose content
(or visibility) actually moved are rewritten. A change to the registry, the ontology or
the inference graph can change any record's labels or visibility, so then every record is
re-read, but still only the changed ones are rewritten.

Every record is indexed with a `public` flag taken from `regiongraph.visibility` (the one
place that says what anonymous users may see); anonymous searches filter on it.
"""

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import NamedNode

from regiongraph.iri import INFERENCE_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
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
            return _REMOTE.setdefault(settings.store, SearchIndex(None))
        found = _MEMORY.get(store)
        if found is None:
            found = SearchIndex(None)
            _MEMORY[store] = found
        return found


def index_for(store: Store, settings: Settings) -> SearchIndex:
    """The index, built from the store first if it is empty while the store has records.

    An index deleted by hand, or a store loaded before search existed, heals itself on
    the first search instead of answering "nothing found".
    """
    index = open_index(store, settings)
    if index.num_docs == 0:
        with index._lock:
            if index.num_docs == 0 and RecordReader(store).subjects():
                rebuild(store, settings, index=index)
    elif index.visible_on != _today():
        # Approvals start and expire by date: re-check visibility once a day, rewriting
        # only the records whose flag flipped.
        with index._lock:
            if index.visible_on != _today():
                update(store, settings, [Minter(settings.base).graph(REGISTRY_GRAPH)])
    return index


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
    index = index or open_index(store, settings)
    day = _today()
    reader = RecordReader(store, public=public_iris(store, settings))
    subjects = reader.subjects()
    records = reader.read(subjects)
    if progress is not None:
        records = progress(records, len(subjects))
    written, _ = index.write(records, clear=True)
    index.mark_visible_on(day)
    return UpdateReport(candidates=len(subjects), written=written, deleted=0, unchanged=0,
                        seconds=round(time.perf_counter() - began, 3), full=True)


def update(store: Store, settings: Settings, changed: list[NamedNode] | list[str]) -> UpdateReport:
    """Bring the index in step after `changed` graphs were rewritten, record by record."""
    began = time.perf_counter()
    index = open_index(store, settings)
    graphs = sorted({g.value if isinstance(g, NamedNode) else str(g) for g in changed})
    minter = Minter(settings.base)
    everything = {minter.graph(name).value for name in
                  (REGISTRY_GRAPH, ONTOLOGY_GRAPH, INFERENCE_GRAPH)}
    full = bool(everything.intersection(graphs)) or index.num_docs == 0
    day = _today()
    reader = RecordReader(store, public=public_iris(store, settings))
    with index._lock:
        subjects = reader.subjects(None if full else graphs)
        # Records indexed from these graphs that are no longer in them: deleted, or moved.
        stale = index.all_ids() - set(subjects) if full else \
            index.ids_in_graphs(graphs, excluding=set(subjects))
        if stale and not full:
            moved = reader.subjects(None)
            for iri in stale:
                if iri in moved:
                    subjects[iri] = moved[iri]
        known = index.digests(sorted(subjects))
        fresh: list[SearchRecord] = []
        unchanged = 0
        for record in reader.read(subjects):
            if known.get(record.iri) == record.digest():
                unchanged += 1
            else:
                fresh.append(record)
        gone = [iri for iri in stale if iri not in subjects]
        written, deleted = index.write(fresh, gone) if fresh or gone else (0, 0)
        if full:
            index.mark_visible_on(day)
    return UpdateReport(candidates=len(subjects), written=written, deleted=deleted,
                        unchanged=unchanged, seconds=round(time.perf_counter() - began, 3),
                        full=full)


def after_change(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    """The pipeline hook: keep the index in step with the graphs just written.

    The store change has already happened and must stand: if the index cannot be written
    (another process holds it), say so and leave it to `regiongraph reindex`.
    """
    try:
        update(store, settings, changed)
    except SearchIndexError as error:
        logging.getLogger(__name__).warning(
            "search index not updated: %s; run `regiongraph reindex`", error)


__all__ = [
    "SearchIndex", "SearchIndexError", "SearchInputError", "SearchRecord", "SearchResult",
    "UpdateReport", "after_change", "index_for", "index_location", "open_index",
    "parse_filters", "parse_query", "public_iris", "rebuild", "update",
]
