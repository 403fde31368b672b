"""Saved searches: a person's query, re-run when the region changes, announcing the
datasets that newly match.

Saving records what matches already, so only later arrivals are news. Each search runs
as its owner (`membership.member_also`): a dataset they may not see never matches.
"""

import uuid
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.accounts import principal_for_person
from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.iri import Minter
from regiongraph.namespaces import DCT, RDF, RG
from regiongraph.notify.events import Event, events_graph, new_event
from regiongraph.settings import Settings
from regiongraph.store import Store

MAX_MATCHES = 1000


@dataclass(frozen=True)
class SavedSearch:
    iri: str
    owner: str
    query: str


def _matches(store: Store, settings: Settings, owner: str, query: str) -> set[str]:
    from regiongraph.membership import member_also
    from regiongraph.search import index_for

    principal = principal_for_person(store, settings, owner)
    result = index_for(store, settings).search(
        query, also=member_also(store, settings, principal), rows=MAX_MATCHES)
    return {hit["iri"] for hit in result.hits}


def save_search(store: Store, settings: Settings, owner: str, query: str) -> SavedSearch:
    """Save `query` for `owner`; what matches now is the baseline, not news."""
    from regiongraph.search.query import parse_query

    parse_query(query)  # a bad query is refused now, not at each change
    node = Minter(settings.base).iri("saved-search", uuid.uuid4().hex)
    graph = events_graph(settings)
    quads = [Quad(node, RDF.type, RG.SavedSearch, graph),
             Quad(node, RG.searchOwner, NamedNode(owner), graph),
             Quad(node, RG.searchQuery, Literal(query), graph),
             Quad(node, DCT.created, stamp(now(precise=True)), graph)]
    quads += [Quad(node, RG.announced, NamedNode(iri), graph)
              for iri in _matches(store, settings, owner, query)]

    def write() -> list[NamedNode]:
        store.add(quads)
        return [graph]

    apply_change(store, settings, "notify", write)
    return SavedSearch(node.value, owner, query)


def saved_searches(store: Store, settings: Settings, owner: str | None = None
                   ) -> list[SavedSearch]:
    where = f"?s {RG.searchOwner} <{owner}> ." if owner else ""
    rows = store.query(f"""SELECT ?s ?owner ?q WHERE {{ GRAPH {events_graph(settings)} {{
  {where} ?s a {RG.SavedSearch} ; {RG.searchOwner} ?owner ; {RG.searchQuery} ?q }} }}
ORDER BY ?s""")
    return [SavedSearch(r["s"].value, r["owner"].value, r["q"].value) for r in rows]


def delete_search(store: Store, settings: Settings, owner: str, iri: str) -> bool:
    if not any(s.iri == iri for s in saved_searches(store, settings, owner)):
        return False
    graph = events_graph(settings)

    def write() -> list[NamedNode]:
        store.update(f"DELETE WHERE {{ GRAPH {graph} {{ <{iri}> ?p ?o }} }}")
        return [graph]

    apply_change(store, settings, "notify", write)
    return True


def _announced(store: Store, settings: Settings, search: str) -> set[str]:
    rows = store.query(f"SELECT ?d WHERE {{ GRAPH {events_graph(settings)} {{ <{search}> "
                       f"{RG.announced} ?d }} }}")
    return {row["d"].value for row in rows}


def saved_search_matches(store: Store, settings: Settings) -> list[Event]:
    """Datasets that match a saved search and were not announced for it yet; recorded as
    announced with the event (the notifications view's own output)."""
    events: list[Event] = []
    graph = events_graph(settings)
    for search in saved_searches(store, settings):
        fresh = _matches(store, settings, search.owner, search.query) - _announced(
            store, settings, search.iri)
        if not fresh:
            continue
        store.add([Quad(NamedNode(search.iri), RG.announced, NamedNode(d), graph)
                   for d in fresh])
        for dataset in sorted(fresh):
            events.append(new_event(settings, "saved-search-match",
                                    f"New match for “{search.query}”: "
                                    f"{dataset.rsplit('/', 2)[-2:][-1]}", dataset,
                                    [search.owner]))
    return events
