"""The stewards' registry: the demo reads cleanly and has what every analysis and rule
needs; a broken registry names file, line and problem, and changes nothing in a store."""

import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.namespaces import DCT, FOAF, ORG, OWL, PROV, RDF, RG, RGC
from regiongraph.paths import data_path
from regiongraph.pipeline import LoadSummary, load_registry
from regiongraph.registry import RegistryError, read_registry
from regiongraph.settings import DEFAULT_BASE, Settings
from regiongraph.store import open_store

DEMO = data_path("demo")
MINTER = Minter(DEFAULT_BASE)


@pytest.fixture(scope="module")
def triples():
    return read_registry(DEMO / "registry", MINTER)


def objects(triples, predicate):
    return [t.object for t in triples if t.predicate == predicate]


def subjects_of_type(triples, cls):
    return {t.subject for t in triples if t.predicate == RDF.type and t.object == cls}


def by_subject(triples, predicate):
    found = defaultdict(list)
    for t in triples:
        if t.predicate == predicate:
            found[t.subject].append(t.object)
    return found


def test_demo_region_shape(triples):
    communities = subjects_of_type(triples, RG.Community)
    assert len(communities) == 12
    kinds = {o.value.rsplit("/", 1)[-1] for s, o in
             ((t.subject, t.object) for t in triples if t.predicate == ORG.classification)
             if s in communities}
    assert kinds == {"city", "county", "transit-agency", "tribal-nation", "state-agency",
                     "special-district"}
    partners = subjects_of_type(triples, RG.Partner)
    assert {p.value.rsplit("/", 1)[-1] for p in partners} == {
        "svu", "brightgrid", "streets-for-all", "desert-institute"}
    assert MINTER.iri("community", "saguaro") in communities
    region = MINTER.iri("region", "sonoran-valley")
    members = {t.object for t in triples if t.subject == region and t.predicate == ORG.hasMember}
    assert members == communities | partners


def test_projects_cover_domains_and_phases(triples):
    projects = subjects_of_type(triples, RG.Project)
    assert len(projects) >= 25
    phases = Counter(o.value.rsplit("/", 1)[-1] for s, o in
                     ((t.subject, t.object) for t in triples if t.predicate == RG.phase))
    assert set(phases) == {"ideation", "design", "pilot", "production", "retired"}
    domains = {o.value.rsplit("/", 1)[-1] for o in objects(triples, RG.domain)}
    assert {"transportation", "street-lighting", "recycling", "pedestrian-safety",
            "water-conservation", "homelessness", "vandalism", "digital-services",
            "micromobility", "public-safety"} <= domains
    leads = by_subject(triples, RG.leadCommunity)
    assert set(leads) == projects
    assert all(len(v) == 1 for v in leads.values())
    uses = by_subject(triples, RG.usesDataset)
    assert sum(len(v) for v in uses.values()) >= 80


def test_governance_content(triples):
    approvals = subjects_of_type(triples, RG.Approval)
    statuses = Counter(o.value.rsplit("/", 1)[-1] for s, o in
                       ((t.subject, t.object) for t in triples if t.predicate == RG.status)
                       if s in approvals)
    assert set(statuses) == {"requested", "approved", "denied", "revoked", "expired"}
    actions = {o.value.rsplit("/", 1)[-1] for o in objects(triples, RG.action)}
    assert actions == {"collect", "share", "use", "publish"}
    scopes = {o.value.rsplit("/", 1)[-1] for o in objects(triples, RG.scope)}
    assert scopes == {"project", "communities", "alliance", "public"}
    assert objects(triples, RG.coversCategory), "an approval covers a data category"
    agreements = subjects_of_type(triples, RG.DataSharingAgreement)
    assert len(agreements) >= 5
    assert subjects_of_type(triples, NamedNode("http://www.w3.org/ns/odrl/2/Permission"))
    strategies = subjects_of_type(triples, RG.DataStrategy)
    approved = {t.subject for t in triples if t.predicate == RG.approvedBy} & strategies
    assert len(approved) >= 20 and strategies - approved
    engaged = {o.value.rsplit("/", 1)[-1] for o in objects(triples, RG.engagedAtPhase)}
    assert {"ideation", "design", "pilot", "production"} <= engaged
    needs = subjects_of_type(triples, RG.CapabilityNeed)
    met = {t.subject for t in triples if t.predicate == RG.metBy}
    assert met and needs - met, "some needs are met, some are gaps"
    assert {o.value.rsplit("/", 1)[-1] for o in objects(triples, RG.capabilityKind)} == {
        "training", "tools", "staff"}


