"""Write the registry graph back out as the stewards' YAML (`regiongraph registry export`).

The registry stays the alliance's record: `demo/registry/*.yaml` is how a region starts,
and what the workflow decides in the service (proposals, engagements, approvals,
agreements, requests, decisions) lives in the same registry graph. Export writes all of it
in the files and fields the reader (`reader.py`) reads, so stewards who keep the registry
in git keep doing so, and loading the export gives back the same graph.

The export checks itself: it reads the files back with the reader and compares. Anything
of the graph the YAML cannot say (a triple a Graph Store write put into the registry graph,
say) is written to `extra.ttl`, which the reader adds as is; anything the YAML would add
that the graph lacks is reported. The round trip is then exact, and the summary says
what, if anything, needed the Turtle file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import NamedNode, Triple

from regiongraph.geo.geometry import AS_WKT, HAS_GEOMETRY
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.namespaces import (
    DCT,
    FOAF,
    ODRL,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    RG,
    SDO,
    SKOS,
)
from regiongraph.registry.reader import FILES, read_registry
from regiongraph.settings import Settings
from regiongraph.store import Store

PD = "https://w3id.org/dpv/pd#"
EXTRA = "extra.ttl"


@dataclass
class ExportSummary:
    folder: str
    entries: dict[str, int] = field(default_factory=dict)
    """File name → number of entries written."""
    extra_triples: int = 0
    """Triples of the graph the YAML cannot say, written to extra.ttl."""
    missing_triples: list[str] = field(default_factory=list)
    """Triples the YAML would add that the graph lacks (none when the round trip holds)."""


class _Graph:
    """The registry graph as subject → predicate → objects, for the reverse mapping."""

    def __init__(self, triples: list[Triple], minter: Minter) -> None:
        self.m = minter
        self.out: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self.types: dict[str, list[str]] = defaultdict(list)
        for t in triples:
            s, p = t.subject.value, t.predicate.value
            self.out[s][p].append(t.object)
            if p == RDF.type.value:
                self.types[t.object.value].append(s)

    def of_type(self, cls: NamedNode) -> list[str]:
        return sorted(set(self.types.get(cls.value, [])))

    def all(self, s: str, p: NamedNode) -> list[Any]:
        return sorted(self.out.get(s, {}).get(p.value, []), key=lambda o: o.value)

    def one(self, s: str, p: NamedNode) -> str | None:
        found = self.all(s, p)
        return found[0].value if found else None

    def id(self, iri: str) -> str:
        """The last id of a minted IRI (people/kevin-cho → kevin-cho)."""
        return iri.rstrip("/").rsplit("/", 1)[-1]

    def org(self, iri: str | None) -> str | None:
        return self.id(iri) if iri else None

    def dataset(self, iri: str) -> str:
        return self.m.dataset_identifier(iri)

    def record(self, iri: str) -> str:
        """approvals/<id>, engagements/<project>/<person>, ...: the path below the base."""
        return iri[len(self.m.base):]


def _concept(iri: str | None) -> str | None:
    if iri is None:
        return None
    return iri.removeprefix(PD).rstrip("/").rsplit("/", 1)[-1]


def _wkt(g: _Graph, feature: str | None) -> str | None:
    """The feature's geometry as the WKT the reader's `area()` reads back (already rounded
    to the graph's precision, so it mints the same literal again)."""
    geometry = g.one(feature, HAS_GEOMETRY) if feature else None
    return g.one(geometry, AS_WKT) if geometry else None


def _put(entry: dict, key: str, value: Any) -> None:
    """Set a field only when it says something (the reader treats absent and empty alike)."""
    if value not in (None, "", []):
        entry[key] = value


def _region(g: _Graph, registry: str) -> dict | list:
    regions = g.of_type(RG.Region)
    if not regions:
        return []
    r = regions[0]
    entry: dict[str, Any] = {"id": g.one(r, DCT.identifier) or g.id(r),
                             "name": g.one(r, FOAF.name)}
    _put(entry, "homepage", g.one(r, FOAF.homepage))
    _put(entry, "description", g.one(r, DCT.description))
    _put(entry, "founded", g.one(r, DCT.created))
    policy = g.one(registry, RG.requiresEngagementBeforeDesign)
    if policy is not None:
        entry["requires_engagement_before_design"] = policy == "true"
    return entry


def _organisations(g: _Graph, cls: NamedNode, area_key: str) -> list[dict]:
    """Communities (their `boundary`) or partners (the `service_area` place they serve)."""
    out = []
    for o in g.of_type(cls):
        entry: dict[str, Any] = {"id": g.one(o, DCT.identifier) or g.id(o),
                                 "name": g.one(o, FOAF.name),
                                 "kind": _concept(g.one(o, ORG.classification))}
        _put(entry, "acronym", g.one(o, SKOS.altLabel))
        _put(entry, "homepage", g.one(o, FOAF.homepage))
        _put(entry, "description", g.one(o, DCT.description))
        feature = g.one(o, SDO.areaServed) if area_key == "service_area" else o
        _put(entry, area_key, _wkt(g, feature))
        out.append(entry)
    return out


def _memberships(g: _Graph) -> list[dict]:
    out = []
    for m in g.of_type(RG.AllianceMembership):
        entry: dict[str, Any] = {"member": g.org(g.one(m, ORG.member))}
        _put(entry, "since", g.one(m, RG.memberSince))
        _put(entry, "note", g.one(m, RDFS.comment))
        out.append(entry)
    return out


def _people(g: _Graph) -> list[dict]:
    roles: dict[str, list[dict]] = defaultdict(list)
    for a in g.of_type(RG.RoleAssignment):
        person = g.one(a, ORG.member)
        if person is None:
            continue
        role: dict[str, Any] = {"organization": g.org(g.one(a, ORG.organization)),
                                "role": _concept(g.one(a, ORG.role))}
        _put(role, "since", g.one(a, RG.memberSince))
        roles[person].append(role)
    out = []
    for p in g.of_type(FOAF.Person):
        entry: dict[str, Any] = {"id": g.one(p, DCT.identifier) or g.id(p),
                                 "name": g.one(p, FOAF.name)}
        mbox = g.one(p, FOAF.mbox)
        _put(entry, "email", mbox.removeprefix("mailto:") if mbox else None)
        _put(entry, "title", g.one(p, FOAF.term("title")))
        _put(entry, "roles", sorted(roles.get(p, []), key=lambda r: (r["organization"], r["role"])))
        out.append(entry)
    return out


def _standards(g: _Graph) -> list[dict]:
    out = []
    for s in g.of_type(DCT.Standard):
        entry: dict[str, Any] = {"id": g.one(s, DCT.identifier) or g.id(s),
                                 "title": g.one(s, DCT.term("title")),
                                 "version": g.one(s, OWL.versionInfo),
                                 "homepage": g.one(s, FOAF.homepage)}
        _put(entry, "publisher", g.one(s, DCT.creator))
        _put(entry, "media_types", [o.value for o in g.all(s, RG.expectedMediaType)])
        _put(entry, "domains", [_concept(o.value) for o in g.all(s, RG.standardDomain)])
        _put(entry, "known_as", [o.value for o in g.all(s, RG.knownAs)])
        _put(entry, "description", g.one(s, DCT.description))
        out.append(entry)
    return out


def _offers(g: _Graph) -> list[dict]:
    out = []
    for o in g.of_type(RG.CapabilityOffer):
        entry: dict[str, Any] = {"id": g.one(o, DCT.identifier) or g.id(o),
                                 "by": g.org(g.one(o, RG.offeredBy)),
                                 "kind": _concept(g.one(o, RG.capabilityKind)),
                                 "title": g.one(o, DCT.term("title"))}
        _put(entry, "domains", [_concept(d.value) for d in g.all(o, RG.capabilityDomain)])
        _put(entry, "description", g.one(o, DCT.description))
        out.append(entry)
    return out


def _needs(g: _Graph, project: str) -> list[dict]:
    """Needs in their index order (the reader mints needs/<project>/<n>)."""
    domains = {d.value for d in g.all(project, RG.domain)}
    needs = []
    for n in g.all(project, RG.needsCapability):
        entry: dict[str, Any] = {"kind": _concept(g.one(n.value, RG.capabilityKind)),
                                 "description": g.one(n.value, DCT.description) or ""}
        own = {d.value for d in g.all(n.value, RG.capabilityDomain)}
        if own != domains:
            _put(entry, "domain", sorted(_concept(d) for d in own))
        _put(entry, "met_by", g.id(g.one(n.value, RG.metBy) or "") or None)
        needs.append((int(g.id(n.value)), entry))
    return [entry for _, entry in sorted(needs, key=lambda pair: pair[0])]


def _projects(g: _Graph) -> list[dict]:
    out = []
    for p in g.of_type(RG.Project):
        lead = g.one(p, RG.leadCommunity)
        entry: dict[str, Any] = {"id": g.one(p, DCT.identifier) or g.id(p),
                                 "title": g.one(p, DCT.term("title")),
                                 "domain": [_concept(d.value) for d in g.all(p, RG.domain)],
                                 "phase": _concept(g.one(p, RG.phase)),
                                 "lead": g.org(lead)}
        if len(entry["domain"]) == 1:
            entry["domain"] = entry["domain"][0]
        _put(entry, "description", g.one(p, DCT.description))
        _put(entry, "participants", [g.org(o.value) for o in g.all(p, RG.participant)
                                     if o.value != lead])
        _put(entry, "start", g.one(p, RG.startDate))
        _put(entry, "area", _wkt(g, p))
        _put(entry, "uses", [g.dataset(d.value) for d in g.all(p, RG.usesDataset)])
        _put(entry, "produces", [g.dataset(d.value) for d in g.all(p, RG.producesDataset)])
        _put(entry, "needs", _needs(g, p))
        leaders = []
        for e in g.all(p, RG.engagement):
            leader: dict[str, Any] = {"person": g.id(g.one(e.value, PROV.agent) or ""),
                                      "phase": _concept(g.one(e.value, RG.engagedAtPhase))}
            _put(leader, "engaged_on", g.one(e.value, RG.engagedOn))
            leaders.append(leader)
        _put(entry, "data_leaders", leaders)
        _put(entry, "proposed_by", g.org(g.one(p, DCT.creator)))
        _put(entry, "created", g.one(p, DCT.created))
        _put(entry, "state", g.one(p, RG.proposalState))
        _put(entry, "submitted_on", g.one(p, RG.submittedOn))
        out.append(entry)
    return out


def _strategies(g: _Graph) -> list[dict]:
    project_of = {o.value: s for s, preds in g.out.items()
                  for o in preds.get(RG.dataStrategy.value, [])}
    out = []
    for s in g.of_type(RG.DataStrategy):
        entry: dict[str, Any] = {"id": g.one(s, DCT.identifier) or g.id(s),
                                 "project": g.org(project_of.get(s)),
                                 "title": g.one(s, DCT.term("title"))}
        _put(entry, "approved_by", g.org(g.one(s, RG.approvedBy)))
        _put(entry, "approved_on", g.one(s, RG.approvedOn))
        _put(entry, "description", g.one(s, DCT.description))
        _put(entry, "url", g.one(s, FOAF.page))
        out.append(entry)
    return out


def _validity(g: _Graph, node: str, entry: dict) -> None:
    entry["status"] = _concept(g.one(node, RG.status))
    entry["valid_from"] = g.one(node, RG.validFrom)
    _put(entry, "valid_until", g.one(node, RG.validUntil))
    _put(entry, "legal_basis", g.one(node, RG.legalBasis))
    _put(entry, "legal_reference", g.one(node, RG.legalReference))
    _put(entry, "description", g.one(node, DCT.description))


def _approvals(g: _Graph) -> list[dict]:
    out = []
    for a in g.of_type(RG.Approval):
        entry: dict[str, Any] = {"id": g.one(a, DCT.identifier) or g.id(a),
                                 "title": g.one(a, DCT.term("title")),
                                 "owner": g.org(g.one(a, RG.dataOwner))}
        _put(entry, "approver", g.org(g.one(a, RG.approvedBy)))
        _put(entry, "requested_by", g.org(g.one(a, RG.requestedBy)))
        entry["actions"] = [_concept(x.value) for x in g.all(a, RG.action)]
        _put(entry, "datasets", [g.dataset(d.value) for d in g.all(a, RG.coversDataset)])
        _put(entry, "categories", [
            f"domain/{_concept(c.value)}" if "/domain/" in c.value else _concept(c.value)
            for c in g.all(a, RG.coversCategory)])
        entry["scope"] = _concept(g.one(a, RG.scope))
        _put(entry, "project", g.org(g.one(a, RG.scopeProject)))
        _put(entry, "communities", [g.org(c.value) for c in g.all(a, RG.scopeCommunity)])
        _put(entry, "approved_on", g.one(a, RG.approvedOn))
        _put(entry, "grantee", g.org(g.one(a, RG.grantee)))
        _validity(g, a, entry)
        out.append(entry)
    return out


def _agreements(g: _Graph) -> list[dict]:
    names = {ODRL.use.value: "use", ODRL.distribute.value: "share"}
    out = []
    for a in g.of_type(RG.DataSharingAgreement):
        actions: set[str] = set()
        for permission in g.all(a, ODRL.permission):
            actions |= {names[x.value] for x in g.all(permission.value, ODRL.action)
                        if x.value in names}
        entry: dict[str, Any] = {"id": g.one(a, DCT.identifier) or g.id(a),
                                 "title": g.one(a, DCT.term("title")),
                                 "assigner": g.org(g.one(a, ODRL.assigner)),
                                 "assignees": [g.org(x.value) for x in g.all(a, ODRL.assignee)],
                                 "datasets": [g.dataset(d.value)
                                              for d in _in_index_order(g, a)],
                                 "actions": sorted(actions)}
        _put(entry, "signed_on", g.one(a, DCT.dateAccepted))
        _put(entry, "approved_by", g.org(g.one(a, RG.approvedBy)))
        _put(entry, "approved_on", g.one(a, RG.approvedOn))
        _validity(g, a, entry)
        out.append(entry)
    return out


def _in_index_order(g: _Graph, agreement: str) -> list[NamedNode]:
    """The datasets in their permission order (the reader mints permission/<n> by it)."""
    ordered = []
    for permission in g.all(agreement, ODRL.permission):
        target = g.one(permission.value, ODRL.target)
        if target is not None:
            ordered.append((int(g.id(permission.value)), NamedNode(target)))
    listed = [d for _, d in sorted(ordered, key=lambda pair: pair[0])]
    return listed + [d for d in g.all(agreement, RG.coversDataset) if d not in listed]


def _classifications(g: _Graph) -> list[dict]:
    out = []
    for d in sorted(s for s, preds in g.out.items()
                    if {RG.accessLevel.value, RG.personalDataCategory.value,
                        DCT.conformsTo.value} & set(preds)):
        entry: dict[str, Any] = {"dataset": g.dataset(d)}
        _put(entry, "access", _concept(g.one(d, RG.accessLevel)))
        _put(entry, "personal_data", [_concept(c.value)
                                      for c in g.all(d, RG.personalDataCategory)])
        _put(entry, "conforms_to", [g.id(s.value) for s in g.all(d, DCT.conformsTo)])
        _put(entry, "personal_data_roles", [_concept(r.value)
                                            for r in g.all(d, RG.personalDataRole)])
        out.append(entry)
    return out


def _jobs(g: _Graph) -> list[dict]:
    out = []
    for j in g.of_type(RG.Job):
        entry: dict[str, Any] = {"id": g.one(j, DCT.identifier) or g.id(j),
                                 "title": g.one(j, DCT.term("title")),
                                 "run_by": g.org(g.one(j, RG.runBy)),
                                 "inputs": [g.dataset(d.value) for d in g.all(j, PROV.used)],
                                 "outputs": [g.dataset(d.value)
                                             for d in g.all(j, PROV.generated)]}
        _put(entry, "description", g.one(j, DCT.description))
        out.append(entry)
    return out


def _requests(g: _Graph) -> list[dict]:
    out = []
    for r in g.of_type(RG.WorkflowRequest):
        entry: dict[str, Any] = {"id": g.id(r), "kind": g.one(r, RG.requestKind),
                                 "state": g.one(r, RG.workflowState),
                                 "title": g.one(r, DCT.term("title")),
                                 "created": g.one(r, DCT.created), "due": g.one(r, RG.dueDate)}
        _put(entry, "requested_by", g.org(g.one(r, DCT.creator)))
        _put(entry, "project", g.org(g.one(r, RG.forProject)))
        _put(entry, "addressed_to", [g.id(p.value) for p in g.all(r, RG.addressedTo)])
        _put(entry, "asked_of", g.org(g.one(r, RG.askedOf)))
        _put(entry, "receiver", g.org(g.one(r, RG.receiver)))
        _put(entry, "datasets", [g.dataset(d.value) for d in g.all(r, RG.requestsDataset)])
        record = g.one(r, RG.requestRecord)
        _put(entry, "record", g.record(record) if record else None)
        _put(entry, "at_phase", _concept(g.one(r, RG.atPhase)))
        out.append(entry)
    return out


def _decisions(g: _Graph) -> list[dict]:
    out = []
    for d in g.of_type(RG.Decision):
        entry: dict[str, Any] = {"id": g.id(d), "request": g.id(g.one(d, PROV.used) or ""),
                                 "outcome": g.one(d, RG.outcome),
                                 "person": g.id(g.one(d, PROV.wasAssociatedWith) or ""),
                                 "at": g.one(d, PROV.endedAtTime),
                                 "reason": g.one(d, RG.reason)}
        _put(entry, "conditions", g.one(d, RG.conditions))
        generated = g.one(d, PROV.generated)
        _put(entry, "generated", g.record(generated) if generated else None)
        out.append(entry)
    return out


def registry_entries(triples: list[Triple], settings: Settings) -> dict[str, Any]:
    """File stem → its content (a list of entries; region: one mapping)."""
    minter = Minter(settings.base)
    g = _Graph(triples, minter)
    return {
        "region": _region(g, minter.graph(REGISTRY_GRAPH).value),
        "communities": _organisations(g, RG.Community, "boundary"),
        "partners": _organisations(g, RG.Partner, "service_area"),
        "memberships": _memberships(g), "people": _people(g), "standards": _standards(g),
        "capabilities": _offers(g), "projects": _projects(g), "strategies": _strategies(g),
        "approvals": _approvals(g), "agreements": _agreements(g),
        "classifications": _classifications(g), "lineage": _jobs(g),
        "requests": _requests(g), "decisions": _decisions(g),
    }


def export_registry(store: Store, settings: Settings, out: Path) -> ExportSummary:
    """Write the registry graph as YAML files into `out` (created; existing registry files
    there are replaced), then read them back and keep the difference in extra.ttl."""
    minter = Minter(settings.base)
    graph = minter.graph(REGISTRY_GRAPH)
    triples = [Triple(q.subject, q.predicate, q.object) for q in store.quads(graph)]
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(folder=str(out))
    (out / EXTRA).unlink(missing_ok=True)
    for stem, content in registry_entries(triples, settings).items():
        if not content and stem != "region":
            (out / f"{stem}.yaml").unlink(missing_ok=True)
            continue
        assert stem in FILES
        path = out / f"{stem}.yaml"
        path.write_text(f"# {stem}: exported by `regiongraph registry export`\n"
                        + yaml.safe_dump(content, sort_keys=False, allow_unicode=True,
                                         width=100), encoding="utf-8")
        summary.entries[path.name] = len(content) if isinstance(content, list) else 1
    read_back = set(read_registry(out, minter))
    held = set(triples)
    extra = sorted(held - read_back, key=str)
    if extra:
        (out / EXTRA).write_text(
            "# Triples of the registry graph that no YAML field says, added as is.\n"
            + "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in extra),
            encoding="utf-8")
    summary.extra_triples = len(extra)
    summary.missing_triples = sorted(str(t) for t in read_back - held)
    return summary

