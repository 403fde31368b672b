"""Manual lineage edges: PROV attribution in the manual graph, survival across re-harvests,
an audit record on delete."""

import pytest
from pyoxigraph import Quad

from regiongraph.analysis.lineage import lineage
from regiongraph.analysis.manual import (
    EdgeNotFound,
    ManualEdgeError,
    add_manual_edge,
    delete_manual_edge,
    list_manual_edges,
)
from regiongraph.analysis.models import ManualEdgeIn
from regiongraph.analysis.region import load_region
from regiongraph.analysis.summary import region_summary
from regiongraph.settings import Settings
from tests.analysis.graphs import GRAPH, MINTER, RegionBuilder, ds

MANUAL = MINTER.graph("manual")
SETTINGS = Settings(store="memory")


def small():
    b = RegionBuilder()
    for name in ("a/raw", "b/clean", "c/report"):
        b.dataset(name)
    b.derive("c/report", "b/clean")
    return b


def test_manual_edge_survives_reharvest_and_leaves_audit():
    b = small()
    store = b.store()
    edge = add_manual_edge(store, SETTINGS, ManualEdgeIn(
        source=ds("a/raw").value, target=ds("b/clean").value, reason="e-mailed monthly",
        agent="https://data.sonoranvalley.example/people/kim"), at="2026-11-25T10:00:00Z")
    assert edge.agent == "https://data.sonoranvalley.example/people/kim"
    assert all(q.graph_name == MANUAL for q in store.quads(MANUAL))
    assert store.count(MANUAL) == 9
    # a re-harvest replaces the source graph wholesale; the manual graph is not touched
    store.replace_graph(GRAPH, [Quad(q.subject, q.predicate, q.object, GRAPH)
                                for q in b.quads if q.graph_name == GRAPH])
    result = lineage(store, root=ds("c/report").value, direction="up", depth=5,
                     manual_graph=MANUAL.value)
    assert {(e.source, e.target, e.kind) for e in result.edges} == {
        (ds("a/raw").value, ds("b/clean").value, "manual"),
        (ds("b/clean").value, ds("c/report").value, "derivation")}
    deleted = delete_manual_edge(store, SETTINGS, edge.id, agent="Ana Ruiz", reason="wrong source",
                                 at="2026-11-26T09:00:00Z")
    assert deleted.deleted_at == "2026-11-26T09:00:00Z"
    after = lineage(store, root=ds("c/report").value, direction="up", depth=5)
    assert {e.source for e in after.edges} == {ds("b/clean").value}
    [audit] = list_manual_edges(store, MINTER, include_deleted=True)
    assert (audit.reason, audit.deleted_by, audit.deletion_reason) == (
        "e-mailed monthly", MINTER.iri("person", "Ana Ruiz").value, "wrong source")
    assert list_manual_edges(store, MINTER) == []
    with pytest.raises(ManualEdgeError):
        delete_manual_edge(store, SETTINGS, edge.id, agent="x", reason="again")
    with pytest.raises(EdgeNotFound):
        delete_manual_edge(store, SETTINGS, edge.id + "x", agent="x", reason="none")


def test_manual_edge_checks_its_ends():
    store = small().store()
    for source, target in ((ds("a/raw").value, ds("a/raw").value),
                           (ds("a/none").value, ds("b/clean").value),
                           ("not an iri", ds("b/clean").value)):
        with pytest.raises(ManualEdgeError):
            add_manual_edge(store, SETTINGS, ManualEdgeIn(source=source, target=target,
                                                        reason="r", agent="a"))
    assert store.count(MANUAL) == 0


def test_summary_counts_and_quality():
    store = small().store()
    region = load_region(store)
    summary = region_summary(store, region)
    assert (summary.datasets, summary.public_datasets, summary.lineage_edges) == (3, 3, 1)
    assert summary.quality["description"] == 0 and summary.quality["keywords"] == 0
    anonymous = region_summary(store, region, visible={ds("a/raw").value})
    assert anonymous.datasets == 1 and anonymous.lineage_edges == 0
    assert anonymous.approvals is None and anonymous.agreements is None


def test_violations_come_from_the_current_report():
    from regiongraph.analysis.summary import violations
    from regiongraph.rules.reports import store_report
    from regiongraph.rules.validate import VIOLATION, WARNING, Report, Result
    from tests.analysis.graphs import BASE

    def result(focus: str, severity: str = VIOLATION) -> Result:
        return Result(focus=ds(focus).value, shape=BASE + "shape", severity=severity,
                      message="fix it")

    store, settings = small().store(), Settings(store="memory", base=BASE)
    assert violations(store) is None
    full = [result(f"x/{i}") for i in range(5)] + [result("x/w", WARNING)]
    store_report(store, settings, Report(results=full))
    assert violations(store) == 5
    rechecked = {ds(f"x/{i}").value for i in range(3)}
    store_report(store, settings, Report(results=[], focus_checked=3), rechecked)
    assert violations(store) == 2, "the re-checked three are fixed, history is not counted"
