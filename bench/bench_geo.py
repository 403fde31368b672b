"""Search by area and GeoSPARQL (issue 19), on the generated region (every dataset has a
bounding box inside its community's cell of a grid, `regiongraph.generate.synthetic`).

Steps, each in its own process (bench/harness.py), on one store per size:

- **store**: the generated region loaded as `regiongraph` loads it (bench_load's
  `harvest_region`); not reported here.
- **rebuild**: `GeoIndex.rebuild` — every dataset's coverage read from the store, parsed
  with shapely, and an STRtree built.
- **bbox searches**: 20 boxes (small, medium and large, spread over the region), each the
  whole search an anonymous `/search?bbox=` runs: `search_area` (the STRtree and the
  overlaps) and `SearchIndex.search` (the page of 20 ranked by overlap, with the counts of
  every facet); 5 rounds, p50 and p99.
- **1% update**: 1% of the datasets get a moved bounding box in the largest data.json
  catalog, the source is harvested again (not timed) and the view's follow step
  (`GeoIndex.follow` on the changed graph and the records the harvest journals as changed)
  is timed, against a rebuild on the same store.
  The followed index is then checked against a fresh rebuild on 20 areas.
- **GeoSPARQL vs index**: a project gets a corridor-shaped area (through the change path);
  the named query `datasets-covering-project-area` (`geof:sfIntersects` in pyoxigraph,
  evaluated by shapely) against the same question to the index: the datasets whose
  coverage meets the project's area (`GeoIndex.overlaps`). 5 rounds each, p50; the two
  answers must be the same set.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import time
from pathlib import Path

from bench.harness import Context, Section, measure

TITLE = "Search by area and GeoSPARQL (issue 19)"
GOAL_SEARCH_MS = 50.0
GOAL_UPDATE = 0.05
GOAL_SPARQL = 2.0
REPEAT = 5
CORRIDOR = ("LINESTRING(-114.2 31.8, -112.5 33.2, -111.2 33.6, -109.8 35.9)", 0.08)
"""The project's area: a line across the region, buffered by this many degrees."""


def _settings(store_dir: str, index_dir: str | None = None):
    from regiongraph.settings import Settings

    return Settings(store=store_dir, index=index_dir or "memory")


def _boxes() -> list[str]:
    from regiongraph.generate.synthetic import REGION_BOX

    rng = random.Random(19)
    west, south, east, north = REGION_BOX
    boxes = []
    for size in [0.1] * 7 + [0.5] * 7 + [1.5] * 6:
        x, y = rng.uniform(west, east - size), rng.uniform(south, north - size)
        boxes.append(f"{x:.3f},{y:.3f},{x + size:.3f},{y + size:.3f}")
    return boxes


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


# --- child steps ------------------------------------------------------------------------


def rebuild(store_dir: str) -> dict:
    from regiongraph.geo.index import GeoIndex
    from regiongraph.store import open_store

    settings = _settings(store_dir)
    store = open_store(settings)
    index = GeoIndex()
    start = time.perf_counter()
    held = index.rebuild(store, settings)
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "coverages": held, "skipped": len(index.skipped)}


def bbox_searches(store_dir: str, index_dir: str) -> dict:
    from regiongraph.geo.index import geo_index, search_area
    from regiongraph.search import index_for
    from regiongraph.store import open_store

    settings = _settings(store_dir, index_dir)
    store = open_store(settings)
    index = index_for(store, settings)  # built here if needed: not timed
    geo_index(store, settings)
    samples, counts = [], []
    for _ in range(REPEAT):
        for box in _boxes():
            start = time.perf_counter()
            area = search_area(store, settings, bbox=box)
            result = index.search(None, area=area, rows=20)
            samples.append(time.perf_counter() - start)
            counts.append(result.count)
    store.close()
    return {"samples": samples, "counts": counts[:len(_boxes())]}


