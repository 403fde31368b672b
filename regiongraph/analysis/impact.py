"""Impact: what is affected if a dataset changes or goes away.

Everything downstream of the dataset (the lineage walk without a depth limit, still
capped), the projects that use or produce any of those datasets, the communities that
publish them or take part in those projects, and the approvals and agreements that
cover them (by dataset, by data category, or by being given for an affected project):
the people a planner must talk to before changing it.
"""

from __future__ import annotations

from collections import defaultdict

from regiongraph.analysis.lineage import (
    DEFAULT_CAP,
    LineageError,
    Visible,
    chunks,
    describe,
    values,
    walk,
)
from regiongraph.analysis.models import (
    ImpactDataset,
    ImpactGovernance,
    ImpactProject,
    ImpactResult,
    Ref,
)
from regiongraph.analysis.region import PREFIXES, local_name
from regiongraph.store import Store

UNBOUNDED = 1_000_000

PROJECTS = """SELECT ?d ?p ?lead ?member WHERE {
  VALUES ?d { %s }
  ?p a rg:Project . { ?p rg:usesDataset ?d } UNION { ?p rg:producesDataset ?d }
  OPTIONAL { ?p rg:leadCommunity ?lead }
  OPTIONAL { ?p rg:participant ?member }
}"""

GOVERNANCE_BY_DATASET = """SELECT ?g ?d ?type ?status ?until WHERE {
  VALUES ?d { %s }
  { ?g rg:coversDataset ?d } UNION { ?g odrl:permission/odrl:target ?d }
  UNION { ?g rg:coversCategory ?c .
          { ?d dcat:theme ?c } UNION { ?d rg:personalDataCategory ?c }
          UNION { ?d rg:personalData ?c }
          ?d dct:publisher ?owner . ?g rg:dataOwner ?owner }
  ?g a ?type . VALUES ?type { rg:Approval rg:DataSharingAgreement }
  OPTIONAL { ?g rg:status ?status } OPTIONAL { ?g rg:validUntil ?until }
}"""

GOVERNANCE_BY_PROJECT = """SELECT ?g ?d ?type ?status ?until WHERE {
  VALUES ?d { %s }
  ?g rg:scopeProject ?d .
  ?g a ?type . VALUES ?type { rg:Approval rg:DataSharingAgreement }
  OPTIONAL { ?g rg:status ?status } OPTIONAL { ?g rg:validUntil ?until }
}"""


def impact(
    store: Store, *, root: str, cap: int = 5 * DEFAULT_CAP, manual_graph: str | None = None,
    visible: Visible | None = None, include_governance: bool = True,
) -> ImpactResult:
    """Everything downstream of `root`, with the projects, communities and governance involved."""
    if visible is not None and root not in visible({root}):
        raise LineageError(f"no such dataset: {root}")
    distance, _edges, partial = walk(store, root, "down", UNBOUNDED, cap, manual_graph, visible)
    info = describe(store, list(distance))
    if len(distance) == 1 and not info.get(root):
        raise LineageError(f"no such dataset: {root}")
    datasets = {n: d for n, d in distance.items() if info.get(n, {}).get("type") == "dataset"}
    if root not in datasets:
        datasets[root] = 0
    projects: dict[str, set[str]] = defaultdict(set)
    leads: dict[str, str] = {}
    members: dict[str, set[str]] = defaultdict(set)
    for part in chunks(sorted(datasets)):
        for row in store.query(PREFIXES + PROJECTS % values(part), union_default_graph=True):
            project = row["p"].value
            projects[project].add(row["d"].value)
            if row["lead"] is not None:
                leads[project] = row["lead"].value
                members[project].add(row["lead"].value)
            if row["member"] is not None:
                members[project].add(row["member"].value)
    communities = {info.get(d, {}).get("community") for d in datasets} - {None}
    for project in projects:
        communities |= members[project]
    governance: dict[str, dict] = {}
    searches = ((GOVERNANCE_BY_DATASET, sorted(datasets)),
                (GOVERNANCE_BY_PROJECT, sorted(projects))) if include_governance else ()
    for template, keys in searches:
        for part in chunks(keys):
            for row in store.query(PREFIXES + template % values(part), union_default_graph=True):
                entry = governance.setdefault(row["g"].value, {
                    "type": local_name(row["type"].value), "covers": set(),
                    "status": row["status"].value if row["status"] else None,
                    "until": row["until"].value if row["until"] else None,
                })
                entry["covers"].add(row["d"].value)
    names = describe(store, sorted(set(projects) | communities | set(governance)))

    def label(iri: str) -> str:
        return names.get(iri, {}).get("label") or info.get(iri, {}).get("label") or local_name(iri)

    result = ImpactResult(
        root=root,
        datasets=[ImpactDataset(id=d, label=label(d), depth=hops,
                                community=info.get(d, {}).get("community"))
                  for d, hops in sorted(datasets.items(), key=lambda i: (i[1], i[0]))],
        projects=[ImpactProject(id=p, label=label(p), via=sorted(v), lead=leads.get(p))
                  for p, v in sorted(projects.items())],
        communities=[Ref(id=c, label=label(c)) for c in sorted(communities)],
        governance=[ImpactGovernance(id=g, label=label(g), type=e["type"],
                                     status=local_name(e["status"]) or None,
                                     valid_until=e["until"], covers=sorted(e["covers"]))
                    for g, e in sorted(governance.items())],
        partial=partial, summary="",
    )
    downstream = len(result.datasets) - 1
    result.summary = (
        f"Changing {label(root)} reaches {downstream} downstream dataset"
        f"{'s' if downstream != 1 else ''}, {len(result.projects)} project"
        f"{'s' if len(result.projects) != 1 else ''} and {len(result.communities)} "
        f"communit{'ies' if len(result.communities) != 1 else 'y'}"
        + (f"; {len(result.governance)} approval(s) or agreement(s) cover the data involved"
           if include_governance else "")
        + (" (partial: the node cap was reached)." if partial else ".")
    )
    return result
