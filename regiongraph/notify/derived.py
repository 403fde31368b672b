"""Events derived from what other roads wrote: the notifications view of the one change path
(`change.VIEWS`), and the daily calendar.

- A failed harvest (the harvest-log graph changed): the data leaders and stewards of the
  source's community are told.
- A violation a re-validation found: the data leaders and stewards of its community.
- A new dataset matching a saved search: the person who saved it (`saved.py`).
- An approval or agreement entering its last 30 days (by the calendar, checked by each
  delivery round): everyone following what it covers, and its parties' data leaders.

Each derived event is recorded once per thing (`has_event_about`), so the view can be
re-run, and run by several processes, without telling anyone twice.
"""

import datetime as dt
import json

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.harvest.report import HARVEST_LOG_GRAPH
from regiongraph.iri import REGISTRY_GRAPH, Minter, is_bookkeeping
from regiongraph.namespaces import ODRL, RG, RGC
from regiongraph.notify.events import (
    Event,
    events_graph,
    has_event_about,
    kind_concept,
    new_event,
    record_derived,
)
from regiongraph.notify.subscriptions import followers, members_of
from regiongraph.rules.reports import CURRENT
from regiongraph.settings import Settings
from regiongraph.store import Store

AS_NS = "https://www.w3.org/ns/activitystreams#"
RESPONSIBLE = [RGC.term(f"role/{r}").value for r in ("data-leader", "data-steward")]
ENDING_WINDOW = dt.timedelta(days=30)
VALUES_BATCH = 1000


