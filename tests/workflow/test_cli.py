"""`regiongraph requests list|show|decide`: the steward types in a person's decision under
the API's checks."""

import json

from regiongraph import workflow
from regiongraph.accounts import principal_for_person
from regiongraph.store import backup
from tests.cli.conftest import run_cli


def test_requests_list_show_decide(live, tmp_path, monkeypatch):
    analyst = principal_for_person(live.store, live.settings, live.iri("person", "kevin-cho"),
                                   scope="write")
    project = workflow.propose(live.store, live.settings, analyst, workflow.Proposal(
        title="Water bills study", domain="homelessness", lead="mesquite",
        needs=["saguaro/water-meter-readings"]))
    workflow.submit(live.store, live.settings, analyst, project)
    request = workflow.request_piece(live.store, live.settings, analyst, project,
                                     live.iri("dataset", "saguaro", "water-meter-readings"))
    ident = request.rsplit("/", 1)[-1]
    copy = tmp_path / "copy"
    backup(live.store, copy)  # the server holds the store; the steward works on a copy

    monkeypatch.setenv("REGIONGRAPH_INDEX", "memory")
    listed = run_cli(copy, "requests", "list", "--kind", "agreement", "--json")
    refused = run_cli(copy, "requests", "decide", ident, "approve", "--as", "kevin-cho",
                      "--reason", "self")
    decided = run_cli(copy, "requests", "decide", ident, "approve", "--as",
                      "maria-delgado", "--reason", "fine", "--valid-until", "2027-06-30")
    shown = run_cli(copy, "requests", "show", ident)
    assert listed.returncode == 0, listed.stderr
    mine = next(r for r in json.loads(listed.stdout) if r["id"] == request)
    assert mine["state"] == "submitted"
    assert refused.returncode != 0 and "four eyes" in refused.stderr
    assert decided.returncode == 0, decided.stderr
    body = json.loads(shown.stdout)
    assert body["state"] == "in-force" and body["valid_until"] == "2027-06-30"
    assert [(d["outcome"], d["person"].rsplit("/", 1)[-1]) for d in body["decisions"]] == [
        ("approve", "maria-delgado")]
