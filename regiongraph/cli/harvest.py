"""`regiongraph harvest`: keep members' catalogs current, and say what happened.

    regiongraph harvest saguaro-datajson            # one source of the sources file
    regiongraph harvest --all                        # every source
    regiongraph harvest --all --config my-sources.yaml
    regiongraph harvest https://portal.example/data.json --type datajson --community saguaro
    regiongraph harvest --history saguaro-datajson   # the stored reports, newest first

Exit 0 when every source was read (skipped records included); 2 when one could not be
read at all — and then that source's graph is unchanged.
"""

import json
from pathlib import Path
from typing import Annotated

import typer

from regiongraph.cli.app import app, console, out, state
from regiongraph.errors import RegiongraphError


@app.command()
def harvest(
    target: Annotated[str | None, typer.Argument(
        help="A source id from the sources file, or a URL or path with --type.")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Harvest every source.")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Sources file (default: the demo's sources.yaml).")] = None,
    source_type: Annotated[str | None, typer.Option(
        "--type", help="Format of a one-off URL or path: datajson, ckan, socrata, arcgis, "
                       "dcat, spreadsheet, openlineage.")] = None,
    community: Annotated[str | None, typer.Option(
        "--community", help="Community a one-off source belongs to.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report(s) as JSON.")] = False,
    show_history: Annotated[bool, typer.Option(
        "--history", help="Print the stored reports instead of harvesting.")] = False,
) -> None:
    """Harvest sources into their own named graphs, atomically, and report every record."""
    from regiongraph.harvest import harvest_sources, history, one_source, read_sources
    from regiongraph.iri import Minter
    from regiongraph.paths import data_path
    from regiongraph.pipeline import harvest

    current = state()
    settings = current.settings
    if show_history:
        reports = history(current.store(read_only=True), Minter(settings.base), target)
        if as_json:
            _print(reports, True, many=True)
        for report in [] if as_json else reports:
            out.print(f"{report.started:%Y-%m-%d %H:%M:%S} {_line(report)}")
        return
    if source_type is not None:
        if target is None or community is None:
            raise RegiongraphError("a one-off harvest needs URL_OR_PATH, --type and --community")
        sources = [one_source(target, type=source_type, community=community)]
    else:
        sources_file = config or data_path("demo") / "sources.yaml"
        sources = read_sources(sources_file)
        if all_sources:
            if target is not None:
                raise RegiongraphError("give a source id or --all, not both")
        elif target is None:
            raise RegiongraphError("name a source id (or --all); sources in "
                                   f"{sources_file.name}: "
                                   + ", ".join(s.id for s in sources))
        else:
            chosen = [s for s in sources if s.id == target]
            if not chosen:
                hint = " (a URL or path needs --type and --community)" \
                    if "/" in target or "." in target else ""
                raise RegiongraphError(f"no source {target!r} in {sources_file}{hint}; known: "
                                       + ", ".join(s.id for s in sources))
            sources = chosen
    store = current.store(server_route="POST /harvest/{source}")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("harvesting", total=None)

        def run():
            for report in harvest_sources(store, settings, sources,
                                          progress=lambda m: bar.update(task, description=m)):
                if not as_json:
                    console.print(_line(report))
                yield report

        reports = harvest(store, settings, run)
    _print(reports, as_json, many=len(reports) != 1 or all_sources)
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(2)


def _line(report) -> str:
    colour = {"ok": "green", "unchanged": "cyan", "not-modified": "cyan", "failed": "red"}
    return f"[{colour[report.status]}]{report.summary()}[/]"


def _print(reports, as_json: bool, *, many: bool) -> None:
    if as_json:
        payload = [r.model_dump(mode="json") for r in reports]
        out.print_json(json.dumps(payload if many else payload[0]))
        return
    for report in reports:
        shown = report.errors[:20]
        for error in shown:
            where = " ".join(x for x in (error.record, error.field) if x)
            out.print(f"  {error.severity}: {where + ': ' if where else ''}{error.message}",
                      markup=False)
        if len(report.errors) > len(shown):
            out.print(f"  ... {len(report.errors) - len(shown)} more (--json lists all)")
        if report.removed_records:
            out.print(f"  removed: {', '.join(report.removed_records[:20])}", markup=False)