def follow(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    minter = Minter(settings.base)
    if minter.graph(HARVEST_LOG_GRAPH) in changed:
        record_derived(store, settings, harvest_failures(store, settings))
    if any(not is_bookkeeping(settings.base, g.value) for g in changed):
        from regiongraph.notify.saved import saved_search_matches

        runs = unannounced_runs(store, settings)
        record_derived(store, settings, new_violations(store, settings, runs))
        mark_announced(store, settings, runs)  # after the events: a crash between re-derives
        record_derived(store, settings, saved_search_matches(store, settings))


def unannounced_runs(store: Store, settings: Settings) -> list[str]:
    """The re-validation runs (`rg:focusNodesChecked`) whose violations were not yet
    looked at (`mark_announced`), the current report's copy of the latest run's header
    left out. One triple per run is read, not the results of every run so far."""
    current = Minter(settings.base).graph(*CURRENT)
    rows = store.query(f"""
SELECT DISTINCT ?report WHERE {{ GRAPH ?run {{ ?report {RG.focusNodesChecked} ?n }}
  FILTER(?run != {current})
  FILTER NOT EXISTS {{ GRAPH {events_graph(settings)} {{ ?report {RG.violationsAnnounced} ?done }} }}
}}""")
    return sorted(row["report"].value for row in rows)


def mark_announced(store: Store, settings: Settings, runs: list[str]) -> None:
    """Remember that the violations of `runs` were announced (or were no news)."""
    graph = events_graph(settings)
    store.add([Quad(NamedNode(run), RG.violationsAnnounced, Literal(True), graph)
               for run in runs])


def new_violations(store: Store, settings: Settings, runs: list[str]) -> list[Event]:
    """Violations in the current report that the re-validation `runs` after a change found
    (the rules view runs before this one), each (focus, shape) once. A full run, such as
    the first load, announces nothing: nothing in it is news.

    Only the results of runs not looked at before are read, and only their (focus, shape)
    pairs are checked against the events already recorded: reading every incremental
    run's results and every announced violation made a 1% re-harvest at 10k datasets cost
    0.3-0.7 s here, growing with each change."""
    if not runs:
        return []
    current = Minter(settings.base).graph(*CURRENT)
    found = []
    for start in range(0, len(runs), VALUES_BATCH):
        values = " ".join(f"<{run}>" for run in runs[start:start + VALUES_BATCH])
        found += store.query(f"""
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT DISTINCT ?focus ?shape ?community ?message WHERE {{
  VALUES ?report {{ {values} }}
  GRAPH ?run {{ ?report sh:result ?r }}
  GRAPH {current} {{ ?now sh:result ?r .
    ?r sh:resultSeverity sh:Violation ; sh:focusNode ?focus ; sh:sourceShape ?shape ;
       sh:resultMessage ?message ; {RG.community} ?community }}
}}""")
    seen = _announced_violations(store, settings, {row["focus"].value for row in found})
    responsible: dict[str, set[str]] = {}
    events = []
    for row in found:
        key = (row["focus"].value, row["shape"].value)
        if key in seen:
            continue
        seen.add(key)
        community = row["community"].value
        if community not in responsible:
            responsible[community] = members_of(store, settings, community, RESPONSIBLE)
        events.append(new_event(settings, "new-violation",
                                f"New violation: {row['message'].value[:160]}", key[0],
                                responsible[community], context=[community, key[1]]))
    return events


def _announced_violations(store: Store, settings: Settings, focus: set[str]
                          ) -> set[tuple[str, str]]:
    """(focus, context) of the new-violation events recorded about the nodes `focus` (a
    context is the shape or the community)."""
    nodes = sorted(focus)
    found: set[tuple[str, str]] = set()
    for start in range(0, len(nodes), VALUES_BATCH):
        values = " ".join(f"<{n}>" for n in nodes[start:start + VALUES_BATCH])
        rows = store.query(f"""
SELECT ?focus ?context WHERE {{ VALUES ?focus {{ {values} }} GRAPH {events_graph(settings)} {{
  ?e <{AS_NS}object> ?focus ; {RG.eventKind} {kind_concept("new-violation")} ;
     <{AS_NS}context> ?context }} }}""")
        found |= {(row["focus"].value, row["context"].value) for row in rows}
    return found


def harvest_failures(store: Store, settings: Settings) -> list[Event]:
    minter = Minter(settings.base)
    rows = store.query(f"""
SELECT ?r ?json WHERE {{ GRAPH {minter.graph(HARVEST_LOG_GRAPH)} {{
  ?r {RG.harvestStatus} "failed" ; {RG.reportJson} ?json }}
  FILTER NOT EXISTS {{ GRAPH {events_graph(settings)} {{ ?e <https://www.w3.org/ns/activitystreams#object> ?r }} }}
}}""")
    events = []
    for row in rows:
        report = json.loads(row["json"].value)
        if not report.get("community"):
            continue
        community = minter.iri("community", report["community"]).value
        people = members_of(store, settings, community, RESPONSIBLE)
        why = (report.get("message") or "no reason given")[:200]
        events.append(new_event(settings, "harvest-failed",
                                f"Harvest of {report['source']} failed: {why}",
                                row["r"].value, people, context=[community]))
    return events


def ending_soon(store: Store, settings: Settings, today: dt.date | None = None) -> list[Event]:
    """Approvals and agreements in force whose last day is within 30 days."""
    today = today or dt.datetime.now(dt.UTC).date()
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    rows = store.query(f"""
SELECT ?x ?until (GROUP_CONCAT(DISTINCT STR(?covered); separator=" ") AS ?datasets)
       (GROUP_CONCAT(DISTINCT STR(?party); separator=" ") AS ?parties) WHERE {{
  GRAPH {registry} {{
    ?x {RG.validUntil} ?until .
    FILTER(?until >= "{today.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date> &&
           ?until <= "{(today + ENDING_WINDOW).isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>)
    OPTIONAL {{ ?x {RG.coversDataset} ?covered }}
    OPTIONAL {{ ?x {RG.dataOwner}|{ODRL.assigner}|{ODRL.assignee} ?party }}
  }}
}} GROUP BY ?x ?until""")
    events = []
    for row in rows:
        thing = row["x"].value
        if has_event_about(store, settings, "ending-soon", thing):
            continue
        datasets = row["datasets"].value.split() if row["datasets"] else []
        parties = row["parties"].value.split() if row["parties"] else []
        people = followers(store, settings, [thing, *datasets])
        for party in parties:
            people |= members_of(store, settings, party, RESPONSIBLE)
        events.append(new_event(settings, "ending-soon",
                                f"Ends on {row['until'].value}: {thing.rsplit('/', 1)[-1]}",
                                thing, people, context=parties))
    return events


def follow_calendar(store: Store, settings: Settings, today: dt.date | None = None) -> None:
    record_derived(store, settings, ending_soon(store, settings, today))
