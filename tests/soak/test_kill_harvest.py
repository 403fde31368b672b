"""kill -9 × 20 at random moments of a harvest of a 20k-record data.json.

Each time: the store opens within 10 s; every other graph is byte-identical (dumped
N-Quads); the harvested graph is the old one or the complete new one; no orphan
`bulk-*.sst` file is left (pyoxigraph's bulk loader leaves them, NOTES.md §1).
Two catalogs (A and B, different titles) alternate, so every round has a change to write.
"""

import os
import random
import signal
import subprocess
import sys
import time

from pyoxigraph import NamedNode

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.harvest.conftest import Harvester
from tests.harvest.fixture_server import FIXTURES
from tests.harvest.test_sigkill import SCRIPT, big_catalog
from tests.soak.conftest import FIGURES

ROUNDS = 20
RECORDS = 20_000
SPREAD = (0.02, 1.0)
"""Each kill falls at this share of an uninterrupted harvest's measured duration (reading,
spooling, the diff update that swaps the graph in, the journal and the views): the whole
harvest, not only its start."""


def other_graphs(store, harvested: str) -> bytes:
    """Every other source's graph, as sorted N-Quads (pyoxigraph's str of a quad). The
    harvest's own report, the journal and the derived views change with a complete
    harvest, so they are not among them."""
    sources = harvested.rsplit("/", 1)[0] + "/"
    quads = sorted(str(q) for name in store.graphs() if name and name.startswith(sources)
                   and name != harvested for q in store.quads(NamedNode(name)))
    assert quads, "no other source graph to compare"
    return "\n".join(quads).encode()


def whole_store(settings: Settings) -> bytes:
    """Every quad of the store as sorted N-Quads: a killed harvest that left its graph old
    must have left everything else as it was too (journal, reports, views)."""
    store = open_store(settings)
    try:
        return "\n".join(sorted(str(q) for q in store.quads())).encode()
    finally:
        store.close()


def run(store_path: str, catalog) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, store_path, str(catalog)],
                            stdout=subprocess.DEVNULL)


def test_kill_minus_nine_during_big_harvests(tmp_path):
    catalogs = [tmp_path / "a.json", tmp_path / "b.json"]
    big_catalog(catalogs[0], RECORDS)
    big_catalog(catalogs[1], RECORDS)
    catalogs[1].write_text(catalogs[1].read_text().replace('"Big ', '"Grand '))

    # The complete new graphs, from uninterrupted harvests into a reference store: a first
    # load (A), then a replacement (B over A), the kind of harvest most rounds make.
    complete, durations = {}, []
    reference = Settings(store=str(tmp_path / "reference"))
    for catalog in catalogs:
        started = time.monotonic()
        assert run(reference.store, catalog).wait(timeout=900) == 0
        durations.append(time.monotonic() - started)
        store = open_store(reference)
        complete[catalog] = Harvester(store, reference).snapshot()
        store.close()

    settings = Settings(store=str(tmp_path / "store"))
    store = open_store(settings)
    harvester = Harvester(store, settings)
    harvester(FIXTURES / "catalog-v1.json", id="neighbour", validate=False)
    graph = harvester.graph().value
    others = other_graphs(store, graph)
    store.close()

    window = max(durations)
    rng = random.Random(18)
    outcomes = {"old": 0, "new": 0, "finished before the kill": 0}
    opens, orphans = [], 0
    current = b""  # nothing harvested into the source yet
    for round_ in range(ROUNDS):
        catalog = catalogs[round_ % 2]
        before = whole_store(settings)
        process = run(settings.store, catalog)
        time.sleep(rng.uniform(*SPREAD) * window)
        if process.poll() is not None:
            assert process.returncode == 0, f"round {round_}: the harvest failed"
            outcomes["finished before the kill"] += 1
        else:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

        started = time.monotonic()
        store = open_store(settings)
        opens.append(time.monotonic() - started)
        try:
            after = Harvester(store, settings).snapshot()
            assert other_graphs(store, graph) == others, f"round {round_}: another graph changed"
            stayed = after != complete[catalog]
            if not stayed:
                outcomes["new"] += 1
            else:
                assert after == current, f"round {round_}: the graph is neither old nor new"
                outcomes["old"] += 1
            current = after
        finally:
            store.close()
        if stayed:
            assert whole_store(settings) == before, f"round {round_}: old graph, yet the " \
                "store changed"
        leftovers = list((tmp_path / "store").glob("bulk-*.sst"))
        orphans += len(leftovers)
        assert not leftovers, f"round {round_}: orphan files {leftovers}"
    FIGURES["kill -9 during a 20k-record harvest"] = {
        "rounds": ROUNDS, "uninterrupted harvest s (load, replace)": [round(d, 1) for d in durations],
        "kill moments s": f"{SPREAD[0] * window:.1f}-{SPREAD[1] * window:.1f}",
        **outcomes, "slowest open s": round(max(opens), 2), "orphan bulk files": orphans}
    assert max(opens) <= 10
