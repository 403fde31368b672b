"""The region at a glance, for the dashboard: counts, validation violations, flows."""

from __future__ import annotations

from collections import Counter

from regiongraph.analysis.models import CommunityCount, RegionSummary
from regiongraph.analysis.region import Region, local_name, rows
from regiongraph.store import Store


def violations(store: Store) -> int | None:
    """sh:Violation results of the current validation report; None when none exists yet.

    Each run also keeps its own report graph (history, and a re-validation's holds only
    what it re-checked), so only the current report, the one with a `dct:source` run,
    is counted (see `regiongraph.rules.reports`).
    """
    found = rows(store, """SELECT (COUNT(?r) AS ?n) WHERE { GRAPH ?g {
        ?report a sh:ValidationReport ; dct:source ?run .
        OPTIONAL { ?report sh:result ?r . ?r sh:resultSeverity sh:Violation } } }
        GROUP BY ?report""")
    return int(found[0][0] or 0) if found else None


QUALITY_FIELDS = {
    "description": "dct:description", "license": "dct:license", "keywords": "dcat:keyword",
    "contact point": "dcat:contactPoint", "modified date": "dct:modified",
    "distribution": "dcat:distribution", "conforms to a standard": "dct:conformsTo",
}


def quality(store: Store, datasets: set[str]) -> dict[str, float]:
    """For each recommended field, the share of `datasets` that have it."""
    if not datasets:
        return {}
    out = {}
    for name, predicate in QUALITY_FIELDS.items():
        having = {d for (d,) in rows(store, f"SELECT DISTINCT ?d WHERE {{ ?d {predicate} ?x }}")}
        out[name] = round(len(having & datasets) / len(datasets), 3)
    return out


def lineage_links(region: Region, visible: set[str] | None = None) -> int:
    """Dataset-to-dataset lineage links, jobs contracted away: what "lineage links" means on
    every page and in `regiongraph network` (one definition: the network's dataset graph)."""
    from regiongraph.analysis.network import dataset_graph

    return dataset_graph(region, visible).number_of_edges()


def region_summary(store: Store, region: Region, *, visible: set[str] | None = None
                   ) -> RegionSummary:
    datasets = [d for d in region.datasets.values() if visible is None or d.iri in visible]
    public = sum(1 for d in datasets if any(local_name(a) == "public" for a in d.access))
    per_community = Counter(d.publisher for d in datasets if d.publisher)
    phases = Counter(local_name(p.phase) or "unknown" for p in region.projects.values())
    edges = lineage_links(region, visible)
    return RegionSummary(
        communities=len(region.communities), partners=len(region.partners),
        projects=len(region.projects), datasets=len(datasets), public_datasets=public,
        lineage_edges=edges, standards=len(region.standards),
        approvals=None if visible is not None else
        sum(1 for g in region.governance.values() if g.type == "approval"),
        agreements=None if visible is not None else
        sum(1 for g in region.governance.values() if g.type == "agreement"),
        violations=violations(store),
        quality=quality(store, {d.iri for d in datasets}),
        datasets_by_community=[
            CommunityCount(community=c, label=region.label(c), datasets=n)
            for c, n in sorted(per_community.items(), key=lambda i: (-i[1], i[0]))
        ],
        projects_by_phase=dict(sorted(phases.items(), key=lambda i: region.phase_rank(
            "https://w3id.org/regiongraph/concepts/phase/" + i[0]) or 99)),
    )
