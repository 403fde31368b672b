"""The region snapshot shared between requests, rebuilt when the store changes.

Reading the region takes one query per relation; on a large region that is seconds, too
slow to repeat for every page view. Pages and region-wide API routes therefore share one
snapshot per store, rebuilt when any of these changes:

- the store's version token (`regiongraph.exports.model.store_version`: the meta graph,
  which every write through `regiongraph.pipeline` stamps, and the day);
- a manual lineage edge written or withdrawn through the API (`invalidate`);
- its age passes `max_age` seconds (writers this process does not hear about, such as
  SPARQL updates from another process on a remote store).

Who may see what is not cached here: routes still ask `regiongraph.visibility` on every
request and filter the snapshot with its answer, so a stale snapshot can never show a
dataset that is no longer public.
"""

from __future__ import annotations

import threading
import time
import weakref

from regiongraph.analysis.region import Region, load_region
from regiongraph.settings import Settings
from regiongraph.store import Store

MAX_AGE = 60.0

_lock = threading.Lock()
_entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_generations: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _version(store: Store, settings: Settings) -> str:
    from regiongraph.exports.model import store_version

    return store_version(store, settings)[0]


def invalidate(store: Store, settings: Settings | None = None, changed: object = None) -> None:
    """Mark the snapshot of `store` stale (also usable as a pipeline after-change hook)."""
    with _lock:
        _generations[store] = _generations.get(store, 0) + 1


def cached_region(store: Store, settings: Settings, *, max_age: float = MAX_AGE) -> Region:
    key = (_version(store, settings), _generations.get(store, 0))
    entry = _entries.get(store)
    if entry is not None and entry[0] == key and time.monotonic() - entry[1] < max_age:
        return entry[2]
    with _lock:
        entry = _entries.get(store)
        if entry is not None and entry[0] == key and time.monotonic() - entry[1] < max_age:
            return entry[2]
        region = load_region(store, settings)
        _entries[store] = (key, time.monotonic(), region)
        return region
