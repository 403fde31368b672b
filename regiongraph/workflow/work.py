"""What the pages and lists show: my work, a project's story, the alliance's measures."""

import datetime as dt
import statistics

from regiongraph.accounts import Principal
from regiongraph.change import VersionedCache
from regiongraph.namespaces import DCT, RG, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import records, strategy
from regiongraph.workflow.model import OPEN_STATES, NotFound, Request
from regiongraph.workflow.proposals import project_state


def _renewals_opened(store: Store, settings: Settings) -> list[str]:
    from regiongraph.workflow.requests import open_renewals

    return open_renewals(store, settings)


# Renewals fall due by the day or by a write: look once per store version and day.
_renewals: VersionedCache[list[str]] = VersionedCache(_renewals_opened)


def awaiting(store: Store, settings: Settings, person: str) -> list[Request]:
    """Open requests addressed to `person` (renewals due are opened first)."""
    _renewals.get(store, settings)
    found = records.read_requests(store, settings, f"?r rg:addressedTo <{person}> .")
    return [r for r in found if r.state in OPEN_STATES and r.requester != person]


def my_work(store: Store, settings: Settings, principal: Principal,
            today: dt.date | None = None) -> dict:
    """What awaits the person (engagements to answer, reviews and decisions due), what
    they asked for, and their drafts; with the counts the navigation shows."""
    today = today or dt.date.today()
    if principal.person is None:
        return {"person": None, "awaiting": [], "asked": [], "drafts": [],
                "counts": {"awaiting": 0, "overdue": 0}}
    person = principal.person
    waiting = awaiting(store, settings, person)
    asked = records.read_requests(store, settings, f"?r dct:creator <{person}> .")
    drafts = [row["p"].value for row in store.query(
        f"SELECT ?p WHERE {{ GRAPH {records.registry(settings)} {{ ?p {DCT.creator} <{person}> ;"
        f" {RG.proposalState} \"draft\" }} }}")]
    return {"person": person,
            "awaiting": [r.as_dict(today) for r in waiting],
            "asked": [r.as_dict(today) for r in asked],
            "drafts": sorted(drafts),
            "counts": {"awaiting": len(waiting),
                       "overdue": sum(r.overdue(today) for r in waiting)}}


def list_requests(store: Store, settings: Settings, *, state: str | None = None,
                  kind: str | None = None, today: dt.date | None = None) -> list[dict]:
    today = today or dt.date.today()
    out = []
    for request in records.read_requests(store, settings):
        shown = request.as_dict(today)
        if (state is None or shown["state"] == state) and (kind is None or request.kind == kind):
            out.append(shown)
    return out


def show_request(store: Store, settings: Settings, iri: str,
                 today: dt.date | None = None) -> dict:
    today = today or dt.date.today()
    request = records.read_request(store, settings, iri)
    shown = request.as_dict(today)
    shown["decisions"] = [d.as_dict() for d in records.read_decisions(
        store, settings, f"VALUES ?request {{ <{iri}> }}")]
    return shown


