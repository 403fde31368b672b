"""Governance coverage: is every flow of data across community lines approved?

A flow crosses community lines when
- lineage: a dataset of community A is derived (directly, or through a job) into a
  dataset of community B, or read by a job community B runs;
- usage: a project led by community B uses a dataset community A publishes.

It is covered on a day when a governance record in force that day (status approved,
valid_from ≤ day ≤ valid_until) allows it:
- an approval that covers the dataset (by `rg:coversDataset`, or by `rg:coversCategory`
  matching one of the dataset's themes or personal-data categories, for that owner),
  allows `use` or `share` (or names no action), and reaches the receiver: scope public or
  alliance; scope communities naming B; scope project naming the project (usage) or a
  project B takes part in (lineage);
- an approval that publishes the dataset as open data, in the one sense of
  `regiongraph/visibility.py` (public access level, no personal data, an executive of the
  owner approving publication to the public): open data may be used by anyone. A
  publication approval never covers internal, restricted or confidential data, even when
  it names it;
- a data-sharing agreement with A as assigner and B as assignee that covers the dataset
  (or names no dataset: a blanket agreement).

Uncovered flows come first, each with notes on the records that almost cover it (expired,
revoked, another scope), because that is what a data leader fixes first. `lapse` asks
"what if this record ended today?" by judging again without it; `expiring` lists records
in force whose last day falls within the next N days, with the projects that rely on them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from regiongraph.analysis.models import (
    CoveringRecord,
    ExpiringApproval,
    GovernanceEdge,
    GovernanceResult,
    Ref,
)
from regiongraph.analysis.region import GovernanceRecord, Region, local_name
from regiongraph.errors import RegiongraphError

ALLOWING_ACTIONS = {"use", "share"}


class GovernanceError(RegiongraphError):
    pass


@dataclass(frozen=True)
class Flow:
    kind: str  # lineage | usage
    dataset: str
    target: str
    owner: str
    receiver: str
    project: str | None = None


def cross_community_flows(region: Region) -> list[Flow]:
    """Every lineage or usage edge whose two ends belong to different communities."""
    flows: set[Flow] = set()
    publisher = {iri: d.publisher for iri, d in region.datasets.items()}
    used_by: dict[str, set[str]] = defaultdict(set)
    made_by: dict[str, set[str]] = defaultdict(set)
    for up, down, kind in region.edges:
        if kind == "derivation":
            a, b = publisher.get(up), publisher.get(down)
            if a and b and a != b:
                flows.add(Flow("lineage", up, down, a, b))
        elif kind == "used":
            used_by[down].add(up)
            runner = region.activity_runner.get(down)
            a = publisher.get(up)
            if a and runner and runner != a:
                flows.add(Flow("lineage", up, down, a, runner))
        elif kind == "generated":
            made_by[up].add(down)
    for activity, inputs in used_by.items():
        for up in inputs:
            for down in made_by.get(activity, ()):
                a, b = publisher.get(up), publisher.get(down)
                if a and b and a != b:
                    flows.add(Flow("lineage", up, down, a, b))
    for project in region.projects.values():
        for d in project.uses:
            a = publisher.get(d)
            if a and project.lead and a != project.lead:
                flows.add(Flow("usage", d, project.iri, a, project.lead, project.iri))
    return sorted(flows, key=lambda f: (f.kind, f.dataset, f.target))


def _covers_data(region: Region, record: GovernanceRecord, flow: Flow) -> bool:
    if flow.dataset in record.datasets:
        return True
    d = region.datasets.get(flow.dataset)
    if record.categories and d is not None and record.categories & (d.themes | d.personal):
        return not record.owner or flow.owner in record.owner
    return False


def _reaches(region: Region, record: GovernanceRecord, flow: Flow) -> bool:
    scope = local_name(record.scope) if record.scope else None
    if scope in ("public", "alliance"):
        return True
    if scope == "communities":
        return flow.receiver in record.scope_communities
    if scope == "project":
        if flow.project is not None:
            return flow.project in record.scope_projects
        return any(flow.receiver in region.projects[p].participants
                   for p in record.scope_projects if p in region.projects)
    # No scope stated: only the communities it names, if any.
    return not record.scope_communities or flow.receiver in record.scope_communities


def allows(region: Region, record: GovernanceRecord, flow: Flow) -> bool:
    """Whether `record` would allow `flow`, leaving aside whether it is in force."""
    if record.type == "agreement":
        if record.assigners and flow.owner not in record.assigners:
            return False
        if flow.receiver not in record.assignees:
            return False
        return not record.datasets or flow.dataset in record.datasets
    if record.iri in region.publication.get(flow.dataset, ()):
        return True
    actions = {local_name(a) for a in record.actions}
    if actions and not actions & ALLOWING_ACTIONS:
        return False
    return _covers_data(region, record, flow) and _reaches(region, record, flow)


class RecordIndex:
    """The records that could concern a flow, found by dataset, category or community pair,
    so each flow checks a handful of records instead of all of them."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.by_dataset: dict[str, list[GovernanceRecord]] = defaultdict(list)
        self.by_category: dict[str, list[GovernanceRecord]] = defaultdict(list)
        self.by_pair: dict[tuple[str | None, str], list[GovernanceRecord]] = defaultdict(list)
        for record in region.governance.values():
            for d in record.datasets:
                self.by_dataset[d].append(record)
            for c in record.categories:
                self.by_category[c].append(record)
            if record.type == "agreement":
                for a in record.assigners or {None}:
                    for b in record.assignees:
                        self.by_pair[(a, b)].append(record)

    def candidates(self, flow: Flow) -> list[GovernanceRecord]:
        found = {r.iri: r for r in self.by_dataset.get(flow.dataset, ())}
        d = self.region.datasets.get(flow.dataset)
        if d is not None:
            for c in d.themes | d.personal:
                found.update((r.iri, r) for r in self.by_category.get(c, ()))
        for key in ((flow.owner, flow.receiver), (None, flow.receiver)):
            found.update((r.iri, r) for r in self.by_pair.get(key, ()))
        return [found[k] for k in sorted(found)]


