"""Four eyes against every way around it: the requester (any token, a second role), the
other party's people, the admin token, and people not entitled; then the entitled
executive decides."""

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.namespaces import DCT, FOAF, ORG, PROV, RDF, RDFS, RG, RGC
from regiongraph.workflow import records
from tests.workflow.conftest import ADMIN, propose


def _give_roles(live, person: str, roles: list[tuple[str, str]]) -> None:
    """A test person and their roles, as the registry reader writes a people.yaml entry."""
    node = NamedNode(live.iri("person", person))
    triples = [Triple(node, RDF.type, FOAF.Person), Triple(node, RDF.type, PROV.Person),
               Triple(node, FOAF.name, Literal(person)), Triple(node, RDFS.label, Literal(person)),
               Triple(node, DCT.identifier, Literal(person))]
    for org, role in roles:
        assignment = NamedNode(live.iri("role", person, org, role))
        triples.append(Triple(node, ORG.memberOf, NamedNode(live.iri("community", org))))
        triples += [Triple(assignment, RDF.type, RG.RoleAssignment),
                    Triple(assignment, ORG.member, node),
                    Triple(assignment, ORG.organization, NamedNode(live.iri("community", org))),
                    Triple(assignment, ORG.role, RGC.term(f"role/{role}"))]
    records.write(live.store, live.settings, insert=triples)


def _agreement_request(live, requester, dataset: str) -> str:
    """A request for Saguaro's confidential `dataset` (each test its own: an agreement
    approved in one test covers the same flow in the others)."""
    ident = propose(requester, "Four eyes forecast", needs=(f"saguaro/{dataset}",))
    wanted = live.iri("dataset", "saguaro", dataset)
    made = requester.post(f"/workflow/projects/{ident}/requests", json={"dataset": wanted})
    assert made.status_code == 201, made.text
    return made.json()["id"].rsplit("/", 1)[-1]


def _decide(client, rid: str):
    return client.post(f"/workflow/requests/{rid}/decision",
                       json={"outcome": "approve", "reason": "approved"})


def test_nobody_on_the_asking_side_decides(live):
    # a Mesquite analyst who is also a Saguaro executive (a second role)
    _give_roles(live, "dual-role", [("mesquite", "analyst"), ("saguaro", "chief-data-officer")])
    # a Saguaro executive who also holds a role in Mesquite, the other party
    _give_roles(live, "two-hats", [("saguaro", "chief-data-officer"), ("mesquite", "data-leader")])
    requester = live.client("dual-role")
    rid = _agreement_request(live, requester, "911-calls")

    refusals = {
        "self": _decide(requester, rid),
        "self, another token": _decide(live.client("dual-role"), rid),
        "self, a read token": _decide(live.client(token=live.token("dual-role", "read")), rid),
        "the other party's person": _decide(live.client("two-hats"), rid),
        "the other party's executive": _decide(live.client("robert-hale"), rid),
        "admin token": _decide(live.client(token=ADMIN), rid),
        "not an executive of the owner": _decide(live.client("lena-park"), rid),
        "another community's executive": _decide(live.client("angela-brooks"), rid),
        "anonymous": _decide(live.client(), rid),
    }
    codes = {why: answer.status_code for why, answer in refusals.items()}
    assert codes == {why: 401 if why == "anonymous" else 403 for why in refusals}, {
        w: a.text for w, a in refusals.items()}
    assert "four eyes" in refusals["self"].json()["detail"]
    assert "four eyes" in refusals["the other party's person"].json()["detail"]
    assert "admin token" in refusals["admin token"].json()["detail"]
    shown = live.client("maria-delgado").get(f"/workflow/requests/{rid}").json()
    assert shown["state"] == "submitted" and shown["decisions"] == []

    decided = _decide(live.client("maria-delgado"), rid)
    assert decided.status_code == 201, decided.text
    again = _decide(live.client("james-okafor"), rid)
    assert again.status_code == 409  # decided once; a revocation would be a new record


def test_review_decline_and_revocation(live):
    requester = live.client("kevin-cho")
    rid = _agreement_request(live, requester, "ems-patient-records")
    executive = live.client("james-okafor")
    assert requester.post(f"/workflow/requests/{rid}/review").status_code == 403
    assert executive.post(f"/workflow/requests/{rid}/review").status_code == 200
    assert executive.get(f"/workflow/requests/{rid}").json()["state"] == "in-review"

    # the data leader declines the engagement: recorded, and no engagement is written
    leader = live.client("lena-park")
    engagement = next(r for r in leader.get("/workflow/me").json()["awaiting"]
                      if r["kind"] == "engagement"
                      and r["project"] == executive.get(f"/workflow/requests/{rid}").json()[
                          "project"])
    eid = engagement["id"].rsplit("/", 1)[-1]
    declined = leader.post(f"/workflow/requests/{eid}/decision",
                           json={"outcome": "decline", "reason": "no capacity this quarter"})
    assert declined.status_code == 201, declined.text
    assert leader.get(f"/workflow/requests/{eid}").json()["state"] == "declined"
    assert not live.store.query(f"ASK {{ GRAPH ?g {{ <{engagement['project']}> {RG.engagement} "
                                f"?e }} }}")

    assert _decide(executive, rid).status_code == 201
    assert requester.post(f"/workflow/requests/{rid}/revoke",
                          json={"reason": "mine"}).status_code == 403
    revoked = executive.post(f"/workflow/requests/{rid}/revoke",
                             json={"reason": "the MOU was withdrawn"})
    assert revoked.status_code == 201, revoked.text
    shown = executive.get(f"/workflow/requests/{rid}").json()
    assert [d["outcome"] for d in shown["decisions"]] == ["approve", "revoke"]
    assert shown["state"] == "revoked"
    status = live.store.query(f"SELECT ?s WHERE {{ <{shown['record']}> {RG.status} ?s }}",
                              union_default_graph=True)
    assert [r["s"].value.rsplit("/", 1)[-1] for r in status] == ["revoked"]


def test_an_anonymous_write_is_refused_before_anything_is_looked_up(live):
    """The same 401 for a project that exists and one that does not: a refused write tells
    a caller who is nobody neither what exists nor where it stands."""
    ident = propose(live.client("kevin-cho"), "Anonymous probe")
    anonymous = live.client()
    answers = [anonymous.post(f"/workflow/projects/{ident}/advance", json={"to": "design"}),
               anonymous.post("/workflow/projects/no-such-project/advance",
                              json={"to": "design"}),
               anonymous.post("/workflow/requests/no-such-request/revoke", json={}),
               anonymous.post("/workflow/proposals", json={})]
    assert [a.status_code for a in answers] == [401] * 4, [a.text for a in answers]
    assert len({a.json()["detail"] for a in answers}) == 1
