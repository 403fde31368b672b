"""The issue's story through real HTTP: propose, engage, strategy, request, four eyes,
executive approval, its effects, and the day it ends."""

import datetime as dt

from regiongraph.rules.validate import validate
from tests.workflow.conftest import propose

R3 = "R3-CrossCommunityUseCovered"


def _r3_on(live, project: str, day: dt.date) -> list:
    report = validate(live.store, live.settings, focus=[project], today=day)
    return [r for r in report.results if r.shape.endswith(R3)]


def test_from_proposal_to_executive_approval(live):
    analyst = live.client("kevin-cho")            # Mesquite analyst
    leader = live.client("lena-park")             # Saguaro data leader
    executive = live.client("maria-delgado")      # Saguaro mayor
    admin = live.client(token="workflow-admin-token")
    # Saguaro's confidential EMS patient records (its shelter intake records are already
    # shared with Mesquite by a live agreement in the demo)
    shelter = live.iri("dataset", "saguaro", "ems-patient-records")
    leader_of_mesquite = live.client("sofia-marquez")
    ask = f"ASK {{ GRAPH ?g {{ <{shelter}> ?p ?o }} }}"

    def sees(client) -> bool:
        answer = client.post("/sparql", data={"query": ask},
                             headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200, answer.text
        return answer.json()["boolean"]

    assert not sees(leader_of_mesquite) and not sees(live.client())

    # 1. the analyst proposes a project needing Saguaro's confidential EMS patient records
    ident = propose(analyst, "Winter shelter forecast", needs=("saguaro/ems-patient-records",))
    project = live.iri("project", ident)
    page = analyst.get(f"/workflow/projects/{ident}").json()
    assert page["state"] == "submitted" and page["proposed_by"] == live.iri("person", "kevin-cho")
    assert _r3_on(live, project, dt.date.today()), "an uncovered use is an R3 violation"

    # 2. Saguaro's data leader gets the engagement request and accepts it
    work = leader.get("/workflow/me").json()
    engagement = next(r for r in work["awaiting"]
                      if r["kind"] == "engagement" and r["project"] == project)
    assert work["counts"]["awaiting"] >= 1
    accepted = leader.post(f"/workflow/requests/{engagement['id'].rsplit('/', 1)[-1]}/decision",
                           json={"outcome": "accept", "reason": "Saguaro's intake data is ours"})
    assert accepted.status_code == 201, accepted.text
    engaged = live.store.query(f"""SELECT ?phase ?on WHERE {{ <{project}>
        <https://w3id.org/regiongraph/ns#engagement> ?e .
        ?e <http://www.w3.org/ns/prov#agent> <{live.iri('person', 'lena-park')}> ;
           <https://w3id.org/regiongraph/ns#engagedAtPhase> ?phase ;
           <https://w3id.org/regiongraph/ns#engagedOn> ?on }}""", union_default_graph=True)
    rows = list(engaged)
    assert [r["phase"].value.rsplit("/", 1)[-1] for r in rows] == ["ideation"]
    assert rows[0]["on"].value == dt.date.today().isoformat()

    # 3. the strategy says a data-sharing agreement is missing
    pieces = analyst.get(f"/workflow/projects/{ident}/strategy").json()["pieces"]
    piece = next(p for p in pieces if p["dataset"] == shelter)
    assert piece["covered"] is False and piece["missing"] == "agreement"
    assert piece["owner"] == live.iri("community", "saguaro")

    # 4. the analyst creates the request
    made = analyst.post(f"/workflow/projects/{ident}/requests",
                        json={"dataset": shelter, "legal_basis": "Continuum of Care MOU"})
    assert made.status_code == 201, made.text
    request = made.json()["id"]
    rid = request.rsplit("/", 1)[-1]
    shown = executive.get(f"/workflow/requests/{rid}").json()
    assert shown["kind"] == "agreement" and shown["state"] == "submitted"
    assert shown["may_decide"] is True
    assert live.iri("person", "maria-delgado") in shown["addressed_to"]

    # 5. the analyst's own attempt to approve it is refused
    own = analyst.post(f"/workflow/requests/{rid}/decision",
                       json={"outcome": "approve", "reason": "looks fine to me"})
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]

    # 6. Saguaro's executive approves it with an end date
    end = dt.date.today() + dt.timedelta(days=45)
    decided = executive.post(f"/workflow/requests/{rid}/decision", json={
        "outcome": "approve", "reason": "coordinated entry needs it",
        "valid_until": end.isoformat()})
    assert decided.status_code == 201, decided.text
    shown = executive.get(f"/workflow/requests/{rid}").json()
    assert shown["state"] == "in-force" and shown["valid_until"] == end.isoformat()
    assert [d["outcome"] for d in shown["decisions"]] == ["approve"]
    assert shown["decisions"][0]["person"] == live.iri("person", "maria-delgado")

    # 7. Mesquite's data leader can now query the dataset and find it; anonymous users not
    assert sees(leader_of_mesquite) and not sees(live.client())
    found = leader_of_mesquite.get("/search", params={"q": "patient"}).json()
    assert shelter in {hit["iri"] for hit in found["results"]}
    assert shelter not in {hit["iri"] for hit in live.client().get(
        "/search", params={"q": "patient"}).json()["results"]}
    # the agreement is in force, the governance analysis shows the flow
    # covered by it, the R3 violation is gone
    agreement = shown["record"]
    status = live.store.query(f"SELECT ?s WHERE {{ <{agreement}> "
                              f"<https://w3id.org/regiongraph/ns#status> ?s }}",
                              union_default_graph=True)
    assert [r["s"].value.rsplit("/", 1)[-1] for r in status] == ["approved"]
    flows = admin.get("/governance").json()["edges"]
    flow = next(e for e in flows if e["source"] == shelter and e["target"] == project)
    assert flow["covered"] and [c["id"] for c in flow["covered_by"]] == [agreement]
    assert not _r3_on(live, project, dt.date.today())
    report = admin.get("/reports/latest").json()
    assert not [r for r in report["results"]
                if r["focus"] == project and r["shape"].endswith(R3)]

    # 8. the day passes the end date, and all of it reverts
    after = end + dt.timedelta(days=1)
    flows = admin.get("/governance", params={"on": after.isoformat()}).json()["edges"]
    flow = next(e for e in flows if e["source"] == shelter and e["target"] == project)
    assert not flow["covered"]
    assert _r3_on(live, project, after)
    from regiongraph.workflow.records import read_request

    assert read_request(live.store, live.settings, request).display_state(after) == "expired"
    live.settings.today = after  # the service's day (REGIONGRAPH_TODAY) moves past the end
    try:
        assert not sees(leader_of_mesquite)
    finally:
        live.settings.today = None
    assert sees(leader_of_mesquite)

    # the project page tells the story
    story = analyst.get(f"/workflow/projects/{ident}").json()
    steps = [e["what"] for e in story["timeline"]]
    assert steps[:2] == ["proposed", "submitted"]
    assert "decision: accept" in steps and "decision: approve" in steps
    html = analyst.get(f"/workflow/projects/{ident}", headers={"Accept": "text/html"})
    assert "Winter shelter forecast" in html.text and 'id="timeline"' in html.text

    # the alliance's measures count it: engaged at ideation, decided the day it was asked
    assert admin.get("/workflow/dashboard").status_code == 200
    assert live.client().get("/workflow/dashboard").status_code == 401
    shown = analyst.get("/workflow/dashboard").json()
    assert shown["engaged_before_design"] >= 1 and shown["requests"] >= 3
    assert shown["median_days_request_to_decision"] == 0.0
    assert shown["median_days_proposal_to_engagement"] == 0.0
    page = analyst.get("/workflow/dashboard", headers={"Accept": "text/html"}).text
    assert 'id="measures"' in page
