"""A bulk load in a process of its own, for a store on disk (`EmbeddedStore.load_alone`).

Oxigraph's bulk loader is the one all-or-nothing write that costs no more than the data
(NOTES.md §1), but it holds its whole batch in memory (~800 B a quad: +390 MB for a
20k-record data.json). Run here, that memory is a helper's, given back whole when it exits,
and the server's heap never grows by it. The server hands its store over (it reads a
snapshot meanwhile) and takes it back after.

Usage (by `load_alone` only): python -m regiongraph.store.bulk STORE FD GRAPH PARENT_PID
(GRAPH "": every line names its graph)
"""

import os
import sys

from pyoxigraph import NamedNode, RdfFormat, Store

from regiongraph.lifetime import die_with_parent

BUSY = 3
"""Exit status when the store is still open elsewhere: the server then loads it itself."""


def main(path: str, fd: int, graph: str, parent: int) -> int:
    die_with_parent(parent)  # a kill of the server kills the load: the graph stays old
    try:
        store = Store(path)
    except OSError as error:
        print(f"the store is busy: {error}", file=sys.stderr)
        return BUSY
    with os.fdopen(fd, "rb") as source:
        source.seek(0)
        store.bulk_load(source, RdfFormat.N_QUADS, to_graph=NamedNode(graph) if graph else None)
    store.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
