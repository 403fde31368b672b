"""The one visibility rule, checked on the demo against an independent computation, and
attacked: nothing private may come out of `public_quads`, whatever a source graph claims."""

import datetime as dt
from collections import defaultdict

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from regiongraph import visibility
from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import DCAT, DCT, DPV, FOAF, ORG, RDF, RG, RGC
from regiongraph.settings import Settings
from regiongraph.store import open_store

REFERENCE_DAY = dt.date(2026, 11, 25)
PD = "https://w3id.org/dpv/pd#"


@pytest.fixture(scope="module")
def minter(demo_settings) -> Minter:
    return Minter(demo_settings.base)


@pytest.fixture(scope="module")
def demo_quads(demo_store) -> list[Quad]:
    return list(demo_store.quads())


def ds(minter, community, identifier) -> str:
    return minter.iri("dataset", community, identifier).value


def oracle(quads: list[Quad], minter: Minter, day: dt.date) -> set[str]:
    """The rule of the module docstring, written again in plain Python over quads."""
    registry = minter.graph(REGISTRY_GRAPH)
    ontology = minter.graph(ONTOLOGY_GRAPH)
    anywhere: dict[tuple, set] = defaultdict(set)
    in_registry: dict[tuple, set] = defaultdict(set)
    executive_roles = set()
    for q in quads:
        anywhere[(q.subject, q.predicate)].add(q.object)
        if q.graph_name == registry:
            in_registry[(q.subject, q.predicate)].add(q.object)
        if q.graph_name == ontology and q.predicate == RDF.type and q.object == RG.ExecutiveRole:
            executive_roles.add(q.subject)
    datasets = {q.subject for q in quads if q.predicate == RDF.type and q.object == DCAT.Dataset}
    approvals = {q.subject for q in quads if q.graph_name == registry
                 and q.predicate == RDF.type and q.object == RG.Approval}
    assignments = [q.subject for q in quads if q.graph_name == registry
                   and q.predicate == RDF.type and q.object == RG.RoleAssignment]
    executives_of = defaultdict(set)
    for a in assignments:
        if in_registry[(a, ORG.role)] & executive_roles:
            for person in in_registry[(a, ORG.member)]:
                executives_of[person] |= in_registry[(a, ORG.organization)]

    def in_force(a) -> bool:
        statuses = in_registry[(a, RG.status)]
        starts = [dt.date.fromisoformat(x.value) for x in in_registry[(a, RG.validFrom)]]
        ends = [dt.date.fromisoformat(x.value) for x in in_registry[(a, RG.validUntil)]]
        return (statuses == {RGC.term("status/approved")}
                and RGC.term("action/publish") in in_registry[(a, RG.action)]
                and RGC.term("scope/public") in in_registry[(a, RG.scope)]
                and bool(starts) and min(starts) <= day and all(e >= day for e in ends))

    live = [a for a in approvals if in_force(a)]
    found = set()
    for d in datasets:
        if anywhere[(d, RG.accessLevel)] != {RGC.term("access/public")}:
            continue
        if anywhere[(d, RG.personalDataCategory)] or anywhere[(d, DPV.hasPersonalData)]:
            continue
        owners = anywhere[(d, DCT.publisher)]
        for a in live:
            covers = (d in in_registry[(a, RG.coversDataset)]
                      or in_registry[(a, RG.coversCategory)] & anywhere[(d, DCAT.theme)])
            approvers = in_registry[(a, RG.approvedBy)]
            if covers and any(executives_of[p] & owners for p in approvers):
                found.add(d.value)
                break
    return found


@pytest.mark.parametrize("day", [REFERENCE_DAY, dt.date(2026, 12, 11), dt.date(2019, 6, 1),
                                 dt.date(2031, 1, 1)])
def test_publishable_equals_independent_computation(demo_store, demo_settings, demo_quads,
                                                    minter, day):
    got = visibility.publishable_datasets(demo_store, demo_settings, today=day)
    assert got == oracle(demo_quads, minter, day)


