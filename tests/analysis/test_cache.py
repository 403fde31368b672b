"""The shared region snapshot: reused while nothing changed, rebuilt when something did."""

from regiongraph.analysis.cache import cached_region, invalidate
from regiongraph.settings import Settings
from tests.analysis.graphs import RegionBuilder


def test_snapshot_is_shared_until_invalidated_or_old():
    b = RegionBuilder()
    b.dataset("a/x")
    store = b.store()
    settings = Settings(store="memory")
    first = cached_region(store, settings)
    assert cached_region(store, settings) is first
    other = RegionBuilder()
    other.dataset("b/y")
    second_store = other.store()
    assert set(cached_region(second_store, settings).datasets) != set(first.datasets)
    invalidate(store)
    rebuilt = cached_region(store, settings)
    assert rebuilt is not first and set(rebuilt.datasets) == set(first.datasets)
    assert cached_region(store, settings, max_age=0) is not rebuilt
