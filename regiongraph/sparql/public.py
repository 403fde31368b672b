"""The public view: a separate in-memory store holding only what anonymous users may see.

Why a separate store and not query rewriting or filters: a SPARQL query can reach any
triple of the store it runs on through `GRAPH ?g`, `FROM NAMED`, `DESCRIBE`, property
paths, aggregates or `COUNT`s that reveal that something exists. Rewriting every such
route safely is a losing game; running anonymous queries against a store that simply
does not hold private triples closes all of them at once. `regiongraph.visibility`
decides which quads are public (public access level and an approval to publish in
force); this module only copies them into a pyoxigraph memory store and keeps the copy
current.

Kept current by a generation counter per main store: the pipeline calls `invalidate`
after every change (an AFTER_CHANGE_HOOK), and the SPARQL update and Graph Store routes
call it after their writes. The next anonymous request rebuilds the view; a rebuild is
built beside the old one and swapped in by one assignment, so queries already running
finish on the view they started with. A view is also rebuilt once it is older than
`max_age` seconds, or on a new day (UTC; approvals come into force and lapse by the
day), and for writers outside this process (another process sharing a remote
store); the changes they make are not hidden longer than that.
"""

import datetime as dt
import threading
import time
import weakref

from pyoxigraph import NamedNode

from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.store.embedded import EmbeddedStore

MAX_AGE = 300.0

_generations: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()
_views: "weakref.WeakKeyDictionary[object, _View]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class _View:
    def __init__(self, store: EmbeddedStore, generation: int, built: float) -> None:
        self.store = store
        self.generation = generation
        self.built = built
        self.day = _today()

    def fresh(self, generation: int, max_age: float) -> bool:
        """Same store content, same day (approvals start and lapse by the day), not too old."""
        return (self.generation == generation and self.day == _today()
                and time.monotonic() - self.built < max_age)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def invalidate(store: Store, settings: Settings | None = None,
               changed: list[NamedNode] | None = None) -> None:
    """Mark the public view of `store` stale (an AFTER_CHANGE_HOOK; cheap, no rebuild)."""
    with _lock:
        _generations[store] = _generations.get(store, 0) + 1


def build_public_store(store: Store, settings: Settings) -> EmbeddedStore:
    """A new memory store holding exactly `visibility.public_quads(store, settings)`."""
    from regiongraph.visibility import public_quads

    view = EmbeddedStore(None)
    view.oxigraph.bulk_extend(public_quads(store, settings))
    return view


def public_store(store: Store, settings: Settings, *, max_age: float = MAX_AGE) -> Store:
    """The public view of `store`, rebuilt first if the store changed since it was built.

    One rebuild at a time: concurrent callers wait for it rather than each building one.
    """
    with _lock:
        generation = _generations.get(store, 0)
        view = _views.get(store)
    if view is not None and view.fresh(generation, max_age):
        return view.store
    with _rebuild_lock(store):
        with _lock:
            generation = _generations.get(store, 0)
            view = _views.get(store)
        if view is not None and view.fresh(generation, max_age):
            return view.store
        built = build_public_store(store, settings)
        with _lock:
            _views[store] = _View(built, generation, time.monotonic())
        return built


_rebuild_locks: "weakref.WeakKeyDictionary[object, threading.Lock]" = weakref.WeakKeyDictionary()


def _rebuild_lock(store: Store) -> threading.Lock:
    with _lock:
        lock = _rebuild_locks.get(store)
        if lock is None:
            lock = _rebuild_locks[store] = threading.Lock()
        return lock
