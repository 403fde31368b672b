"""Validation reports: one named graph per run (history), one current report, rendered.

Each run is kept in `graph("reports", <timestamp>)` as a SHACL `sh:ValidationReport`
(standard vocabulary, so any SHACL tool reads it) with the day it was checked for and when,
plus `rg:community` on each result for grouping. A full run holds every result; a
re-validation (`rg:focusNodesChecked`) holds the results of the nodes it re-checked.

`graph("reports", "current")` is the complete, up-to-date report, derived from the runs
(`dct:source`: the latest run): a full run replaces it, a re-validation swaps only the
re-checked nodes' results in it, so what a run writes grows with what it checked, not with
the size of the region. A re-validation does it in one update (one transaction).

A full run writes its results once, into the current report, in transactions of
FULL_RUN_CHUNK results, and its own graph keeps its header: at 10k datasets a full run has
40k results (290k quads), and copying them from the run's graph into the current report in
one update took 65 s and 1.2 GB. The price: while a full run is written (seconds), a reader
of the current report sees the old results going and the new ones coming. Meanwhile the
report carries no shapes hash, so a run cut short is followed by a full run, never by a
revision of a half-written report.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from regiongraph.iri import REPORTS_GRAPH, Minter
from regiongraph.namespaces import DCT, PROV, RDF, RG, SH, XSD
from regiongraph.rules.validate import Report, Result
from regiongraph.settings import Settings
from regiongraph.store import Store

SHAPES_NS = "https://w3id.org/regiongraph/shapes#"
CURRENT = (REPORTS_GRAPH, "current")
FULL_RUN_CHUNK = 1_000
"""Results a full run writes per transaction (~7k quads): 2,000 held some 30 MB of Oxigraph's
memory, and a 10k-row first harvest's report peaked 58 MB over its validation."""


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def report_quads(report: Report, minter: Minter, node: NamedNode | None = None
                 ) -> tuple[NamedNode, NamedNode, list[Quad]]:
    """The report as SHACL, in the graph of its run; `node` names it (default: its run's)."""
    key = stamp(report.created)
    graph = minter.graph(REPORTS_GRAPH, key)
    node = node or minter.iri("report", key)
    quads = header_quads(report, node, graph)
    quads += result_quads(report, minter, node, graph, 0, len(report.results))
    return graph, node, quads


def header_quads(report: Report, node: NamedNode, graph: NamedNode) -> list[Quad]:
    """The report's own statements: conforms, when, for which day and shapes, its run."""
    quads = [
        Quad(node, RDF.type, SH.ValidationReport, graph),
        Quad(node, SH.conforms, Literal(report.conforms), graph),
        Quad(node, PROV.generatedAtTime, Literal(report.created.isoformat(),
                                                 datatype=XSD.dateTime), graph),
        Quad(node, RG.validatedFor, Literal(report.day.isoformat(), datatype=XSD.date), graph),
    ]
    if report.focus_checked is not None:
        quads.append(Quad(node, RG.focusNodesChecked, Literal(report.focus_checked), graph))
    if report.shapes:
        quads.append(Quad(node, RG.shapesHash, Literal(report.shapes), graph))
    if report.run:
        quads.append(Quad(node, DCT.source, NamedNode(report.run), graph))
    return quads


def result_quads(report: Report, minter: Minter, node: NamedNode, graph: NamedNode,
                 start: int, stop: int) -> list[Quad]:
    """Results `start` to `stop` of the report, linked to `node`; a result's IRI is its
    run's and its place in the run, whichever graph it is written to."""
    key = stamp(report.created)
    quads: list[Quad] = []
    for index, result in enumerate(report.results[start:stop], start=start + 1):
        r = minter.iri("report", key, "results", str(index))
        quads += [
            Quad(node, SH.result, r, graph),
            Quad(r, RDF.type, SH.ValidationResult, graph),
            Quad(r, SH.focusNode, NamedNode(result.focus), graph),
            Quad(r, SH.sourceShape, NamedNode(result.shape), graph),
            Quad(r, SH.resultSeverity, NamedNode(result.severity), graph),
            Quad(r, SH.resultMessage, Literal(result.message, language="en"), graph),
        ]
        if result.path:
            quads.append(Quad(r, SH.resultPath, NamedNode(result.path), graph))
        if result.value is not None:
            value = (NamedNode(result.value) if result.value.startswith(("http://", "https://"))
                     else Literal(result.value))
            quads.append(Quad(r, SH.value, value, graph))
        if result.community:
            quads.append(Quad(r, RG.community, minter_community(minter, result.community),
                              graph))
    return quads


def minter_community(minter: Minter, community: str) -> NamedNode:
    return minter.iri("community", community)


