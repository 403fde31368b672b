"""Lineage: where a dataset comes from (up), what is made from it (down), or both.

The lineage graph has datasets and the jobs/runs that made them (prov:Activity, not
projects) as nodes, and edges pointing downstream, from what was read to what was made:

- `B prov:wasDerivedFrom A`       → A → B, kind `derivation` (`manual` when a steward
  recorded it in the manual graph);
- `J prov:used A`                 → A → J, kind `used`;
- `J prov:generated B` (or `B prov:wasGeneratedBy J`) → J → B, kind `generated`.

The walk is breadth-first and asks the store one question per level with the whole
frontier in VALUES, so its cost follows the size of the answer rather than the size of
the region (a depth-10 walk is ten small queries however many datasets exist). A visited
set makes cycles harmless; a node cap stops a walk that would flood a page and marks
the result `partial`. `depth` counts edges from the root.

Roll-ups contract the dataset-level answer: at `project` level the nodes are the projects
that produce or use the datasets found, at `community` level the communities that
publish them (or run the jobs, or lead the projects); two groups are linked when data
flows from one to the other through nodes that belong to no group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from pyoxigraph import NamedNode

from regiongraph.analysis.models import Direction, Level, LineageEdge, LineageNode, LineageResult
from regiongraph.analysis.region import PREFIXES, local_name
from regiongraph.errors import RegiongraphError
from regiongraph.store import Store

DEFAULT_CAP = 500
CHUNK = 400

Visible = Callable[[set[str]], set[str]]
"""Given node IRIs, return those the asker may see (anonymous users: public datasets)."""


class LineageError(RegiongraphError):
    """The lineage request cannot be answered (unknown node, bad argument)."""


def values(iris: Iterable[str]) -> str:
    """IRIs as a VALUES body. Each goes through NamedNode, which refuses anything that is
    not a valid IRI, so no text from a request can change the query's shape."""
    return " ".join(str(NamedNode(i)) for i in iris)


