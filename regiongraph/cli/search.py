"""`regiongraph search` and `regiongraph reindex`.

    regiongraph search "bike share"
    regiongraph search "street light*" --facet community=saguaro --facet format=CSV
    regiongraph search gtfs --json                 # the same answer as GET /search
    regiongraph search "" --private --facet access=restricted   # a steward's view
    regiongraph search transit --bbox=-111.1,32.1,-110.8,32.4    # data covering an area
    regiongraph reindex                            # rebuild the index from the store

The CLI searches what anonymous users see unless `--private` is given: whoever runs it
may hold the store, but a command's default should not show more than the web does.
"""

import json
from typing import Annotated

import typer

from regiongraph.cli.app import app, console, out, state


@app.command()
def search(
    text: Annotated[str, typer.Argument(help='Words, "phrases", prefix*, -exclude, a OR b.')],
    facet: Annotated[list[str] | None, typer.Option(
        "--facet", "-f", help="Filter name=value (repeat); facets: kind, community, publisher, "
                              "theme, keyword, format, standard, project, access, modified.")]
    = None,
    rows: Annotated[int, typer.Option(help="Results to show (1..100).")] = 20,
    page: Annotated[int, typer.Option(help="Page, from 1.")] = 1,
    sort: Annotated[str, typer.Option(
        help="relevance, title asc, title desc, modified desc, modified asc.")] = "relevance",
    private: Annotated[bool, typer.Option(
        "--private", help="Include non-public records and the access facet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    bbox: Annotated[str | None, typer.Option(
        help="Datasets covering west,south,east,north (CRS84 degrees); ranks by overlap.")]
    = None,
    intersects: Annotated[str | None, typer.Option(
        help="Datasets covering this WKT or GeoJSON geometry (CRS84); ranks by overlap.")]
    = None,
) -> None:
    """Search datasets, projects, standards and communities, with facet counts."""
    from regiongraph.geo.index import search_area
    from regiongraph.search import SearchInputError, index_for, parse_filters
    from regiongraph.search.query import clamp_rows

    if page < 1:
        raise SearchInputError(f"--page must be 1 or more, not {page}")
    size = clamp_rows(rows)
    current = state()
    store = current.store(read_only=True)
    area = search_area(store, current.settings, bbox=bbox, intersects=intersects)
    index = index_for(store, current.settings)
    result = index.search(text, filters=parse_filters(facet), include_private=private,
                          start=(page - 1) * size, rows=size, sort=sort, area=area)
    if as_json:
        body = {
            "query": text, "filters": result.filters, "count": result.count, "page": page,
            "rows": size, "results": result.hits, "notes": result.notes,
            "facets": {name: [{"value": v.key, "label": v.label, "count": v.count}
                              for v in values] for name, values in result.facets.items()},
        }
        out.print_json(json.dumps(body, ensure_ascii=False))
        return
    from rich.table import Table

    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    table = Table("kind", "title", "community", "formats", "modified", "IRI",
                  title=f"{result.count} found", title_justify="left")
    for hit in result.hits:
        table.add_row(hit["kind"], hit["title"],
                      ", ".join(c["label"] for c in hit["communities"][:2]),
                      ", ".join(hit["formats"]), (hit.get("modified") or "")[:10], hit["iri"])
    out.print(table)
    from rich.markup import escape

    for name, values in result.facets.items():
        if values:
            shown = ", ".join(f"{v.label} ({v.count})" if v.label == v.key
                              else f"{v.label} [{v.key}] ({v.count})" for v in values[:8])
            out.print(f"[bold]{name}[/bold]: {escape(shown)}")


@app.command()
def reindex(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Rebuild the search index from the store (it never holds the only copy of anything).

    Beside a running server, which holds the store, the server rebuilds it
    (POST /admin/reindex with REGIONGRAPH_ADMIN_TOKEN; REGIONGRAPH_SERVER says where)."""
    from rich.progress import Progress

    from regiongraph.maintenance import ReindexReport
    from regiongraph.maintenance import reindex as rebuild_index
    from regiongraph.store import StoreBusyError

    current = state()
    try:
        store = current.store()
    except StoreBusyError:
        from regiongraph.admin_client import ask_server

        report = ask_server(current.settings, "/admin/reindex", ReindexReport)
        by = f" by the server at {current.settings.server_url}"
    else:
        with Progress(console=console, transient=True) as bar:
            def progress(records, total):
                task = bar.add_task("indexing", total=total)
                for record in records:
                    bar.advance(task)
                    yield record

            report = rebuild_index(store, current.settings, progress=progress)
        by = ""
    if as_json:
        out.print_json(report.model_dump_json())
        return
    console.print(f"search index rebuilt{by} at {report.index}: {report.written} records "
                  f"in {report.seconds:.2f} s (store version {report.store_version})")
