"""Workflow records for a generated region: proposals, engagements, requests, decisions.

`add_workflow(registry, projects=2500)` adds that many projects proposed in the service to
a generated registry, in the files and fields `regiongraph registry export` writes (and
the registry reader reads): each proposed by a community's data steward, its data leader
asked to engage (two in three accepted, with the decision), and one request per dataset
it needs from another community (half decided by the owner's executive). So the workflow
pages can be measured at the scale of a real alliance (bench/bench_workflow.py).
"""

import datetime as dt
import random
from pathlib import Path

import yaml

from regiongraph.generate.registry import KIND_ROLES


def _load(path: Path) -> list:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.exists() else []


def _dump(path: Path, comment: str, entries: list) -> None:
    path.write_text(f"# {comment}\n" + yaml.safe_dump(entries, sort_keys=False, width=100),
                    encoding="utf-8")


def add_workflow(registry: Path, *, projects: int, seed: int = 16,
                 today: dt.date | None = None) -> dict[str, int]:
    """Append `projects` workflow projects (and their requests and decisions) to the
    generated registry in `registry`; returns what was added, by file."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    communities = {c["id"]: c for c in _load(registry / "communities.yaml")}
    roles = {(r["organization"], r["role"]): p["id"]
             for p in _load(registry / "people.yaml") for r in p.get("roles", [])}
    existing = _load(registry / "projects.yaml")
    datasets: dict[str, list[str]] = {}
    for project in existing:
        for ref in [*project.get("uses", []), *project.get("produces", [])]:
            datasets.setdefault(ref.split("/")[0], []).append(ref)
    owners = sorted(c for c in datasets if c in communities)
    approvals = _load(registry / "approvals.yaml")
    added, requests, decisions = [], [], []
    for n in range(projects):
        lead = owners[n % len(owners)]
        steward, leader = roles[(lead, "data-steward")], roles[(lead, "data-leader")]
        others = rng.sample([o for o in owners if o != lead], 2)
        needs = sorted({rng.choice(datasets[o]) for o in others})
        created = today - dt.timedelta(days=rng.randint(5, 400))
        pid = f"workflow-{n + 1:05d}"
        project = {"id": pid, "title": f"Proposed project {n + 1}", "domain": "homelessness",
                   "phase": "ideation", "lead": lead, "participants": others,
                   "uses": needs, "proposed_by": steward, "created": created.isoformat(),
                   "state": "submitted", "submitted_on": created.isoformat()}
        engage = f"{pid}-engage"
        requests.append(_request(engage, "engagement", f"Engagement in {pid}", steward, pid,
                                 [leader], created, 7, receiver=lead, at_phase="ideation"))
        if n % 3:
            day = created + dt.timedelta(days=rng.randint(0, 20))
            project["data_leaders"] = [{"person": leader, "phase": "ideation",
                                        "engaged_on": day.isoformat()}]
            requests[-1]["state"] = "accepted"
            decisions.append(_decision(f"{pid}-accept", engage, "accept", leader, day,
                                       f"engagements/{pid}/{leader}"))
        for i, ref in enumerate(needs, 1):
            owner = ref.split("/")[0]
            rid = f"{pid}-request-{i}"
            deciders = [roles[(owner, KIND_ROLES[_kind(communities[owner])][1])]]
            approval = {"id": f"{rid}-approval", "title": f"Use of {ref} by {pid}",
                        "owner": owner, "requested_by": steward, "actions": ["use"],
                        "datasets": [ref], "scope": "project", "project": pid,
                        "status": "requested", "valid_from": created.isoformat()}
            requests.append(_request(rid, "approval", f"Use of {ref} by {pid}", steward, pid,
                                     deciders, created, 14, asked_of=owner, receiver=lead,
                                     datasets=[ref], record=f"approvals/{approval['id']}"))
            if (n + i) % 2:
                day = created + dt.timedelta(days=rng.randint(1, 30))
                requests[-1]["state"] = "approved"
                approval.update(status="approved", approver=deciders[0],
                                approved_on=day.isoformat())
                decisions.append(_decision(f"{rid}-approve", rid, "approve", deciders[0], day,
                                           f"approvals/{approval['id']}"))
            approvals.append(approval)
        added.append(project)
    _dump(registry / "projects.yaml", "Projects (generated, then the workflow's).",
          existing + added)
    _dump(registry / "approvals.yaml", "Approvals (generated, then the workflow's).",
          approvals)
    _dump(registry / "requests.yaml", "Workflow requests (generated).", requests)
    _dump(registry / "decisions.yaml", "Workflow decisions (generated).", decisions)
    return {"projects": len(added), "requests": len(requests), "decisions": len(decisions),
            "approvals": sum(1 for a in approvals if a["id"].startswith("workflow-"))}


def _kind(community: dict) -> str:
    return next(k for k, (word, _) in KIND_ROLES.items() if word == community["kind"])


def _request(rid: str, kind: str, title: str, requester: str, project: str, to: list[str],
             created: dt.date, due_days: int, **fields) -> dict:
    entry = {"id": rid, "kind": kind, "state": "submitted", "title": title,
             "created": created.isoformat(),
             "due": (created + dt.timedelta(days=due_days)).isoformat(),
             "requested_by": requester, "project": project, "addressed_to": to}
    entry.update({k: v for k, v in fields.items() if v})
    return entry


def _decision(did: str, request: str, outcome: str, person: str, day: dt.date,
              generated: str | None) -> dict:
    entry = {"id": did, "request": request, "outcome": outcome, "person": person,
             "at": f"{day.isoformat()}T10:00:00Z", "reason": "generated"}
    if generated:
        entry["generated"] = generated
    return entry
