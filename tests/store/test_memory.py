"""A server's memory does not grow with the number of changes (issue 14): the one change
path leaves each change's writes on disk, not in RocksDB's write buffers, and hands the
heap the views freed back to the OS (`regiongraph.memory`; the 100-cycle figures are in
bench/RESULTS.md, section Memory)."""

import subprocess
import sys
import textwrap

import pytest

RUN = """
import sys
from pathlib import Path

from regiongraph import change
from regiongraph.settings import Settings
from regiongraph.store import open_store

change.VIEWS = []  # the store's own memory alone: no view writes or holds anything
settings = Settings(store=sys.argv[1], index=sys.argv[1] + ".search")
store = open_store(settings)
graph = "https://example.org/graph/memory-test"


def titles(revision):
    return " ".join(f'<https://example.org/s{i}> <https://example.org/title> "t{i} r{revision}" .'
                    for i in range(3_000))


def rss():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines()
                if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ {titles(0)} }} }}")
readings = []
for revision in range(1, 17):
    change.apply_change(store, settings, "test", lambda r=revision: store.update(
        f"DELETE DATA {{ GRAPH <{graph}> {{ {titles(r - 1)} }} }} ; "
        f"INSERT DATA {{ GRAPH <{graph}> {{ {titles(r)} }} }}") or [graph])
    readings.append(rss())
store.close()
print(readings[3], readings[-1])
"""


def test_changes_through_the_change_path_do_not_pile_up_in_the_disk_stores_memory(tmp_path):
    """16 changes, each rewriting 3k titles of a disk store: without a flush after each,
    RocksDB holds them all in its write buffers (30 changes of 5k titles: 133 MB after
    change 5, 306 MB after change 30); the change path flushes them, so the process
    stays level."""
    out = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "store")],
                         capture_output=True, text=True, timeout=300, check=True).stdout.split()
    fourth, last = float(out[0]), float(out[1])
    assert last - fourth < 20, (fourth, last)


def test_the_heap_a_dropped_view_freed_goes_back_to_the_os(tmp_path):
    """In a fresh interpreter: a 50k-quad memory view copied into a fresh store and the
    old one dropped, as the public view does; `memory.trim` gives the freed pages back."""
    script = textwrap.dedent("""
        from pathlib import Path
        from pyoxigraph import Literal, NamedNode, Quad, Store
        from regiongraph.memory import trim

        def rss():
            line = next(l for l in Path("/proc/self/status").read_text().splitlines()
                        if l.startswith("VmRSS:"))
            return int(line.split()[1]) / 1024

        def view(revision):
            store = Store()
            store.bulk_extend(Quad(NamedNode(f"https://example.org/s{i}"),
                                   NamedNode("https://example.org/title"),
                                   Literal(f"title {i} revision {revision}"),
                                   NamedNode(f"https://example.org/g{i % 50}"))
                              for i in range(50_000))
            return store

        kept = view(0)
        for revision in range(1, 3):
            fresh = Store()
            fresh.bulk_extend(view(revision))
            kept = fresh
        held = rss()
        assert trim()
        print(held, rss())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    held, trimmed = float(out[0]), float(out[1])
    assert held - trimmed > 25, (held, trimmed)  # MB the allocator kept (measured: 51), now returned


class _CountingLibc:
    """Stands in for glibc's allocator entry points, counting the trims asked of it."""

    def __init__(self) -> None:
        self.trims = 0

    def malloc_trim(self, pad: int) -> int:
        self.trims += 1
        return 1


def test_a_short_change_trims_once_a_long_step_after_itself(monkeypatch):
    """A trim walks the whole heap (7-35 ms at 300 MB), so a small write (a workflow step,
    an annotation) pays for one, at the change's end, not one after each of its views;
    a step that ran 0.5 s or more (a harvest's write) is trimmed after as well."""
    import time

    from regiongraph import change, memory
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    libc = _CountingLibc()
    monkeypatch.setattr(memory, "_libc", lambda: libc)
    settings = Settings(store="memory", base="https://data.sonoranvalley.example/")
    store = open_store(settings)
    graph = "https://example.org/graph/trims"

    def write(serial: int, pause: float = 0.0) -> list[str]:
        time.sleep(pause)
        store.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:s> <urn:x:p> "{serial}" }} }}')
        return [graph]

    change.apply_change(store, settings, "test", lambda: write(0))  # views built once
    libc.trims = 0
    change.apply_change(store, settings, "test", lambda: write(1))
    assert libc.trims == 1
    libc.trims = 0
    change.apply_change(store, settings, "test", lambda: write(2, memory.TRIM_AFTER_STEP))
    assert libc.trims == 2
    store.close()


@pytest.mark.parametrize("found", [None, "libnot-a-c-library.so.9"])
def test_the_server_keeps_its_defaults_where_there_is_no_glibc(monkeypatch, found):
    """Where no C library with `mallopt` and `malloc_trim` is found (musl, macOS), or the
    one named cannot be loaded, the server's start and each change's settle go on with
    the allocator's defaults: nothing to limit or give back, and no error."""
    import ctypes.util

    from regiongraph import memory
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: found)
    memory._libc.cache_clear()
    try:
        assert memory.few_arenas() is False
        assert memory.trim() is False
        store = open_store(Settings(store="memory"))
        memory.settle(store)
        store.close()
    finally:
        monkeypatch.undo()
        memory._libc.cache_clear()
    assert memory.few_arenas() is True and memory.trim() is True
