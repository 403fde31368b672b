"""Network measures of the region, each with a sentence a planner can act on.

Two graphs are built from the region snapshot with networkx (imported here, never at
the top of a CLI module, so `--help` stays fast):

- the dataset lineage graph: datasets, with jobs contracted away (an input of a job is
  linked to each of its outputs); directed, upstream to downstream;
- the community sharing network: communities linked when data flows between them
  (lineage or a project's use of another's data) or a data-sharing agreement joins them;
  undirected, weighted by the number of such links. Every community is a node, so a
  community that shares nothing shows up as its own component.

Measures: betweenness centrality (how many shortest paths run through a node: a broker
whose outage or change reaches far), articulation points (nodes whose removal splits
the network: single points of failure), bridges (the only link between two parts) and
connected components of the community network. Betweenness on large lineage graphs is
estimated from a fixed sample of sources (seeded, so answers are repeatable).
"""

from __future__ import annotations

from collections import defaultdict

from regiongraph.analysis.models import (
    BridgeFinding,
    ComponentFinding,
    Finding,
    NetworkResult,
    Ref,
)
from regiongraph.analysis.region import Region

EXACT_LIMIT = 2000
SAMPLE = 200


def dataset_graph(region: Region, visible: set[str] | None = None):
    import networkx as nx

    g = nx.DiGraph()
    ok = (lambda d: d in region.datasets and (visible is None or d in visible))
    used_by: dict[str, set[str]] = defaultdict(set)
    made_by: dict[str, set[str]] = defaultdict(set)
    for up, down, kind in region.edges:
        if kind == "derivation" and ok(up) and ok(down):
            g.add_edge(up, down)
        elif kind == "used":
            used_by[down].add(up)
        elif kind == "generated":
            made_by[up].add(down)
    for activity, inputs in used_by.items():
        for up in inputs:
            for down in made_by.get(activity, ()):
                if ok(up) and ok(down) and up != down:
                    g.add_edge(up, down)
    return g


def community_graph(region: Region, visible: set[str] | None = None):
    import networkx as nx

    from regiongraph.analysis.governance import cross_community_flows

    g = nx.Graph()
    g.add_nodes_from(region.communities)
    for flow in cross_community_flows(region):
        if visible is not None and (flow.dataset not in visible or (
                flow.target not in visible and flow.target not in region.projects)):
            continue  # a hidden dataset or a job at either end: not for anonymous eyes
        if flow.owner in region.communities and flow.receiver in region.communities:
            weight = g.get_edge_data(flow.owner, flow.receiver, {}).get("weight", 0)
            g.add_edge(flow.owner, flow.receiver, weight=weight + 1)
    # Agreements are never public: an anonymous view (visible given) links by data only.
    for record in region.governance.values() if visible is None else ():
        if record.type != "agreement":
            continue
        for a in record.assigners:
            for b in record.assignees:
                if a != b and a in region.communities and b in region.communities:
                    weight = g.get_edge_data(a, b, {}).get("weight", 0)
                    g.add_edge(a, b, weight=weight + 1)
    return g


