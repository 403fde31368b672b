"""Memory a long-running server gives back after each change.

Why: a server that re-harvests nightly must hold the same memory after its hundredth
change as after its first. Measured on pyoxigraph 0.5.13 (bench/bench_memory.py, its
probes), two native causes made it grow with the number of changes, not with the region:

- RocksDB (the disk store) kept every write of every change in its write buffers
  (memtables) and did not flush them on its own: rewriting 5k of 50k quads a cycle grew
  the process from 72 to 433 MB over 50 cycles; with `flush()` after each, 72 to 87 MB.
- glibc kept what the views freed (a view copied into a fresh store, a search writer's
  heap) in its arenas instead of handing it back: a 100k-quad memory view copied and
  dropped 10 times held 120 MB, 61 MB with `malloc_trim(0)` after each.

So the one change path ends with `settle(store)`, and a kept SPARQL view that followed a
change trims too (`regiongraph.sparql.public.catch_up`). Within a change, a long step
(the write, a view's follow) trims as well (`trim_after`): otherwise each step's peak
stacked on the leftovers of the steps before it (a 10k-row CSV harvest grew the server by
292 MB at its peak). Nothing trims on a read: a trim walks the heap (7-35 ms at 300 MB).
"""

import ctypes
import ctypes.util
import logging
import threading
import time
from functools import cache

log = logging.getLogger(__name__)
_trim_lock = threading.Lock()


@cache
def _libc():
    """glibc, or None where there is no malloc_trim (musl, macOS): nothing to give back."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> bool:
    """Hand the heap's free pages back to the OS (glibc `malloc_trim(0)`); False where the
    C library has no such call. Cheap (milliseconds) next to the changes that call it."""
    libc = _libc()
    if libc is None:
        return False
    with _trim_lock:  # one walk of the arenas at a time; a second caller gains nothing
        libc.malloc_trim(0)
    return True


TRIM_AFTER_STEP = 0.5
"""Seconds a step of a change must have run for `trim_after` to trim after it."""


def trim_after(step_started: float) -> bool:
    """Trim after a step of a change (`time.monotonic()` at its start) that ran at least
    `TRIM_AFTER_STEP`: a step that long built a heap worth giving back (a harvest's write,
    the rules' follow of its graph), and the trim is a few percent of it. A short step (a
    workflow change, a view with nothing to do) leaves it to the change's closing `settle`,
    so a small write pays for one trim, not one a view."""
    if time.monotonic() - step_started < TRIM_AFTER_STEP:
        return False
    return trim()


def settle(store) -> None:
    """After a change: the disk store's write buffers to disk, the freed heap to the OS."""
    flush = getattr(store, "flush", None)  # the embedded store; a remote store has none
    if flush is not None:
        try:
            flush()
        except (OSError, RuntimeError) as error:  # the change is journalled: it stays
            log.warning("the store did not flush its write buffers after a change (%s); "
                        "they are flushed by the next change or on close", error)
    trim()


M_ARENA_MAX = -8
SERVER_ARENAS = 2
"""malloc arenas a server keeps. glibc makes one per thread that allocates (up to 8 per
core); what one holds free, another thread cannot use, so a harvest running in one of the
server's threads kept its peak beside the others' leftovers (the usual remedy for a
threaded Python server's growing RSS)."""


def few_arenas() -> bool:
    """Limit the arenas; called once, before the server starts its threads (a thread that
    already has an arena keeps it). False, and nothing done, where the C library has no
    `mallopt` (musl, macOS): the server starts all the same."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, SERVER_ARENAS))
