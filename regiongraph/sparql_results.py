"""Serialising SPARQL results by format name, shared by the CLI and the API.

One table maps a short name (`json`, `ttl`, ...) and a media type to pyoxigraph's
result or RDF format, so `--format`, `?format=` and `Accept` agree.
"""

import re
from dataclasses import dataclass
from typing import BinaryIO

from pyoxigraph import NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from regiongraph.errors import RegiongraphError


class FormatError(RegiongraphError, ValueError):
    """The asked-for format does not exist or does not fit the result."""


@dataclass(frozen=True)
class ResultFormat:
    name: str
    media_type: str
    results: QueryResultsFormat | None = None
    rdf: RdfFormat | None = None
    also: tuple[str, ...] = ()
    """Other media types clients send for this format in Accept (e.g. application/json)."""


RESULT_FORMATS = [
    ResultFormat("json", "application/sparql-results+json", results=QueryResultsFormat.JSON,
                 also=("application/json",)),
    ResultFormat("xml", "application/sparql-results+xml", results=QueryResultsFormat.XML,
                 also=("application/xml", "text/xml")),
    ResultFormat("csv", "text/csv", results=QueryResultsFormat.CSV),
    ResultFormat("tsv", "text/tab-separated-values", results=QueryResultsFormat.TSV),
]
GRAPH_FORMATS = [
    ResultFormat("ttl", "text/turtle", rdf=RdfFormat.TURTLE,
                 also=("application/x-turtle", "application/turtle")),
    ResultFormat("nt", "application/n-triples", rdf=RdfFormat.N_TRIPLES, also=("text/plain",)),
    ResultFormat("xml", "application/rdf+xml", rdf=RdfFormat.RDF_XML,
                 also=("application/xml", "text/xml")),
    ResultFormat("jsonld", "application/ld+json", rdf=RdfFormat.JSON_LD,
                 also=("application/json",)),
    ResultFormat("nq", "application/n-quads", rdf=RdfFormat.N_QUADS),
]


def find_format(name: str, *, graph: bool) -> ResultFormat | None:
    table = GRAPH_FORMATS if graph else RESULT_FORMATS
    for fmt in table:
        if name in (fmt.name, fmt.media_type, *fmt.also):
            return fmt
    if graph and name == "json":
        return find_format("jsonld", graph=True)
    if not graph and name in ("ttl", "nt"):
        return None
    return None


def is_graph_result(results: object) -> bool:
    return not isinstance(results, (QuerySolutions, QueryBoolean))


def write_results(results, fmt: str, output: BinaryIO, *, console=None,
                  prefixes: dict[str, str] | None = None) -> None:
    """Write results in `fmt`; `table` renders a rich table on `console`, with IRIs under
    one of `prefixes` (name → namespace, as the query declared them) shortened."""
    graph = is_graph_result(results)
    if fmt == "table":
        _table(results, console, graph, prefixes or {})
        return
    chosen = find_format(fmt, graph=graph)
    if chosen is None:
        kind = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
        raise FormatError(f"format {fmt!r} does not fit a {kind} result")
    results.serialize(output, chosen.rdf if graph else chosen.results)
    output.flush()


def _table(results, console, graph: bool, prefixes: dict[str, str]) -> None:
    from rich.table import Table

    if isinstance(results, QueryBoolean):
        console.print("true" if bool(results) else "false")
        return
    if graph:
        table = Table("subject", "predicate", "object")
        for triple in results:
            table.add_row(*[compact(term, prefixes) if isinstance(term, NamedNode) else str(term)
                            for term in (triple.subject, triple.predicate, triple.object)])
    else:
        names = [v.value for v in results.variables]
        table = Table(*names)
        for row in results:
            table.add_row(*[_cell(row[name], prefixes) for name in names])
    console.print(table)


def _cell(term, prefixes: dict[str, str]) -> str:
    if isinstance(term, NamedNode):
        return compact(term, prefixes)
    return "" if term is None else getattr(term, "value", str(term))


# A local part that reads back as the same prefixed name (a safe subset of PN_LOCAL).
_LOCAL = re.compile(r"^(?:\w(?:[\w.-]*[\w-])?)?$")


def compact(iri: NamedNode, prefixes: dict[str, str]) -> str:
    """`dcat:Dataset` for an IRI under a declared namespace (the longest that fits), else
    the IRI itself.

    >>> compact(NamedNode("http://www.w3.org/ns/dcat#Dataset"), {"dcat": "http://www.w3.org/ns/dcat#"})
    'dcat:Dataset'
    """
    fits = [(len(namespace), name) for name, namespace in prefixes.items()
            if iri.value.startswith(namespace) and _LOCAL.match(iri.value[len(namespace):])]
    if not fits:
        return iri.value
    _, name = max(fits)
    return f"{name}:{iri.value[len(prefixes[name]):]}"