def network(region: Region, *, top: int = 10, visible: set[str] | None = None) -> NetworkResult:
    import networkx as nx

    lineage = dataset_graph(region, visible)
    communities = community_graph(region, visible)
    label = region.label
    # An anonymous view counts public data only, and every sentence says so: "shares no
    # data" must not contradict what a steward (or the CLI) sees of the same community.
    public = visible is not None
    data = "public data" if public else "data"

    dataset_findings: list[Finding] = []
    if lineage.number_of_edges():
        k = None if lineage.number_of_nodes() <= EXACT_LIMIT else SAMPLE
        between = nx.betweenness_centrality(lineage, k=k, seed=7, normalized=True)
        ranked = sorted((v, n) for n, v in between.items() if v > 0)
        for value, node in sorted(ranked, key=lambda i: (-i[0], i[1]))[:top]:
            down = len(nx.descendants(lineage, node))
            up = len(nx.ancestors(lineage, node))
            dataset_findings.append(Finding(
                id=node, label=label(node), value=round(value, 4),
                sentence=(f"{label(node)} ({label(region.datasets[node].publisher)}) "
                          f"brokers lineage: it draws on {up} upstream dataset(s) and feeds "
                          f"{down} downstream; a change or outage here travels far, so give "
                          "it an owner and a change notice."),
            ))

    community_findings: list[Finding] = []
    if communities.number_of_edges():
        between = nx.betweenness_centrality(communities, normalized=True)
        for node in sorted(communities, key=lambda n: (-communities.degree(n), n))[:top]:
            degree = communities.degree(node)
            if degree == 0:
                continue
            community_findings.append(Finding(
                id=node, label=label(node), value=round(between.get(node, 0.0), 4),
                sentence=(f"{label(node)} exchanges {data} with {degree} other "
                          f"communit{'ies' if degree != 1 else 'y'}"
                          + (f" and lies on {between[node]:.0%} of the shortest paths between "
                             "others: a natural hub for shared standards and agreements."
                             if between.get(node, 0) > 0 else ".")),
            ))

    points: list[Finding] = []
    for node in sorted(nx.articulation_points(communities)):
        rest = communities.copy()
        rest.remove_node(node)
        parts = nx.number_connected_components(rest.subgraph(
            [n for n in rest if communities.degree(n) > 0]))
        points.append(Finding(
            id=node, label=label(node), sentence=(
                f"If {label(node)} stopped sharing {data}, the sharing network would fall into "
                f"{parts} separate parts: it is a single point of failure between them.")))
    undirected = lineage.to_undirected()
    lineage_points = sorted(nx.articulation_points(undirected),
                            key=lambda n: (-undirected.degree(n), n))
    for node in lineage_points[:top]:
        points.append(Finding(
            id=node, label=label(node), value=float(undirected.degree(node)), sentence=(
                f"{label(node)} is the only lineage link between datasets on either side "
                f"({undirected.degree(node)} direct links): if it is withdrawn or wrong, "
                "those parts of the lineage lose each other.")))

    bridges: list[BridgeFinding] = []
    for a, b in sorted(tuple(sorted(e)) for e in nx.bridges(communities)):
        bridges.append(BridgeFinding(
            source=a, target=b, source_label=label(a), target_label=label(b), sentence=(
                f"The link between {label(a)} and {label(b)} is the only path between their "
                "parts of the sharing network: an agreement lapsing here cuts them off.")))
    cross = [
        tuple(sorted(e)) for e in nx.bridges(undirected)
        if region.datasets[e[0]].publisher != region.datasets[e[1]].publisher
    ]
    for a, b in sorted(cross)[:top]:
        bridges.append(BridgeFinding(
            source=a, target=b, source_label=label(a), target_label=label(b), sentence=(
                f"The lineage between {label(a)} and {label(b)} is the only link across "
                "these communities' data: document and approve it first.")))

    components: list[ComponentFinding] = []
    for members in sorted(nx.connected_components(communities),
                          key=lambda c: (-len(c), min(c))):
        refs = [Ref(id=m, label=label(m)) for m in sorted(members)]
        if len(members) == 1 and public:
            sentence = (f"{refs[0].label} shares no public data with any other community; "
                        "anything else it shares only stewards see.")
        elif len(members) == 1:
            sentence = (f"{refs[0].label} shares no data with any other community: a "
                        "candidate for outreach, or a gap in the registry.")
        else:
            sentence = (f"These {len(members)} communities are connected by "
                        + ("public data flows" if public else "data flows or agreements")
                        + "; work started with one can reach the others.")
        components.append(ComponentFinding(members=refs, sentence=sentence))

    linked = sum(1 for c in components if len(c.members) > 1)
    isolated = sum(1 for c in components if len(c.members) == 1)
    scope = "public " if public else ""
    summary = (f"{lineage.number_of_nodes()} {scope}datasets in {lineage.number_of_edges()} "
               f"{scope}lineage links; {communities.number_of_nodes()} communities in {linked} "
               f"connected group(s) and {isolated} isolated{' publicly' if public else ''}; "
               f"{sum(1 for p in points if p.id in region.communities)} community and "
               f"{len(lineage_points)} dataset single point(s) of failure.")
    return NetworkResult(dataset_centrality=dataset_findings,
                         community_centrality=community_findings,
                         articulation_points=points, bridges=bridges, components=components,
                         summary=summary)
