"""Every bad input of the issue gets a clear error, and nothing already stored is lost.

Each case first harvests a good catalog into the source graph, then points the same
source at something broken, served over real HTTP on loopback (or a file), and checks
the report says what and where, the status is `failed`, and the graph is byte-for-byte
what it was.
"""

import json

import pytest

from regiongraph.harvest import FetchPolicy

CASES = [
    # (path on the fixture server, type, options, words the error must contain)
    ("/files/truncated.json", "datajson", {}, ["invalid JSON at line", "column"]),
    ("/files/wrong-top-level.json", "datajson", {}, ["not a str"]),
    ("/files/dataset-not-list.json", "datajson", {}, ["'dataset' is a dict, not a list"]),
    ("/files/latin1.json", "datajson", {}, ["not UTF-8", "byte"]),
    ("/html200", "datajson", {}, ["HTML page", "Portal maintenance", "status 200"]),
    ("/html-as-json", "datajson", {}, ["HTML page"]),
    ("/status/404", "datajson", {}, ["HTTP 404"]),
    ("/status/500", "datajson", {}, ["HTTP 500", "after 3 attempts"]),
    ("/slow", "datajson", {}, ["timed out", "after 3 attempts"]),
    ("/loop", "datajson", {}, ["more than 5 redirects", "redirect loop"]),
    ("/files/syntax-error.ttl", "dcat", {}, ["Turtle syntax error", "line 10"]),
    ("/files/xxe.rdf", "dcat", {}, ["declares entities", "entity expansion is off"]),
    ("/files/billion-laughs.rdf", "dcat", {}, ["declares entities"]),
    ("/files/hydra-self.ttl", "dcat", {}, ["already read", "paging loop"]),
    ("/files/catalog-v1.json", "ckan", {}, ["not a CKAN package_search response"]),
    ("/files/catalog-v1.json", "socrata", {}, ["not a Socrata catalog response"]),
    ("/files/catalog-v1.json", "spreadsheet", {}, ["no column 'identifier'"]),
]


@pytest.mark.parametrize(("path", "kind", "options", "words"), CASES,
                         ids=[c[0].rsplit("/", 1)[-1] + "-" + c[1] for c in CASES])
def test_bad_source_fails_clearly_and_keeps_previous_graph(harvest, portal, path, kind,
                                                           options, words):
    good = harvest(portal.url + "/files/catalog-v1.json")
    assert good.status == "ok" and good.created == 5
    before = harvest.snapshot()

    report = harvest(portal.url + path, kind, **options)

    assert report.status == "failed", report
    for word in words:
        assert word in report.message, (word, report.message)
    assert report.errors[0].message == report.message
    assert report.written_graphs == {}
    assert harvest.snapshot() == before


def test_body_over_the_size_cap_is_refused_while_streaming(harvest, portal):
    harvest(portal.url + "/files/catalog-v1.json")
    before = harvest.snapshot()
    small = FetchPolicy(read_timeout=5, retries=0, max_bytes=1024 * 1024)
    report = harvest(portal.url + "/big?mb=5", policy=small)
    assert report.status == "failed"
    assert "exceeds the 1,048,576-byte cap" in report.message
    assert harvest.snapshot() == before


def test_file_over_the_size_cap_is_refused_before_reading(harvest, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b'{"dataset": []}' + b" " * 2_000_000)
    report = harvest(big, policy=FetchPolicy(max_bytes=1_000_000))
    assert report.status == "failed" and "over the 1,000,000-byte cap" in report.message


def test_missing_identifier_title_and_duplicates_are_skipped_with_reasons(harvest, fixtures):
    report = harvest(fixtures / "missing-and-duplicates.json")
    assert report.status == "ok"
    assert report.created == 3  # ds-1, the first ds-4, ds-5
    assert report.skipped == 4
    messages = [(e.record, e.field, e.message) for e in report.errors if e.severity == "error"]
    assert ("dataset[1]", "identifier", "record has no identifier; skipped") in messages
    assert ("ds-3", "title", "record has no title; skipped") in messages
    assert any(field == "identifier" and "already used by record 'ds-4'" in message
               for _, field, message in messages)
    assert ("dataset[5]", None, "dataset[5] is a str, not an object; skipped") in messages
    rows = harvest.store.query(
        "SELECT ?t WHERE { GRAPH ?g { ?d <http://purl.org/dc/terms/identifier> 'ds-4' ; "
        "<http://purl.org/dc/terms/title> ?t } }", named_graphs=[harvest.graph()])
    assert [r["t"].value for r in rows] == ["Dataset 4"]


def test_100k_keywords_and_a_50mb_description_load_with_warnings(harvest, tmp_path):
    record = {"identifier": "huge", "title": "Huge", "accessLevel": "public",
              "keyword": [f"kw{i}" for i in range(100_000)],
              "description": "x" * (50 * 1024 * 1024)}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"dataset": [record]}))
    report = harvest(path, validate=False)
    assert report.status == "ok" and report.created == 1
    messages = {e.field: e.message for e in report.errors}
    assert messages["keyword"] == "keyword list has 100,000 entries; kept the first 1,000"
    assert messages["description"].startswith("description is 52,428,800 characters long")
    rows = harvest.store.query(
        "SELECT (COUNT(?k) AS ?n) (MAX(STRLEN(?d)) AS ?len) WHERE { GRAPH ?g { "
        "?s <http://www.w3.org/ns/dcat#keyword> ?k ; <http://purl.org/dc/terms/description> ?d "
        "} }", named_graphs=[harvest.graph()])
    row = next(iter(rows))
    assert int(row["n"].value) == 1000 and int(row["len"].value) == 100_000


def test_xxe_file_is_never_read(harvest, fixtures):
    report = harvest(fixtures / "xxe.rdf", "dcat")
    assert report.status == "failed"
    assert "root:" not in harvest.ntriples().decode()


def test_unreadable_source_on_an_empty_store_writes_nothing(harvest, portal):
    report = harvest(portal.url + "/status/404")
    assert report.status == "failed"
    assert harvest.store.count(harvest.graph()) == 0
