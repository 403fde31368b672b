"""The memory benchmark runs end to end on a tiny region (a real server, real harvests), and
its probes return the RSS they read."""

import os
import re
import subprocess
import sys

from bench.harness import ROOT, measure


def test_memory_benchmark_end_to_end(tmp_path):
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "MEMORY_CYCLES": "2", "MEMORY_PROBES": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--sizes", "120", "--only", "memory",
         "--results", str(results)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = results.read_text(encoding="utf-8")
    assert "python -m bench.run --sizes 120 --only memory" in text
    row = re.search(r"\| 120 \| server, 2 cycles of a 1% re-harvest \(1 records\) .*? \| "
                    r"[\d.]+ \| 1: (\d+), 2: (\d+) \| [+-][\d.]+% \|", text)
    assert row and int(row.group(1)) > 50 and int(row.group(2)) > 50
    assert re.search(r"by cycle, anonymous \+ file-backed MB: 1: anon \d+ \+ file \d+", text)


def test_a_probe_reads_its_process_memory():
    probe = measure("probe", "bench.bench_memory:probe_rocksdb", 3, 2_000, True)
    rss = {int(k): v for k, v in probe.result["rss"].items()}
    assert sorted(rss) == [0, 1, 2, 3] and all(v > 10 for v in rss.values())
    assert probe.result["length"] == 2_000
