"""`regiongraph validate` and `regiongraph quality` on a real disk store, and MQA scoring."""

import json
import os
import subprocess
import sys

import pytest

from regiongraph.pipeline import load_demo
from regiongraph.rules.quality import MAX_POINTS, band
from regiongraph.settings import Settings
from regiongraph.store import open_store


@pytest.fixture(scope="module")
def disk_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules-cli") / "store"
    settings = Settings(store=str(path))
    store = open_store(settings)
    load_demo(store, settings)
    store.close()
    return path


def run(store, *args):
    env = {**os.environ, "REGIONGRAPH_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "regiongraph", *args], check=False,
                          capture_output=True,
                          text=True, env=env, timeout=300)


def test_validate_json_and_exit_code(disk_demo):
    done = run(disk_demo, "validate", "--format", "json", "--today", "2026-11-25")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert body["conforms"] is False
    assert {"focus", "path", "shape", "severity", "message", "community"} <= set(body["results"][0])
    communities = {r["community"] for r in body["results"]}
    assert {"ocotillo", "palo-verde", "valley-water", "red-mesa"} <= communities


def test_validate_text_groups_by_community_and_rule(disk_demo):
    done = run(disk_demo, "validate", "--today", "2026-11-25", "--no-store")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("does not conform:")
    assert "== ocotillo" in lines
    start = lines.index("== ocotillo")
    assert lines[start + 1].startswith("  R1-PublicDatasetApproved [Violation]")
    assert lines[start + 2].startswith("    fix: The dataset is public but no approval")


def test_validate_bad_day_is_a_usage_error(disk_demo):
    done = run(disk_demo, "validate", "--today", "yesterday")
    assert done.returncode == 2
    assert "not a date" in done.stderr and "Traceback" not in done.stderr


def test_quality_json(disk_demo):
    done = run(disk_demo, "quality", "--json", "--community", "saguaro")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [c["scope"] for c in body["communities"]] == ["saguaro"]
    assert body["region"]["datasets"] == len(body["datasets"]) > 50
    assert all(d["community"] == "saguaro" for d in body["datasets"])


def test_bands():
    assert MAX_POINTS == 100 + 100 + 110 + 75 + 20
    assert [band(x) for x in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "Excellent", "Excellent", "Good", "Good", "Sufficient", "Sufficient", "Bad", "Bad"]


def test_scores_follow_the_metadata(demo_store, demo_settings):
    """A record with more metadata never scores lower: compare two real demo datasets
    indicator by indicator against what the store says about them."""
    from regiongraph.rules.quality import assess

    assessment = assess(demo_store, demo_settings)
    by_iri = {s.dataset: s for s in assessment.scores}
    assert by_iri
    for score in list(by_iri.values())[:40]:
        iri = score.dataset
        has = {p: bool(demo_store.query(f"ASK {{ <{iri}> <{p}> ?o }}", union_default_graph=True))
               for p in ("http://www.w3.org/ns/dcat#keyword", "http://purl.org/dc/terms/spatial",
                         "http://www.w3.org/ns/dcat#contactPoint",
                         "http://purl.org/dc/terms/issued")}
        assert (score.indicators["keywords"] == 30) == has["http://www.w3.org/ns/dcat#keyword"]
        assert (score.indicators["spatial"] == 20) == has["http://purl.org/dc/terms/spatial"]
        assert (score.indicators["contact_point"] == 20) == has[
            "http://www.w3.org/ns/dcat#contactPoint"]
        assert (score.indicators["issued"] == 5) == has["http://purl.org/dc/terms/issued"]
        assert score.indicators["access_url_answers"] == 0  # URLs not checked
        assert 0 <= score.total <= MAX_POINTS - 80
