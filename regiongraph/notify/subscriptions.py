"""Who follows what, saved searches, and each person's channel preferences.

People follow resources explicitly, and follow automatically what they take part in:
their community's datasets (as members of its publisher), the projects they are engaged
in (`prov:wasAssociatedWith`), the threads they posted in, and — through the workflow —
the requests they made or must decide. Automatic follows are derived from the graph when
an event is recorded, never stored, so a role that ends stops the notifications with it.
"""

from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.namespaces import DCT, ORG, PROV, RG
from regiongraph.notify.events import events_graph
from regiongraph.settings import Settings
from regiongraph.store import Store

MAIL_CHOICES = ("instant", "daily", "off")


def _iri(value: str) -> str:
    if any(c in value for c in "<> \"{}|\\^`") or ":" not in value:
        raise ValueError(f"not an IRI: {value!r}")
    return value


def _set(store: Store, settings: Settings, subject: str, predicate: NamedNode,
         value: NamedNode | Literal | None, *, replace: bool) -> None:
    graph, node = events_graph(settings), NamedNode(_iri(subject))

    def write() -> list[NamedNode]:
        if replace:
            store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {node} {predicate} ?old }} }}")
        if value is not None:
            store.add([Quad(node, predicate, value, graph)])
        return [graph]

    apply_change(store, settings, "notify", write)


def follow(store: Store, settings: Settings, person: str, resource: str) -> None:
    _set(store, settings, person, RG.follows, NamedNode(_iri(resource)), replace=False)


def unfollow(store: Store, settings: Settings, person: str, resource: str) -> None:
    graph = events_graph(settings)

    def write() -> list[NamedNode]:
        store.update(f"DELETE DATA {{ GRAPH {graph} {{ <{_iri(person)}> {RG.follows} "
                     f"<{_iri(resource)}> }} }}")
        return [graph]

    apply_change(store, settings, "notify", write)


def followed(store: Store, settings: Settings, person: str) -> list[str]:
    rows = store.query(f"SELECT ?r WHERE {{ GRAPH {events_graph(settings)} {{ "
                       f"<{_iri(person)}> {RG.follows} ?r }} }} ORDER BY ?r")
    return [row["r"].value for row in rows]


def followers(store: Store, settings: Settings, resources: Iterable[str]) -> set[str]:
    """Everyone who follows any of `resources`, explicitly or by taking part."""
    chosen = [r for r in dict.fromkeys(resources) if r]
    if not chosen:
        return set()
    values = " ".join(f"<{_iri(r)}>" for r in chosen)
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    rows = store.query(f"""
SELECT DISTINCT ?p WHERE {{
  VALUES ?r {{ {values} }}
  {{ GRAPH {events_graph(settings)} {{ ?p {RG.follows} ?r }} }}
  UNION {{ ?r {DCT.publisher} ?org .
           GRAPH {registry} {{ ?a {ORG.member} ?p ; {ORG.organization} ?org }} }}
  UNION {{ GRAPH {registry} {{ ?r {PROV.wasAssociatedWith} ?p }} }}
}}""", union_default_graph=True)
    return {row["p"].value for row in rows}


def members_of(store: Store, settings: Settings, organization: str,
               roles: Iterable[str] | None = None) -> set[str]:
    """People holding a role (any, or one of `roles`) in `organization`."""
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    role_filter = ""
    if roles is not None:
        role_filter = "VALUES ?role { " + " ".join(f"<{_iri(r)}>" for r in roles) + " }"
    rows = store.query(f"""
SELECT DISTINCT ?p WHERE {{ {role_filter} GRAPH {registry} {{
  ?a {ORG.member} ?p ; {ORG.organization} <{_iri(organization)}> ; {ORG.role} ?role }} }}""")
    return {row["p"].value for row in rows}


def set_mail(store: Store, settings: Settings, person: str, choice: str) -> None:
    if choice not in MAIL_CHOICES:
        raise ValueError(f"e-mail delivery is one of {', '.join(MAIL_CHOICES)}")
    _set(store, settings, person, RG.mailDelivery, Literal(choice), replace=True)


def mail_choices(store: Store, settings: Settings, people: Iterable[str]) -> dict[str, str]:
    """Person → instant, daily or off (instant unless they chose otherwise)."""
    chosen = list(dict.fromkeys(people))
    if not chosen:
        return {}
    values = " ".join(f"<{_iri(p)}>" for p in chosen)
    rows = store.query(f"SELECT ?p ?c WHERE {{ VALUES ?p {{ {values} }} GRAPH "
                       f"{events_graph(settings)} {{ ?p {RG.mailDelivery} ?c }} }}")
    found = {row["p"].value: row["c"].value for row in rows}
    return {p: found.get(p, "instant") for p in chosen}


def mark_read(store: Store, settings: Settings, person: str) -> None:
    _set(store, settings, person, RG.notificationsReadUntil, stamp(now(precise=True)), replace=True)


def read_until(store: Store, settings: Settings, person: str):
    import datetime as dt

    rows = store.query(f"SELECT ?t WHERE {{ GRAPH {events_graph(settings)} {{ "
                       f"<{_iri(person)}> {RG.notificationsReadUntil} ?t }} }}")
    return next((dt.datetime.fromisoformat(row["t"].value) for row in rows), None)


def unread_count(store: Store, settings: Settings, person: str) -> int:
    """Events addressed to `person` after they last marked their notifications read."""
    from regiongraph.notify.events import events_graph as graph

    since = read_until(store, settings, person)
    after = f"FILTER(?at > {stamp(since)})" if since else ""
    rows = store.query(f"""
SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ GRAPH {graph(settings)} {{
  ?e <https://www.w3.org/ns/activitystreams#to> <{_iri(person)}> ;
     <https://www.w3.org/ns/activitystreams#published> ?at {after} }} }}""")
    return int(next(iter(rows))["n"].value)
