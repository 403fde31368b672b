"""SPARQL updates through the one change path, and which graphs they can write.

`apply_update` is how `/sparql` and `regiongraph update` write: one transaction in the
store, journalled with the graphs it may have changed, and followed by every view.

The one change path journals the graphs each write changed, and views follow only those
(the search index re-reads the records of a changed graph; a registry change re-judges
everything). A SPARQL update says which graphs it writes in its syntax: `GRAPH <g>` in
its templates, `WITH <g>`, and the graph operations (DROP, CLEAR, CREATE, LOAD, ADD,
MOVE, COPY). Where it does not — a variable in graph position, `DROP ALL` or `NAMED` —
the answer is None: every graph may have changed.
"""

from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from regiongraph.change import Applied, apply_change
from regiongraph.journal import DEFAULT_GRAPH
from regiongraph.settings import Settings
from regiongraph.store import Store


def apply_update(store: Store, settings: Settings, update: str) -> Applied:
    """Run `update` (one transaction: all of it or nothing) and let the views follow."""
    named = graphs_written(update)

    def write() -> list[str]:
        store.update(update)
        return sorted(named) if named is not None else [*filter(None, store.graphs()), DEFAULT_GRAPH]

    return apply_change(store, settings, "sparql-update", write)


# rdflib parses about 100 kB of update text a second: a longer update (a large INSERT DATA)
# is taken to change every graph rather than wait on the parser.
READ_AT_MOST = 20_000


def graphs_written(update: str) -> set[str] | None:
    """The IRIs of the graphs `update` may write (DEFAULT_GRAPH for the default graph),
    or None when it cannot be told without running it."""
    if len(update) > READ_AT_MOST:
        return None
    try:
        found: set[str] = set()
        for operation in translateUpdate(parseUpdate(update)).algebra:
            graphs = _operation_graphs(operation)
            if graphs is None:
                return None
            found |= graphs
        return found
    except Exception:  # noqa: BLE001 - a form rdflib cannot read: assume every graph
        return None


def _operation_graphs(operation) -> set[str] | None:
    if operation.name in ("InsertData", "DeleteData", "DeleteWhere"):
        return _template_graphs(operation, None)
    if operation.name == "Modify":
        with_graph = operation.get("withClause")
        found: set[str] = set()
        for clause in (operation.get("delete"), operation.get("insert")):
            graphs = _template_graphs(clause, with_graph) if clause is not None else set()
            if graphs is None:
                return None
            found |= graphs
        return found
    targets = operation.get("graph") or operation.get("graphiri")
    targets = targets if isinstance(targets, list) else [targets]
    if not targets or not all(isinstance(t, URIRef) for t in targets):
        return None  # ALL, NAMED, DEFAULT or nothing named: any graph
    return {str(t) for t in targets}


def _template_graphs(clause, with_graph) -> set[str] | None:
    found: set[str] = set()
    for graph in (clause.get("quads") or {}):
        if not isinstance(graph, URIRef):
            return None
        found.add(str(graph))
    if clause.get("triples"):
        found.add(str(with_graph) if isinstance(with_graph, URIRef) else DEFAULT_GRAPH)
    return found
