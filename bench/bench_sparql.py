"""SPARQL service benchmark (issue 6): a mix of named queries over HTTP, side by side with
rdflib-endpoint and `oxigraph serve` on the same data.

The generated region is loaded the project's way (`bench_load.harvest_region`) into an
embedded store on disk; its N-Quads dump feeds the peers: `oxigraph load` + `oxigraph serve
--union-default-graph`, and rdflib-endpoint over an rdflib `Dataset(default_union=True)`.
Every server runs in its own process on loopback, started and measured by one child step.

The mix: named queries from `queries/` whose parameters are plain filters, each with its
example values. Peers cannot take pyoxigraph substitutions, so they get the query text
with the values as a `VALUES` block at the start of the top-level WHERE group (the same
solutions as the substitution; the rows returned are checked equal across servers before
timing). regiongraph is measured twice: `/sparql` with exactly the peers' text, and the
named-query route `/queries/{name}?param=...` (substitution). regiongraph runs with the
admin token, so all three answer over the same, full data (the generated region has no
approval to publish, so its public view is nearly empty).

Two phases: latency (one client, every query of the mix `LATENCY_ROUNDS` times, each request
sent to the servers in turn) and load (`CLIENTS` concurrent clients in a closed loop for
`DURATION` seconds per server, run in `SLICE`-second slices rotating over the servers:
throughput, p50/p99, errors). Interleaving matters on a shared machine: a neighbour's job
then slows every server alike instead of one phase. Goals (issue 6): ≥ 30× faster than rdflib-endpoint, within 1.3× of
`oxigraph serve` (p50 and p99), no errors under load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.harness import Context, Section, fmt_ratio

TITLE = "SPARQL service: named-query mix over HTTP vs rdflib-endpoint and oxigraph serve (issue 6)"
TOKEN = "bench-admin-token"
CLIENTS = 32
DURATION = 60.0
LATENCY_ROUNDS = 2
SLICE = 10.0
LOAD_TIMEOUT = 120.0
"""Seconds a request may take under load before it counts as an error."""
PEER_TIMEOUT = 20.0
"""The same for rdflib-endpoint, which would otherwise hold a slice open for minutes."""
LATENCY_TIMEOUT = 20.0
"""A single request slower than this counts as this (a lower bound) and is not repeated."""
MIX = [
    "datasets-by-domain", "datasets-by-community", "dataset-search", "standards-adoption",
    "standards-adoption-gap", "reuse-candidates", "lineage-upstream", "lineage-downstream",
    "datasets-by-access-level", "projects-by-domain-and-phase", "community-members",
    "capability-gaps", "datasets-missing-license",
]


def _pick(store_dir: str) -> dict[str, str]:
    """Parameter values a researcher would ask about, found in the generated region: the
    dataset with the most derived datasets, one derived dataset, the first project, the
    most used standard."""
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    store = open_store(Settings(store=store_dir), read_only=True)
    prov = "http://www.w3.org/ns/prov#wasDerivedFrom"
    picks = {}
    conforms = "http://purl.org/dc/terms/conformsTo"
    for key, query in (
        ("source", (f"SELECT ?d (COUNT(?x) AS ?n) WHERE {{ ?x <{prov}> ?d }} "
                    "GROUP BY ?d ORDER BY DESC(?n) ?d LIMIT 1")),
        ("derived", f"SELECT ?d WHERE {{ ?d <{prov}> ?x }} ORDER BY ?d LIMIT 1"),
        ("project", ("SELECT ?d WHERE { ?d a <https://w3id.org/regiongraph/ns#Project> } "
                     "ORDER BY ?d LIMIT 1")),
        ("standard", (f"SELECT ?d (COUNT(?x) AS ?n) WHERE {{ ?x <{conforms}> ?d }} "
                      "GROUP BY ?d ORDER BY DESC(?n) ?d LIMIT 1")),
    ):
        for row in store.query(query, union_default_graph=True):
            picks[key] = row["d"].value
    store.close()
    return picks


def _mix(base: str, region: Path, store_dir: str) -> list[dict]:
    """The mix with parameter values that exist in the generated region."""
    from regiongraph.iri import Minter
    from regiongraph.sparql.guard import tokens
    from regiongraph.sparql.library import load_library

    manifest = json.loads((region / "region.json").read_text(encoding="utf-8"))
    first_community = manifest["communities"][0]["id"]
    picks = _pick(store_dir)
    library = load_library()
    minter = Minter(base)
    mix = []
    for name in MIX:
        query = library[name]
        values = {p.name: p.example for p in query.params if p.example is not None}
        if "community" in values:
            values["community"] = first_community
        if name == "standards-adoption":
            values.pop("community")  # which communities adopted the most used standard
            values["standard"] = picks["standard"]
        if name == "lineage-upstream":
            values["dataset"] = picks["derived"]
        if name == "lineage-downstream":
            values["dataset"] = picks["source"]
        if name == "reuse-candidates":
            values["project"] = picks["project"]
        bound = query.bind(values, minter)
        where = next(t for t in tokens(query.text) if t.text == "{" and t.depth == 0)
        block = "".join(f"VALUES ?{v.value} {{ {term} }} " for v, term in bound.items())
        text = query.text[:where.end] + " " + block + query.text[where.end:]
        mix.append({"name": name, "params": values, "text": text})
    return mix


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


OURS = """
import sys, uvicorn
from regiongraph.api.app import create_app
from regiongraph.settings import Settings
settings = Settings(store=sys.argv[2], admin_token=sys.argv[3], query_timeout=120)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

