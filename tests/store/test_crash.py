"""A process killed halfway through replacing a graph leaves the previous graph intact."""

import signal
import subprocess
import sys
import textwrap
import time

from pyoxigraph import NamedNode

from regiongraph.settings import Settings
from regiongraph.store import open_store

WRITER = textwrap.dedent(
    """
    import sys, time
    from pyoxigraph import Literal, NamedNode, Triple
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    store = open_store(Settings(store=sys.argv[1]))
    graph = NamedNode("https://example.org/graph/kept")
    P = NamedNode("https://example.org/p")

    def endless():
        i = 0
        while True:
            if i == 50_000:
                print("halfway", flush=True)
            yield Triple(NamedNode(f"https://example.org/new{i}"), P, Literal(i))
            i += 1

    store.replace_graph(graph, endless())
    """
)


def test_sigkill_during_replace_keeps_old_graph(tmp_path):
    location = tmp_path / "store"
    graph = NamedNode("https://example.org/graph/kept")
    store = open_store(Settings(store=str(location)))
    from tests.store.test_backends import triples

    store.replace_graph(graph, triples(1000))
    store.close()

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(location)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "halfway"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    reopened = open_store(Settings(store=str(location)))
    assert reopened.count(graph) == 1000
    assert set(reopened.graphs()) == {graph.value}
    assert not list(location.glob("bulk-*.sst"))
    reopened.close()


def test_second_writer_gets_a_clear_error(tmp_path):

    location = tmp_path / "store"
    first = open_store(Settings(store=str(location)))
    holder = subprocess.Popen(
        [sys.executable, "-c",
         ("import sys\nfrom regiongraph.settings import Settings\nfrom regiongraph.store import open_store\n"
         f"s = open_store(Settings(store={str(location)!r}))\nprint('x')")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = holder.communicate(timeout=30)
    first.close()
    assert holder.returncode != 0
    assert "in use by another process" in err
