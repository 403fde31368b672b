"""Harvest behaviour on real catalogs and a real loopback server: counts, idempotence,
incremental changes, conditional GET, retries, removals, duplicates, manual edits, history."""

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.harvest import SourceConfig, history
from regiongraph.harvest.engine import normalise_url
from regiongraph.iri import Minter
from regiongraph.namespaces import DCAT, DCT, RG, RGC


def test_all_402_philadelphia_datasets_load_and_schema_failures_are_listed(harvest, shared_dir):
    path = shared_dir / "samples/catalogs/philadelphia_opendataphilly_dcat-us-1.1.json"
    report = harvest(path, community="philadelphia")
    assert report.status == "ok"
    assert (report.created, report.skipped) == (402, 0)
    nulls = [e for e in report.errors if e.field == "modified"
             and e.message == "data.gov schema: modified is null"]
    assert len(nulls) == 391
    assert len({e.record for e in nulls}) == 391
    rows = harvest.store.query(
        "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d a ?c } }",
        named_graphs=[harvest.graph()], substitutions=None)
    assert int(next(iter(rows))["n"].value) > 402
    datasets = harvest.store.query(
        f"SELECT (COUNT(?d) AS ?n) WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> }} }}",
        named_graphs=[harvest.graph()])
    assert int(next(iter(datasets))["n"].value) == 402
    assert json.loads(report.model_dump_json())["errors"][0]["record"]


def test_oakland_arcgis_record_loads_with_its_license_defect(harvest, shared_dir):
    report = harvest(shared_dir / "samples/catalogs/oakland-county-mi_arcgis-hub_dcat-us-1.1"
                                  "_1record.json", community="oakland")
    assert (report.status, report.created) == ("ok", 1)
    license_errors = [e for e in report.errors if e.field == "license"]
    assert any("is not a valid uri" in e.message for e in license_errors)
    assert any("HTML fragment" in e.message for e in license_errors)
    assert {e.field for e in report.errors} == {"license"}


def test_invalid_oakland_record_reports_its_email_and_url(harvest, shared_dir):
    report = harvest(shared_dir / "samples/catalogs/oakland-county-mi_arcgis-hub_dcat-us-1.1"
                                  "_invalid_1record.json", community="oakland")
    assert (report.status, report.created) == ("ok", 1)
    by_field = {e.field: e.message for e in report.errors}
    assert "ocagoadmin@oakgov.com" in by_field["contactPoint.hasEmail"]
    assert "mailto" in by_field["contactPoint.hasEmail"]
    assert "'//////not-a-url.example.com/' is not a valid uri" in by_field[
        "distribution.0.accessURL"]
    assert "not a valid URL" in by_field["distribution[0].accessURL"]


def test_socrata_produced_data_json_is_clean(harvest, shared_dir):
    report = harvest(shared_dir / "samples/catalogs/new-york-state_data.ny.gov_socrata"
                                  "_dcat-us-1.1_1record.json", community="new-york")
    assert (report.status, report.created, report.errors) == ("ok", 1, [])


def test_same_input_twice_gives_identical_quads_and_writes_nothing(harvest, fixtures):
    first = harvest(fixtures / "catalog-v1.json")
    snapshot = harvest.snapshot()
    second = harvest(fixtures / "catalog-v1.json")
    assert first.written_graphs and not second.written_graphs
    assert (second.status, second.unchanged, second.message) == (
        "unchanged", 5, "the document is the one last harvested")
    assert harvest.snapshot() == snapshot


def test_reformatted_document_is_compared_record_by_record(harvest, fixtures, tmp_path,
                                                           monkeypatch):
    """Other bytes, same records: every record hash matches before any record is validated
    or mapped, and nothing is written."""
    from regiongraph.loaders.dcatmap import Mapper

    catalog = tmp_path / "catalog.json"
    catalog.write_bytes((fixtures / "catalog-v1.json").read_bytes())
    harvest(catalog)
    snapshot = harvest.snapshot()
    catalog.write_text(json.dumps(json.loads(catalog.read_text()), separators=(",", ":"),
                                  sort_keys=True))
    mapped = []
    original = Mapper.record
    monkeypatch.setattr(Mapper, "record",
                        lambda self, fields, key=None: mapped.append(key) or original(
                            self, fields, key))
    report = harvest(catalog)
    assert mapped == []
    assert (report.status, report.unchanged, report.written_graphs) == ("unchanged", 5, {})
    assert report.message is None
    assert harvest.snapshot() == snapshot


