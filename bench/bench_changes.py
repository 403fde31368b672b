"""Changes (issue "One change path"): what users feel when the region changes under a server.

Per size, each step in its own process (bench/harness.py):

- **load the region**: `pipeline.load_region_dir` of the generated region (a private copy,
  so its catalogs can be edited) into an empty disk store, after-change views included
  (the share the views took is timed apart), against a raw pyoxigraph `bulk_load` of the
  N-Quads dump of what the load left in the store (goal: ≤ 3×).
- **re-harvest cycles through a real server**: `regiongraph serve` (uvicorn) in a child
  process on loopback, with the admin token and `REGIONGRAPH_SOURCES` on the copy's
  sources.yaml. Every route is asked once first (imports, caches: what a server that has
  been up a while has done). Then each cycle retitles 1% of the region's records (the
  first data.json catalogs, as bench_rules edits them; a new title each cycle, so every
  cycle really changes them), `POST /harvest/{source}` for each edited source (timed: the
  harvest and all its after-change work, which the request waits for; goal ≤ 2 s), then
  the FIRST anonymous `/sparql` query, `/search` and `/catalog` page (each once, cold
  after the change; goal ≤ 0.5 s each), and each again at once (warm: the peer of the
  first, ratio first/warm). The server's RSS (psutil) is read after every cycle; goal:
  after N cycles within 10% of after the first.
- **replace a graph**: the largest source graph (and a synthetic graph of
  `big_graph_quads(size)` quads, 500k at 10k: the source triples copied under suffixed
  IRIs) written over itself with `Store.replace_graph`, and the largest one through the
  change path as a Graph Store PUT does it (`apply_change`, views included), against a
  raw `bulk_load` of the same N-Triples into a fresh store (goal at 500k: ≤ 1.5×).

Cycles: `CHANGES_CYCLES` (default 20 below 10k datasets, 100 from 10k) within
`CHANGES_BUDGET` seconds of cycling (default 900): at 10k the run stops at whichever comes
first and the table says how many cycles ran. Where a goal is missed the run diagnoses it
(`CHANGES_DIAGNOSE=0` skips that): a missed load goal profiles a load, a missed time goal
profiles one more cycle in-process with cProfile at the kernel calls the routes make (the
harvest through `pipeline.harvest`, the public view, the catalog index, the search), and
a missed memory goal runs a few cycles under tracemalloc (Python heap or native?); the
top project functions and allocation sites go into the notes.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Context, Measurement, Section, fmt_ratio, fmt_seconds, measure

TITLE = "Changes: a 1% re-harvest under a running server, region load, graph replace"
TOKEN = "bench-admin-token"
GOAL_FIRST = 0.5
GOAL_HARVEST = 2.0
GOAL_MEMORY = 0.10
GOAL_LOAD = 3.0
GOAL_REPLACE = 1.5
GOAL_STREAM_MBS = 20.0
"""/data.json's speed (issue 14); its peer, pyoxigraph writing the same sources, is in the
catalog section."""
BIG_GRAPH = 500_000
TRACE_CYCLES = 4
"""In-process cycles traced with tracemalloc when the memory goal is missed."""
SPARQL = ("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
          "<http://purl.org/dc/terms/title> ?t }")
READS = {
    "sparql": ("/sparql", {"query": SPARQL}, "application/sparql-results+json"),
    "search": ("/search", {"q": "traffic"}, "application/json"),
    "catalog": ("/catalog", {}, "text/turtle"),
}


def cycles_for(size: int) -> int:
    return int(os.environ.get("CHANGES_CYCLES") or (100 if size >= 10_000 else 20))


def diagnose() -> bool:
    """Profile and trace missed goals (`CHANGES_DIAGNOSE=0` skips it: the test's tiny run)."""
    return os.environ.get("CHANGES_DIAGNOSE", "1") != "0"


def budget() -> float:
    return float(os.environ.get("CHANGES_BUDGET") or 900)


def big_graph_quads(size: int) -> int:
    """500k quads (the issue's graph) from 10k datasets up; 50 per dataset below, so the
    quick run stays quick."""
    return min(BIG_GRAPH, 50 * size)


NOTES = [
    ("First = the first anonymous request after the re-harvest (each once, cold after "
     "the change); warm = the same request again at once (the peer; ratio first/warm). "
     "Cycle 1 is the headline; median and max over all cycles beside it."),
    ("Harvest = `POST /harvest/{source}` for each edited source, which answers after "
     "the harvest and every after-change view (rules, search); 'kernel' = the "
     "harvest report's own seconds, the rest is the views and the journal."),
    ("Load ratio against a raw bulk_load of the N-Quads dump of everything the load left "
     "in the store (inferences, reports, journal included). Replace rows: the graph "
     "already holds the same triples (staged, then DROP + MOVE); the peer is a raw "
     "bulk_load of the same N-Triples into a fresh store."),
]


# --- child steps --------------------------------------------------------------------------


def _open(store_dir: str):
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=store_dir)
    return settings, open_store(settings)


