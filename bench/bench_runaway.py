"""Runaway queries (issue 18): 16 clients send cartesian products while 8 run the normal mix.

pyoxigraph cannot cancel a query; regiongraph runs each in a process killed at its time
limit (`regiongraph.sparql.workers`). This measures what that buys: the normal mix (the
named queries of `bench_sparql.MIX` through `/queries/{name}` on the disk store, each client
a member of the region with a personal token: a data leader, with their tier's view) is
run by `NORMAL_CLIENTS` clients alone, then again while `RUNAWAY_CLIENTS` anonymous clients
send a cartesian product back to back (each stopped at `QUERY_TIMEOUT` with a 503). Goal:
the mix's p99 under the storm within 2x of its p99 alone; the server's memory (its own
process, the zygote and every query process, sampled every half second) bounded.

Where the time goes: each normal query's `Server-Timing` header says how long it waited
for a query-process slot ("wait"), to hand its ticket to the zygote ("send": behind the
server's lock), for its process to be forked ("fork": the zygote serialises forks), and
until its first result ("first", all included); the CPU the query processes and the server itself used per second of each
phase is sampled from /proc (a query process's CPU as last seen alive: a lower bound).
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


def _timing(header: str) -> dict[str, float]:
    """`Server-Timing: wait;dur=1.0, fork;dur=2.0` → {"wait": 0.001, "fork": 0.002}."""
    found = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            found[name] = float(duration) / 1000
    return found


class CpuSampler:
    """CPU seconds the server process and its query processes (the zygote's children) use,
    sampled as often as `sample` is called."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.server = psutil.Process(pid)
        self.start = self._server_cpu()
        self.queries: dict[int, float] = {}

    def _server_cpu(self) -> float:
        times = self.server.cpu_times()
        return times.user + times.system

    def sample(self) -> None:
        import psutil

        for zygote in self.server.children():
            try:
                children = zygote.children()
            except psutil.NoSuchProcess:
                continue
            for child in children:
                try:
                    times = child.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                self.queries[child.pid] = times.user + times.system

    def result(self, seconds: float) -> dict[str, float]:
        return {"server_cpu": (self._server_cpu() - self.start) / seconds,
                "query_cpu": sum(self.queries.values()) / seconds}


def _phase(url: str, mix: list[dict], tokens: list[str], duration: float, runaways: bool,
           pid: int) -> dict:
    import httpx

    stop = time.monotonic() + duration
    normal: list[float] = []
    timings: list[dict[str, float]] = []
    errors: list[str] = []
    statuses: dict[int, int] = {}
    memory: list[float] = []

    def normal_client(offset: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[offset % len(tokens)]}",
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
                timings.append(_timing(response.headers.get("server-timing", "")))

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
    cpu = CpuSampler(pid)
    began = time.monotonic()
    for thread in threads:
        thread.start()
    next_memory = 0.0
    while time.monotonic() < stop:
        if time.monotonic() >= next_memory:
            memory.append(_memory_mb(pid))
            next_memory = time.monotonic() + 0.5
        cpu.sample()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    used = cpu.result(time.monotonic() - began)
    time.sleep(QUERY_TIMEOUT + 2)  # every runaway is past its limit: what memory is left
    load = os.getloadavg()[0]
    return {"load": load, "requests": len(normal), "errors": len(errors), "error_sample": errors[:5],
            "p50": _percentile(normal, 0.5), "p99": _percentile(normal, 0.99),
            **{f"{name}_p99": _percentile([t.get(name, 0.0) for t in timings], 0.99)
               for name in ("wait", "send", "fork", "first")},
            **{f"{name}_mean": sum(t.get(name, 0.0) for t in timings) / max(1, len(timings))
               for name in ("wait", "send", "fork", "first")},
            **used,
            "runaways": statuses, "memory_peak_mb": max(memory, default=0.0),
            "memory_after_mb": _memory_mb(pid)}


def storm(store_dir: str, region: str, duration: float) -> dict:
    """Child step: start the server, run the mix alone, then beside the runaways."""
    from pathlib import Path

    port = _free_port()
    tokens = _member_tokens(store_dir)
    env = {**os.environ, "REGIONGRAPH_QUERY_TIMEOUT": str(QUERY_TIMEOUT)}
    script = OURS.replace("query_timeout=120", "query_timeout=float(os.environ["
                          "'REGIONGRAPH_QUERY_TIMEOUT'])").replace("import sys,", "import os, sys,")
    log = Path(store_dir).with_name("runaway-server.log")
    with open(log, "wb") as errors:  # a pipe nobody reads could fill and stop the server
        server = subprocess.Popen([sys.executable, "-c", script, str(port), store_dir, TOKEN],
                                  env=env, stdout=subprocess.DEVNULL, stderr=errors)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/health")
        from regiongraph.settings import DEFAULT_BASE

        mix = _mix(DEFAULT_BASE, Path(region), store_dir)
        import httpx

        for token in tokens:  # each member's tier view is built in the zygote first
            httpx.get(f"{url}/queries/{mix[0]['name']}", params=mix[0]["params"], timeout=300,
                      headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        _phase(url, mix, tokens, min(5.0, duration), False, server.pid)  # warm-up
        alone = _phase(url, mix, tokens, duration, False, server.pid)
        stormy = _phase(url, mix, tokens, duration, True, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"alone": alone, "storm": stormy, "members": len(tokens)}


def _member_tokens(store_dir: str) -> list[str]:
    """A personal token for each of up to `NORMAL_CLIENTS` data leaders of the region (one
    per normal client: members querying, each with their tier's view)."""
    from bench.bench_members import DATA_LEADER
    from regiongraph.accounts import issue_token
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=store_dir, index="memory")
    store = open_store(settings)
    try:
        rows = store.query(f"""SELECT DISTINCT ?p WHERE {{ GRAPH ?g {{
            ?a <http://www.w3.org/ns/org#member> ?p ; <http://www.w3.org/ns/org#role>
            <{DATA_LEADER}> }} }} ORDER BY ?p LIMIT {NORMAL_CLIENTS}""")
        people = [row["p"].value for row in rows]
        return [issue_token(store, settings, person, label="bench runaway")[0]
                for person in people]
    finally:
        store.close()


def _per_client() -> int:
    from regiongraph.settings import Settings

    return Settings().query_workers_per_client


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
                     f"{p['memory_peak_mb']:.0f}", f"{p['memory_after_mb']:.0f}",
                     f"{p['wait_mean'] * 1000:.0f} / {p['wait_p99'] * 1000:.0f}",
                     f"{p['send_mean'] * 1000:.0f} / {p['send_p99'] * 1000:.0f}",
                     f"{p['fork_mean'] * 1000:.0f} / {p['fork_p99'] * 1000:.0f}",
                     f"{p['first_mean'] * 1000:.0f} / {p['first_p99'] * 1000:.0f}",
                     f"{p['query_cpu']:.2f}", f"{p['server_cpu']:.2f}", f"{p['load']:.1f}"])
    alone, stormy = m.result["alone"], m.result["storm"]
    ratio = stormy["p99"] / alone["p99"]
    notes = [
        (f"p99 of the normal mix under the storm: {fmt_ratio(ratio)} of its p99 alone "
         f"(goal ≤ 2.00×){'' if ratio <= 2 else ' — MISSED'}."),
        (f"Runaway: `{RUNAWAY}` anonymous (public view), back to back; time limit "
         f"{QUERY_TIMEOUT:g} s (REGIONGRAPH_QUERY_TIMEOUT), so each client's query is killed "
         "and a new one started every few seconds. Normal mix: the named queries of the "
         "`sparql` benchmark through `/queries/{name}` (disk store), each client a member "
         f"with a personal token ({m.result['members']} data leaders of the region, each "
         "reading their tier's view)."),
        ("Where the time goes (normal mix, from its `Server-Timing`): waiting for a query "
         "process slot, handing its ticket to the zygote (the server's lock), the zygote "
         "forking it, and until the first result (all included). CPU s/s: CPU seconds per second of the phase used by query processes "
         "(as last sampled alive, every 0.1 s: a lower bound) and by the server process "
         "itself; 2.00 is both cores. The runaways are anonymous from one address, so "
         f"REGIONGRAPH_QUERY_WORKERS_PER_CLIENT ({_per_client()}) of them run at once; each "
         "member of the mix is a client of their own."),
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
                            "runaway answers", "peak MB", "MB after", "slot wait ms mean/p99",
                            "ticket ms mean/p99", "fork ms mean/p99",
                            "first result ms mean/p99",
                            "query CPU s/s", "server CPU s/s", "load avg at end"],
                   rows=rows, notes=notes)
