"""Limits: time limit, anonymous row cap with its note, request size, bounded-memory streaming."""

import os
import subprocess
import sys
import threading
import time

import httpx
import psutil
import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from tests.sparql.conftest import ADMIN, TOKEN
from tests.support import free_port, serve_app, wait_until_up

DATASETS = ("SELECT ?d ?t WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
            "<http://purl.org/dc/terms/title> ?t }")


def cross_join(n: int, aggregate: bool = False) -> str:
    values = " ".join(str(i) for i in range(n))
    body = f"VALUES ?a {{ {values} }} VALUES ?b {{ {values} }}"
    if aggregate:
        return f"SELECT (COUNT(*) AS ?n) WHERE {{ {body} FILTER(?a + ?b > 3) }}"
    return f"SELECT ?a ?b WHERE {{ {body} }}"


@pytest.fixture(scope="module")
def tight(demo_store):
    """The demo with small limits: 5 anonymous rows, 0.5 s, 4 kB requests."""
    settings = Settings(store="memory", admin_token=TOKEN, anonymous_row_cap=5,
                        query_timeout=0.5, max_request_bytes=4000)
    with serve_app(create_app(settings, store=demo_store)) as url:
        yield url + "/sparql"


def test_anonymous_rows_are_cut_with_a_note(tight):
    response = httpx.get(tight, params={"query": DATASETS})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]["bindings"]) == 5
    assert "cut at 5 rows" in body["note"]
    assert response.headers["regiongraph-truncated"] == "true"
    assert "cut at 5 rows" in response.headers["regiongraph-note"]
    csv = httpx.get(tight, params={"query": DATASETS, "format": "csv"})
    assert len(csv.text.strip().splitlines()) == 6
    xml = httpx.get(tight, params={"query": DATASETS, "format": "xml"})
    assert xml.text.count("<result>") == 5 and "cut at 5 rows" in xml.text
    triples = httpx.get(tight, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert len(triples.text.strip().splitlines()) == 5
    assert triples.headers["regiongraph-truncated"] == "true"


def test_small_results_carry_no_note_and_admin_has_no_cap(tight):
    small = httpx.get(tight, params={"query": DATASETS + " LIMIT 3"})
    assert "note" not in small.json() and "regiongraph-truncated" not in small.headers
    admin = httpx.get(tight, params={"query": DATASETS}, headers=ADMIN)
    assert len(admin.json()["results"]["bindings"]) > 5


def test_time_limit_answers_at_the_deadline(tight):
    started = time.monotonic()
    # 16 million joined rows to count: about 3 s of work on an idle machine.
    response = httpx.get(tight, params={"query": cross_join(4000, aggregate=True)},
                         headers=ADMIN, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "time limit of 0.5 s" in response.text
    assert elapsed < 2.0


def test_streams_stop_at_the_deadline(tight):
    """Past the deadline mid-stream the connection is broken off, never silently cut."""
    with pytest.raises(httpx.HTTPError), httpx.stream(
        "GET", tight, params={"query": cross_join(1500)}, headers=ADMIN, timeout=30,
    ) as response:
        assert response.status_code == 200
        for _ in response.iter_bytes():
            time.sleep(0.01)


def test_request_size_limit(tight):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    response = httpx.post(tight, content=big, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert "4000 bytes" in response.text


SERVER = """
import sys, uvicorn
from regiongraph.api.app import create_app
from regiongraph.settings import Settings
settings = Settings(store="memory", admin_token=sys.argv[2], query_timeout=120)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_a_million_rows_stream_in_bounded_memory():
    """1,000,000 JSON rows (~180 MB) through a server whose memory grows far less."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), TOKEN],
                               env={**os.environ}, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        wait_until_up(f"http://127.0.0.1:{port}/health")
        server = psutil.Process(process.pid)
        baseline = server.memory_info().rss
        peak = baseline
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, server.memory_info().rss)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        rows, size, tail = 0, 0, b""
        with httpx.stream("GET", url, params={"query": cross_join(1000)},
                          headers={**ADMIN, "Accept-Encoding": "identity"},
                          timeout=120) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw():
                size += len(chunk)
                window = tail + chunk
                rows += window.count(b'"b":')
                tail = window[-8:]
                rows -= tail.count(b'"b":')
        rows += tail.count(b'"b":')
        done.set()
        sampler.join()
        assert rows == 1_000_000
        assert size > 100_000_000
        growth = peak - baseline
        assert growth < 100_000_000, f"server memory grew by {growth / 1e6:.0f} MB"
    finally:
        process.terminate()
        process.wait(timeout=10)