def load_region(region: str, store_dir: str) -> dict:
    """`pipeline.load_region_dir` into an empty disk store; the views' share timed apart
    (`change.refresh` is where apply_change brings them up to date)."""
    from regiongraph import change
    from regiongraph.pipeline import load_region_dir

    settings, store = _open(store_dir)
    views = 0.0
    refresh = change.refresh

    def timed_refresh(*args, **kwargs):
        nonlocal views
        start = time.perf_counter()
        try:
            return refresh(*args, **kwargs)
        finally:
            views += time.perf_counter() - start

    change.refresh = timed_refresh
    start = time.perf_counter()
    summary = load_region_dir(store, settings, Path(region))
    if hasattr(store, "flush"):
        store.flush()
    seconds = time.perf_counter() - start
    change.refresh = refresh
    failures = summary.applied.failures if summary.applied else {}
    quads = sum(store.graphs().values())
    store.close()
    return {"seconds": seconds, "views_seconds": views, "quads": quads,
            "failed_sources": [r.source for r in summary.reports if r.status == "failed"],
            "view_failures": failures}


def _edits(region: Path, size: int) -> list[dict]:
    """The 1% to edit: records of the first data.json catalogs, and their sources."""
    from regiongraph.harvest import read_sources

    manifest = json.loads((region / "region.json").read_text(encoding="utf-8"))
    by_path = {s.path.resolve(): s.id for s in read_sources(region / "sources.yaml") if s.path}
    remaining = max(1, size // 100)
    edits = []
    for community in (c for c in manifest["communities"] if c["format"] == "dcat-us-1.1"):
        if remaining == 0:
            break
        path = region / community["file"]
        catalog = json.loads(path.read_text(encoding="utf-8"))
        count = min(remaining, len(catalog["dataset"]))
        titles = [r.get("title", "") for r in catalog["dataset"][:count]]
        edits.append({"path": path, "catalog": catalog, "titles": titles,
                      "source": by_path[path.resolve()]})
        remaining -= count
    return edits


def _retitle(edits: list[dict], cycle: int) -> int:
    """Write the catalogs with the edited records retitled for this cycle."""
    changed = 0
    for edit in edits:
        for record, title in zip(edit["catalog"]["dataset"], edit["titles"], strict=False):
            record["title"] = f"{title} (revision {cycle})"
            changed += 1
        edit["path"].write_text(json.dumps(edit["catalog"]), encoding="utf-8")
    return changed


def _start_server(store_dir: str, region: str) -> tuple[subprocess.Popen, str]:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "REGIONGRAPH_ADMIN_TOKEN": TOKEN,
           "REGIONGRAPH_SOURCES": str(Path(region) / "sources.yaml")}
    # Its log to a file, not a pipe nobody reads: ~24 cycles of access log filled a pipe's
    # 64 KiB and the server stopped in its next write.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "regiongraph", "--store", store_dir,
                                    "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the server exited: {log.read().decode()[-2000:]}")
            try:
                httpx.get(url + "/health", timeout=2.0)
                return process, url
            except httpx.HTTPError:
                time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server at {url} did not come up within 300 s")


