"""The JSON forms of every planning analysis, shared by the kernel, the CLI and the API.

One pydantic model per answer, so `regiongraph lineage --format json` and
`GET /lineage/{id}` can never drift apart: both serialise the same object. Every field
holds plain strings, numbers and lists (IRIs as strings) so the models round-trip
through JSON unchanged.
"""

from typing import Literal

from pydantic import BaseModel, Field

Direction = Literal["up", "down", "both"]
Level = Literal["dataset", "project", "community"]


# --- lineage ------------------------------------------------------------------------------


class LineageNode(BaseModel):
    id: str
    label: str
    type: str
    """dataset, activity, project, community (or `other` for anything else)."""
    depth: int | None = None
    """Hops from the root (negative upstream, positive downstream, 0 the root)."""
    community: str | None = None


class LineageEdge(BaseModel):
    source: str
    """Upstream end: data flows from `source` to `target`."""
    target: str
    kind: str
    """derivation, manual, used, generated, used-by-project, produced-by-project, rollup."""
    weight: int = 1
    """At roll-up levels: how many dataset-level paths the edge stands for."""


class LineageResult(BaseModel):
    root: str
    direction: Direction
    depth: int
    level: Level = "dataset"
    nodes: list[LineageNode] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)
    partial: bool = False
    """True when the node cap stopped the walk before `depth` was reached everywhere."""
    cap: int


# --- impact -------------------------------------------------------------------------------


class Ref(BaseModel):
    """Something named: its IRI and a label a person can read."""

    id: str
    label: str


class ImpactDataset(Ref):
    depth: int
    community: str | None = None


class ImpactProject(Ref):
    via: list[str]
    """The affected datasets this project uses or produces."""
    lead: str | None = None


class ImpactGovernance(Ref):
    type: str
    status: str | None = None
    valid_until: str | None = None
    covers: list[str]


class ImpactResult(BaseModel):
    root: str
    datasets: list[ImpactDataset]
    projects: list[ImpactProject]
    communities: list[Ref]
    governance: list[ImpactGovernance]
    partial: bool = False
    summary: str


# --- manual edges -------------------------------------------------------------------------


class ManualEdgeIn(BaseModel):
    """A lineage edge a steward records by hand: `target` was derived from `source`."""

    source: str
    target: str
    reason: str = Field(min_length=1, max_length=2000)
    agent: str = Field(min_length=1, max_length=300)
    """Who records it: an agent IRI from the registry, or a name."""


class ManualEdge(BaseModel):
    id: str
    source: str
    target: str
    reason: str
    agent: str
    recorded_at: str
    deleted_at: str | None = None
    deleted_by: str | None = None
    deletion_reason: str | None = None


# --- reuse --------------------------------------------------------------------------------


class Reason(BaseModel):
    kind: str
    """domain, standard, keywords, spatial, used-elsewhere, endorsed."""
    text: str
    evidence: list[str] = Field(default_factory=list)
    """IRIs (or keywords) the reason rests on."""
    points: float
    overlap: float | None = None
    """For "spatial": the overlap of the dataset's coverage with the project's area, 0..1
    (`regiongraph.geo.functions.overlap`)."""


class ReuseItem(BaseModel):
    dataset: str
    dataset_label: str
    publisher: str | None
    publisher_label: str | None = None
    for_community: str | None
    for_community_label: str | None = None
    for_project: str
    for_project_label: str
    score: float
    reasons: list[Reason]


class NearDuplicateGroup(BaseModel):
    datasets: list[Ref]
    communities: list[str]
    similarity: float
    shared_terms: list[str]
    suggested_standards: list[Ref]
    sentence: str


class ReuseResult(BaseModel):
    items: list[ReuseItem]
    near_duplicates: list[NearDuplicateGroup] = Field(default_factory=list)
    community: str | None = None


# --- standards ----------------------------------------------------------------------------


class CommunityCount(BaseModel):
    community: str
    label: str
    datasets: int
    examples: list[str] = Field(default_factory=list)


class StandardAdoption(BaseModel):
    standard: str
    label: str
    domains: list[str]
    adopters: list[CommunityCount]
    gaps: list[CommunityCount]
    """Communities publishing data in the standard's domains without conforming to it."""
    sentence: str


class StandardsResult(BaseModel):
    standards: list[StandardAdoption]


# --- governance ---------------------------------------------------------------------------


class CoveringRecord(BaseModel):
    id: str
    label: str
    type: str
    valid_until: str | None = None


class GovernanceEdge(BaseModel):
    kind: str
    """lineage (data derived across community lines) or usage (a project uses another's data)."""
    source: str
    """The dataset whose owner's data crosses the line."""
    source_label: str
    target: str
    """The downstream dataset, activity or project."""
    target_label: str
    from_community: str | None
    to_community: str | None
    covered: bool
    covered_by: list[CoveringRecord]
    notes: list[str] = Field(default_factory=list)
    """Why nothing covers it: records that exist but are expired, revoked, out of scope..."""


class ExpiringApproval(BaseModel):
    id: str
    label: str
    type: str
    valid_until: str
    days_left: int
    projects: list[Ref]
    datasets: list[str]


class GovernanceResult(BaseModel):
    on: str
    """The day the coverage was judged for (ISO date)."""
    edges: list[GovernanceEdge]
    covered: int
    uncovered: int
    expiring: list[ExpiringApproval]
    lapse: str | None = None
    newly_uncovered: list[GovernanceEdge] = Field(default_factory=list)
    """With --lapse: the edges that only the lapsed record covered."""


# --- engagement and capabilities ----------------------------------------------------------


class EngagementItem(BaseModel):
    project: str
    label: str
    phase: str | None
    first_engaged_phase: str | None
    leaders: list[str]
    status: Literal["late", "none"]
    sentence: str


class CapabilityItem(BaseModel):
    need: str
    project: str
    project_label: str
    kind: str | None
    domain: str | None
    status: Literal["met", "available", "gap"]
    offers: list[Ref]
    """Met: the offers assigned (rg:metBy); available: offers of the same kind and domain."""


class EngagementResult(BaseModel):
    engagement: list[EngagementItem]
    capabilities: list[CapabilityItem]
    gaps: int


# --- network ------------------------------------------------------------------------------


class Finding(BaseModel):
    id: str
    label: str
    value: float | None = None
    sentence: str


class BridgeFinding(BaseModel):
    source: str
    target: str
    source_label: str
    target_label: str
    sentence: str


class ComponentFinding(BaseModel):
    members: list[Ref]
    sentence: str


class NetworkResult(BaseModel):
    dataset_centrality: list[Finding]
    community_centrality: list[Finding]
    articulation_points: list[Finding]
    """Datasets and communities whose loss splits the lineage or sharing network."""
    bridges: list[BridgeFinding]
    components: list[ComponentFinding]
    summary: str


# --- dashboard ----------------------------------------------------------------------------


class RegionSummary(BaseModel):
    communities: int
    partners: int
    projects: int
    datasets: int
    public_datasets: int
    lineage_edges: int
    """Dataset-to-dataset lineage links (jobs contracted), as `network` counts them."""
    standards: int
    approvals: int | None
    """None for anonymous users: approvals and agreements are never public."""
    agreements: int | None
    violations: int | None
    """Violations in the current report (the API counts, for anonymous users, those about
    public data, as `/reports/latest` shows them); None when no report exists yet."""
    quality: dict[str, float] = Field(default_factory=dict)
    """Share (0-1) of the datasets shown that have each recommended DCAT field."""
    datasets_by_community: list[CommunityCount]
    projects_by_phase: dict[str, int]
