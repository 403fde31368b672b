"""Load benchmark (issue 3 §7): the generated region into the embedded store, side by side
with a raw pyoxigraph bulk load and rdflib's Memory store, on the same quads.

What each row measures, in its own process:

- **regiongraph load → embedded store**: the project's real load path. The ontology and
  the generated registry go through `regiongraph.pipeline` (registry checked against the
  catalogs, then `replace_graph`), and every catalog of the region (data.json and DCAT
  Turtle) through `regiongraph.harvest` (loader, per-record checks, digests, atomic
  `replace_graph`) into an on-disk Oxigraph store, as `regiongraph demo`/`harvest` do.
- **regiongraph store layer (replace_graph)**: the same quads, already RDF, written graph
  by graph through `Store.replace_graph` — the store's own overhead without the loaders.
- **pyoxigraph bulk_load (disk)**: the floor. The quads the harvest wrote, dumped to
  N-Quads, bulk-loaded by pyoxigraph into a fresh on-disk store (parsed in Rust).
- **pyoxigraph bulk_extend (Python quads, disk)**: the same N-Quads parsed into Python
  quad objects and handed to `bulk_extend` — the floor for any loader written in Python,
  which is what the harvest's loaders are; the gap between the two floors is the price of
  crossing into Python per quad.
- **rdflib Dataset (Memory)**: what a plain rdflib program would do with the same N-Quads.

The issue's goal: the real load path within 1.5× of the raw bulk load. Ratios are
against the bulk load of the same size in the same run.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from bench.harness import Context, Measurement, Section, fmt_ratio, fmt_seconds, measure

TITLE = "Load the generated region (issue 3 §7)"
GOAL = 1.5
LARGE = 100_000


# --- child steps (run in their own processes) ---------------------------------------------


def harvest_region(region: str, store_dir: str) -> dict:
    """Load a generated region into an embedded store on disk the way the project does:
    the ontology and the registry through `regiongraph.pipeline`, then every catalog
    through `regiongraph.harvest` (after-change hooks — inference, validation, search —
    are other benchmarks' business and are not run)."""
    from regiongraph.errors import RegiongraphError
    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.iri import Minter
    from regiongraph.pipeline import LoadSummary, load_ontology, load_registry
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    root = Path(region)
    manifest = json.loads((root / "region.json").read_text(encoding="utf-8"))
    settings = Settings(store=store_dir)
    store = open_store(settings)
    failed: list[str] = []
    errors = 0
    start = time.perf_counter()
    summary = LoadSummary()
    load_ontology(store, Minter(settings.base), summary)
    if (root / "registry").is_dir():
        load_registry(store, settings, root / "registry", summary)
    registry_seconds = time.perf_counter() - start
    for community in manifest["communities"]:
        kind = "datajson" if community["format"] == "dcat-us-1.1" else "dcat"
        try:
            source = one_source(str(root / community["file"]), type=kind,
                                community=community["id"], source_id=community["id"])
        except RegiongraphError as error:  # e.g. no loader for the type: reported, not fatal
            failed.append(f"{community['id']} ({kind}): {error}")
            continue
        report = harvest_source(store, settings, source)
        if report.status == "failed":
            failed.append(f"{community['id']} ({kind}): {report.message}")
        errors += sum(1 for e in report.errors if getattr(e, "severity", "error") == "error")
    if hasattr(store, "flush"):
        store.flush()
    seconds = time.perf_counter() - start
    quads = sum(store.graphs().values())
    store.close()
    return {"seconds": seconds, "registry_seconds": registry_seconds,
            "harvest_seconds": seconds - registry_seconds, "quads": quads, "failed": failed,
            "record_errors": errors, "sources": len(manifest["communities"])}


def dump_store(store_dir: str, nquads: str) -> dict:
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    store = open_store(Settings(store=store_dir))
    with open(nquads, "wb") as output:
        n = store.dump(output)
    store.close()
    return {"quads": n}


def oxigraph_bulk_load(nquads: str, store_dir: str) -> dict:
    from pyoxigraph import RdfFormat, Store

    store = Store(store_dir)
    start = time.perf_counter()
    store.bulk_load(path=nquads, format=RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "quads": len(store)}


def oxigraph_bulk_extend(nquads: str, store_dir: str) -> dict:
    from pyoxigraph import RdfFormat, Store, parse

    store = Store(store_dir)
    start = time.perf_counter()
    with open(nquads, "rb") as source:
        store.bulk_extend(parse(source, RdfFormat.N_QUADS))
    store.flush()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "quads": len(store)}


