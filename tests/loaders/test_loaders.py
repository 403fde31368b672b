"""Loaders on their own: the registry, the mapping rules, and what each format yields.

Loaders know nothing of the store, so these tests call them directly with a `Fetched`
document and look at the records and triples they yield.
"""

import json

import pytest
from pyoxigraph import Literal, NamedNode
from regiongraph.loaders import (
    Fetched,
    Issue,
    LoadContext,
    Record,
    SourceError,
    UnknownLoaderError,
    get_loader,
    loader_names,
)
from regiongraph.loaders.conformance import normalise_url

from regiongraph.iri import Minter
from regiongraph.namespaces import DCAT, DCT, RG, RGC, VCARD

BASE = "https://data.sonoranvalley.example/"


def context(**options) -> LoadContext:
    return LoadContext(minter=Minter(BASE), community="testville", source_id="t",
                       options=options)


def load(kind: str, content: bytes | str, location: str = "mem.json", **options):
    data = content.encode() if isinstance(content, str) else content
    items = list(get_loader(kind).records(Fetched(location, data), context(**options)))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Issue)]


def objects(record: Record, predicate: NamedNode, subject: NamedNode | None = None) -> list:
    return [t.object for t in record.triples
            if t.predicate == predicate and (subject is None or t.subject == subject)]


def test_registry_lists_the_seven_formats_and_names_the_valid_ones():
    assert loader_names() == ["arcgis", "ckan", "datajson", "dcat", "openlineage", "socrata",
                              "spreadsheet"]
    with pytest.raises(UnknownLoaderError, match="unknown source type 'csv'; expected one of "
                                                 "arcgis, ckan, datajson"):
        get_loader("csv")


def test_dataset_iri_is_minted_from_community_and_identifier():
    records, _ = load("datajson", json.dumps({"dataset": [
        {"identifier": "Traffic Counts 2024", "title": "T", "accessLevel": "public"}]}),
        validate=False)
    assert records[0].iri == NamedNode(f"{BASE}datasets/testville/traffic-counts-2024")


def test_digest_is_stable_and_changes_with_content():
    doc = {"dataset": [{"identifier": "a", "title": "A", "accessLevel": "public",
                        "keyword": ["x", "y"]}]}
    first, _ = load("datajson", json.dumps(doc), validate=False)
    again, _ = load("datajson", json.dumps(doc, indent=4, sort_keys=True), validate=False)
    doc["dataset"][0]["title"] = "A, renamed"
    changed, _ = load("datajson", json.dumps(doc), validate=False)
    assert first[0].digest == again[0].digest != changed[0].digest
    assert not any(t.subject.__class__.__name__ == "BlankNode" for t in first[0].triples)


def test_field_checks_keep_what_is_usable():
    records, _ = load("datajson", json.dumps({"dataset": [{
        "identifier": "a", "title": "A", "accessLevel": "secret-ish",
        "modified": "last tuesday", "contactPoint": {"fn": "Ann", "hasEmail": "not-an-email"},
        "landingPage": "htp//broken", "spatial": "-111.9,33.3,-111.8,33.4",
        "temporal": "2024-01-01/2024-12-31", "accrualPeriodicity": "R/P1M",
        "distribution": [{"downloadURL": "https://x.example/a.csv", "mediaType": "text csv"}],
    }]}), validate=False)
    record = records[0]
    fields = {i.field: i.message for i in record.issues}
    assert "recorded as restricted" in fields["accessLevel"]
    assert fields["modified"] == "not an ISO 8601 date: 'last tuesday'; kept as text"
    assert fields["contactPoint.hasEmail"].startswith("not an e-mail address")
    assert fields["landingPage"] == "not a valid URL: 'htp//broken'; left out"
    assert fields["distribution[0].mediaType"] == "not a media type: 'text csv'"
    assert objects(record, RG.accessLevel) == [RGC.term("access/restricted")]
    assert objects(record, DCT.modified) == [Literal("last tuesday")]
    assert objects(record, DCAT.landingPage) == []
    assert objects(record, DCT.accrualPeriodicity) == [NamedNode("http://purl.org/cld/freq/monthly")]
    contact = objects(record, DCAT.contactPoint)[0]
    assert objects(record, VCARD.fn, contact) == [Literal("Ann")]
    assert objects(record, VCARD.hasEmail, contact) == []


