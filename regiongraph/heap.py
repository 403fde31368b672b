"""The C heap of a long-running process: big passing structures given back to the system.

A harvest's write and each view build large structures that live for one step (Oxigraph's
bulk loader, an update's transaction, a graph's fingerprints). glibc keeps what they freed
in its arenas, one per thread that allocated (up to 8 per core), so in a server each
step's peak stacked on the leftovers of the steps before it. Both helpers are no-ops where
the C library is not glibc (musl, macOS).
"""

import ctypes
import functools

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2
"""Arenas a server keeps: the usual remedy for a threaded Python server's growing RSS."""
MMAP_ABOVE = 1 << 20
"""Blocks from this size up are mapped on their own and unmapped when freed. glibc
otherwise raises this threshold (up to 32 MB) after the first big block is freed, and the
later big ones then come from, and stay in, the arenas."""


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def give_back() -> None:
    """Return the heap a finished step freed to the system (glibc `malloc_trim`)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def settle_for_serving() -> None:
    """Few arenas and big blocks mapped on their own: called once, before the server
    starts its threads (an arena limit applies to threads that have none yet)."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, ARENAS)
        mallopt(M_MMAP_THRESHOLD, MMAP_ABOVE)
