"""Each of the seven source types harvests from the loopback server, paging included."""

import json

from openpyxl import Workbook

from regiongraph.namespaces import DCAT, DCT, PROV, RG


def _identifiers(harvest, id="src") -> set[str]:
    rows = harvest.store.query(
        f"SELECT ?i WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> ; "
        f"<{DCT.identifier.value}> ?i }} }}", named_graphs=[harvest.graph(id)])
    return {r["i"].value for r in rows}


def test_datajson_over_http(harvest, portal):
    report = harvest(portal.url + "/files/catalog-v1.json")
    assert (report.status, report.created, report.http_status) == ("ok", 5, 200)
    assert _identifiers(harvest) == {f"ds-{i}" for i in range(1, 6)}


def test_data_served_as_text_html_is_judged_by_its_body(harvest, portal):
    report = harvest(portal.url + "/json-as-html")
    assert (report.status, report.created) == ("ok", 5)


def test_pod_1_0_array_catalog(harvest, portal):
    report = harvest(portal.url + "/files/pod-1.0.json")
    assert (report.status, report.created) == ("ok", 1)
    rows = list(harvest.store.query(
        f"SELECT ?url WHERE {{ GRAPH ?g {{ ?d <{DCAT.distribution.value}> ?x . "
        f"?x <{DCAT.accessURL.value}> ?url }} }}", named_graphs=[harvest.graph()]))
    assert [r["url"].value for r in rows] == ["https://old.example/legacy-1.csv"]


def test_ckan_package_search_pages_through_every_package(harvest, portal):
    portal.requests.clear()
    report = harvest(portal.url + "/ckan/api/3/action/package_search", "ckan", page_size=3)
    assert (report.status, report.created) == ("ok", 7)
    pages = [p for p, _ in portal.requests if p.startswith("/ckan/")]
    assert len(pages) == 3 and "rows=3" in pages[0] and "start=6" in pages[2]
    assert len(_identifiers(harvest)) == 7
    themes = list(harvest.store.query(
        f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?d <{DCAT.theme.value}> ?t }} }}",
        named_graphs=[harvest.graph()]))
    assert [t["t"].value for t in themes] == [
        "https://w3id.org/regiongraph/concepts/domain/transportation"]
    landing = list(harvest.store.query(
        f"SELECT ?l WHERE {{ GRAPH ?g {{ ?d <{DCAT.landingPage.value}> ?l }} }} ORDER BY ?l LIMIT 1",
        named_graphs=[harvest.graph()]))
    assert landing[0]["l"].value == f"{portal.url}/ckan/dataset/package-1"


def test_socrata_discovery_api_pages(harvest, portal):
    portal.requests.clear()
    report = harvest(portal.url + "/socrata/api/catalog/v1", "socrata", page_size=2)
    assert (report.status, report.created) == ("ok", 5)
    assert len([p for p, _ in portal.requests if p.startswith("/socrata/")]) == 3
    assert "ab03-cd03" in _identifiers(harvest)


def test_arcgis_hub_search_follows_next_links(harvest, portal):
    portal.requests.clear()
    report = harvest(portal.url + "/arcgis/api/search/v1/collections/dataset/items?limit=2",
                     "arcgis", site="https://hub.test.example")
    assert (report.status, report.created) == ("ok", 5)
    assert len([p for p, _ in portal.requests if p.startswith("/arcgis/")]) == 3
    descriptions = {r["d"].value for r in harvest.store.query(
        f"SELECT ?d WHERE {{ GRAPH ?g {{ ?x <{DCT.description.value}> ?d }} }}",
        named_graphs=[harvest.graph()])}
    assert "Layer 1" in descriptions


def test_arcgis_hub_dcat_us_feed_reports_the_license_defect(harvest, portal, shared_dir, tmp_path):
    feed = shared_dir / "samples/catalogs/oakland-county-mi_arcgis-hub_dcat-us-1.1_1record.json"
    report = harvest(feed, "arcgis", community="oakland")
    assert (report.status, report.created) == ("ok", 1)
    assert any(e.field == "license" and "HTML fragment" in e.message for e in report.errors)


def test_dcat_turtle_with_hydra_partial_collection_view(harvest, portal):
    portal.requests.clear()
    report = harvest(portal.url + "/files/hydra-page1.ttl", "dcat")
    assert (report.status, report.created) == ("ok", 5)
    assert _identifiers(harvest) == {"p1-a", "p1-b", "p2-a", "p2-b", "p3-a"}
    minter = harvest.minter
    rows = list(harvest.store.query(
        f"SELECT ?from WHERE {{ GRAPH ?g {{ <{minter.iri('dataset', 'testville', 'p2-b').value}> "
        f"<{PROV.wasDerivedFrom.value}> ?from }} }}", named_graphs=[harvest.graph()]))
    assert [r["from"].value for r in rows] == [minter.iri("dataset", "testville", "p1-a").value]
    blank = harvest.store.query("ASK { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }",
                                named_graphs=[harvest.graph()])
    assert not bool(blank)


def test_dcat_legacy_paged_collection_with_literal_next_page(harvest, portal):
    report = harvest(portal.url + "/files/hydra-legacy1.ttl", "dcat")
    assert (report.status, report.created) == ("ok", 3)


