"""The CLI in a second terminal while `regiongraph serve` holds the disk store.

Reads take a snapshot and say so; writes fail in one line that says how to make them.
A store minted under one base refuses to open under another, in one line.
"""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, regiongraph_server

DEMO_BASE = "https://data.sonoranvalley.example/"
OTHER_BASE = "https://data.other.example/"
SNAPSHOT_NOTE = "reading a snapshot taken now"


def cli(store: Path, *args: str, base: str = DEMO_BASE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regiongraph", "--store", str(store), "--base", base, *args],
        capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def served(demo_disk):
    with regiongraph_server(demo_disk) as url:
        yield demo_disk, url


def graphs_now(store: Path) -> dict[str, int]:
    result = cli(store, "stats", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["graphs"]


def test_reads_beside_a_running_server_read_a_snapshot(served):
    store, url = served
    metrics = httpx.get(url + "/metrics", timeout=30).text.splitlines()
    served_triples = next(int(float(line.split()[1])) for line in metrics
                          if line.startswith("regiongraph_store_quads "))

    stats = cli(store, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["triples"] == served_triples
    assert SNAPSHOT_NOTE in stats.stderr

    rows = cli(store, "query", "-q", "SELECT (COUNT(*) AS ?n) WHERE { ?s a "
               "<http://www.w3.org/ns/dcat#Dataset> }", "--format", "csv")
    assert rows.returncode == 0, rows.stderr
    assert int(rows.stdout.splitlines()[1]) > 100

    found = cli(store, "search", "bike share", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["count"] > 0

    lineage = cli(store, "lineage", "saguaro/high-injury-network", "--format", "json")
    assert lineage.returncode == 0, lineage.stderr
    assert len(json.loads(lineage.stdout)["nodes"]) > 1

    exported = cli(store, "export", "datajson")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["dataset"]


def test_validate_and_quality_beside_a_server_print_without_storing(served):
    store, _ = served
    before = graphs_now(store)

    report = cli(store, "validate", "--format", "json")
    assert report.returncode in (0, 1), report.stderr
    assert json.loads(report.stdout)["results"]
    assert "the report is not stored" in report.stderr
    assert SNAPSHOT_NOTE in report.stderr

    scores = cli(store, "quality", "--json")
    assert scores.returncode == 0, scores.stderr
    assert json.loads(scores.stdout)["region"]["datasets"] > 0
    assert "not kept in the history" in scores.stderr

    assert graphs_now(store) == before


@pytest.mark.parametrize("args,how", [
    (("harvest", "--all"), "POST /harvest/{source}"),
    (("edges", "add", "saguaro/311-requests", "saguaro/high-injury-network",
      "--reason", "r", "--agent", "a"), "POST /lineage/edges"),
    (("restore", "{dump}"), "stop it first"),
    (("demo",), "stop it first"),
])
def test_writes_beside_a_running_server_say_how(served, tmp_path, args, how):
    store, _ = served
    dump = tmp_path / "empty.nq"
    dump.write_text("")
    result = cli(store, *(a.format(dump=dump) if a == "{dump}" else a for a in args))
    assert result.returncode == 2
    message = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(message) == 1, result.stderr
    assert message[0].startswith("error: the store at ")
    assert "in use by another process" in message[0]
    assert "stop it first" in message[0] and how in message[0]
    assert "remote" not in message[0] and "GSP" not in message[0]


def test_serve_under_another_base_is_refused_in_one_line(demo_copy):
    result = cli(demo_copy, "serve", "--port", str(free_port()), base=OTHER_BASE)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"loaded with REGIONGRAPH_BASE={DEMO_BASE}, not {OTHER_BASE}" in lines[0]
    assert f"set REGIONGRAPH_BASE={DEMO_BASE}" in lines[0]

    stats = cli(demo_copy, "stats", "--json", base=OTHER_BASE)
    assert stats.returncode == 2
    assert f"set REGIONGRAPH_BASE={DEMO_BASE}" in stats.stderr
    assert cli(demo_copy, "stats", "--json").returncode == 0


def test_an_empty_store_has_no_base_yet(tmp_path):
    result = cli(tmp_path / "empty", "stats", "--json", base=OTHER_BASE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["triples"] == 0