def store_layer(nquads: str, store_dir: str) -> dict:
    """Write the N-Quads graph by graph with the project's Store.replace_graph."""
    from pyoxigraph import RdfFormat, parse

    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    store = open_store(Settings(store=store_dir))
    start = time.perf_counter()
    written = 0
    with open(nquads, "rb") as source:
        # A store dump lists quads graph by graph, so each group is one whole graph.
        for graph, quads in itertools.groupby(parse(source, RdfFormat.N_QUADS),
                                              key=lambda q: q.graph_name):
            written += store.replace_graph(graph, quads)
    if hasattr(store, "flush"):
        store.flush()
    seconds = time.perf_counter() - start
    quads = sum(store.graphs().values())
    store.close()
    return {"seconds": seconds, "quads": quads, "written": written}


def rdflib_memory(nquads: str) -> dict:
    from rdflib import Dataset

    dataset = Dataset(store="Memory")
    start = time.perf_counter()
    dataset.parse(nquads, format="nquads")
    seconds = time.perf_counter() - start
    quads = sum(1 for _ in dataset.quads((None, None, None, None)))
    return {"seconds": seconds, "quads": quads}


# --- the module's run -----------------------------------------------------------------------


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes: list[str] = []
    goal_lines: list[str] = []
    for size in ctx.sizes:
        region = ctx.region(size)
        generated = ctx.generated[size]
        ctx.log(f"load {size}: harvest")
        # 100k steps take minutes each: once is enough to read the ratio at that size
        once = 1 if size >= LARGE else None
        harvest_dir = f"load-{size}-harvest"
        harvest = ctx.measure("regiongraph load (ontology + registry + harvest) → embedded store",
                              "bench.bench_load:harvest_region", region, scratch=harvest_dir,
                              repeat=once)
        dump = ctx.scratch(f"load-{size}-dump") / "region.nq"
        # the last run's store stays in its scratch directory: dump it for the peers
        measure("dump", "bench.bench_load:dump_store", ctx.workdir / "scratch" / harvest_dir,
                dump)
        ctx.log(f"load {size}: peers")
        bulk = ctx.measure("pyoxigraph bulk_load (disk)", "bench.bench_load:oxigraph_bulk_load",
                           dump, scratch=f"load-{size}-bulk", repeat=once)
        extend = ctx.measure("pyoxigraph bulk_extend (Python quads, disk)",
                             "bench.bench_load:oxigraph_bulk_extend", dump,
                             scratch=f"load-{size}-extend", repeat=once)
        layer = ctx.measure("regiongraph store layer (replace_graph, disk)",
                            "bench.bench_load:store_layer", dump, scratch=f"load-{size}-layer",
                            repeat=once)
        rdflib = ctx.measure("rdflib Dataset (Memory)", "bench.bench_load:rdflib_memory", dump,
                             repeat=once)
        quads = harvest.result["quads"]
        for step in (bulk, extend, layer, rdflib):
            if step.result["quads"] != quads:
                notes.append(f"{size}: {step.name} holds {step.result['quads']} quads, "
                             f"the harvest wrote {quads}")
        rows.append(_row(size, quads, generated, None, label="regiongraph generate"))
        for step in (harvest, layer, extend, bulk, rdflib):
            rows.append(_row(size, quads, step, bulk))
        ratio = harvest.seconds / bulk.seconds
        goal_lines.append(
            f"{size:,} datasets: regiongraph load {fmt_ratio(ratio)} the raw bulk load "
            f"({'meets' if ratio <= GOAL else 'misses'} the {GOAL}× goal; of its "
            f"{fmt_seconds(harvest.seconds)} s, ontology + registry "
            f"{fmt_seconds(harvest.result['registry_seconds'])} s, harvest "
            f"{fmt_seconds(harvest.result['harvest_seconds'])} s); store layer alone "
            f"{fmt_ratio(layer.seconds / bulk.seconds)}, Python-quads floor "
            f"{fmt_ratio(extend.seconds / bulk.seconds)}; rdflib "
            f"{fmt_ratio(rdflib.seconds / bulk.seconds)}")
        failed = harvest.result["failed"]
        if failed:
            notes.append(f"{size}: {len(failed)} of {harvest.result['sources']} sources were "
                         f"not harvested: " + "; ".join(failed[:3]))
        if harvest.result["record_errors"]:
            notes.append(f"{size}: the harvest reported {harvest.result['record_errors']} "
                         "record errors")
    notes = [*goal_lines, *notes, (
        "Every peer loads exactly the quads the regiongraph load wrote (dumped as N-Quads): "
        "catalog records, digests, harvest log, registry and ontology included."
    )]
    return Section(
        area="load", title=TITLE, command=ctx.command,
        headers=["datasets", "quads", "step", "seconds", "× bulk load", "peak MB"],
        rows=rows, notes=notes,
    )


def _row(size: int, quads: int, step: Measurement, floor: Measurement | None,
         label: str | None = None) -> list[str]:
    ratio = fmt_ratio(step.seconds / floor.seconds) if floor is not None else "—"
    return [f"{size:,}", f"{quads:,}", label or step.name, fmt_seconds(step.seconds), ratio,
            f"{step.peak_mb:,.0f}"]