def test_standards_have_homepage_and_version(triples):
    standards = subjects_of_type(triples, DCT.Standard)
    assert len(standards) >= 20
    homepages = by_subject(triples, FOAF.homepage)
    versions = by_subject(triples, OWL.versionInfo)
    for standard in standards:
        assert homepages[standard] and homepages[standard][0].value.startswith("https://")
        assert versions[standard]
    ids = {s.value.rsplit("/", 1)[-1] for s in standards}
    assert {"gtfs", "gtfs-realtime", "gbfs", "mds", "cds", "wzdx", "open311", "blds",
            "sensorthings", "fiware-sdm", "hsds", "waterml2", "iso37120", "geojson",
            "dcat-us"} <= ids


def test_cross_community_lineage_of_four_hops(triples):
    parents = by_subject(triples, PROV.wasDerivedFrom)

    def community(node):
        return node.value.split("/datasets/")[1].split("/")[0]

    def longest(node, seen):
        best = [node]
        for parent in parents.get(node, []):
            if parent not in seen:
                path = [node] + longest(parent, seen | {parent})
                if len(path) > len(best):
                    best = path
        return best

    chains = [longest(d, {d}) for d in parents]
    crossing = [c for c in chains if len(c) - 1 >= 4 and len({community(n) for n in c}) >= 2]
    assert len(crossing) >= 3
    assert any(len({community(n) for n in c}) >= 3 for c in crossing)
    jobs = subjects_of_type(triples, RG.Job)
    assert all((t.subject in jobs) for t in triples if t.predicate == PROV.generated)


def test_dataset_references_resolve_to_catalog_records(triples):
    """Every dataset the registry names is a record of that community's own catalog."""
    from regiongraph.registry.catalogs import CatalogIndex

    index = CatalogIndex(DEMO / "catalogs")
    known = {MINTER.iri("dataset", c, i) for c, ids in index.identifiers.items() for i in ids}
    named = set(objects(triples, RG.usesDataset) + objects(triples, RG.coversDataset)
                + objects(triples, PROV.used) + objects(triples, PROV.generated))
    assert named and named <= known
    # the publication glob "saguaro/*" expanded to every saguaro record
    saguaro_open = MINTER.iri("approval", "saguaro-open-data")
    covered = {t.object for t in triples
               if t.subject == saguaro_open and t.predicate == RG.coversDataset}
    assert len(covered) == len(index.identifiers["saguaro"]) >= 100


def test_concepts_are_ontology_iris(triples):
    for predicate in (RG.phase, RG.domain, RG.status, RG.action, RG.scope, RG.accessLevel):
        for value in objects(triples, predicate):
            assert value.value.startswith(RGC), (predicate, value)
    assert all(o.value.startswith("https://w3id.org/dpv/pd#")
               for o in objects(triples, RG.personalDataCategory))


# --- broken registries ------------------------------------------------------------------

@pytest.fixture
def registry_copy(tmp_path) -> Path:
    """demo/registry copied to tmp_path/registry, with the demo catalogs beside it."""
    shutil.copytree(DEMO / "registry", tmp_path / "registry")
    (tmp_path / "catalogs").symlink_to(DEMO / "catalogs", target_is_directory=True)
    return tmp_path / "registry"


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{text!r} not in {path}")


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1))


def read_error(folder: Path) -> str:
    with pytest.raises(RegistryError) as caught:
        read_registry(folder, MINTER)
    return str(caught.value)


