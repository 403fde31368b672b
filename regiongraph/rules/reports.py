"""Validation reports: stored in their own named graph per run, read back, rendered.

Each run is kept (history) in `graph("reports", <timestamp>)` as a SHACL
`sh:ValidationReport` (standard vocabulary, so any SHACL tool reads it) with the day it was
checked for and when, plus `rg:community` on each result for grouping. Result nodes get
IRIs under the report's, so the latest report can be served and linked.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from regiongraph.iri import REPORTS_GRAPH, Minter
from regiongraph.namespaces import PROV, RDF, RG, SH, XSD
from regiongraph.rules.validate import Report, Result
from regiongraph.settings import Settings
from regiongraph.store import Store

SHAPES_NS = "https://w3id.org/regiongraph/shapes#"


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def report_quads(report: Report, minter: Minter) -> tuple[NamedNode, NamedNode, list[Quad]]:
    key = stamp(report.created)
    graph = minter.graph(REPORTS_GRAPH, key)
    node = minter.iri("report", key)
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
    for index, result in enumerate(report.results, start=1):
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
    return graph, node, quads


def minter_community(minter: Minter, community: str) -> NamedNode:
    return minter.iri("community", community)


def store_report(store: Store, settings: Settings, report: Report) -> str:
    """Write the report into a new reports graph; return the report's IRI."""
    minter = Minter(settings.base)
    graph, node, quads = report_quads(report, minter)
    store.replace_graph(graph, quads)
    report.iri = node.value
    return node.value


def report_graphs(store: Store, settings: Settings) -> list[str]:
    """Reports graphs, oldest first (their names end in a sortable timestamp)."""
    prefix = Minter(settings.base).graph(REPORTS_GRAPH).value + "/"
    return sorted(g for g in store.graphs() if g.startswith(prefix))


def load_report(store: Store, settings: Settings, graph: str) -> Report:
    rows = store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX rg: <https://w3id.org/regiongraph/ns#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?report ?created ?day ?checked ?shapes ?focus ?shape ?severity ?message ?path ?value ?c
        WHERE {{ GRAPH <{graph}> {{
            ?report a sh:ValidationReport ; prov:generatedAtTime ?created ; rg:validatedFor ?day .
            OPTIONAL {{ ?report rg:focusNodesChecked ?checked }}
            OPTIONAL {{ ?report rg:shapesHash ?shapes }}
            OPTIONAL {{
                ?report sh:result ?r .
                ?r sh:focusNode ?focus ; sh:sourceShape ?shape ; sh:resultSeverity ?severity ;
                   sh:resultMessage ?message .
                OPTIONAL {{ ?r sh:resultPath ?path }}
                OPTIONAL {{ ?r sh:value ?value }}
                OPTIONAL {{ ?r rg:community ?c }}
            }}
        }} }}""")
    report = Report(results=[])
    for row in rows:
        report.iri = row["report"].value
        report.created = dt.datetime.fromisoformat(row["created"].value)
        report.day = dt.date.fromisoformat(row["day"].value)
        if row["checked"] is not None:
            report.focus_checked = int(row["checked"].value)
        if row["shapes"] is not None:
            report.shapes = row["shapes"].value
        if row["focus"] is None:
            continue
        report.results.append(Result(
            focus=row["focus"].value, shape=row["shape"].value, severity=row["severity"].value,
            message=row["message"].value,
            path=row["path"].value if row["path"] is not None else None,
            value=row["value"].value if row["value"] is not None else None,
            community=(row["c"].value.rstrip("/").rsplit("/", 1)[-1]
                       if row["c"] is not None else None)))
    report.results.sort(key=Result.sort_key)
    return report


def latest_report(store: Store, settings: Settings) -> Report | None:
    graphs = report_graphs(store, settings)
    return load_report(store, settings, graphs[-1]) if graphs else None


def report_turtle(store: Store, settings: Settings, report: Report) -> bytes:
    graphs = [g for g in report_graphs(store, settings)
              if report.iri and g.endswith(report.iri.rsplit("/", 1)[-1])]
    if graphs:
        quads = store.quads(NamedNode(graphs[-1]))
    else:
        _graph, _node, quads = report_quads(report, Minter(settings.base))
    return serialize((q.triple for q in quads), format=RdfFormat.TURTLE,
                     prefixes={"sh": str(SH), "rg": str(RG), "prov": str(PROV),
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
