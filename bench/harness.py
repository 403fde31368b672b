"""The small toolkit every benchmark module uses: child processes, timing, peak memory,
cached generated regions, and the RESULTS.md sections.

Why a child process per measurement: peak memory (`ru_maxrss`) only ever grows within a
process, so two loaders measured in one process would share one peak; and a store, a cache
or a leaked graph from one step would speed up or slow down the next. Each step here runs
in a fresh interpreter (`python -m bench.harness --child module:function`), reports its
wall time (measured around the call only, after imports) and its own peak RSS.

Why cached regions: generating 100k datasets takes seconds and every module wants the
same region, so `Context.region(n)` generates each size once per run (seed fixed), and
reuses it across modules.

A benchmark module is `bench/bench_<area>.py` with:

    TITLE = "Load (issue 3 §7)"           # the section heading in RESULTS.md
    def run(ctx: Context) -> Section: ...  # measure, return a table

`bench/run.py` finds the modules, runs them, and rewrites only their sections of
RESULTS.md (between `<!-- bench:<area> -->` markers), so areas update independently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SEED = 20261125


# --- measuring in a child process ---------------------------------------------------------


@dataclass
class Measurement:
    """One step's outcome: wall seconds of the call, peak RSS of its process, and results."""

    name: str
    seconds: float
    peak_mb: float
    result: dict = field(default_factory=dict)


class ChildFailed(RuntimeError):
    """A measured step failed in its child process; the message carries its stderr tail."""