def _near_misses(region: Region, flow: Flow, on: date, ignore: str | None,
                 index: RecordIndex) -> list[str]:
    notes = []
    for record in index.candidates(flow):
        mentions = flow.dataset in record.datasets or (
            record.type == "agreement" and flow.owner in record.assigners
            and flow.receiver in record.assignees)
        if not mentions:
            continue
        name = region.label(record.iri)
        if record.iri == ignore:
            notes.append(f"{name} would cover it, but is assumed to have lapsed")
        elif local_name(record.status) != "approved":
            notes.append(f"{name} is {local_name(record.status) or 'without status'}")
        elif record.valid_until and record.valid_until < on:
            notes.append(f"{name} expired on {record.valid_until.isoformat()}")
        elif record.valid_from and record.valid_from > on:
            notes.append(f"{name} starts only on {record.valid_from.isoformat()}")
        elif _publishes_other_data(region, record, flow):
            notes.append(f"{name} publishes open data only, and this dataset is not open data")
        elif not allows(region, record, flow):
            notes.append(f"{name} covers the data but not this use or receiver")
    return sorted(notes)


def _publishes_other_data(region: Region, record: GovernanceRecord, flow: Flow) -> bool:
    actions = {local_name(a) for a in record.actions}
    return (actions == {"publish"} and local_name(record.scope) == "public"
            and record.iri not in region.publication.get(flow.dataset, ()))


def _judge(region: Region, flows: list[Flow], on: date, ignore: str | None,
           index: RecordIndex | None = None) -> list[GovernanceEdge]:
    index = index or RecordIndex(region)
    edges = []
    for flow in flows:
        covering = [r for r in index.candidates(flow)
                    if r.in_force(on) and r.iri != ignore and allows(region, r, flow)]
        edges.append(GovernanceEdge(
            kind=flow.kind, source=flow.dataset, source_label=region.label(flow.dataset),
            target=flow.target, target_label=region.label(flow.target),
            from_community=flow.owner, to_community=flow.receiver,
            covered=bool(covering),
            covered_by=[CoveringRecord(id=r.iri, label=region.label(r.iri), type=r.type,
                                       valid_until=r.valid_until.isoformat()
                                       if r.valid_until else None)
                        for r in sorted(covering, key=lambda r: r.iri)],
            notes=[] if covering else _near_misses(region, flow, on, ignore, index),
        ))
    edges.sort(key=lambda e: (e.covered, e.kind, e.source, e.target))
    return edges


def judge_flows(region: Region, flows: list[Flow], on: date,
                index: RecordIndex | None = None) -> list[GovernanceEdge]:
    """Coverage of `flows` on `on`: the rule itself, for callers that judge a few flows
    (the workflow's data strategy of one project) and may keep the region's index."""
    return _judge(region, flows, on, None, index)


def governance(region: Region, *, on: date | None = None, lapse: str | None = None,
               expiring_days: int = 90, visible: set[str] | None = None) -> GovernanceResult:
    """Coverage of every cross-community flow on `on` (default today), with what-if and expiry."""
    on = on or date.today()
    if lapse is not None and lapse not in region.governance:
        known = ", ".join(sorted(region.governance)[:5])
        raise GovernanceError(f"no approval or agreement {lapse}; known ones include {known}")
    flows = cross_community_flows(region)
    if visible is not None:
        flows = [f for f in flows if f.dataset in visible
                 and (f.target in visible or f.target in region.projects)]
    edges = _judge(region, flows, on, None)
    newly: list[GovernanceEdge] = []
    if lapse is not None:
        after = {(e.kind, e.source, e.target): e for e in _judge(region, flows, on, lapse)}
        newly = [after[(e.kind, e.source, e.target)] for e in edges
                 if e.covered and not after[(e.kind, e.source, e.target)].covered]
    return GovernanceResult(
        on=on.isoformat(), edges=edges, covered=sum(e.covered for e in edges),
        uncovered=sum(not e.covered for e in edges),
        expiring=expiring(region, on=on, days=expiring_days, flows=flows),
        lapse=lapse, newly_uncovered=newly,
    )


def expiring(region: Region, *, on: date, days: int, flows: list[Flow] | None = None
             ) -> list[ExpiringApproval]:
    """Records in force whose last day is within `days`, with the projects relying on them."""
    flows = flows if flows is not None else cross_community_flows(region)
    horizon = on + timedelta(days=days)
    index = RecordIndex(region)
    concerned: dict[str, list[Flow]] = defaultdict(list)
    for flow in flows:
        if flow.project:
            for record in index.candidates(flow):
                concerned[record.iri].append(flow)
    out = []
    for record in region.governance.values():
        if not record.in_force(on) or record.valid_until is None or record.valid_until > horizon:
            continue
        projects = set(record.scope_projects)
        for p in region.projects.values():
            if p.uses & record.datasets or p.produces & record.datasets:
                projects.add(p.iri)
        for flow in concerned.get(record.iri, ()):
            if allows(region, record, flow):
                projects.add(flow.project)
        out.append(ExpiringApproval(
            id=record.iri, label=region.label(record.iri), type=record.type,
            valid_until=record.valid_until.isoformat(),
            days_left=(record.valid_until - on).days,
            projects=[Ref(id=p, label=region.label(p)) for p in sorted(projects)],
            datasets=sorted(record.datasets),
        ))
    out.sort(key=lambda e: (e.days_left, e.id))
    return out