def test_publishable_on_the_demo(demo_store, demo_settings, minter):
    got = visibility.publishable_datasets(demo_store, demo_settings, today=REFERENCE_DAY)
    assert 200 < len(got) < 400
    assert ds(minter, "saguaro", "traffic-counts-2025") in got
    assert ds(minter, "valley-transit", "gtfs-schedule") in got
    # restricted / confidential, or holding personal data
    for community, identifier in [("saguaro", "mds-trips"), ("saguaro", "911-calls"),
                                  ("sonoran-county", "hmis-enrollments"),
                                  ("valley-water", "leak-alerts"),
                                  ("saguaro", "scooter-trips-summary")]:
        assert ds(minter, community, identifier) not in got, identifier
    # the catalog says public, the steward's registry says internal: the registry wins
    assert ds(minter, "saguaro", "use-of-force") not in got
    # approvals that do not count: expired (ocotillo), non-executive approver (palo-verde),
    # executive of another community (valley-water), no approval (red-mesa)
    by_community = defaultdict(set)
    for iri in got:
        by_community[iri.split("/datasets/")[1].split("/")[0]].add(iri.rsplit("/", 1)[1])
    assert "ocotillo" not in by_community
    assert by_community["palo-verde"] <= {
        "traffic-volumes-2024", "traffic-volumes-2025", "street-centerlines", "parking-meters",
        "school-zones", "ada-ramps", "sidewalk-gaps", "pedestrian-collisions"}
    assert by_community["valley-water"] == {"drought-stages", "reservoir-levels", "well-levels",
                                            "flood-zones"}
    assert "crime-incidents" not in by_community["red-mesa"]
    assert "roads" in by_community["red-mesa"]


def test_validity_period_is_respected(demo_store, demo_settings, minter):
    cholla = ds(minter, "cholla", "street-centerlines")
    assert visibility.is_publishable(demo_store, demo_settings, cholla, dt.date(2026, 12, 10))
    assert not visibility.is_publishable(demo_store, demo_settings, cholla,
                                         dt.date(2026, 12, 11))
    assert not visibility.is_publishable(demo_store, demo_settings, cholla,
                                         dt.date(2023, 12, 10))


@pytest.fixture(scope="module")
def public(demo_store, demo_settings) -> list[Quad]:
    return list(visibility.public_quads(demo_store, demo_settings, today=REFERENCE_DAY))


def never_public(demo_store, demo_settings, minter) -> set[str]:
    """IRIs that must never appear: every non-publishable dataset, every approval but the
    publishing ones in force, agreements and their permissions, people, roles, engagements."""
    publishing = visibility.publishing_approvals(demo_store, demo_settings, REFERENCE_DAY)
    allowed_approvals = set().union(*publishing.values())
    all_datasets = {r[0].value for r in demo_store.query(
        "SELECT DISTINCT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
        union_default_graph=True)}
    minted = {q.subject.value for q in demo_store.quads() if isinstance(q.subject, NamedNode)}
    private = all_datasets - set(publishing)
    for iri in minted:
        for kind in ("approval", "agreement", "person", "role", "engagement", "job"):
            if minter.local_id(iri, kind) is not None and (
                    kind != "approval" or iri not in allowed_approvals):
                private.add(iri)
    return private


def test_public_quads_leak_nothing(public, demo_store, demo_settings, minter):
    private = never_public(demo_store, demo_settings, minter)
    assert len(private) > 150
    for quad in public:
        for term in (quad.subject, quad.object):
            if isinstance(term, NamedNode):
                assert term.value not in private, quad
                assert not term.value.startswith(PD), quad
        assert quad.predicate not in (RG.personalDataCategory, DPV.hasPersonalData), quad