def test_unknown_community(registry_copy):
    projects = registry_copy / "projects.yaml"
    replace_once(projects, "lead: mesquite", "lead: phx")
    expected = line_of(projects, "lead: phx")
    assert read_error(registry_copy) == f"projects.yaml:{expected}: unknown community 'phx'"


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("projects.yaml", "phase: pilot", "phase: piloting",
     "unknown phase 'piloting' (expected one of: design, ideation, pilot, production, retired)"),
    ("approvals.yaml", "valid_from: 2021-03-01", "valid_from: 2021-02-30",
     "valid_from '2021-02-30' is not a date (YYYY-MM-DD)"),
    ("approvals.yaml", "approver: robert-hale", "approver: robert-hail",
     "unknown person 'robert-hail'"),
    ("agreements.yaml", "sonoran-county/hmis-enrollments", "sonoran-county/hmis-enrolments",
     ("unknown dataset 'sonoran-county/hmis-enrolments' (no record with that identifier in "
     "sonoran-county's catalog)")),
    ("strategies.yaml", "project: smart-streetlights,", "project: smart-streetlight,",
     "unknown project 'smart-streetlight'"),
    ("classifications.yaml", "access: internal", "access: secret",
     ("unknown access level 'secret' (expected one of: confidential, internal, public, "
     "restricted)")),
    ("projects.yaml", "met_by: svu-urban-lab", "met_by: svu-urban-labs",
     "unknown capability offer 'svu-urban-labs'"),
    ("lineage.yaml", "run_by: cholla", "run_by: chola", "unknown community or partner 'chola'"),
])
def test_each_kind_of_mistake_names_its_line(registry_copy, file, old, new, message):
    path = registry_copy / file
    replace_once(path, old, new)
    expected = line_of(path, new.split(",")[0])
    assert read_error(registry_copy) == f"{file}:{expected}: {message}"


def test_unknown_field_and_duplicate_id(registry_copy):
    partners = registry_copy / "partners.yaml"
    replace_once(partners, "  kind: private-company\n",
                 "  kind: private-company\n  homepgae: https://x.example/\n")
    communities = registry_copy / "communities.yaml"
    replace_once(communities, "- id: agave\n", "- id: mesquite\n")
    error = read_error(registry_copy)
    lines = error.splitlines()
    first = line_of(communities, "- id: mesquite", 1)
    assert (f"communities.yaml:{line_of(communities, '- id: mesquite', 2)}: duplicate id "
            f"'mesquite' (first on line {first})") in lines
    assert any(line.startswith(f"partners.yaml:{line_of(partners, 'homepgae')}: unknown field "
                               "'homepgae' in partner") for line in lines)


def test_yaml_syntax_error_line(registry_copy):
    path = registry_copy / "standards.yaml"
    replace_once(path, "  version: \"3.0\"\n", "  version: [3.0\n")
    error = read_error(registry_copy)
    assert error.startswith("standards.yaml:")
    assert "YAML syntax error" in error
    reported = int(error.split(":")[1])
    assert abs(reported - line_of(path, "version: [3.0")) <= 2


def test_yaml_one_one_booleans_are_reported_as_written(registry_copy):
    path = registry_copy / "projects.yaml"
    replace_once(path, "engaged_on: 2021-11-02", "on: 2021-11-02")
    assert read_error(registry_copy) == (
        f"projects.yaml:{line_of(path, 'on: 2021-11-02')}: unknown field 'on' in data leader "
        "(expected: engaged_on, person, phase)")


def test_missing_required_file(registry_copy):
    (registry_copy / "communities.yaml").unlink()
    error = read_error(registry_copy)
    assert "communities.yaml:1: required registry file is missing" in error.splitlines()


def test_broken_registry_changes_nothing_in_store(registry_copy, tmp_path):
    settings = Settings(store=str(tmp_path / "store"))
    store = open_store(settings)
    try:
        load_registry(store, settings, registry_copy, LoadSummary())
        graph = MINTER.graph(REGISTRY_GRAPH)
        before = sorted(str(q) for q in store.quads(graph))
        assert len(before) > 3000
        replace_once(registry_copy / "projects.yaml", "lead: mesquite", "lead: phx")
        replace_once(registry_copy / "people.yaml", "name: Maria Delgado", "name: Maria D.")
        with pytest.raises(RegistryError, match=r"projects\.yaml:\d+: unknown community 'phx'"):
            load_registry(store, settings, registry_copy, LoadSummary())
        assert sorted(str(q) for q in store.quads(graph)) == before
    finally:
        store.close()
