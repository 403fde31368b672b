"""Catalog benchmark (issue 7): the cost of one page of 100 as the catalog grows, and the
peak memory of the server while it streams `/data.json`.

The service runs for real (uvicorn on loopback, in the measured child process) over an
embedded store on disk loaded by the project's own path (`bench_load.harvest_region`).

- **page of 100**: `GET /catalog.ttl?page=N&page_size=100` for the first, middle and last
  pages, ten rounds; the median. The first request after start-up builds the catalog
  index (visibility's rule over the whole store, once per store version) and is reported
  apart as "index build". Then one process serves every size at once and the pages are
  requested round-robin across sizes ("interleaved"), so that whatever else loads the
  machine weighs on all sizes alike: that ratio is the one the goal is judged on.
  Goal (issue 7): a page at 100k costs at most 2× a page at 1k.
- **/data.json stream**: the whole document read by a client in the same process that
  discards each chunk; peak RSS of that process (server, store and client together) and
  its RSS before the stream began. Goal: ≤ 1 GB at 100k.

The generated region has no approval to publish (its approvals cover project use), so
nothing would be public. Like the demo's registry, the benchmark adds one open-data
approval per community (`<community>/*`, scope public, given by the community's own
executive) to a copy of the registry before loading: every public-access dataset is then
publishable, and the catalog is as large as the region allows.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

from bench.harness import Context, Section, measure

TITLE = "Catalog: a page of 100 and the /data.json stream (issue 7)"
ROUNDS = 10
PAGE_SIZE = 100
GOAL_RATIO = 2.0
GOAL_MB = 1024
GOAL_STREAM_MBS = 20.0
"""/data.json's speed (issue 14), beside pyoxigraph serialising the same store's sources."""


def publishable_region(region: Path, target: Path) -> Path:
    """A copy of `region` whose registry also holds one open-data approval per community.

    Catalog files are linked, not copied (they are large at 100k); the approver of each
    community is the executive its existing approvals name.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(region / "region.json", target / "region.json")
    shutil.copytree(region / "registry", target / "registry")
    (target / "catalogs").symlink_to((region / "catalogs").resolve())
    approvals_file = target / "registry" / "approvals.yaml"
    import yaml

    existing = yaml.safe_load(approvals_file.read_text(encoding="utf-8")) or []
    approver = {a["owner"]: a["approver"] for a in existing if a.get("approver")}
    manifest = json.loads((region / "region.json").read_text(encoding="utf-8"))
    added = []
    for community in manifest["communities"]:
        cid = community["id"]
        if cid not in approver:
            continue
        added.append({"id": f"{cid}-open-data", "title": f"{community['name']} open data policy",
                      "owner": cid, "approver": approver[cid], "actions": ["publish"],
                      "datasets": [f"{cid}/*"], "scope": "public", "status": "approved",
                      "valid_from": "2020-01-01"})
    with approvals_file.open("a", encoding="utf-8") as stream:
        stream.write("\n# Added by bench/bench_catalog.py: publication of each catalog.\n")
        for item in added:
            stream.write("- " + json.dumps(item) + "\n")
    return target


def _serve(store_dir: str):
    from regiongraph.api.app import create_app

    from regiongraph.settings import Settings
    from regiongraph.store import open_store
    from tests.support import serve_app

    settings = Settings(store=store_dir)
    store = open_store(settings, read_only=True)
    return store, serve_app(create_app(settings, store=store))


