"""The planners' commands, run as a user runs them: `python -m regiongraph` on a disk store."""

import csv
import io
import json
import subprocess
import sys

import networkx as nx
import pytest

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.analysis.graphs import community, ds
from tests.analysis.test_planning import build_region, governed_region


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("planning") / "store"
    b, _ = governed_region()
    store = open_store(Settings(store=str(path)))
    store.add(b.quads)
    store.close()
    return path


def run(path, *args, ok=True):
    done = subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(path), *args],
                          check=False, capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def test_lineage_formats(disk_store):
    data = json.loads(run(disk_store, "lineage", "c/trips", "--direction", "up",
                          "--format", "json").stdout)
    assert data["root"] == ds("c/trips").value
    assert {n["id"] for n in data["nodes"]} == {ds(n).value for n in
                                               ("c/trips", "a/bus-stops", "b/parking")}
    assert set(data) >= {"root", "nodes", "edges", "partial"}
    rows = list(csv.DictReader(io.StringIO(run(disk_store, "lineage", "c/trips",
                                                "--format", "csv").stdout)))
    assert {(r["source"], r["target"]) for r in rows} == {
        (ds("a/bus-stops").value, ds("c/trips").value),
        (ds("b/parking").value, ds("c/trips").value)}
    graphml = run(disk_store, "lineage", ds("c/trips").value, "--format", "graphml").stdout
    g = nx.parse_graphml(graphml)
    assert g.number_of_edges() == 2 and g.nodes[ds("c/trips").value]["type"] == "dataset"
    rolled = json.loads(run(disk_store, "lineage", "c/trips", "--level", "community",
                            "--format", "json").stdout)
    assert rolled["level"] == "community" and rolled["root"] == community("c").value
    table = run(disk_store, "lineage", "c/trips").stdout
    assert "Bus stops" in table and "3 nodes, 2 edges" in table


def test_bad_input_is_one_line(disk_store):
    done = run(disk_store, "lineage", "nonsense", ok=False)
    assert done.returncode == 2
    assert "community/identifier" in done.stderr and "Traceback" not in done.stderr
    done = run(disk_store, "governance", "--lapse", "https://example.org/x", ok=False)
    assert done.returncode == 2 and "no approval or agreement" in done.stderr


def test_analyses_print_json(disk_store):
    impact = json.loads(run(disk_store, "impact", "a/bus-stops", "--json").stdout)
    assert [d["id"] for d in impact["datasets"]] == [ds("a/bus-stops").value, ds("c/trips").value]
    reuse = json.loads(run(disk_store, "reuse", "--community", "b", "--json").stdout)
    assert reuse["items"] and all(i["for_community"] == community("b").value
                                  for i in reuse["items"])
    assert set(reuse["items"][0]) >= {"dataset", "publisher", "for_community", "for_project",
                                      "score", "reasons"}
    gov = json.loads(run(disk_store, "governance", "--json", "--on", "2026-06-01").stdout)
    assert (gov["covered"], gov["uncovered"]) == (2, 1)
    lapse = gov["expiring"][0]["id"]
    what_if = json.loads(run(disk_store, "governance", "--json", "--on", "2026-06-01",
                             "--lapse", lapse).stdout)
    assert len(what_if["newly_uncovered"]) == 2
    for command in ("standards", "engagement", "network"):
        assert json.loads(run(disk_store, command, "--json").stdout)


def test_manual_edges_round_trip(tmp_path):
    path = tmp_path / "store"
    store = open_store(Settings(store=str(path)))
    store.add(build_region().quads)
    store.close()
    added = json.loads(run(path, "edges", "add", "b/parking", "d/streetlights",
                           "--reason", "monthly spreadsheet", "--agent", "Kim Lee").stdout)
    up = json.loads(run(path, "lineage", "d/streetlights", "--direction", "up",
                        "--format", "json").stdout)
    assert {(e["source"], e["kind"]) for e in up["edges"]} == {(ds("b/parking").value, "manual")}
    listed = json.loads(run(path, "edges", "list").stdout)
    assert [e["id"] for e in listed] == [added["id"]]
    run(path, "edges", "delete", added["id"], "--reason", "wrong", "--agent", "Ana")
    up = json.loads(run(path, "lineage", "d/streetlights", "--direction", "up",
                        "--format", "json").stdout)
    assert up["edges"] == []
    assert json.loads(run(path, "edges", "list").stdout) == []
    audit = json.loads(run(path, "edges", "list", "--deleted").stdout)
    assert audit[0]["deleted_at"] and audit[0]["deletion_reason"] == "wrong"
    assert audit[0]["deleted_by"].endswith("/people/ana")


def test_planning_commands_import_nothing_heavy():
    """`regiongraph --help` must stay fast: the planning module loads no analysis code."""
    code = ("import sys, regiongraph.cli.planning; "
            "heavy = [m for m in ('networkx', 'regiongraph.analysis.region', "
            "'regiongraph.analysis.network') if m in sys.modules]; "
            "print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "[]"
    helped = subprocess.run([sys.executable, "-m", "regiongraph", "lineage", "--help"],
                            check=True, capture_output=True, text=True)
    assert "--direction" in helped.stdout and "--level" in helped.stdout
