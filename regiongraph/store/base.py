"""The store contract every backend keeps, and the pieces they share."""

import uuid
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    Variable,
    serialize,
)

from regiongraph.errors import RegiongraphError

GraphCounts = dict[str, int]
STAGING_PREFIX = "urn:regiongraph:staging:"
"""Graphs named so hold content not yet swapped in; a crash can leave them, never use them."""
Term = object
QueryResult = "QuerySolutions | QueryBoolean | QueryTriples | TripleResults"


class StoreError(RegiongraphError):
    """A store operation failed; the message says what and where, and nothing changed."""


class StoreBusyError(StoreError):
    """Another process holds the embedded store (usually a running `regiongraph serve`)."""


class TripleResults:
    """CONSTRUCT/DESCRIBE results from a backend that is not pyoxigraph's own store.

    Mirrors `pyoxigraph.QueryTriples`: iterate for triples, or `serialize` them.
    """

    def __init__(self, triples: Iterable[Triple]) -> None:
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[Triple]:
        return self._triples

    def serialize(self, output: BinaryIO | None = None, format: RdfFormat = RdfFormat.N_TRIPLES):
        return serialize(self._triples, output, format)


def in_graph(items: Iterable[Triple | Quad], graph: NamedNode) -> Iterator[Quad]:
    """Force triples (or quads from any graph) into `graph`."""
    for item in items:
        yield Quad(item.subject, item.predicate, item.object, graph)


class RestoreStaging:
    """A whole-store restore in two steps, so a crash leaves the old store or the new one.

    `stage` renames each quad's graph to a staging graph of this restore; once all are
    written, `swap_update` is one SPARQL Update (one transaction on every backend) that
    empties the default graph, deletes every other graph (old data, and staging left by
    earlier killed restores) and moves the staged graphs to their names.
    """

    def __init__(self) -> None:
        self.prefix = f"{STAGING_PREFIX}restore:{uuid.uuid4().hex}:"
        self._staging: dict[NamedNode | DefaultGraph, NamedNode] = {}

    def stage(self, quads: Iterable[Quad]) -> Iterator[Quad]:
        for quad in quads:
            staging = self._staging.get(quad.graph_name)
            if staging is None:
                staging = NamedNode(f"{self.prefix}{len(self._staging)}")
                self._staging[quad.graph_name] = staging
            yield Quad(quad.subject, quad.predicate, quad.object, staging)

    def swap_update(self, keep: Iterable[str] = (), *, default_graph: bool = True) -> str:
        """`keep`: graphs the server keeps for itself, left alone. `default_graph`: False
        where the server has none apart from its named graphs (Virtuoso)."""
        if not default_graph and DefaultGraph() in self._staging:
            raise StoreError("the dump holds default-graph triples, which this server cannot "
                             "keep apart from its named graphs; the store was left as it was")
        kept = "".join(f" && ?g != <{name}>" for name in sorted(keep))
        moves = [f"MOVE {staging} TO {'DEFAULT' if isinstance(graph, DefaultGraph) else graph}"
                 for graph, staging in self._staging.items()]
        return " ;\n".join([
            *(["DROP SILENT DEFAULT"] if default_graph else []),
            ("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
             f'FILTER(!STRSTARTS(STR(?g), "{self.prefix}"){kept}) }}'),
            *moves,
        ])

    def cleanup_update(self) -> str:
        """Drop what this restore staged (after a failure: the old store stays as it was)."""
        return ("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
                f'FILTER(STRSTARTS(STR(?g), "{self.prefix}")) }}')


def graph_counts(store: "Store") -> GraphCounts:
    """Quads per named graph, and under "" the default graph's, through plain SPARQL."""
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {row["g"].value: int(row["n"].value) for row in rows}
    default = store.count(None)
    if default:
        counts[""] = default
    return counts


class Store(Protocol):
    """What the kernel may ask of a store. Keep it small (Oxigraph's lesson)."""

    description: str

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple | Quad], *,
                      then: str = "") -> int:
        """Make `graph` hold exactly `triples`, atomically; return how many were written.

        If the iterable raises or the process dies halfway, the graph keeps its
        previous content. The iterable is consumed once and never held in memory.
        `then` is a SPARQL update that belongs with the new content (a harvest's record of
        the document it read): the embedded store runs it in the same transaction, so a
        kill leaves both or neither; a remote store sends it right after the graph.
        """
        ...

    def add(self, quads: Iterable[Quad]) -> int:
        """Append quads (each to its own graph) in one transaction."""
        ...

    def remove_graph(self, graph: NamedNode) -> None: ...

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[Variable, Term] | None = None,
        default_graph: list[NamedNode] | None = None,
        named_graphs: list[NamedNode] | None = None,
        union_default_graph: bool = False,
    ) -> "QuerySolutions | QueryBoolean | QueryTriples | TripleResults":
        """Run SELECT/ASK/CONSTRUCT/DESCRIBE; results stream as they are iterated.

        `substitutions` binds variables to RDF terms (never text spliced into the query).
        """
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update as one transaction."""
        ...

    def graphs(self) -> GraphCounts:
        """Every named graph with its quad count ("" is the default graph)."""
        ...

    def graph_names(self) -> list[str]:
        """The named graphs' names, without counting their quads."""
        ...

    def count(self, graph: NamedNode | None = None) -> int: ...

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """Stream quads, of one graph or of all."""
        ...

    def dump(self, output: BinaryIO) -> int:
        """Write every quad as N-Quads; return the count."""
        ...

    def restore(self, source: BinaryIO) -> int:
        """Replace the whole store with an N-Quads dump, atomically; return the count.

        A bad dump, a failure or a killed process leaves the store as it was.
        """
        ...

    def close(self) -> None: ...


def one_update(*operations: str) -> str:
    """Several SPARQL update operations as one request: Oxigraph runs a request as one
    transaction, so a kill leaves all of them or none. Empty operations are left out."""
    return " ;\n".join(filter(None, operations))


LINKED_BATCH = 1000


def linked(store: "Store", nodes: Iterable[str], pattern: str) -> set[str]:
    """?x for each ?n in `nodes` matching `pattern` (a group using ?n and ?x), IRIs only,
    in any graph."""
    found: set[str] = set()
    items = sorted(set(nodes))
    for i in range(0, len(items), LINKED_BATCH):
        values = " ".join(f"<{n}>" for n in items[i:i + LINKED_BATCH])
        query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ {values} }} {pattern} FILTER(isIRI(?x)) }}"
        found |= {row["x"].value for row in store.query(query, union_default_graph=True)}
    return found
