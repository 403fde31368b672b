"""Reuse, near-duplicates, standards, governance coverage, engagement and network measures
on small hand-made regions whose right answers can be worked out by hand."""

from datetime import date

import pytest
from pyoxigraph import Literal, NamedNode

from regiongraph.analysis.engagement import engagement
from regiongraph.analysis.governance import GovernanceError, governance
from regiongraph.analysis.network import network
from regiongraph.analysis.region import load_region
from regiongraph.analysis.reuse import reuse
from regiongraph.analysis.standards import standards_adoption
from regiongraph.namespaces import DCT, FOAF, PROV, RDF, RDFS, RG
from tests.analysis.graphs import MINTER, REGISTRY, RegionBuilder, community, concept, ds, project

GTFS = "https://gtfs.org/documentation/schedule/reference/"


def build_region():
    b = RegionBuilder()
    for c in ("a", "b", "c", "d", "e"):
        b.community(c)
    std = MINTER.iri("standard", "gtfs")
    b.q(std, RDF.type, DCT.Standard, REGISTRY)
    b.q(std, RDFS.label, Literal("GTFS"), REGISTRY)
    b.q(std, FOAF.homepage, NamedNode(GTFS), REGISTRY)
    b.q(std, RG.standardDomain, concept("domain/transportation"), REGISTRY)
    box = "POLYGON((0 0,2 0,2 2,0 2,0 0))"
    b.dataset("a/bus-stops", title="Bus stops", themes=["transportation"],
              keywords=["transit", "stops"], standards=[GTFS], bbox=box)
    b.dataset("b/bus-stops", title="Bus Stops B", themes=["transportation"],
              keywords=["transit"], bbox="POLYGON((1 1,3 1,3 3,1 3,1 1))")
    b.dataset("b/parking", title="Parking occupancy", themes=["transportation"],
              keywords=["parking"])
    b.dataset("c/streetlights", title="Streetlight outages", themes=["street-lighting"])
    b.dataset("d/streetlights", title="Streetlight outages list", themes=["street-lighting"])
    b.dataset("c/secret", title="Case files", themes=["transportation"], access="confidential")
    b.dataset("c/trips", title="Trip plans", themes=["transportation"])
    b.project("transit", lead="b", domain="transportation", uses=["b/bus-stops"],
              phase="production")
    b.project("lights", lead="c", domain="street-lighting", uses=["c/streetlights"],
              phase="design")
    b.project("planner", lead="c", domain="transportation", uses=["a/bus-stops", "c/trips"],
              phase="pilot")
    b.derive("c/trips", "a/bus-stops")
    b.derive("c/trips", "b/parking")
    return b


def test_reuse_ranks_with_evidence():
    region = load_region(build_region().store())
    result = reuse(region)
    assert result.items, "something must be recommended"
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True)
    for item in result.items:
        assert item.publisher != item.for_community
        assert abs(item.score - sum(r.points for r in item.reasons)) < 1e-6
        assert {r.kind for r in item.reasons} & {"domain", "standard", "used-elsewhere"}
        assert all(r.text for r in item.reasons)
    by_pair = {(i.dataset, i.for_project): i for i in result.items}
    top = by_pair[(ds("a/bus-stops").value, project("transit").value)]
    kinds = {r.kind: r for r in top.reasons}
    # transit (led by b) has GTFS-domain data; a's GTFS bus stops are used by c's planner
    assert set(kinds) == {"domain", "standard", "used-elsewhere", "spatial", "keywords"}
    assert kinds["used-elsewhere"].evidence == [project("planner").value]
    assert kinds["standard"].evidence == [MINTER.iri("standard", "gtfs").value]
    assert kinds["keywords"].evidence == ["transit"]
    assert result.items[0] == top
    # never recommend a project's own data or its own community's data
    assert (ds("b/parking").value, project("transit").value) not in by_pair
    assert (ds("c/trips").value, project("planner").value) not in by_pair


