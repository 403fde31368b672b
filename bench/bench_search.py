"""Search (issue 9): the tantivy index against SPARQL text filters, on the generated region.

Steps, each in its own process (bench/harness.py), on one store per size:

- **store**: the generated region loaded as `regiongraph` loads it (bench_load's
  `harvest_region`: ontology and registry through the pipeline, catalogs harvested);
  not reported here, bench_load measures it.
- **rebuild**: `regiongraph.search.rebuild` — every dataset, project, standard and
  community read from the store and indexed; the index's size on disk afterwards.
- **queries**: the same 20 searches, each with a facet filter, answered (a) by the index
  with counts for every facet, repeated 5 times, and (b) as SPARQL on the embedded store:
  `CONTAINS(LCASE(...))` (10 of them) or `REGEX(..., "i")` (the other 10) over title,
  description and keywords, plus one GROUP BY for the community facet's counts — what a
  search page needs from each. p50 and p99 per side. Both see every record (the index
  with `include_private`), so visibility filtering costs neither side anything.
- **1% update**: 1% of the datasets get a new title in one community's catalog (the
  real case: one member's portal changed), the source is harvested again (not timed),
  and `regiongraph.search.update` — the after-change hook — brings the index in step
  (timed), against the full rebuild.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

from bench.harness import Context, Section, measure

TITLE = "Search (issue 9)"
GOAL_SPEEDUP = 100
GOAL_UPDATE = 0.05
REPEAT = 5
SPARQL_TIMEOUT = 120.0
"""Seconds one SPARQL search may run (child process included) before it is stopped."""

# (words, facet, value): value None = the first community of the region
SEARCHES: list[tuple[str, str, str | None]] = [
    ("air quality", "community", None),
    ("violations", "format", "CSV"),
    ("diversion", "theme", "recycling"),
    ("transit", "community", None),
    ("parking", "format", "GEOJSON"),
    ("streetlight outages", "theme", "street-lighting"),
    ("shelter", "format", "CSV"),
    ("crashes", "theme", "pedestrian-safety"),
    ("water meters", "community", None),
    ("graffiti", "format", "CSV"),
    ("permits", "theme", "permitting"),
    ("scooters", "community", None),
    ("tree canopy", "format", "GEOJSON"),
    ("police", "theme", "public-safety"),
    ("groundwater", "community", None),
    ("recycling", "format", "XLSX"),
    ("traffic counts", "theme", "transportation"),
    ("service requests", "community", None),
    ("heat", "theme", "environment"),
    ("sidewalks", "format", "GEOJSON"),
]


def _settings(store_dir: str, index_dir: str):
    from regiongraph.settings import Settings

    return Settings(store=store_dir, index=index_dir)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- child steps ------------------------------------------------------------------------


def rebuild_index(store_dir: str, index_dir: str) -> dict:
    from regiongraph.search import rebuild
    from regiongraph.store import open_store

    settings = _settings(store_dir, index_dir)
    store = open_store(settings)
    start = time.perf_counter()
    report = rebuild(store, settings)
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "records": report.written, "bytes": _size(Path(index_dir))}


def _first_community(store) -> str:
    from regiongraph.namespaces import DCAT, RG

    rows = store.query(f"SELECT ?c (COUNT(?d) AS ?n) WHERE {{ ?d a <{DCAT.Dataset.value}> ; "
                       f"<{RG.community.value}> ?c }} GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 1",
                       union_default_graph=True)
    return next(iter(rows))["c"].value


def index_queries(store_dir: str, index_dir: str) -> dict:
    from regiongraph.search import open_index
    from regiongraph.search.records import short_key
    from regiongraph.store import open_store

    settings = _settings(store_dir, index_dir)
    store = open_store(settings)
    community = short_key(_first_community(store))
    index = open_index(store, settings)
    index.search("warm up", include_private=True)
    samples: list[float] = []
    counts: list[int] = []
    for round_ in range(REPEAT):
        for words, facet, value in SEARCHES:
            start = time.perf_counter()
            result = index.search(words, filters={facet: [value or community]},
                                  include_private=True, rows=20)
            samples.append(time.perf_counter() - start)
            if round_ == 0:
                counts.append(result.count)
    store.close()
    return {"samples": samples, "counts": counts}


EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FORMAT_TERMS = {"CSV": '"CSV"', "GEOJSON": '"GeoJSON"', "XLSX": '"XLSX"'}
"""How the generated catalogs spell each format: a literal (data.json) or an EU file-type
IRI (DCAT Turtle). SPARQL gets both spellings as VALUES, its fastest form."""
FACET_PATTERNS = {
    "community": "?d rg:community ?facet .",
    "format": "?d dcat:distribution ?dist . ?dist dct:format ?fmt . VALUES ?fmt {{ {terms} }}",
    "theme": "?d dcat:theme ?facet .",
}


def sparql_query(store_dir: str, number: int) -> dict:
    """One of SEARCHES as SPARQL: the 20 hits and the community facet's counts."""
    from pyoxigraph import Literal, NamedNode, Variable

    from regiongraph.namespaces import RGC, sparql_prefixes
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    store = open_store(Settings(store=store_dir))
    community = _first_community(store)
    words, facet, value = SEARCHES[number]
    needle = words.lower()
    if number % 2 == 0:
        test = ("CONTAINS(LCASE(?title), ?q) || CONTAINS(LCASE(?desc), ?q) || "
                "EXISTS { ?d dcat:keyword ?k FILTER(CONTAINS(LCASE(?k), ?q)) }")
    else:
        test = ('REGEX(?title, ?q, "i") || REGEX(?desc, ?q, "i") || '
                'EXISTS { ?d dcat:keyword ?k FILTER(REGEX(?k, ?q, "i")) }')
    if facet == "community":
        bound = NamedNode(community)
    elif facet == "theme":
        bound = NamedNode(f"{RGC}domain/{value}")
    else:
        bound = Literal(value)
    pattern = FACET_PATTERNS[facet]
    if facet == "format":
        pattern = pattern.format(terms=f"{FORMAT_TERMS[value]} <{EU_FILE_TYPE}{value}>")
    where = (f"?d a dcat:Dataset ; dct:title ?title . {pattern} "
             f"OPTIONAL {{ ?d dct:description ?d0 }} BIND(COALESCE(?d0, \"\") AS ?desc) "
             f"FILTER({test})")
    hits = sparql_prefixes() + (f"SELECT DISTINCT ?d ?title ?q ?facet WHERE {{ {where} }} "
                                "ORDER BY ?title LIMIT 20")
    facets = sparql_prefixes() + (
        f"SELECT ?c (COUNT(DISTINCT ?d) AS ?n) ?q ?facet WHERE {{ {where} "
        f"?d rg:community ?c }} GROUP BY ?c ?q ?facet")
    bindings = {Variable("q"): Literal(needle), Variable("facet"): bound}
    start = time.perf_counter()
    rows = list(store.query(hits, substitutions=bindings, union_default_graph=True))
    groups = list(store.query(facets, substitutions=bindings, union_default_graph=True))
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "hits": len(rows),
            "count": sum(int(g["n"].value) for g in groups)}