def store_report(store: Store, settings: Settings, report: Report,
                 focus: set[str] | None = None) -> str:
    """Keep a run in its own graph and bring the current report up to date with it.

    `focus`: the nodes a re-validation re-checked (`report` holds their results); their
    results in the current report are replaced and every other result stays. None: a
    full run, which replaces the current report. Returns the run's report IRI."""
    minter = Minter(settings.base)
    if focus is None:
        return _store_full_run(store, minter, report)
    graph, node, quads = report_quads(report, minter)
    store.replace_graph(graph, quads)
    report.iri = node.value
    current_graph, current = minter.graph(*CURRENT), minter.iri("report", *CURRENT[1:])
    values = " ".join(f"<{f}>" for f in sorted(focus))
    drop = f"""DELETE {{ GRAPH {current_graph} {{ {current} {SH.result} ?r . ?r ?p ?o }} }}
        WHERE {{ GRAPH {current_graph} {{ VALUES ?f {{ {values} }}
          ?r {SH.focusNode} ?f ; ?p ?o }} }} ;
        DELETE {{ GRAPH {current_graph} {{ {current} ?p ?o }} }}
        WHERE {{ GRAPH {current_graph} {{ {current} ?p ?o FILTER(?p != {SH.result}) }} }} ;"""
    store.update(f"""{drop}
        INSERT {{ GRAPH {current_graph} {{ {current} {SH.result} ?r . ?r ?p ?o }} }}
        WHERE {{ GRAPH {graph} {{ {node} {SH.result} ?r . ?r ?p ?o }} }} ;
        INSERT {{ GRAPH {current_graph} {{ {current} ?p ?o }} }}
        WHERE {{ GRAPH {graph} {{ {node} ?p ?o FILTER(?p NOT IN ({SH.result}, {SH.conforms})) }} }} ;
        INSERT DATA {{ GRAPH {current_graph} {{ {current} {DCT.source} {node} }} }} ;
        INSERT {{ GRAPH {current_graph} {{ {current} {SH.conforms} ?conforms }} }}
        WHERE {{ BIND(NOT EXISTS {{ GRAPH {current_graph} {{
          ?r {SH.resultSeverity} {SH.Violation} }} }} AS ?conforms) }}""")
    return node.value


def _store_full_run(store: Store, minter: Minter, report: Report) -> str:
    """A full run: its header in its own graph, its results straight into the current
    report, FULL_RUN_CHUNK at a time (see the module docstring)."""
    key = stamp(report.created)
    graph, node = minter.graph(REPORTS_GRAPH, key), minter.iri("report", key)
    current_graph, current = minter.graph(*CURRENT), minter.iri("report", *CURRENT[1:])
    store.replace_graph(graph, header_quads(report, node, graph))
    report.iri = node.value
    # first the mark of an unfinished report: the header without its shapes hash
    store.update(f"DELETE WHERE {{ GRAPH {current_graph} {{ {current} {RG.shapesHash} ?h }} }}")
    old = [row["r"].value for row in store.query(
        f"SELECT ?r WHERE {{ GRAPH {current_graph} {{ {current} {SH.result} ?r }} }}")]
    for start in range(0, len(old), FULL_RUN_CHUNK):
        values = " ".join(f"<{r}>" for r in old[start:start + FULL_RUN_CHUNK])
        store.update(f"""DELETE {{ GRAPH {current_graph} {{ {current} {SH.result} ?r . ?r ?p ?o }} }}
            WHERE {{ VALUES ?r {{ {values} }} GRAPH {current_graph} {{ ?r ?p ?o }} }}""")
        _flush_now_and_then(store, start)
    for start in range(0, len(report.results), FULL_RUN_CHUNK):
        store.add(result_quads(report, minter, current, current_graph, start,
                               start + FULL_RUN_CHUNK))
        _flush_now_and_then(store, start)
    header = header_quads(replace(report, run=node.value), current, current_graph)
    lines = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in header)
    store.update(f"""DELETE {{ GRAPH {current_graph} {{ {current} ?p ?o }} }}
        WHERE {{ GRAPH {current_graph} {{ {current} ?p ?o FILTER(?p != {SH.result}) }} }} ;
        INSERT DATA {{ GRAPH {current_graph} {{ {lines} }} }}""")
    return node.value


def _flush_now_and_then(store: Store, done: int) -> None:
    """Write the embedded store's memtables to disk every other chunk: they otherwise hold
    every write of the run in memory (measured: +300 MB for a 40k-result full run; every
    fourth chunk still left +82 MB at 10k datasets)."""
    flush = getattr(store, "flush", None)
    if flush is not None and done % (2 * FULL_RUN_CHUNK) == FULL_RUN_CHUNK:
        flush()


def report_graphs(store: Store, settings: Settings) -> list[str]:
    """The runs' reports graphs, oldest first (their names end in a sortable timestamp)."""
    from regiongraph.rules.validate import graph_names

    prefix = Minter(settings.base).graph(REPORTS_GRAPH).value + "/"
    return sorted(g for g in graph_names(store)
                  if g.startswith(prefix) and g[len(prefix):][:1].isdigit())


