"""A read-only snapshot opens while the writer flushes after each change (the CLI beside a
running server, the query helper after each change): RocksDB may swap a file between our
reading its list and opening it, which it reports as "Corruption: No such file"."""

import subprocess
import sys
import time

from pyoxigraph import NamedNode, Quad

from regiongraph.store.embedded import EmbeddedStore

READER = """
import sys
from regiongraph.store.embedded import EmbeddedStore
errors = 0
for _ in range(40):
    try:
        EmbeddedStore(sys.argv[1], read_only=True).oxigraph.__len__()
    except Exception as error:
        errors += 1
        print(error, file=sys.stderr)
print(errors)
"""


def test_snapshots_open_while_the_writer_flushes(tmp_path):
    writer = EmbeddedStore(tmp_path / "store")
    graph = NamedNode("https://example.org/g")
    writer.oxigraph.extend([Quad(NamedNode(f"https://example.org/s{i}"), graph, graph, graph)
                            for i in range(1000)])
    writer.oxigraph.flush()
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp_path / "store")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    i = 0
    while reader.poll() is None and i < 50_000:
        writer.oxigraph.add(Quad(NamedNode(f"https://example.org/n{i}"), graph, graph, graph))
        writer.oxigraph.flush()
        time.sleep(0.005)  # a change a few milliseconds long, flushed after it (as the server)
        i += 1
    out, err = reader.communicate(timeout=120)
    writer.close()
    assert out.strip() == "0", err
    assert i > 0


def test_the_query_helper_reopens_a_snapshot_that_lost_a_file_to_compaction(tmp_path):
    """RocksDB opens a table file at its first read; once the writer's compaction deleted a
    file the snapshot lists, a query reading it fails ("IO error: No such file", seen at
    100k datasets). The helper reopens such a snapshot before its next query, at the same
    store version."""
    from regiongraph.settings import Settings
    from regiongraph.sparql.workers import Ticket, _Data

    path = tmp_path / "store"
    writer = EmbeddedStore(path)
    graph = NamedNode("https://example.org/g")

    def write(prefix: str) -> None:
        for part in range(3):
            writer.add(Quad(NamedNode(f"https://example.org/{prefix}{part}-{i}"), graph, graph,
                            graph) for i in range(5_000))
            writer.flush()

    write("s")
    data = _Data(Settings(store=str(path)))
    ticket = Ticket(key=(1, "day"), reader="steward", today=None)
    data.target(ticket)
    first = data.store
    assert not first.outdated()
    data.target(ticket)
    assert data.store is first, "reopened with no reason"

    write("t")
    writer.optimize()  # compacts: the files the snapshot opened with are deleted
    assert first.outdated()
    _until_table_files_settle(path)  # RocksDB deletes obsolete files in the background
    data.target(ticket)
    assert data.store is not first and not data.store.outdated()
    assert len(data.store.oxigraph) == 30_000
    writer.close()


def _until_table_files_settle(path, quiet: float = 0.5, patience: float = 10.0) -> None:
    """Wait until the store's table files stay the same for `quiet` seconds."""
    import time

    deadline = time.monotonic() + patience
    files, since = set(path.glob("*.sst")), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        now = set(path.glob("*.sst"))
        if now != files:
            files, since = now, time.monotonic()


def test_a_query_that_lost_a_file_mid_read_is_told_to_ask_again():
    """Between the helper's check and the query's read, compaction can still take a file:
    the message pyoxigraph gave at 100k datasets answers 503 with Retry-After, not 500."""
    from api.routes.sparql import problem_for

    lost = RuntimeError("IO error: No such file or directory: While open a file for random "
                        "read: /tmp/store/005092.sst: No such file or directory")
    problem = problem_for(lost, timeout=30)
    assert (problem.status, problem.headers["Retry-After"]) == (503, "1")
    assert problem_for(RuntimeError("something else"), timeout=30).status == 500
