"""A region load bulk-loads its new sources at once (`engine.FirstLoads`).

Oxigraph's bulk loader costs about 0.1 s a call whatever it loads; a region of 50 sources
paid it 50 times. The one load must store what loading them one by one stores, find the
same datasets two sources share, and stay all-or-nothing.
"""

import pyoxigraph

from regiongraph import harvest
from regiongraph.paths import data_path
from regiongraph.pipeline import load_region_dir
from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.store.embedded import EmbeddedStore


def _watch(monkeypatch, fail: bool = False) -> list[int]:
    """Count the store's bulk loads (`EmbeddedStore.load_alone`), and with `fail`, refuse
    them as a full disk would."""
    calls: list[int] = []
    original = EmbeddedStore.load_alone

    def watched(self, source, graph=None):
        calls.append(1)
        if fail:
            raise OSError("No space left on device")
        return original(self, source, graph)

    monkeypatch.setattr(EmbeddedStore, "load_alone", watched)
    return calls


def _sources_and_meta(store) -> dict[str, set[bytes]]:
    return {g: set(store.oxigraph.dump(format=pyoxigraph.RdfFormat.N_TRIPLES,
                                       from_graph=pyoxigraph.NamedNode(g)).splitlines())
            for g in store.graphs() if g and ("/graph/source/" in g or "/graph/meta" in g)}


def _load(tmp_path, name: str):
    settings = Settings(store=str(tmp_path / name))
    store = open_store(settings)
    summary = load_region_dir(store, settings, data_path("demo"))
    return store, summary


def test_a_region_load_bulk_loads_its_new_sources_once(tmp_path, monkeypatch):
    calls = _watch(monkeypatch)
    store, summary = _load(tmp_path, "store")
    harvested = [r for r in summary.reports if r.written_graphs]
    assert len(harvested) > 5
    assert len(calls) == 1
    for report in harvested:  # each report counts what its graph holds after the load
        [(graph, quads)] = report.written_graphs.items()
        assert quads == store.count(pyoxigraph.NamedNode(graph)) > 0
    store.close()


def test_a_batch_is_loaded_whenever_it_holds_max_quads(tmp_path, monkeypatch):
    """Its memory is bounded: a bulk load holds ~1 KB a quad until it ends."""
    from regiongraph.harvest.engine import FirstLoads

    monkeypatch.setattr(FirstLoads, "MAX_QUADS", 1)
    calls = _watch(monkeypatch)
    store, summary = _load(tmp_path, "store")
    harvested = [r for r in summary.reports if r.written_graphs]
    assert len(calls) == len(harvested) > 5
    assert sum(len(r.duplicates) for r in summary.reports) > 0  # found in the store now
    for report in harvested:
        [(graph, quads)] = report.written_graphs.items()
        assert quads == store.count(pyoxigraph.NamedNode(graph)) > 0
    store.close()


def test_the_one_load_stores_what_loading_sources_one_by_one_stores(tmp_path, monkeypatch):
    together, summary = _load(tmp_path, "together")
    shared = sum(len(r.duplicates) for r in summary.reports)
    assert shared > 0  # the demo's sources share datasets: found among the staged ones
    one_by_one = harvest.harvest_sources
    monkeypatch.setattr(harvest, "harvest_sources", lambda *args, **kwargs: one_by_one(
        *args, **{**kwargs, "together": False}))
    alone, alone_summary = _load(tmp_path, "alone")
    assert _sources_and_meta(together) == _sources_and_meta(alone)
    assert ([(r.source, r.status, r.created, r.written_graphs, r.duplicates)
             for r in summary.reports] ==
            [(r.source, r.status, r.created, r.written_graphs, r.duplicates)
             for r in alone_summary.reports])
    together.close()
    alone.close()


def test_a_failed_one_load_leaves_every_new_source_empty_and_says_so(tmp_path, monkeypatch):
    _watch(monkeypatch, fail=True)
    store, summary = _load(tmp_path, "store")
    assert summary.reports and all(r.status == "failed" for r in summary.reports)
    assert all("No space left on device" in r.message for r in summary.reports)
    assert not [g for g in store.graphs() if g and "/graph/source/" in g]
    store.close()
