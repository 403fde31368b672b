"""`regiongraph load DIR`: a generated region, loaded by one command, publishes a catalog."""

import json
import shutil

import httpx
import pytest
from regiongraph.api.app import create_app

from regiongraph.paths import data_path
from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.visibility import publishable_datasets
from tests.cli.conftest import run_cli
from tests.support import serve_app

PUBLIC = "https://w3id.org/regiongraph/concepts/access/public"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """`generate --datasets 200`, then `load` into a disk store; yields (store dir, stderr)."""
    root = tmp_path_factory.mktemp("generated")
    region, store = root / "region", root / "store"
    made = run_cli(store, "generate", "--datasets", "200", "--out", str(region))
    assert made.returncode == 0, made.stderr
    loaded = run_cli(store, "load", str(region))
    assert loaded.returncode == 0, loaded.stderr
    return region, store, loaded.stderr


def test_generated_region_loads_with_its_registry_and_sources(generated):
    region, store, said = generated
    assert f"{region} loaded into oxigraph:{store}" in said
    counted = json.loads(run_cli(store, "stats", "--json").stdout)
    sources = [g for g in counted["graphs"] if "/graph/source/" in g]
    assert len(sources) == len(json.loads((region / "region.json").read_text())["communities"])
    classes = counted["classes"]
    assert classes["http://www.w3.org/ns/dcat#Dataset"] == 200
    assert classes["https://w3id.org/regiongraph/ns#Approval"] > 0  # the registry
    everything = json.loads(run_cli(store, "stats", "--json", "--all").stdout)
    assert everything["graphs"]["https://data.sonoranvalley.example/graph/reports/current"] > 0
    again = run_cli(store, "load", str(region))
    assert again.returncode == 0, again.stderr
    assert ": 0 graphs written (0 quads)" in again.stderr


def test_anonymous_catalog_and_search_show_a_share_of_the_public_datasets(generated):
    _, path, _ = generated
    settings = Settings(store=str(path))
    store = open_store(settings)
    try:
        published = publishable_datasets(store, settings)
        public = {row["d"].value for row in store.query(
            f"SELECT DISTINCT ?d WHERE {{ ?d <https://w3id.org/regiongraph/ns#accessLevel> "
            f"<{PUBLIC}> }}", union_default_graph=True)}
        # Realistic: some members publish all their public data, some part, some none yet.
        assert 0.2 * len(public) < len(published) < len(public), (len(published), len(public))
        with serve_app(create_app(settings, store=store)) as url:
            catalog = httpx.get(url + "/data.json", timeout=60).json()
            assert len(catalog["dataset"]) == len(published)
            found = httpx.get(url + "/search", params={"q": "", "fq": "kind:dataset",
                                                       "rows": 100},
                              headers={"Accept": "application/json"}, timeout=60).json()
            assert found["count"] == len(published) > 0
            assert {hit["iri"] for hit in found["results"]} <= published
            words = httpx.get(url + "/search", params={"q": "traffic"},
                              headers={"Accept": "application/json"}, timeout=60).json()
            assert words["count"] > 0
    finally:
        store.close()


def test_demo_is_load_of_the_demo_directory(demo_disk):
    """`demo` and `load demo/` are one road: after `demo`, loading the directory finds every
    graph already written with the same fingerprint."""
    again = run_cli(demo_disk, "load", str(data_path("demo")))
    assert again.returncode == 0, again.stderr
    assert ": 0 graphs written (0 quads), 19 unchanged" in again.stderr


def test_a_bad_sources_file_loads_nothing(generated, tmp_path):
    region, _, _ = generated
    broken = tmp_path / "region"
    shutil.copytree(region / "registry", broken / "registry")
    (broken / "sources.yaml").write_text(
        "sources:\n  - {id: a, community: x, type: csv, path: a.csv}\n", encoding="utf-8")
    done = run_cli(tmp_path / "store", "load", str(broken))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: sources.yaml:2: unknown type 'csv'")
    assert json.loads(run_cli(tmp_path / "store", "stats", "--json").stdout)["graphs"] == {}


def test_a_directory_that_is_no_region_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli(tmp_path / "store", "load", str(tmp_path / "empty"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path / 'empty'}: not a region directory (it has neither registry/ nor "
        "sources.yaml); nothing was loaded")
