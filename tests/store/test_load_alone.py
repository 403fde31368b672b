"""A first harvest's bulk load runs in a helper process (`EmbeddedStore.load_alone`): its
batch (~800 B a quad) is the helper's memory, given back whole when it exits, and the
server's heap never grows by it. Readers meanwhile read the store as it was."""

import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, serialize

from regiongraph.store.embedded import EmbeddedStore

GRAPH = NamedNode("https://example.org/graph/big")
OTHER = NamedNode("https://example.org/graph/other")


def spool_of(n: int, tail: bytes = b""):
    """N-Triples of `n` triples written 5k at a time (a small peak of its own), then
    `tail`, which stays in the file object's buffer: the helper must see it too."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it (a with block)
    for start in range(0, n, 5_000):
        spool.write(serialize((Triple(NamedNode(f"https://example.org/d/{i // 25}"),
                                      NamedNode(f"https://example.org/p{i % 25}"),
                                      Literal(f"value {i}"))
                               for i in range(start, min(n, start + 5_000))),
                              format=RdfFormat.N_TRIPLES))
    spool.write(tail)
    return spool


def test_the_batch_is_the_helpers_memory_and_readers_see_the_old_store(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    store.add([Quad(GRAPH, GRAPH, GRAPH, OTHER)])
    seen, stop = set(), threading.Event()

    def read() -> None:
        """Both counts by one query: one snapshot, whichever handle the store holds."""
        while not stop.is_set():
            counts = {row["g"].value: int(row["n"].value) for row in store.query(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
            seen.add((counts.get(GRAPH.value, 0), counts.get(OTHER.value, 0)))

    reader = threading.Thread(target=read)
    with spool_of(200_000, f"{OTHER} {OTHER} {OTHER} {OTHER} .\n".encode()) as spool:
        reader.start()
        try:
            store.load_alone(spool, GRAPH)
        finally:
            stop.set()
            reader.join()
    assert (store.count(GRAPH), store.count(OTHER)) == (200_000, 2)  # the tail's quad too
    assert seen <= {(0, 1), (200_000, 2)} and (0, 1) in seen  # old or whole, never a part
    store.update(f"INSERT DATA {{ GRAPH {OTHER} {{ {GRAPH} {GRAPH} {OTHER} }} }}")
    assert store.count(OTHER) == 3  # the writer's handle is back
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert helpers > 100, f"the helper's peak was {helpers:.0f} MB: did it load?"
    store.close()


GROWTH_SCRIPT = textwrap.dedent("""
    import sys, threading, time
    sys.path.insert(0, ".")
    from tests.store.test_load_alone import GRAPH, spool_of
    from regiongraph.store import served
    from regiongraph.store.embedded import EmbeddedStore

    def rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096 // 2**20

    store = EmbeddedStore(sys.argv[1])
    if sys.argv[2] == "pieces":
        served(store)
    spool = spool_of(200_000)
    before, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    if sys.argv[2] == "helper":
        store.load_alone(spool, GRAPH)
    else:
        store._load_here(spool, GRAPH)
    done.set()
    sampler.join()
    assert store.count(GRAPH) == 200_000
    print(max(0, peak[0] - before))
