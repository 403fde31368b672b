"""`regiongraph search`, `reindex`, and the index following `regiongraph harvest`, run as the
real command line against a real on-disk store."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store

SMALL = Path(__file__).with_name("small.ttl")
BASE = "https://data.sonoranvalley.example/"


def cli(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regiongraph", "--store", str(store), "--base", BASE, *args],
        check=False, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(store.parent), "COLUMNS": "200"},
    )


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    """A disk store loaded directly (no hook ran): the first search must build the index."""
    folder = tmp_path_factory.mktemp("cli") / "store"
    store = open_store(Settings(store=str(folder), base=BASE))
    store.replace_graph(Minter(BASE).graph("source", "small"),
                        parse(SMALL.read_bytes(), RdfFormat.TURTLE))
    store.close()
    return folder


def test_search_builds_a_missing_index_and_answers_json(store_dir):
    done = cli(store_dir, "search", "bike share", "--private", "--facet", "kind=dataset",
               "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [r["title"] for r in body["results"]] == ["Dockless vehicle trips"]
    assert body["facets"]["theme"][0] == {"value": "micromobility", "label": "Micromobility",
                                          "count": 1}
    assert (store_dir.parent / "store.search").is_dir()


def test_anonymous_by_default(store_dir):
    body = json.loads(cli(store_dir, "search", "", "--json").stdout)
    assert all(r["kind"] != "dataset" for r in body["results"])
    assert "access" not in body["facets"]


def test_table_output_and_errors(store_dir):
    done = cli(store_dir, "search", "traf*", "--private")
    assert done.returncode == 0 and "Traffic counts" in done.stdout
    bad = cli(store_dir, "search", "x", "--facet", "colour=red")
    assert bad.returncode == 2
    assert "unknown facet 'colour'" in bad.stderr and "Traceback" not in bad.stderr
    long = cli(store_dir, "search", "x" * 5000)
    assert long.returncode == 2 and "5,000 characters" in long.stderr


def test_reindex(store_dir):
    done = cli(store_dir, "reindex", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"] == 8


def test_the_index_follows_a_harvest_record_by_record(tmp_path):
    catalog = tmp_path / "data.json"
    records = [
        {"identifier": "ped-counts", "title": "Pedestrian counts downtown",
         "description": "Hourly pedestrian counts from sensors.", "keyword": ["pedestrians"],
         "accessLevel": "public", "modified": "2024-05-01"},
        {"identifier": "kiosk-usage", "title": "Library kiosk usage",
         "description": "Sessions per kiosk.", "keyword": ["libraries"],
         "accessLevel": "public", "modified": "2023-02-01"},
    ]
    catalog.write_text(json.dumps({"dataset": records}))
    store = tmp_path / "store"
    harvest = ("harvest", str(catalog), "--type", "datajson", "--community", "saguaro")
    assert cli(store, *harvest).returncode == 0
    found = json.loads(cli(store, "search", "pedestrain", "--private", "--json").stdout)
    assert [r["title"] for r in found["results"]] == ["Pedestrian counts downtown"]
    # the catalog changes: one title edited, one record gone
    records[0]["title"] = "Footfall counts downtown"
    catalog.write_text(json.dumps({"dataset": records[:1]}))
    assert cli(store, *harvest).returncode == 0
    after = json.loads(cli(store, "search", "", "--private", "--facet", "kind=dataset",
                           "--json").stdout)
    assert [r["title"] for r in after["results"]] == ["Footfall counts downtown"]
