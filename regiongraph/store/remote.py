"""A remote SPARQL 1.1 server (Protocol + Update + Graph Store Protocol).

The way past one machine: Fuseki, GraphDB, Virtuoso, Neptune, QLever or `oxigraph
serve`. Only standard protocol features are used, so the same code talks to all.
Replacing a graph is one Graph Store `PUT`, which servers apply as one transaction;
the body is spooled to a temporary file first so a failing producer never sends a
half graph, and large graphs never sit in memory.
"""

import tempfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import httpx
from pyoxigraph import (
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)

from regiongraph.store.base import (
    GraphCounts,
    RestoreStaging,
    StoreError,
    TripleResults,
    graph_counts,
    in_graph,
)

RESULTS_ACCEPT = (
    "application/sparql-results+json, application/n-triples;q=0.9, text/plain;q=0.1"
)
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class RemoteStore:
    def __init__(self, query_url: str, *, update_url: str | None, gsp_url: str | None) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.description = f"remote:{query_url}"
        self._http = httpx.Client(timeout=TIMEOUT)

    # writes -------------------------------------------------------------

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple | Quad]) -> int:
        return self._send_graph("PUT", graph, triples)

    def _send_graph(self, method: str, graph: NamedNode, triples: Iterable[Triple | Quad]) -> int:
        counted = 0
        with tempfile.TemporaryFile() as spool:

            def count(items):
                nonlocal counted
                for item in items:
                    counted += 1
                    yield Triple(item.subject, item.predicate, item.object)

            serialize(count(triples), spool, RdfFormat.N_TRIPLES)
            if counted == 0 and method == "PUT":
                self.remove_graph(graph)
                return 0
            spool.seek(0)
            response = self._http.request(
                method, self._gsp(), params={"graph": graph.value}, content=_chunks(spool),
                headers={"Content-Type": "application/n-triples"},
            )
        _check(response, f"{method} graph {graph.value}")
        return counted

    def add(self, quads: Iterable[Quad]) -> int:
        total = 0
        for graph, run in _runs_by_graph(quads):
            total += self._send_graph("POST", graph, run)
        return total

    def remove_graph(self, graph: NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH <{graph.value}>")

    def update(self, sparql: str) -> None:
        response = self._http.post(
            self.update_url, content=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )
        _check(response, "SPARQL update")

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
        if substitutions:
            sparql = _with_values(sparql, substitutions)
        if default_graph is None and union_default_graph:
            # A dataset given by default-graph-uri alone has no named graphs (SPARQL 1.1
            # Protocol 2.1.4), so `GRAPH <registry>` would match nothing: name them too.
            default_graph = [NamedNode(g) for g in self._graph_names()]
            named_graphs = default_graph if named_graphs is None else named_graphs
        # A form-encoded POST carries the dataset in its body: a region has more graphs
        # than a URL (8 kB of headers on oxigraph serve) can name.
        form = {"query": sparql,
                "default-graph-uri": [g.value for g in default_graph or []],
                "named-graph-uri": [g.value for g in named_graphs or []]}
        response = self._http.post(self.query_url, data=form,
                                   headers={"Accept": RESULTS_ACCEPT})
        _check(response, "SPARQL query")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media in ("application/n-triples", "text/plain", "text/turtle"):
            fmt = RdfFormat.N_TRIPLES if media != "text/turtle" else RdfFormat.TURTLE
            return TripleResults(parse(response.content, fmt))
        return parse_query_results(response.content, QueryResultsFormat.JSON)

    def _graph_names(self) -> list[str]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return [row["g"].value for row in rows]

    def graphs(self) -> GraphCounts:
        return graph_counts(self)

    def count(self, graph: NamedNode | None = None) -> int:
        pattern = f"GRAPH <{graph.value}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(next(iter(rows))["n"].value)

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        names = [graph.value] if graph else self._graph_names()
        for name in names:
            node = NamedNode(name)
            triples = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")
            yield from in_graph(triples, node)

    def dump(self, output: BinaryIO) -> int:
        n = 0

        def counted():
            nonlocal n
            for quad in self.quads():
                n += 1
                yield quad

        serialize(counted(), output, RdfFormat.N_QUADS)
        return n

    def restore(self, source: BinaryIO) -> int:
        """Upload the dump into staging graphs, then swap them in with one update."""
        staging = RestoreStaging()
        try:
            n = self.add(staging.stage(parse(source, RdfFormat.N_QUADS)))
        except BaseException:
            self.update(staging.cleanup_update())
            raise
        self.update(staging.swap_update())
        return n

    def close(self) -> None:
        self._http.close()

    def _gsp(self) -> str:
        if not self.gsp_url:
            raise StoreError(f"writing graphs to the remote store {self.query_url} needs its Graph "
                             "Store Protocol URL: set REGIONGRAPH_GSP_URL (or --gsp-url), e.g. "
                             "http://127.0.0.1:7878/store for `oxigraph serve`; nothing was written")
        return self.gsp_url


def _chunks(spool: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while block := spool.read(size):
        yield block


def _runs_by_graph(quads: Iterable[Quad]) -> Iterator[tuple[NamedNode, list[Quad]]]:
    """Group consecutive quads of one graph (dumps and loaders emit them grouped)."""
    current, run = None, []
    for quad in quads:
        if quad.graph_name != current and run:
            yield current, run
            run = []
        current = quad.graph_name
        run.append(quad)
    if run:
        yield current, run


def _with_values(sparql: str, substitutions: dict[Variable, object]) -> str:
    """Bind variables with a trailing VALUES block of serialised RDF terms.

    The terms are written by pyoxigraph in N-Triples syntax (escaped), so a value
    can never change the query's structure; it is not text spliced into the query.
    """
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    return f"{sparql}\nVALUES ({names}) {{ ({terms}) }}"


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        detail = response.text[:300].strip()
        raise StoreError(f"{what} failed at {response.request.url}: HTTP {response.status_code} {detail}")
