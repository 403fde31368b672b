"""The demo region's source catalogs: valid against the official schemas, and reproducible.

Every other part of regiongraph (harvest, rules, reuse analyses, exports) is demonstrated
on these files, so they must be what a real member would publish: each data.json record
passes data.gov's non-federal DCAT-US 1.1 schema with formats checked, each Turtle catalog
parses and describes its datasets with DCAT 3 terms, and the committed files are exactly
what `demo/tools/build_catalogs.py` writes.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pyoxigraph import NamedNode, RdfFormat, Store
from referencing import Registry, Resource

from regiongraph.paths import data_path
from tests.support import SHARED

CATALOGS = data_path("demo") / "catalogs"
SCHEMAS = SHARED / "standards" / "dcat-us-1.1"
HARVESTER = SCHEMAS / "datagov-harvester"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

DATAJSON = sorted(CATALOGS.glob("*/data.json"))
TURTLE = sorted(CATALOGS.glob("*/catalog.ttl"))


def _schema(name: str) -> dict:
    return json.loads((HARVESTER / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dataset_validator() -> Draft202012Validator:
    return Draft202012Validator(_schema("non-federal_dataset.json"), format_checker=FormatChecker())


@pytest.fixture(scope="module")
def catalog_validator() -> Draft202012Validator:
    """catalog.json refers to "dataset.json"; resolve it to the non-federal dataset schema."""
    dataset = _schema("non-federal_dataset.json")
    registry = Registry().with_resource(
        "https://project-open-data.cio.gov/v1.1/schema/dataset.json",
        Resource.from_contents(dataset),
    )
    return Draft202012Validator(
        _schema("catalog.json"), registry=registry, format_checker=FormatChecker()
    )


def test_schemas_are_present():
    assert (HARVESTER / "non-federal_dataset.json").is_file()
    assert len(DATAJSON) >= 6 and 3 <= len(TURTLE) <= 4


@pytest.mark.parametrize("path", DATAJSON, ids=lambda p: p.parent.name)
def test_datajson_validates(path, dataset_validator, catalog_validator):
    catalog = json.loads(path.read_text(encoding="utf-8"))
    errors = [e.message for e in catalog_validator.iter_errors(catalog)]
    assert errors == []
    for record in catalog["dataset"]:
        problems = [f"{record.get('identifier')}: {e.message}"
                    for e in dataset_validator.iter_errors(record)]
        assert problems == []


def test_validator_really_checks_formats(dataset_validator):
    """The schema check is only worth something if it rejects a bad record."""
    record = json.loads(DATAJSON[0].read_text(encoding="utf-8"))["dataset"][0]
    bad = {**record, "contactPoint": {"fn": "x", "hasEmail": "not-an-email"},
           "license": "<a href='x'>license</a>"}
    assert len(list(dataset_validator.iter_errors(bad))) >= 2


def _turtle_datasets(path: Path) -> dict[str, str]:
    store = Store()
    store.load(path=str(path), format=RdfFormat.TURTLE)
    rows = store.query(
        f"SELECT ?d ?id WHERE {{ ?c a <{DCAT}Catalog> ; <{DCAT}dataset> ?d . "
        f"?d a <{DCAT}Dataset> ; <{DCT}identifier> ?id }}"
    )
    found = {row["id"].value: row["d"].value for row in rows}
    # every dataset has the fields a harvester needs, and distributions have access URLs
    for prop in ("title", "description", "publisher", "modified", "accessRights"):
        missing = store.query(
            f"SELECT ?d WHERE {{ ?d a <{DCAT}Dataset> "
            f"FILTER NOT EXISTS {{ ?d <{DCT}{prop}> ?x }} }}"
        )
        assert [r["d"].value for r in missing] == [], prop
    missing = store.query(
        f"SELECT ?x WHERE {{ ?x a <{DCAT}Distribution> "
        f"FILTER NOT EXISTS {{ ?x <{DCAT}accessURL> ?u }} }}"
    )
    assert list(missing) == []
    total = store.query(f"SELECT (COUNT(?d) AS ?n) WHERE {{ ?d a <{DCAT}Dataset> }}")
    assert int(next(iter(total))["n"].value) == len(found)
    return found


@pytest.mark.parametrize("path", TURTLE, ids=lambda p: p.parent.name)
def test_turtle_catalog_is_dcat(path):
    found = _turtle_datasets(path)
    assert len(found) >= 10


def _identifiers() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in DATAJSON:
        out[path.parent.name] = [
            r["identifier"] for r in json.loads(path.read_text(encoding="utf-8"))["dataset"]
        ]
    for path in TURTLE:
        out[path.parent.name] = sorted(_turtle_datasets(path))
    return out


def test_counts_identifiers_and_index():
    ids = _identifiers()
    assert len(ids) == 12
    assert sum(len(v) for v in ids.values()) >= 300
    index = (CATALOGS / "INDEX.md").read_text(encoding="utf-8")
    for community, identifiers in ids.items():
        assert len(identifiers) == len(set(identifiers)), community
        for identifier in identifiers:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", identifier), identifier
            assert f"`{identifier}`" in index
        assert re.search(rf"\| {community} \| `{community}/[a-z.]+` \| [^|]+ \| "
                         rf"{len(identifiers)} \|", index), community


def test_region_has_what_the_analyses_need():
    """Near-duplicates, adoption gaps and sensitive data exist across communities."""
    records = {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))["dataset"]
        for path in DATAJSON
    }
    flat = [(c, r) for c, rs in records.items() for r in rs]
    outage = {c for c, r in flat if "outages" in r["keyword"]
              and "Street Lighting" in r.get("theme", [])}
    assert len(outage) >= 4
    open311 = {c for c, r in flat
               if r.get("conformsTo") == "https://wiki.open311.org/GeoReport_v2/"}
    requests_without = {c for c, r in flat if "311" in " ".join(r["keyword"])
                        and not r.get("conformsTo")}
    assert len(open311) >= 2 and requests_without - open311
    closed = [r for _, r in flat if r["accessLevel"] != "public"]
    assert any(r["accessLevel"] == "non-public" for r in closed)
    assert any(r["accessLevel"] == "restricted public" for r in closed)
    assert all(r.get("rights") for r in closed)
    assert any("personal data" in r["keyword"] for r in closed)


def test_rebuild_is_byte_identical(tmp_path):
    script = data_path("demo") / "tools" / "build_catalogs.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    rebuilt = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(rebuilt) == 13  # twelve catalogs and INDEX.md
    for rel in rebuilt:
        assert (CATALOGS / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    # no stale catalog left behind by an earlier version of the script
    written = {p.relative_to(CATALOGS) for p in CATALOGS.glob("*/*")
               if p.name in ("data.json", "catalog.ttl")}
    assert written == {r for r in rebuilt if r.name != "INDEX.md"}
