"""Reading and writing workflow records in the registry graph, through the one change path.

Proposals, requests, engagements, approvals, agreements and decisions all live in the
registry graph, beside what the stewards' YAML says: so visibility, the rules and the
governance analysis read them exactly as they read a hand-written approval, and
`regiongraph registry export` writes them out with the rest.
"""

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad, Triple

from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.iri import REGISTRY_GRAPH, Minter, slug
from regiongraph.namespaces import PROV, RDF, RG, RGC, XSD
from regiongraph.settings import Settings

if TYPE_CHECKING:
    from regiongraph.notify.events import Event
from regiongraph.store import Store
from regiongraph.workflow.model import Decision, NotFound, Request

ROAD = "workflow"


def registry(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(REGISTRY_GRAPH)


def new_id(title: str) -> str:
    """A readable, unique id: the title's slug and a short random suffix."""
    return f"{slug(title)[:40].strip('-') or 'item'}-{secrets.token_hex(3)}"


def day(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def write(store: Store, settings: Settings, *, insert: Iterable[Triple] = (),
          delete: Iterable[Triple] = (), subjects: Iterable[str] = (),
          events: Iterable["Event"] = ()) -> int:
    """Remove `delete` and add `insert` in the registry graph, with the notifications the
    step causes (`workflow.notices`), as one journalled change (road "workflow"); returns
    the new store version."""
    from regiongraph.notify.events import event_quads

    notices = [q for event in events for q in event_quads(settings, event)]
    graph = registry(settings)
    removed, added = list(delete), list(insert)
    policy = Triple(graph, RG.requiresEngagementBeforeDesign,
                    Literal(str(settings.require_engagement_before_design).lower(),
                            datatype=XSD.boolean))
    if policy not in triples_of(store, settings, graph.value, RG.requiresEngagementBeforeDesign):
        # the setting, mirrored where shape R4-LeadEngagedBeforeDesign reads it
        removed += triples_of(store, settings, graph.value, RG.requiresEngagementBeforeDesign)
        added.append(policy)

    def run() -> list[NamedNode]:
        if removed:
            store.update("DELETE DATA { GRAPH " + str(graph) + " { " + " ".join(
                f"{t.subject} {t.predicate} {t.object} ." for t in removed) + " } }")
        if added:
            store.add(Quad(t.subject, t.predicate, t.object, graph) for t in added)
        if notices:
            store.add(notices)
            return [graph, notices[0].graph_name]
        return [graph]

    # Every node a triple is written about is named, not only those the caller gives: the
    # views then follow these nodes alone (`visibility.named_datasets`, search).
    named = {*subjects, *(t.subject.value for t in (*removed, *added)
                          if isinstance(t.subject, NamedNode))}
    return apply_change(store, settings, ROAD, run, subjects=named).version


def values(store: Store, settings: Settings, subject: str, predicate: NamedNode) -> list[str]:
    rows = store.query(f"SELECT ?o WHERE {{ GRAPH {registry(settings)} {{ <{subject}> "
                       f"{predicate} ?o }} }}")
    return sorted(row["o"].value for row in rows)


def value(store: Store, settings: Settings, subject: str, predicate: NamedNode) -> str | None:
    found = values(store, settings, subject, predicate)
    return found[0] if found else None


def triples_of(store: Store, settings: Settings, subject: str,
               predicate: NamedNode) -> list[Triple]:
    """The registry's triples `subject predicate ?o` (to replace a value)."""
    rows = store.query(f"SELECT ?o WHERE {{ GRAPH {registry(settings)} {{ <{subject}> "
                       f"{predicate} ?o }} }}")
    return [Triple(NamedNode(subject), predicate, row["o"]) for row in rows]


_REQUEST_QUERY = """
SELECT ?r ?kind ?state ?title ?requester ?project ?created ?due ?owner ?receiver ?record
       ?from ?until ?status
       (GROUP_CONCAT(DISTINCT STR(?to); separator=" ") AS ?tos)
       (GROUP_CONCAT(DISTINCT STR(?d); separator=" ") AS ?ds)
WHERE {{ GRAPH {graph} {{
  {where}
  ?r a rg:WorkflowRequest ; rg:requestKind ?kind ; rg:workflowState ?state ;
     dct:title ?title ; dct:created ?created ; rg:dueDate ?due .
  OPTIONAL {{ ?r dct:creator ?requester }}
  OPTIONAL {{ ?r rg:forProject ?project }}
  OPTIONAL {{ ?r rg:addressedTo ?to }}
  OPTIONAL {{ ?r rg:askedOf ?owner }}
  OPTIONAL {{ ?r rg:receiver ?receiver }}
  OPTIONAL {{ ?r rg:requestsDataset ?d }}
  OPTIONAL {{ ?r rg:requestRecord ?record .
             OPTIONAL {{ ?record rg:validFrom ?from }} OPTIONAL {{ ?record rg:validUntil ?until }}
             OPTIONAL {{ ?record rg:status ?status }} }}
}} }}
GROUP BY ?r ?kind ?state ?title ?requester ?project ?created ?due ?owner ?receiver ?record
         ?from ?until ?status
"""


def _date(term) -> dt.date | None:
    return dt.date.fromisoformat(term.value[:10]) if term is not None else None


def _split(term) -> list[str]:
    return sorted(filter(None, term.value.split(" "))) if term is not None else []


def read_requests(store: Store, settings: Settings, where: str = "") -> list[Request]:
    """Requests matching the SPARQL pattern `where` (on ?r), oldest first."""
    from regiongraph.namespaces import sparql_prefixes

    query = sparql_prefixes() + _REQUEST_QUERY.format(graph=registry(settings), where=where)
    found: dict[str, Request] = {}
    for row in store.query(query):
        iri = row["r"].value
        if iri in found:  # a record with two statuses or ends: keep the first reading
            continue
        found[iri] = Request(
            iri=iri, kind=row["kind"].value, state=row["state"].value,
            title=row["title"].value,
            requester=row["requester"].value if row["requester"] else None,
            project=row["project"].value if row["project"] else None,
            created=_date(row["created"]) or dt.date.min, due=_date(row["due"]) or dt.date.min,
            addressed_to=_split(row["tos"]),
            owner=row["owner"].value if row["owner"] else None,
            receiver=row["receiver"].value if row["receiver"] else None,
            datasets=_split(row["ds"]),
            record=row["record"].value if row["record"] else None,
            valid_from=_date(row["from"]), valid_until=_date(row["until"]),
            record_status=row["status"].value if row["status"] else None)
    return sorted(found.values(), key=lambda r: (r.created, r.iri))


def read_request(store: Store, settings: Settings, iri: str) -> Request:
    found = read_requests(store, settings, f"VALUES ?r {{ <{iri}> }}")
    if not found:
        raise NotFound(f"no request {iri}")
    return found[0]


def read_decisions(store: Store, settings: Settings, where: str = "") -> list[Decision]:
    rows = store.query(f"""
SELECT ?d ?request ?outcome ?person ?at ?reason ?conditions WHERE {{
  GRAPH {registry(settings)} {{
    {where}
    ?d {PROV.used} ?request ; a {RG.Decision} ; {RG.outcome} ?outcome ;
       {PROV.wasAssociatedWith} ?person ; {PROV.endedAtTime} ?at ; {RG.reason} ?reason .
    OPTIONAL {{ ?d {RG.conditions} ?conditions }}
  }} }}""")
    decisions = [Decision(row["d"].value, row["request"].value, row["outcome"].value,
                          row["person"].value, dt.datetime.fromisoformat(row["at"].value),
                          row["reason"].value,
                          row["conditions"].value if row["conditions"] else None)
                 for row in rows]
    return sorted(decisions, key=lambda d: (d.at, d.iri))


def decision_triples(settings: Settings, request: str, outcome: str, person: str,
                     reason: str, conditions: str | None, generated: str | None
                     ) -> tuple[str, list[Triple]]:
    """A new decision record: the PROV activity, who, when, on which request, with what."""
    node = Minter(settings.base).iri("decision", new_id(outcome))
    at = now()
    triples = [Triple(node, RG.outcome, Literal(outcome)),
               Triple(node, RDF.type, RG.Decision), Triple(node, RDF.type, PROV.Activity),
               Triple(node, PROV.used, NamedNode(request)),
               Triple(node, PROV.wasAssociatedWith, NamedNode(person)),
               Triple(node, PROV.startedAtTime, stamp(at)),
               Triple(node, PROV.endedAtTime, stamp(at)),
               Triple(node, RG.reason, Literal(reason))]
    if conditions:
        triples.append(Triple(node, RG.conditions, Literal(conditions)))
    if generated:
        triples.append(Triple(node, PROV.generated, NamedNode(generated)))
    return node.value, triples


def status(word: str) -> NamedNode:
    return RGC.term(f"status/{word}")


def phase(word: str) -> NamedNode:
    return RGC.term(f"phase/{word}")
