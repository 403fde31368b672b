"""Lineage and impact against an independent computation (networkx on the raw edges)."""

import random

import networkx as nx
import pytest

from regiongraph.analysis.impact import impact
from regiongraph.analysis.lineage import LineageError, lineage
from tests.analysis.graphs import RegionBuilder, ds, job

N_DATASETS = 60


def random_region(seed: int):
    """A random lineage graph with cycles, jobs and project usage; returns (store, nx graph)."""
    rng = random.Random(seed)
    b = RegionBuilder()
    names = [f"c{i % 4}/d{i}" for i in range(N_DATASETS)]
    for name in names:
        b.dataset(name)
    g = nx.DiGraph()
    g.add_nodes_from(ds(n).value for n in names)
    for _ in range(90):
        up, down = rng.sample(names, 2)
        b.derive(down, up)
        g.add_edge(ds(up).value, ds(down).value)
    for j in range(8):
        used = rng.sample(names, 2)
        made = rng.sample(names, 1)
        b.job(f"j{j}", used=used, generated=made)
        for u in used:
            g.add_edge(ds(u).value, job(f"j{j}").value)
        g.add_edge(job(f"j{j}").value, ds(made[0]).value)
    b.project("p1", lead="c0", domain="transportation", uses=names[:5], produces=names[5:7])
    return b.store(), g, names


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("direction", ["up", "down", "both"])
@pytest.mark.parametrize("depth", [1, 2, 4, 10])
def test_lineage_matches_networkx(seed, direction, depth):
    store, g, names = random_region(seed)
    assert not nx.is_directed_acyclic_graph(g), "the test graph must contain cycles"
    root = ds(names[seed]).value
    result = lineage(store, root=root, direction=direction, depth=depth, cap=10_000)
    expected: dict[str, int] = {}
    if direction in ("up", "both"):
        for node, hops in nx.single_source_shortest_path_length(g.reverse(), root, depth).items():
            expected[node] = -hops
    if direction in ("down", "both"):
        for node, hops in nx.single_source_shortest_path_length(g, root, depth).items():
            expected.setdefault(node, hops)
    got = {n.id: n.depth for n in result.nodes}
    assert set(got) == set(expected)
    for node, hops in expected.items():
        assert abs(got[node]) == abs(hops)
    assert not result.partial
    raw = set(g.edges)
    for edge in result.edges:
        assert (edge.source, edge.target) in raw
        assert edge.source in got and edge.target in got
    # every edge between found nodes that the walk crossed within depth is reported
    if direction == "down":
        for u, v in raw:
            if u in got and v in got and got[u] < depth and got[v] == got[u] + 1:
                assert any(e.source == u and e.target == v for e in result.edges)


def test_projects_are_not_lineage_activities():
    store, _g, names = random_region(5)
    result = lineage(store, root=ds(names[0]).value, direction="down", depth=10, cap=10_000)
    assert all(n.type in ("dataset", "activity") for n in result.nodes)
    assert not any("/projects/" in n.id for n in result.nodes)


def test_cycle_is_safe_and_depths_are_shortest():
    b = RegionBuilder()
    for n in ("a/x", "a/y", "a/z"):
        b.dataset(n)
    b.derive("a/y", "a/x").derive("a/z", "a/y").derive("a/x", "a/z").derive("a/x", "a/x")
    result = lineage(b.store(), root=ds("a/x").value, direction="down", depth=50)
    depths = {n.id.rsplit("/", 1)[-1]: n.depth for n in result.nodes}
    assert depths == {"x": 0, "y": 1, "z": 2}
    kinds = {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]) for e in result.edges}
    assert ("z", "x") in kinds and ("x", "x") in kinds


def test_cap_marks_partial():
    b = RegionBuilder()
    b.dataset("a/root")
    for i in range(30):
        b.dataset(f"a/child{i}")
        b.derive(f"a/child{i}", "a/root")
    result = lineage(b.store(), root=ds("a/root").value, direction="down", depth=3, cap=10)
    assert result.partial
    assert len(result.nodes) == 10
    full = lineage(b.store(), root=ds("a/root").value, direction="down", depth=3, cap=100)
    assert not full.partial and len(full.nodes) == 31


def test_bad_arguments_are_refused():
    store = RegionBuilder().store()
    with pytest.raises(LineageError):
        lineage(store, root="not an iri", direction="up")
    with pytest.raises(LineageError):
        lineage(store, root=ds("a/x").value, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(LineageError):
        lineage(store, root=ds("a/x").value, depth=-1)
    with pytest.raises(LineageError, match="no such dataset"):
        lineage(store, root=ds("a/unknown").value)


def test_rollups_to_project_and_community():
    b = RegionBuilder()
    for n in ("a/raw", "b/clean", "c/model", "c/report"):
        b.dataset(n)
    b.derive("b/clean", "a/raw")
    b.job("etl", used=["b/clean"], generated=["c/model"], runner="c")
    b.derive("c/report", "c/model")
    b.project("collect", lead="a", domain="transportation", produces=["a/raw"])
    b.project("analyse", lead="c", domain="transportation", uses=["c/model"],
              produces=["c/report"])
    b.project("dash", lead="b", domain="transportation", uses=["c/report"])
    store = b.store()
    root = ds("a/raw").value
    community = lineage(store, root=root, direction="down", depth=10, level="community")
    pairs = {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]) for e in community.edges}
    assert ("a", "b") in pairs and ("b", "c") in pairs  # a's data reaches b, b's reaches c
    assert ("c", "b") in pairs  # project dash (led by b) uses c's report
    assert community.root.endswith("/communities/a")
    project = lineage(store, root=root, direction="down", depth=10, level="project")
    pairs = {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]) for e in project.edges}
    assert ("collect", "analyse") in pairs
    assert ("analyse", "dash") in pairs
    assert project.root.endswith("/projects/collect")
    assert {n.type for n in project.nodes} == {"project"}


def test_impact_matches_networkx_descendants():
    store, g, names = random_region(7)
    root = ds(names[3]).value
    result = impact(store, root=root, cap=10_000)
    expected = {n for n in nx.descendants(g, root) | {root} if "/datasets/" in n}
    assert {d.id for d in result.datasets} == expected
    users = {p.id for p in result.projects}
    if expected & {ds(n).value for n in names[:7]}:
        assert any(u.endswith("/projects/p1") for u in users)
    else:
        assert not users
    assert result.summary.startswith("Changing")


def test_impact_lists_projects_communities_and_governance():
    b = RegionBuilder()
    b.community("a")
    b.community("b")
    for n in ("a/raw", "b/derived"):
        b.dataset(n)
    b.derive("b/derived", "a/raw")
    b.project("p", lead="b", domain="transportation", uses=["b/derived"], participants=["a"])
    b.record("share-raw", datasets=["a/raw"], owner="a")
    b.record("for-p", datasets=[], scope="project", scope_projects=["p"], owner="b")
    b.record("agree", kind="agreement", datasets=["b/derived"], assigner="b", assignee=["a"])
    result = impact(b.store(), root=ds("a/raw").value)
    assert [d.id for d in result.datasets] == [ds("a/raw").value, ds("b/derived").value]
    assert [p.id.rsplit("/", 1)[-1] for p in result.projects] == ["p"]
    assert {c.id.rsplit("/", 1)[-1] for c in result.communities} == {"a", "b"}
    assert {g.id.rsplit("/", 1)[-1] for g in result.governance} == {"share-raw", "for-p", "agree"}