RDFLIB = """
import sys, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
data = Dataset(default_union=True)
data.parse(sys.argv[2], format="nquads")
app = SparqlEndpoint(graph=data, path="/sparql", cors_enabled=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _request(client, server: dict, item: dict):
    # identity: oxigraph serve does not compress, so neither may regiongraph here
    headers = {**server["headers"], "Accept-Encoding": "identity",
               "Accept": "application/sparql-results+json"}
    if server["kind"] == "named":
        return client.get(f"{server['url']}/queries/{item['name']}", params=item["params"],
                          headers=headers)
    return client.post(server["url"] + server["path"], content=item["text"].encode(),
                       headers={**headers, "Content-Type": "application/sparql-query"})


def _rows(response) -> int:
    return len(response.json()["results"]["bindings"])


def _latency(servers: dict[str, dict], mix: list[dict]) -> dict[str, dict]:
    """One client; requests interleaved across servers so background load hits all alike.

    A request slower than `LATENCY_TIMEOUT` counts as taking exactly that long (a lower
    bound, reported as a timeout) and that query is not sent to that server again.
    """
    import httpx

    out = {name: {"times": [], "rows": {}, "timeouts": []} for name in servers}
    with httpx.Client(timeout=LATENCY_TIMEOUT) as client:
        for round_ in range(LATENCY_ROUNDS + 1):  # round 0 is the warm-up
            for item in mix:
                for name, server in servers.items():
                    if item["name"] in out[name]["timeouts"]:
                        if round_:
                            out[name]["times"].append(LATENCY_TIMEOUT)
                        continue
                    start = time.perf_counter()
                    try:
                        response = _request(client, server, item)
                        response.raise_for_status()
                    except httpx.TimeoutException:
                        out[name]["timeouts"].append(item["name"])
                        out[name]["rows"][item["name"]] = None
                        if round_:
                            out[name]["times"].append(LATENCY_TIMEOUT)
                        continue
                    elapsed = time.perf_counter() - start
                    if round_:
                        out[name]["times"].append(elapsed)
                    else:
                        out[name]["rows"][item["name"]] = _rows(response)
    return out


def _load(server: dict, mix: list[dict], duration: float, timeout: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client_loop(offset: int) -> None:
        with httpx.Client(timeout=timeout) as client:
            i = offset
            while time.monotonic() < stop:
                item = mix[i % len(mix)]
                i += 1
                start = time.perf_counter()
                try:
                    response = _request(client, server, item)
                    ok = response.status_code == 200
                    detail = f"{item['name']}: HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    ok, detail = False, f"{item['name']}: {type(error).__name__}"
                elapsed = time.perf_counter() - start
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors.append(detail)

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "wall": wall}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def compare(store_dir: str, nquads: str, region: str, oxigraph_dir: str, duration: str) -> dict:
    """Child step: start the three servers, check they agree, measure latency and load."""
    from regiongraph.settings import Settings

    mix = _mix(Settings().base, Path(region), store_dir)
    oxigraph = str(Path(sys.executable).parent / "oxigraph")
    subprocess.run([oxigraph, "load", "--location", oxigraph_dir, "--file", nquads],
                   check=True, capture_output=True)
    ports = {name: _free_port() for name in ("ours", "oxigraph", "rdflib")}
    env = {**os.environ}
    processes = [
        subprocess.Popen([sys.executable, "-c", OURS, str(ports["ours"]), store_dir, TOKEN],
                         env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen([oxigraph, "serve-read-only", "--location", oxigraph_dir,
                          "--bind", f"127.0.0.1:{ports['oxigraph']}", "--union-default-graph"],
                         stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL),
    ]
    rdflib_started = time.perf_counter()
    processes.append(subprocess.Popen([sys.executable, "-c", RDFLIB, str(ports["rdflib"]), nquads],
                                      env=env, stderr=subprocess.DEVNULL))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    servers = {
        "regiongraph /queries": {"kind": "named", "url": f"http://127.0.0.1:{ports['ours']}",
                                 "headers": auth},
        "regiongraph /sparql": {"kind": "text", "url": f"http://127.0.0.1:{ports['ours']}",
                                "path": "/sparql", "headers": auth},
        "oxigraph serve": {"kind": "text", "url": f"http://127.0.0.1:{ports['oxigraph']}",
                           "path": "/query", "headers": {}},
        "rdflib-endpoint": {"kind": "text", "url": f"http://127.0.0.1:{ports['rdflib']}",
                            "path": "/sparql", "headers": {}},
    }
    results: dict[str, dict] = {}
    try:
        _wait(servers["regiongraph /sparql"]["url"] + "/health")
        _wait(servers["oxigraph serve"]["url"] + "/query")
        _wait(servers["rdflib-endpoint"]["url"] + "/sparql", timeout=1800)
        rdflib_ready = time.perf_counter() - rdflib_started
        latency = _latency(servers, mix)
        # The load phase runs in slices rotating over the servers, so that a busy neighbour
        # on a shared machine slows every server alike instead of one phase.
        loads = {name: {"latencies": [], "errors": [], "wall": 0.0} for name in servers}
        slices = max(1, round(float(duration) / SLICE))
        for _ in range(slices):
            for name, server in servers.items():
                if name == "rdflib-endpoint" and len(latency[name]["timeouts"]) == len(mix):
                    continue  # alone it already took > LATENCY_TIMEOUT on every query
                part = _load(server, mix, float(duration) / slices,
                             PEER_TIMEOUT if name == "rdflib-endpoint" else LOAD_TIMEOUT)
                for key in ("latencies", "errors"):
                    loads[name][key] += part[key]
                loads[name]["wall"] += part["wall"]
        for name in servers:
            times, load = latency[name]["times"], loads[name]
            results[name] = {
                "rows": latency[name]["rows"],
                "latency_p50": statistics.median(times),
                "latency_p99": _pct(times, 0.99),
                "load_p50": _pct(load["latencies"], 0.50),
                "load_p99": _pct(load["latencies"], 0.99),
                "requests": len(load["latencies"]),
                "throughput": len(load["latencies"]) / load["wall"] if load["wall"] else 0.0,
                "errors": len(load["errors"]),
                "error_sample": load["errors"][:5],
                "timeouts": latency[name]["timeouts"],
            }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # rdflib-endpoint drains its queue first
                process.kill()
                process.wait(timeout=10)
    reference = results["oxigraph serve"]["rows"]
    disagreements = {name: {q: (r["rows"][q], reference[q]) for q in reference
                            if r["rows"][q] is not None and r["rows"][q] != reference[q]}
                     for name, r in results.items()}
    return {"servers": results, "mix": [m["name"] for m in mix], "disagree": disagreements,
            "rdflib_ready_s": rdflib_ready}


def run(ctx: Context) -> Section:
    duration = 10.0 if ctx.quick else DURATION
    sizes = [s for s in ctx.sizes if s <= 10_000] or ctx.sizes[:1]
    rows, notes = [], []
    for size in sizes:
        region = ctx.region(size)
        store_dir = ctx.scratch(f"sparql-store-{size}")
        ctx.measure(f"load {size}", "bench.bench_load:harvest_region", region, store_dir,
                    repeat=1)
        nquads = ctx.workdir / f"sparql-{size}.nq"
        ctx.measure(f"dump {size}", "bench.bench_load:dump_store", store_dir, nquads, repeat=1)
        oxigraph_dir = ctx.scratch(f"sparql-oxigraph-{size}")
        ctx.log(f"sparql: three servers, {CLIENTS} clients x {duration:g} s each, {size} datasets")
        m = ctx.measure(f"compare {size}", "bench.bench_sparql:compare", store_dir, nquads,
                        region, oxigraph_dir, duration, repeat=1)
        servers = m.result["servers"]
        ours = servers["regiongraph /sparql"]
        oxi = servers["oxigraph serve"]
        rdf = servers["rdflib-endpoint"]
        for name, s in servers.items():
            rows.append([
                f"{size:,}", name,
                f"{s['latency_p50'] * 1000:.1f}", f"{s['latency_p99'] * 1000:.1f}",
                f"{s['load_p50'] * 1000:.1f}", f"{s['load_p99'] * 1000:.1f}",
                f"{s['throughput']:.1f}", str(s["requests"]), str(s["errors"]),
            ])
        for label, key in (("latency p50", "latency_p50"), ("latency p99", "latency_p99"),
                           ("load p50", "load_p50"), ("load p99", "load_p99")):
            notes.append(
                f"{size:,} datasets, {label}: regiongraph /sparql is "
                f"{fmt_ratio(ours[key] / oxi[key])} of oxigraph serve (goal ≤ 1.30×), "
                f"/queries {fmt_ratio(servers['regiongraph /queries'][key] / oxi[key])}; "
                f"rdflib-endpoint takes {fmt_ratio(rdf[key] / ours[key])} of regiongraph's "
                "time (goal ≥ 30×)")
        bad = {k: v for k, v in m.result["disagree"].items() if v}
        notes.append(f"{size:,} datasets: answers (rows per query) "
                     + ("agree across the servers" if not bad else f"DIFFER: {bad}"))
        errors = {k: v["error_sample"] for k, v in servers.items() if v["errors"]}
        if errors:
            notes.append(f"{size:,} datasets: errors under load (first five): {errors}")
        for name, server in servers.items():
            if server["timeouts"]:
                notes.append(f"{size:,} datasets: {name} took longer than {LATENCY_TIMEOUT:g} s "
                             f"(counted as {LATENCY_TIMEOUT:g} s, a lower bound) on: "
                             + ", ".join(server["timeouts"]))
        notes.append(f"{size:,} datasets: rdflib-endpoint needed "
                     f"{m.result['rdflib_ready_s']:.0f} s to parse the N-Quads before serving")
    notes.insert(0, f"Mix ({len(MIX)} named queries): {', '.join(MIX)}. Latency: one client, "
                 f"each query {LATENCY_ROUNDS}× after a warm-up. Load: {CLIENTS} concurrent "
                 f"clients, closed loop, {duration:g} s per server; regiongraph with the admin "
                 "token (full store, the peers' data), one uvicorn worker; responses uncompressed.")
    return Section(area="sparql", title=TITLE, command=ctx.command,
                   headers=["datasets", "server", "latency p50 ms", "latency p99 ms",
                            "load p50 ms", "load p99 ms", "req/s", "requests", "errors"],
                   rows=rows, notes=notes)
