"""`regiongraph export`: the same catalog as the API, written by the CLI from a disk store."""

import json
import subprocess
import sys

import pytest
import rdflib
from rdflib.namespace import DCAT, RDF


def run(store, *args):
    return subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), *args],
                          check=False, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("export") / "store"
    loaded = run(store, "demo")
    assert loaded.returncode == 0, loaded.stderr
    return store


def test_datajson_dcat_and_schemaorg_files(disk_store, tmp_path, demo_index):
    published = {e.iri for e in demo_index.entries}
    out = tmp_path / "data.json"
    result = run(disk_store, "export", "datajson", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_text())["dataset"]) == len(published)

    # ttl and jsonld go through the same renderer in tests/exports/test_catalog.py
    for fmt, rdflib_format in (("nt", "nt"), ("xml", "xml")):
        target = tmp_path / f"catalog.{fmt}"
        result = run(disk_store, "export", "dcat", "--format", fmt, "--out", str(target))
        assert result.returncode == 0, result.stderr
        graph = rdflib.Graph().parse(target, format=rdflib_format)
        assert {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)} == published, fmt

    target = tmp_path / "schema.json"
    result = run(disk_store, "export", "schemaorg", "--out", str(target))
    assert result.returncode == 0, result.stderr
    items = json.loads(target.read_text())
    assert {item["@id"] for item in items} == published
    assert all(item["@type"] == "Dataset" for item in items)


def test_community_export_to_stdout(disk_store, demo_index):
    community = demo_index.community_ids()[0]
    result = run(disk_store, "export", "datajson", "--community", community)
    assert result.returncode == 0, result.stderr
    expected = sum(1 for e in demo_index.entries if e.community == community)
    assert len(json.loads(result.stdout)["dataset"]) == expected


def test_wrong_names_say_what_is_valid(disk_store, tmp_path):
    result = run(disk_store, "export", "csv")
    assert result.returncode == 2
    assert "unknown export profile 'csv'" in result.stderr and "dcat-ap-3" in result.stderr
    result = run(disk_store, "export", "dcat", "--format", "yaml", "--out",
                 str(tmp_path / "x"))
    assert result.returncode == 2 and "ttl, jsonld, xml, nt" in result.stderr
    assert not (tmp_path / "x").exists(), "a failed export leaves no half-written file"
