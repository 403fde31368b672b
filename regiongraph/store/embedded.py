"""Embedded Oxigraph, on disk or in memory: the default store.

Atomic graph replacement rests on two facts measured on pyoxigraph 0.5 (NOTES.md §1):
a bulk load is all-or-nothing, and one SPARQL Update is one transaction. New content
goes to a staging graph, then `DROP; MOVE` swaps it in; a crash in between leaves
an orphan staging graph, removed at the next open, and the old graph untouched.
A small graph skips the staging: `DROP; INSERT DATA` in one update is also one
transaction, and a bulk load has a fixed cost (files written and ingested) that dominates
small writes such as the rules' state and the validation reports of a re-validation.
"""

import itertools
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import NamedNode, Quad, RdfFormat, Triple, Variable
from pyoxigraph import Store as OxStore

from regiongraph.store.base import GraphCounts, StoreBusyError, StoreError, graph_counts, in_graph

STAGING_PREFIX = "urn:regiongraph:staging:"
SMALL_GRAPH = 2_000
"""Up to this many quads, replace_graph writes in one update instead of staging."""


class EmbeddedStore:
    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self.description = f"oxigraph:{self.path}" if self.path else "memory"
        self._store = self._open()
        if not read_only:
            self._drop_orphan_staging()

    def _open(self) -> OxStore:
        if self.path is None:
            return OxStore()
        try:
            if self.read_only:
                return OxStore.read_only(str(self.path))
            self.path.mkdir(parents=True, exist_ok=True)
            self._remove_orphan_bulk_files()
            return OxStore(str(self.path))
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreBusyError(
                    f"the store at {self.path} is in use by another process "
                    "(a running `regiongraph serve`?); stop it, or use the remote backend"
                ) from None
            raise StoreError(f"cannot open the store at {self.path}: {error}") from None

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

    def _drop_orphan_staging(self) -> None:
        for graph in list(self._store.named_graphs()):
            if isinstance(graph, NamedNode) and graph.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(graph)

    # writes -------------------------------------------------------------

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple | Quad]) -> int:
        quads = in_graph(triples, graph)
        head = list(itertools.islice(quads, SMALL_GRAPH + 1))
        if len(head) <= SMALL_GRAPH:
            body = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in head)
            insert = f" ; INSERT DATA {{ GRAPH {graph} {{ {body} }} }}" if head else ""
            self._store.update(f"DROP SILENT GRAPH {graph}{insert}")
            return len(head)
        counter = _Counter(itertools.chain(head, quads))
        if self.count(graph) == 0:
            self._bulk(counter, graph)
            return counter.n
        staging = NamedNode(STAGING_PREFIX + uuid.uuid4().hex)
        staged = _Counter(in_graph(counter, staging))
        self._bulk(staged, staging)
        if staged.n == 0:
            self._store.remove_graph(graph)
            return 0
        self._store.update(f"DROP SILENT GRAPH <{graph.value}> ; MOVE <{staging.value}> TO <{graph.value}>")
        return staged.n

    def _bulk(self, quads: Iterable[Quad], cleanup: NamedNode) -> None:
        try:
            self._store.bulk_extend(quads)
        except BaseException:
            if cleanup.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(cleanup)
            raise

    def add(self, quads: Iterable[Quad]) -> int:
        counter = _Counter(quads)
        self._store.extend(counter)
        return counter.n

    def remove_graph(self, graph: NamedNode) -> None:
        if self._store.contains_named_graph(graph):
            self._store.remove_graph(graph)

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

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
        kwargs: dict[str, object] = {"use_default_graph_as_union": union_default_graph}
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

    def restore(self, source: BinaryIO) -> int:
        """Check the whole dump parses before clearing anything: a bad dump changes nothing."""
        from pyoxigraph import parse

        for _ in parse(source, RdfFormat.N_QUADS):
            pass
        source.seek(0)
        self._store.clear()
        counter = _Counter(parse(source, RdfFormat.N_QUADS))
        self._store.bulk_extend(counter)
        return counter.n

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()

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