def test_reuse_filters_by_community_and_visibility():
    region = load_region(build_region().store())
    only_b = reuse(region, community=community("b").value)
    assert only_b.items and all(i.for_community == community("b").value for i in only_b.items)
    visible = {d for d in region.datasets if "secret" not in d}
    assert any("secret" in i.dataset for i in reuse(region).items)
    assert not any("secret" in i.dataset for i in reuse(region, visible=visible).items)


def test_near_duplicates_across_communities():
    region = load_region(build_region().store())
    groups = reuse(region).near_duplicates
    lights = [g for g in groups if any("streetlights" in d.id for d in g.datasets)]
    assert len(lights) == 1
    assert set(lights[0].communities) == {community("c").value, community("d").value}
    assert lights[0].shared_terms == ["outages", "streetlight"]
    assert "2 communities" in lights[0].sentence
    # "Bus stops" (a) and "Bus Stops B" (b): b's title term "b" is too short to count
    assert any({community("a").value, community("b").value} == set(g.communities)
               for g in groups)


def test_standards_adoption_and_gap():
    region = load_region(build_region().store())
    result = standards_adoption(region)
    [gtfs] = result.standards
    assert [a.community for a in gtfs.adopters] == [community("a").value]
    assert {g.community for g in gtfs.gaps} == {community("b").value, community("c").value}
    assert gtfs.sentence.startswith("1 community publishes GTFS; 2 more")


def governed_region():
    b = build_region()
    today = "2026-06-01"
    # usage: planner (c) uses a/bus-stops; lineage: a/bus-stops → c/trips, b/parking → c/trips
    b.record("a-to-c", kind="agreement", assigner="a", assignee=["c"],
             datasets=["a/bus-stops"], valid_until="2026-07-15")
    b.record("parking-old", datasets=["b/parking"], valid_until="2026-01-01", owner="b")
    b.record("parking-revoked", datasets=["b/parking"], status="revoked", owner="b")
    return b, date.fromisoformat(today)


def test_governance_coverage_lapse_and_expiry():
    b, today = governed_region()
    region = load_region(b.store())
    result = governance(region, on=today, expiring_days=60)
    edges = {(e.kind, e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]): e
             for e in result.edges}
    assert set(edges) == {("usage", "bus-stops", "planner"), ("lineage", "bus-stops", "trips"),
                          ("lineage", "parking", "trips")}
    assert edges[("usage", "bus-stops", "planner")].covered
    assert edges[("lineage", "bus-stops", "trips")].covered
    parking = edges[("lineage", "parking", "trips")]
    assert not parking.covered
    assert any("expired on 2026-01-01" in n for n in parking.notes)
    assert any("revoked" in n for n in parking.notes)
    assert result.edges[0] == parking, "uncovered edges come first"
    assert (result.covered, result.uncovered) == (2, 1)
    [soon] = result.expiring
    assert soon.id.endswith("/a-to-c") and soon.days_left == 44
    assert [p.id for p in soon.projects] == [project("planner").value]
    lapsed = governance(region, on=today, lapse=soon.id)
    assert {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1])
            for e in lapsed.newly_uncovered} == {("bus-stops", "planner"), ("bus-stops", "trips")}
    assert all(not e.covered for e in lapsed.newly_uncovered)
    # after its last day the agreement covers nothing
    later = governance(region, on=date(2026, 7, 16))
    assert later.covered == 0
    with pytest.raises(GovernanceError):
        governance(region, on=today, lapse="https://example.org/nothing")


def test_approval_scope_rules():
    b = build_region()
    b.record("to-c-only", datasets=["a/bus-stops"], scope="communities",
             scope_communities=["c"], owner="a", actions=["use"])
    b.record("publish-only", datasets=["b/parking"], scope="alliance", actions=["publish"],
             owner="b")
    region = load_region(b.store())
    result = governance(region, on=date(2026, 6, 1))
    covered = {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]): e.covered
               for e in result.edges}
    assert covered[("bus-stops", "planner")] and covered[("bus-stops", "trips")]
    assert not covered[("parking", "trips")], "an approval to publish does not allow use"
    b.record("open-data", datasets=["b/parking"], scope="public", actions=["publish"],
             owner="b", approver="b")
    region = load_region(b.store())
    result = governance(region, on=date(2026, 6, 1))
    assert all(e.covered for e in result.edges), "published open data may be used by anyone"


