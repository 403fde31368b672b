"""kill -9 during a SPARQL update, a Graph Store PUT, a re-validation and a search-index
update, 5 times each. Then the server is started again, and nothing else: it brings every
view in line with the store by itself (`change.catch_up_in_background`), `/ready` turns 200,
each view's seen version is the store version, and a title the killed write committed is
found by search."""

import os
import random
import signal
import subprocess
import sys
import threading
import time

import httpx

from regiongraph.change import VIEWS, _call, _seen_in_store
from regiongraph.journal import version
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.soak.conftest import FIGURES
from tests.support import free_port, wait_until_up

ROUNDS = 5
TOKEN = "soak-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
DATASET = "https://data.sonoranvalley.example/datasets/saguaro/soak-{n}"
TITLE = "Soakword{n}"


def cli(store, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def serve(store) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "regiongraph", "--store", str(store),
                                "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env={**os.environ, "REGIONGRAPH_ADMIN_TOKEN": TOKEN})
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/health", timeout=120)
    return process, url


def ready_within(url: str, limit: float) -> float:
    """Seconds until `/ready` says 200 (every view at the store version); fails past `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        answer = httpx.get(url + "/ready", timeout=60)
        if answer.status_code == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"/ready still {answer.status_code} after {limit:g} s: {answer.text}")


def write(kind: str, url: str, n: int) -> None:
    triples = (f"<{DATASET.format(n=n)}> a <http://www.w3.org/ns/dcat#Dataset> ; "
               f"<http://purl.org/dc/terms/title> \"{TITLE.format(n=n)}\" ; "
               "<http://purl.org/dc/terms/publisher> "
               "<https://data.sonoranvalley.example/communities/saguaro> .")
    try:
        if kind == "sparql update":
            httpx.post(url + "/sparql", headers=ADMIN, timeout=300, data={
                "update": f"INSERT DATA {{ GRAPH <urn:soak:update> {{ {triples} }} }}"})
        else:
            httpx.put(url + "/store", params={"graph": f"urn:soak:gsp{n}"}, timeout=300,
                      content=triples, headers={**ADMIN, "Content-Type": "text/turtle"})
    except httpx.HTTPError:
        pass  # the server was killed under it


def views_in_line(store_path, settings: Settings) -> tuple[int, dict[str, int]]:
    store = open_store(settings)
    try:
        current = version(store, settings)
        seen = {view.name: (_call(view.seen, store, settings) if view.seen
                            else _seen_in_store(store, settings, view.name)) for view in VIEWS}
        return current, seen
    finally:
        store.close()


def committed_titles(settings: Settings, n: int) -> bool:
    store = open_store(settings)
    try:
        return bool(store.query(f"ASK {{ GRAPH ?g {{ ?d <http://purl.org/dc/terms/title> "
                                f"\"{TITLE.format(n=n)}\" }} }}"))
    finally:
        store.close()


def test_kill_minus_nine_during_changes_then_restart(tmp_path):
    store = tmp_path / "store"
    assert cli(store, "demo").returncode == 0
    settings = Settings(store=str(store))
    rng = random.Random(18)
    rounds: dict[str, dict[str, int]] = {}
    took: dict[str, float] = {}
    catch_up: dict[str, float] = {}
    n = 0
    for kind in ("sparql update", "graph store put", "re-validation", "search-index update"):
        tally = {"killed": 0, "write committed": 0, "found by search": 0}
        for _ in range(ROUNDS):
            n += 1
            if kind in ("sparql update", "graph store put"):
                process, url = serve(store)
                thread = threading.Thread(target=write, args=(kind, url, n))
                thread.start()
                time.sleep(rng.uniform(0.0, 1.5))
            else:
                command = ["validate"] if kind == "re-validation" else ["reindex"]
                if kind not in took:  # one uninterrupted run: kill within its duration
                    started = time.monotonic()
                    cli(store, *command)
                    took[kind] = time.monotonic() - started
                process = subprocess.Popen([sys.executable, "-m", "regiongraph", "--store",
                                            str(store), *command], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0.3, 0.95) * took[kind])
                thread = None
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            tally["killed"] += process.returncode == -signal.SIGKILL
            if thread is not None:
                thread.join(timeout=60)

            restarted, url = serve(store)
            try:
                waited = ready_within(url, 600)
            finally:
                restarted.terminate()
                restarted.wait(timeout=60)
            catch_up[kind] = max(catch_up.get(kind, 0.0), waited)
            current, seen = views_in_line(store, settings)
            assert all(v == current for v in seen.values()), (kind, current, seen)
            if committed_titles(settings, n):
                tally["write committed"] += 1
                found = cli(store, "search", TITLE.format(n=n), "--private", "--json")
                assert TITLE.format(n=n) in found.stdout, (kind, n, found.stdout[:300])
                tally["found by search"] += 1
        rounds[kind] = tally
    FIGURES["kill -9 during changes, then a restart"] = {
        **rounds, "uninterrupted s": {k: round(v, 1) for k, v in took.items()},
        "slowest restart to /ready 200 s": {k: round(v, 1) for k, v in catch_up.items()}}
