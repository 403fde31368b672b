"""A server's first load goes to Oxigraph's bulk loader a piece at a time
(`EmbeddedStore._load_in_pieces`): its memory is a piece's, not the graph's. The whole
is not one transaction, so a kill between pieces is undone at the next open, and a
failed piece undoes the pieces before it: the graph is empty again, as it was."""

import subprocess
import sys
import textwrap

import pytest
from pyoxigraph import Quad

from regiongraph.store import served
from regiongraph.store.embedded import UNFINISHED, EmbeddedStore
from tests.store.test_load_alone import GRAPH, OTHER, load_growth, spool_of

KEPT = Quad(OTHER, OTHER, OTHER, OTHER)


def served_store(path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    served(store)
    return store


def test_a_served_first_load_arrives_whole_in_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr("regiongraph.store.embedded.PIECE_QUADS", 1_000)
    store = served_store(tmp_path / "store")
    store.add([KEPT])
    with spool_of(4_500, f"{OTHER} {OTHER} {GRAPH} {OTHER} .\n".encode()) as spool:
        store.load_alone(spool, GRAPH)
    assert store.count(GRAPH) == 4_500
    assert store.count(OTHER) == 2  # a line naming its own graph lands there
    assert store.count(UNFINISHED) == 0
    store.close()


def test_a_kill_between_pieces_is_undone_at_the_next_open(tmp_path):
    """A real SIGKILL of a process after its third piece: the open after it finds part
    of the graph, and removes it."""
    script = textwrap.dedent("""
        import os, signal, sys
        sys.path.insert(0, ".")
        from pyoxigraph import Quad
        from regiongraph.store import embedded, served
        from tests.store.test_load_alone import GRAPH, OTHER, load_growth, spool_of

        real = embedded._pieces

        def pieces_then_kill(source, lines):
            for n, piece in enumerate(real(source, lines)):
                if n == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield piece

        embedded._pieces = pieces_then_kill
        embedded.PIECE_QUADS = 1_000
        store = embedded.EmbeddedStore(sys.argv[1])
        served(store)
        store.add([Quad(OTHER, OTHER, OTHER, OTHER)])
        store.flush()
        store.load_alone(spool_of(10_000), GRAPH)
    """)
    path = tmp_path / "store"
    done = subprocess.run([sys.executable, "-c", script, str(path)], check=False,
                          timeout=120, capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    snapshot = EmbeddedStore(path, read_only=True)
    left = snapshot.count(GRAPH)
    snapshot.close()
    assert left == 3_000, "the kill should fall after three whole pieces"

    store = EmbeddedStore(path)
    assert store.count(GRAPH) == 0
    assert GRAPH.value not in store.graph_names()
    assert store.count(UNFINISHED) == 0
    assert list(store.quads(OTHER)) == [KEPT]
    store.close()


def test_a_failed_piece_removes_the_pieces_before_it(tmp_path, monkeypatch):
    monkeypatch.setattr("regiongraph.store.embedded.PIECE_QUADS", 1_000)
    store = served_store(tmp_path / "store")
    store.add([KEPT])
    broken = b"<https://example.org/broken> <not an IRI .\n"
    with spool_of(2_500, broken) as spool, pytest.raises(SyntaxError):
        store.load_alone(spool, GRAPH)
    assert store.count(GRAPH) == 0
    assert store.count(UNFINISHED) == 0
    assert list(store.quads(OTHER)) == [KEPT]
    store.add([Quad(GRAPH, GRAPH, GRAPH, GRAPH)])  # the store still writes
    assert store.count(GRAPH) == 1
    store.close()


def test_a_served_load_grows_the_process_by_a_piece_not_the_graph(tmp_path):
    growth = load_growth(tmp_path, "pieces", "here")
    assert growth["here"] > 100, growth
    assert growth["pieces"] < growth["here"] / 2, growth
