"""Memory (issue 14): a server's memory over 100 re-harvest cycles, and what made it grow.

Per size, each step in its own process (bench/harness.py):

- **re-harvest cycles through a real server**: the generated region (a private copy)
  loaded into a disk store (`bench_changes.load_region`), then `regiongraph serve` on
  loopback; every route asked once (warm-up), then `MEMORY_CYCLES` cycles (default 100)
  of: retitle 1% of the records (a new title each cycle), `POST /harvest/{source}`, and
  the first anonymous `/sparql`, `/search` and `/catalog` after it (the public view and
  the catalog index follow the change). The server's RSS is read after every cycle, split
  into anonymous memory (heaps: RocksDB's memtables, pyoxigraph's memory stores, Python)
  and file-backed pages (mmapped index files). Goal: after the last cycle within 10% of
  after the first.
- **probes**, each cause in isolation in a bare interpreter (no server, no region):
  pyoxigraph's memory store with quads removed and new ones added every cycle (does it
  keep removed quads?); a disk store (RocksDB) rewriting 10% of a graph's literals every
  cycle, without and with `flush()` after each; a 300k-quad memory view copied into a fresh
  store and the old one dropped every cycle, without and with glibc's `malloc_trim(0)`;
  a disk store read whole, opened afresh, again and again, then closed (RocksDB's read
  side: caches and table readers that pyoxigraph does not let us size).
  `MEMORY_PROBES=0` skips them, `MEMORY_PROBES=only` runs them alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.bench_changes import (
    READS,
    TOKEN,
    _edits,
    _read,
    _retitle,
    _start_server,
    _stop_server,
    _timed,
)
from bench.harness import Context, Section, measure

TITLE = "Memory: server RSS over re-harvest cycles, and each native cause in isolation"
GOAL_MEMORY = 0.10
MARKS = (1, 2, 5, 10, 20, 50, 100, 200)


def cycles() -> int:
    return int(os.environ.get("MEMORY_CYCLES") or 100)


def _rss_parts(pid: int | str = "self") -> dict:
    """RSS and its anonymous and file-backed parts, in MB (/proc/PID/status)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss": fields["VmRSS"], "anon": fields.get("RssAnon", 0.0),
            "file": fields.get("RssFile", 0.0)}


def _trim() -> None:
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)


# --- server cycles ------------------------------------------------------------------------


def serve_memory(region: str, store_dir: str, size: int, count: int) -> dict:
    """The server, warmed once; then `count` cycles of edit → harvest → first reads, the
    server's memory after each."""
    import httpx

    edits = _edits(Path(region), size)
    process, url = _start_server(store_dir, region)
    admin = {"Authorization": f"Bearer {TOKEN}"}
    rows: list[dict] = []
    try:
        with httpx.Client(timeout=600) as client:
            for name in READS:
                _read(client, url, name)
            start = _rss_parts(process.pid)
            for cycle in range(1, count + 1):
                changed = _retitle(edits, cycle)
                harvest = 0.0
                for source in sorted({e["source"] for e in edits}):
                    harvest += _timed(client, "POST", f"{url}/harvest/{source}",
                                      headers=admin)[0]
                reads = sum(_read(client, url, name) for name in READS)
                rows.append({"cycle": cycle, "changed": changed, "harvest": harvest,
                             "reads": reads, **_rss_parts(process.pid)})
    finally:
        _stop_server(process)
    return {"start": start, "cycles": rows}


# --- probes: one cause each, in a bare interpreter ------------------------------------------


def _titles(count: int, revision: int, graph=None):
    from pyoxigraph import Literal, NamedNode, Quad

    graph = graph or NamedNode("https://bench.example/g")
    return [Quad(NamedNode(f"https://bench.example/s/{i}"), NamedNode("https://bench.example/title"),
                 Literal(f"title {i} revision {revision}"), graph) for i in range(count)]


def _marks(count: int) -> list[int]:
    return [m for m in MARKS if m <= count] + ([count] if count not in MARKS else [])