def measure(name: str, target: str, *args: object, timeout: float = 3600, **kwargs: object,
            ) -> Measurement:
    """Run `target` ("package.module:function") with JSON-able arguments in a fresh
    interpreter; return its wall time, peak memory and the dict it returned."""
    with tempfile.TemporaryDirectory(prefix="rg-bench-") as tmp:
        out = Path(tmp) / "result.json"
        payload = json.dumps({"target": target, "args": [str(a) if isinstance(a, Path) else a
                                                           for a in args],
                              "kwargs": {k: str(v) if isinstance(v, Path) else v
                                         for k, v in kwargs.items()},
                              "out": str(out)})
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        proc = subprocess.run([sys.executable, "-m", "bench.harness", "--child", payload],
                              cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise ChildFailed(f"{name}: {target} exited with {proc.returncode}:\n{tail}")
        data = json.loads(out.read_text(encoding="utf-8"))
    return Measurement(name=name, seconds=data["seconds"], peak_mb=data["peak_mb"],
                       result=data["result"])


def _peak_rss_mb() -> float:
    """This process's own peak resident memory.

    ru_maxrss survives exec: a child forked from a large parent (pytest, a benchmark
    driver holding a store) starts with the parent's peak. VmHWM belongs to the address
    space, which exec replaces, so it counts only what this interpreter touched.
    """
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(payload: str) -> None:
    spec = json.loads(payload)
    module_name, function_name = spec["target"].split(":")
    function: Callable[..., dict | None] = getattr(importlib.import_module(module_name),
                                                   function_name)
    start = time.perf_counter()
    result = function(*spec["args"], **spec["kwargs"]) or {}
    seconds = time.perf_counter() - start
    # A step that must check its own output (count what it loaded) times the load itself
    # and returns it as "seconds", so the check does not count as load time.
    seconds = float(result.pop("seconds", seconds))
    peak_mb = _peak_rss_mb()
    Path(spec["out"]).write_text(json.dumps({"seconds": seconds, "peak_mb": peak_mb,
                                             "result": result}), encoding="utf-8")


# --- a run's shared context -----------------------------------------------------------------


@dataclass
class Context:
    """What one `bench/run.py` invocation shares with every module."""

    sizes: list[int]
    workdir: Path
    command: str
    quick: bool = False
    repeat: int = 1
    seed: int = SEED
    log: Callable[[str], None] = print
    generated: dict[int, Measurement] = field(default_factory=dict)
    results: Path = RESULTS
    """The results file this run updates (a module writing rows as it goes writes here)."""

    def region(self, datasets: int) -> Path:
        """The generated region of `datasets` datasets, generated once per run (measured:
        `generated[datasets]` holds the time and peak memory of `regiongraph generate`)."""
        target = self.workdir / f"region-{datasets}"
        if datasets not in self.generated:
            self.log(f"generating a region of {datasets} datasets")
            if target.exists():
                shutil.rmtree(target)
            self.generated[datasets] = measure(
                f"generate {datasets}", "bench.harness:generate", target, datasets, self.seed)
        return target

    def measure(self, name: str, target: str, *args: object, scratch: str | None = None,
                repeat: int | None = None) -> Measurement:
        """`measure` repeated `repeat` times, keeping the fastest run: on a shared machine the
        minimum is the run least disturbed by others (peak memory: the largest seen).

        With `scratch`, each run gets a fresh empty directory of that name as its last
        argument (a store to write into); the last run's directory stays for later steps.
        `repeat` overrides the run's setting (a module may run its largest size once).
        """
        runs = []
        for _ in range(max(1, repeat if repeat is not None else self.repeat)):
            extra = (self.scratch(scratch),) if scratch else ()
            runs.append(measure(name, target, *args, *extra))
        fastest = min(runs, key=lambda m: m.seconds)
        fastest.peak_mb = max(m.peak_mb for m in runs)
        fastest.result["runs"] = len(runs)
        return fastest

    def scratch(self, name: str) -> Path:
        """An empty directory for one step (a store, a dump); removed with the workdir."""
        path = self.workdir / "scratch" / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path


def generate(target: str, datasets: int, seed: int) -> dict:
    """Child step: `regiongraph generate` through its kernel function."""
    from regiongraph.generate.synthetic import generate_region

    summary = generate_region(Path(target), datasets=datasets, seed=seed)
    return {"communities": len(summary.communities), "files": len(summary.files)}


# --- results ------------------------------------------------------------------------------


@dataclass
class Section:
    """One module's part of RESULTS.md: a table plus notes."""

    area: str
    title: str
    command: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    keep_other_sizes: bool = False
    """Rows whose first cell (the size) this run did not measure stay from the last run,
    with that run's command: a long size can be re-measured alone."""
    earlier: list[str] = field(default_factory=list)
    baseline: str | None = None
    """The block this section replaced when first written: what a module that writes its
    rows as it goes merges with every time (never with its own earlier writes)."""

    def markdown(self) -> str:
        when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        lines = [f"<!-- bench:{self.area} -->", f"## {self.title}", "",
                 f"Command: `{self.command}` — run {when} on {machine()}.", ""]
        lines += [f"{line}\n" for line in self.earlier]
        lines += ["| " + " | ".join(self.headers) + " |",
                 "|" + "|".join("---" for _ in self.headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        lines.append(f"<!-- /bench:{self.area} -->")
        return "\n".join(lines)


HEADER = """# Benchmark results

Written by `python -m bench.run` (see `bench/README.md`); each section is replaced only when
its module runs again. Times are wall seconds of the measured call in its own process; peak
memory is that process's maximum RSS (interpreter and imports included). Absolute times on
shared machines are noise: read the ratios, measured side by side in one run.
"""


def write_results(sections: list[Section], path: Path = RESULTS) -> None:
    """Replace (or append) each section between its markers; keep the others as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    for section in sections:
        pattern = re.compile(rf"<!-- bench:{re.escape(section.area)} -->.*?"
                             rf"<!-- /bench:{re.escape(section.area)} -->", re.DOTALL)
        old = pattern.search(text)
        if section.keep_other_sizes:
            if section.baseline is None:
                section.baseline = old.group(0) if old else ""
            if section.baseline:
                section = _with_other_sizes(section, section.baseline)
        block = section.markdown()
        if old:
            text = pattern.sub(lambda _m, block=block: block, text)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _with_other_sizes(section: Section, previous: str) -> Section:
    """`section` plus the previous block's rows of sizes it lacks, ordered by size."""
    sizes = {row[0] for row in section.rows}
    lines = previous.splitlines()
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in lines if line.startswith("| ") and not line.startswith("| " +
                                                                              section.headers[0])]
    kept = [row for row in rows if row[0] not in sizes]
    if not kept:
        return section
    kept_sizes = ", ".join(dict.fromkeys(row[0] for row in kept))
    command = next((line for line in lines if line.startswith("Command:")), "")
    kept_set = {row[0] for row in kept}
    earlier = [line for line in lines if line.startswith("Earlier rows")
               and _sizes_of(line) & kept_set]
    from_earlier = set().union(*(_sizes_of(line) for line in lines
                                 if line.startswith("Earlier rows")))
    if kept_set - from_earlier:  # rows the previous block's own command measured
        earlier.append(f"Earlier rows ({kept_sizes}): {command.removeprefix('Command: ')}")

    def size(row: list[str]) -> float:
        try:
            return float(row[0].replace(",", ""))
        except ValueError:
            return float("inf")

    return replace(section, rows=sorted(kept + section.rows, key=size), earlier=earlier)


def _sizes_of(earlier: str) -> set[str]:
    """The sizes an "Earlier rows (1,000, 100,000): ..." line names."""
    return set(earlier[earlier.index("(") + 1:earlier.index(")")].split(", "))


def machine() -> str:
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # psutil is a dependency, but a report should not die for it
        memory = ""
    versions = []
    for name in ("pyoxigraph", "rdflib"):
        try:
            versions.append(f"{name} {importlib.import_module(name).__version__}")
        except (ImportError, AttributeError):
            continue
    # The 1-minute load average when the section is written: on a shared machine it says how
    # much the absolute times (not the side-by-side ratios) were inflated by other work.
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{memory}, "
            f"CPython {platform.python_version()}, " + ", ".join(versions) + load)


def fmt_seconds(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="internal: run one measured step")
    parser.add_argument("--child", required=True)
    _child(parser.parse_args().child)
