"""Shape R3 and the governance analysis judge every cross-community use the same way.

Whether a flow of data is covered is one rule: the analysis (`analysis/governance.py`)
answers it for planners, and shape R3 reports the uncovered uses to stewards. Where R3
judges (a project using another community's dataset), the two must agree on every flow:
of the demo, of a generated region, and of small worlds built to sit on each boundary of
the rule (open data, data that is only named by a publication approval, personal data).
"""

import datetime as dt
import json

import pytest

from regiongraph.analysis.governance import governance
from regiongraph.analysis.region import load_region
from regiongraph.rules.validate import validate
from tests.rules.world import BASE, DAY, C, world_store

S = BASE


def _usage_coverage(store, settings, day: dt.date) -> tuple[dict, set]:
    """(project, dataset) → covered, by the analysis; and the pairs R3 reports."""
    result = governance(load_region(store, settings), on=day)
    analysis = {(e.target, e.source): e.covered for e in result.edges if e.kind == "usage"}
    report = validate(store, settings, today=day)
    r3 = {(r.focus, r.value) for r in report.results if "R3-CrossCommunityUseCovered" in r.shape}
    return analysis, r3


def _assert_same(analysis: dict, r3: set) -> None:
    uncovered = {pair for pair, covered in analysis.items() if not covered}
    assert r3 <= set(analysis), "R3 reports a use the analysis does not see as a flow"
    assert uncovered == r3


def test_demo_every_usage_flow_agrees(demo_store, demo_settings):
    analysis, r3 = _usage_coverage(demo_store, demo_settings, DAY)
    assert len(analysis) > 40 and r3
    _assert_same(analysis, r3)


def test_publication_never_covers_confidential_data(demo_store, demo_settings):
    result = governance(load_region(demo_store, demo_settings), on=DAY)
    shelter = [e for e in result.edges if e.source.endswith("/saguaro/shelter-intake")]
    assert shelter
    for edge in shelter:
        assert f"{S}approvals/saguaro-open-data" not in {c.id for c in edge.covered_by}
    agreement = f"{S}agreements/saguaro-county-shelter-intake"
    lapsed = governance(load_region(demo_store, demo_settings), on=DAY, lapse=agreement)
    assert {e.source for e in lapsed.newly_uncovered} == {e.source for e in shelter
                                                          if e.covered}
    assert lapsed.newly_uncovered


def test_generated_region_every_usage_flow_agrees(generated_region):
    store, settings = generated_region
    analysis, r3 = _usage_coverage(store, settings, DAY)
    assert sum(analysis.values()) > 5 and r3
    _assert_same(analysis, r3)


# Project q, led by community b, uses a's dataset: each world moves the dataset across one
# boundary of the rule.
USES_OPEN = [(f"<{S}projects/q>", "a", "<https://w3id.org/regiongraph/ns#Project>"),
             (f"<{S}projects/q>", "rg:leadCommunity", f"<{S}communities/b>"),
             (f"<{S}projects/q>", "rg:usesDataset", f"<{S}datasets/a/open>")]
WORLDS = {
    "open data": ([], [], True),
    "named but restricted": ([(f"<{S}datasets/a/open>", "rg:accessLevel", f"<{C}access/public>")],
                             [(f"<{S}datasets/a/open>", "rg:accessLevel",
                               f"<{C}access/restricted>")], False),
    "public level with personal data": (
        [], [(f"<{S}datasets/a/open>", "rg:personalDataCategory", "pd:Name")], False),
    "publication expired": ([], [(f"<{S}approvals/a-open>", "rg:validUntil",
                                  '"2026-01-01"^^xsd:date')], False),
    "approved by another community": (
        [(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/ea>")],
        [(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/eb>")], False),
}


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_small_worlds_agree_on_each_boundary(name):
    remove, add, covered = WORLDS[name]
    store, settings = world_store(remove, USES_OPEN + add)
    analysis, r3 = _usage_coverage(store, settings, DAY)
    assert analysis[(f"{S}projects/q", f"{S}datasets/a/open")] is covered
    _assert_same(analysis, r3)


@pytest.fixture(scope="module")
def generated_region(tmp_path_factory):
    """A generated region of 2,000 datasets, loaded as `bench` loads one."""
    from regiongraph.generate.synthetic import generate_region
    from regiongraph.harvest import harvest_source, one_source
    from regiongraph.iri import Minter
    from regiongraph.pipeline import LoadSummary, load_ontology, load_registry
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    root = tmp_path_factory.mktemp("region")
    generate_region(root, datasets=2000, seed=7)
    settings = Settings(store="memory")
    store = open_store(settings)
    summary = LoadSummary()
    load_ontology(store, Minter(settings.base), summary)
    load_registry(store, settings, root / "registry", summary)
    for community in json.loads((root / "region.json").read_text())["communities"]:
        kind = "datajson" if community["format"] == "dcat-us-1.1" else "dcat"
        harvest_source(store, settings, one_source(str(root / community["file"]), type=kind,
                                                   community=community["id"],
                                                   source_id=community["id"]))
    yield store, settings
    store.close()