def probe_memory_store(count: int, quads: int) -> dict:
    """pyoxigraph's memory store: every cycle removes its `quads` quads and adds as many
    new ones (new titles); its length stays `quads`. RSS after the marks, trimmed."""
    from pyoxigraph import Store

    store = Store()
    store.extend(_titles(quads, 0))
    rss = {0: _rss_parts()["rss"]}
    for cycle in range(1, count + 1):
        for quad in _titles(quads, cycle - 1):
            store.remove(quad)
        store.extend(_titles(quads, cycle))
        if cycle in _marks(count):
            _trim()
            rss[cycle] = _rss_parts()["rss"]
    return {"rss": rss, "length": len(store)}


def probe_rocksdb(count: int, quads: int, flush: bool) -> dict:
    """A disk store of `quads` quads; every cycle one update rewrites the titles of 10% of
    them (DELETE DATA; INSERT DATA), then `flush()` if asked. RSS after the marks."""
    from pyoxigraph import Store

    with tempfile.TemporaryDirectory(prefix="rg-bench-rocks-") as path:
        store = Store(path)
        store.bulk_extend(_titles(quads, 0))
        rss = {0: _rss_parts()["rss"]}
        changed = quads // 10

        def data(revision: int) -> str:
            return " ".join(f"{q.subject} {q.predicate} {q.object} ."
                            for q in _titles(changed, revision))

        for cycle in range(1, count + 1):
            store.update(f"DELETE DATA {{ GRAPH <https://bench.example/g> {{ {data(cycle - 1)} }} }}"
                         f" ; INSERT DATA {{ GRAPH <https://bench.example/g> {{ {data(cycle)} }} }}")
            if flush:
                store.flush()
            if cycle in _marks(count):
                rss[cycle] = _rss_parts()["rss"]
        length = len(store)
        del store
    return {"rss": rss, "length": length}


