"""The store records its data model version; `migrate` brings an old store forward; a
server refuses a store of a newer version in one line."""

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph import journal
from regiongraph.change import VIEWS, seen_version
from regiongraph.iri import META_GRAPH, Minter
from regiongraph.store import (
    DATA_MODEL_VERSION,
    model_version,
    open_store,
    recorded_base,
    recorded_model_version,
    set_model_version,
)
from tests.ops.conftest import cli, write_graph
from tests.support import free_port


def test_the_first_write_records_the_model_version(disk_settings):
    store = open_store(disk_settings)
    assert recorded_model_version(store) is None and model_version(store) == DATA_MODEL_VERSION
    write_graph(store, disk_settings, "first", 3)
    assert recorded_model_version(store) == DATA_MODEL_VERSION == 1
    store.close()


def test_migrate_brings_a_store_from_before_the_journal_forward(disk_settings):
    store = open_store(disk_settings)
    graph = Minter(disk_settings.base).graph("source", "old")
    store.add([Quad(NamedNode(f"https://example.org/old/{i}"), NamedNode("https://example.org/p"),
                    Literal(i), graph) for i in range(5)])
    assert (model_version(store), journal.version(store, disk_settings)) == (0, 0)
    assert recorded_base(store) is None
    store.close()

    first = cli(disk_settings.store, "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated 0 → 1: record the base and the model version" in first.stderr
    assert "now holds data model version 1" in first.stderr
    again = cli(disk_settings.store, "migrate")
    assert again.returncode == 0 and "already holds data model version 1" in again.stderr

    store = open_store(disk_settings)
    try:
        assert recorded_model_version(store) == 1
        assert recorded_base(store) == Minter(disk_settings.base).base
        [change] = journal.since(store, disk_settings, 0)
        assert change.road == "migrate" and graph.value in change.graphs
        version = journal.version(store, disk_settings)
        assert all(seen_version(store, disk_settings, view) == version for view in VIEWS)
    finally:
        store.close()


def test_a_store_of_a_newer_model_is_refused_in_one_line(disk_settings, small_disk):
    store = open_store(disk_settings)
    set_model_version(store, disk_settings, DATA_MODEL_VERSION + 1)
    meta = Minter(disk_settings.base).graph(META_GRAPH)
    assert recorded_model_version(store) == DATA_MODEL_VERSION + 1 and store.count(meta) == 2
    store.close()

    for args in (("serve", "--port", str(free_port())), ("migrate",), ("stats",)):
        refused = cli(small_disk, *args)
        assert refused.returncode == 2, refused.stderr
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert lines == [
            (f"error: the store {small_disk} holds data model version {DATA_MODEL_VERSION + 1}, "
            f"newer than this regiongraph's {DATA_MODEL_VERSION}: upgrade regiongraph, or "
            "open a backup made before the upgrade; the store was not changed")]


def test_a_server_on_an_older_store_serves_and_warns(disk_settings, tmp_path):
    import httpx

    from tests.ops.conftest import served

    store = open_store(disk_settings)
    graph = Minter(disk_settings.base).graph("source", "old")
    store.add([Quad(NamedNode("https://example.org/old"), NamedNode("https://example.org/p"),
                    Literal(1), graph)])
    store.close()
    log = tmp_path / "serve.log"
    with served(disk_settings.store, log) as url:
        assert httpx.get(f"{url}/metrics", timeout=30).text.count(
            "regiongraph_data_model_version 0.0") == 1
    warning = [line for line in log.read_text().splitlines() if "older data model" in line]
    assert len(warning) == 1 and "regiongraph migrate" in warning[0]
