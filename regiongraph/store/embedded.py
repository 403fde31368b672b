"""Embedded Oxigraph, on disk or in memory: the default store.

Atomic graph replacement rests on two facts measured on pyoxigraph 0.5 (NOTES.md §1):
a bulk load is all-or-nothing, and one SPARQL Update is one transaction. A graph that
holds data is replaced by its difference (`_replace_by_difference`): one update deletes
what went and adds what came. A graph losing blank nodes (which a DELETE DATA cannot
name) gets its new content staged by a bulk load and swapped in by one `DROP; MOVE`
update; a crash before it leaves an orphan staging graph, removed at the next open, and
the old graph untouched.
A small graph skips the staging: `DROP; INSERT DATA` in one update is also one
transaction, and a bulk load has a fixed cost (files written and ingested) that dominates
small writes such as the rules' state and the validation reports of a re-validation.
"""

import ctypes
import errno
import fcntl
import functools
import glob
import itertools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import NamedNode, Quad, RdfFormat, Triple, Variable, serialize
from pyoxigraph import Store as OxStore

from regiongraph.memory import trim
from regiongraph.store.base import (
    STAGING_PREFIX,
    GraphCounts,
    RestoreStaging,
    StoreBusyError,
    StoreError,
    graph_counts,
    in_graph,
    one_update,
)
from regiongraph.store.bulk import BUSY as HELPER_BUSY

log = logging.getLogger(__name__)


def geo_functions() -> dict:
    """The GeoSPARQL functions every query is given (`regiongraph.geo.functions`); imported
    on first query so commands that never query do not load shapely."""
    from regiongraph.geo.functions import FUNCTIONS

    return FUNCTIONS


SMALL_GRAPH = 2_000
"""Up to this many quads, replace_graph writes in one update instead of staging."""
READ_AHEAD = 2
"""Graphs `graphs_as_lines` serialises ahead of its reader, each in a thread of its own."""
FLUSH_AFTER = 20_000
"""Quads written (about) since the last flush past which the store flushes its memtables.

RocksDB keeps writes in its write-ahead log until a memtable fills (tens of MB); a process
killed with them there (kill -9, a crash, or simply one that exits without closing) makes
the next open replay that log first: 16 s after a replacing 20k-record harvest, measured
by the soak suite, against a 10 s goal. A flush per small write costs 10-400 ms and piles
up files, so it comes only once this much is written: a reopen replays at most about this
much, plus the one write a kill caught right after its commit. The memtables are memory
too: the public set of a 20k-record first harvest (60k quads by chunked updates) peaked
45 MB over its writes at 50k."""
PIECE_QUADS = 50_000
"""A served store bulk-loads a first load this many quads at a time (`_load_in_pieces`).

Oxigraph's bulk loader holds a whole call's quads, about 800 bytes each, until it ends:
a 20k-record data.json (540k quads) grew a server by 492 MB in one call. A piece this
size holds about 45 MB and adds ~0.1 s a call (its table files written and ingested)."""
REMOVE_CHUNK = 50_000
"""Quads one update deletes while an unfinished load is undone: removing a graph in one
transaction held 852 MB and took 29 s at 540k quads; by this many, 8.7 s, under 200 MB."""
UNFINISHED = NamedNode(STAGING_PREFIX + "unfinished-load")
"""Graph and predicate of the mark `<graph> UNFINISHED <graph>` a load in pieces keeps
while it runs: at the next open, the graph it names is removed (`_undo_unfinished_loads`)."""
RESTORE_MARK = ".restore-"
"""`<store>.restore-<hex>`: the sibling directory a restore loads into, then swaps in."""


HANDOFF_WAIT = 30.0
"""Seconds a write waits while `load_alone` has handed the store to its helper; then it
gives up (StoreBusyError, a 503): a writer that still holds an iterator of the writer's
handle would otherwise wait for the handle it keeps from closing."""


def _one_writer(method):
    """A write waits while `load_alone` has handed the store over, and is counted while it
    runs, so that the handover starts with no write in flight."""

    @functools.wraps(method)
    def counted(self, *args, **kwargs):
        with self._handover:
            if not self._handover.wait_for(lambda: not self._handed_over, HANDOFF_WAIT):
                raise StoreBusyError(f"a bulk load held the store at {self.path} for over "
                                     f"{HANDOFF_WAIT:g} s; nothing was written, try again")
            self._writes_in_flight += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            with self._handover:
                self._writes_in_flight -= 1
                self._handover.notify_all()

    return counted