def _stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _timed(client, method: str, url: str, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    response = client.request(method, url, **kwargs)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}")
    return seconds, response


def _read(client, url: str, name: str) -> float:
    path, params, accept = READS[name]
    return _timed(client, "GET", url + path, params=params, headers={"Accept": accept})[0]


def _stream_datajson(client, url: str) -> tuple[float, int]:
    """Seconds and bytes of one whole `/data.json`, read by a client that keeps nothing."""
    size = 0
    start = time.perf_counter()
    with client.stream("GET", url + "/data.json") as response:
        if response.status_code != 200:
            raise RuntimeError(f"/data.json: HTTP {response.status_code}")
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - start, size


def serve_cycles(region: str, store_dir: str, size: int, cycles: int, budget_s: float
                 ) -> dict:
    """The server, warmed once; then up to `cycles` cycles of edit → harvest → first reads
    → warm reads → RSS, within `budget_s` seconds."""
    import httpx
    import psutil

    edits = _edits(Path(region), size)
    spawned = time.perf_counter()
    process, url = _start_server(store_dir, region)
    up_s = time.perf_counter() - spawned
    server = psutil.Process(process.pid)
    admin = {"Authorization": f"Bearer {TOKEN}"}
    rows: list[dict] = []
    try:
        with httpx.Client(timeout=600) as client:
            warm_up = {name: _read(client, url, name) for name in READS}
            warm_up["datajson"] = _stream_datajson(client, url)
            rss_start = server.memory_info().rss / 2**20
            started = time.perf_counter()
            for cycle in range(1, cycles + 1):
                changed = _retitle(edits, cycle)
                row: dict = {"cycle": cycle, "changed": changed, "harvest": 0.0,
                             "harvest_kernel": 0.0, "updated": 0}
                for source in sorted({e["source"] for e in edits}):
                    seconds, response = _timed(client, "POST", f"{url}/harvest/{source}",
                                               headers=admin)
                    report = response.json()
                    row["harvest"] += seconds
                    row["harvest_kernel"] += report["seconds"]
                    row["updated"] += report["updated"]
                for name in READS:
                    row[f"{name}_first"] = _read(client, url, name)
                    row[f"{name}_warm"] = _read(client, url, name)
                row["datajson_first"] = _stream_datajson(client, url)
                row["datajson_warm"] = _stream_datajson(client, url)
                row["rss_mb"] = server.memory_info().rss / 2**20
                rows.append(row)
                if time.perf_counter() - started > budget_s:
                    break
    finally:
        _stop_server(process)
    return {"cycles": rows, "warm_up": warm_up, "rss_start_mb": rss_start, "up_s": up_s,
            "sources": sorted({e["source"] for e in edits})}


def export_largest_source(store_dir: str, out: str) -> dict:
    """The largest harvested source graph, as N-Triples."""
    from pyoxigraph import NamedNode, RdfFormat, serialize

    from regiongraph.iri import Minter

    settings, store = _open(store_dir)
    prefix = Minter(settings.base).graph("source", "").value
    graphs = {g: n for g, n in store.graphs().items() if g and g.startswith(prefix)}
    graph = max(graphs, key=graphs.__getitem__)
    with open(out, "wb") as stream:
        serialize((q.triple for q in store.quads(NamedNode(graph))), stream,
                  RdfFormat.N_TRIPLES)
    store.close()
    return {"graph": graph, "quads": graphs[graph]}


