"""`regiongraph audit who-saw DATASET`: who was shown a non-public dataset, and when.

The same kernel function (`regiongraph.audit.who_saw`) answers `GET /audit/who-saw`.
"""

import json
from typing import Annotated

import typer

from regiongraph.cli.app import app, out, state

audit_app = typer.Typer(help="The audit of what members were shown.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("who-saw")
def who_saw(
    dataset: Annotated[str, typer.Argument(help="Dataset IRI or community/identifier.")],
    days: Annotated[int, typer.Option(help="How many days back.", min=1, max=3660)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Who was shown DATASET (when it was not public to them) in the last DAYS days."""
    from regiongraph.audit import who_saw as run
    from regiongraph.cli.planning import resolve

    current = state()
    iri = resolve(dataset)
    sightings = run(current.store(read_only=True), current.settings, iri, days=days)
    if as_json:
        out.print(json.dumps({"dataset": iri, "days": days, "seen_by": [
            {"person": s.person, "route": s.route, "at": s.at.isoformat()}
            for s in sightings]}, indent=2))
        return
    if not sightings:
        out.print(f"nobody was shown {iri} in the last {days} days")
    for s in sightings:
        out.print(f"{s.at.isoformat()}  {s.person}  {s.route}")
