"""The workflow's steps reach the notifications: a project proposed in a followed domain,
an engagement requested of a data leader, a request awaiting its deciders, a decision on
one's own request."""

from regiongraph.notify.events import find_events
from regiongraph.notify.subscriptions import follow
from tests.workflow.conftest import propose


def events_of(live, person: str, kind: str) -> list:
    return [e for e in find_events(live.store, live.settings,
                                   recipient=live.iri("person", person)) if e.kind == kind]


def test_each_step_tells_whom_it_concerns(live):
    domain = "https://w3id.org/regiongraph/concepts/domain/homelessness"
    follow(live.store, live.settings, live.iri("person", "priya-natarajan"), domain)
    analyst = live.client("kevin-cho")
    ident = propose(analyst, "Notices of a winter forecast")
    project = live.iri("project", ident)
    proposed = events_of(live, "priya-natarajan", "project-proposed")
    assert [e.object for e in proposed][-1:] == [project]
    assert events_of(live, "kevin-cho", "project-proposed") == []
    asked = [e for e in events_of(live, "lena-park", "engagement-requested")
             if project in e.context]
    assert len(asked) == 1 and asked[0].actor == live.iri("person", "kevin-cho")

    dataset = live.iri("dataset", "saguaro", "outreach-contacts")
    made = analyst.post("/workflow/access", json={"dataset": dataset,
                                                  "reason": "street outreach planning"})
    assert made.status_code == 201, made.text
    request = made.json()["id"]
    awaiting = [e for e in events_of(live, "maria-delgado", "decision-awaited")
                if e.object == request]
    assert len(awaiting) == 1
    decided = live.client("maria-delgado").post(
        f"/workflow/requests/{request.rsplit('/', 1)[-1]}/decision",
        json={"outcome": "reject", "reason": "personal data of outreach clients"})
    assert decided.status_code == 201, decided.text
    told = [e for e in events_of(live, "kevin-cho", "decision-made") if e.object == request]
    assert len(told) == 1 and told[0].summary.startswith("Reject")
    centre = analyst.get("/api/v1/notifications").json()
    assert request in {item["object"] for item in centre["items"]}
