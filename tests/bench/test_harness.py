"""The benchmark harness: measured steps really run apart, and RESULTS.md sections merge.

CI runs only the smallest benchmark; these tests keep the harness itself honest (a step's
peak memory is its own, a failing step is reported, one module's run keeps the others'
sections) and run the load benchmark end to end on a tiny region.
"""

import subprocess
import sys

import pytest

from bench.harness import ROOT, ChildFailed, Section, measure, write_results


def allocate(megabytes: int) -> dict:
    """A child step that holds `megabytes` of memory, to check peaks are per process."""
    block = b"\x01" * (megabytes * 1024 * 1024)  # written, so every page is resident
    return {"size": len(block)}


def explode() -> dict:
    raise ValueError("boom")


def test_each_step_has_its_own_peak():
    big = measure("big", "tests.bench.test_harness:allocate", 200)
    small = measure("small", "tests.bench.test_harness:allocate", 1)
    assert big.result == {"size": 200 * 1024 * 1024}
    assert big.peak_mb - small.peak_mb > 120
    assert big.seconds >= 0 and small.seconds >= 0


def test_failing_step_is_reported():
    with pytest.raises(ChildFailed, match="boom"):
        measure("explode", "tests.bench.test_harness:explode")


def test_sections_replace_only_their_own(tmp_path):
    results = tmp_path / "RESULTS.md"
    first = Section("load", "Load", "cmd", ["a"], [["1"]])
    other = Section("rules", "Rules", "cmd", ["b"], [["2"]])
    write_results([first, other], results)
    write_results([Section("load", "Load", "cmd2", ["a"], [["3"]])], results)
    text = results.read_text(encoding="utf-8")
    assert text.count("<!-- bench:load -->") == 1 and "| 3 |" in text and "| 1 |" not in text
    assert "| 2 |" in text and text.index("bench:load") < text.index("bench:rules")


def test_load_benchmark_end_to_end(tmp_path):
    results = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--sizes", "120", "--only", "load",
         "--repeat", "2", "--results", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = results.read_text(encoding="utf-8")
    for step in ("regiongraph load (ontology + registry + harvest)", "pyoxigraph bulk_load (disk)",
                 "rdflib Dataset (Memory)", "regiongraph store layer",
                 "pyoxigraph bulk_extend (Python quads, disk)"):
        assert step in text
    assert "python -m bench.run --sizes 120 --only load --repeat 2" in text
    assert "holds" not in text, "every peer loaded the quads the harvest wrote"


def test_a_size_measured_alone_keeps_the_other_sizes(tmp_path):
    results = tmp_path / "RESULTS.md"
    headers = ["datasets", "step", "seconds"]
    first = Section("rules", "Rules", "run --sizes 1000 10000", headers,
                    [["1,000", "a", "1"], ["10,000", "a", "9"], ["100,000", "a", "99"]],
                    keep_other_sizes=True)
    write_results([first], results)
    second = Section("rules", "Rules", "run --sizes 100000", headers, [["100,000", "a", "80"]],
                     keep_other_sizes=True)
    write_results([second], results)
    second.rows.append(["100,000", "b", "7"])  # a module writes again after each row
    write_results([second], results)
    text = results.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| 1")]
    assert rows == ["| 1,000 | a | 1 |", "| 10,000 | a | 9 |", "| 100,000 | a | 80 |",
                    "| 100,000 | b | 7 |"]
    assert "Command: `run --sizes 100000`" in text
    assert text.count("Earlier rows") == 1
    assert "Earlier rows (1,000, 10,000): `run --sizes 1000 10000`" in text


def test_a_size_measured_again_does_not_credit_its_command_with_older_rows(tmp_path):
    """Only the previous block's own rows keep its command: measuring 10k twice leaves the
    1,000 rows credited to the run that measured them, not to the first 10k run."""
    results = tmp_path / "RESULTS.md"
    headers = ["datasets", "step", "seconds"]
    for command, rows in (("run --sizes 1000 10000", [["1,000", "a", "1"], ["10,000", "a", "9"]]),
                          ("run --sizes 10000 (first)", [["10,000", "a", "8"]]),
                          ("run --sizes 10000 (second)", [["10,000", "a", "7"]])):
        write_results([Section("rules", "Rules", command, headers, rows,
                               keep_other_sizes=True)], results)
    text = results.read_text(encoding="utf-8")
    assert "Command: `run --sizes 10000 (second)`" in text
    earlier = [line for line in text.splitlines() if line.startswith("Earlier rows")]
    assert len(earlier) == 1 and earlier[0].startswith(
        "Earlier rows (1,000): `run --sizes 1000 10000` — run "), earlier
