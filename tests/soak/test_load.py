"""32 concurrent clients for 60 s on loopback, mixing SPARQL, search, catalog pages, the
CKAN API and dataset pages, anonymous and as a member (a person's API token: their kept
tier view), while a harvest and a Graph Store write run in a loop.

0 errors; p50/p99 reported; no read waits on a write longer than one request's timeout
(the client's timeout is the server's query time limit, so such a read is an error).
"""

import json
import random
import subprocess
import sys
import threading
import time

import httpx

from tests.harvest.test_sigkill import big_catalog
from tests.soak.conftest import FIGURES, member_token
from tests.support import regiongraph_server

CLIENTS = 32
SECONDS = 60.0
TIMEOUT = 30.0
TOKEN = "soak-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SPARQL = [("SELECT ?d ?t WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
          "<http://purl.org/dc/terms/title> ?t } LIMIT 50"),
          ("SELECT ?p (COUNT(?d) AS ?n) WHERE { ?d <http://purl.org/dc/terms/publisher> ?p } "
          "GROUP BY ?p"), "ASK { ?s ?p ?o }"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_32_clients_for_60_seconds_beside_a_harvest_and_a_graph_store_write(tmp_path):
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(store), "demo"],
                   check=True, capture_output=True, timeout=600)
    catalogs = [tmp_path / "a.json", tmp_path / "b.json"]
    big_catalog(catalogs[0], 2_000)
    big_catalog(catalogs[1], 2_000)
    catalogs[1].write_text(catalogs[1].read_text().replace('"Big ', '"Grand '))
    live = tmp_path / "live.json"
    live.write_bytes(catalogs[0].read_bytes())
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {id: soak, community: saguaro, type: datajson, "
                       f"path: {live}, options: {{validate: false}}}}\n")
    member = {"Authorization": f"Bearer {member_token(store, scope='read')}"}
    env = {"REGIONGRAPH_ADMIN_TOKEN": TOKEN, "REGIONGRAPH_SOURCES": str(sources)}
    with regiongraph_server(store, env=env) as url:
        datasets = [d["identifier"] for d in httpx.get(url + "/data.json", timeout=60)
                    .json()["dataset"]][:40]
        reads = [("GET", "/sparql", {"params": {"query": q}}) for q in SPARQL]
        reads += [("GET", "/search", {"params": {"q": w}}) for w in ("bike", "water", "transit")]
        reads += [("GET", "/catalog", {"params": {"page": p, "page_size": 50}}) for p in (1, 2)]
        reads += [("GET", "/api/3/action/package_search", {"params": {"q": "data", "rows": 20}}),
                  ("GET", "/api/3/action/package_list", {})]
        reads += [("GET", f"/datasets/{d}", {"headers": {"Accept": "text/html"}})
                  for d in datasets[:10]]
        reads += [("GET", "/sparql", {"params": {"query": q}, "headers": member}) for q in SPARQL]
        reads += [("GET", "/search", {"params": {"q": w}, "headers": member})
                  for w in ("bike", "911")]
        reads += [("GET", "/api/3/action/package_search", {"params": {"q": "data"},
                                                           "headers": member}),
                  ("GET", "/workflow/me", {"headers": {**member, "Accept": "application/json"}}),
                  ("GET", "/api/v1/notifications", {"headers": member})]
        reads += [("GET", f"/datasets/{d}", {"headers": {**member, "Accept": "text/html"}})
                  for d in datasets[10:15]]
        latencies: list[float] = []
        by_audience = {"anonymous": 0, "member": 0}
        errors: list[str] = []
        writes = {"harvests": 0, "graph store puts": 0}
        stop = time.monotonic() + SECONDS
        lock = threading.Lock()

        def reader(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
                while time.monotonic() < stop:
                    method, path, kwargs = rng.choice(reads)
                    started = time.monotonic()
                    try:
                        answer = client.request(method, path, **kwargs)
                        failed = None if answer.status_code < 400 else \
                            f"{path} {answer.status_code} {answer.text[:100]}"
                    except httpx.HTTPError as error:
                        failed = f"{path} {error!r}"
                    with lock:
                        latencies.append(time.monotonic() - started)
                        by_audience["member" if "headers" in kwargs and "Authorization" in
                                    kwargs["headers"] else "anonymous"] += 1
                        if failed:
                            errors.append(failed)

        def harvester() -> None:
            with httpx.Client(base_url=url, timeout=300, headers=ADMIN) as client:
                while time.monotonic() < stop:
                    live.write_bytes(catalogs[writes["harvests"] % 2].read_bytes())
                    answer = client.post("/harvest/soak")
                    if answer.status_code != 200 or answer.json()["status"] != "ok":
                        errors.append(f"harvest {answer.status_code} {answer.text[:200]}")
                    writes["harvests"] += 1

        def graph_store_writer() -> None:
            with httpx.Client(base_url=url, timeout=300, headers=ADMIN) as client:
                while time.monotonic() < stop:
                    n = writes["graph store puts"]
                    body = "".join(f"<urn:soak:s{i}> <urn:soak:p> \"{n}-{i}\" .\n"
                                   for i in range(1000))
                    answer = client.put("/store", params={"graph": "urn:soak:gsp"},
                                        content=body, headers={"Content-Type": "text/turtle"})
                    if answer.status_code not in (201, 204):
                        errors.append(f"PUT {answer.status_code} {answer.text[:200]}")
                    writes["graph store puts"] += 1
                    time.sleep(0.5)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(CLIENTS)]
        threads += [threading.Thread(target=harvester), threading.Thread(target=graph_store_writer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 400)
    FIGURES["32 clients for 60 s"] = {
        "requests": len(latencies), "errors": len(errors),
        "p50 s": round(percentile(latencies, 0.50), 3), "p99 s": round(percentile(latencies, 0.99), 3),
        "max s": round(max(latencies), 3), **by_audience, **writes}
    assert not errors, json.dumps(errors[:20], indent=1)
    assert writes["harvests"] >= 1 and writes["graph store puts"] >= 1
    assert max(latencies) < TIMEOUT
