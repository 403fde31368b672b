"""The whole path a steward sees: a member's catalog loses a dataset's keywords, the
harvest re-validates only what changed, the report names the problem; the member fixes it,
the next harvest makes it disappear. Real CLI processes on a real disk store."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from regiongraph.paths import data_path
from regiongraph.pipeline import load_demo
from regiongraph.rules.reports import latest_report, report_graphs
from regiongraph.rules.validate import validate
from regiongraph.settings import Settings
from regiongraph.store import open_store

SHAPE = "https://w3id.org/regiongraph/shapes#DatasetKeywordsOrThemes"


@pytest.fixture
def steward(tmp_path):
    settings = Settings(store=str(tmp_path / "store"))
    store = open_store(settings)
    load_demo(store, settings)
    store.close()
    catalog = json.loads((data_path("demo") / "catalogs" / "ocotillo" / "data.json").read_text())
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {id: ocotillo-datajson, community: ocotillo, "
                       f"type: datajson, path: {tmp_path / 'ocotillo.json'}}}\n")
    return settings, catalog, sources


def harvest(settings: Settings, sources, catalog: dict) -> None:
    (sources.parent / "ocotillo.json").write_text(json.dumps(catalog))
    env = {**os.environ, "REGIONGRAPH_STORE": settings.store}
    done = subprocess.run([sys.executable, "-m", "regiongraph", "harvest", "ocotillo-datajson",
                           "--config", str(sources)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_fixed_violation_disappears_at_the_next_harvest(steward):
    settings, catalog, sources = steward
    harvest(settings, sources, catalog)  # the same catalog from its new place
    victim = catalog["dataset"][0]
    kept = {k: victim.pop(k) for k in ("keyword", "theme") if k in victim}
    assert kept, "the demo record has keywords or themes to lose"
    harvest(settings, sources, catalog)
    iri = f"{settings.base}datasets/ocotillo/{victim['identifier']}"
    store = open_store(settings)
    try:
        broken = latest_report(store, settings)
        runs = report_graphs(store, settings)
        assert broken.focus_checked is not None and broken.focus_checked < 100
        assert (iri, SHAPE) in broken.pairs
        assert broken.results == validate(store, settings, today=broken.day).results
    finally:
        store.close()
    victim.update(kept)
    harvest(settings, sources, catalog)
    store = open_store(settings)
    try:
        fixed = latest_report(store, settings)
        assert fixed.focus_checked is not None
        assert (iri, SHAPE) not in fixed.pairs
        assert fixed.results == validate(store, settings, today=fixed.day).results
        assert report_graphs(store, settings)[:-1] == runs, "the earlier runs stay as history"
        assert fixed.day == dt.datetime.now(dt.UTC).date()
    finally:
        store.close()
