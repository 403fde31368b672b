"""The registry of a synthetic region, in the stewards' YAML format (`demo/registry/`).

Why generate one: the analyses and rules that the benchmarks time (lineage, reuse,
governance coverage, approvals) read the registry as much as the catalogs. A region of
100k datasets with a twelve-line registry would time nothing real, so the registry grows
with the region: one project per ~40 datasets, lineage jobs forming chains across
communities (some deeper than 10 hops), approvals in every status, agreements, people in
executive and data-leader roles.

The files are written from plain lists built in a fixed order from the region's own
random stream, so they are byte-identical for the same arguments, and
every dataset they name ("community/identifier") is a record of that community's catalog.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from regiongraph.generate.records import STANDARDS

# kind in the generator -> (registry kind, executive role)
KIND_ROLES = {
    "city": ("city", "mayor"),
    "county": ("county", "county-manager"),
    "transit agency": ("transit-agency", "general-manager"),
    "tribal nation": ("tribal-nation", "tribal-council-chair"),
    "state agency": ("state-agency", "agency-director"),
    "special district": ("special-district", "general-manager"),
}

# generator standard key -> (registry id, version, media types, domains)
REGISTRY_STANDARDS = {
    "gtfs": ("gtfs", "2024", ["application/zip"], ["transit"]),
    "gtfs-rt": ("gtfs-realtime", "2.0", ["application/x-protobuf"], ["transit"]),
    "gbfs": ("gbfs", "3.0", ["application/json"], ["micromobility"]),
    "mds": ("mds", "2.0.0", ["application/json"], ["micromobility"]),
    "cds": ("cds", "1.0.0", ["application/json"], ["parking"]),
    "wzdx": ("wzdx", "4.2", ["application/geo+json", "application/json"], ["traffic"]),
    "open311": ("open311", "v2", ["application/json", "application/xml"], ["digital-services"]),
    "blds": ("blds", "1.0", ["text/csv", "application/json"], ["permitting"]),
    "sensorthings": ("sensorthings", "1.1", ["application/json"], ["environment"]),
    "hsds": ("hsds", "3.0", ["application/json", "application/zip"], ["homelessness"]),
    "waterml": ("waterml2", "2.0", ["application/xml"], ["water-conservation"]),
    "geojson": ("geojson", "RFC 7946", ["application/geo+json"], ["transportation"]),
    "mmucc": ("mmucc", "5th edition", ["text/csv"], ["pedestrian-safety"]),
    "nibrs": ("nibrs", "2023.0", ["text/csv"], ["public-safety"]),
    "hmis": ("hmis", "FY2024", ["text/csv"], ["homelessness"]),
    "iso37120": ("iso37120", "2018", ["text/csv"], ["performance"]),
    "fiware": ("fiware-sdm", "2024", ["application/json"], ["street-lighting"]),
    "tmg": ("fhwa-tmg", "2022", ["text/csv"], ["traffic"]),
    "opensidewalks": ("opensidewalks", "0.2", ["application/geo+json"], ["pedestrian-safety"]),
    "ntd": ("ntd", "2024", ["text/csv", "application/vnd.ms-excel"], ["transit"]),
}

PARTNER_KINDS = ("university", "private-company", "non-profit", "research-institution")
PHASES = ("ideation", "design", "pilot", "production", "retired")
STATUSES = ("approved", "approved", "approved", "requested", "denied", "revoked", "expired")
# What a member has done about publishing its catalog, dealt over the members in a shuffled
# order so every region has each case: a standing open-data policy over the whole catalog
# (the visibility rule still keeps its non-public records out), publication approved for
# some domains only, a request still pending, an approval that lapsed unrenewed.
PUBLICATION = ("open-data", "domains", "open-data", "pending", "open-data", "domains", "lapsed")
FIRST = ("Ana", "Ben", "Carla", "Dev", "Elena", "Femi", "Grace", "Hugo", "Iris", "Jon", "Kim",
         "Luis", "Maya", "Nate", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic")
LAST = ("Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jones", "Khan", "Lopez", "Morales", "Nguyen", "Ortiz", "Patel", "Reyes", "Silva")


@dataclass(frozen=True)
class DatasetRef:
    community: str
    identifier: str
    domains: tuple[str, ...]
    public: bool = True
    """Its catalog gives it access level public (only those can be published)."""

    @property
    def ref(self) -> str:
        return f"{self.community}/{self.identifier}"


@dataclass(frozen=True)
class MemberRef:
    id: str
    name: str
    kind: str
    host: str
    boundary: str | None = None
    """WKT of the member's area (CRS84)."""


def _dump(path: Path, comment: str, data: object) -> None:
    """YAML whose entries are one JSON flow mapping per line (JSON is YAML).

    A YAML emitter in Python (even with libyaml) took ~10 s for a 100k region's registry;
    one C-encoded JSON line per entry takes well under one, and stays easy to read and diff.
    """
    if isinstance(data, list):
        body = "".join(f"- {json.dumps(item, ensure_ascii=False)}\n" for item in data) or "[]\n"
    else:
        body = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n"
                       for key, value in data.items())  # type: ignore[union-attr]
    path.write_text(f"# {comment}\n{body}", encoding="utf-8")