def test_dcat_rdf_xml_and_identity_rules(harvest, portal):
    report = harvest(portal.url + "/files/catalog.rdf", "dcat")
    assert (report.status, report.created) == ("ok", 1)
    report = harvest(portal.url + "/files/gtfs-catalog.ttl", "dcat", id="gtfs")
    assert (report.created, report.skipped) == (2, 2)
    reasons = {e.message for e in report.errors}
    assert "blank-node dataset without dct:identifier; skipped" in reasons
    assert "dataset has no dct:title; skipped" in reasons
    assert "no dct:identifier; the dataset's own IRI is used" in reasons


def test_dcat_json_ld(harvest, tmp_path):
    doc = {"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
           "@graph": [{"@id": "https://data.test.example/dataset/j", "@type": "dcat:Dataset",
                       "dct:identifier": "j", "dct:title": "JSON-LD dataset"}]}
    path = tmp_path / "catalog.jsonld"
    path.write_text(json.dumps(doc))
    report = harvest(path, "dcat")
    assert (report.status, report.created) == ("ok", 1)


def test_spreadsheet_csv_over_http_with_column_mapping(harvest, portal, fixtures):
    csv = (b"Dataset ID,Name,Tags,Sharing\n"
           b"roads,Road Network,roads;streets,public\n"
           b"calls,911 Calls,dispatch,non-public\n")
    portal.mutable["sheet.csv"] = (csv, "text/csv")
    report = harvest(portal.url + "/mutable/sheet.csv", "spreadsheet",
                     columns={"identifier": "Dataset ID", "title": "Name", "keywords": "Tags",
                              "access_level": "Sharing"})
    assert (report.status, report.created) == ("ok", 2)
    rows = list(harvest.store.query(
        f"SELECT ?l WHERE {{ GRAPH ?g {{ ?d <{DCT.identifier.value}> 'calls' ; "
        f"<{RG.accessLevel.value}> ?l }} }}", named_graphs=[harvest.graph()]))
    assert rows[0]["l"].value.endswith("access/confidential")


def test_spreadsheet_xlsx(harvest, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["identifier", "title", "modified", "keywords"])
    sheet.append(["permits", "Permits", "2026-03-01", "permits;building"])
    sheet.append([None, "No id", None, None])
    path = tmp_path / "inventory.xlsx"
    book.save(path)
    report = harvest(path, "spreadsheet")
    assert (report.status, report.created, report.skipped) == ("ok", 1, 1)
    skipped = [e for e in report.errors if e.severity == "error"]
    assert [(e.record, e.message) for e in skipped] == [("row 3", "row 3 has no 'identifier'; skipped")]
    assert {e.record for e in report.errors if e.severity == "warning"} == {"row 2 (permits)"}


def test_spreadsheet_non_utf8_csv_names_the_line(harvest, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"identifier,title\nok,Fine\ncafe,Caf\xe9\n")
    report = harvest(path, "spreadsheet")
    assert report.status == "failed" and "line 3: not utf-8-sig text" in report.message
    report = harvest(path, "spreadsheet", encoding="cp1252")
    assert (report.status, report.created) == ("ok", 2)


def test_openlineage_ndjson_over_http(harvest, portal):
    events = [
        {"eventType": "START", "eventTime": "2026-01-01T00:00:00Z",
         "run": {"runId": "11111111-1111-4111-8111-111111111111"},
         "job": {"namespace": "etl", "name": "rollup"},
         "inputs": [{"namespace": "pg://db", "name": "public.raw_counts"}],
         "producer": "https://example.org/producer",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"},
        {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:01:00Z",
         "run": {"runId": "11111111-1111-4111-8111-111111111111"},
         "job": {"namespace": "etl", "name": "rollup"},
         "inputs": [{"namespace": "pg://db", "name": "public.raw_counts"}],
         "outputs": [{"namespace": "pg://db", "name": "public.daily_counts"}],
         "producer": "https://example.org/producer",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"},
        {"eventType": "COMPLETE", "run": {"runId": "x"}},
    ]
    portal.mutable["events.ndjson"] = ("\n".join(json.dumps(e) for e in events).encode(),
                                       "application/x-ndjson")
    report = harvest(portal.url + "/mutable/events.ndjson", "openlineage",
                     datasets=[{"namespace": "pg://db", "community": "testville",
                                "strip_prefix": "public.", "replace": {"_": "-"}}])
    assert (report.status, report.created, report.skipped) == ("ok", 1, 1)
    assert "OpenLineage schema" in report.errors[0].message
    minter = harvest.minter
    daily = minter.iri("dataset", "testville", "daily-counts")
    raw = minter.iri("dataset", "testville", "raw-counts")
    assert bool(harvest.store.query(
        f"ASK {{ GRAPH ?g {{ <{daily.value}> <{PROV.wasDerivedFrom.value}> <{raw.value}> . "
        f"?run <{PROV.used.value}> <{raw.value}> ; <{PROV.generated.value}> <{daily.value}> ; "
        f"<{PROV.startedAtTime.value}> ?s ; <{PROV.endedAtTime.value}> ?e . "
        f"?job a <{RG.Job.value}> ; <{PROV.used.value}> <{raw.value}> }} }}",
        named_graphs=[harvest.graph()]))
