"""OpenLineage events pushed by pipelines (`POST /lineage/events`), added as they come.

A harvested source is replaced whole; pushed events are not a whole — each POST is a
few events of runs that keep going — so they are *added* to their graph in one
transaction. A run is minted from its run id, so posting an event twice adds nothing,
and a START followed by a COMPLETE completes the same run. Events that fail the schema
are reported and left out; when none is valid the intake failed (a client posting one
bad event must not be told it was kept) and nothing is written.
"""

from pyoxigraph import NamedNode, Quad, Variable

from regiongraph.harvest.report import HarvestReport, RecordError, store_report, utcnow
from regiongraph.iri import SOURCE_GRAPH, Minter
from regiongraph.loaders import Issue, LoadContext, SourceError
from regiongraph.loaders.base import Fetched
from regiongraph.loaders.openlineage import OpenLineageLoader
from regiongraph.settings import Settings
from regiongraph.store import Store


def add_lineage_events(store: Store, settings: Settings, body: bytes, *, community: str,
                       options: dict | None = None,
                       source_id: str = "lineage-events") -> HarvestReport:
    minter = Minter(settings.base)
    graph = minter.graph(SOURCE_GRAPH, source_id)
    report = HarvestReport(source=source_id, community=community, type="openlineage",
                           location="POST /lineage/events", status="ok", started=utcnow())
    context = LoadContext(minter=minter, community=community, source_id=source_id,
                          options=options or {}, max_json_depth=settings.max_json_depth)
    quads: list[Quad] = []
    try:
        for item in OpenLineageLoader().records(Fetched("request body", body), context):
            report.add_issues(item)
            if isinstance(item, Issue):
                continue
            if item.skipped:
                report.skipped += 1
                continue
            if item.iri is not None and _exists(store, graph, item.iri):
                report.updated += 1
            else:
                report.created += 1
            quads.extend(Quad(t.subject, t.predicate, t.object, graph) for t in item.triples)
    except SourceError as error:
        report.status = "failed"
        report.message = str(error)
        report.errors.insert(0, RecordError(message=str(error)))
        quads = []
    if report.status != "failed" and report.skipped and not (report.created or report.updated):
        _none_valid(report)
    if quads:
        before = store.count(graph)
        store.add(quads)
        report.written_graphs[graph.value] = store.count(graph) - before
    report.finished = utcnow()
    report.seconds = round((report.finished - report.started).total_seconds(), 3)
    store_report(store, minter, report)
    return report


def _none_valid(report: HarvestReport) -> None:
    """Mark an intake in which every event was skipped as failed, quoting the first error."""
    errors = [e for e in report.errors if e.severity == "error"]
    first = f"{errors[0].record}: {errors[0].message}" if errors else "every event was skipped"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    report.status = "failed"
    report.message = f"no valid OpenLineage event, nothing stored; {first}{more}"


def _exists(store: Store, graph: NamedNode, node: NamedNode) -> bool:
    rows = store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
                       substitutions={Variable("s"): node}, named_graphs=[graph])
    return any(True for _ in rows)