def sparql_queries(store_dir: str, timeout: float) -> dict:
    """Each SPARQL search in its own process, stopped after `timeout` seconds: a stopped
    one counts as `timeout` (so the speed-up reported is then a lower bound)."""
    import subprocess

    samples: list[float] = []
    counts: list[int | None] = []
    stopped = 0
    for number in range(len(SEARCHES)):
        try:
            step = measure(f"sparql {number}", "bench.bench_search:sparql_query", store_dir,
                           number, timeout=timeout)
        except subprocess.TimeoutExpired:
            samples.append(timeout)
            counts.append(None)
            stopped += 1
            continue
        samples.append(step.seconds)
        counts.append(step.result["count"])
    return {"samples": samples, "counts": counts, "stopped": stopped}


def update_one_percent(store_dir: str, index_dir: str, region: str, scratch: str,
                       total: int) -> dict:
    """Edit 1% of all datasets in the largest data.json catalog, harvest it again (not
    timed), then time the index update the after-change hook runs."""
    from pyoxigraph import NamedNode

    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.search import open_index, update
    from regiongraph.store import open_store

    manifest = json.loads((Path(region) / "region.json").read_text(encoding="utf-8"))
    candidates = [c for c in manifest["communities"] if c["format"] == "dcat-us-1.1"]
    target = max(candidates, key=lambda c: c["datasets"])
    copy = Path(scratch) / "data.json"
    shutil.copyfile(Path(region) / target["file"], copy)
    settings = _settings(store_dir, index_dir)
    store = open_store(settings)
    source = one_source(str(copy), type="datajson", community=target["id"],
                        source_id=target["id"])
    # The same file at a new path: harvest it once unchanged so only the edit differs.
    harvest_source(store, settings, source)
    first = update(store, settings, [NamedNode(harvest_graph(settings, target["id"]))])
    document = json.loads(copy.read_text(encoding="utf-8"))
    wanted = max(1, total // 100)
    edited = min(wanted, len(document["dataset"]))
    for number, dataset in enumerate(document["dataset"][:edited]):
        dataset["title"] = f"Renamed benchmark dataset {number}"
    copy.write_text(json.dumps(document), encoding="utf-8")
    report = harvest_source(store, settings, source)
    changed = [NamedNode(g) for g in report.written_graphs]
    start = time.perf_counter()
    result = update(store, settings, changed)
    seconds = time.perf_counter() - start
    found = open_index(store, settings).search('"renamed benchmark dataset"',
                                               include_private=True, rows=1).count
    size = _size(Path(index_dir))
    store.close()
    return {"seconds": seconds, "edited": edited, "wanted": wanted,
            "candidates": result.candidates, "written": result.written, "found": found,
            "settle_written": first.written, "bytes": size}


def harvest_graph(settings, source_id: str) -> str:
    from regiongraph.iri import Minter

    return Minter(settings.base).graph("source", source_id).value


# --- the module ---------------------------------------------------------------------------


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def measure_size(log, size: int, region: Path, store_dir: Path, index_dir: Path,
                 edit_dir: Path, sparql_timeout: float = SPARQL_TIMEOUT
                 ) -> tuple[list[str], list[str]]:
    """Every step but the load, on a store holding the region of `size` datasets; returns
    the table row and the notes. SPARQL runs last: it is the slow part at 100k."""
    log(f"search {size}: full rebuild")
    built = measure("rebuild", "bench.bench_search:rebuild_index", store_dir, index_dir)
    log(f"search {size}: index queries")
    tantivy = measure("index queries", "bench.bench_search:index_queries",
                      store_dir, index_dir)
    log(f"search {size}: 1% update")
    updated = measure("1% update", "bench.bench_search:update_one_percent", store_dir,
                      index_dir, region, edit_dir, size)
    log(f"search {size}: SPARQL queries")
    sparql_result = sparql_queries(str(store_dir), sparql_timeout)
    return summarize(size, built.seconds, built.result, tantivy.result, updated.seconds,
                     updated.result, sparql_result, sparql_timeout)


def summarize(size: int, rebuild_seconds: float, built: dict, tantivy: dict,
              update_seconds: float, updated: dict, sparql: dict, sparql_timeout: float
              ) -> tuple[list[str], list[str]]:
    """The table row and notes from the steps' raw results."""
    t50, t99 = _pct(tantivy["samples"], 50), _pct(tantivy["samples"], 99)
    s50, s99 = _pct(sparql["samples"], 50), _pct(sparql["samples"], 99)
    share = update_seconds / rebuild_seconds
    row = [
        f"{size:,}", f"{built['records']:,}", f"{rebuild_seconds:.2f}",
        f"{built['bytes'] / 1e6:.1f}",
        f"{t50 * 1000:.2f} / {t99 * 1000:.2f}", f"{s50 * 1000:.0f} / {s99 * 1000:.0f}",
        f"{s50 / t50:,.0f}× / {s99 / t99:,.0f}×",
        (f"{updated['edited']:,}: {update_seconds:.2f} s "
         f"({updated['candidates']:,} re-read)"),
        f"{share * 100:.1f} %",
    ]
    speed_ok = s50 / t50 >= GOAL_SPEEDUP
    notes = [
        (f"{size:,}: index p50 {s50 / t50:,.0f}× faster than SPARQL "
        f"({'meets' if speed_ok else 'misses'} the {GOAL_SPEEDUP}× goal); a 1% update "
        f"costs {share * 100:.1f} % of a rebuild "
        f"({'meets' if share <= GOAL_UPDATE else 'misses'} the 5 % goal); "
        f"{updated['found']} renamed datasets found after the update."),
    ]
    matched = list(zip(tantivy["counts"], sparql["counts"], strict=True))
    notes.append(
        f"{size:,}: matches per search, index vs SPARQL substring: "
        + ", ".join(f"{a}/{'—' if b is None else b}" for a, b in matched)
        + " (the index stems, tolerates one typo and reads concept labels; "
          "substring filters match inside words)")
    if sparql["stopped"]:
        notes.append(f"{size:,}: {sparql['stopped']} of {len(SEARCHES)} SPARQL "
                     f"searches were stopped after {sparql_timeout:.0f} s and count as "
                     f"{sparql_timeout:.0f} s: the SPARQL times and speed-ups are lower "
                     "bounds.")
    if updated["edited"] < updated["wanted"]:
        notes.append(f"{size:,}: the largest catalog holds only "
                     f"{updated['edited']} datasets, fewer than 1 %.")
    return row, notes


HEADERS = ["datasets", "records", "rebuild s", "index MB", "index p50 / p99 ms",
           "SPARQL p50 / p99 ms", "speed-up p50 / p99", "1% update", "update ÷ rebuild"]
METHOD = ("Index queries: 20 searches × 5 rounds, each with one facet filter and the counts "
          "of all 10 facets; SPARQL: the same 20 once each, hits (LIMIT 20) plus the "
          "community facet's counts, half CONTAINS(LCASE()), half REGEX(, \"i\").")


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes: list[str] = []
    for size in ctx.sizes:
        region = ctx.region(size)
        store_dir = ctx.scratch(f"search-{size}-store")
        ctx.log(f"search {size}: loading the store")
        measure("load", "bench.bench_load:harvest_region", region, store_dir)
        row, more = measure_size(ctx.log, size, region, store_dir,
                                 ctx.scratch(f"search-{size}-index"),
                                 ctx.scratch(f"search-{size}-edit"))
        rows.append(row)
        notes += more
    notes.append(METHOD)
    return Section(area="search", title=TITLE, command=ctx.command, headers=HEADERS,
                   rows=rows, notes=notes)
