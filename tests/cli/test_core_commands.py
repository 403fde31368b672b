"""The CLI as a user runs it: a real process, a real on-disk store."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

NQUADS = (
    '<https://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
    '<http://www.w3.org/ns/dcat#Dataset> <https://example.org/g1> .\n'
    '<https://example.org/a> <http://purl.org/dc/terms/title> "Traffic counts" <https://example.org/g1> .\n'
    '<https://example.org/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
    '<http://www.w3.org/ns/dcat#Dataset> <https://example.org/g2> .\n'
)


def run(*args: str, store: Path | str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regiongraph", "--store", str(store), *args],
        capture_output=True, text=True, input=stdin, timeout=120, check=False,
    )


@pytest.fixture
def loaded(tmp_path) -> Path:
    dump = tmp_path / "in.nq"
    dump.write_text(NQUADS, encoding="utf-8")
    store = tmp_path / "store"
    result = run("restore", str(dump), store=store)
    assert result.returncode == 0, result.stderr
    assert "3 quads restored" in result.stderr
    return store


def test_stats_json_counts(loaded):
    result = run("stats", "--json", store=loaded)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    data = {g: n for g, n in stats["graphs"].items() if g.startswith("https://example.org/")}
    assert data == {"https://example.org/g1": 2, "https://example.org/g2": 1}
    assert stats["triples"] == sum(stats["graphs"].values()) + stats.get(
        "internal", {}).get("triples", 0)
    assert stats["classes"]["http://www.w3.org/ns/dcat#Dataset"] == 2


@pytest.mark.parametrize("fmt,expected", [
    ("json", '"value":"Traffic counts"'),
    ("csv", "Traffic counts"),
    ("tsv", '"Traffic counts"'),
    ("xml", "<literal>Traffic counts</literal>"),
    ("table", "Traffic counts"),
])
def test_query_formats(loaded, fmt, expected):
    result = run("query", "-q", "SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }",
                 "--format", fmt, store=loaded)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        bindings = json.loads(result.stdout)["results"]["bindings"]
        assert bindings == [{"t": {"type": "literal", "value": "Traffic counts"}}]
    else:
        assert expected in result.stdout


def test_construct_as_ntriples_from_file(loaded, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text('CONSTRUCT { ?s a ?c } WHERE { ?s a ?c '
                     'FILTER(STRSTARTS(STR(?s), "https://example.org/")) }', encoding="utf-8")
    result = run("query", str(query), "--format", "nt", store=loaded)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        "<https://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .",
        "<https://example.org/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .",
    ]


def test_dump_restore_same_quads(loaded, tmp_path):
    out = tmp_path / "out.nq"
    assert run("dump", str(out), store=loaded).returncode == 0
    fresh = tmp_path / "fresh"
    assert run("restore", str(out), store=fresh).returncode == 0
    again = tmp_path / "again.nq"
    assert run("dump", str(again), store=fresh).returncode == 0
    assert data_lines(out) == sorted(NQUADS.splitlines())
    # The restore is a change like any other: journalled, and followed by the views
    # (inferences, a validation report), which are not data of the dump.
    assert data_lines(again) == sorted(NQUADS.splitlines())
    assert "/graph/journal> ." in again.read_text()


def data_lines(dump: Path) -> list[str]:
    return sorted(line for line in dump.read_text().splitlines()
                  if line.endswith(("<https://example.org/g1> .", "<https://example.org/g2> .")))



def test_errors_are_one_line_with_where(loaded, tmp_path):
    result = run("query", str(tmp_path / "missing.rq"), store=loaded)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'missing.rq'}: no such query file"]
    bad = run("query", "-q", "SELECT WHERE {", store=loaded)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: query syntax:")
    assert "Traceback" not in bad.stderr
    verbose = run("--verbose", "query", "-q", "SELECT WHERE {", store=loaded)
    assert "Traceback" in verbose.stderr


def test_broken_dump_changes_nothing(loaded, tmp_path):
    broken = tmp_path / "broken.nq"
    broken.write_text(NQUADS + "<https://example.org/x> <oops\n", encoding="utf-8")
    result = run("restore", str(broken), store=loaded)
    assert result.returncode == 2
    assert "the store was not changed" in result.stderr
    graphs = json.loads(run("stats", "--json", store=loaded).stdout)["graphs"]
    assert {g: n for g, n in graphs.items() if "example.org" in g} == {
        "https://example.org/g1": 2, "https://example.org/g2": 1}


def test_module_and_script_are_the_same_cli():
    script = Path(sys.executable).parent / "regiongraph"
    via_script = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                                check=False)
    via_module = subprocess.run([sys.executable, "-m", "regiongraph", "--help"],
                                capture_output=True, text=True, check=False)
    assert via_script.returncode == via_module.returncode == 0
    assert via_script.stdout == via_module.stdout
    assert "demo" in via_script.stdout and "stats" in via_script.stdout


def test_search_follows_a_restore(demo_copy, tmp_path):
    """The search index lives beside the store: a restore rebuilds it from the dump."""
    def bike_hits() -> int:
        found = run("search", "bike share", "--json", store=demo_copy)
        assert found.returncode == 0, found.stderr
        return json.loads(found.stdout)["count"]

    assert bike_hits() > 0
    dump = tmp_path / "other.nq"
    dump.write_text('<https://example.org/a> <https://example.org/p> "bike share" '
                    "<https://example.org/g> .\n", encoding="utf-8")
    restored = run("restore", str(dump), store=demo_copy)
    assert restored.returncode == 0, restored.stderr
    assert bike_hits() == 0
