"""Planners' commands: lineage, impact, reuse, standards, governance, engagement, network,
and manual lineage edges.

Each command calls one kernel analysis (`regiongraph.analysis`) and prints its pydantic
model: `--json` (or `--format json`) gives exactly what the API returns. Heavy imports
(networkx, the analyses) happen inside the commands so `regiongraph --help` stays fast.
The CLI is a steward's tool run against the store directly, so it sees every dataset;
what anonymous users may see is decided in the API.
"""

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from regiongraph.cli.app import app, out, state
from regiongraph.errors import RegiongraphError

if TYPE_CHECKING:
    from regiongraph.analysis.region import Region

edges_app = typer.Typer(help="Lineage edges recorded by hand (kept across re-harvests).",
                        no_args_is_help=True)
app.add_typer(edges_app, name="edges")

LINEAGE_FORMATS = ("json", "csv", "graphml", "table")


def resolve(identifier: str) -> str:
    """A dataset IRI from an IRI, or from `community/identifier` as the catalogs name them."""
    from regiongraph.iri import Minter

    text = identifier.strip()
    if "://" in text or text.startswith("urn:"):
        return text
    community, sep, rest = text.partition("/")
    if not sep or not rest:
        raise RegiongraphError(
            f"{identifier!r} is neither an IRI nor community/identifier "
            "(e.g. saguaro/311-requests)")
    return Minter(state().settings.base).iri("dataset", community, rest).value


def _manual_graph() -> str:
    from regiongraph.iri import MANUAL_GRAPH, Minter

    return Minter(state().settings.base).graph(MANUAL_GRAPH).value


def _print_model(model) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def _region():
    from regiongraph.analysis.region import load_region

    return load_region(state().store(read_only=True), state().settings)


@app.command()
def lineage(
    identifier: Annotated[str, typer.Argument(help="Dataset IRI or community/identifier.")],
    direction: Annotated[str, typer.Option(help="up, down or both.")] = "both",
    depth: Annotated[int, typer.Option(help="Hops from the dataset.")] = 3,
    level: Annotated[str, typer.Option(help="dataset, project or community.")] = "dataset",
    cap: Annotated[int, typer.Option(help="Most nodes (then the answer is partial).")] = 500,
    fmt: Annotated[str, typer.Option("--format", help="json, csv, graphml or table.")] = "table",
) -> None:
    """Where a dataset comes from and what is made from it."""
    from regiongraph.analysis.lineage import lineage as run

    if fmt not in LINEAGE_FORMATS:
        raise RegiongraphError(f"--format must be one of {', '.join(LINEAGE_FORMATS)}, not {fmt!r}")
    result = run(state().store(read_only=True), root=resolve(identifier), direction=direction,
                 depth=depth, level=level, cap=cap, manual_graph=_manual_graph())
    if fmt == "json":
        _print_model(result)
    elif fmt == "csv":
        import csv

        labels = {n.id: n.label for n in result.nodes}
        writer = csv.writer(sys.stdout)
        writer.writerow(["source", "source_label", "target", "target_label", "kind", "weight"])
        for e in result.edges:
            writer.writerow([e.source, labels.get(e.source, ""), e.target,
                             labels.get(e.target, ""), e.kind, e.weight])
    elif fmt == "graphml":
        import networkx as nx

        g = nx.DiGraph(root=result.root, partial=str(result.partial).lower())
        for n in result.nodes:
            g.add_node(n.id, label=n.label, type=n.type, depth=n.depth if n.depth is not None
                       else 0, community=n.community or "")
        for e in result.edges:
            g.add_edge(e.source, e.target, kind=e.kind, weight=e.weight)
        sys.stdout.write("\n".join(nx.generate_graphml(g)) + "\n")
    else:
        from rich.table import Table

        table = Table("depth", "type", "label", "id", title=f"lineage of {result.root}")
        for n in result.nodes:
            table.add_row(str(n.depth if n.depth is not None else ""), n.type, n.label, n.id)
        out.print(table)
        out.print(f"{len(result.nodes)} nodes, {len(result.edges)} edges"
                  + (" (partial: the node cap was reached)" if result.partial else ""))


