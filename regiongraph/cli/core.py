"""Store-level commands: load, demo, stats, query, dump, restore, serve."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from regiongraph.change import VIEWS
from regiongraph.cli.app import app, console, out, state
from regiongraph.errors import RegiongraphError

QUERY_FORMATS = ("json", "xml", "csv", "tsv", "table", "ttl", "nt")


@app.command()
def load(
    folder: Annotated[Path, typer.Argument(
        help="A region directory: registry/ and sources.yaml (as `generate` writes, or demo/).")],
) -> None:
    """Load a region directory: its registry, every source of its sources.yaml, then the
    inferences, validation and search index (quick and unchanged when re-run)."""
    _load(folder, str(folder))


@app.command()
def demo() -> None:
    """Load the bundled demo region (`load` on the demo directory)."""
    from regiongraph.paths import data_path

    _load(data_path("demo"), "the demo region")


def _load(folder: Path, name: str) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from regiongraph.pipeline import load_region_dir

    current = state()
    store = current.store()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task(f"loading {name}", total=None)
        summary = load_region_dir(store, current.settings, folder,
                                  progress=lambda m: bar.update(task, description=m))
    written = sum(summary.written.values())
    console.print(
        f"{name} loaded into {store.description}: {len(summary.written)} graphs written "
        f"({written} quads), {len(summary.unchanged)} unchanged"
    )
    failed = [r for r in summary.reports if r.status == "failed"]
    for report in failed:  # the rest loaded; these kept what they had (exit 2, as harvest)
        console.print(f"[red]failed:[/red] {report.summary()}", markup=True)
    if failed:
        raise typer.Exit(2)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Also list the bookkeeping graphs (reports, fingerprints, journal...).")] = False,
) -> None:
    """Count triples per graph and instances per class."""
    from regiongraph.stats import store_stats

    current = state()
    result = store_stats(current.store(read_only=True), current.settings,
                         include_internal=show_all)
    if as_json:
        out.print_json(json.dumps(result))
        return
    from rich.table import Table

    table = Table("graph", "triples")
    for graph, n in sorted(result["graphs"].items()):
        table.add_row(graph or "(default)", str(n))
    hidden = result.get("internal")
    if hidden and hidden["graphs"]:
        table.add_row(f"({hidden['graphs']} bookkeeping graphs; --all lists them)",
                      str(hidden["triples"]))
    out.print(table)
    classes = Table("class", "instances")
    for cls, n in sorted(result["classes"].items(), key=lambda kv: -kv[1])[:30]:
        classes.add_row(cls, str(n))
    out.print(classes)
    out.print(f"total triples: {result['triples']}")


@app.command()
def query(
    file: Annotated[Path | None, typer.Argument(help="A .rq file, or - for stdin.")] = None,
    text: Annotated[str | None, typer.Option("-q", "--query", help="Query text.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="|".join(QUERY_FORMATS))] = "table",
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="A named query of queries/*.rq.")
    ] = None,
    params: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value for --name.")
    ] = None,
) -> None:
    """Run a SPARQL query over all graphs (the union default graph)."""
    from regiongraph.sparql.guard import declared_prefixes
    from regiongraph.sparql_results import write_results

    if fmt not in QUERY_FORMATS:
        raise RegiongraphError(f"unknown format {fmt!r}; choose one of {', '.join(QUERY_FORMATS)}")
    substitutions = None
    if name:
        from regiongraph.sparql.library import named_query_text

        sparql, substitutions = named_query_text(name, params or [], state().settings.base)
    else:
        sparql = _query_text(file, text)
    from regiongraph.sparql.guard import check_size

    check_size(sparql, state().settings.limits)  # deeper text would crash the process
    try:
        results = state().store(read_only=True).query(
            sparql, substitutions=substitutions, union_default_graph=True)
    except SyntaxError as error:
        raise RegiongraphError(f"query syntax: {error}") from None
    write_results(results, fmt, sys.stdout.buffer, console=out,
                  prefixes=declared_prefixes(sparql))


def _query_text(file: Path | None, text: str | None) -> str:
    if text:
        return text
    if file is None:
        raise RegiongraphError("give a query file or -q TEXT")
    if str(file) == "-":
        return sys.stdin.read()
    if not file.is_file():
        raise RegiongraphError(f"{file}: no such query file")
    return file.read_text(encoding="utf-8")


@app.command()
def dump(path: Annotated[Path, typer.Argument(help="Output N-Quads file.")]) -> None:
    """Write every quad of the store to an N-Quads file."""
    with path.open("wb") as output:
        n = state().store(read_only=True).dump(output)
    console.print(f"{n} quads written to {path}")


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="N-Quads file from `dump`.")]) -> None:
    """Replace the whole store with an N-Quads dump (a bad dump changes nothing)."""
    from regiongraph.pipeline import restore_dump

    if not path.is_file():
        raise RegiongraphError(f"{path}: no such file")
    current = state()
    with path.open("rb") as source:
        try:
            n = restore_dump(current.store(), current.settings, source)
        except SyntaxError as error:
            raise RegiongraphError(f"{path}: {error}; the store was not changed") from None
    console.print(f"{n} quads restored from {path}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="[REGIONGRAPH_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[REGIONGRAPH_PORT]")] = None,
) -> None:
    """Serve the SPARQL endpoint, catalogs, API and pages."""
    import uvicorn

    from regiongraph.api.app import create_app
    from regiongraph.memory import few_arenas
    from regiongraph.observe import configure_logging, log

    few_arenas()
    current = state()
    settings = current.settings.with_overrides(host=host, port=port)
    # Opened here, not in the app's startup: a busy store or another base is one line.
    application = create_app(settings, store=current.store(), warm=True)
    configure_logging(settings)  # from here on, stderr has JSON lines only
    log.info("serving", extra={"fields": {"store": settings.store,
                                          "url": f"http://{settings.host}:{settings.port}/"}})
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning")


@app.command()
def update(
    file: Annotated[Path | None, typer.Argument(help="A .ru file, or - for stdin.")] = None,
    text: Annotated[str | None, typer.Option("-u", "--update", help="Update text.")] = None,
) -> None:
    """Run a SPARQL 1.1 update (one transaction) through the one change path."""
    from regiongraph.sparql.update import apply_update

    current = state()
    try:
        applied = apply_update(current.store(), current.settings, _query_text(file, text))
    except SyntaxError as error:
        raise RegiongraphError(f"update syntax: {error}; nothing changed") from None
    console.print(f"store version {applied.version}: {len(applied.graphs)} graph(s) changed")
    _report_failures(applied.failures)


@app.command()
def refresh(
    view: Annotated[list[str] | None, typer.Option(
        "--view", help=f"Only this view ({', '.join(v.name for v in VIEWS)}); "
                       "repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bring every derived view up to the store version (after a view failed to follow).

    Beside a running server, which holds the store, the server does it
    (POST /admin/refresh with REGIONGRAPH_ADMIN_TOKEN; REGIONGRAPH_SERVER says where)."""
    from regiongraph.maintenance import RefreshReport, refresh_views
    from regiongraph.store import StoreBusyError

    current = state()
    try:
        store = current.store()
    except StoreBusyError:
        from regiongraph.admin_client import ask_server

        report = ask_server(current.settings, "/admin/refresh", RefreshReport,
                            params={"view": view} if view else None)
        by = f" (by the server at {current.settings.server_url})"
    else:
        report = refresh_views(store, current.settings, view)
        by = ""
    if as_json:
        out.print_json(report.model_dump_json())
    else:
        console.print(f"views at store version {report.store_version}{by}: "
                      + ", ".join(f"{v.name} {v.seen_version if v.seen_version is not None else '?'}"
                                  for v in report.views))
    _report_failures(report.failures)


def _report_failures(failures: dict[str, str]) -> None:
    for name, why in sorted(failures.items()):
        console.print(f"[red]the {name} view did not follow:[/red] {why}")
    if failures:
        raise typer.Exit(1)
