"""Events: what happened, to whom it matters, as ActivityStreams 2.0 activities."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.clock import now, stamp
from regiongraph.iri import EVENTS_GRAPH, Minter
from regiongraph.namespaces import AS, RDF, RG, RGC
from regiongraph.settings import Settings
from regiongraph.store import Store

# Event kind → the ActivityStreams activity type it is.
KINDS = {
    "project-proposed": "Create", "engagement-requested": "Invite",
    "decision-awaited": "Offer", "decision-made": "Accept", "ending-soon": "Announce",
    "new-violation": "Flag", "saved-search-match": "Announce", "thread-reply": "Create",
    "mentioned": "Create", "harvest-failed": "Announce", "new-post": "Create",
}


@dataclass(frozen=True)
class Event:
    iri: str
    kind: str
    summary: str
    object: str
    published: dt.datetime
    recipients: tuple[str, ...]
    actor: str | None = None
    context: tuple[str, ...] = ()
    """The resources (project, community, dataset) whose outboxes show the event."""

    @property
    def activity(self) -> str:
        return KINDS[self.kind]


def events_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(EVENTS_GRAPH)


def kind_concept(kind: str) -> NamedNode:
    return RGC.term(f"event/{kind}")


def new_event(settings: Settings, kind: str, summary: str, obj: str,
              recipients: Iterable[str], *, actor: str | None = None,
              context: Iterable[str] = ()) -> Event:
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    iri = Minter(settings.base).iri("event", uuid.uuid4().hex).value
    return Event(iri=iri, kind=kind, summary=summary, object=obj, published=now(precise=True),
                 recipients=tuple(sorted(set(recipients) - {actor})), actor=actor,
                 context=tuple(sorted(set(context))))


def event_quads(settings: Settings, event: Event) -> list[Quad]:
    """The event's quads, for a producer to write within its own change."""
    graph, node = events_graph(settings), NamedNode(event.iri)
    quads = [Quad(node, RDF.type, AS.term(event.activity), graph),
             Quad(node, RG.eventKind, kind_concept(event.kind), graph),
             Quad(node, AS.summary, Literal(event.summary), graph),
             Quad(node, AS.object, NamedNode(event.object), graph),
             Quad(node, AS.published, stamp(event.published), graph)]
    if event.actor:
        quads.append(Quad(node, AS.actor, NamedNode(event.actor), graph))
    quads += [Quad(node, AS.to, NamedNode(person), graph) for person in event.recipients]
    quads += [Quad(node, AS.context, NamedNode(iri), graph) for iri in event.context]
    return quads


def record_derived(store: Store, settings: Settings, events: list[Event]) -> None:
    """Record events derived from what the journal says changed (or from the calendar).

    They are the notifications view's own output, written directly like the rules view's
    inferences: journalling them would start the views again from inside a view. No cache
    keys on them; every channel reads them from the store."""
    quads = [quad for event in events if event.recipients or event.context
             for quad in event_quads(settings, event)]
    if quads:
        store.add(quads)


_SELECT = """
SELECT ?e ?kind ?summary ?object ?published ?actor
       (GROUP_CONCAT(DISTINCT STR(?to); separator=" ") AS ?recipients)
       (GROUP_CONCAT(DISTINCT STR(?context); separator=" ") AS ?contexts)
WHERE {{ GRAPH {graph} {{
  {where}
  ?e <{RG}eventKind> ?kind ; <{AS}summary> ?summary ; <{AS}object> ?object ;
     <{AS}published> ?published .
  OPTIONAL {{ ?e <{AS}actor> ?actor }}
  OPTIONAL {{ ?e <{AS}to> ?to }}
  OPTIONAL {{ ?e <{AS}context> ?context }}
  {filter}
}} }}
GROUP BY ?e ?kind ?summary ?object ?published ?actor
ORDER BY DESC(?published) DESC(?e)
LIMIT {limit}"""


def find_events(store: Store, settings: Settings, *, recipient: str | None = None,
                context: str | None = None, since: dt.datetime | None = None,
                limit: int = 200) -> list[Event]:
    """Events addressed to `recipient` or shown in the outbox of `context`, published at
    or after `since`, newest first."""
    where = ""
    if recipient:
        where += f"?e <{AS}to> <{recipient}> .\n"
    if context:
        where += f"?e <{AS}context> <{context}> .\n"
    flt = f"FILTER(?published >= {stamp(since)})" if since else ""
    rows = store.query(_SELECT.format(graph=events_graph(settings), where=where, filter=flt,
                                      limit=int(limit), RG=str.__str__(RG), AS=str.__str__(AS)))
    prefix = kind_concept("").value
    return [Event(iri=row["e"].value, kind=row["kind"].value.removeprefix(prefix),
                  summary=row["summary"].value, object=row["object"].value,
                  published=dt.datetime.fromisoformat(row["published"].value),
                  recipients=tuple(_words(row["recipients"])),
                  actor=row["actor"].value if row["actor"] else None,
                  context=tuple(_words(row["contexts"])))
            for row in rows]


def _words(term) -> list[str]:
    return term.value.split() if term is not None else []


def has_event_about(store: Store, settings: Settings, kind: str, obj: str) -> bool:
    """Whether an event of `kind` about `obj` was already recorded (derived events are
    recorded once, whichever process derives them first)."""
    return bool(store.query(f"ASK {{ GRAPH {events_graph(settings)} {{ ?e "
                            f"{RG.eventKind} {kind_concept(kind)} ; {AS.object} <{obj}> }} }}"))
