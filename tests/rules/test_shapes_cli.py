"""`regiongraph shapes --today DAY --out FILE`: the day's rules, ready for any SHACL engine.

The test hands the written file, as it is, to stock pyshacl (no regiongraph code between)
and expects the (focus node, shape) pairs regiongraph's own validation finds. The raw
files in shapes/ are the control: an engine that cannot bind `$today` judges the
date-bound rules differently.
"""

import os
import subprocess
import sys

import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from regiongraph.paths import data_path
from regiongraph.rules.validate import rdflib_data, validate
from tests.rules.world import BREAKS, DAY, world_store

WORLDS = ["good", "R1", "R5d", "R7"]


@pytest.fixture(scope="module")
def day_shapes(tmp_path_factory) -> Graph:
    out = tmp_path_factory.mktemp("shapes") / "shapes-day.ttl"
    done = subprocess.run([sys.executable, "-m", "regiongraph", "shapes", "--today",
                           DAY.isoformat(), "--out", str(out)], check=False, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "REGIONGRAPH_STORE": "memory"})
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "$today" not in text and "$soon" not in text
    assert f'"{DAY.isoformat()}"^^' in text
    return Graph().parse(data=text, format="turtle")


def _world(name: str):
    if name == "good":
        return world_store()
    remove, add, _focus, _shape = BREAKS[name]
    return world_store(remove, add)


def _pyshacl_pairs(data: Graph, shapes: Graph) -> set[tuple[str, str]]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                                allow_warnings=True, allow_infos=True)
    return {(str(report.value(r, SH.focusNode)), str(report.value(r, SH.sourceShape)))
            for r in report.subjects(SH.focusNode, None)}


@pytest.mark.parametrize("name", WORLDS)
def test_stock_pyshacl_on_the_written_file_agrees(day_shapes, name):
    store, settings = _world(name)
    ours = validate(store, settings, today=DAY).pairs
    assert _pyshacl_pairs(rdflib_data(store, settings), day_shapes) == ours


def test_the_raw_files_do_not_judge_the_day():
    raw = Graph()
    for path in sorted(data_path("shapes").glob("*.ttl")):
        raw.parse(path, format="turtle")
    differ = []
    for name in WORLDS:
        store, settings = _world(name)
        if _pyshacl_pairs(rdflib_data(store, settings), raw) != validate(
                store, settings, today=DAY).pairs:
            differ.append(name)
    assert differ, "the raw shapes judged every world like the day's shapes"


def test_every_shapes_file_says_how_to_get_the_days_shapes():
    for path in sorted(data_path("shapes").glob("*.ttl")):
        head = path.read_text(encoding="utf-8")[:600]
        assert "regiongraph shapes --today" in head, path.name
