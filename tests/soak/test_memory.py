"""No single harvest of a file under the size cap grows the server's memory by more than
200 MB: a 10k-row CSV (about 0.3 MB; the outside probe measured +878 MB, never given back)
and a 20k-record data.json, each harvested through `POST /harvest/{source}` of a real
`regiongraph serve` on the demo store, RSS sampled every 50 ms."""

import subprocess
import sys
import threading
import time

import httpx
import psutil

from tests.harvest.test_sigkill import big_catalog
from tests.soak.conftest import FIGURES
from tests.support import regiongraph_server

TOKEN = "soak-token"
LIMIT_MB = 200


def csv_rows(path, n: int) -> None:
    lines = ["identifier,title,description,keywords,access_level,modified,download_url"]
    lines += [f"row-{i},Row {i},A dataset row {i},a;b;k{i},public,2026-01-01,"
              f"https://csv.example/{i}.csv" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")


def sample(server: psutil.Process, peak: list[int], stop: threading.Event) -> None:
    """peak[0]: the server's RSS; peak[1]: its helper processes' together (the query
    processes and a first harvest's bulk loader, `EmbeddedStore.load_alone`), reported
    beside it: their memory is given back whole when they exit, the server's may not be."""
    while not stop.is_set():
        peak[0] = max(peak[0], server.memory_info().rss)
        helpers = 0
        for child in server.children(recursive=True):
            try:
                helpers += child.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        peak[1] = max(peak[1], helpers)
        time.sleep(0.05)


def server_pid(port: int) -> int:
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return connection.pid
    raise AssertionError(f"no process listens on {port}")


def test_one_harvest_grows_the_server_by_at_most_200_mb(tmp_path):
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), "demo"],
                   check=True, capture_output=True, timeout=600)
    csv_rows(tmp_path / "rows.csv", 10_000)
    big_catalog(tmp_path / "big.json", 20_000)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{id: rows, community: saguaro, type: spreadsheet, path: {tmp_path / 'rows.csv'}}}\n"
        f"  - {{id: big, community: mesquite, type: datajson, path: {tmp_path / 'big.json'}, "
        "options: {validate: false}}\n")
    env = {"REGIONGRAPH_ADMIN_TOKEN": TOKEN, "REGIONGRAPH_SOURCES": str(sources)}
    figures = {}
    with regiongraph_server(store, env=env) as url:
        server = psutil.Process(server_pid(int(url.rsplit(":", 1)[1])))
        httpx.get(url + "/search", params={"q": "warm"}, timeout=60)
        for source in ("rows", "big"):
            before = server.memory_info().rss
            peak, stop = [before, 0], threading.Event()

            sampler = threading.Thread(target=sample, args=(server, peak, stop))
            sampler.start()
            started = time.monotonic()
            report = httpx.post(f"{url}/harvest/{source}", timeout=900,
                                headers={"Authorization": f"Bearer {TOKEN}"}).json()
            took = time.monotonic() - started
            stop.set()
            sampler.join()
            after = server.memory_info().rss
            figures[source] = {"records": report["created"], "seconds": round(took, 1),
                               "peak growth MB": round((peak[0] - before) / 2**20),
                               "kept after MB": round((after - before) / 2**20),
                               "helper processes' peak MB": round(peak[1] / 2**20)}
            assert report["status"] == "ok", report
    FIGURES["server memory per harvest"] = figures
    for source, measured in figures.items():
        assert measured["peak growth MB"] <= LIMIT_MB, (source, measured)
