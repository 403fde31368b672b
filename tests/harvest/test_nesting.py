"""Deeply nested harvested documents fail the source with the limit named; nothing is lost.

A data.json nested 5k or 100k deep raised RecursionError out of the harvest, and a JSON-LD
page 20k deep crashed the whole process (SIGSEGV in pyoxigraph's JSON-LD parser).
"""

import json
import subprocess

import pytest

from tests.harvest.test_cli_api import run_cli

LIMIT = "REGIONGRAPH_MAX_JSON_DEPTH"


def nested(n: int) -> str:
    return '{"a": ' * n + "1" + "}" * n


def deep_document(kind: str, n: int) -> str:
    """A document of the loader's own shape with one value nested `n` deep."""
    if kind == "datajson":
        return ('{"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": '
                '[{"identifier": "x", "title": "X", "extra": ' + nested(n) + "}]}")
    if kind == "ckan":
        return '{"success": true, "result": {"count": 1, "results": [' + nested(n) + "]}}"
    if kind == "socrata":
        return '{"resultSetSize": 1, "results": [' + nested(n) + "]}"
    if kind == "arcgis":
        return '{"type": "FeatureCollection", "features": [' + nested(n) + "]}"
    if kind == "openlineage":
        return '{"eventType": "START", "run": ' + nested(n) + "}"
    return ('{"@id": "http://example.org/a", "http://example.org/p": '  # dcat, JSON-LD
            + '{"http://example.org/p": ' * n + "1" + "}" * n + "}")


SUFFIX = {"dcat": ".jsonld"}


@pytest.mark.parametrize("n", [5_000, 100_000])
@pytest.mark.parametrize("kind", ["datajson", "ckan", "socrata", "arcgis", "openlineage",
                                  "dcat"])
def test_deep_document_fails_the_source_and_keeps_the_previous_graph(harvest, fixtures,
                                                                     tmp_path, kind, n):
    good = harvest(fixtures / "catalog-v1.json")
    assert good.status == "ok" and good.created == 5
    before = harvest.snapshot()
    path = tmp_path / f"deep{SUFFIX.get(kind, '.json')}"
    path.write_text(deep_document(kind, n))

    report = harvest(path, kind)

    assert report.status == "failed", report
    assert "JSON nesting depth" in report.message and LIMIT in report.message
    assert str(path) in report.message
    assert harvest.snapshot() == before


def test_cli_harvest_of_a_20k_deep_jsonld_page_reports_and_exits_cleanly(tmp_path):
    page = tmp_path / "catalog.jsonld"
    page.write_text(deep_document("dcat", 20_000))
    done: subprocess.CompletedProcess = run_cli(
        "harvest", str(page), "--type", "dcat", "--community", "testville", "--json",
        store=str(tmp_path / "store"))
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    report = json.loads(done.stdout)
    assert report["status"] == "failed"
    assert "JSON nesting depth 20,001 exceeds the limit of 100" in report["message"]
    assert LIMIT in report["message"]
