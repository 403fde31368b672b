"""Run one SPARQL query or update with the endpoint's rules; write results in bounded memory.

Shared by `/sparql`, `/queries/{name}` and `regiongraph query` (STYLE.md: the CLI and the
server share one function). What it adds to `Store.query`:

- the guard (`guard.check_query`): SERVICE refused before pyoxigraph sees the text, and
  text too deep or long for pyoxigraph's stack (`limits`);
- the dataset: protocol `default-graph-uri`/`named-graph-uri` win over FROM clauses, as
  the protocol says; with neither, the default graph is the union of all graphs (so a
  researcher need not know the graph layout), but a query with its own FROM keeps it;
- a base IRI for relative IRIs (the endpoint URL), written as a BASE before the text only
  when the text has a relative IRI, with syntax-error columns corrected for it;
- a time limit, checked between rows and between written chunks. pyoxigraph 0.5 has no
  way to cancel a query that is still computing its first row (a big ORDER BY or
  GROUP BY); the HTTP layer answers the client at the deadline anyway, and the worker
  stops at its next row. Such stragglers are bounded by the worker pool size;
- a row cap with a note, for anonymous users: rows are read up to the cap (bounded
  memory) before anything is written, so the note can go into a header;
- streaming: uncapped results go through pyoxigraph's own serializer straight into the
  output in chunks, so a million-row SELECT never sits in memory.
"""

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, serialize

from regiongraph.errors import RegiongraphError
from regiongraph.limits import Limits
from regiongraph.sparql.guard import QueryInfo, check_query, tokens
from regiongraph.sparql.serialize import write_solutions
from regiongraph.sparql_results import ResultFormat
from regiongraph.store import Store


class QueryTimeout(RegiongraphError):
    """The query ran past its time limit and was stopped."""


class QuerySyntaxError(RegiongraphError, ValueError):
    """The query or update text does not parse."""


class Cancelled(Exception):
    """The consumer went away (client disconnected); stop producing."""


@dataclass
class QueryJob:
    text: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    substitutions: dict | None = None
    base_iri: str | None = None
    info: QueryInfo | None = None
    union: bool | None = None
    """Default graph as the union of all graphs; None = yes unless the request or the
    query names a dataset."""
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.info is None:
            self.info = check_query(self.text, self.limits)


_ABSOLUTE = re.compile(r"^<[A-Za-z][A-Za-z0-9+.-]*:")
_POSITION = re.compile(r"error at 1:(\d+)")


def base_prefix(text: str, base_iri: str | None) -> str:
    """`BASE <endpoint> ` when the text has a relative IRI, else nothing.

    Only then: the prefix shifts the columns of line 1 in syntax errors, which
    `syntax_message` corrects.
    """
    if not base_iri or not any(t.kind == "iri" and not _ABSOLUTE.match(t.text)
                               for t in tokens(text)):
        return ""
    return f"BASE {NamedNode(base_iri)} "


def with_base(text: str, base_iri: str | None) -> str:
    return base_prefix(text, base_iri) + text


def syntax_message(error: SyntaxError, prefix: str) -> str:
    """pyoxigraph's message, with line-1 columns as the user wrote them."""
    message = str(error)
    if prefix:
        message = _POSITION.sub(lambda m: f"error at 1:{max(1, int(m.group(1)) - len(prefix))}",
                                message)
    return message


def evaluate(store: Store, job: QueryJob):
    """Start the query on `store`; results stream as they are iterated."""
    assert job.info is not None
    kwargs: dict[str, object] = {}
    try:
        if job.default_graphs:
            kwargs["default_graph"] = [NamedNode(g) for g in job.default_graphs]
        if job.named_graphs:
            kwargs["named_graphs"] = [NamedNode(g) for g in job.named_graphs]
    except ValueError as error:
        raise QuerySyntaxError(f"a graph IRI in the request is not an IRI: {error}") from None
    union = job.union
    if union is None:
        union = not job.info.has_dataset and not job.default_graphs and not job.named_graphs
    prefix = base_prefix(job.text, job.base_iri)
    try:
        return store.query(prefix + job.text, substitutions=job.substitutions,
                           union_default_graph=union, **kwargs)
    except SyntaxError as error:
        raise QuerySyntaxError(f"query syntax: {syntax_message(error, prefix)}") from None


class Output:
    """Where a producer writes: chunks of bytes, with a start signal before the first.

    `start(note)` is called once, before any byte, when the producer knows whether the
    results were cut; `write` may raise (deadline passed, consumer gone), which stops
    the producer mid-stream.
    """

    def start(self, note: str | None) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> int:
        raise NotImplementedError

    def flush(self) -> None:
        """pyoxigraph's serializers flush their output when done."""


def _checked(items: Iterator, deadline: float | None, limit: str) -> Iterator:
    for item in items:
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout(limit)
        yield item


def _take(items: Iterator, n: int, deadline: float | None, limit: str) -> list:
    taken = []
    for item in _checked(items, deadline, limit):
        taken.append(item)
        if len(taken) >= n:
            break
    return taken


def cut_note(cap: int) -> str:
    return (f"results were cut at {cap} rows, the limit for anonymous queries; use LIMIT and "
            "OFFSET to page through them, or ask with a token")


def produce(
    results, fmt: ResultFormat, out: Output, *,
    cap: int | None = None, deadline: float | None = None, timeout: float | None = None,
) -> int | None:
    """Write `results` to `out` in `fmt`; return the number of rows or triples written
    (None for an uncapped SELECT, which pyoxigraph serialises without Python seeing rows).

    With `cap`, at most `cap` rows (or triples) are written, read ahead first so the
    note can be given to `out.start` before the body.
    """
    limit = f"the query ran longer than the time limit of {timeout or 0:g} s and was stopped"
    if isinstance(results, QueryBoolean):
        out.start(None)
        results.serialize(out, fmt.results)
        return None
    if isinstance(results, QuerySolutions):
        if cap is None:
            out.start(None)
            results.serialize(out, fmt.results)
            return None
        variables = [v.value for v in results.variables]
        rows = _take(iter(results), cap + 1, deadline, limit)
        note = cut_note(cap) if len(rows) > cap else None
        out.start(note)
        write_solutions(rows[:cap], variables, fmt.name, out, note=note)
        return min(len(rows), cap)
    triples: Iterator = iter(results)
    if cap is not None:
        buffered = _take(triples, cap + 1, deadline, limit)
        note = cut_note(cap).replace("rows", "triples", 1) if len(buffered) > cap else None
        out.start(note)
        serialize(buffered[:cap], out, fmt.rdf)
        return min(len(buffered), cap)
    out.start(None)
    counted = _Counted(_checked(triples, deadline, limit))
    serialize(counted, out, fmt.rdf)
    return counted.n


class _Counted:
    """Counts the items a consumer pulls through it (rows for the metrics)."""

    def __init__(self, items: Iterator) -> None:
        self.items, self.n = items, 0

    def __iter__(self) -> Iterator:
        for item in self.items:
            self.n += 1
            yield item


class BufferOutput(Output):
    """An Output into memory, for the CLI and tests (no deadline, no consumer)."""

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        self._sink = sink
        self.note: str | None = None

    def start(self, note: str | None) -> None:
        self.note = note

    def write(self, data: bytes) -> int:
        self._sink(bytes(data))
        return len(data)
