"""REGIONGRAPH_REQUIRE_ENGAGEMENT_BEFORE_DESIGN: the workflow refuses to leave ideation
without the lead's data leader, and shape R4-LeadEngagedBeforeDesign says the same of the
graph."""

import pytest

from regiongraph import workflow
from regiongraph.accounts import principal_for_person
from regiongraph.rules.validate import validate

SHAPE = "R4-LeadEngagedBeforeDesign"


def _member(live, settings, person):
    return principal_for_person(live.store, settings, live.iri("person", person), scope="write")


def _flagged(live, settings, project) -> bool:
    report = validate(live.store, settings, focus=[project])
    return any(r.shape.endswith(SHAPE) for r in report.results)


def _proposed(live, settings, title) -> tuple[str, list[str]]:
    analyst = _member(live, settings, "kevin-cho")
    project = workflow.propose(live.store, settings, analyst, workflow.Proposal(
        title=title, domain="homelessness", lead="mesquite"))
    return project, workflow.submit(live.store, settings, analyst, project)


def test_leaving_ideation_waits_for_the_lead_data_leader(live):
    strict = live.settings.with_overrides(require_engagement_before_design=True)
    lax = live.settings
    analyst = _member(live, strict, "kevin-cho")

    # setting off: the project may leave ideation with nobody engaged ...
    early, _ = _proposed(live, lax, "Lax outreach study")
    workflow.advance(live.store, lax, analyst, early, "design")
    assert not _flagged(live, lax, early)  # ... and the rule is off too

    # setting on: refused by the workflow; the graph now says the alliance requires it
    project, requests = _proposed(live, strict, "Strict outreach study")
    with pytest.raises(workflow.Refused, match="REQUIRE_ENGAGEMENT_BEFORE_DESIGN"):
        workflow.advance(live.store, strict, analyst, project, "design")
    assert _flagged(live, strict, early)  # the project moved on earlier is reported now

    # the lead's data leader accepts: the project moves on, and the rule is satisfied
    sofia = _member(live, strict, "sofia-marquez")
    mine = next(r for r in requests
                if live.iri("person", "sofia-marquez") in workflow.show_request(
                    live.store, strict, r)["addressed_to"])
    workflow.decide(live.store, strict, sofia, mine, "accept", reason="count me in")
    workflow.advance(live.store, strict, analyst, project, "design")
    assert not _flagged(live, strict, project)
    assert _flagged(live, strict, early)
