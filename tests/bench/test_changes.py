"""The changes benchmark runs end to end on a tiny region: a real server, real harvests."""

import os
import re
import subprocess
import sys

from bench.harness import ROOT


def test_changes_benchmark_end_to_end(tmp_path):
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "CHANGES_CYCLES": "2", "CHANGES_DIAGNOSE": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--sizes", "120", "--only", "changes",
         "--results", str(results)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = results.read_text(encoding="utf-8")
    assert "python -m bench.run --sizes 120 --only changes" in text
    harvest = re.search(r"\| 120 \| 1% re-harvest, 1 records, 1 source\(s\) \(kernel ([\d.]+) s",
                        text)
    assert harvest and float(harvest.group(1)) > 0
    for route in ("/sparql", "/search", "/catalog"):
        row = re.search(rf"\| 120 \| first anonymous {route} after it .*? \| ([\d.]+) \| "
                        r"warm ([\d.]+) \|", text)
        assert row and float(row.group(1)) > 0 and float(row.group(2)) > 0, route
    for when in ("after it", "right after the server starts"):
        row = re.search(rf"\| 120 \| first /data.json {when}.*? \| ([\d.]+) MB/s \| "
                        r"warm ([\d.]+) MB/s \|", text)
        assert row and float(row.group(1)) > 0 and float(row.group(2)) > 0, when
    assert re.search(r"server RSS after 2 cycles \(after cycle 1: \d+ MB\) \| — \| \d+ MB", text)
    assert re.search(r"replace_graph of a 6,000-quad graph \(store layer\) \| [\d.]+ \| "
                     r"bulk_load [\d.]+", text)
    assert "change path, views included" in text
    assert "the harvests updated" not in text, "every cycle re-harvested exactly its edits"
