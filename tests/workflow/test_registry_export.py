"""`regiongraph registry export`: the registry, with the workflow's decisions, as YAML
that loads back to the same graph."""

import datetime as dt

from rdflib.compare import isomorphic, to_isomorphic
from typer.testing import CliRunner

from regiongraph import workflow
from regiongraph.accounts import principal_for_person
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.pipeline import load_region_dir
from regiongraph.settings import Settings
from regiongraph.store import open_store


def _rdflib(store, settings):
    import rdflib

    graph = rdflib.Graph()
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    for quad in store.quads(registry):
        graph.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    return graph


def _decided_flow(live) -> None:
    """A proposal, an engagement, an agreement approved with an end date."""
    def member(person):
        return principal_for_person(live.store, live.settings, live.iri("person", person),
                                    scope="write")

    analyst = member("kevin-cho")
    project = workflow.propose(live.store, live.settings, analyst, workflow.Proposal(
        title="Outreach round trip", domain="homelessness", lead="mesquite",
        needs=["palo-verde/scooter-trips", "saguaro/use-of-force"], creates=["mesquite/outreach-forecast"]))
    engagements = workflow.submit(live.store, live.settings, analyst, project)
    lena = member("lena-park")
    mine = next(r for r in engagements if live.iri("person", "lena-park") in
                workflow.show_request(live.store, live.settings, r)["addressed_to"])
    workflow.decide(live.store, live.settings, lena, mine, "accept", reason="yes")
    agreement = workflow.request_piece(
        live.store, live.settings, analyst, project,
        live.iri("dataset", "palo-verde", "scooter-trips"), legal_basis="MOU 7")
    workflow.decide(live.store, live.settings, member("angela-brooks"), agreement,
                    "approve-with-conditions", reason="for outreach only",
                    conditions="aggregate before sharing",
                    valid_until=dt.date.today() + dt.timedelta(days=90))
    approval = workflow.request_piece(live.store, live.settings, analyst, project,
                                      live.iri("dataset", "saguaro", "use-of-force"))
    workflow.decide(live.store, live.settings, member("maria-delgado"), approval, "reject",
                    reason="not for this project")
    workflow.request_strategy_approval(live.store, live.settings, analyst, project)


def test_export_loads_back_to_the_same_graph(live, tmp_path):
    from regiongraph.cli import _discover
    from regiongraph.cli.app import app

    _decided_flow(live)
    out = tmp_path / "region" / "registry"
    _discover()
    env = {"REGIONGRAPH_STORE": live.settings.store, "REGIONGRAPH_INDEX": "memory"}
    # the server holds the on-disk store: the command reads a snapshot, as any reader does
    result = CliRunner().invoke(app, ["registry", "export", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "decisions.yaml" in result.output and "requests.yaml" in result.output
    assert not (out / "extra.ttl").exists(), (out / "extra.ttl").read_text()
    decisions = (out / "decisions.yaml").read_text()
    assert "approve-with-conditions" in decisions and "aggregate before sharing" in decisions

    again = Settings(store="memory", index="memory")
    store = open_store(again)
    load_region_dir(store, again, out.parent)
    before, after = _rdflib(live.store, live.settings), _rdflib(store, again)
    assert len(before) == len(after) > 1000
    assert isomorphic(before, after), sorted(
        set(to_isomorphic(before)) ^ set(to_isomorphic(after)))[:5]
    store.close()
