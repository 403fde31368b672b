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
