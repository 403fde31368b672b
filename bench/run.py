"""`python -m bench.run`: the one entry point for regiongraph's benchmarks (`make bench`).

    python -m bench.run                 # 1k and 10k datasets, every module
    python -m bench.run --quick         # 1k only, under a minute (CI, `make bench`)
    python -m bench.run --large         # 1k, 10k and 100k
    python -m bench.run --only load     # one module (bench/bench_load.py)
    python -m bench.run --sizes 500     # explicit sizes
    python -m bench.run --repeat 3      # keep the fastest of 3 runs per step

Modules are the `bench/bench_<area>.py` files (see bench/harness.py for the contract);
each one's section of bench/RESULTS.md is rewritten, the others are kept.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import RESULTS, ChildFailed, Context, Section, write_results

BENCH = Path(__file__).resolve().parent


def modules() -> list[str]:
    """Areas with a `bench_<area>.py` module, load first (its regions warm the cache)."""
    found = sorted(p.stem.removeprefix("bench_") for p in BENCH.glob("bench_*.py"))
    return sorted(found, key=lambda a: (a != "load", a))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k datasets only (< 60 s)")
    parser.add_argument("--large", action="store_true", help="add 100k datasets")
    parser.add_argument("--sizes", type=int, nargs="+", help="explicit dataset counts")
    parser.add_argument("--only", nargs="+", metavar="AREA", help=f"areas: {', '.join(modules())}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each step N times and keep the fastest (shared machines)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file to update")
    parser.add_argument("--workdir", type=Path, help="keep generated regions and stores here")
    args = parser.parse_args(argv)

    if args.sizes:
        sizes = sorted(set(args.sizes))
    elif args.quick:
        sizes = [1000]
    else:
        sizes = [1000, 10000] + ([100000] if args.large else [])
    areas = modules()
    if args.only:
        unknown = sorted(set(args.only) - set(areas))
        if unknown:
            parser.error(f"unknown area(s) {', '.join(unknown)}; known: {', '.join(areas)}")
        areas = [a for a in areas if a in args.only]
    command = "python -m bench.run" + ("" if argv is None and len(sys.argv) == 1 else " "
                                       + shlex.join(argv if argv is not None else sys.argv[1:]))
    command = command.replace(" --results " + str(args.results), "") if args.results == RESULTS \
        else command
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(sizes=sizes, workdir=workdir, command=command, quick=args.quick,
                  repeat=args.repeat, results=args.results,
                  log=lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    sections: list[Section] = []
    failures = 0
    started = time.perf_counter()
    try:
        for area in areas:
            module = importlib.import_module(f"bench.bench_{area}")
            ctx.log(f"{area}: {getattr(module, 'TITLE', area)} at {sizes}")
            try:
                section = module.run(ctx)
            except ChildFailed as error:
                failures += 1
                ctx.log(f"{area} failed: {error}")
                continue
            sections.append(section)
            write_results([section], args.results)
            print(section.markdown())
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    ctx.log(f"done in {time.perf_counter() - started:.1f} s; results in {args.results}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