def test_harvesting_into_a_fresh_store_gives_the_same_quads(harvest, fixtures, tmp_path):
    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.harvest.conftest import Harvester

    harvest(fixtures / "catalog-v1.json")
    other_settings = Settings(store="memory")
    other = Harvester(open_store(other_settings), other_settings)
    other(fixtures / "catalog-v1.json")
    assert other.snapshot() == harvest.snapshot()


def test_changes_are_counted_and_removals_reported(harvest, portal, fixtures):
    portal.mutable["catalog"] = ((fixtures / "catalog-v1.json").read_bytes(), "application/json")
    harvest(portal.url + "/mutable/catalog")
    portal.mutable["catalog"] = ((fixtures / "catalog-v2.json").read_bytes(), "application/json")
    report = harvest(portal.url + "/mutable/catalog")
    assert (report.created, report.updated, report.unchanged, report.removed) == (1, 1, 3, 1)
    assert report.removed_records == ["ds-5"]
    ids = {r["i"].value for r in harvest.store.query(
        f"SELECT ?i WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> ; "
        f"<{DCT.identifier.value}> ?i }} }}", named_graphs=[harvest.graph()])}
    assert ids == {"ds-1", "ds-2", "ds-3", "ds-4", "ds-6"}
    stale = harvest.store.query(
        "ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'ds-5')) } }",
        named_graphs=[harvest.graph()])
    assert not bool(stale)


def test_conditional_get_sends_validators_and_304_changes_nothing(harvest, portal, fixtures):
    portal.mutable["etag"] = ((fixtures / "catalog-v1.json").read_bytes(), "application/json")
    first = harvest(portal.url + "/mutable/etag")
    snapshot = harvest.snapshot()
    portal.requests.clear()
    second = harvest(portal.url + "/mutable/etag")
    sent = [headers for path, headers in portal.requests if path == "/mutable/etag"]
    assert sent and sent[0].get("If-None-Match", "").startswith('"')
    assert sent[0].get("If-Modified-Since") == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert (second.status, second.http_status, second.written_graphs) == ("not-modified", 304, {})
    assert second.unchanged == 5 and second.previous_report == first.report_iri
    assert harvest.snapshot() == snapshot


def test_5xx_is_retried_with_backoff(harvest, portal):
    report = harvest(portal.url + "/flaky/catalog-v1.json")
    assert (report.status, report.created, report.requests) == ("ok", 5, 3)


def test_a_few_redirects_are_followed(harvest, portal):
    report = harvest(portal.url + "/hop1")
    assert (report.status, report.created) == ("ok", 5)


def test_manual_edits_survive_reharvest(harvest, fixtures, settings):
    minter = Minter(settings.base)
    manual = minter.graph("manual")
    dataset = minter.iri("dataset", "testville", "ds-1")
    note = Quad(dataset, DCT.description, Literal("steward's note"), manual)
    harvest(fixtures / "catalog-v1.json")
    harvest.store.add([note])
    harvest(fixtures / "catalog-v2.json")
    assert list(harvest.store.quads(manual)) == [note]


def test_access_levels_map_to_alliance_concepts(harvest, tmp_path):
    levels = {"a": "public", "b": "restricted public", "c": "non-public"}
    path = tmp_path / "levels.json"
    path.write_text(json.dumps({"dataset": [
        {"identifier": k, "title": k.upper(), "accessLevel": v} for k, v in levels.items()]}))
    harvest(path, validate=False)
    minter = harvest.minter
    for ident, expected in (("a", "public"), ("b", "restricted"), ("c", "confidential")):
        rows = list(harvest.store.query(
            f"SELECT ?l WHERE {{ GRAPH ?g {{ <{minter.iri('dataset', 'testville', ident).value}> "
            f"<{RG.accessLevel.value}> ?l }} }}", named_graphs=[harvest.graph()]))
        assert [r["l"] for r in rows] == [RGC.term(f"access/{expected}")]


