"""A runaway query is stopped at its time limit and its CPU freed; the server keeps answering.

pyoxigraph cannot cancel a query computing its first row, so these run in killable
processes (`regiongraph.sparql.workers`). A real server on loopback, a copy of the demo.
"""

import threading
import time

import httpx
import psutil
import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from tests.sparql.conftest import TOKEN, copy_of
from tests.support import serve_app

TIMEOUT = 1.0
# No row until the count is done: ~30k public and private quads cubed never finishes.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NORMAL = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> } ORDER BY ?s LIMIT 5"


@pytest.fixture(scope="module")
def service(demo_store):
    settings = Settings(store="memory", admin_token=TOKEN, query_timeout=TIMEOUT)
    store = copy_of(demo_store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield url + "/sparql"
    store.close()


def cpu_seconds() -> float:
    """CPU used so far by this process (the server runs in it) and every live descendant."""
    processes = [psutil.Process(), *psutil.Process().children(recursive=True)]
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {TOKEN}"}],
                         ids=["anonymous", "admin"])
def test_a_runaway_gets_its_503_and_its_cpu_is_freed(service, headers):
    httpx.get(service, params={"query": NORMAL}, headers=headers, timeout=30)  # warm up
    before = descendants()
    seen: set[int] = set()
    answer: dict = {}

    def ask() -> None:
        answer["response"] = httpx.get(service, params={"query": RUNAWAY}, headers=headers,
                                       timeout=30)
        answer["at"] = time.monotonic()

    asking = threading.Thread(target=ask)
    started = time.monotonic()
    asking.start()
    while asking.is_alive():
        seen |= descendants() - before
        time.sleep(0.05)
    response = answer["response"]
    assert response.status_code == 503, response.text
    assert "time limit of 1 s" in response.text
    assert answer["at"] - started < TIMEOUT + 3
    assert seen, "the query ran in a process of its own"
    time.sleep(0.2)
    still = {pid for pid in seen if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE}
    running = still - {p.pid for p in psutil.Process().children()}  # the zygote stays
    assert not running, f"query processes {running} still run after the 503"
    first = cpu_seconds()
    time.sleep(1.0)
    assert cpu_seconds() - first < 0.3, "something still computes after the 503"


def test_normal_queries_are_answered_while_runaways_run(service):
    """8 clients send runaways back to back for 6 s (48 of them, more than the 32 threads
    the server had: each used to keep computing after its 503) while one client asks
    ordinary queries: every one is answered, well within the time limit."""
    stop = time.monotonic() + 6.0
    runaway_statuses: list[int] = []

    def runaways() -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop:
                runaway_statuses.append(client.get(service, params={"query": RUNAWAY})
                                        .status_code)

    clients = [threading.Thread(target=runaways) for _ in range(8)]
    for client in clients:
        client.start()
    time.sleep(1.5)  # the first runaways are past their limit
    latencies = []
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < stop:
            began = time.monotonic()
            response = client.get(service, params={"query": NORMAL},
                                  headers={"Accept": "application/sparql-results+json"})
            latencies.append(time.monotonic() - began)
            assert response.status_code == 200, response.text
            assert len(response.json()["results"]["bindings"]) == 5
            time.sleep(0.2)
    for client in clients:
        client.join(timeout=30)
    assert set(runaway_statuses) == {503}
    assert len(runaway_statuses) >= 8
    assert len(latencies) >= 5
    assert max(latencies) < TIMEOUT, latencies