@app.command()
def impact(
    identifier: Annotated[str, typer.Argument(help="Dataset IRI or community/identifier.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything downstream of a dataset: datasets, projects, communities, approvals."""
    from regiongraph.analysis.impact import impact as run

    result = run(state().store(read_only=True), root=resolve(identifier),
                 manual_graph=_manual_graph())
    if as_json:
        _print_model(result)
        return
    from rich.table import Table

    out.print(result.summary)
    labels = {d.id: d.label for d in result.datasets}
    for title, headers, items in (
            ("datasets", ("depth", "dataset", "id"),
             [(str(d.depth), d.label, d.id) for d in result.datasets]),
            ("projects", ("project", "id", "via datasets"),
             [(p.label, p.id, ", ".join(labels.get(v, v) for v in p.via))
              for p in result.projects]),
            ("communities", ("community", "id"), [(c.label, c.id) for c in result.communities]),
            ("approvals and agreements", ("type", "record", "status", "valid until"),
             [(g.type, g.label, g.status or "", g.valid_until or "")
              for g in result.governance])):
        if items:
            table = Table(*headers, title=title)
            for row in items:
                table.add_row(*row)
            out.print(table)


@app.command()
def reuse(
    community: Annotated[
        str | None, typer.Option(help="Only for this community's projects (id or IRI).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to show in the table.")] = 30,
) -> None:
    """Datasets other communities publish that a community's projects could use."""
    from regiongraph.analysis.reuse import reuse as run

    region = _region()
    result = run(region, community=_community(community, region) if community else None)
    if as_json:
        _print_model(result)
        return
    from rich.table import Table

    table = Table("score", "dataset", "publisher", "for project", "reasons",
                  title="reuse across the region")
    for item in result.items[:limit]:
        table.add_row(f"{item.score:.1f}", item.dataset_label, item.publisher_label or "",
                      f"{item.for_project_label} ({item.for_community_label or ''})",
                      "; ".join(r.text for r in item.reasons))
    out.print(table)
    out.print(f"{len(result.items)} recommendations; {len(result.near_duplicates)} groups of "
              "near-duplicate datasets")
    for group in result.near_duplicates[:10]:
        out.print(f"- {group.sentence}")


def _community(identifier: str, region: "Region") -> str:
    """A registry community's IRI from its id or IRI; an unknown one is an error (as in
    `export` and `GET /reuse`), not an empty answer that looks like "nothing to reuse"."""
    from regiongraph.analysis.region import local_name
    from regiongraph.iri import Minter

    iri = identifier if "://" in identifier else Minter(state().settings.base).iri(
        "community", identifier).value
    if iri not in region.communities:
        known = ", ".join(sorted(local_name(c) for c in region.communities)) or "none"
        raise RegiongraphError(f"unknown community {identifier!r}; known: {known}")
    return iri


@app.command()
def standards(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Which communities publish to each standard, and which publish in its domain without it."""
    from regiongraph.analysis.standards import standards_adoption

    result = standards_adoption(_region())
    if as_json:
        _print_model(result)
        return
    from rich.table import Table

    table = Table("standard", "adopters", "gap", "what it means")
    for s in result.standards:
        table.add_row(s.label, ", ".join(a.label for a in s.adopters),
                      ", ".join(g.label for g in s.gaps), s.sentence)
    out.print(table)


@app.command()
def governance(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lapse: Annotated[
        str | None, typer.Option(help="IRI of an approval or agreement: what if it ended?")
    ] = None,
    days: Annotated[int, typer.Option(help="Window for expiring approvals, in days.")] = 90,
    on: Annotated[
        str | None, typer.Option(help="Judge as of this day (YYYY-MM-DD), default today.")
    ] = None,
) -> None:
    """Cross-community data flows and whether an approval or agreement in force covers them."""
    from regiongraph.analysis.governance import governance as run

    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise RegiongraphError(f"--on must be a date like 2026-11-25, not {on!r}") from None
    region = _region()
    result = run(region, on=day, lapse=lapse, expiring_days=days)
    if as_json:
        _print_model(result)
        return
    from rich.table import Table

    shown = result.newly_uncovered if lapse else result.edges
    title = (f"flows uncovered if {lapse} lapsed" if lapse else
             f"cross-community flows on {result.on}: {result.uncovered} uncovered, "
             f"{result.covered} covered")
    # The same columns as the /governance page: the data, the community sending it, the
    # community receiving it, and the dataset or project it flows into.
    table = Table("covered", "kind", "data", "from", "to", "flows into", "covered by / notes",
                  title=title)
    for e in shown:
        table.add_row("yes" if e.covered else "NO", e.kind, e.source_label,
                      region.label(e.from_community), region.label(e.to_community),
                      e.target_label,
                      ", ".join(c.label for c in e.covered_by) or "; ".join(e.notes))
    out.print(table)
    if result.expiring:
        soon = Table("record", "valid until", "days left", "projects",
                     title=f"expiring within {days} days")
        for x in result.expiring:
            soon.add_row(x.label, x.valid_until, str(x.days_left),
                         ", ".join(p.label for p in x.projects))
        out.print(soon)


@app.command()
def engagement(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Projects that engaged data leaders late or never, and capability gaps."""
    from regiongraph.analysis.engagement import engagement as run

    result = run(_region())
    if as_json:
        _print_model(result)
        return
    for item in result.engagement:
        out.print(f"[{item.status}] {item.sentence}")
    from rich.table import Table

    table = Table("status", "project", "kind", "domain", "offers",
                  title=f"capabilities needed ({result.gaps} gaps)")
    for c in result.capabilities:
        table.add_row(c.status, c.project_label, c.kind or "", c.domain or "",
                      ", ".join(o.label for o in c.offers))
    out.print(table)


@app.command()
def network(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Centrality, single points of failure and components of the lineage and sharing networks."""
    from regiongraph.analysis.network import network as run

    result = run(_region())
    if as_json:
        _print_model(result)
        return
    out.print(result.summary)
    for title, findings in (("central datasets", result.dataset_centrality),
                            ("central communities", result.community_centrality),
                            ("single points of failure", result.articulation_points),
                            ("bridges", result.bridges), ("components", result.components)):
        if findings:
            out.print(f"\n[bold]{title}[/bold]")
            for f in findings:
                out.print(f"- {f.sentence}")


@edges_app.command("add")
def edges_add(
    source: Annotated[str, typer.Argument(help="Upstream dataset (IRI or community/identifier).")],
    target: Annotated[str, typer.Argument(help="Dataset derived from it.")],
    reason: Annotated[str, typer.Option(help="Why: the evidence for this edge.")],
    agent: Annotated[str, typer.Option(help="Who records it (a person IRI or a name).")],
) -> None:
    """Record that TARGET was derived from SOURCE."""
    from regiongraph.analysis.manual import add_manual_edge
    from regiongraph.analysis.models import ManualEdgeIn

    current = state()
    edge = add_manual_edge(current.store(server_route="POST /lineage/edges"), current.settings,
                           ManualEdgeIn(source=resolve(source), target=resolve(target),
                                        reason=reason, agent=agent))
    _print_model(edge)


@edges_app.command("list")
def edges_list(
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include deleted edges (the audit trail).")
    ] = False,
) -> None:
    """Manual lineage edges as JSON."""
    import json

    from regiongraph.analysis.manual import list_manual_edges
    from regiongraph.iri import Minter

    current = state()
    edges = list_manual_edges(current.store(read_only=True), Minter(current.settings.base),
                              include_deleted=deleted)
    sys.stdout.write(json.dumps([e.model_dump() for e in edges], indent=2) + "\n")


@edges_app.command("delete")
def edges_delete(
    edge_id: Annotated[str, typer.Argument(help="The edge's IRI (from `edges list`).")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
    agent: Annotated[str, typer.Option(help="Who withdraws it.")],
) -> None:
    """Withdraw a manual edge; an audit record of it stays."""
    from regiongraph.analysis.manual import delete_manual_edge

    current = state()
    _print_model(delete_manual_edge(current.store(server_route="DELETE /lineage/edges"),
                                    current.settings, edge_id,
                                    agent=agent, reason=reason))