def test_one_dataset_from_two_sources_is_linked_not_duplicated(harvest, portal):
    harvest(portal.url + "/files/catalog-v1.json", id="city-datajson")
    report = harvest(portal.url + "/socrata/api/catalog/v1", "socrata", id="city-socrata",
                     page_size=2)
    assert report.created == 5
    linked = {(d.record, d.matched_by) for d in report.duplicates}
    assert linked == {(f"ab{i:02d}-cd{i:02d}", "landingPage") for i in range(1, 6)}
    minter = harvest.minter
    rows = harvest.store.query(
        f"SELECT ?a ?b WHERE {{ GRAPH ?g {{ ?a <{RG.sameDatasetAs.value}> ?b }} }}",
        named_graphs=[harvest.graph("city-socrata")])
    pairs = {(r["a"].value, r["b"].value) for r in rows}
    assert (minter.iri("dataset", "testville", "ab01-cd01").value,
            minter.iri("dataset", "testville", "ds-1").value) in pairs


def test_conformance_is_detected_with_evidence(harvest, fixtures):
    harvest(fixtures / "gtfs-catalog.ttl", "dcat")
    minter = harvest.minter
    bus = minter.iri("dataset", "testville", "bus")
    rows = list(harvest.store.query(
        f"SELECT ?std ?clue WHERE {{ GRAPH ?g {{ <{bus.value}> <{DCT.conformsTo.value}> ?std . "
        f"?e <{RG.evidenceFor.value}> <{bus.value}> ; <{RG.suggestedStandard.value}> ?std ; "
        f"<{RG.clue.value}> ?clue }} }}", named_graphs=[harvest.graph()]))
    assert [(r["std"].value, r["clue"].value) for r in rows] == [
        (f"{minter.base}standards/gtfs",
         "URL https://transit.test.example/feeds/google_transit.zip")]


def test_reports_are_kept_with_time(harvest, fixtures, settings):
    harvest(fixtures / "catalog-v1.json")
    harvest(fixtures / "truncated.json")
    harvest(fixtures / "catalog-v2.json")
    reports = history(harvest.store, Minter(settings.base), "src")
    assert [r.status for r in reports] == ["ok", "failed", "ok"]
    assert reports[0].started > reports[2].started
    log = Minter(settings.base).graph("harvest-log")
    assert harvest.store.count(log) > 0
    assert all(not g.startswith(log.value) for r in reports for g in r.written_graphs)


def test_source_graph_holds_catalog_records_with_hashes(harvest, fixtures):
    report = harvest(fixtures / "catalog-v1.json")
    rows = list(harvest.store.query(
        f"SELECT ?key ?h ?topic WHERE {{ GRAPH ?g {{ ?r a <{DCAT.CatalogRecord.value}> ; "
        f"<{DCT.identifier.value}> ?key ; <{RG.recordHash.value}> ?h ; "
        f"<http://xmlns.com/foaf/0.1/primaryTopic> ?topic }} }}",
        named_graphs=[harvest.graph()]))
    assert len(rows) == report.created == 5
    assert all(len(r["h"].value) == 64 for r in rows)
    assert all(isinstance(r["topic"], NamedNode) for r in rows)


def test_incremental_write_equals_a_fresh_harvest(harvest, fixtures, tmp_path):
    """Only changed records are rewritten, and the graph ends exactly as a full harvest."""
    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.harvest.conftest import Harvester

    catalog = tmp_path / "catalog.json"
    records = json.loads((fixtures / "catalog-v1.json").read_text())["dataset"]
    many = [dict(r, identifier=f"{r['identifier']}-{n}",
                 landingPage=f"{r['landingPage']}-{n}") for n in range(4) for r in records]
    catalog.write_text(json.dumps({"dataset": many}))
    harvest(catalog)
    many[0]["title"] = "Renamed"
    many[1]["distribution"] = []
    many[2]["keyword"] = ["other"]
    del many[3]
    many.append(dict(many[4], identifier="brand-new", landingPage="https://x.example/new"))
    catalog.write_text(json.dumps({"dataset": many}))
    report = harvest(catalog)
    assert (report.created, report.updated, report.removed) == (1, 3, 1)
    assert report.unchanged == 16

    fresh_settings = Settings(store="memory")
    fresh = Harvester(open_store(fresh_settings), fresh_settings)
    fresh(catalog)
    assert harvest.snapshot() == fresh.snapshot()
    assert not any(g.startswith("urn:regiongraph:staging:") for g in harvest.store.graphs())


