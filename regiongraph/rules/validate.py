"""Validate the store against the shapes, per focus node, on Oxigraph.

`validate(store, settings)` runs every compiled shape (see `regiongraph.rules.shapes`) over
the data; `focus=` limits it to some nodes, which is how re-validation after a change stays
cheap. `pyshacl_pairs` runs pyshacl on the data graphs (everything except reports, meta
data, harvest logs, quality runs and rules state) as one rdflib graph: the reference the
tests and benchmarks hold the fast path to.

The fast path queries the union of all graphs, not an explicit list of the data graphs:
Oxigraph answers FILTER NOT EXISTS over a 19-graph default-graph list ~10x slower than over
the union (measured: 0.80 s vs 0.09 s at 1k datasets). The graphs left out of the reference
use none of the terms the shapes test (they hold reports, hashes and timings), so both give
the same pairs; the equality tests against pyshacl keep it that way.
"""

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from pyoxigraph import NamedNode

from regiongraph.iri import is_bookkeeping
from regiongraph.memory import trim_after
from regiongraph.rules.shapes import ShapeSet, load_shapes
from regiongraph.settings import Settings
from regiongraph.store import Store

VIOLATION = "http://www.w3.org/ns/shacl#Violation"
WARNING = "http://www.w3.org/ns/shacl#Warning"
FOCUS_CHUNK = 2_000


@dataclass(frozen=True)
class Result:
    focus: str
    shape: str
    severity: str
    message: str
    path: str | None = None
    value: str | None = None
    community: str | None = None

    def sort_key(self) -> tuple:
        return (self.focus, self.shape, self.path or "", self.value or "", self.message)

    @property
    def severity_name(self) -> str:
        return self.severity.rsplit("#", 1)[-1]

    def as_json(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity_name
        return data


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    day: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    focus_checked: int | None = None
    """How many focus nodes were re-checked (None: the whole store)."""
    seconds: float = 0.0
    iri: str | None = None
    shapes: str | None = None
    """Fingerprint of the shapes files the report was made with."""
    run: str | None = None
    """For the current report: the latest run it is derived from."""

    @property
    def conforms(self) -> bool:
        return not any(r.severity == VIOLATION for r in self.results)

    @property
    def pairs(self) -> set[tuple[str, str]]:
        return {(r.focus, r.shape) for r in self.results}

    def as_json(self) -> dict:
        return {"conforms": self.conforms, "results": [r.as_json() for r in self.results],
                "day": self.day.isoformat(), "created": self.created.isoformat(),
                "report": self.iri, "run": self.run}


def data_graphs(store: Store, settings: Settings) -> list[NamedNode]:
    """The named graphs holding data (sources, registry, ontology, inferences, manual)."""
    graphs = []
    for name in graph_names(store):
        if not name or name.startswith("urn:regiongraph:staging"):
            continue
        if is_bookkeeping(settings.base, name):
            continue
        graphs.append(NamedNode(name))
    return sorted(graphs, key=lambda g: g.value)


def graph_names(store: Store) -> list[str]:
    """Names of the named graphs, without counting their quads (store.graphs() does)."""
    return store.graph_names()


def judged_day(day: dt.date | None) -> dt.date:
    """The day rules judge: the one given, else today (UTC)."""
    return day or dt.datetime.now(dt.UTC).date()


def _render(message: str, focus: str, value: str | None) -> str:
    text = message.replace("{$this}", focus).replace("{?this}", focus)
    return text.replace("{?value}", value if value is not None else "(none)")


def validate(store: Store, settings: Settings, *, focus: Iterable[str] | None = None,
             today: dt.date | None = None, shapes: ShapeSet | None = None) -> Report:
    """Every result of every shape, for all focus nodes or only those in `focus`."""
    started = time.perf_counter()
    day = judged_day(today)
    compiled = (shapes or load_shapes()).for_day(day)
    graphs = data_graphs(store, settings)
    focus_list = sorted(set(focus)) if focus is not None else None
    subclasses = subclasses_of(store, graphs, {t for c in compiled.checks for t in c.targets})
    types = types_of(store, focus_list) if focus_list is not None else {}
    found: set[tuple] = set()
    for check in compiled.checks:
        chunks: list[list[str] | None] = [None]
        if focus_list is not None:
            # only the focus nodes this check targets: a check none of them is for is skipped
            classes = set(check.classes(subclasses))
            mine = [f for f in focus_list if types.get(f, set()) & classes]
            chunks = [mine[i:i + FOCUS_CHUNK] for i in range(0, len(mine), FOCUS_CHUNK)]
        for chunk in chunks:
            step = time.monotonic()
            rows = store.query(check.query(compiled.prefixes, chunk, subclasses),
                               union_default_graph=True)
            for row in rows:
                this = row["this"]
                if this is None:
                    continue
                value = None
                if check.aggregate_having is None:
                    bound = row["value"]
                    value = bound.value if bound is not None else None
                found.add((this.value, check.shape, check.severity, check.message, check.path,
                           value))
            del rows
            trim_after(step)  # a long check's freed query memory, before the next one's
    communities = community_of(store, graphs, {f for f, *_ in found})
    results = [
        Result(focus=f, shape=shape, severity=severity, message=_render(message, f, value),
               path=path, value=value, community=communities.get(f))
        for f, shape, severity, message, path, value in found]
    results.sort(key=Result.sort_key)
    return Report(results=results, day=day,
                  focus_checked=len(focus_list) if focus_list is not None else None,
                  seconds=time.perf_counter() - started)


def subclasses_of(store: Store, graphs: list[NamedNode], classes: set[str]
                  ) -> dict[str, set[str]]:
    """Each class's sub-classes (rdfs:subClassOf+) in the data, as SHACL targets need."""
    found: dict[str, set[str]] = {}
    for cls in sorted(classes):
        rows = store.query("SELECT DISTINCT ?c WHERE { ?c "
                           f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>+ <{cls}> }}",
                           union_default_graph=True)
        found[cls] = {row["c"].value for row in rows if isinstance(row["c"], NamedNode)}
    return found


