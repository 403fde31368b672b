"""Rules commands: `validate` (SHACL metadata and governance rules) and `quality` (MQA).

`validate` exits 0 when nothing is violated and 1 otherwise (warnings do not fail it), so a
steward's script or CI can gate on it; 2 stays for errors (RegiongraphError).
"""

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from regiongraph.cli.app import app, console, out, state
from regiongraph.errors import RegiongraphError

if TYPE_CHECKING:
    from regiongraph.rules.validate import Report

FORMATS = ("text", "json", "ttl")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def validate(
    format: Annotated[str, typer.Option("--format", "-f",
                                        help="text (grouped by community and rule), json or ttl.")] = "text",
    today: Annotated[str | None, typer.Option(
        help="Judge approvals as of this day (YYYY-MM-DD) instead of today.")] = None,
    store_report: Annotated[bool, typer.Option(
        "--store/--no-store", help="Keep the report in its own named graph (history).")] = True,
) -> None:
    """Check the store against the metadata and governance rules (shapes/).

    Beside a running server, which holds the store, the server validates and stores the
    report when REGIONGRAPH_ADMIN_TOKEN is set (POST /admin/revalidate); without it the
    report of a snapshot is printed, not stored."""
    from regiongraph.rules.reports import report_text, report_turtle
    from regiongraph.rules.validate import validate as run

    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    current = state()
    if store_report:
        report = _validate_and_store(_day(today))
    else:
        report = run(current.store(read_only=True), current.settings, today=_day(today))
    if format == "json":
        out.print_json(json.dumps(report.as_json()))
    elif format == "ttl":
        sys.stdout.write(report_turtle(report, current.settings).decode())
    else:
        for line in report_text(report):
            out.print(line, markup=False)
    raise typer.Exit(0 if report.conforms else 1)


def _validate_and_store(day: dt.date | None) -> "Report":
    """A full run kept as the current report, here or by the server holding the store;
    returns the stored report as read back."""
    from regiongraph.maintenance import RevalidateReport, revalidate_all
    from regiongraph.rules.reports import latest_report
    from regiongraph.rules.validate import validate as run
    from regiongraph.store import StoreBusyError

    current = state()
    try:
        store = current.store()
    except StoreBusyError:
        if not current.settings.admin_token:
            console.print("[yellow]note:[/yellow] the report is not stored: the running server "
                          "keeps the current one itself (GET /reports/latest); set "
                          "REGIONGRAPH_ADMIN_TOKEN to have it validate and store one now")
            return run(current.store(read_only=True), current.settings, today=day)
        from regiongraph.admin_client import ask_server

        done = ask_server(current.settings, "/admin/revalidate", RevalidateReport,
                          params={"today": day.isoformat()} if day else None)
        console.print(f"stored by the server at {current.settings.server_url}: {done.report}")
        store = current.store(read_only=True)  # a snapshot taken after the server stored it
    else:
        revalidate_all(store, current.settings, today=day)
    report = latest_report(store, current.settings)
    assert report is not None, "a full run was just stored"
    return report


@app.command()
def quality(
    community: Annotated[str | None, typer.Option(help="Only this community's datasets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    check_urls: Annotated[bool, typer.Option(
        "--check-urls", help="Check that access and download URLs answer (slow; cached).")] = False,
    today: Annotated[str | None, typer.Option(
        help="Judge publication as of this day (YYYY-MM-DD).")] = None,
) -> None:
    """Score public datasets with the data.europa.eu MQA indicators (405 points)."""
    from regiongraph.rules.quality import assess, store_assessment

    current = state()
    store = current.store(read_only=True)
    if check_urls and current.snapshot:
        raise RegiongraphError("--check-urls keeps the URL statuses it finds in the store, which "
                               "a running server holds: stop it first, or leave it out")
    assessment = assess(store, current.settings, check_urls=check_urls, today=_day(today))
    if current.snapshot:
        console.print("[yellow]note:[/yellow] the scores are not kept in the history: the store "
                      "is in use by a running server (GET /quality answers there)")
    else:
        store_assessment(store, current.settings, assessment)
    summary = assessment.summary(community=community)
    if community is not None and community not in assessment.communities():
        console.print(f"no public dataset of community {community!r} was scored")
    if as_json:
        out.print_json(json.dumps(summary))
        return
    from rich.table import Table

    table = Table("scope", "datasets", "mean", "band", "Excellent", "Good", "Sufficient", "Bad")
    # With --community the "region" aggregate is that community's row: print it once.
    rows = ((summary["communities"] or [summary["region"]]) if community is not None
            else [summary["region"], *summary["communities"]])
    for row in rows:
        bands = row["bands"]
        table.add_row(row["scope"], str(row["datasets"]), f"{row['mean']:.0f}", row["band"],
                      *(str(bands.get(b, 0)) for b in ("Excellent", "Good", "Sufficient", "Bad")))
    out.print(table)
    if not check_urls:
        out.print("URL reachability not checked (--check-urls): those 80 points count as 0.")


@app.command()
def shapes(
    today: Annotated[str | None, typer.Option(
        help="The day the shapes judge (YYYY-MM-DD; default today).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Turtle file to write (default: standard output).")] = None,
) -> None:
    """Write the rules (shapes/) with the day filled in, for pyshacl or any SHACL engine.

    The shapes name `$today` and `$soon`, which regiongraph binds before every run and no
    SHACL engine binds by itself; run as they are, the date comparisons match nothing.
    """
    from regiongraph.rules.shapes import load_shapes
    from regiongraph.rules.validate import judged_day

    day = judged_day(_day(today))
    turtle = load_shapes().for_day(day).turtle()
    if output is None:
        sys.stdout.buffer.write(turtle)
        return
    output.write_bytes(turtle)
    console.print(f"wrote {output} (the shapes as of {day.isoformat()})")
