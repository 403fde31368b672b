"""The demo region loads the same everywhere, and loading it again changes nothing."""

import json
import subprocess
import sys

from regiongraph.pipeline import load_demo
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import oxigraph_server

# Graphs whose content carries the time of the run (reports) are compared by presence only.
TIMESTAMPED = ("/graph/reports", "/graph/harvest-log", "/graph/quality")


def comparable(graphs: dict[str, int]) -> dict[str, int]:
    return {g: n for g, n in graphs.items() if not any(t in g for t in TIMESTAMPED)}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regiongraph", *args],
                          check=False, capture_output=True, text=True, timeout=600)


def test_second_demo_load_writes_nothing(tmp_path):
    store = str(tmp_path / "store")
    first = cli("--store", store, "demo")
    assert first.returncode == 0, first.stderr
    before = tmp_path / "before.nq"
    assert cli("--store", store, "dump", str(before)).returncode == 0

    second = cli("--store", store, "demo")
    assert second.returncode == 0, second.stderr
    assert ": 0 graphs written (0 quads)" in second.stderr
    after = tmp_path / "after.nq"
    assert cli("--store", store, "dump", str(after)).returncode == 0
    assert sorted(before.read_text().splitlines()) == sorted(after.read_text().splitlines())

    stats = json.loads(cli("--store", store, "stats", "--json").stdout)
    assert stats["triples"] > 10_000
    assert stats["classes"]["http://www.w3.org/ns/dcat#Dataset"] >= 300


def test_remote_backend_holds_the_same_demo(demo_settings):
    """Against a load of its own: apps served on the session's `demo_store` run the
    delivery loop (every `notify_interval` s), which records today's ending-soon events
    in it; those depend on the wall clock and the session's length, not on the demo."""
    embedded = open_store(demo_settings)
    load_demo(embedded, demo_settings)
    with oxigraph_server() as url:
        remote_settings = Settings(store=f"{url}/query", update_url=f"{url}/update",
                                   gsp_url=f"{url}/store", base=demo_settings.base)
        remote = open_store(remote_settings)
        load_demo(remote, remote_settings)
        assert comparable(remote.graphs()) == comparable(embedded.graphs())
        remote.close()
    embedded.close()
