"""The shared region snapshot: reused while the store version stands, rebuilt when a change
moves it, whichever process wrote."""

from pyoxigraph import Quad

from regiongraph import journal
from regiongraph.analysis.cache import cached_region
from regiongraph.change import apply_change
from regiongraph.settings import Settings
from tests.analysis.graphs import GRAPH, RegionBuilder


def test_snapshot_is_shared_until_the_store_version_moves():
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
    extra = RegionBuilder()
    extra.dataset("a/z")

    def write():
        store.add(Quad(q.subject, q.predicate, q.object, GRAPH) for q in extra.quads)
        return [GRAPH.value]

    apply_change(store, settings, "test", write)
    rebuilt = cached_region(store, settings)
    assert rebuilt is not first and set(rebuilt.datasets) == set(first.datasets) | set(
        cached_region(store, settings).datasets)
    assert len(rebuilt.datasets) == 2


def test_a_write_journalled_elsewhere_moves_the_version():
    """Another process's write reaches this one only through the journal in the store."""
    store = RegionBuilder().store()
    settings = Settings(store="memory")
    first = cached_region(store, settings)
    journal.append(store, settings, journal.Change(road="elsewhere", graphs=(GRAPH.value,)))
    assert cached_region(store, settings) is not first