def test_a_retitled_record_writes_its_changed_lines_only(harvest, fixtures, tmp_path,
                                                         monkeypatch):
    """A record whose title changed is written by difference: one update deletes the old
    title and inserts the new one, and the record's unchanged triples are not rewritten
    (nor staged and copied); the graph still ends as a fresh harvest leaves it."""
    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.harvest.conftest import Harvester

    catalog = tmp_path / "catalog.json"
    records = json.loads((fixtures / "catalog-v1.json").read_text())["dataset"]
    many = [dict(r, identifier=f"{r['identifier']}-{n}",
                 landingPage=f"{r['landingPage']}-{n}") for n in range(4) for r in records]
    catalog.write_text(json.dumps({"dataset": many}))
    harvest(catalog)
    many[0]["title"] = "Renamed once"
    catalog.write_text(json.dumps({"dataset": many}))
    updates: list[str] = []
    update = harvest.store.update

    def spying_update(sparql: str) -> None:
        updates.append(sparql)
        update(sparql)

    monkeypatch.setattr(harvest.store, "update", spying_update)
    report = harvest(catalog)
    assert (report.created, report.updated, report.removed) == (0, 1, 0)
    written = [u for u in updates if "Renamed once" in u]
    assert len(written) == 1, updates
    data = [line for line in written[0].splitlines() if line.endswith(" .")]
    assert any("Renamed once" in line for line in data)
    assert any(many[0]["title"] not in line and "/title>" in line for line in data)
    assert len(data) <= 4, "\n".join(data)  # the title twice, the record hash twice
    assert "ADD " not in written[0] and "staging" not in written[0]

    fresh_settings = Settings(store="memory")
    fresh = Harvester(open_store(fresh_settings), fresh_settings)
    fresh(catalog)
    assert harvest.snapshot() == fresh.snapshot()


@pytest.mark.remote
def test_remote_backend_full_incremental_and_failed_harvests(oxigraph_url, fixtures, tmp_path):
    """The same harvest through SPARQL Protocol, Update and Graph Store on `oxigraph serve`."""
    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.harvest.conftest import Harvester

    settings = Settings(store=f"{oxigraph_url}/query", update_url=f"{oxigraph_url}/update",
                        gsp_url=f"{oxigraph_url}/store")
    remote = Harvester(open_store(settings), settings)
    local_settings = Settings(store="memory")
    local = Harvester(open_store(local_settings), local_settings)
    catalog = tmp_path / "catalog.json"
    records = json.loads((fixtures / "catalog-v1.json").read_text())["dataset"]
    many = [dict(r, identifier=f"{r['identifier']}-{n}") for n in range(3) for r in records]
    catalog.write_text(json.dumps({"dataset": many}))
    for target in (remote, local):
        assert target(catalog, id="remote-src").created == 15
    many[0]["title"] = "Changed"
    catalog.write_text(json.dumps({"dataset": many}))
    for target in (remote, local):
        report = target(catalog, id="remote-src")
        assert (report.updated, report.unchanged) == (1, 14)
    assert remote.snapshot("remote-src") == local.snapshot("remote-src")
    failed = remote(fixtures / "truncated.json", id="remote-src")
    assert failed.status == "failed"
    assert remote.snapshot("remote-src") == local.snapshot("remote-src")


def test_unchanged_records_are_not_remapped_and_keep_their_reported_defects(
        harvest, shared_dir, tmp_path):
    catalog = tmp_path / "philadelphia.json"
    document = json.loads((shared_dir / "samples/catalogs/"
                                        "philadelphia_opendataphilly_dcat-us-1.1.json").read_text())
    catalog.write_text(json.dumps(document))
    harvest(catalog, community="philadelphia")
    document["dataset"][0]["title"] += " (revised)"
    catalog.write_text(json.dumps(document))
    report = harvest(catalog, community="philadelphia")
    assert (report.status, report.updated, report.unchanged) == ("ok", 1, 401)
    nulls = [e for e in report.errors if e.message == "data.gov schema: modified is null"]
    assert len(nulls) == 391