def load_report(store: Store, settings: Settings, graph: str) -> Report:
    """Read a stored report back (its quads, assembled here: faster than a SPARQL join
    with seven OPTIONALs per result)."""
    by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for quad in store.quads(NamedNode(graph)):
        by_subject[quad.subject.value][quad.predicate.value].append(quad.object)
    report = Report(results=[])
    for subject, props in by_subject.items():
        if SH.ValidationReport in props.get(RDF.type.value, []):
            _read_header(report, subject, props)
    for props in by_subject.values():
        if SH.ValidationResult not in props.get(RDF.type.value, []):
            continue

        def first(predicate: NamedNode, props=props):
            values = props.get(predicate.value)
            return values[0].value if values else None

        community = first(RG.community)
        report.results.append(Result(
            focus=first(SH.focusNode), shape=first(SH.sourceShape),
            severity=first(SH.resultSeverity), message=first(SH.resultMessage) or "",
            path=first(SH.resultPath), value=first(SH.value),
            community=community.rstrip("/").rsplit("/", 1)[-1] if community else None))
    report.results.sort(key=Result.sort_key)
    return report


def _read_header(report: Report, subject: str, props: dict[str, list]) -> None:
    report.iri = subject
    report.created = dt.datetime.fromisoformat(props[PROV.generatedAtTime.value][0].value)
    report.day = dt.date.fromisoformat(props[RG.validatedFor.value][0].value)
    if RG.focusNodesChecked.value in props:
        report.focus_checked = int(props[RG.focusNodesChecked.value][0].value)
    if RG.shapesHash.value in props:
        report.shapes = props[RG.shapesHash.value][0].value
    if DCT.source.value in props:
        report.run = props[DCT.source.value][0].value


def latest_header(store: Store, settings: Settings) -> Report | None:
    """The current report's header, results left unread (re-validation needs the day and
    shapes it was made for, not the thousands of results)."""
    graph = Minter(settings.base).graph(*CURRENT)
    props: dict[str, list] = defaultdict(list)
    subject = None
    for row in store.query(f"""SELECT ?r ?p ?o WHERE {{ GRAPH {graph} {{
            ?r a {SH.ValidationReport} ; ?p ?o FILTER(?p != {SH.result}) }} }}"""):
        subject = row["r"].value
        props[row["p"].value].append(row["o"])
    if subject is None:
        return None
    report = Report(results=[])
    _read_header(report, subject, props)
    return report


def latest_report(store: Store, settings: Settings) -> Report | None:
    """The current report: every result as of the latest run (None before any run)."""
    report = load_report(store, settings, Minter(settings.base).graph(*CURRENT).value)
    return report if report.iri is not None else None


def report_turtle(report: Report, settings: Settings) -> bytes:
    """The report as Turtle, under its own IRI (the current report's, or a run's); made
    from the object, so a report filtered for an anonymous user shows only what it holds."""
    node = NamedNode(report.iri) if report.iri else None
    _graph, _node, quads = report_quads(report, Minter(settings.base), node)
    return serialize((q.triple for q in quads), format=RdfFormat.TURTLE,
                     prefixes={"sh": str(SH), "rg": str(RG), "prov": str(PROV), "dct": str(DCT),
                               "rgsh": SHAPES_NS, "xsd": str(XSD)})


def shape_name(shape: str) -> str:
    return shape.removeprefix(SHAPES_NS)


def grouped(report: Report) -> dict[str, dict[str, list[Result]]]:
    """community → shape → results, communities and shapes sorted, region-wide last."""
    groups: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for result in report.results:
        groups[result.community or "(region)"][shape_name(result.shape)].append(result)
    return {c: dict(sorted(groups[c].items())) for c in
            sorted(groups, key=lambda c: (c == "(region)", c))}


def report_text(report: Report) -> Iterator[str]:
    """Lines for a steward: per community, per rule, the fix message and what it is about."""
    violations = sum(r.severity_name == "Violation" for r in report.results)
    warnings = len(report.results) - violations
    yield (f"{'conforms' if report.conforms else 'does not conform'}: {violations} violations, "
           f"{warnings} warnings and notes (checked for {report.day.isoformat()})")
    for community, shapes in grouped(report).items():
        yield ""
        yield f"== {community}"
        for shape, results in shapes.items():
            severities = sorted({r.severity_name for r in results})
            yield f"  {shape} [{', '.join(severities)}] x{len(results)}"
            by_message: dict[str, list[str]] = defaultdict(list)
            for result in results:
                generic = result.message
                by_message[generic].append(result.focus)
            for message, nodes in by_message.items():
                yield f"    fix: {message}"
                for node in nodes:
                    yield f"      - {node}"
