"""The demo region on a real disk store, loaded once by the CLI, and copies to write to."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess]


def run_cli(store: Path, *args: str, columns: int = 240) -> subprocess.CompletedProcess:
    """`python -m regiongraph --store STORE ARGS`, with a terminal wide enough that rich
    tables keep whole IRIs and labels on one line."""
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture(scope="session")
def demo_disk(tmp_path_factory) -> Path:
    """A disk store with the demo loaded by `regiongraph demo` (read-only by convention)."""
    store = tmp_path_factory.mktemp("cli-demo") / "store"
    loaded = run_cli(store, "demo")
    assert loaded.returncode == 0, loaded.stderr
    return store


@pytest.fixture(scope="session")
def demo_cli(demo_disk) -> Run:
    """Run a command on the demo disk store."""
    return lambda *args, **kwargs: run_cli(demo_disk, *args, **kwargs)


@pytest.fixture
def demo_copy(demo_disk, tmp_path) -> Path:
    """A copy of the demo disk store that a test may write to."""
    location = tmp_path / "store"
    shutil.copytree(demo_disk, location)
    return location
