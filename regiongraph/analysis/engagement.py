"""Engagement of data leaders, and capabilities needed against those offered.

Projects that bring in a data leader after design have already chosen their data, and
discover approvals and standards too late; projects with no data leader at all are worse.
A project is `late` when its earliest engagement is in a phase after design (phases are
ordered by `rg:order` in the concept scheme), and `none` when it has no engagement.

Each capability a project needs (training, tools, staff; `rg:capabilityKind`, with the
domains it is about) is `met` when the stewards matched it to an offer (`rg:metBy`),
`available` when some organisation offers the same kind for the same domain (or for any
domain) but nobody has matched them yet, and a `gap` when nobody offers it.
"""

from __future__ import annotations

from regiongraph.analysis.models import CapabilityItem, EngagementItem, EngagementResult, Ref
from regiongraph.analysis.region import Region, local_name

DESIGN_RANK = 2


def engagement(region: Region) -> EngagementResult:
    items: list[EngagementItem] = []
    for project in sorted(region.projects.values(), key=lambda p: p.iri):
        found = region.engagements.get(project.iri, [])
        name = region.label(project.iri)
        phase_rank = region.phase_rank(project.phase)
        if not found:
            urgent = phase_rank is not None and phase_rank > DESIGN_RANK
            items.append(EngagementItem(
                project=project.iri, label=name, phase=project.phase, first_engaged_phase=None,
                leaders=[], status="none",
                sentence=(f"{name} is in {local_name(project.phase) or 'an unknown phase'} "
                          "with no data leader engaged"
                          + (": its data choices were made without one." if urgent else
                             ": engage one before design ends."))))
            continue
        ranked = [(region.phase_rank(ph) or 99, ph) for _, ph in found if ph]
        if not ranked:
            continue
        first_rank, first_phase = min(ranked)
        if first_rank > DESIGN_RANK:
            leaders = sorted({a for a, _ in found if a})
            items.append(EngagementItem(
                project=project.iri, label=name, phase=project.phase,
                first_engaged_phase=first_phase, leaders=leaders, status="late",
                sentence=(f"{name} first engaged a data leader in "
                          f"{local_name(first_phase)}, after design: review its data "
                          "strategy, approvals and standards now.")))
    capabilities: list[CapabilityItem] = []
    for need_iri, need in sorted(region.needs.items()):
        project = need["project"]
        met = sorted(need["met_by"])
        if met:
            status, offers = "met", met
        else:
            offers = sorted(
                o for o, offer in region.offers.items()
                if offer["kind"] == need["kind"] and (
                    not offer["domains"] or not need["domains"]
                    or offer["domains"] & need["domains"]))
            status = "available" if offers else "gap"
        capabilities.append(CapabilityItem(
            need=need_iri, project=project, project_label=region.label(project),
            kind=local_name(need["kind"]) or None,
            domain=", ".join(sorted(region.label(d) for d in need["domains"])) or None,
            status=status,
            offers=[Ref(id=o, label=_offer_label(region, o)) for o in offers],
        ))
    capabilities.sort(key=lambda c: ({"gap": 0, "available": 1, "met": 2}[c.status], c.need))
    return EngagementResult(engagement=items, capabilities=capabilities,
                            gaps=sum(c.status == "gap" for c in capabilities))


def _offer_label(region: Region, offer: str) -> str:
    by = sorted(region.offers.get(offer, {}).get("by", ()))
    name = region.label(offer)
    return f"{name} ({', '.join(region.label(b) for b in by)})" if by else name