""")


def load_growth(tmp_path, *ways: str) -> dict[str, int]:
    """The peak RSS growth (MB) of a fresh process over its RSS just before, sampled every
    5 ms, while it first-loads 200k quads each way: `helper` (`load_alone` in a helper
    process), `here` (one bulk load in this process), `pieces` (a served store's
    `_load_here`)."""
    return {how: int(subprocess.run(
        [sys.executable, "-c", GROWTH_SCRIPT, str(tmp_path / how), how], check=True,
        capture_output=True, text=True, timeout=300).stdout) for how in ways}


def test_the_batch_grows_this_process_by_far_less_than_a_load_here(tmp_path):
    growth = load_growth(tmp_path, "helper", "here")
    assert growth["here"] > 50, growth
    assert growth["helper"] < growth["here"] / 4, growth


def test_a_writer_holding_an_iterator_gives_up_instead_of_waiting_forever(tmp_path,
                                                                          monkeypatch):
    """A thread that reads (its iterator keeps the writer's handle open) and then writes
    while the store is handed over would wait for the handle it keeps from closing: it
    gives up after HANDOFF_WAIT (a 503 through the API), its iterator goes with it, and
    the load ends."""
    from regiongraph.store import StoreBusyError, embedded

    monkeypatch.setattr(embedded, "HANDOFF_WAIT", 1.0)
    store = EmbeddedStore(tmp_path / "store")
    store.add([Quad(GRAPH, GRAPH, OTHER, OTHER)] + [Quad(NamedNode(f"https://example.org/s{i}"), GRAPH, GRAPH, OTHER)
               for i in range(100)])
    reading, outcome = threading.Event(), {}

    def read_then_write() -> None:
        rows = iter(store.quads(OTHER))
        next(rows)
        reading.set()
        deadline = time.monotonic() + 30
        while not store._handed_over and time.monotonic() < deadline:
            time.sleep(0.001)
        try:
            store.update(f"INSERT DATA {{ GRAPH {OTHER} {{ {OTHER} {OTHER} {OTHER} }} }}")
            outcome["write"] = "written"
        except StoreBusyError:
            outcome["write"] = "gave up"

    writer = threading.Thread(target=read_then_write)
    writer.start()
    reading.wait(timeout=30)
    with spool_of(10_000) as spool:
        store.load_alone(spool, GRAPH)
    writer.join(timeout=60)
    assert outcome == {"write": "gave up"}
    assert store.count(GRAPH) == 10_000
    store.update(f"INSERT DATA {{ GRAPH {OTHER} {{ {OTHER} {OTHER} {OTHER} }} }}")
    assert store.count(OTHER) == 102
    store.close()


def test_a_served_store_loads_in_the_server(tmp_path):
    """A server's threads may hold the writer's handle, which then never closes for a
    helper: the store a server shares loads its batch itself."""
    from regiongraph.store import served

    store = EmbeddedStore(tmp_path / "store")
    served(store)
    rows = iter(store.quads())  # a reader's iterator of the writer's handle, still open
    with spool_of(1_000) as spool:
        store.load_alone(spool, GRAPH)
    assert store.count(GRAPH) == 1_000 and list(rows) == []
    store.close()


def test_an_open_right_after_a_killed_loader_waits_for_its_dying_helper(tmp_path):
    """kill -9 of a process whose helper is loading: the helper is killed with it, but lets
    the store go only once the kernel has torn it down. An open at once waits for that
    (`_holders_let_go`) instead of calling the store busy; the graph is still old."""
    import os
    import signal

    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, ".")
        from tests.store.test_load_alone import GRAPH, spool_of
        from regiongraph.store.embedded import EmbeddedStore

        store = EmbeddedStore(sys.argv[1])
        store.load_alone(spool_of(600_000), GRAPH)
    """)
    path = tmp_path / "store"
    EmbeddedStore(path).close()
    loader = subprocess.Popen([sys.executable, "-c", script, str(path)])
    deadline = time.monotonic() + 120
    while not helpers_on(path):
        assert loader.poll() is None and time.monotonic() < deadline, "no helper started"
        time.sleep(0.01)
    time.sleep(1.5)  # the helper has opened the store and is loading
    assert helpers_on(path), "the helper ended before the kill"
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    store = EmbeddedStore(path)
    assert store.count(GRAPH) == 0
    store.close()


def helpers_on(path) -> list[str]:
    """The bulk-load helpers (`regiongraph.store.bulk`) running on the store at `path`."""
    from pathlib import Path

    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"regiongraph.store.bulk" in args and str(path).encode() in args:
            found.append(cmdline.parent.name)
    return found
