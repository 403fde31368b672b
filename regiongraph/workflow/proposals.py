"""Proposals: a member proposes a project (a draft), submits it, and moves it on.

A proposal is an `rg:Project` in the registry graph from its first draft, at phase
ideation, with `rg:workflowState` "draft" until it is submitted. Submitting it sends an
engagement request to every data leader who must be engaged (`engagement.leaders_to_engage`).
"""

import datetime as dt
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.accounts import Principal
from regiongraph.iri import Minter
from regiongraph.namespaces import DCT, RDF, RDFS, RG, RGC
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import engagement, notices, records
from regiongraph.workflow.model import NotFound, Refused, WorkflowError

PHASES = ("ideation", "design", "pilot", "production", "retired")


@dataclass
class Proposal:
    """What a member proposes."""

    title: str
    domain: str
    lead: str
    """The lead community's id (`mesquite`) or IRI."""
    description: str = ""
    partners: list[str] = field(default_factory=list)
    """Partner communities and partners (ids or IRIs)."""
    needs: list[str] = field(default_factory=list)
    """Datasets the project needs: IRIs or `community/identifier`."""
    creates: list[str] = field(default_factory=list)
    """Datasets it will create (`community/identifier` or IRIs)."""


def _organisation(store: Store, settings: Settings, ref: str) -> str:
    minter = Minter(settings.base)
    candidates = [ref] if "://" in ref else [minter.iri("community", ref).value,
                                            minter.iri("partner", ref).value]
    for iri in candidates:
        if records.value(store, settings, iri, RDF.type) is not None:
            return iri
    raise WorkflowError(f"unknown community or partner {ref!r}")


def _dataset(settings: Settings, ref: str) -> str:
    if "://" in ref:
        return ref
    community, sep, identifier = ref.partition("/")
    if not sep or not identifier:
        raise WorkflowError(f"dataset {ref!r} is neither an IRI nor community/identifier")
    return Minter(settings.base).iri("dataset", community, identifier).value


def _require_person(principal: Principal) -> str:
    if principal.person is None or principal.alliance_steward:
        raise Refused("a proposal is made by a member, with their own token")
    if not principal.may_write:
        raise Refused("this token is read-only: issue one with scope write")
    return principal.person


def propose(store: Store, settings: Settings, principal: Principal, proposal: Proposal,
            *, today: dt.date | None = None) -> str:
    """Record a draft proposal; returns the project IRI."""
    person = _require_person(principal)
    if not proposal.title.strip():
        raise WorkflowError("a proposal needs a title")
    lead = _organisation(store, settings, proposal.lead)
    if lead not in principal.organizations:
        raise Refused(f"you hold no role in {lead}: propose for your own community")
    domain = RGC.term(f"domain/{proposal.domain}")
    if not store.query(f"ASK {{ GRAPH ?g {{ {domain} a ?c }} }}"):
        raise WorkflowError(f"unknown domain {proposal.domain!r}")
    ident = records.new_id(proposal.title)
    node = Minter(settings.base).iri("project", ident)
    triples = [Triple(node, RDF.type, RG.Project),
               Triple(node, DCT.term("title"), Literal(proposal.title, language="en")),
               Triple(node, RDFS.label, Literal(proposal.title, language="en")),
               Triple(node, DCT.identifier, Literal(ident)),
               Triple(node, RG.domain, domain), Triple(node, RG.phase, records.phase("ideation")),
               Triple(node, RG.leadCommunity, NamedNode(lead)),
               Triple(node, RG.participant, NamedNode(lead)),
               Triple(node, DCT.creator, NamedNode(person)),
               Triple(node, DCT.created, records.day(today or dt.date.today())),
               Triple(node, RG.proposalState, Literal("draft"))]
    if proposal.description:
        triples.append(Triple(node, DCT.description,
                              Literal(proposal.description, language="en")))
    for partner in proposal.partners:
        triples.append(Triple(node, RG.participant,
                              NamedNode(_organisation(store, settings, partner))))
    for ref in proposal.needs:
        triples.append(Triple(node, RG.usesDataset, NamedNode(_dataset(settings, ref))))
    for ref in proposal.creates:
        triples.append(Triple(node, RG.producesDataset, NamedNode(_dataset(settings, ref))))
    records.write(store, settings, insert=triples, subjects=[node.value],
                  events=notices.project_proposed(store, settings, node.value,
                                                  proposal.title, domain.value, person))
    return node.value


def project_state(store: Store, settings: Settings, project: str) -> str:
    state = records.value(store, settings, project, RG.proposalState)
    if state is None:
        if records.value(store, settings, project, RG.phase) is None:
            raise NotFound(f"no project {project}")
        return "registered"  # a project of the stewards' YAML, never drafted here
    return state


def submit(store: Store, settings: Settings, principal: Principal, project: str,
           *, today: dt.date | None = None) -> list[str]:
    """Submit a draft: it stops being a draft, and every data leader to engage gets an
    engagement request. Returns the requests' IRIs."""
    person = _require_person(principal)
    if project_state(store, settings, project) != "draft":
        raise WorkflowError(f"{project} is not a draft: it was submitted already")
    if records.value(store, settings, project, DCT.creator) != person:
        raise Refused("only the person who proposed it submits a proposal")
    today = today or dt.date.today()
    leaders = [p for p in engagement.leaders_to_engage(store, settings, project) if p != person]
    insert, subjects = engagement.requests_for(store, settings, project, person, today)
    title = records.value(store, settings, project, DCT.term("title")) or project
    events = notices.engagement_requested(settings, list(zip(subjects, leaders, strict=True)),
                                          title, person, project)
    insert += [Triple(NamedNode(project), RG.proposalState, Literal("submitted")),
               Triple(NamedNode(project), RG.submittedOn, records.day(today))]
    delete = records.triples_of(store, settings, project, RG.proposalState)
    records.write(store, settings, insert=insert, delete=delete,
                  subjects=[project, *subjects], events=events)
    return subjects


def advance(store: Store, settings: Settings, principal: Principal, project: str,
            to_phase: str) -> None:
    """Move a submitted project to its next phase. With
    `REGIONGRAPH_REQUIRE_ENGAGEMENT_BEFORE_DESIGN`, a project leaves ideation only once a
    data leader of its lead community has accepted (shape R4-LeadEngagedBeforeDesign says
    the same of the graph)."""
    person = _require_person(principal)
    lead = records.value(store, settings, project, RG.leadCommunity)
    if lead is None:
        raise NotFound(f"no project {project}")
    if lead not in principal.organizations:
        raise Refused(f"only members of the lead community {lead} move the project on")
    if project_state(store, settings, project) == "draft":
        raise WorkflowError("submit the proposal before moving it on")
    current = (records.value(store, settings, project, RG.phase) or "").rsplit("/", 1)[-1]
    if to_phase not in PHASES or PHASES.index(to_phase) != PHASES.index(current) + 1:
        raise WorkflowError(f"from {current} the next phase is "
                            f"{PHASES[min(PHASES.index(current) + 1, len(PHASES) - 1)]}, "
                            f"not {to_phase!r}")
    if (current == "ideation" and settings.require_engagement_before_design
            and not engagement.lead_engaged(store, settings, project, lead)):
        raise Refused("the alliance requires a data leader of the lead community to be "
                      "engaged before design (REGIONGRAPH_REQUIRE_ENGAGEMENT_BEFORE_DESIGN)")
    records.write(store, settings,
                  insert=[Triple(NamedNode(project), RG.phase, records.phase(to_phase))],
                  delete=records.triples_of(store, settings, project, RG.phase),
                  subjects=[project, person])
