"""Engaging data leaders early: who must be engaged, and the engagement requests.

On submission the lead community's data leaders, the data leaders of every community
whose data the project needs, and the partners' contacts (people holding any role in a
partner organisation of the project) each get an engagement request. An accepted request
becomes the project's `rg:Engagement` with the phase the project was in that day, which
is what rule R4 reads: it is judged on live data.
"""

import datetime as dt

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.iri import Minter
from regiongraph.namespaces import DCT, ORG, PROV, RDF, RG, RGC, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import records
from regiongraph.workflow.model import DUE_DAYS

DATA_LEADER = RGC.term("role/data-leader")


def leaders_to_engage(store: Store, settings: Settings, project: str) -> dict[str, str]:
    """Person IRI → the organisation they are engaged for."""
    graph = records.registry(settings)
    rows = store.query(sparql_prefixes() + f"""
SELECT DISTINCT ?person ?org WHERE {{
  GRAPH {graph} {{
    {{ <{project}> rg:leadCommunity ?org .
       ?a org:member ?person ; org:organization ?org ; org:role <{DATA_LEADER.value}> }}
    UNION
    {{ <{project}> rg:participant ?org . ?org a rg:Partner .
       ?a a rg:RoleAssignment ; org:member ?person ; org:organization ?org }}
  }}
}}""")
    found = {row["person"].value: row["org"].value for row in rows if row["person"]}
    owners = store.query(sparql_prefixes() + f"""
SELECT DISTINCT ?person ?org WHERE {{
  GRAPH {graph} {{ <{project}> rg:usesDataset ?d }}
  ?d dct:publisher ?org .
  GRAPH {graph} {{ ?a org:member ?person ; org:organization ?org ;
                     org:role <{DATA_LEADER.value}> }}
}}""", union_default_graph=True)
    for row in owners:
        found.setdefault(row["person"].value, row["org"].value)
    return dict(sorted(found.items()))


def requests_for(store: Store, settings: Settings, project: str, requester: str,
                 today: dt.date) -> tuple[list[Triple], list[str]]:
    """The triples of one engagement request per leader to engage (not the requester)."""
    minter = Minter(settings.base)
    title = records.value(store, settings, project, DCT.term("title")) or project
    triples: list[Triple] = []
    made: list[str] = []
    for person, org in leaders_to_engage(store, settings, project).items():
        if person == requester:
            continue
        node = minter.iri("request", records.new_id(f"engage {title}"))
        triples += request_triples(node, "engagement", f"Engagement in {title}", requester,
                                   project, today, [person])
        triples.append(Triple(node, RG.receiver, NamedNode(org)))
        triples.append(Triple(node, RG.atPhase, _phase(store, settings, project)))
        made.append(node.value)
    return triples, made


def request_triples(node: NamedNode, kind: str, title: str, requester: str | None,
                    project: str | None, today: dt.date, addressed_to: list[str]
                    ) -> list[Triple]:
    """The triples every request has."""
    triples = [Triple(node, RDF.type, RG.WorkflowRequest),
               Triple(node, RG.requestKind, Literal(kind)),
               Triple(node, RG.workflowState, Literal("submitted")),
               Triple(node, DCT.term("title"), Literal(title)),
               Triple(node, DCT.created, records.day(today)),
               Triple(node, RG.dueDate, records.day(today + dt.timedelta(days=DUE_DAYS[kind])))]
    if requester:
        triples.append(Triple(node, DCT.creator, NamedNode(requester)))
    if project:
        triples.append(Triple(node, RG.forProject, NamedNode(project)))
    triples += [Triple(node, RG.addressedTo, NamedNode(p)) for p in addressed_to]
    return triples


def _phase(store: Store, settings: Settings, project: str) -> NamedNode:
    return NamedNode(records.value(store, settings, project, RG.phase)
                     or records.phase("ideation").value)


def engagement_triples(store: Store, settings: Settings, project: str, person: str,
                       today: dt.date) -> tuple[str, list[Triple]]:
    """The `rg:Engagement` rule R4 reads: who, in which phase, on which day."""
    ident = Minter(settings.base).local_id(project, "project") or records.new_id("p")
    node = Minter(settings.base).iri("engagement", ident, person.rsplit("/", 1)[-1])
    return node.value, [
        Triple(node, RDF.type, RG.Engagement), Triple(node, PROV.agent, NamedNode(person)),
        Triple(node, PROV.hadRole, DATA_LEADER),
        Triple(node, RG.engagedAtPhase, _phase(store, settings, project)),
        Triple(node, RG.engagedOn, records.day(today)),
        Triple(NamedNode(project), RG.engagement, node),
        Triple(NamedNode(project), PROV.wasAssociatedWith, NamedNode(person))]


def lead_engaged(store: Store, settings: Settings, project: str, lead: str) -> bool:
    """Whether a data leader of the lead community is engaged in the project."""
    return bool(store.query(f"""ASK {{ GRAPH {records.registry(settings)} {{
  <{project}> {RG.engagement} ?e . ?e {PROV.agent} ?person .
  ?a {ORG.member} ?person ; {ORG.organization} <{lead}> ; {ORG.role} {DATA_LEADER} }} }}"""))