def test_public_quads_show_what_they_should(public, demo_store, demo_settings, minter):
    subjects = {q.subject for q in public}
    triples = {(q.subject, q.predicate, q.object) for q in public}
    for node in (minter.iri("community", "saguaro"), minter.iri("partner", "svu"),
                 minter.iri("standard", "gtfs"), minter.iri("project", "saguaro-scooter-pilot"),
                 minter.iri("approval", "saguaro-open-data"), RG.Approval, RG.accessLevel,
                 RGC.term("phase/pilot"), NamedNode(ds(minter, "saguaro", "traffic-counts-2025"))):
        assert node in subjects, node
    # a public project keeps its public datasets, loses its restricted ones
    vision_zero = minter.iri("project", "vision-zero-saguaro")
    assert (vision_zero, RG.usesDataset,
            NamedNode(ds(minter, "saguaro", "traffic-crashes-2025"))) in triples
    scooter = minter.iri("project", "saguaro-scooter-pilot")
    used = {o for s, p, o in triples if s == scooter and p == RG.usesDataset}
    assert used == {NamedNode(ds(minter, "saguaro", "micromobility-parking"))}
    assert any(s == scooter and p == DCT.term("title") for s, p, _ in triples)
    # lineage between public datasets stays; the edge to a confidential source goes
    derived = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    assert (NamedNode(ds(minter, "saguaro", "housing-placements")), derived,
            NamedNode(ds(minter, "sonoran-county", "housing-placements"))) in triples
    assert not any(s == NamedNode(ds(minter, "sonoran-county", "housing-placements"))
                   and p == derived for s, p, _ in triples)
    # distributions of public datasets come along
    dist = [o for s, p, o in triples if s == NamedNode(ds(minter, "saguaro", "traffic-counts-2025"))
            and p == DCAT.distribution]
    assert dist and all(any(q.subject == d for q in public) for d in dist)
    # no person, even through a project's engagements
    assert not any(q.predicate == FOAF.mbox for q in public)


def test_blank_nodes_only_reachable_from_public_subjects(public):
    reachable = {(q.graph_name, q.object) for q in public if isinstance(q.object, BlankNode)}
    for quad in public:
        if isinstance(quad.subject, BlankNode):
            assert (quad.graph_name, quad.subject) in reachable, quad


def test_public_quads_are_distinct(public):
    assert len(public) == len(set(public))


@pytest.fixture
def attacked(demo_store, demo_settings, minter):
    """A copy of the demo plus a harvested source graph written by an attacker."""
    store = open_store(Settings(store="memory", base=demo_settings.base))
    store.add(demo_store.quads())
    evil = minter.graph("source", "evil")
    person = minter.iri("person", "maria-delgado")
    ocotillo = NamedNode(ds(minter, "ocotillo", "zoning"))
    approval = minter.iri("approval", "self-approved")
    assignment = minter.iri("role", "attacker")
    confidential = NamedNode(ds(minter, "saguaro", "911-calls"))
    quads = [
        # a source approves its own publication, with a self-declared executive
        (approval, RDF.type, RG.Approval), (approval, RG.status, RGC.term("status/approved")),
        (approval, RG.action, RGC.term("action/publish")),
        (approval, RG.scope, RGC.term("scope/public")),
        (approval, RG.validFrom, Literal("2000-01-01", datatype=NamedNode(
            "http://www.w3.org/2001/XMLSchema#date"))),
        (approval, RG.approvedBy, person), (approval, RG.coversDataset, ocotillo),
        (assignment, RDF.type, RG.RoleAssignment), (assignment, ORG.member, person),
        (assignment, ORG.organization, minter.iri("community", "ocotillo")),
        (assignment, ORG.role, RGC.term("role/mayor")),
        # a source relabels a confidential dataset public
        (confidential, RG.accessLevel, RGC.term("access/public")),
        # a source types a person and an agreement as catalogs to smuggle them out
        (person, RDF.type, DCAT.Catalog),
        (minter.iri("agreement", "saguaro-svu-mds"), RDF.type, DCAT.Catalog),
        # a source points a public dataset at a confidential one through a blank node
        (NamedNode(ds(minter, "saguaro", "traffic-counts-2025")), DCT.relation,
         BlankNode("evil1")),
        (BlankNode("evil1"), DCT.source, confidential),
    ]
    store.add(Quad(s, p, o, evil) for s, p, o in quads)
    yield store
    store.close()


def test_a_source_cannot_publish_itself(attacked, demo_settings, demo_store, minter):
    before = visibility.publishable_datasets(demo_store, demo_settings, REFERENCE_DAY)
    after = visibility.publishable_datasets(attacked, demo_settings, REFERENCE_DAY)
    assert after == before
    public = list(visibility.public_quads(attacked, demo_settings, REFERENCE_DAY))
    mentioned = {t.value for q in public for t in (q.subject, q.object)
                 if isinstance(t, NamedNode)}
    assert ds(minter, "ocotillo", "zoning") not in mentioned
    assert ds(minter, "saguaro", "911-calls") not in mentioned
    assert minter.iri("person", "maria-delgado").value not in mentioned
    assert minter.iri("agreement", "saguaro-svu-mds").value not in mentioned
    assert minter.iri("approval", "self-approved").value not in mentioned
    # the blank node was followed, and its private object dropped
    counts = NamedNode(ds(minter, "saguaro", "traffic-counts-2025"))
    triples = {(q.subject, q.predicate, q.object) for q in public}
    assert (counts, DCT.relation, BlankNode("evil1")) in triples
    assert not any(q.subject == BlankNode("evil1") for q in public)