def probe_dropped_views(count: int, quads: int, trim: bool) -> dict:
    """A memory view of `quads` quads copied into a fresh store every cycle (what the
    public view does when its garbage passes its size), the old one dropped; glibc's
    `malloc_trim(0)` after each if asked. RSS after the marks."""
    from pyoxigraph import NamedNode, Store

    graphs = [NamedNode(f"https://bench.example/g{i}") for i in range(50)]

    def source(revision: int) -> Store:
        store = Store()
        store.bulk_extend(q for g in graphs for q in _titles(quads // len(graphs), revision, g))
        return store

    view = source(0)
    rss = {0: _rss_parts()["rss"]}
    for cycle in range(1, count + 1):
        fresh = Store()
        fresh.bulk_extend(source(cycle))
        view = fresh
        if trim:
            _trim()
        if cycle in _marks(count):
            rss[cycle] = _rss_parts()["rss"]
    return {"rss": rss, "length": len(view)}


def probe_read_side(count: int, quads: int) -> dict:
    """A disk store of `quads` quads (a title each of `quads // 4` subjects and three
    links), opened afresh; every cycle reads all of it once (SPARQL, every subject's
    IRI decoded), trimmed. Then the store is closed. RSS after the marks, and closed."""
    from pyoxigraph import Literal, NamedNode, Quad, Store

    def rows():
        graph = NamedNode("https://bench.example/g")
        for i in range(quads // 4):
            subject = NamedNode(f"https://bench.example/dataset/{i}")
            yield Quad(subject, NamedNode("https://bench.example/title"),
                       Literal(f"A dataset title number {i}"), graph)
            for k in range(3):
                yield Quad(subject, NamedNode(f"https://bench.example/link{k}"),
                           NamedNode(f"https://bench.example/node/{i}/{k}"), graph)

    with tempfile.TemporaryDirectory(prefix="rg-bench-read-") as path:
        store = Store(path)
        store.bulk_extend(rows())
        del store
        store = Store(path)
        _trim()
        rss = {0: _rss_parts()["rss"]}
        for cycle in range(1, count + 1):
            read = sum(1 for _ in store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }"))
            _trim()
            if cycle in _marks(count):
                rss[cycle] = _rss_parts()["rss"]
        del store
        _trim()
        closed = _rss_parts()["rss"]
    return {"rss": rss, "length": read, "closed": closed}


# --- the section ----------------------------------------------------------------------------


def _growth(rss: dict) -> str:
    first, last = rss[min(k for k in rss if k > 0)], rss[max(rss)]
    return f"{last / first - 1:+.1%}"


def _marks_text(rss: dict) -> str:
    return ", ".join(f"{k}: {v:.0f}" for k, v in sorted(rss.items()))


def _probe_rows(rows: list[list[str]]) -> None:
    probes = [
        ("memory store: remove 1k quads, add 1k new, 1,000 cycles",
         "bench.bench_memory:probe_memory_store", (1000, 1000)),
        ("disk store: rewrite 5k of 50k quads, 50 cycles, no flush",
         "bench.bench_memory:probe_rocksdb", (50, 50_000, False)),
        ("disk store: the same, flush() after each",
         "bench.bench_memory:probe_rocksdb", (50, 50_000, True)),
        ("100k-quad memory view copied and dropped, 10 cycles, no trim",
         "bench.bench_memory:probe_dropped_views", (10, 100_000, False)),
        ("the same, malloc_trim(0) after each",
         "bench.bench_memory:probe_dropped_views", (10, 100_000, True)),
        ("disk store of 700k quads opened afresh: read whole, 10 cycles, trimmed; then closed",
         "bench.bench_memory:probe_read_side", (10, 700_000)),
    ]
    for label, target, args in probes:
        m = measure(label, target, *args)
        rss = {int(k): v for k, v in m.result["rss"].items()}
        closed = f"; closed: {m.result['closed']:.0f}" if "closed" in m.result else ""
        rows.append(["probe", label, f"{m.seconds:.1f}", _marks_text(rss) + closed,
                     _growth(rss), "—", f"{m.peak_mb:.0f}"])


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes: list[str] = []
    section = Section(area="memory", title=TITLE, command=ctx.command,
                      headers=["datasets", "step", "seconds", "RSS MB after cycle",
                               "growth after cycle 1", "goal", "peak MB"],
                      rows=rows, notes=notes)
    count = cycles()
    probes = os.environ.get("MEMORY_PROBES", "1")  # 0: the server alone; only: the probes
    for size in ctx.sizes if probes != "only" else []:
        n = f"{size:,}"
        region = ctx.scratch(f"memory-region-{size}")
        shutil.copytree(ctx.region(size), region, dirs_exist_ok=True)
        store_dir = ctx.scratch(f"memory-store-{size}")
        ctx.log(f"memory {size}: load the region")
        measure("load", "bench.bench_changes:load_region", region, store_dir)
        ctx.log(f"memory {size}: {count} re-harvest cycles through the server")
        started = time.perf_counter()
        served = measure("cycles", "bench.bench_memory:serve_memory", region, store_dir, size,
                         count, timeout=6 * 3600).result
        seconds = time.perf_counter() - started
        cycles_run = served["cycles"]
        first, last = cycles_run[0], cycles_run[-1]
        growth = last["rss"] / first["rss"] - 1
        marks = {c["cycle"]: c["rss"] for c in cycles_run if c["cycle"] in _marks(count)}
        rows.append([n, (f"server, {len(cycles_run)} cycles of a 1% re-harvest "
                         f"({first['changed']:,} records) + first /sparql, /search, /catalog"),
                     f"{seconds:.0f}", _marks_text(marks), f"{growth:+.1%}",
                     f"≤ +{GOAL_MEMORY:.0%} {'met' if growth <= GOAL_MEMORY else 'MISSED'}",
                     f"{max(c['rss'] for c in cycles_run):.0f}"])
        parts = ", ".join(f"{k}: anon {c['anon']:.0f} + file {c['file']:.0f}"
                          for c in cycles_run if c["cycle"] in _marks(count)
                          for k in [c["cycle"]])
        notes.append(f"{n}: server after warm-up {served['start']['rss']:.0f} MB (anon "
                     f"{served['start']['anon']:.0f} + file {served['start']['file']:.0f}); "
                     f"by cycle, anonymous + file-backed MB: {parts}. Harvest request: "
                     f"first {first['harvest']:.2f} s, last {last['harvest']:.2f} s; the "
                     f"three first reads: first {first['reads']:.2f} s, last "
                     f"{last['reads']:.2f} s.")
    if probes == "0":
        return section
    ctx.log("memory: probes")
    _probe_rows(rows)
    notes.append("Probe rows: 'seconds' is the probe's wall time; RSS after cycle 0 is "
                 "before the first cycle; the memory-store probe trims before each reading, "
                 "so what it shows is held, not freed-but-cached.")
    return section