def chunks(items: list[str], size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# Every pattern names its graph: the manual graph must be told apart, and a remote store
# given an explicit default graph may expose no named graphs, so these run without the
# union default graph and read the named graphs directly.
STEP_UP = """SELECT DISTINCT ?node ?next ?kind ?g WHERE {
  VALUES ?node { %s }
  { GRAPH ?g { ?node prov:wasDerivedFrom ?next } BIND("derivation" AS ?kind) }
  UNION { GRAPH ?g { ?node prov:wasGeneratedBy ?next } BIND("generated" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?next a rg:Project } } }
  UNION { GRAPH ?g { ?next prov:generated ?node } BIND("generated" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?next a rg:Project } } }
  UNION { GRAPH ?g { ?node prov:used ?next } BIND("used" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?node a rg:Project } } }
}"""

STEP_DOWN = """SELECT DISTINCT ?node ?next ?kind ?g WHERE {
  VALUES ?node { %s }
  { GRAPH ?g { ?next prov:wasDerivedFrom ?node } BIND("derivation" AS ?kind) }
  UNION { GRAPH ?g { ?next prov:used ?node } BIND("used" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?next a rg:Project } } }
  UNION { GRAPH ?g { ?node prov:generated ?next } BIND("generated" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?node a rg:Project } } }
  UNION { GRAPH ?g { ?next prov:wasGeneratedBy ?node } BIND("generated" AS ?kind)
          FILTER NOT EXISTS { GRAPH ?t { ?node a rg:Project } } }
}"""


def step(store: Store, frontier: list[str], direction: str, manual_graph: str | None):
    """One level of the walk: (node, next, kind) for every edge leaving the frontier."""
    template = STEP_UP if direction == "up" else STEP_DOWN
    found: dict[tuple[str, str], str] = {}
    for part in chunks(frontier):
        result = store.query(PREFIXES + template % values(part))
        for row in result:
            node, nxt, kind, graph = (row[v] for v in ("node", "next", "kind", "g"))
            if not isinstance(nxt, NamedNode):
                continue
            kind_text = kind.value
            if kind_text == "derivation" and manual_graph and graph is not None \
                    and graph.value == manual_graph:
                kind_text = "manual"
            key = (node.value, nxt.value)
            if found.get(key) != "manual":
                found[key] = kind_text
    return [(node, nxt, kind) for (node, nxt), kind in found.items()]


def walk(
    store: Store, root: str, direction: str, depth: int, cap: int,
    manual_graph: str | None, visible: Visible | None,
) -> tuple[dict[str, int], list[tuple[str, str, str]], bool]:
    """Breadth-first in one direction: ({node: hops}, edges upstream→downstream, partial)."""
    distance = {root: 0}
    edges: dict[tuple[str, str], str] = {}
    frontier = [root]
    partial = False
    for level in range(1, depth + 1):
        if not frontier:
            break
        found = step(store, frontier, direction, manual_graph)
        if visible is not None:
            allowed = visible({nxt for _, nxt, _ in found})
            found = [f for f in found if f[1] in allowed]
        next_frontier = []
        for node, nxt, kind in found:
            if nxt not in distance:
                if len(distance) >= cap:
                    partial = True
                    continue
                distance[nxt] = level
                next_frontier.append(nxt)
            up, down = (nxt, node) if direction == "up" else (node, nxt)
            edges.setdefault((up, down), kind)
        frontier = next_frontier
    return distance, [(u, d, k) for (u, d), k in edges.items()], partial


def lineage(
    store: Store, *, root: str, direction: Direction = "both", depth: int = 3,
    level: Level = "dataset", cap: int = DEFAULT_CAP, manual_graph: str | None = None,
    visible: Visible | None = None,
) -> LineageResult:
    """The lineage of `root` within `depth` hops, at dataset, project or community level."""
    if direction not in ("up", "down", "both"):
        raise LineageError(f"direction must be up, down or both, not {direction!r}")
    if level not in ("dataset", "project", "community"):
        raise LineageError(f"level must be dataset, project or community, not {level!r}")
    if depth < 0:
        raise LineageError(f"depth must be 0 or more, not {depth}")
    if cap < 1:
        raise LineageError(f"the node cap must be at least 1, not {cap}")
    try:
        NamedNode(root)
    except ValueError:
        raise LineageError(f"not an IRI: {root!r}") from None
    if visible is not None and root not in visible({root}):
        raise LineageError(f"no such dataset: {root}")

    depths: dict[str, int] = {root: 0}
    edges: dict[tuple[str, str], str] = {}
    partial = False
    for way in (("up", "down") if direction == "both" else (direction,)):
        # In `both`, each direction gets its share of the cap (the root counts once).
        share = cap if direction != "both" else max(1, (cap + 1) // 2)
        found, found_edges, cut = walk(store, root, way, depth, share, manual_graph, visible)
        partial = partial or cut
        sign = -1 if way == "up" else 1
        for node, hops in found.items():
            if node not in depths:
                depths[node] = sign * hops
        for up, down, kind in found_edges:
            edges.setdefault((up, down), kind)
    info = describe(store, list(depths))
    if not edges and "type" not in info.get(root, {}) and "label" not in info.get(root, {}):
        raise LineageError(f"no such dataset: {root}")
    nodes = [
        LineageNode(id=n, label=info.get(n, {}).get("label") or local_name(n),
                    type=info.get(n, {}).get("type", "other"), depth=d,
                    community=info.get(n, {}).get("community"))
        for n, d in sorted(depths.items(), key=lambda item: (abs(item[1]), item[0]))
    ]
    result = LineageResult(
        root=root, direction=direction, depth=depth, level="dataset", cap=cap, partial=partial,
        nodes=nodes,
        edges=[LineageEdge(source=u, target=d, kind=k) for (u, d), k in sorted(edges.items())],
    )
    if level != "dataset":
        result = rollup(store, result, level)
    return result


DESCRIBE = """SELECT ?n ?type ?label ?community WHERE {
  VALUES ?n { %s }
  OPTIONAL { ?n a ?type . VALUES ?type { dcat:Dataset rg:Project prov:Activity rg:Job
             rg:Community rg:City rg:County rg:TribalNation rg:StateAgency
             rg:TransitAgency rg:SpecialDistrict rg:Partner dct:Standard } }
  OPTIONAL { ?n dct:title|rdfs:label|skos:prefLabel|foaf:name ?label }
  OPTIONAL { ?n dct:publisher|rg:runBy|rg:leadCommunity ?community }
}"""

TYPE_NAMES = {
    "http://www.w3.org/ns/dcat#Dataset": "dataset",
    "https://w3id.org/regiongraph/ns#Project": "project",
    "http://www.w3.org/ns/prov#Activity": "activity",
    "https://w3id.org/regiongraph/ns#Job": "activity",
    "https://w3id.org/regiongraph/ns#Partner": "partner",
    "http://purl.org/dc/terms/Standard": "standard",
}
TYPE_RANK = ["project", "dataset", "activity", "community", "partner", "standard", "other"]


def describe(store: Store, iris: list[str]) -> dict[str, dict[str, str]]:
    """Label, type and owning community of each IRI (one query per few hundred IRIs)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for part in chunks(sorted(set(iris))):
        for row in store.query(PREFIXES + DESCRIBE % values(part), union_default_graph=True):
            iri = row["n"].value
            entry = out[iri]
            if row["type"] is not None:
                name = TYPE_NAMES.get(row["type"].value, "community")
                current = entry.get("type", "other")
                if TYPE_RANK.index(name) < TYPE_RANK.index(current):
                    entry["type"] = name
            if row["label"] is not None and "label" not in entry:
                entry["label"] = row["label"].value
            if row["community"] is not None and "community" not in entry:
                entry["community"] = row["community"].value
    return out


PROJECT_LINKS = """SELECT ?d ?p ?kind WHERE {
  VALUES ?d { %s }
  { ?p rg:usesDataset ?d . BIND("used-by-project" AS ?kind) }
  UNION { ?p rg:producesDataset ?d . BIND("produced-by-project" AS ?kind) }
}"""


def rollup(store: Store, result: LineageResult, level: Level) -> LineageResult:
    """Contract a dataset-level answer to projects or communities (see the module doc)."""
    node_ids = [n.id for n in result.nodes]
    succ: dict[str, set[str]] = defaultdict(set)
    for e in result.edges:
        succ[e.source].add(e.target)
    groups: dict[str, set[str]] = defaultdict(set)
    info = {n.id: n for n in result.nodes}
    project_links: list[tuple[str, str, str]] = []
    for part in chunks(node_ids):
        for row in store.query(PREFIXES + PROJECT_LINKS % values(part), union_default_graph=True):
            project_links.append((row["d"].value, row["p"].value, row["kind"].value))
    projects = sorted({p for _, p, _ in project_links})
    extra = describe(store, projects) if projects else {}
    if level == "project":
        for dataset, project, kind in project_links:
            if kind == "produced-by-project":
                groups[dataset].add(project)
            else:
                succ[dataset].add(project)
                groups[project].add(project)
        for project in projects:
            groups[project].add(project)
    else:
        for node in result.nodes:
            if node.community:
                groups[node.id].add(node.community)
        for dataset, project, kind in project_links:
            lead = extra.get(project, {}).get("community")
            if kind == "used-by-project" and lead:
                succ[dataset].add(project)
                groups[project].add(lead)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for start in list(groups):
        for end in reachable_groups(start, succ, groups):
            for g1 in groups[start]:
                for g2 in groups[end]:
                    if g1 != g2:
                        weights[(g1, g2)] += 1
    members = sorted({g for gs in groups.values() for g in gs})
    labels = describe(store, members) if members else {}
    root_groups = sorted(groups.get(result.root, set()))
    root_id = root_groups[0] if root_groups else result.root
    nodes = [
        LineageNode(id=g, label=labels.get(g, {}).get("label") or local_name(g),
                    type="project" if level == "project" else "community")
        for g in members
    ]
    if root_id not in members:
        root_node = info.get(result.root)
        nodes.insert(0, LineageNode(id=root_id, label=root_node.label if root_node else root_id,
                                    type=root_node.type if root_node else "other", depth=0))
    for node in nodes:
        if node.id == root_id:
            node.depth = 0
    edges = [LineageEdge(source=a, target=b, kind="rollup", weight=w)
             for (a, b), w in sorted(weights.items())]
    return result.model_copy(update={"root": root_id, "level": level, "nodes": nodes,
                                     "edges": edges})


def reachable_groups(start: str, succ: dict[str, set[str]], groups: dict[str, set[str]]):
    """Grouped nodes reachable from `start` through ungrouped nodes only."""
    seen = {start}
    stack = list(succ.get(start, ()))
    found = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if groups.get(node):
            found.add(node)
            continue
        stack.extend(succ.get(node, ()))
    return found


def neighbours(store: Store, *, node: str, manual_graph: str | None = None,
               visible: Visible | None = None) -> LineageResult:
    """One hop both ways: what the explorer asks when a node is clicked."""
    return lineage(store, root=node, direction="both", depth=1, manual_graph=manual_graph,
                   visible=visible)