def _lines(quads) -> set[bytes]:
    from pyoxigraph import RdfFormat, serialize

    return set(serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES).splitlines())


def test_lines_are_judged_as_quads_are(attacked, demo_settings, minter):
    """`public_lines_among` (the view read as Oxigraph's N-Triples lines) keeps exactly the
    lines of what `public_quads_among` keeps, graph by graph: blank nodes followed, private
    objects dropped, the ontology without personal data, bookkeeping hidden; literals that
    look like terms do not fool the line reader."""
    tricky = minter.graph("source", "tricky")
    counts = NamedNode(ds(minter, "saguaro", "traffic-counts-2025"))
    confidential = NamedNode(ds(minter, "saguaro", "911-calls"))
    attacked.add([
        Quad(counts, DCT.description, Literal(f"see _:b1 and <{confidential.value}> . ok"),
             tricky),
        Quad(counts, DCT.title, Literal('a "quoted" title\nwith a line', language="en"),
             tricky),
        Quad(confidential, DCT.description, Literal("<http://example.org/x> ."), tricky),
        Quad(counts, DCT.relation, BlankNode("t1"), tricky),
        Quad(BlankNode("t1"), DCT.relation, BlankNode("t2"), tricky),
        Quad(BlankNode("t2"), DCT.source, confidential, tricky),
        Quad(BlankNode("t2"), DCT.title, Literal("kept"), tricky),
        Quad(BlankNode("orphan"), DCT.title, Literal("never reached"), tricky),
        Quad(minter.iri("person", "maria-delgado"), RDF.type, FOAF.Person,
             minter.graph(ONTOLOGY_GRAPH)),
    ])
    nodes = visibility.public_nodes(attacked, demo_settings, REFERENCE_DAY)
    judged = 0
    for graph in attacked.graph_names():
        name = NamedNode(graph)
        by_lines = set(visibility.public_lines_among(attacked.ntriples_lines(name), graph,
                                                     nodes))
        assert by_lines == _lines(visibility.public_quads_among(attacked.quads(name), nodes)), \
            graph
        judged += len(by_lines)
    shown = set(visibility.public_lines_among(attacked.ntriples_lines(tricky), tricky.value,
                                              nodes))
    assert any(b"see _:b1" in line for line in shown)
    assert any(b'"kept"' in line for line in shown)
    assert not any(b"never reached" in line or b"911-calls> <" in line for line in shown)
    assert judged > 1000


def test_the_view_read_as_lines_equals_the_rule_and_keeps_blank_labels(attacked, demo_settings):
    """The anonymous SPARQL view, built from lines (`public._build`), holds exactly
    `public_quads`, with the store's own blank node labels: so a later change to a graph
    with blank nodes is followed by its changed lines, not re-read whole."""
    from regiongraph.sparql import public

    settings = demo_settings.model_copy(update={"today": REFERENCE_DAY})
    evil = next(g for g in attacked.graph_names() if g.endswith("/evil"))
    counts = NamedNode(next(q.subject.value for q in attacked.quads(NamedNode(evil))
                            if q.predicate == DCT.relation))
    attacked.add([Quad(counts, DCT.relation, BlankNode("fine"), NamedNode(evil)),
                  Quad(BlankNode("fine"), DCT.title, Literal("fine"), NamedNode(evil))])
    view = public.kept_public(attacked, settings).view
    expected = set(visibility.public_quads(attacked, settings, REFERENCE_DAY))
    assert set(view.quads()) == expected
    assert any(isinstance(q.subject, BlankNode) for q in expected)
    nodes = visibility.public_nodes(attacked, settings, REFERENCE_DAY)
    from pyoxigraph import RdfFormat

    held = set(view.oxigraph.dump(format=RdfFormat.N_TRIPLES,
                                  from_graph=NamedNode(evil)).splitlines())
    assert held == set(visibility.public_lines_among(attacked.ntriples_lines(NamedNode(evil)),
                                                     evil, nodes))
    assert any(line.startswith(b"_:fine ") for line in held)