def serve_pages(store_dir: str) -> dict:
    """Child step: time pages of 100 over real HTTP; only the warm requests are the result."""
    import httpx

    store, server = _serve(store_dir)
    with server as url, httpx.Client(base_url=url, timeout=600) as client:
        start = time.perf_counter()
        first = client.get(f"/catalog.ttl?page=1&page_size={PAGE_SIZE}")
        cold = time.perf_counter() - start
        assert first.status_code == 200, first.text[:500]
        total = int(first.text.split("hydra:totalItems ")[1].split()[0].rstrip(";"))
        assert total > 0, "nothing publishable: the benchmark would measure an empty page"
        last = -(-total // PAGE_SIZE)
        pages = sorted({1, (last + 1) // 2, last})
        times = []
        for _ in range(ROUNDS):
            for page in pages:
                start = time.perf_counter()
                response = client.get(f"/catalog.ttl?page={page}&page_size={PAGE_SIZE}")
                times.append(time.perf_counter() - start)
                assert response.status_code == 200
        etag = first.headers["etag"]
        start = time.perf_counter()
        not_modified = client.get(f"/catalog.ttl?page=1&page_size={PAGE_SIZE}",
                                  headers={"If-None-Match": etag})
        revalidate = time.perf_counter() - start
        assert not_modified.status_code == 304
    store.close()
    return {"seconds": statistics.median(times), "cold": cold, "total": total,
            "bytes": len(first.content), "revalidate": revalidate}


def stream_datajson(store_dir: str) -> dict:
    """Child step: stream /data.json through a client that keeps nothing."""
    import resource

    import httpx

    store, server = _serve(store_dir)
    with server as url, httpx.Client(base_url=url, timeout=3600) as client:
        client.get("/catalog?page_size=1", headers={"Accept": "text/turtle"})  # index warm
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        first, size = _stream(client)
        again, size_again = _stream(client)
    store.close()
    assert size_again == size, "the kept objects made another document"
    return {"seconds": first, "again": again, "bytes": size, "peak_before_mb": before}


def _stream(client) -> tuple[float, int]:
    size = 0
    start = time.perf_counter()
    with client.stream("GET", "/data.json") as response:
        assert response.status_code == 200
        tail = b""
        for chunk in response.iter_bytes():
            size += len(chunk)
            tail = (tail + chunk)[-64:]
    assert tail.rstrip().endswith(b"]}"), "the stream did not finish"
    return time.perf_counter() - start, size


def source_graphs_ntriples(store_dir: str) -> dict:
    """Child step, the peer of the /data.json stream: pyoxigraph writing every harvested
    (source) graph as N-Triples, a superset of what /data.json shows, in a terser form."""
    import tempfile

    from pyoxigraph import NamedNode, RdfFormat

    from regiongraph.iri import Minter
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=store_dir, index="memory")
    store = open_store(settings)
    prefix = Minter(settings.base).graph("source", "x").value[:-1]
    graphs = [g for g in store.graph_names() if g.startswith(prefix)]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        for graph in graphs:
            store.oxigraph.dump(out, RdfFormat.N_TRIPLES, from_graph=NamedNode(graph))
        seconds = time.perf_counter() - start
        size = out.tell()
    store.close()
    return {"seconds": seconds, "bytes": size, "graphs": len(graphs)}


def compare_pages(store_dirs: dict) -> dict:
    """Child step: pages of 100 from every size's server, requests interleaved round by
    round, so that load from anything else on the machine falls on all sizes alike and
    the ratio between sizes stays honest."""
    import contextlib

    import httpx

    with contextlib.ExitStack() as stack:
        clients, pages, totals = {}, {}, {}
        for size, store_dir in store_dirs.items():
            store, server = _serve(store_dir)
            stack.callback(store.close)
            url = stack.enter_context(server)
            client = stack.enter_context(httpx.Client(base_url=url, timeout=3600))
            first = client.get(f"/catalog.ttl?page=1&page_size={PAGE_SIZE}")  # index warm
            assert first.status_code == 200
            totals[size] = int(first.text.split("hydra:totalItems ")[1].split()[0].rstrip(";"))
            last = -(-totals[size] // PAGE_SIZE)
            clients[size] = client
            pages[size] = sorted({1, (last + 1) // 2, last})
        times: dict[str, list[float]] = {str(size): [] for size in store_dirs}
        for _ in range(ROUNDS):
            for page_index in range(3):
                for size, client in clients.items():
                    page = pages[size][min(page_index, len(pages[size]) - 1)]
                    start = time.perf_counter()
                    response = client.get(f"/catalog.ttl?page={page}&page_size={PAGE_SIZE}")
                    times[str(size)].append(time.perf_counter() - start)
                    assert response.status_code == 200
    return {"median": {size: statistics.median(t) for size, t in times.items()},
            "totals": {str(size): total for size, total in totals.items()}}


def run(ctx: Context) -> Section:
    loaded = {}
    for size in ctx.sizes:
        region = publishable_region(ctx.region(size), ctx.workdir / f"catalog-region-{size}")
        store_dir = ctx.scratch(f"catalog-{size}") / "store"
        ctx.log(f"loading {size} datasets for the catalog benchmark")
        loaded[size] = (store_dir, measure(f"load {size}", "bench.bench_load:harvest_region",
                                           region, store_dir))
    return measure_loaded(ctx, loaded)


def measure_loaded(ctx: Context, loaded: dict) -> Section:
    """Everything after loading: per size its own pages (with the index build and a 304)
    and its /data.json stream, then all sizes' pages side by side, interleaved."""
    rows: list[list[str]] = []
    notes: list[str] = []
    for size, (store_dir, load) in sorted(loaded.items()):
        ctx.log(f"catalog pages at {size}")
        page = measure("pages", "bench.bench_catalog:serve_pages", store_dir)
        ctx.log(f"/data.json stream at {size}")
        stream = measure("data.json", "bench.bench_catalog:stream_datajson", store_dir)
        total = page.result["total"]
        rows.append([f"{size:,}", f"{total:,}", "page of 100 (Turtle, warm, alone)",
                     f"{page.seconds * 1000:.1f} ms", "", f"{page.peak_mb:.0f}",
                     f"{page.result['bytes'] / 1024:.0f} KiB a page"])
        rows.append([f"{size:,}", f"{total:,}", "index build (first request)",
                     f"{page.result['cold']:.2f} s", "", "",
                     "once per store version (and per day: approvals expire)"])
        rows.append([f"{size:,}", f"{total:,}", "conditional GET → 304",
                     f"{page.result['revalidate'] * 1000:.1f} ms", "", "", ""])
        mb = stream.peak_mb
        rows.append([f"{size:,}", f"{total:,}", "/data.json stream", f"{stream.seconds:.2f} s",
                     "", f"{mb:.0f}",
                     (f"{stream.result['bytes'] / 2**20:.1f} MiB streamed; RSS before the "
                      f"stream {stream.result['peak_before_mb']:.0f} MB; goal ≤ {GOAL_MB} MB "
                      + ("met" if mb <= GOAL_MB else "MISSED"))])
        peer = measure("peer", "bench.bench_catalog:source_graphs_ntriples", store_dir)
        peer_speed = peer.result["bytes"] / 1e6 / peer.seconds
        peer_note = (f"peer: pyoxigraph N-Triples of the {peer.result['graphs']} source graphs, "
                     f"{peer.result['bytes'] / 1e6:.0f} MB in {peer.seconds:.2f} s = "
                     f"{peer_speed:.1f} MB/s")
        for label, seconds in (("first after the start: every object read and encoded",
                                stream.seconds),
                               ("again: the objects kept in the index",
                                stream.result["again"])):
            speed = stream.result["bytes"] / 1e6 / seconds
            met = speed >= GOAL_STREAM_MBS and speed >= peer_speed / 3
            rows.append([f"{size:,}", f"{total:,}", f"/data.json speed, {label}",
                         f"{speed:.2f} MB/s", f"{speed / peer_speed:.3f}× the peer", "",
                         f"{peer_note}; goal ≥ {GOAL_STREAM_MBS:g} MB/s and ≥ 1/3 of the peer "
                         + ("met" if met else "MISSED")])
        notes.append(f"{size:,} datasets: {load.result['quads']:,} quads loaded in "
                     f"{load.seconds:.1f} s (setup, not measured here)")
    if len(loaded) > 1:
        ctx.log("pages of every size, interleaved")
        side = measure("pages side by side", "bench.bench_catalog:compare_pages",
                       {str(size): str(store_dir) for size, (store_dir, _) in loaded.items()})
        medians = {int(k): v for k, v in side.result["median"].items()}
        small = min(medians)
        for size, median in sorted(medians.items()):
            ratio = median / medians[small]
            rows.append([f"{size:,}", f"{side.result['totals'][str(size)]:,}",
                         "page of 100 (interleaved with the other sizes)",
                         f"{median * 1000:.1f} ms", f"{ratio:.2f}×", f"{side.peak_mb:.0f}",
                         "one process serving every size"])
        large = max(medians)
        ratio = medians[large] / medians[small]
        notes.append(f"a page of 100 at {large:,} datasets costs {ratio:.2f}× a page at "
                     f"{small:,}, measured interleaved (goal ≤ {GOAL_RATIO:.0f}×: "
                     f"{'met' if ratio <= GOAL_RATIO else 'MISSED'})")
    notes.append("Pages slice an index of the publishable datasets (sorted by IRI) that is "
                 "built once per store version, then read 100 records with two lookups "
                 "(the datasets, then their sub-nodes); the stream reads 500 records at a "
                 "time and writes each as it is encoded.")
    return Section(area="catalog", title=TITLE, command=ctx.command,
                   headers=["datasets", "public", "step", "time", "vs smallest", "peak MB",
                            "notes"], rows=rows, notes=notes, keep_other_sizes=True)
