"""Stewards' commands on the workflow: `regiongraph requests list|show|decide`.

They call the same kernel functions as the API (`regiongraph.workflow`). A decision is
always a person's: `decide --as PERSON` records it as that person, under exactly the
checks the API applies (an executive of the data's owner, four eyes), so a steward types
in a decision given on paper, never one of their own.
"""

import datetime as dt
import json
import sys
from typing import Annotated

import typer

from regiongraph.cli.app import app, out, state
from regiongraph.errors import RegiongraphError

requests_app = typer.Typer(help="Workflow requests: list, show, decide.", no_args_is_help=True)
app.add_typer(requests_app, name="requests")


def _request_iri(identifier: str) -> str:
    from regiongraph.iri import Minter

    if "://" in identifier:
        return identifier
    return Minter(state().settings.base).iri("request", identifier).value


@requests_app.command("list")
def list_requests(
    status: Annotated[str | None, typer.Option("--state", help="Only this state (submitted, in-review, in-force, ...).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (engagement, strategy, approval, agreement, access, renewal).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every request with its state and due date (renewals due are opened first)."""
    from regiongraph.workflow import list_requests as run
    from regiongraph.workflow import open_renewals

    store = state().store(server_route="POST /workflow/... with a member's token")
    open_renewals(store, state().settings)
    found = run(store, state().settings, state=status, kind=kind)
    if as_json:
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table("state", "kind", "due", "title", "id")
    for r in found:
        table.add_row(r["state"] + (" (overdue)" if r["overdue"] else ""), r["kind"], r["due"],
                      r["title"], r["id"].rsplit("/", 1)[-1])
    out.print(table)
    out.print(f"{len(found)} requests")


@requests_app.command("show")
def show(identifier: Annotated[str, typer.Argument(help="Request id or IRI.")]) -> None:
    """One request with its decisions, as JSON."""
    from regiongraph.workflow import show_request

    shown = show_request(state().store(read_only=True), state().settings,
                         _request_iri(identifier))
    sys.stdout.write(json.dumps(shown, indent=2) + "\n")


@requests_app.command("decide")
def decide(
    identifier: Annotated[str, typer.Argument(help="Request id or IRI.")],
    outcome: Annotated[str, typer.Argument(help="approve, approve-with-conditions, reject (accept, decline for engagements).")],
    person: Annotated[str, typer.Option("--as", help="The deciding person's id (people.yaml) or IRI.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    conditions: Annotated[str | None, typer.Option(help="Conditions of an approval with conditions.")] = None,
    valid_until: Annotated[str | None, typer.Option(help="End date (YYYY-MM-DD).")] = None,
) -> None:
    """Record a person's decision, under the API's checks (entitled, four eyes)."""
    from regiongraph.accounts import principal_for_person
    from regiongraph.iri import Minter
    from regiongraph.workflow import decide as run

    settings = state().settings
    store = state().store(server_route="POST /workflow/requests/{id}/decision")
    who = person if "://" in person else Minter(settings.base).iri("person", person).value
    principal = principal_for_person(store, settings, who, scope="write")
    if not principal.memberships:
        raise RegiongraphError(f"{person!r} holds no role in the registry (people.yaml)")
    until = None
    if valid_until:
        try:
            until = dt.date.fromisoformat(valid_until)
        except ValueError:
            raise RegiongraphError(f"--valid-until {valid_until!r} is not a date") from None
    decision = run(store, settings, principal, _request_iri(identifier), outcome,
                   reason=reason, conditions=conditions, valid_until=until)
    out.print(f"decided: {outcome} ({decision})")


registry_app = typer.Typer(help="The stewards' registry (YAML).", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


@registry_app.command("export")
def export_registry(
    out_dir: Annotated[str, typer.Option("--out", help="Folder to write the YAML files into.")],
) -> None:
    """Write the registry, with every workflow decision, as YAML that loads back to the
    same graph (files the YAML cannot hold go to extra.ttl, named in the summary)."""
    from pathlib import Path

    from regiongraph.registry.export import export_registry as run

    summary = run(state().store(read_only=True), state().settings, Path(out_dir))
    for name, count in summary.entries.items():
        out.print(f"{name}: {count}")
    if summary.extra_triples:
        out.print(f"extra.ttl: {summary.extra_triples} triples no YAML field says")
    if summary.missing_triples:
        raise RegiongraphError(
            f"the export would add {len(summary.missing_triples)} triples the registry "
            f"lacks, e.g. {summary.missing_triples[0]}; the files are in {out_dir}")
