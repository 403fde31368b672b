"""The region snapshot shared between requests, rebuilt when the store changes.

Reading the region takes one query per relation; on a large region that is seconds, too
slow to repeat for every page view. Pages and region-wide API routes therefore share one
snapshot per store, kept until the store version or the day moves
(`regiongraph.change.cache_key`): every write, from this process or another one on the
same store, goes through the one change path and moves the version.

Who may see what is not cached here: routes still ask `regiongraph.visibility` on every
request and filter the snapshot with its answer, so a stale snapshot can never show a
dataset that is no longer public.
"""

from __future__ import annotations

from regiongraph.analysis.region import Region, load_region
from regiongraph.change import VersionedCache
from regiongraph.settings import Settings
from regiongraph.store import Store

_regions: VersionedCache[Region] = VersionedCache(load_region)


def cached_region(store: Store, settings: Settings) -> Region:
    return _regions.get(store, settings)
