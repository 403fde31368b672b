"""The audit: who saw a non-public dataset, asked by CLI and API, kept in the store (and its
backups), written in batches."""

import datetime as dt
import json

import httpx

from regiongraph import audit
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import backup, open_store
from tests.cli.conftest import run_cli

SHELTER = "saguaro/shelter-intake"


def _audit_quads(members) -> int:
    graph = Minter(members.settings.base).graph("audit").value
    return len(list(members.store.query(f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")))


def test_the_cli_answers_who_saw_a_dataset(members):
    answer = httpx.get(members.url + f"/datasets/{SHELTER}",
                       headers=members.headers("marcus-webb"), timeout=60)
    assert answer.status_code == 200
    audit.flush(members.store)
    done = run_cli(members.settings.store, "audit", "who-saw", SHELTER, "--json")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["dataset"] == members.dataset(SHELTER)
    assert {"person": members.person("marcus-webb"), "route": "dataset"} in [
        {k: s[k] for k in ("person", "route")} for s in seen["seen_by"]]


def test_public_answers_leave_no_record_and_records_are_batched(members):
    from regiongraph.visibility import publishable_datasets

    before = _audit_quads(members)
    shown = min(publishable_datasets(members.store, members.settings))
    public = httpx.get(members.url + "/" + shown[len(members.settings.base):],
                       headers=members.headers("kevin-cho"), timeout=60)
    assert public.status_code == 200
    audit.flush(members.store)
    assert _audit_quads(members) == before  # kevin was shown only public data
    for _ in range(3):
        audit.record(members.store, members.settings, members.person("lena-park"),
                     [members.dataset(SHELTER)], "sparql")
    assert _audit_quads(members) == before  # pending, written together
    assert audit.flush(members.store) == 3
    assert _audit_quads(members) > before


def test_the_window_and_the_backup(members, tmp_path):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    person = members.person("grace-yazzie")
    audit.record(members.store, members.settings, person, [members.dataset(SHELTER)], "ckan",
                 at=old)
    recent = {s.person for s in audit.who_saw(members.store, members.settings,
                                                members.dataset(SHELTER), days=30)}
    assert person not in recent
    assert person in {s.person for s in audit.who_saw(
        members.store, members.settings, members.dataset(SHELTER), days=60)}
    audit.record(members.store, members.settings, members.person("luis-romero"),
                 [members.dataset(SHELTER)], "search")
    backup(members.store, tmp_path / "copy")  # writes the pending record first
    copy = open_store(Settings(store=str(tmp_path / "copy"), index="memory"))
    try:
        people = {s.person for s in audit.who_saw(copy, members.settings,
                                                  members.dataset(SHELTER), days=1)}
        assert members.person("luis-romero") in people
    finally:
        copy.close()


def test_the_map_shows_a_member_what_the_rule_grants_and_audits_it(members):
    """The map's dataset layer is the member's view: Saguaro's shelter intake for
    Mesquite's data leader (the live agreement), not for anonymous users; recorded."""
    shelter = Minter(members.settings.base).iri("dataset", *SHELTER.split("/")).value

    def drawn(headers: dict) -> set[str]:
        layer = httpx.get(members.url + "/map/layers/datasets.geojson", headers=headers,
                          timeout=60)
        assert layer.status_code == 200, layer.text
        return {f["properties"]["id"] for f in layer.json()["features"]}

    assert shelter in drawn(members.headers("sofia-marquez"))
    assert shelter not in drawn({})
    audit.flush(members.store)
    seen = audit.who_saw(members.store, members.settings, shelter, days=1)
    assert any(s.route == "map" and s.person.endswith("/people/sofia-marquez") for s in seen)
