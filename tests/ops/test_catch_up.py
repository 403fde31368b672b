"""A writer killed between its journal entry and its views: the next server start brings
the views in line by itself (no `regiongraph refresh`)."""

import time

import httpx

from regiongraph import journal
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.ops.conftest import served


def test_a_server_start_brings_lagging_views_in_line(small_disk, disk_settings: Settings,
                                                      tmp_path):
    store = open_store(disk_settings)
    graph = "https://example.org/graphs/late"
    store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/late> "
                 "<https://example.org/p> 'late' } }")
    journal.append(store, disk_settings, journal.Change(road="test", graphs=(graph,)))
    store.close()  # what a kill -9 right after the journal entry leaves

    with served(small_disk, tmp_path / "log.jsonl") as url:
        started = time.monotonic()
        while (answer := httpx.get(url + "/ready", timeout=30)).status_code != 200:
            assert time.monotonic() - started < 60, answer.text
            time.sleep(0.2)
    assert answer.json()["lagging"] == []
    assert set(answer.json()["view_lag"].values()) == {0}