def make_big_graph(store_dir: str, out: str, quads: int) -> dict:
    """`quads` distinct triples shaped like the harvested ones: every source graph's
    triples, then again with every IRI under the base suffixed `-copyK`, until enough."""
    from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

    from regiongraph.iri import Minter

    settings, store = _open(store_dir)
    prefix = Minter(settings.base).graph("source", "").value
    base = settings.base
    source = [q.triple for g in sorted(filter(None, store.graphs())) if g.startswith(prefix)
              for q in store.quads(NamedNode(g))]
    store.close()

    def renamed(term, suffix: str):
        if isinstance(term, NamedNode) and term.value.startswith(base):
            return NamedNode(term.value + suffix)
        return term

    def triples():
        written, copy = 0, 0
        while True:
            suffix = f"-copy{copy}" if copy else ""
            for t in source:
                if written == quads:
                    return
                yield Triple(renamed(t.subject, suffix), t.predicate, renamed(t.object, suffix))
                written += 1
            copy += 1

    with open(out, "wb") as stream:
        serialize(triples(), stream, RdfFormat.N_TRIPLES)
    return {"quads": quads, "copies": -(-quads // max(1, len(source)))}


def _ntriples(path: str):
    from pyoxigraph import RdfFormat, parse

    with open(path, "rb") as stream:
        yield from parse(stream, RdfFormat.N_TRIPLES)


def replace_graph(store_dir: str, ntriples: str, graph: str, first: bool = False) -> dict:
    """`Store.replace_graph` of `graph` with the N-Triples (a graph that holds them
    already, unless `first`: then it is written once, untimed, before the timed replace)."""
    from pyoxigraph import NamedNode

    _settings, store = _open(store_dir)
    if first:
        store.replace_graph(NamedNode(graph), _ntriples(ntriples))
    before = store.count(NamedNode(graph))
    start = time.perf_counter()
    written = store.replace_graph(NamedNode(graph), _ntriples(ntriples))
    if hasattr(store, "flush"):
        store.flush()
    seconds = time.perf_counter() - start
    after = store.count(NamedNode(graph))
    store.close()
    return {"seconds": seconds, "written": written, "before": before, "after": after}


def replace_via_change_path(store_dir: str, ntriples: str, graph: str) -> dict:
    """What a Graph Store PUT does: the replace through `apply_change`, views included."""
    from pyoxigraph import NamedNode

    from regiongraph.change import apply_change

    settings, store = _open(store_dir)

    def write() -> list[str]:
        store.replace_graph(NamedNode(graph), _ntriples(ntriples))
        return [graph]

    start = time.perf_counter()
    applied = apply_change(store, settings, "graph-store", write)
    if hasattr(store, "flush"):
        store.flush()
    seconds = time.perf_counter() - start
    after = store.count(NamedNode(graph))
    store.close()
    return {"seconds": seconds, "after": after, "view_failures": applied.failures}


def _kernel_cycle(store, settings, region: Path, size: int, cycle: int) -> dict:
    """One 1% cycle in-process, phase by phase, at the kernel calls the routes make."""
    from regiongraph.exports.model import catalog_index
    from regiongraph.harvest import harvest_source, read_sources
    from regiongraph.pipeline import harvest
    from regiongraph.search import index_for, parse_filters, parse_query
    from regiongraph.sparql.public import public_store

    edits = _edits(region, size)
    sources = {s.id: s for s in read_sources(region / "sources.yaml")}
    _retitle(edits, cycle)

    def do_harvest():
        for source in sorted({e["source"] for e in edits}):
            harvest(store, settings, lambda s=sources[source]: [harvest_source(store, settings, s)])

    return {
        "harvest + views": do_harvest,
        "public view (first /sparql)": lambda: list(public_store(store, settings).query(SPARQL)),
        "catalog index (first /catalog)": lambda: catalog_index(store, settings),
        "search (first /search)": lambda: index_for(store, settings).search(
            parse_query("traffic"), filters=parse_filters(None), include_private=False,
            start=0, rows=20, sort=None),
    }


def profile_cycle(region: str, store_dir: str, size: int, top: int = 6) -> dict:
    """One more 1% cycle in-process under cProfile; per phase, its time and the project
    functions that took the most time (cumulative, the phase's own wrappers left out)."""
    import cProfile

    settings, store = _open(store_dir)
    for phase in _kernel_cycle(store, settings, Path(region), size, 9_000).values():
        phase()  # caches as a server that has been up a while holds them
    out = {}
    for name, phase in _kernel_cycle(store, settings, Path(region), size, 9_001).items():
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.runcall(phase)
        seconds = time.perf_counter() - start
        out[name] = {"seconds": seconds, "top": _top_functions(profiler, seconds, top)}
    store.close()
    return out


def profile_load(region: str, store_dir: str, top: int = 8) -> dict:
    """`load_region_dir` into an empty store under cProfile."""
    import cProfile

    from regiongraph.pipeline import load_region_dir

    settings, store = _open(store_dir)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(load_region_dir, store, settings, Path(region))
    seconds = time.perf_counter() - start
    store.close()
    return {"load_region_dir": {"seconds": seconds,
                                "top": _top_functions(profiler, seconds, top)}}


def _top_functions(profiler, seconds: float, top: int) -> list[dict]:
    """The project's functions that took the most time (cumulative), the wrappers that
    took nearly all of it left out."""
    import pstats

    stats = pstats.Stats(profiler).stats
    ours = [(f, fn, ct, nc) for (f, _line, fn), (_cc, nc, _tt, ct, _c) in stats.items()
            if ("/regiongraph/" in f or "/api/" in f) and ct < 0.98 * seconds]
    ours.sort(key=lambda e: e[2], reverse=True)
    return [{"function": f"{Path(f).parent.name}/{Path(f).name}:{fn}", "cumulative": ct,
             "calls": nc} for f, fn, ct, nc in ours[:top]]


def memory_growth(region: str, store_dir: str, size: int, cycles: int, top: int = 6) -> dict:
    """`cycles` 1% cycles in-process under tracemalloc: the Python heap's growth between
    cycle 1 and the last, by allocation site, beside the process's RSS growth (what
    tracemalloc does not see is native: RocksDB, tantivy, the public view's store).
    Then the heap is trimmed (`gc.collect`, glibc `malloc_trim`): what RSS gives back was
    freed memory the allocator kept, not a leak."""
    import ctypes
    import gc
    import tracemalloc

    import psutil

    settings, store = _open(store_dir)
    process = psutil.Process()
    tracemalloc.start(1)
    rss, snapshots = [], []
    for cycle in range(1, cycles + 1):
        for phase in _kernel_cycle(store, settings, Path(region), size, 20_000 + cycle).values():
            phase()
        rss.append(process.memory_info().rss / 2**20)
        if cycle in (1, cycles):
            snapshots.append(tracemalloc.take_snapshot())
    traced = tracemalloc.get_traced_memory()[0] / 2**20
    diff = snapshots[-1].compare_to(snapshots[0], "lineno")
    tracemalloc.stop()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass
    trimmed = process.memory_info().rss / 2**20
    store.close()
    growth = sum(d.size_diff for d in diff) / 2**20
    sites = []
    for d in sorted(diff, key=lambda d: d.size_diff, reverse=True)[:top]:
        frame = d.traceback[0]
        sites.append({"site": f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:"
                              f"{frame.lineno}", "mb": d.size_diff / 2**20,
                      "blocks": d.count_diff})
    return {"rss": rss, "trimmed_mb": trimmed, "python_growth_mb": growth, "traced_mb": traced,
            "sites": sites}


# --- the section ----------------------------------------------------------------------------


def _fresh_copy(ctx: Context, region: Path, name: str) -> Path:
    target = ctx.scratch(name)
    shutil.copytree(region, target, dirs_exist_ok=True)
    return target


def _meets(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes = list(NOTES)
    section = Section(area="changes", title=TITLE, command=ctx.command,
                      headers=["datasets", "step", "seconds", "peer", "ratio", "goal",
                               "peak MB"], rows=rows, notes=notes, keep_other_sizes=True)
    for size in ctx.sizes:
        n = f"{size:,}"
        region = _fresh_copy(ctx, ctx.region(size), f"changes-region-{size}")
        store_dir = ctx.scratch(f"changes-store-{size}")
        # the search index beside it (`<store>.search`) is an earlier run's: an empty store
        # has none (left there, the load brought it in line: +12 s of views at 10k)
        shutil.rmtree(store_dir.with_name(store_dir.name + ".search"), ignore_errors=True)
        ctx.log(f"changes {size}: load the region")
        load = ctx.measure("load", "bench.bench_changes:load_region", region, store_dir,
                           repeat=1)
        nquads = ctx.scratch(f"changes-dump-{size}") / "store.nq"
        measure("dump", "bench.bench_load:dump_store", store_dir, nquads)
        bulk = ctx.measure("bulk", "bench.bench_load:oxigraph_bulk_load", nquads,
                           scratch=f"changes-bulk-{size}", repeat=1)
        ratio = load.seconds / bulk.seconds
        rows.append([n, (f"load_region_dir, {load.result['quads']:,} quads (views "
                         f"{load.result['views_seconds']:.1f} s)"), fmt_seconds(load.seconds),
                     f"bulk_load {fmt_seconds(bulk.seconds)}", fmt_ratio(ratio),
                     f"≤ {GOAL_LOAD:g}× {_meets(ratio <= GOAL_LOAD)}", f"{load.peak_mb:.0f}"])
        for key in ("failed_sources", "view_failures"):
            if load.result.get(key):
                notes.append(f"{n}: load {key.replace('_', ' ')}: {load.result[key]}")

        cycles = cycles_for(size)
        ctx.log(f"changes {size}: up to {cycles} re-harvest cycles through the server")
        served = measure("cycles", "bench.bench_changes:serve_cycles", region, store_dir, size,
                         cycles, budget(), timeout=budget() + 3600)
        missed, memory_missed = _cycle_rows(n, served, rows, notes)

        ctx.log(f"changes {size}: replace graphs")
        largest_nt = ctx.scratch(f"changes-largest-{size}") / "graph.nt"
        largest = measure("export", "bench.bench_changes:export_largest_source", store_dir,
                          largest_nt).result
        _replace_rows(ctx, size, largest, largest_nt, store_dir, rows)
        quads = big_graph_quads(size)
        big_nt = ctx.scratch(f"changes-big-{size}") / "graph.nt"
        measure("make big graph", "bench.bench_changes:make_big_graph", store_dir, big_nt, quads)
        big = ctx.measure("replace big", "bench.bench_changes:replace_graph",
                          ctx.scratch(f"changes-big-store-{size}"), big_nt,
                          "https://bench.example/graph/big", True, repeat=1)
        big_bulk = ctx.measure("bulk big", "bench.bench_harvest:bulk_load", big_nt,
                               scratch=f"changes-big-bulk-{size}", repeat=1)
        ratio = big.seconds / big_bulk.seconds
        goal = (f"≤ {GOAL_REPLACE:g}× {_meets(ratio <= GOAL_REPLACE)}" if quads >= BIG_GRAPH
                else f"(goal at {BIG_GRAPH:,})")
        rows.append([n, f"replace_graph of a {quads:,}-quad graph (store layer)",
                     fmt_seconds(big.seconds), f"bulk_load {fmt_seconds(big_bulk.seconds)}",
                     fmt_ratio(ratio), goal, f"{big.peak_mb:.0f}"])
        profiles: dict = {}
        if diagnose() and load.seconds > GOAL_LOAD * bulk.seconds:
            ctx.log(f"changes {size}: the load goal is missed; profiling a load")
            profiles |= measure("profile load", "bench.bench_changes:profile_load", region,
                                ctx.scratch(f"changes-profile-{size}")).result
        if diagnose() and missed:
            ctx.log(f"changes {size}: a time goal is missed; profiling one cycle")
            profiles |= measure("profile", "bench.bench_changes:profile_cycle", region,
                                store_dir, size).result
        for phase, entry in profiles.items():
            top = "; ".join(f"{t['function']} {t['cumulative']:.2f} s ({t['calls']:,} calls)"
                            for t in entry["top"])
            notes.append(f"{n}, cProfile of {phase}, {entry['seconds']:.2f} s in-process; "
                         f"largest project functions (cumulative): {top}")
        if diagnose() and memory_missed:
            ctx.log(f"changes {size}: the memory goal is missed; tracing allocations")
            traced = measure("memory", "bench.bench_changes:memory_growth", region, store_dir,
                             size, TRACE_CYCLES).result
            rss = traced["rss"]
            sites = "; ".join(f"{s['site']} +{s['mb']:.1f} MB ({s['blocks']:+,} blocks)"
                              for s in traced["sites"])
            notes.append(
                f"{n}, tracemalloc over {len(rss)} in-process cycles (the routes' kernel "
                f"calls): RSS {rss[0]:.0f} → {rss[-1]:.0f} MB ({traced['trimmed_mb']:.0f} MB "
                "after gc and malloc_trim), the Python heap "
                f"{traced['python_growth_mb']:+.1f} MB between cycle 1 and {len(rss)}; "
                f"largest growth by site: {sites}")
        write_results_now(ctx, section)
    return section


def write_results_now(ctx: Context, section: Section) -> None:
    from bench.harness import write_results

    write_results([section], ctx.results)


def _cycle_rows(n: str, served: Measurement, rows: list[list[str]], notes: list[str]
                ) -> tuple[bool, bool]:
    """Rows of the re-harvest cycles; whether a time goal, and the memory goal, is missed."""
    cycles = served.result["cycles"]
    first = cycles[0]
    missed = False

    def spread(key: str) -> str:
        values = [c[key] for c in cycles]
        return f"median {statistics.median(values):.2f}, max {max(values):.2f}"

    harvest_ok = first["harvest"] <= GOAL_HARVEST
    missed |= not harvest_ok
    rows.append([n, (f"1% re-harvest, {first['changed']:,} records, "
                     f"{len(served.result['sources'])} source(s) (kernel "
                     f"{first['harvest_kernel']:.2f} s; {spread('harvest')})"),
                 fmt_seconds(first["harvest"]), "—", "—",
                 f"≤ {GOAL_HARVEST:g} s {_meets(harvest_ok)}", "—"])
    for name in READS:
        cold, warm = first[f"{name}_first"], first[f"{name}_warm"]
        ok = cold <= GOAL_FIRST
        missed |= not ok
        rows.append([n, f"first anonymous {READS[name][0]} after it ({spread(name + '_first')})",
                     f"{cold:.3f}", f"warm {warm:.3f}", fmt_ratio(cold / warm),
                     f"≤ {GOAL_FIRST:g} s {_meets(ok)}", "—"])
    for name in READS:  # the warm-up reads: sent as soon as /health answers
        cold, warm = served.result["warm_up"][name], first[f"{name}_warm"]
        rows.append([n, (f"first anonymous {READS[name][0]} right after the server starts "
                        f"(/health answered {served.result['up_s']:.1f} s after the spawn)"),
                     f"{cold:.3f}", f"warm {warm:.3f}", fmt_ratio(cold / warm), "—", "—"])
    missed |= _datajson_rows(n, served, rows)
    rss_first, rss_last = first["rss_mb"], cycles[-1]["rss_mb"]
    growth = rss_last / rss_first - 1
    rows.append([n, f"server RSS after {len(cycles)} cycles (after cycle 1: {rss_first:.0f} MB)",
                 "—", f"{rss_last:.0f} MB", f"{growth:+.1%}",
                 f"≤ +{GOAL_MEMORY:.0%} {_meets(growth <= GOAL_MEMORY)}", f"{rss_last:.0f}"])
    marks = sorted({1, 2, 5, 10, 20, 50, len(cycles)} & set(range(1, len(cycles) + 1)))
    notes.append(f"{n}: server RSS after warm-up {served.result['rss_start_mb']:.0f} MB; after "
                 "cycle " + ", ".join(f"{k}: {cycles[k - 1]['rss_mb']:.0f}" for k in marks)
                 + " MB. Harvest request by cycle: " + ", ".join(
                     f"{k}: {cycles[k - 1]['harvest']:.2f} s" for k in marks) + ".")
    updated = {c["updated"] for c in cycles}
    if updated != {first["changed"]}:
        notes.append(f"{n}: the harvests updated {sorted(updated)} records per cycle, "
                     f"{first['changed']} were edited")
    return missed, growth > GOAL_MEMORY


def _datajson_rows(n: str, served: Measurement, rows: list[list[str]]) -> bool:
    """/data.json after the re-harvest and right after the start, in MB/s; whether the
    speed goal is missed after the change."""
    cycles = served.result["cycles"]

    def speed(sample) -> float:
        return sample[1] / 1e6 / sample[0]

    after = [speed(c["datajson_first"]) for c in cycles]
    first, warm = cycles[0]["datajson_first"], cycles[0]["datajson_warm"]
    ok = speed(first) >= GOAL_STREAM_MBS
    rows.append([n, (f"first /data.json after it, {first[1] / 1e6:.1f} MB in {first[0]:.2f} s "
                     f"(MB/s median {statistics.median(after):.1f}, min {min(after):.1f})"),
                 f"{speed(first):.1f} MB/s", f"warm {speed(warm):.1f} MB/s",
                 fmt_ratio(first[0] / warm[0]), f"≥ {GOAL_STREAM_MBS:g} MB/s {_meets(ok)}", "—"])
    start = served.result["warm_up"]["datajson"]
    rows.append([n, ("first /data.json right after the server starts (after the other "
                     "first reads; the server encodes every object at its start, in a thread)"
                     f", {start[0]:.2f} s"), f"{speed(start):.1f} MB/s",
                 f"warm {speed(warm):.1f} MB/s", fmt_ratio(start[0] / warm[0]), "—", "—"])
    return not ok


def _replace_rows(ctx: Context, size: int, largest: dict, nt: Path, store_dir: Path,
                  rows: list[list[str]]) -> None:
    """Rows of the largest source graph replaced in the loaded store, by the store layer
    and by the change path."""
    n, graph = f"{size:,}", largest["graph"]
    layer = ctx.measure("replace", "bench.bench_changes:replace_graph", store_dir, nt, graph,
                        repeat=1)
    path = ctx.measure("replace via change path", "bench.bench_changes:replace_via_change_path",
                       store_dir, nt, graph, repeat=1)
    bulk = ctx.measure("bulk", "bench.bench_harvest:bulk_load", nt,
                       scratch=f"changes-largest-bulk-{size}", repeat=1)
    name = graph.rsplit("/", 1)[-1]
    for label, m in (("store layer", layer), ("change path, views included", path)):
        rows.append([n, (f"replace_graph of the largest source graph ({name}, "
                         f"{largest['quads']:,} quads), {label}"), fmt_seconds(m.seconds),
                     f"bulk_load {fmt_seconds(bulk.seconds)}",
                     fmt_ratio(m.seconds / bulk.seconds), "—", f"{m.peak_mb:.0f}"])
