"""A harvest SIGKILLed while reading or while writing leaves the previous graph intact."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.harvest.conftest import Harvester

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from regiongraph.harvest import SourceConfig, harvest_source
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=sys.argv[1])
    store = open_store(settings)
    source = SourceConfig(id="src", community="testville", type="datajson",
                          path=Path(sys.argv[2]), options={"validate": False})
    harvest_source(store, settings, source, progress=lambda m: print(m, flush=True))
    print("finished", flush=True)
""")


def big_catalog(path, n: int) -> None:
    records = [{"identifier": f"big-{i}", "title": f"Big {i}", "description": f"Row {i}",
                "keyword": ["a", "b", f"k{i}"], "accessLevel": "public",
                "modified": "2026-01-01", "landingPage": f"https://big.example/d/{i}",
                "contactPoint": {"fn": "Team", "hasEmail": "mailto:t@big.example"},
                "distribution": [{"downloadURL": f"https://big.example/{i}.csv",
                                  "mediaType": "text/csv"}]} for i in range(n)]
    path.write_text(json.dumps({"dataset": records}))


@pytest.mark.parametrize("moment", ["reading", "writing"])
def test_sigkill_mid_harvest_keeps_previous_graph(tmp_path, fixtures, moment):
    settings = Settings(store=str(tmp_path / "store"))
    store = open_store(settings)
    Harvester(store, settings)(fixtures / "catalog-v1.json", validate=False)
    before = Harvester(store, settings).snapshot()
    store.close()

    big = tmp_path / "big.json"
    big_catalog(big, 6_000)
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, settings.store, str(big)],
                               stdout=subprocess.PIPE, text=True)
    marker = "records read" if moment == "reading" else "writing"
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            time.sleep(0.05 if moment == "writing" else 0.0)
            break
        assert time.monotonic() < deadline and "finished" not in line
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    reopened = open_store(settings)
    try:
        after = Harvester(reopened, settings)
        assert after.snapshot() == before
        assert not any(g.startswith("urn:regiongraph:staging:") for g in reopened.graphs())
    finally:
        reopened.close()
