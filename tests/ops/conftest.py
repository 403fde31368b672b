"""A small disk store written through the change path, and a real `regiongraph serve` on it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.change import apply_change
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import regiongraph_server

TOKEN = "ops-admin-token-5f3a9c"


def write_graph(store, settings: Settings, name: str, n: int) -> NamedNode:
    """Write `n` triples to a source graph through the one change path."""
    graph = Minter(settings.base).graph("source", name)
    quads = [Quad(NamedNode(f"https://example.org/{name}/{i}"), NamedNode("https://example.org/p"),
                  Literal(f"value {i}"), graph) for i in range(n)]

    def write() -> list[NamedNode]:
        store.add(quads)
        return [graph]

    apply_change(store, settings, "test", write)
    return graph


@pytest.fixture
def disk_settings(tmp_path) -> Settings:
    return Settings(store=str(tmp_path / "store"), admin_token=TOKEN)


@pytest.fixture
def small_disk(disk_settings) -> Path:
    """A closed disk store holding 40 triples written through the change path."""
    store = open_store(disk_settings)
    write_graph(store, disk_settings, "small", 40)
    store.close()
    return Path(disk_settings.store)


def cli(store: Path | str, *args: str, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})


def served(store: Path, log: Path, env: dict[str, str] | None = None):
    """`regiongraph serve` as a real process, its stderr (the JSON logs) kept in `log`."""
    return regiongraph_server(store, env={"REGIONGRAPH_ADMIN_TOKEN": TOKEN, **(env or {})},
                              log=log)
