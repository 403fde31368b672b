"""Rules benchmark (issue 5): validation and reasoning on the generated region, side by side
with pyshacl on the whole graph and owlrl's full closure.

Each size: the region is harvested into a disk store once (`bench.bench_load`), then in
fresh processes:

- fast reasoning (`regiongraph.rules.reasoning.materialise`) vs owlrl's OWL-RL closure of
  the same data graphs (goal at 10k datasets: 30x faster);
- full validation (`regiongraph.rules.validate`, the shapes compiled to SPARQL on Oxigraph)
  vs pyshacl on the whole graph with the same shapes (goal at 100k: 10x faster, the same
  violations: the (focus node, shape) pairs are compared whenever pyshacl finishes);
- re-validation after a 1% change: 1% of one community's records edited and re-harvested,
  then `regiongraph.rules.incremental.revalidate` (goal: at most 5% of a full run).

Peers that cannot finish within their time limit are reported as "> limit" (a lower
bound on the ratio), never left out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from bench.harness import ChildFailed, Context, Section, write_results

TITLE = "Rules: validation, reasoning, incremental re-validation (issue 5)"
DAY = "2026-11-25"
PEER_LIMIT = {1_000: 300.0, 10_000: 300.0, 100_000: 900.0}


def _settings(store_dir: str):
    from regiongraph.settings import Settings

    return Settings(store=store_dir)


def reason_fast(store_dir: str) -> dict:
    from regiongraph.rules.reasoning import materialise
    from regiongraph.store import open_store

    settings = _settings(store_dir)
    store = open_store(settings)
    start = time.perf_counter()
    count, _ = materialise(store, settings)
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "inferred": count}


def reason_owlrl(store_dir: str) -> dict:
    from regiongraph.rules.reasoning import input_graphs, owlrl_closure
    from regiongraph.store import open_store

    settings = _settings(store_dir)
    store = open_store(settings)
    triples = [q.triple for g in input_graphs(store, settings) for q in store.quads(g)]
    store.close()
    start = time.perf_counter()
    closure = owlrl_closure(triples)
    return {"seconds": time.perf_counter() - start, "input": len(triples),
            "closure": len(closure)}


def validate_fast(store_dir: str, pairs_file: str) -> dict:
    import datetime as dt

    from regiongraph.rules.validate import validate
    from regiongraph.store import open_store

    settings = _settings(store_dir)
    store = open_store(settings)
    start = time.perf_counter()
    report = validate(store, settings, today=dt.date.fromisoformat(DAY))
    seconds = time.perf_counter() - start
    store.close()
    Path(pairs_file).write_text(json.dumps(sorted(report.pairs)), encoding="utf-8")
    return {"seconds": seconds, "results": len(report.results),
            "violations": sum(r.severity_name == "Violation" for r in report.results)}


def validate_pyshacl(store_dir: str, pairs_file: str, prepared: bool = False) -> dict:
    """pyshacl on every data graph as one rdflib graph. `prepared`: each SPARQL text parsed
    once (the test suite's reference, `validate.prepared_queries`); otherwise stock
    pyshacl, as its users run it. The time to build the rdflib graph is written next to
    `pairs_file` as soon as it is known, so a run stopped at the time limit still tells
    how long pyshacl itself had been validating."""
    import datetime as dt

    from regiongraph.rules.shapes import load_shapes
    from regiongraph.rules.validate import pyshacl_run, rdflib_data
    from regiongraph.store import open_store

    start = time.perf_counter()
    settings = _settings(store_dir)
    store = open_store(settings)
    data = rdflib_data(store, settings)
    store.close()
    Path(pairs_file + ".loaded").write_text(f"{time.perf_counter() - start:.1f}")
    shapes = load_shapes().for_day(dt.date.fromisoformat(DAY))
    start = time.perf_counter()
    pairs = pyshacl_run(data, shapes, prepared=prepared)
    seconds = time.perf_counter() - start
    Path(pairs_file).write_text(json.dumps(sorted(pairs)), encoding="utf-8")
    return {"seconds": seconds, "triples": len(data)}


def incremental(store_dir: str, region: str, workdir: str) -> dict:
    """1% of the region's records edited in the data.json catalogs of as many communities
    as that takes, re-harvested, then re-validated: timed against a full re-validation of
    the same store (which also remembers the state the incremental run compares with).

    Those sources are first re-harvested unchanged from the work folder, where the edited
    copies will be: a source's location is part of its records' digests, so harvesting an
    edit from a new path would count every record of the community as changed."""
    import datetime as dt

    from pyoxigraph import NamedNode

    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.rules.incremental import revalidate
    from regiongraph.rules.reasoning import materialise
    from regiongraph.rules.reports import latest_report
    from regiongraph.rules.validate import validate
    from regiongraph.store import open_store

    day = dt.date.fromisoformat(DAY)
    settings = _settings(store_dir)
    store = open_store(settings)
    root = Path(region)
    manifest = json.loads((root / "region.json").read_text(encoding="utf-8"))
    datasets = sum(int(c.get("datasets", 0)) for c in manifest["communities"])
    remaining = max(1, datasets // 100)
    edits = []
    for community in (c for c in manifest["communities"] if c["format"] == "dcat-us-1.1"):
        if remaining == 0:
            break
        catalog = json.loads((root / community["file"]).read_text(encoding="utf-8"))
        catalog_file = Path(workdir) / f"{community['id']}.json"
        catalog_file.write_text(json.dumps(catalog), encoding="utf-8")
        source = one_source(str(catalog_file), type="datajson", community=community["id"],
                            source_id=community["id"])
        harvest_source(store, settings, source)
        count = min(remaining, len(catalog["dataset"]))
        edits.append((source, catalog, catalog_file, count))
        remaining -= count
    materialise(store, settings)
    start = time.perf_counter()
    full = revalidate(store, settings, [], today=day)
    full_seconds = time.perf_counter() - start
    written: list[NamedNode] = []
    for source, catalog, catalog_file, count in edits:
        for record in catalog["dataset"][:count]:
            record["title"] = record.get("title", "") + " (revised)"
            record.pop("keyword", None)
            record.pop("theme", None)
        catalog_file.write_text(json.dumps(catalog), encoding="utf-8")
        written += [NamedNode(g) for g in harvest_source(store, settings, source).written_graphs]
    start = time.perf_counter()
    materialise(store, settings)
    reason_seconds = time.perf_counter() - start
    start = time.perf_counter()
    partial = revalidate(store, settings, written, today=day)
    inc_seconds = time.perf_counter() - start
    same = latest_report(store, settings).results == validate(store, settings, today=day).results
    store.close()
    return {"full_seconds": full_seconds, "incremental_seconds": inc_seconds,
            "reason_seconds": reason_seconds, "changed_records": sum(e[3] for e in edits),
            "datasets": datasets or 1, "focus_checked": partial.focus_checked,
            "same_as_full": same, "full_results": len(full.checked.results)}


def _peer(ctx: Context, name: str, target: str, *args, limit: float,
          loaded_file: Path | None = None):
    """(measurement, None), or (None, why) when the peer did not finish. A peer stopped at
    the limit gets the lower bound "> seconds", less the set-up time it reported in
    `loaded_file` (building its graph is not validating)."""
    from bench import harness

    try:
        return harness.measure(name, target, *args, timeout=limit), None
    except subprocess.TimeoutExpired:
        setup = float(loaded_file.read_text()) if loaded_file and loaded_file.exists() else 0.0
        return None, f"> {limit - setup:.0f}"
    except ChildFailed as error:
        return None, f"failed ({str(error).splitlines()[-1][:80]})"


def run(ctx: Context) -> Section:
    """Our steps first, then the peers (slow, time-limited); the section is written after
    every row, so a run cut short still leaves what it measured in RESULTS.md."""
    rows: list[list[str]] = []
    notes = [("× = peer time / regiongraph time on the same store and shapes (judged for "
             f"{DAY}); every step runs in its own process."),
             ("Goals (issue 5): fast reasoning ≥ 30× owlrl at 10k; validation ≥ 10× pyshacl "
             "at 100k with the same pairs; re-validation after 1% ≤ 5% of a full run."),
             ("Re-validation row: both runs are `revalidate` on the same store, full (validate, "
             "store the run and the current report, remember every graph's state) then after "
             "the re-harvest (re-check the focus nodes, revise the current report); 'same "
             "results' compares the stored current report with a fresh full validation."),
             ("pyshacl rows: stock pyshacl as its users run it, and with each SPARQL text "
             "parsed once (the test suite's reference on the demo); a peer stopped at its limit "
             "is a lower bound, the time it spent building its rdflib graph not counted. "
             f"Limits: {', '.join(f'{s:,}: {v:.0f} s' for s, v in PEER_LIMIT.items())}.")]
    section = Section(area="rules", title=TITLE, command=ctx.command,
                      headers=["datasets", "quads", "step", "seconds", "ratio", "peak MB",
                               "notes"], rows=rows, notes=notes, keep_other_sizes=True)

    def add(row: list[str]) -> None:
        rows.append(row)
        write_results([section], ctx.results)

    for size in ctx.sizes:
        region = ctx.region(size)
        store_dir = ctx.scratch(f"rules-store-{size}")
        ctx.log(f"rules: harvesting {size:,} datasets")
        load = ctx.measure("harvest", "bench.bench_load:harvest_region", region, store_dir,
                           repeat=1)
        quads = load.result.get("quads", 0)
        limit = PEER_LIMIT.get(size, 1800.0)
        n, q = f"{size:,}", f"{quads:,}"

        ctx.log("rules: fast reasoning")
        fast_reason = ctx.measure("reason fast", "bench.bench_rules:reason_fast", store_dir,
                                  repeat=1)
        add([n, q, "reasoning: fast path → inference graph", f"{fast_reason.seconds:.2f}",
             "1.00×", f"{fast_reason.peak_mb:.0f}",
             f"{fast_reason.result['inferred']:,} inferred"])
        ctx.log("rules: fast validation")
        fast_pairs = ctx.workdir / f"rules-fast-{size}.json"
        fast = ctx.measure("validate fast", "bench.bench_rules:validate_fast", store_dir,
                           str(fast_pairs), repeat=1)
        add([n, q, "validation: compiled shapes on Oxigraph", f"{fast.seconds:.2f}", "1.00×",
             f"{fast.peak_mb:.0f}",
             f"{fast.result['results']:,} results, {fast.result['violations']:,} violations"])
        ctx.log("rules: incremental")
        work = ctx.scratch(f"rules-inc-{size}")
        inc_store = ctx.scratch(f"rules-inc-store-{size}")
        shutil.rmtree(inc_store)
        shutil.copytree(store_dir, inc_store)
        inc = ctx.measure("incremental", "bench.bench_rules:incremental", inc_store,
                          region, work, repeat=1)
        share = inc.result["incremental_seconds"] / inc.result["full_seconds"]
        changed = inc.result["changed_records"]
        add([n, q, (f"re-validation after {changed:,} changed records "
                   f"({changed / inc.result.get('datasets', size):.1%}): "
                   f"{inc.result['focus_checked']:,} focus nodes"),
             f"{inc.result['incremental_seconds']:.2f}",
             f"{share:.1%} of a full run ({inc.result['full_seconds']:.2f} s)",
             f"{inc.peak_mb:.0f}",
             "same results as a full run" if inc.result["same_as_full"] else "DIFFERENT"])
        shutil.rmtree(inc_store, ignore_errors=True)

        if size <= 10_000:
            ctx.log("rules: owlrl closure")
            owl, bound = _peer(ctx, "owlrl", "bench.bench_rules:reason_owlrl", store_dir,
                               limit=limit)
            if owl is not None:
                add([n, q, "reasoning: owlrl OWL-RL closure (reference)", f"{owl.seconds:.2f}",
                     f"{owl.seconds / fast_reason.seconds:.1f}×", f"{owl.peak_mb:.0f}",
                     f"{owl.result['closure']:,} triples in the closure"])
            else:
                add([n, q, "reasoning: owlrl OWL-RL closure (reference)", bound,
                     f"> {limit / fast_reason.seconds:.0f}×", "–", "stopped at the time limit"])
        fast_ref = json.loads(fast_pairs.read_text())
        for prepared in ((False, True) if size <= 10_000 else (False,)):
            label = ("validation: pyshacl, SPARQL prepared once (the tests' reference)"
                     if prepared else "validation: pyshacl, whole graph (reference)")
            ctx.log(f"rules: {label}")
            ref_pairs = ctx.workdir / f"rules-pyshacl-{size}-{int(prepared)}.json"
            ref, bound = _peer(ctx, "pyshacl", "bench.bench_rules:validate_pyshacl", store_dir,
                               str(ref_pairs), prepared, limit=limit,
                               loaded_file=Path(str(ref_pairs) + ".loaded"))
            if ref is not None:
                same = fast_ref == json.loads(ref_pairs.read_text())
                add([n, q, label, f"{ref.seconds:.2f}", f"{ref.seconds / fast.seconds:.1f}×",
                     f"{ref.peak_mb:.0f}",
                     "same (focus, shape) pairs" if same else "DIFFERENT pairs"])
            else:
                seconds = float(bound[2:]) if bound.startswith("> ") else None
                add([n, q, label, bound,
                     f"> {seconds / fast.seconds:.0f}×" if seconds else "–", "–",
                     "stopped at the time limit (its rdflib graph build not counted)"
                     if seconds else bound])
        shutil.rmtree(store_dir, ignore_errors=True)
    return section