def write_registry(
    folder: Path, rng: random.Random, members: list[MemberRef], datasets: list[DatasetRef],
) -> list[str]:
    """Write the registry files for a generated region; return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[str, object]] = {}
    files["region"] = ("The synthetic region.", {
        "id": "synthetic-region", "name": "Synthetic Data Alliance",
        "homepage": "https://data.synthetic-region.example/", "founded": "2019-01-15",
        "description": f"A generated region of {len(members)} communities and "
                       f"{len(datasets)} datasets, for benchmarks and scale tests.",
    })
    files["communities"] = ("Public-sector members.", [
        {"id": m.id, "name": m.name, "kind": KIND_ROLES[m.kind][0],
         "homepage": f"https://www.{m.host}/", **({"boundary": m.boundary} if m.boundary else {})}
        for m in members
    ])
    partners = [
        {"id": f"partner-{i + 1:03d}", "name": f"Partner Organisation {i + 1}",
         "kind": PARTNER_KINDS[i % len(PARTNER_KINDS)],
         "homepage": f"https://www.partner-{i + 1:03d}.example/"}
        for i in range(max(4, len(members) // 10))
    ]
    files["partners"] = ("Non-governmental partners.", partners)
    files["memberships"] = ("Who belongs to the alliance, since when.", [
        {"member": m["id"], "since": f"{2019 + rng.randint(0, 6)}-{rng.randint(1, 12):02d}-01"}
        for m in [*({"id": c.id} for c in members), *partners]
    ])

    people = []
    executive: dict[str, str] = {}
    leaders: dict[str, str] = {}
    for member in members:
        for role in (KIND_ROLES[member.kind][1], "data-leader", "data-steward"):
            person = f"{member.id}-{role}"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            people.append({"id": person, "name": name,
                           "email": f"{role}@{member.host}",
                           "roles": [{"organization": member.id, "role": role,
                                      "since": f"{rng.randint(2015, 2024)}-01-15"}]})
            if role == "data-leader":
                leaders[member.id] = person
            elif role != "data-steward":
                executive[member.id] = person
    for partner in partners:
        people.append({"id": f"{partner['id']}-president", "name": partner["name"] + " President",
                       "roles": [{"organization": partner["id"], "role": "president"}]})
    files["people"] = ("People and the roles they hold.", people)

    files["standards"] = ("Data standards the alliance recommends.", [
        {"id": rid, "title": STANDARDS[key][1], "version": version,
         "homepage": STANDARDS[key][0], "media_types": media, "domains": domains}
        for key, (rid, version, media, domains) in REGISTRY_STANDARDS.items()
    ])
    offers = []
    for partner in partners:
        for kind in ("training", "tools", "staff")[: rng.randint(1, 3)]:
            offers.append({"id": f"{partner['id']}-{kind}", "by": partner["id"], "kind": kind,
                           "title": f"{partner['name']} {kind}",
                           "domains": rng.sample(("transportation", "homelessness", "recycling",
                                                  "water-conservation", "public-safety",
                                                  "street-lighting"), 2)})
    files["capabilities"] = ("Capabilities partners offer.", offers)

    by_community: dict[str, list[DatasetRef]] = {}
    for d in datasets:
        by_community.setdefault(d.community, []).append(d)
    with_data = [m for m in members if by_community.get(m.id)]
    projects, strategies, approvals, agreements = [], [], [], []
    for n in range(max(3, len(datasets) // 40)):
        lead = rng.choice(with_data)
        own = rng.choice(by_community[lead.id])
        others = [rng.choice(by_community[m.id])
                  for m in rng.sample(with_data, min(len(with_data), rng.randint(1, 4)))]
        uses = sorted({d.ref for d in others if d.ref != own.ref})
        phase = PHASES[n % len(PHASES)]
        pid = f"project-{n + 1:05d}"
        project = {
            "id": pid, "title": f"{own.domains[0].replace('-', ' ').title()} project {n + 1}",
            "domain": own.domains[0], "phase": phase, "lead": lead.id,
            "participants": sorted({d.community for d in others} - {lead.id}),
            "start": f"{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-01",
            "uses": uses, "produces": [own.ref],
            "needs": [{"kind": rng.choice(("training", "tools", "staff")),
                       "description": "Help the project team with its data work."}],
        }
        if phase != "ideation" and rng.random() < 0.8:
            project["data_leaders"] = [{"person": leaders[lead.id],
                                        "phase": rng.choice(PHASES[:3])}]
        projects.append(project)
        if phase != "ideation" and rng.random() < 0.85:
            strategies.append({"id": f"{pid}-strategy", "project": pid,
                               "title": f"Data strategy for {project['title']}",
                               "approved_by": executive[lead.id],
                               "approved_on": project["start"]})
        for ref in uses:
            owner = ref.split("/")[0]
            status = rng.choice(STATUSES)
            start_year = rng.randint(2021, 2026)
            approval = {
                "id": f"{pid}-use-{len(approvals) + 1}", "title": f"Use of {ref} by {pid}",
                "owner": owner, "actions": ["use"], "scope": "project", "status": status,
                "valid_from": f"{start_year}-01-01", "approver": executive[owner],
                "datasets": [ref], "project": pid,
                "valid_until": f"{start_year + rng.randint(1, 3)}-12-31",
            }
            approvals.append(approval)
        if rng.random() < 0.3:
            assigner = own.community
            assignees = sorted({m.id for m in rng.sample(with_data, 2)} - {assigner})
            if assignees:
                agreements.append({
                    "id": f"{pid}-agreement", "title": f"Sharing {own.ref}",
                    "assigner": assigner, "assignees": assignees, "datasets": [own.ref],
                    "actions": ["use", "share"], "status": rng.choice(STATUSES),
                    "valid_from": f"{rng.randint(2021, 2025)}-07-01",
                    "valid_until": f"{rng.randint(2026, 2028)}-06-30",
                })
    files["projects"] = ("Projects.", projects)
    files["strategies"] = ("Data strategies, approved by an executive.", strategies)
    files["approvals"] = ("Publication of members' catalogs; approvals of use in every status.",
                          approvals)
    files["agreements"] = ("Data-sharing agreements.", agreements)

    # Lineage: chains of jobs, each hop deriving one dataset from the previous one, across
    # communities; chain lengths 2..12 so depth-10 lineage queries have work to do.
    jobs = []
    pool = list(datasets)
    rng.shuffle(pool)
    position = 0
    chain = 0
    while position + 2 <= len(pool) and position < len(pool) // 3:
        length = rng.randint(2, 12)
        hops = pool[position: position + length]
        position += length
        chain += 1
        for i in range(1, len(hops)):
            jobs.append({"id": f"chain-{chain:05d}-hop-{i:02d}",
                         "title": f"Derive {hops[i].ref} from {hops[i - 1].ref}",
                         "run_by": hops[i].community, "inputs": [hops[i - 1].ref],
                         "outputs": [hops[i].ref]})
    files["lineage"] = ("Lineage jobs: inputs and outputs across communities.", jobs)
    # Drawn last, so adding them left every earlier draw (and file) as it was.
    approvals[:0] = _publication_approvals(rng, with_data, by_community, executive, leaders)

    for name, (comment, data) in files.items():
        _dump(folder / f"{name}.yaml", comment, data)
    return [f"registry/{name}.yaml" for name in files]


def _publication_approvals(
    rng: random.Random, members: list[MemberRef], datasets: dict[str, list[DatasetRef]],
    executive: dict[str, str], leaders: dict[str, str],
) -> list[dict]:
    """Approvals to publish, as the alliance's members give them (`PUBLICATION`): action
    publish, scope public, approved by the owner's executive on the data leader's request.

    Dates are fixed (generated output never reads the clock): those in force began in
    2019-2025 and end in 2029-2031 or never, so they cover today for years to come.
    """
    order = list(members)
    rng.shuffle(order)
    found = []
    for n, member in enumerate(order):
        policy = PUBLICATION[n % len(PUBLICATION)]
        start = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        approval = {
            "id": f"{member.id}-open-data-policy", "title": f"{member.name} open data policy",
            "owner": member.id, "approver": executive[member.id],
            "requested_by": leaders[member.id], "actions": ["publish"],
            "datasets": [f"{member.id}/*"], "scope": "public", "status": "approved",
            "approved_on": start, "valid_from": start,
            "legal_basis": f"{member.name} Open Data Policy {start[:4]}-{rng.randint(1, 40):02d}",
        }
        if policy == "open-data" and rng.random() < 0.5:
            approval["valid_until"] = f"{rng.randint(2029, 2031)}-06-30"
        elif policy == "domains":
            public = [d for d in datasets[member.id] if d.public]
            domains = sorted({d.domains[0] for d in public})
            if not domains:
                continue
            chosen = set(rng.sample(domains, max(1, len(domains) // 2)))
            approval.update(
                id=f"{member.id}-publication",
                title=f"{member.name} publication of "
                      f"{', '.join(sorted(c.replace('-', ' ') for c in chosen))} data",
                datasets=[d.ref for d in public if d.domains[0] in chosen],
                valid_until=f"{rng.randint(2029, 2031)}-12-31")
        elif policy == "pending":
            del approval["approver"], approval["approved_on"]
            approval.update(status="requested", valid_from=f"{rng.randint(2027, 2028)}-01-01")
        elif policy == "lapsed":
            year = rng.randint(2019, 2021)
            approval.update(status="expired", approved_on=f"{year}-06-15",
                            valid_from=f"{year}-07-01", valid_until=f"{year + 4}-06-30")
        found.append(approval)
    return found
