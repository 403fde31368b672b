"""/data.json: DCAT-US 1.1 records that data.gov's harvester accepts, streamed.

Each record is checked against the schema data.gov's harvester 2.0 applies to cities and
counties (`non-federal_dataset.json`, with formats checked as `jsonschema[format]` does),
and the whole document against `catalog.json`.
"""

import json

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from tests.exports.conftest import DATAJSON_SCHEMAS


@pytest.fixture(scope="module")
def schemas(shared_dir):
    folder = shared_dir / DATAJSON_SCHEMAS
    dataset = json.loads((folder / "non-federal_dataset.json").read_text())
    catalog = json.loads((folder / "catalog.json").read_text())
    return dataset, catalog


@pytest.fixture(scope="module")
def data_json(served):
    response = httpx.get(f"{served}/data.json", timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "content-length" not in response.headers, "data.json must be streamed"
    return response.json()


def test_every_record_passes_the_datagov_schema(data_json, schemas, demo_index):
    dataset_schema, _ = schemas
    validator = Draft202012Validator(dataset_schema, format_checker=FormatChecker())
    records = data_json["dataset"]
    assert len(records) == len(demo_index.entries)
    failures = []
    for record in records:
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
        failures += [f"{record.get('identifier')}: {'/'.join(map(str, e.path))}: {e.message}"
                     for e in errors]
    assert not failures, "\n".join(failures[:30])


def test_the_catalog_passes_catalog_json(data_json, schemas):
    dataset_schema, catalog_schema = schemas
    # catalog.json refers to "dataset.json" relative to its $id; a city publishes the
    # non-federal variant, so that is what the reference resolves to here.
    registry = Registry().with_resource(
        "https://project-open-data.cio.gov/v1.1/schema/dataset.json",
        Resource.from_contents(dataset_schema))
    validator = Draft202012Validator(catalog_schema, registry=registry,
                                     format_checker=FormatChecker())
    errors = list(validator.iter_errors(data_json))
    assert not errors, errors[:5]
    assert data_json["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"


def test_records_say_what_the_store_says(data_json, demo_store, demo_index):
    """Spot-check the mapping against the model: titles, identifiers, public access."""
    from regiongraph.exports.model import read_records

    by_key = {}
    for record in data_json["dataset"]:
        key = (record["identifier"], record["title"], record["publisher"]["name"])
        assert key not in by_key, f"two records for {key}"
        by_key[key] = record
    sample = read_records(demo_store, [e.iri for e in demo_index.entries[::25]],
                          base=demo_index.base)
    assert sample
    for record in sample:
        out = by_key[(record.identifier, record.title, record.publisher.name)]
        assert out["accessLevel"] == "public"
        if record.license:
            assert out["license"] == record.license
        urls = {d.get("downloadURL") or d.get("accessURL") for d in out.get("distribution", [])}
        for dist in record.distributions:
            if dist.download_url or dist.access_url:
                assert (dist.download_url or dist.access_url) in urls


def test_community_data_json(served, demo_index):
    community = demo_index.community_ids()[0]
    response = httpx.get(f"{served}/communities/{community}/data.json")
    assert response.status_code == 200
    expected = sum(1 for e in demo_index.entries if e.community == community)
    assert len(response.json()["dataset"]) == expected
    assert httpx.get(f"{served}/communities/nowhere/data.json").status_code == 404


def test_data_json_streams_gzipped_on_request(served, data_json):
    import gzip

    with httpx.stream("GET", f"{served}/data.json", headers={"Accept-Encoding": "gzip"},
                      timeout=60) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert json.loads(gzip.decompress(raw)) == data_json
