"""A decision takes effect on the next request, everywhere: an approved publication puts
the dataset into /data.json and search for anonymous users."""

import httpx

from tests.workflow.conftest import propose


def test_approved_publication_reaches_the_public_catalog(live):
    dataset = live.iri("dataset", "ocotillo", "library-visits")

    def public() -> tuple[bool, bool]:
        catalog = httpx.get(f"{live.url}/data.json", timeout=120).json()
        listed = any(d["identifier"] == "ocotillo/library-visits" for d in catalog["dataset"])
        found = httpx.get(f"{live.url}/search", params={"q": "library visits"},
                          headers={"Accept": "application/json"}, timeout=120).text
        return listed, dataset in found

    assert public() == (False, False)
    analyst = live.client("kevin-cho")
    ident = propose(analyst, "Library reading study", needs=("ocotillo/library-visits",))
    pieces = analyst.get(f"/workflow/projects/{ident}/strategy").json()["pieces"]
    assert [(p["dataset"], p["missing"]) for p in pieces] == [(dataset, "publication")]
    made = analyst.post(f"/workflow/projects/{ident}/requests",
                        json={"dataset": dataset, "legal_basis": "Ocotillo open data policy"})
    assert made.status_code == 201, made.text
    rid = made.json()["id"].rsplit("/", 1)[-1]
    decided = live.client("hannah-whitfield").post(
        f"/workflow/requests/{rid}/decision", json={"outcome": "approve", "reason": "open it"})
    assert decided.status_code == 201, decided.text
    assert public() == (True, True)
    pieces = analyst.get(f"/workflow/projects/{ident}/strategy").json()["pieces"]
    assert pieces[0]["covered"] is True


def test_individual_access_request(live):
    member = live.client("sofia-marquez")          # Mesquite data leader
    dataset = live.iri("dataset", "cholla", "911-dispatch-log")
    made = member.post("/workflow/access", json={"dataset": dataset,
                                                 "reason": "shelter demand after calls"})
    assert made.status_code == 201, made.text
    rid = made.json()["id"].rsplit("/", 1)[-1]
    shown = member.get(f"/workflow/requests/{rid}").json()
    assert shown["kind"] == "access" and shown["owner"] == live.iri("community", "cholla")
    assert shown["may_decide"] is False
    assert member.post(f"/workflow/requests/{rid}/decision",
                       json={"outcome": "approve", "reason": "mine"}).status_code == 403
    decided = live.client("marcus-bell").post(
        f"/workflow/requests/{rid}/decision",
        json={"outcome": "approve-with-conditions", "reason": "for outreach",
              "conditions": "no copies outside the city network"})
    assert decided.status_code == 201, decided.text
    rows = list(live.store.query(f"""SELECT ?status ?grantee ?scope WHERE {{ GRAPH ?g {{
        <{shown['record']}> <https://w3id.org/regiongraph/ns#status> ?status ;
            <https://w3id.org/regiongraph/ns#grantee> ?grantee ;
            <https://w3id.org/regiongraph/ns#scopeCommunity> ?scope }} }}"""))
    assert [(r["status"].value.rsplit("/", 1)[-1], r["grantee"].value, r["scope"].value)
            for r in rows] == [("approved", live.iri("person", "sofia-marquez"),
                                live.iri("community", "mesquite"))]
    decisions = member.get(f"/workflow/requests/{rid}").json()["decisions"]
    assert decisions[0]["conditions"] == "no copies outside the city network"
