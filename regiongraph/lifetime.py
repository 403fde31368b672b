"""A helper process never outlives the process that started it.

The query processes and the bulk loader run beside the server; killed with it (kill -9),
they must die too: a query left running holds a core, a loader left running holds the
store's lock and writes after the writer is gone.
"""

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to kill this process when its parent ends. `parent` (the pid that started
    us) closes the gap before the request: a parent already gone has made us an orphan."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