class EmbeddedStore:
    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self.description = f"oxigraph:{self.path}" if self.path else "memory"
        self._handover = threading.Condition()
        self._handed_over = False
        """True while `load_alone`'s helper holds the store (writes wait, `_one_writer`)."""
        self._writes_in_flight = 0
        self.loads_alone = True
        """Whether `load_alone` may hand the store to a helper process: not in a server
        (`regiongraph.store.served`), whose threads may hold the writer's handle."""
        self._store = self._open()
        self._unflushed = 0
        if not read_only:
            self._undo_unfinished_loads()
            self._drop_orphan_staging()

    def _open(self, again: bool = True) -> OxStore:
        if self.path is None:
            return OxStore()
        try:
            if self.read_only:
                return self._open_snapshot()
            self.path.mkdir(parents=True, exist_ok=True)
            self._remove_orphan_bulk_files()
            opened = OxStore(str(self.path))
            self._remove_orphan_restores()
            return opened
        except OSError as error:
            if "lock" in str(error).lower():
                if again and _holders_let_go(self.path):
                    return self._open(again=False)
                raise StoreBusyError(
                    f"the store at {self.path} is in use by another process "
                    "(a running `regiongraph serve`?)") from None
            raise StoreError(f"cannot open the store at {self.path}: {error}") from None

    def _open_snapshot(self, patience: float = 5.0) -> OxStore:
        """Open read-only beside the writer. RocksDB lists the files of the store in its
        MANIFEST; a writer that flushes (after every change, `regiongraph.memory`) may
        replace a file between our reading the list and opening it, which RocksDB reports
        as "Corruption: ... No such file or directory". The store is not corrupt: a later
        attempt reads the new list, so we try again for up to `patience` seconds."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self._files_at_open = self._table_files()
                return OxStore.read_only(str(self.path))
            except (RuntimeError, OSError) as error:  # pyoxigraph raises either, by file
                if "No such file or directory" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _table_files(self) -> frozenset[str]:
        assert self.path is not None
        return frozenset(name for name in os.listdir(self.path) if name.endswith(".sst"))

    def outdated(self) -> bool:
        """Whether a read-only snapshot may miss a file it reads: RocksDB opens a table
        file at its first read, and the writer's compactions delete files the snapshot
        still lists (a query then fails with "IO error: No such file or directory";
        measured at 100k datasets, the first query after a load). A file gone since the
        open says reopen; one listing of the directory costs far less than a query."""
        if not self.read_only or self.path is None:
            return False
        return not self._files_at_open <= self._table_files()

    def _remove_orphan_bulk_files(self) -> None:
        """A killed bulk load leaves `bulk-*.sst` files behind (NOTES.md §1).

        They may only be deleted while nobody holds the store, so take the lock
        first, release it, then clean up before opening for real.
        """
        assert self.path is not None
        if not any(self.path.glob("bulk-*.sst")):
            return
        probe = OxStore(str(self.path))
        del probe
        for leftover in self.path.glob("bulk-*.sst"):
            leftover.unlink()

    def _remove_orphan_restores(self) -> None:
        """A killed restore leaves its sibling directory: the new store unfinished, or the old one."""
        assert self.path is not None
        for leftover in self.path.parent.glob(f"{glob.escape(self.path.name)}{RESTORE_MARK}*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def _undo_unfinished_loads(self) -> None:
        """A first load killed between its pieces left part of its graph: remove it, so the
        graph is the old one (empty) again, as a bulk load killed midway leaves it."""
        for mark in list(self._store.quads_for_pattern(None, UNFINISHED, None, UNFINISHED)):
            log.warning("removing the unfinished first load of %s (its writer stopped "
                        "between two pieces)", mark.subject)
            self._remove_in_chunks(mark.subject)
            self._store.remove(mark)

    def _remove_in_chunks(self, graph: NamedNode) -> None:
        """Remove a graph nobody reads (a leftover) REMOVE_CHUNK quads an update."""
        while next(iter(self._store.quads_for_pattern(None, None, None, graph)), None):
            self._store.update(f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT "
                               f"?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT "
                               f"{REMOVE_CHUNK} }} }}")
            self._store.flush()
        if self._store.contains_named_graph(graph):
            self._store.remove_graph(graph)

    def _drop_orphan_staging(self) -> None:
        for graph in list(self._store.named_graphs()):
            if isinstance(graph, NamedNode) and graph.value.startswith(STAGING_PREFIX):
                self._remove_in_chunks(graph)

    # writes -------------------------------------------------------------

    @_one_writer
    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple | Quad], *,
                      then: str = "") -> int:
        items = iter(triples)
        head = list(itertools.islice(items, SMALL_GRAPH + 1))
        if len(head) <= SMALL_GRAPH:
            body = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in head)
            insert = f"INSERT DATA {{ GRAPH {graph} {{ {body} }} }}" if head else ""
            self._store.update(one_update(f"DROP SILENT GRAPH {graph}", insert, then))
            self._wrote(len(head))
            return len(head)
        if self.count(graph) == 0:
            # A bulk load cannot carry an update: `then` follows it (its graph was empty,
            # so a kill between the two leaves the new graph and the old record of it).
            counter = _Counter(in_graph(itertools.chain(head, items), graph))
            self._bulk(counter, graph)
            if then:
                self._store.update(then)
            return counter.n
        return self._replace_by_difference(graph, itertools.chain(head, items), then)

    def _replace_by_difference(self, graph: NamedNode, triples: Iterable[Triple | Quad],
                               then: str = "") -> int:
        """Write only what differs between the graph and its new content, in one update.

        Deleting a quad costs Oxigraph about four times writing one (measured at 500k
        quads: 94 s to remove the graph, 24 s to bulk-load it), so a replace that drops
        the old graph and moves a staged copy in pays for the graph three times. Here both
        sides are compared as N-Triples lines (serialised in Rust: 6.5 s at 500k quads),
        and one update (one transaction) deletes the lines that went and adds the ones
        that came. A replace by the same or nearly the same triples, the common case of a
        re-harvest, writes nearly nothing. Blank nodes cannot be named in
        a DELETE DATA, so a graph that loses some is swapped whole as before.
        """
        new = set(serialize((t.triple if isinstance(t, Quad) else t for t in triples),
                            format=RdfFormat.N_TRIPLES).splitlines())
        old = set(self.ntriples_lines(graph))
        gone, came = old - new, new - old
        if any(b"_:" in line for line in gone):
            return self._swap_whole(graph, new, then)
        if not gone and not came:
            if then:
                self._store.update(then)
            return len(new)
        if not gone and len(came) > SMALL_GRAPH:
            # Only additions: one bulk load, as atomic as an update (NOTES.md §1) and a
            # quarter of its memory (~800 bytes a quad, where an update holds ~3 KB: the
            # inferences of a 20k-record first harvest took 116 MB that way).
            self._store.bulk_load(b"\n".join(came), RdfFormat.N_TRIPLES, to_graph=graph)
            self._wrote(len(came))
            return len(new)
        delete = (f"DELETE DATA {{ GRAPH {graph} {{\n" + b"\n".join(gone).decode() + "\n} }"
                  if gone else "")
        insert = (f"INSERT DATA {{ GRAPH {graph} {{\n" + b"\n".join(came).decode() + "\n} }"
                  if came else "")
        self._store.update(one_update(delete, insert, then))
        self._wrote(len(gone) + len(came))
        return len(new)

    def _swap_whole(self, graph: NamedNode, lines: set[bytes], then: str = "") -> int:
        """Stage the new content and swap it in by one `DROP; MOVE` update."""
        staging = NamedNode(STAGING_PREFIX + uuid.uuid4().hex)
        try:
            self._store.bulk_load(b"\n".join(lines), RdfFormat.N_TRIPLES, to_graph=staging)
            self._store.update(one_update(f"DROP SILENT GRAPH {graph}",
                                       f"MOVE {staging} TO {graph}", then))
            self._wrote(2 * len(lines))
        finally:
            if self._store.contains_named_graph(staging):
                self._store.remove_graph(staging)
        return len(lines)

    def ntriples_lines(self, graph: NamedNode) -> Iterator[bytes]:
        """The graph as N-Triples lines, serialised by Oxigraph (fast: no Python object
        per quad), read back from a temporary file one at a time (a 540k-quad graph held
        as one buffer and a list of its lines took 180 MB)."""
        return _lines_of(self._dumped(graph))

    def graphs_as_lines(self, graphs: Iterable[NamedNode]
                        ) -> Iterator[tuple[NamedNode, Iterator[bytes]]]:
        """Each graph with its lines (as `ntriples_lines`), serialised up to READ_AHEAD
        graphs ahead in threads while the caller reads the lines of the one before.
        Oxigraph's dump lets go of the GIL: the 53 graphs of a 10k-dataset store dump in
        3.1 s in one thread, 1.7 s in two, and the caller's Python work overlaps them.
        The threads have ended when the iteration has, so the query helper, which forks
        right after, never forks with a thread inside pyoxigraph."""
        with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="graph-dump") as pool:
            ahead: deque = deque()
            for graph in graphs:
                ahead.append((graph, pool.submit(self._dumped, graph)))
                if len(ahead) > READ_AHEAD:
                    done, dumped = ahead.popleft()
                    yield done, _lines_of(dumped.result())
            while ahead:
                done, dumped = ahead.popleft()
                yield done, _lines_of(dumped.result())

    def _dumped(self, graph: NamedNode) -> BinaryIO:
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by its reader (`_lines_of`)
        try:
            self._store.dump(out, RdfFormat.N_TRIPLES, from_graph=graph)
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out

    def load_alone(self, source: BinaryIO, graph: NamedNode | None = None) -> None:
        """Bulk-load N-Quads from `source` (its lines without a graph go into `graph`) as
        one all-or-nothing batch, in a helper process when the store is on disk
        (`regiongraph.store.bulk`): the batch's memory (~800 B a quad) is the helper's,
        given back whole when it exits, not the server's heap's. Meanwhile readers read a
        snapshot of the store as it was and writers wait (up to HANDOFF_WAIT). Where the
        helper cannot open the store (something in this process still holds it), the
        load runs here. A served store (`regiongraph.store.served`) never hands over: it
        loads here, a graph's lines in pieces (`_load_in_pieces`)."""
        if self.path is None or self.read_only or not self.loads_alone \
                or not hasattr(source, "fileno"):
            self._load_here(source, graph)
            return
        with self._handover:
            self._handover.wait_for(lambda: not self._handed_over and not self._writes_in_flight)
            self._handed_over = True
        try:
            self._store.flush()
            self._unflushed = 0
            self._store = self._open_snapshot()  # the writer's handle closes with its last user
            try:
                status, said = self._load_in_helper(source, graph)
            finally:
                self._store = self._reopen_writer()
        finally:
            with self._handover:
                self._handed_over = False
                self._handover.notify_all()
        if status == HELPER_BUSY:
            self._load_here(source, graph)
        elif status != 0:
            raise StoreError(f"the bulk load into {graph.value if graph else 'the store'} "
                             f"failed ({said.strip()[-300:]}); nothing was changed")

    def _load_here(self, source: BinaryIO, graph: NamedNode | None) -> None:
        source.seek(0)
        if graph is not None and self.path is not None and not self.loads_alone:
            self._load_in_pieces(source, graph)
            return
        self._store.bulk_load(source, RdfFormat.N_QUADS, to_graph=graph)

    def _load_in_pieces(self, source: BinaryIO, graph: NamedNode) -> None:
        """A server's first load of `graph`, PIECE_QUADS lines at a time, so its memory is a
        piece's, not the graph's. Each piece is all-or-nothing, the whole is not: a mark
        kept meanwhile makes the next open remove what a kill left (`UNFINISHED`), and a
        failure removes it here; either way the graph is empty again, as it was. Readers
        may see the graph grow while it loads; the views follow once it is whole."""
        mark = f"GRAPH {UNFINISHED} {{ {graph} {UNFINISHED} {graph} }}"
        self._store.update(f"INSERT DATA {{ {mark} }}")
        try:
            for piece in _pieces(source, PIECE_QUADS):
                self._store.bulk_load(piece, RdfFormat.N_QUADS, to_graph=graph)
                trim()
        except BaseException:
            self._remove_in_chunks(graph)  # should this fail too, the mark stays for the open
            self._store.update(f"DELETE DATA {{ {mark} }}")
            raise
        self._store.update(f"DELETE DATA {{ {mark} }}")

    def _load_in_helper(self, source: BinaryIO, graph: NamedNode | None) -> tuple[int, str]:
        source.flush()  # what is still in our buffer, the helper would not read
        fd = source.fileno()
        done = subprocess.run(
            [sys.executable, "-m", "regiongraph.store.bulk", str(self.path), str(fd),
             graph.value if graph else "", str(os.getpid())],
            pass_fds=[fd], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        return done.returncode, done.stderr

    def _reopen_writer(self) -> OxStore:
        """The writer's handle again. RocksDB locks a store once per process: an iterator
        of this process that still holds the old handle is waited for."""
        waited = time.monotonic()
        while True:
            try:
                return self._open()
            except StoreBusyError:
                if time.monotonic() - waited > 10:
                    log.warning("the store at %s is still held in this process; waiting to "
                                "reopen it for writing", self.path)
                    waited = time.monotonic()
                time.sleep(0.05)

    def _bulk(self, quads: Iterable[Quad], cleanup: NamedNode) -> None:
        try:
            self._store.bulk_extend(quads)
        except BaseException:
            if cleanup.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(cleanup)
            raise

    @_one_writer
    def add(self, quads: Iterable[Quad]) -> int:
        counter = _Counter(quads)
        self._store.extend(counter)
        self._wrote(counter.n)
        return counter.n

    def _wrote(self, quads: int) -> None:
        """Count a write; flush once `FLUSH_AFTER` quads wait in the write-ahead log."""
        self._unflushed += quads
        if self._unflushed >= FLUSH_AFTER:
            self.flush()

    @_one_writer
    def remove_graph(self, graph: NamedNode) -> None:
        if self._store.contains_named_graph(graph):
            self._store.remove_graph(graph)

    @_one_writer
    def update(self, sparql: str) -> None:
        self._store.update(sparql)
        self._wrote(len(sparql) // 80)  # a data block's triple: about 80 characters

    # reads --------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[Variable, object] | None = None,
        default_graph: list[NamedNode] | None = None,
        named_graphs: list[NamedNode] | None = None,
        union_default_graph: bool = False,
    ):
        kwargs: dict[str, object] = {"use_default_graph_as_union": union_default_graph,
                                     "custom_functions": geo_functions()}
        if substitutions:
            kwargs["substitutions"] = substitutions
        if default_graph is not None:
            kwargs["default_graph"] = default_graph
            kwargs["use_default_graph_as_union"] = False
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        return self._store.query(sparql, **kwargs)

    def graphs(self) -> GraphCounts:
        return graph_counts(self)

    def graph_names(self) -> list[str]:
        return [row["g"].value for row in self._store.query("SELECT ?g WHERE { GRAPH ?g { } }")]

    def count(self, graph: NamedNode | None = None) -> int:
        if graph is None:
            rows = self._store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        else:
            rows = self._store.query(
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                named_graphs=[graph],
            )
        return int(next(iter(rows))["n"].value)

    def total(self) -> int:
        return len(self._store)

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def dump(self, output: BinaryIO) -> int:
        counter = _Counter(self._store.quads_for_pattern(None, None, None, None))
        from pyoxigraph import serialize

        serialize(counter, output, RdfFormat.N_QUADS)
        return counter.n

    @_one_writer
    def restore(self, source: BinaryIO) -> int:
        """Replace everything with the dump; a crash at any moment leaves the old or the new.

        On disk: bulk-load into a sibling directory, then exchange the two directories in
        one rename (fast, and atomic under SIGKILL). Where that rename is not available,
        and in memory: stage and swap inside the store (atomic, ~8x slower; README).
        """
        if self.path is not None:
            swapped = self._restore_by_exchange(source)
            if swapped is not None:
                return swapped
            source.seek(0)
        return self._restore_staged(source)

    def _restore_staged(self, source: BinaryIO) -> int:
        from pyoxigraph import parse

        staging = RestoreStaging()
        counter = _Counter(parse(source, RdfFormat.N_QUADS))
        try:
            self._store.bulk_extend(staging.stage(counter))
        except BaseException:
            self._store.update(staging.cleanup_update())
            raise
        self._store.update(staging.swap_update())
        return counter.n

    def _restore_by_exchange(self, source: BinaryIO) -> int | None:
        """The count, or None when the directories could not be exchanged (nothing changed)."""
        from pyoxigraph import parse

        assert self.path is not None
        fresh = self.path.with_name(f"{self.path.name}{RESTORE_MARK}{uuid.uuid4().hex}")
        try:
            counter = _Counter(parse(source, RdfFormat.N_QUADS))
            loaded = OxStore(str(fresh))
            try:
                loaded.bulk_extend(counter)
                loaded.flush()
            finally:
                del loaded  # closed before its directory is exchanged or removed
            del self._store
            try:
                exchanged = _exchange_while_closed(fresh, self.path)
            finally:
                self._store = self._open()
        finally:
            # after the exchange `fresh` holds the old store; before it, a partial load
            shutil.rmtree(fresh, ignore_errors=True)
        return counter.n if exchanged else None

    @_one_writer
    def backup(self, target: Path) -> None:
        """A consistent copy of the live store in the new directory `target` (pyoxigraph
        `Store.backup`: hard links where it can, so cheap on the same file system)."""
        if self.path is None:
            raise StoreError("a memory store has no files to back up: use `regiongraph dump`")
        target = Path(target)
        if target.exists():
            raise StoreError(f"{target} already exists: a backup goes into a new directory; "
                             "nothing was written")
        if not target.parent.is_dir():
            raise StoreError(f"{target.parent} is not a directory: create it first; "
                             "nothing was written")
        try:
            self._store.backup(str(target))
        except (OSError, RuntimeError) as error:
            shutil.rmtree(target, ignore_errors=True)
            raise StoreError(f"the backup into {target} failed: {error}; "
                             "the partial copy was removed") from None

    @_one_writer
    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()
        self._unflushed = 0

    @_one_writer
    def optimize(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.optimize()

    def close(self) -> None:
        self.flush()
        del self._store

    @property
    def oxigraph(self) -> OxStore:
        """The underlying pyoxigraph store, for benchmarks and the SPARQL service."""
        return self._store


HELPER_EXIT_WAIT = 10.0
"""Seconds an open waits for a bulk-load helper (`load_alone`), or a process on its way
out, that holds the store's lock. A helper whose loader was killed is killed too
(PR_SET_PDEATHSIG), but lets the lock go only once the kernel has torn it down (its
batch: hundreds of MB), a moment after the loader's death is seen: a kill -9 soak round
that opened the store at once found it "in use by another process"."""


def _holders_let_go(path: Path) -> bool:
    """Whether the store's lock is free now, or held only by helpers and exiting processes
    that let it go within HELPER_EXIT_WAIT. False: a live process holds it (a server, this
    process's own handle, a helper still loading for a live loader): the store is busy."""
    waited = time.monotonic()
    while holders := _lock_holders(path):
        if not all(_exiting_or_helper(pid) for pid in holders):
            return False
        if time.monotonic() - waited > HELPER_EXIT_WAIT:
            log.warning("processes %s still hold the store at %s", holders, path)
            return False
        time.sleep(0.05)
    return True


def _lock_holders(path: Path) -> list[int]:
    """Pids holding RocksDB's lock on the store at `path` (Linux `/proc/locks`)."""
    try:
        inode = os.stat(path / "LOCK").st_ino
        held = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    pids = []
    for line in held:  # "1: POSIX  ADVISORY  WRITE 4242 fd:00:1234 0 EOF"; "->" a waiter
        fields = line.split()
        if len(fields) > 5 and fields[1] != "->" and fields[5].rsplit(":", 1)[-1] == str(inode):
            pids.append(int(fields[4]))
    return pids


def _exiting_or_helper(pid: int) -> bool:
    """A process running `regiongraph.store.bulk`, or one whose memory is already gone
    (exiting: its command line reads empty)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # gone meanwhile
    return not args or b"regiongraph.store.bulk" in args.split(b"\0")


def _pieces(source: BinaryIO, lines: int) -> Iterator[bytes]:
    """N-Quads from `source`, `lines` lines at a time (one statement a line)."""
    while piece := b"".join(itertools.islice(source, lines)):
        yield piece


def _exchange_while_closed(fresh: Path, path: Path) -> bool:
    """Swap two directories in one step while holding the closed store's lock; False if
    this system cannot (then nothing moved).

    Linux `renameat2(RENAME_EXCHANGE)` is one atomic rename: a kill at any moment leaves
    `path` holding the old store or the new one. Holding the store's lock file keeps
    another process from opening the old store in between (fcntl, as RocksDB locks it).
    """
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    try:
        OxStore(str(path))  # refused if anything in this process still holds the store open
    except OSError as error:
        raise StoreError(f"cannot swap in the restored store at {path}: {error}; "
                         "the store was not changed") from None
    with open(path / "LOCK", "rb+") as lock:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreBusyError(f"another process opened the store at {path} during the "
                                 "restore; the store was not changed") from None
        at_cwd, exchange = -100, 2
        if renameat2(at_cwd, os.fsencode(fresh), at_cwd, os.fsencode(path), exchange) != 0:
            failure = ctypes.get_errno()
            if failure not in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EBUSY):
                raise StoreError(f"cannot swap in the restored store at {path}: "
                                 f"{os.strerror(failure)}; the store was not changed")
            return False
    return True


class _Counter:
    """Counts items as a consumer pulls them, without holding them."""

    def __init__(self, items: Iterable) -> None:
        self._items = iter(items)
        self.n = 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._items)
        self.n += 1
        return item


def _lines_of(dumped: BinaryIO) -> Iterator[bytes]:
    with dumped:
        for line in dumped:
            yield line.rstrip(b"\n")
