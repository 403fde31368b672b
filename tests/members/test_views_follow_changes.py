"""A change to an agreement, through the one change path (a SPARQL update with the admin
token), is in the member's view on the next request: no restart, no rebuild by hand."""

import httpx

from tests.members.conftest import ADMIN_TOKEN

SHELTER = "saguaro/shelter-intake"
STATUS = "https://w3id.org/regiongraph/ns#status"
CONCEPTS = "https://w3id.org/regiongraph/concepts/status/"


def _sees(members, who: str) -> bool:
    answer = httpx.post(members.url + "/sparql", data={
        "query": f"ASK {{ <{members.dataset(SHELTER)}> ?p ?o }}"},
        headers={**members.headers(who), "Accept": "application/sparql-results+json"},
        timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def _set_status(members, status: str) -> None:
    agreement = members.settings.base + "agreements/saguaro-mesquite-shelter-intake"
    registry = members.settings.base + "graph/registry"
    update = f"""DELETE {{ GRAPH <{registry}> {{ <{agreement}> <{STATUS}> ?s }} }}
INSERT {{ GRAPH <{registry}> {{ <{agreement}> <{STATUS}> <{CONCEPTS}{status}> }} }}
WHERE {{ GRAPH <{registry}> {{ <{agreement}> <{STATUS}> ?s }} }}"""
    answer = httpx.post(members.url + "/sparql", data={"update": update},
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120)
    assert answer.status_code == 204, answer.text


def test_revoking_the_agreement_ends_its_access_on_the_next_request(members):
    assert _sees(members, "sofia-marquez")
    _set_status(members, "revoked")
    try:
        assert not _sees(members, "sofia-marquez")
        assert _sees(members, "lena-park")  # Saguaro's own data leader is not affected
        page = httpx.get(members.url + f"/datasets/{SHELTER}",
                         headers=members.headers("marcus-webb"), timeout=60)
        assert page.status_code == 404
    finally:
        _set_status(members, "approved")
    assert _sees(members, "sofia-marquez")


def test_a_permission_date_constraint_alone_ends_its_access(members):
    """The ODRL constraint on the permission counts, not only the agreement's dates."""
    until = (members.settings.base + "agreements/saguaro-mesquite-shelter-intake/"
             "permission/1/valid-until")
    registry = members.settings.base + "graph/registry"
    right = "http://www.w3.org/ns/odrl/2/rightOperand"
    xsd_date = "http://www.w3.org/2001/XMLSchema#date"

    def set_until(day: str) -> None:
        update = f"""DELETE {{ GRAPH <{registry}> {{ <{until}> <{right}> ?d }} }}
INSERT {{ GRAPH <{registry}> {{ <{until}> <{right}> "{day}"^^<{xsd_date}> }} }}
WHERE {{ GRAPH <{registry}> {{ <{until}> <{right}> ?d }} }}"""
        answer = httpx.post(members.url + "/sparql", data={"update": update},
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120)
        assert answer.status_code == 204, answer.text

    assert _sees(members, "sofia-marquez")
    set_until("2026-11-20")
    try:
        assert not _sees(members, "sofia-marquez")
    finally:
        set_until("2027-03-31")
    assert _sees(members, "sofia-marquez")