def types_of(store: Store, nodes: list[str]) -> dict[str, set[str]]:
    """Each node's rdf:types, so a re-validation runs only the checks that target them."""
    found: dict[str, set[str]] = {}
    for i in range(0, len(nodes), FOCUS_CHUNK):
        values = " ".join(f"<{n}>" for n in nodes[i:i + FOCUS_CHUNK])
        rows = store.query(f"SELECT ?this ?type WHERE {{ VALUES ?this {{ {values} }} "
                           "?this <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?type }",
                           union_default_graph=True)
        for row in rows:
            found.setdefault(row["this"].value, set()).add(row["type"].value)
    return found


def community_of(store: Store, graphs: list[NamedNode], nodes: set[str]) -> dict[str, str]:
    """The community each focus node belongs to, for grouping reports (id, not IRI)."""
    found: dict[str, str] = {}
    items = sorted(nodes)
    for i in range(0, len(items), FOCUS_CHUNK):
        values = " ".join(f"<{n}>" for n in items[i:i + FOCUS_CHUNK])
        rows = store.query(f"""
            SELECT ?this ?c WHERE {{
              VALUES ?this {{ {values} }}
              {{ ?this <http://purl.org/dc/terms/publisher> ?c }}
              UNION {{ ?this <https://w3id.org/regiongraph/ns#leadCommunity> ?c }}
              UNION {{ ?this <https://w3id.org/regiongraph/ns#dataOwner> ?c }}
              UNION {{ ?this <http://www.w3.org/ns/odrl/2/assigner> ?c }}
              UNION {{ ?d <http://www.w3.org/ns/dcat#distribution> ?this .
                      ?d <http://purl.org/dc/terms/publisher> ?c }}
            }}""", union_default_graph=True)
        for row in rows:
            if row["c"] is not None and row["this"].value not in found:
                found[row["this"].value] = row["c"].value.rstrip("/").rsplit("/", 1)[-1]
    return found


def pyshacl_pairs(store: Store, settings: Settings, *, today: dt.date | None = None,
                  shapes: ShapeSet | None = None, focus: Iterable[str] | None = None
                  ) -> set[tuple[str, str]]:
    """(focus node, shape) pairs pyshacl finds on the whole data as one rdflib graph
    (only for the nodes in `focus` when given: pyshacl's own focus_nodes option)."""
    compiled = (shapes or load_shapes()).for_day(judged_day(today))
    return pyshacl_run(rdflib_data(store, settings), compiled, focus=focus)


def rdflib_data(store: Store, settings: Settings):
    """Every data graph of the store as one rdflib Graph: what pyshacl validates."""
    from rdflib import Graph

    from regiongraph.rdfconv import rdflib_graph

    data = Graph()
    for graph in data_graphs(store, settings):
        rdflib_graph(store.quads(graph), data)
    return data


def pyshacl_run(data, compiled: ShapeSet, *, focus: Iterable[str] | None = None,
                prepared: bool = True) -> set[tuple[str, str]]:
    """pyshacl on `data` with the day's shapes; `prepared=False` is stock pyshacl."""
    import contextlib

    import pyshacl
    from rdflib import URIRef
    from rdflib.namespace import SH

    options = {"focus_nodes": [URIRef(f) for f in sorted(focus)]} if focus is not None else {}
    with prepared_queries() if prepared else contextlib.nullcontext():
        _conforms, report, _text = pyshacl.validate(
            data, shacl_graph=compiled.graph, inference="none", abort_on_first=False,
            allow_warnings=True, allow_infos=True, **options)
    return {(str(report.value(r, SH.focusNode)), str(report.value(r, SH.sourceShape)))
            for r in report.subjects(SH.focusNode, None)}


@contextmanager
def prepared_queries() -> Iterator[None]:
    """pyshacl hands rdflib the same SPARQL text for every focus node of a constraint, and
    rdflib parses it anew each time: 146 of the 206 s pyshacl took on the whole demo. Here
    each text is parsed and translated once and the prepared query reused, as rdflib's own
    `prepareQuery` is meant to be; evaluation, with pyshacl's bindings, is rdflib's as
    before, so the pairs are pyshacl's. (The benchmarks time stock pyshacl.)"""
    from rdflib.plugins.sparql import processor
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    original = processor.SPARQLProcessor.query
    prepared: dict[tuple, object] = {}

    def query(self, str_or_query, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(str_or_query, str):
            key = (str_or_query, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = translateQuery(parseQuery(str_or_query), base, initNs)
            str_or_query = prepared[key]
        return original(self, str_or_query, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original
