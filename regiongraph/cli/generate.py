"""`regiongraph generate`: write a synthetic region of any size for benchmarks and scale tests."""

import json
from pathlib import Path
from typing import Annotated

import typer

from regiongraph.cli.app import app, console, out
from regiongraph.errors import RegiongraphError


@app.command()
def generate(
    datasets: Annotated[int, typer.Option("--datasets", "-n", help="How many datasets.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed.")] = 0,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to write.")] = Path(
        "generated"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write a synthetic region of N datasets: catalogs (data.json, DCAT Turtle) and a registry.

    The same arguments always give byte-identical files.
    """
    from regiongraph.generate.synthetic import generate_region

    if datasets < 1:
        raise RegiongraphError(f"--datasets must be at least 1, not {datasets}")
    if out_dir.exists() and not out_dir.is_dir():
        raise RegiongraphError(f"--out {out_dir} exists and is not a directory")
    with console.status(f"generating {datasets} datasets"):
        summary = generate_region(out_dir, datasets=datasets, seed=seed)
    if as_json:
        out.print_json(json.dumps({
            "out": str(summary.out), "datasets": summary.datasets, "seed": summary.seed,
            "communities": summary.communities, "files": summary.files,
        }))
        return
    console.print(
        f"wrote {summary.datasets} datasets in {len(summary.communities)} communities "
        f"({len(summary.files)} files) to {summary.out}"
    )