def test_mostly_changed_source_is_rewritten_whole_and_equals_a_fresh_harvest(
        harvest, fixtures, tmp_path):
    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.harvest.conftest import Harvester

    catalog = tmp_path / "catalog.json"
    document = json.loads((fixtures / "catalog-v1.json").read_text())
    catalog.write_text(json.dumps(document))
    harvest(catalog)
    for record in document["dataset"][:4]:
        record["description"] = "Rewritten."
    catalog.write_text(json.dumps(document))
    report = harvest(catalog)
    assert (report.updated, report.unchanged) == (4, 1)
    fresh_settings = Settings(store="memory")
    fresh = Harvester(open_store(fresh_settings), fresh_settings)
    fresh(catalog)
    assert harvest.snapshot() == fresh.snapshot()


def test_duplicates_to_skip_picks_one_per_group_whatever_the_order(harvest, portal):
    from regiongraph.harvest import duplicates_to_skip

    harvest(portal.url + "/socrata/api/catalog/v1", "socrata", id="city-socrata")
    harvest(portal.url + "/files/catalog-v1.json", id="city-datajson")
    minter = harvest.minter
    skip = duplicates_to_skip(harvest.store)
    pairs = [(minter.iri("dataset", "testville", f"ab{i:02d}-cd{i:02d}").value,
              minter.iri("dataset", "testville", f"ds-{i}").value) for i in range(1, 6)]
    assert skip == {max(pair) for pair in pairs}
    only = {min(pairs[0])}
    assert duplicates_to_skip(harvest.store, candidates=only) == {max(pairs[0])}


def test_duplicates_are_looked_up_with_the_same_answers_as_reading_every_dataset(
        harvest, tmp_path):
    """A small harvest looks up only the identifiers and landing pages it holds (in the
    spellings other catalogs use: http or https, www., a final /, as written or in lower
    case) and finds what reading every dataset of the other sources finds."""
    from regiongraph.harvest.engine import _Run

    pages = ["https://Data.Example.org/d/1", "http://www.data.example.org/d/2/",
             "https://data.example.org/d/3", "https://data.example.org/d/4"]
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"dataset": [
        {"identifier": f"a{i}", "title": f"A {i}", "landingPage": page}
        for i, page in enumerate(pages, start=1)] + [
        {"identifier": "https://ids.example.org/dataset/77", "title": "By URL"}]}))
    harvest(first, id="first", community="one", validate=False)
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"dataset": [
        {"identifier": "b1", "title": "B 1", "landingPage": "http://Data.Example.org/d/1/"},
        {"identifier": "b2", "title": "B 2", "landingPage": "https://DATA.example.org/d/2"},
        {"identifier": "b3", "title": "B 3", "landingPage": "https://www.data.example.org/d/3"},
        {"identifier": "b5", "title": "B 5", "landingPage": "https://data.example.org/d/5"},
        {"identifier": "https://ids.example.org/dataset/77", "title": "Same id"}]}))
    report = harvest(second, id="second", community="two", validate=False)
    assert {(d.record, d.matched_by) for d in report.duplicates} == {
        ("b1", "landingPage"), ("b2", "landingPage"), ("b3", "landingPage"),
        ("https://ids.example.org/dataset/77", "identifier")}

    run = _Run(harvest.store, harvest.settings, SourceConfig(
        id="third", community="three", type="datajson", path=second), print, None, None)
    by_identifier, by_page = run.all_others()
    wanted = ["http://Data.Example.org/d/1/", "https://DATA.example.org/d/2",
              "https://www.data.example.org/d/3", "https://data.example.org/d/5"]
    looked_up = run.others_by("page", wanted)
    assert looked_up == {k: v for k, v in by_page.items()
                         if k in {normalise_url(w) for w in wanted}}
    assert len(looked_up) == 4, "d/1-3 in both other sources, d/5 in the second"
    assert run.others_by("identifier", ["https://ids.example.org/dataset/77"]) == {
        k: v for k, v in by_identifier.items() if k == "https://ids.example.org/dataset/77"}