def project(store: Store, settings: Settings, iri: str, today: dt.date | None = None) -> dict:
    """The project's story as a timeline: proposal, engagements, strategy, requests,
    decisions; with its strategy drafted on `today`."""
    today = today or dt.date.today()
    rows = list(store.query(sparql_prefixes() + f"""
SELECT ?title ?phase ?lead ?creator ?created ?submitted ?description WHERE {{
  GRAPH {records.registry(settings)} {{ <{iri}> a rg:Project ; rg:phase ?phase .
    OPTIONAL {{ <{iri}> dct:title|rdfs:label ?title }}
    OPTIONAL {{ <{iri}> rg:leadCommunity ?lead }}
    OPTIONAL {{ <{iri}> dct:creator ?creator }} OPTIONAL {{ <{iri}> dct:created ?created }}
    OPTIONAL {{ <{iri}> rg:submittedOn ?submitted }}
    OPTIONAL {{ <{iri}> dct:description ?description }} }} }} LIMIT 1"""))
    if not rows:
        raise NotFound(f"no project {iri}")
    row = rows[0]

    def text(name: str) -> str | None:
        return row[name].value if row[name] is not None else None

    events: list[dict] = []
    if text("created"):
        events.append({"day": text("created"), "what": "proposed", "who": text("creator")})
    if text("submitted"):
        events.append({"day": text("submitted"), "what": "submitted", "who": text("creator")})
    requests = records.read_requests(store, settings, f"?r rg:forProject <{iri}> .")
    for request in requests:
        events.append({"day": request.created.isoformat(), "what": f"{request.kind} requested",
                       "request": request.iri, "title": request.title,
                       "who": request.requester, "to": request.addressed_to})
    wanted = " ".join(f"<{r.iri}>" for r in requests)
    if wanted:
        for decision in records.read_decisions(store, settings,
                                               f"VALUES ?request {{ {wanted} }}"):
            events.append({"day": decision.at.date().isoformat(),
                           "what": f"decision: {decision.outcome}",
                           "request": decision.request, "who": decision.person,
                           "reason": decision.reason, "decision": decision.iri})
    events.sort(key=lambda e: e["day"])  # stable: same-day events keep their order
    return {"id": iri, "title": text("title"), "phase": text("phase"), "lead": text("lead"),
            "state": project_state(store, settings, iri), "proposed_by": text("creator"),
            "description": text("description"),
            "strategy": [p.as_dict() for p in strategy.draft(store, settings, iri, today=today)],
            "requests": [r.as_dict(today) for r in requests], "timeline": events}


def measures(store: Store, settings: Settings, today: dt.date | None = None) -> dict:
    """The alliance's own measures: the share of projects whose data leaders were engaged
    before design, the median days from proposal to engagement and from request to
    decision, and the requests overdue."""
    today = today or dt.date.today()
    graph = records.registry(settings)
    engaged = store.query(sparql_prefixes() + f"""
SELECT ?p (MIN(?order) AS ?first) WHERE {{ GRAPH {graph} {{ ?p a rg:Project .
  OPTIONAL {{ ?p rg:engagement ?e . ?e rg:engagedAtPhase ?phase }} }}
  OPTIONAL {{ ?phase rg:order ?order }} }} GROUP BY ?p""", union_default_graph=True)
    firsts = [int(row["first"].value) if row["first"] is not None else None for row in engaged]
    early = sum(1 for f in firsts if f is not None and f < 2)
    to_engagement = _days(store, settings, """
  ?p dct:created ?start ; rg:engagement ?e . ?e rg:engagedOn ?end .""")
    to_decision = _days(store, settings, """
  ?r a rg:WorkflowRequest ; dct:created ?start . ?d a rg:Decision ; prov:used ?r ;
     prov:endedAtTime ?at . BIND(xsd:date(SUBSTR(STR(?at), 1, 10)) AS ?end)""")
    requests = records.read_requests(store, settings)
    overdue = [r.as_dict(today) for r in requests if r.overdue(today)]
    return {"on": today.isoformat(), "projects": len(firsts),
            "engaged_before_design": early,
            "share_engaged_before_design": round(early / len(firsts), 3) if firsts else None,
            "median_days_proposal_to_engagement": _median(to_engagement),
            "median_days_request_to_decision": _median(to_decision),
            "requests": len(requests), "overdue": overdue}


def _days(store: Store, settings: Settings, pattern: str) -> list[int]:
    rows = store.query(sparql_prefixes() + f"""
SELECT ?start (MIN(?end) AS ?first) WHERE {{ GRAPH {records.registry(settings)} {{ {pattern} }} }}
GROUP BY ?p ?r ?start""")
    out = []
    for row in rows:
        if row["start"] is not None and row["first"] is not None:
            start = dt.date.fromisoformat(row["start"].value[:10])
            out.append((dt.date.fromisoformat(row["first"].value[:10]) - start).days)
    return out


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None