def test_themes_land_on_the_alliance_domain_concepts():
    records, _ = load("datajson", json.dumps({"dataset": [
        {"identifier": "a", "title": "A", "accessLevel": "public",
         "theme": ["Transportation", "Underwater basket weaving"]}]}), validate=False)
    assert objects(records[0], DCAT.theme) == [RGC.term("domain/transportation")]
    assert Literal("Underwater basket weaving") in objects(records[0], DCAT.keyword)


def test_registry_standard_homepage_suppresses_a_second_claim():
    doc = json.dumps({"dataset": [{
        "identifier": "feed", "title": "Feed", "accessLevel": "public", "keyword": ["gtfs"],
        "conformsTo": "https://gtfs.org/documentation/schedule/reference/"}]})
    ctx = context(validate=False)
    ctx.standards = {normalise_url("https://gtfs.org/documentation/schedule/reference/"):
                     f"{BASE}standards/gtfs"}
    records = [r for r in get_loader("datajson").records(Fetched("m.json", doc.encode()), ctx)
               if isinstance(r, Record)]
    assert objects(records[0], DCT.conformsTo) == [
        NamedNode("https://gtfs.org/documentation/schedule/reference/")]
    records, _ = load("datajson", doc, validate=False)
    assert NamedNode(f"{BASE}standards/gtfs") in objects(records[0], DCT.conformsTo)


def test_dcat_loader_sniffs_formats_and_rejects_non_catalogs():
    with pytest.raises(SourceError, match="no dcat:Catalog or dcat:Dataset"):
        load("dcat", "<http://a.example/x> <http://a.example/p> 'o' .", "x.ttl")
    with pytest.raises(SourceError, match="remote @context"):
        load("dcat", json.dumps({"@context": "https://example.org/context.jsonld",
                                 "@id": "http://a.example/x"}), "x.jsonld")


def test_dcat_loader_maps_eu_access_rights_and_personal_data():
    ttl = """
    @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <http://a.example/d> a dcat:Dataset ; dct:identifier "d" ; dct:title "D" ;
      dct:accessRights <http://publications.europa.eu/resource/authority/access-right/RESTRICTED> ;
      <https://w3id.org/dpv#hasPersonalData> <https://w3id.org/dpv/pd#Location> .
    """
    records, _ = load("dcat", ttl, "c.ttl")
    assert objects(records[0], RG.accessLevel) == [RGC.term("access/restricted")]
    assert objects(records[0], RG.personalDataCategory) == [
        NamedNode("https://w3id.org/dpv/pd#Location")]
    assert records[0].source_iri == "http://a.example/d"


def test_spreadsheet_mapping_errors_name_the_field():
    with pytest.raises(SourceError, match="unknown field"):
        load("spreadsheet", "id,name\n1,a\n", "s.csv", columns={"nonsense": "id"})
    with pytest.raises(SourceError, match="no column 'title'"):
        load("spreadsheet", "identifier,name\n1,a\n", "s.csv")
    records, _ = load("spreadsheet", "identifier;title;keywords\nx;X;a|b\n", "s.csv",
                      list_separator="|")
    assert sorted(k.value for k in objects(records[0], DCAT.keyword)) == ["a", "b"]


def test_openlineage_event_shapes():
    event = {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z",
             "run": {"runId": "33333333-3333-4333-8333-333333333333"},
             "job": {"namespace": "n", "name": "j"},
             "producer": "https://p.example", "schemaURL":
             "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
    for content in (json.dumps(event), json.dumps([event]), json.dumps(event) + "\n\n"):
        records, issues = load("openlineage", content)
        assert [r.key for r in records] == ["33333333-3333-4333-8333-333333333333"]
        assert issues == []
    with pytest.raises(SourceError, match="NDJSON line 2 is not JSON"):
        load("openlineage", json.dumps(event) + "\n{oops\n")


def test_ckan_extras_and_private_packages():
    package = {"id": "p1", "name": "p-one", "title": "P One", "state": "active",
               "extras": [{"key": "access_level", "value": "non-public"},
                          {"key": "personal_data", "value": "Name"}],
               "resources": [{"url": "https://x.example/p1.csv", "format": "CSV"}]}
    hidden = dict(package, id="p2", name="p-two", private=True)
    body = {"success": True, "result": {"count": 2, "results": [package, hidden]}}
    records, _ = load("ckan", json.dumps(body), site="https://portal.example")
    assert [r.key for r in records] == ["p1"]
    record = records[0]
    assert objects(record, RG.accessLevel) == [RGC.term("access/confidential")]
    assert objects(record, RG.personalDataCategory) == [NamedNode("https://w3id.org/dpv/pd#Name")]
    assert objects(record, DCAT.landingPage) == [NamedNode("https://portal.example/dataset/p-one")]
