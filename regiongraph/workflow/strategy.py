"""A project's data strategy, drafted from its data needs and THE governance rule.

The flows are the governance analysis' own (`analysis.governance.cross_community_flows`)
and whether each is covered is its judgement (`judge_flows`, the rule shape R3 is held
equal to): the strategy never decides coverage by itself. What it adds is what would
allow an uncovered flow, from the dataset's access level and personal data:

- open data (public, no personal data): a publication approval by the owner's executive;
- personal, restricted or confidential data: a data-sharing agreement between the owner
  and the project's lead community (rule R2 asks for exactly that);
- anything else (internal data): an approval to use it, scope this project.
"""

import datetime as dt
from dataclasses import dataclass, field

from regiongraph.analysis.cache import cached_region
from regiongraph.analysis.governance import (
    Flow,
    RecordIndex,
    cross_community_flows,
    judge_flows,
)
from regiongraph.analysis.region import local_name
from regiongraph.change import VersionedCache
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import records
from regiongraph.workflow.model import NotFound

SENSITIVE_ACCESS = {"restricted", "confidential"}


@dataclass
class Piece:
    """One flow of the strategy."""

    dataset: str
    dataset_label: str
    owner: str | None
    receiver: str | None
    access: list[str]
    personal_data: list[str]
    covered: bool
    covered_by: list[dict] = field(default_factory=list)
    """[{id, type, valid_until}] of the records in force that allow it."""
    missing: str | None = None
    """What would allow it: "publication", "agreement" or "approval" (use, scope project)."""
    requests: list[str] = field(default_factory=list)
    """Requests already made for this piece."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def missing_piece(access: set[str], personal: set[str]) -> str:
    levels = {local_name(a) for a in access}
    if personal or levels & SENSITIVE_ACCESS:
        return "agreement"
    if levels == {"public"}:
        return "publication"
    return "approval"


def _flows_by_project(store: Store, settings: Settings
                      ) -> tuple[dict[str, list[Flow]], RecordIndex]:
    """The governance analysis' flows of the region, by the project that uses the data,
    and its index of the records that could cover them."""
    region = cached_region(store, settings)
    found: dict[str, list[Flow]] = {}
    for flow in cross_community_flows(region):
        if flow.project is not None:
            found.setdefault(flow.project, []).append(flow)
    return found, RecordIndex(region)


# Kept like the region snapshot: until the store version or the day moves.
_flows: VersionedCache[tuple[dict[str, list[Flow]], RecordIndex]] = VersionedCache(
    _flows_by_project)


def draft(store: Store, settings: Settings, project: str, *,
          today: dt.date | None = None) -> list[Piece]:
    """The project's strategy on `today`: one piece per dataset it needs from another
    community, covered or with what is missing."""
    region = cached_region(store, settings)
    if project not in region.projects:
        raise NotFound(f"no project {project}")
    by_project, index = _flows.get(store, settings)
    flows = by_project.get(project, [])
    open_requests: dict[str, list[str]] = {}
    for request in records.read_requests(store, settings, f"?r rg:forProject <{project}> ."):
        if request.kind != "engagement" and request.state not in ("rejected", "revoked"):
            for dataset in request.datasets:
                open_requests.setdefault(dataset, []).append(request.iri)
    pieces = []
    for edge in judge_flows(region, flows, today or dt.date.today(), index):
        dataset = region.datasets.get(edge.source)
        access = dataset.access if dataset else set()
        personal = dataset.personal if dataset else set()
        pieces.append(Piece(
            dataset=edge.source, dataset_label=edge.source_label, owner=edge.from_community,
            receiver=edge.to_community, access=sorted(access), personal_data=sorted(personal),
            covered=edge.covered,
            covered_by=[{"id": r.id, "type": r.type, "valid_until": r.valid_until}
                        for r in edge.covered_by],
            missing=None if edge.covered else missing_piece(access, personal),
            requests=open_requests.get(edge.source, [])))
    return sorted(pieces, key=lambda p: (p.covered, p.dataset))