def test_engagement_and_capabilities():
    b = build_region()
    eng = NamedNode(project("transit").value + "/engagement/1")
    b.q(project("transit"), RG.engagement, eng, REGISTRY)
    b.q(eng, PROV.agent, MINTER.iri("person", "kim"), REGISTRY)
    b.q(eng, RG.engagedAtPhase, concept("phase/pilot"), REGISTRY)
    eng2 = NamedNode(project("planner").value + "/engagement/1")
    b.q(project("planner"), RG.engagement, eng2, REGISTRY)
    b.q(eng2, RG.engagedAtPhase, concept("phase/ideation"), REGISTRY)
    for name, kind, domain in (("n1", "training", "transportation"), ("n2", "staff", None),
                               ("n3", "tools", "street-lighting")):
        need = MINTER.iri("need", name)
        b.q(project("planner"), RG.needsCapability, need, REGISTRY)
        b.q(need, RG.capabilityKind, concept(f"capability/{kind}"), REGISTRY)
        if domain:
            b.q(need, RG.capabilityDomain, concept(f"domain/{domain}"), REGISTRY)
    offer = MINTER.iri("offer", "uni-training")
    b.q(MINTER.iri("partner", "uni"), RG.offersCapability, offer, REGISTRY)
    b.q(offer, RG.capabilityKind, concept("capability/training"), REGISTRY)
    tools = MINTER.iri("offer", "tools")
    b.q(tools, RDF.type, RG.CapabilityOffer, REGISTRY)
    b.q(tools, RG.capabilityKind, concept("capability/tools"), REGISTRY)
    b.q(tools, RG.capabilityDomain, concept("domain/recycling"), REGISTRY)
    b.q(MINTER.iri("need", "n2"), RG.metBy, tools, REGISTRY)
    region = load_region(b.store())
    result = engagement(region)
    status = {i.project.rsplit("/", 1)[-1]: i.status for i in result.engagement}
    assert status == {"transit": "late", "lights": "none"}
    late = next(i for i in result.engagement if i.status == "late")
    assert late.leaders == [MINTER.iri("person", "kim").value]
    caps = {c.need.rsplit("/", 1)[-1]: c for c in result.capabilities}
    assert caps["n1"].status == "available" and caps["n1"].offers[0].id == offer.value
    assert caps["n2"].status == "met"
    assert caps["n3"].status == "gap", "a tools offer for recycling does not meet street lighting"
    assert result.gaps == 1
    assert result.capabilities[0].status == "gap"


def test_network_findings_match_networkx():
    import networkx as nx

    b = RegionBuilder()
    for c in ("a", "b", "c", "d", "lonely"):
        b.community(c)
    for n in ("a/x", "b/y", "c/z", "d/w", "lonely/q"):
        b.dataset(n)
    # a → b → c and b → d: b is the hub and an articulation point of the sharing network
    b.derive("b/y", "a/x").derive("c/z", "b/y").derive("d/w", "b/y")
    region = load_region(b.store())
    result = network(region)
    points = {f.id for f in result.articulation_points}
    assert community("b").value in points
    assert ds("b/y").value in points
    assert {(x.source, x.target) for x in result.bridges} >= {
        tuple(sorted((community("a").value, community("b").value)))}
    sizes = sorted(len(c.members) for c in result.components)
    assert sizes == [1, 4]
    assert any("shares no data" in c.sentence for c in result.components)
    top = result.dataset_centrality[0]
    assert top.id == ds("b/y").value
    g = nx.DiGraph([(ds("a/x").value, ds("b/y").value), (ds("b/y").value, ds("c/z").value),
                    (ds("b/y").value, ds("d/w").value)])
    assert top.value == pytest.approx(round(nx.betweenness_centrality(g)[top.id], 4))
    assert all(f.sentence for f in result.community_centrality)
