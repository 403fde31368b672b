"""Runaway queries (issue 18): 16 clients send cartesian products while 8 run the normal mix.

pyoxigraph cannot cancel a query; regiongraph runs each in a process killed at its time
limit (`regiongraph.sparql.workers`). This measures what that buys: the normal mix (the
named queries of `bench_sparql.MIX`, admin token, `/queries/{name}`, on the disk store) is
run by `NORMAL_CLIENTS` clients alone, then again while `RUNAWAY_CLIENTS` anonymous clients
send a cartesian product back to back (each stopped at `QUERY_TIMEOUT` with a 503). Goal:
the mix's p99 under the storm within 2x of its p99 alone; the server's memory (its own
process, the zygote and every query process, sampled every half second) bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from bench.bench_sparql import OURS, TOKEN, _free_port, _mix, _wait
from bench.harness import Context, Section, fmt_ratio

TITLE = "Runaway queries: 16 cartesian-product clients beside the normal mix (issue 18)"
NORMAL_CLIENTS = 8
RUNAWAY_CLIENTS = 16
DURATION = 60.0
QUERY_TIMEOUT = 5.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _memory_mb(pid: int) -> float:
    """Resident memory of the server and its descendants (shared pages counted once each
    per process: an upper bound)."""
    import psutil

    total = 0
    try:
        server = psutil.Process(pid)
        for process in [server, *server.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        return 0.0
    return total / 2**20


def _phase(url: str, mix: list[dict], duration: float, runaways: bool, pid: int) -> dict:
    import httpx

    stop = time.monotonic() + duration
    normal: list[float] = []
    errors: list[str] = []
    statuses: dict[int, int] = {}
    memory: list[float] = []

    def normal_client(offset: int) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}",
                   "Accept": "application/sparql-results+json"}
        with httpx.Client(timeout=60) as client:
            i = offset
            while time.monotonic() < stop:
                item = mix[i % len(mix)]
                i += 1
                began = time.perf_counter()
                try:
                    response = client.get(f"{url}/queries/{item['name']}", params=item["params"],
                                          headers=headers)
                    response.raise_for_status()
                except httpx.HTTPError as error:
                    errors.append(f"{item['name']}: {str(error).splitlines()[0]}")
                    continue
                normal.append(time.perf_counter() - began)

    def runaway_client() -> None:
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop:
                try:
                    status = client.get(f"{url}/sparql", params={"query": RUNAWAY}).status_code
                except httpx.HTTPError:
                    status = 0
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=normal_client, args=(i,)) for i in range(NORMAL_CLIENTS)]
    if runaways:
        threads += [threading.Thread(target=runaway_client) for _ in range(RUNAWAY_CLIENTS)]
    for thread in threads:
        thread.start()
    while time.monotonic() < stop:
        memory.append(_memory_mb(pid))
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    time.sleep(QUERY_TIMEOUT + 2)  # every runaway is past its limit: what memory is left
    return {"requests": len(normal), "errors": len(errors), "error_sample": errors[:5],
            "p50": _percentile(normal, 0.5), "p99": _percentile(normal, 0.99),
            "runaways": statuses, "memory_peak_mb": max(memory, default=0.0),
            "memory_after_mb": _memory_mb(pid)}


def storm(store_dir: str, region: str, duration: float) -> dict:
    """Child step: start the server, run the mix alone, then beside the runaways."""
    from pathlib import Path

    port = _free_port()
    env = {**os.environ, "REGIONGRAPH_QUERY_TIMEOUT": str(QUERY_TIMEOUT)}
    script = OURS.replace("query_timeout=120", "query_timeout=float(os.environ["
                          "'REGIONGRAPH_QUERY_TIMEOUT'])").replace("import sys,", "import os, sys,")
    server = subprocess.Popen([sys.executable, "-c", script, str(port), store_dir, TOKEN],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/health")
        from regiongraph.settings import DEFAULT_BASE

        mix = _mix(DEFAULT_BASE, Path(region), store_dir)
        _phase(url, mix, min(5.0, duration), False, server.pid)  # warm-up
        alone = _phase(url, mix, duration, False, server.pid)
        stormy = _phase(url, mix, duration, True, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"alone": alone, "storm": stormy}


def run(ctx: Context) -> Section:
    duration = 20.0 if ctx.quick else DURATION
    size = ctx.sizes[0]
    region = ctx.region(size)
    store_dir = ctx.scratch(f"runaway-store-{size}")
    ctx.measure(f"load {size}", "bench.bench_load:harvest_region", region, store_dir, repeat=1)
    ctx.log(f"runaway: {NORMAL_CLIENTS} normal clients, then with {RUNAWAY_CLIENTS} runaway "
            f"clients, {duration:g} s each, {size} datasets")
    m = ctx.measure(f"storm {size}", "bench.bench_runaway:storm", store_dir, region, duration,
                    repeat=1)
    rows = []
    for label, key in (("normal mix alone", "alone"), ("normal mix + runaways", "storm")):
        p = m.result[key]
        rows.append([f"{size:,}", label, str(p["requests"]), str(p["errors"]),
                     f"{p['p50'] * 1000:.0f}", f"{p['p99'] * 1000:.0f}",
                     ", ".join(f"{n}× {s}" for s, n in sorted(p["runaways"].items())) or "—",
                     f"{p['memory_peak_mb']:.0f}", f"{p['memory_after_mb']:.0f}"])
    alone, stormy = m.result["alone"], m.result["storm"]
    ratio = stormy["p99"] / alone["p99"]
    notes = [
        (f"p99 of the normal mix under the storm: {fmt_ratio(ratio)} of its p99 alone "
         f"(goal ≤ 2.00×){'' if ratio <= 2 else ' — MISSED'}."),
        (f"Runaway: `{RUNAWAY}` anonymous (public view), back to back; time limit "
         f"{QUERY_TIMEOUT:g} s (REGIONGRAPH_QUERY_TIMEOUT), so each client's query is killed "
         "and a new one started every few seconds. Normal mix: the named queries of the "
         "`sparql` benchmark through `/queries/{name}` with the admin token (disk store)."),
        ("Memory: resident memory of the server, its zygote and every query process, summed "
         "(pages shared after fork counted in each: an upper bound), peak while the phase ran "
         f"and {QUERY_TIMEOUT + 2:g} s after it ended."),
    ]
    if ctx.quick:
        notes.append(f"Quick run: {duration:g} s per phase instead of {DURATION:g} s.")
    errors = {k: m.result[k]["error_sample"] for k in ("alone", "storm") if m.result[k]["errors"]}
    if errors:
        notes.append(f"Errors (first five): {errors}")
    return Section(area="runaway", title=TITLE, command=ctx.command,
                   headers=["datasets", "phase", "requests", "errors", "p50 ms", "p99 ms",
                            "runaway answers", "peak MB", "MB after"],
                   rows=rows, notes=notes)