def update_one_percent(store_dir: str, region: str, scratch: str, total: int) -> dict:
    """Move the box of 1% of all datasets in the largest data.json catalog, harvest it
    again (not timed), then time the follow step against a rebuild."""
    from regiongraph.geo.functions import read_bbox
    from regiongraph.geo.index import GeoIndex
    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.store import open_store

    manifest = json.loads((Path(region) / "region.json").read_text(encoding="utf-8"))
    candidates = [c for c in manifest["communities"] if c["format"] == "dcat-us-1.1"]
    target = max(candidates, key=lambda c: c["datasets"])
    copy = Path(scratch) / "data.json"
    shutil.copyfile(Path(region) / target["file"], copy)
    settings = _settings(store_dir)
    store = open_store(settings)
    source = one_source(str(copy), type="datajson", community=target["id"],
                        source_id=target["id"])
    harvest_source(store, settings, source)  # the same file at a new path: settle first
    followed = GeoIndex()
    followed.rebuild(store, settings)
    document = json.loads(copy.read_text(encoding="utf-8"))
    wanted = max(1, total // 100)
    edited = min(wanted, len(document["dataset"]))
    for dataset in document["dataset"][:edited]:
        w, s, e, n = (float(v) for v in dataset["spatial"].split(","))
        dataset["spatial"] = f"{w + 0.01:.4f},{s + 0.01:.4f},{e + 0.01:.4f},{n + 0.01:.4f}"
    copy.write_text(json.dumps(document), encoding="utf-8")
    report = harvest_source(store, settings, source)
    start = time.perf_counter()
    # what the journal carries for this harvest (pipeline.harvest passes it as subjects)
    moved = followed.follow(store, settings, list(report.written_graphs),
                            subjects=report.changed_subjects)
    seconds = time.perf_counter() - start
    fresh = GeoIndex()
    start = time.perf_counter()
    fresh.rebuild(store, settings)
    rebuild_seconds = time.perf_counter() - start
    same = all(followed.overlaps(read_bbox(box)) == fresh.overlaps(read_bbox(box))
               for box in _boxes())
    store.close()
    return {"seconds": seconds, "follow": seconds, "rebuild": rebuild_seconds, "edited": edited,
            "wanted": wanted, "moved": moved, "same": same}


def sparql_vs_index(store_dir: str) -> dict:
    import shapely
    from pyoxigraph import Literal, NamedNode, Quad

    from regiongraph.change import apply_change
    from regiongraph.geo.functions import read_geometry
    from regiongraph.geo.index import geo_index
    from regiongraph.iri import Minter
    from regiongraph.namespaces import RDF, RG
    from regiongraph.sparql.library import get_query
    from regiongraph.store import open_store

    settings = _settings(store_dir)
    store = open_store(settings)
    minter = Minter(settings.base)
    line, width = CORRIDOR
    wkt = shapely.from_wkt(line).buffer(width).wkt
    project = minter.iri("project", "bench-corridor")
    area = NamedNode(project.value + "/area")
    graph = minter.graph("source", "bench-corridor")
    geo = "http://www.opengis.net/ont/geosparql#"

    def write():
        store.replace_graph(graph, [
            Quad(project, RDF.type, RG.Project, graph),
            Quad(project, NamedNode(geo + "hasGeometry"), area, graph),
            Quad(area, NamedNode(geo + "asWKT"),
                 Literal(wkt, datatype=NamedNode(geo + "wktLiteral")), graph)])
        return [graph.value]

    apply_change(store, settings, "bench", write)
    query = get_query("datasets-covering-project-area")
    bound = query.bind({"project": "bench-corridor"}, minter)
    index = geo_index(store, settings)  # built here: not timed
    shape = read_geometry(wkt)
    sparql, ours = [], []
    for _ in range(REPEAT):
        start = time.perf_counter()
        rows = store.query(query.text, substitutions=bound, union_default_graph=True)
        by_sparql = {row["dataset"].value for row in rows}
        sparql.append(time.perf_counter() - start)
        start = time.perf_counter()
        by_index = set(index.overlaps(shape))
        ours.append(time.perf_counter() - start)
    store.close()
    return {"sparql": sparql, "index": ours, "found": len(by_sparql),
            "same": by_sparql == by_index}


# --- the module ---------------------------------------------------------------------------


def measure_size(log, size: int, region: Path, store_dir: Path, index_dir: Path,
                 edit_dir: Path) -> tuple[list[str], list[str]]:
    log(f"geo {size}: rebuild")
    built = measure("rebuild", "bench.bench_geo:rebuild", store_dir)
    log(f"geo {size}: bbox searches")
    searched = measure("bbox searches", "bench.bench_geo:bbox_searches", store_dir, index_dir)
    log(f"geo {size}: 1% update")
    updated = measure("1% update", "bench.bench_geo:update_one_percent", store_dir, region,
                      edit_dir, size)
    log(f"geo {size}: GeoSPARQL vs index")
    compared = measure("GeoSPARQL", "bench.bench_geo:sparql_vs_index", store_dir)
    return summarize(size, built, searched.result, updated.result, compared.result)


def summarize(size: int, built, searched: dict, updated: dict, compared: dict
              ) -> tuple[list[str], list[str]]:
    s50, s99 = _pct(searched["samples"], 50), _pct(searched["samples"], 99)
    share = updated["follow"] / updated["rebuild"]
    q50, i50 = _pct(compared["sparql"], 50), _pct(compared["index"], 50)
    row = [
        f"{size:,}", f"{built.result['coverages']:,}", f"{built.seconds:.2f}",
        f"{s50 * 1000:.1f} / {s99 * 1000:.1f}",
        f"{updated['edited']:,}: {updated['follow'] * 1000:.0f} ms",
        f"{share * 100:.1f} %",
        f"{q50 * 1000:.1f} / {i50 * 1000:.1f}", f"{q50 / i50:.1f}×",
    ]
    notes = [
        (f"{size:,}: bbox search p50 {s50 * 1000:.1f} ms "
        f"({'meets' if s50 * 1000 <= GOAL_SEARCH_MS else 'misses'} the "
        f"{GOAL_SEARCH_MS:.0f} ms goal); a 1% update costs {share * 100:.1f} % of a rebuild "
        f"({'meets' if share <= GOAL_UPDATE else 'misses'} the 5 % goal; "
        f"{updated['moved']:,} coverages moved, the followed index "
        f"{'equals' if updated['same'] else 'DIFFERS FROM'} a rebuild); GeoSPARQL takes "
        f"{q50 / i50:.1f}× the index's time "
        f"({'meets' if q50 / i50 <= GOAL_SPARQL else 'misses'} the {GOAL_SPARQL:.0f}× goal; "
        f"{compared['found']:,} datasets, "
        f"{'the same set' if compared['same'] else 'DIFFERENT SETS'} both ways)."),
        f"{size:,}: matches per box: " + ", ".join(f"{c:,}" for c in searched["counts"]),
    ]
    return row, notes


HEADERS = ["datasets", "coverages", "rebuild s", "bbox search p50 / p99 ms", "1% update",
           "update ÷ rebuild", "GeoSPARQL / index p50 ms", "GeoSPARQL ÷ index"]
METHOD = ("bbox searches: 20 boxes (7 of 0.1°, 7 of 0.5°, 6 of 1.5°) × 5 rounds, anonymous, "
          "a page of 20 ranked by overlap with every facet's counts. GeoSPARQL: the named "
          "query datasets-covering-project-area for a corridor 0.16° wide across the region, "
          "against GeoIndex.overlaps of the same area.")


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes: list[str] = []
    for size in ctx.sizes:
        region = ctx.region(size)
        store_dir = ctx.scratch(f"geo-{size}-store")
        ctx.log(f"geo {size}: loading the store")
        measure("load", "bench.bench_load:harvest_region", region, store_dir)
        row, more = measure_size(ctx.log, size, region, store_dir,
                                 ctx.scratch(f"geo-{size}-index"),
                                 ctx.scratch(f"geo-{size}-edit"))
        rows.append(row)
        notes += more
    notes.append(METHOD)
    return Section(area="geo", title=TITLE, command=ctx.command, headers=HEADERS, rows=rows,
                   notes=notes)
