"""The reliability suite (`make soak`): every test here is marked `soak`, so `make test`
(`-m "not soak"`) leaves it out. Each test adds its figures to `FIGURES`; they are printed
at the end of the run and written to `$REGIONGRAPH_SOAK_FIGURES` (default
`/tmp/regiongraph-soak.json`) for bench/RESULTS.md."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sparql.conftest import TOKEN
from tests.support import regiongraph_server

FIGURES: dict[str, object] = {}
ORDER = ["test_security.py", "test_bad_inputs.py", "test_load.py", "test_kill_changes.py",
         "test_kill_harvest.py"]
"""Quick checks first, the long kill -9 rounds last; a file not named here (memory per
harvest) runs between the quick checks and the kills."""
MEMBER = "sofia-marquez"
"""The demo person whose personal token the member requests carry."""


def _rank(item) -> int:
    name = Path(str(item.fspath)).name
    return ORDER.index(name) if name in ORDER else ORDER.index("test_load.py")


@pytest.hookimpl(tryfirst=True)  # marked before `-m soak` selects
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.soak)
    items.sort(key=lambda item: _rank(item) if here in Path(str(item.fspath)).parents else -1)


def _write_figures() -> None:
    target = Path(os.environ.get("REGIONGRAPH_SOAK_FIGURES", "/tmp/regiongraph-soak.json"))
    target.write_text(json.dumps(FIGURES, indent=2))


def pytest_runtest_teardown(item):
    """After every test, not only at the end: a long run stopped midway keeps its figures."""
    if FIGURES:
        _write_figures()


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("soak figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(value)}")
    _write_figures()


@dataclass
class DemoServer:
    """A `regiongraph serve` process on a disk copy of the demo: a runaway query dies with
    it, never with the test process (pyoxigraph cannot cancel a running query)."""

    url: str
    store: Path
    member: str
    """A personal API token (write scope) of the demo person `MEMBER`."""

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def state(self) -> bytes:
        """The store's N-Quads, read beside the server (a snapshot), sorted."""
        out = self.store.parent / "state.nq"
        subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(self.store),
                        "dump", str(out)], check=True, capture_output=True, timeout=300)
        return b"\n".join(sorted(out.read_bytes().splitlines()))


@pytest.fixture(scope="module")
def writable_demo(tmp_path_factory):
    store = tmp_path_factory.mktemp("demo") / "store"
    subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), "demo"],
                   check=True, capture_output=True, timeout=900)
    member = member_token(store)
    # No delivery loop: its tick (every 30 s) writes the delivery of a notice the tests'
    # own setup caused (an access request), which "changes nothing" checks would take for
    # a refused write's doing (a whole soak run under load failed so, once).
    env = {"REGIONGRAPH_ADMIN_TOKEN": TOKEN, "REGIONGRAPH_QUERY_TIMEOUT": "5",
           "REGIONGRAPH_NOTIFY_INTERVAL": "0"}
    with regiongraph_server(store, env=env) as url:
        yield DemoServer(url, store, member)


def member_token(store: Path, scope: str = "write") -> str:
    """A new personal token of `MEMBER`, through the CLI (the store not yet served)."""
    made = subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store),
                           "tokens", "create", "--person", MEMBER, "--scope", scope,
                           "--label", "soak", "--json"],
                          check=True, capture_output=True, text=True, timeout=300)
    return json.loads(made.stdout)["token"]
