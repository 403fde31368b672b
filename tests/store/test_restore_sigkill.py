"""`regiongraph restore` killed at any moment leaves the old store or the new one, never less."""

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.store.base import STAGING_PREFIX

OLD, NEW = 10_000, 60_000
KILLS = 4


def write_dump(path: Path, n: int, tag: str) -> int:
    """n quads over 40 named graphs, plus a blank node pair and a default-graph quad."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(f'<https://example.org/{tag}/s{i}> <https://example.org/p> "v{i}" '
                      f"<https://example.org/graph/{tag}{i % 40}> .\n")
        out.write(f'_:b <https://example.org/p> "blank" <https://example.org/graph/{tag}0> .\n')
        out.write(f"<https://example.org/x> <https://example.org/p> _:b "
                  f"<https://example.org/graph/{tag}0> .\n")
        out.write(f'<https://example.org/{tag}/d> <https://example.org/p> "d" .\n')
    return n + 3


def restore(location: Path, dump: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "regiongraph", "--store", str(location), "restore", str(dump)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def quads_in(location: Path) -> int:
    """Quads of the dumps' graphs: what the views derive after a restore (journal,
    inferences, the rules' fingerprints) is theirs, and follows the restore."""
    store = open_store(Settings(store=str(location)))
    try:
        graphs = store.graphs()
        assert not [g for g in graphs if g.startswith(STAGING_PREFIX)]
        return sum(n for g, n in graphs.items()
                   if g == "" or g.startswith("https://example.org/graph/"))
    finally:
        store.close()


def test_restore_killed_at_random_moments_keeps_old_or_new(tmp_path):
    old_dump, new_dump = tmp_path / "old.nq", tmp_path / "new.nq"
    old_count, new_count = write_dump(old_dump, OLD, "old"), write_dump(new_dump, NEW, "new")
    template = tmp_path / "template"
    store = open_store(Settings(store=str(template)))
    with old_dump.open("rb") as source:
        store.restore(source)
    store.close()

    whole = tmp_path / "whole"
    shutil.copytree(template, whole)
    began = time.monotonic()
    finished = restore(whole, new_dump)
    assert finished.wait(timeout=300) == 0, finished.stderr.read()
    duration = time.monotonic() - began
    assert quads_in(whole) == new_count

    seed = random.randrange(1 << 30)
    pick = random.Random(seed)
    moments = sorted(pick.uniform(0.05, 1.0) * duration for _ in range(KILLS))
    seen = []
    for n, moment in enumerate(moments):
        location = tmp_path / f"killed{n}"
        shutil.copytree(template, location)
        process = restore(location, new_dump)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = quads_in(location)
        seen.append((round(moment, 2), count))
        assert count in (old_count, new_count), f"seed {seed}: killed at {moment:.2f} s: {seen}"
        assert not list(tmp_path.glob(f"killed{n}.restore-*")), "the leftover is removed on open"
    print(f"restore {duration:.2f} s; killed at (s, quads): {seen}")
