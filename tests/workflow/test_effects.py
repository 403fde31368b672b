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
