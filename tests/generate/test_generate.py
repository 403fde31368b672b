"""`regiongraph generate`: exact sizes, valid catalogs, and byte-identical output.

Benchmarks compare runs across machines and days; that is only honest if the same
arguments give the same bytes, and if what is generated is what a harvester really reads
(schema-valid data.json, parseable DCAT Turtle).
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pyoxigraph import RdfFormat, Store

from regiongraph.generate.synthetic import community_count, generate_region
from regiongraph.iri import Minter
from regiongraph.registry.reader import read_registry
from tests.support import SHARED

REGISTRY_FILES = ("region", "communities", "partners", "memberships", "people", "standards",
                  "capabilities", "projects", "strategies", "approvals", "agreements", "lineage")

SCHEMA = (SHARED / "standards" / "dcat-us-1.1"
          / "datagov-harvester" / "non-federal_dataset.json")
DCAT = "http://www.w3.org/ns/dcat#"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def _count(root: Path) -> int:
    total = 0
    for path in sorted(root.glob("catalogs/*/data.json")):
        total += len(json.loads(path.read_text(encoding="utf-8"))["dataset"])
    for path in sorted(root.glob("catalogs/*/catalog.ttl")):
        store = Store()
        store.load(path=str(path), format=RdfFormat.TURTLE)
        rows = store.query(f"SELECT (COUNT(?d) AS ?n) WHERE {{ ?d a <{DCAT}Dataset> }}")
        total += int(next(iter(rows))["n"].value)
    return total


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regiongraph", "generate", *args],
                          capture_output=True, text=True, check=False)


def test_cli_same_arguments_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for target in (a, b):
        result = _cli("--datasets", "1000", "--seed", "7", "--out", str(target))
        assert result.returncode == 0, result.stderr
    assert _digests(a) == _digests(b)
    # catalogs, region.json, sources.yaml, the registry
    assert len(_digests(a)) == community_count(1000) + 2 + len(REGISTRY_FILES)


def test_other_seed_other_region(tmp_path):
    generate_region(tmp_path / "a", datasets=300, seed=1)
    generate_region(tmp_path / "b", datasets=300, seed=2)
    assert _digests(tmp_path / "a") != _digests(tmp_path / "b")


@pytest.mark.parametrize("n", [1, 5, 999, 2500])
def test_exact_number_of_datasets(tmp_path, n):
    summary = generate_region(tmp_path, datasets=n, seed=3)
    manifest = json.loads((tmp_path / "region.json").read_text(encoding="utf-8"))
    assert sum(c["datasets"] for c in manifest["communities"]) == n
    assert manifest["communities"] == summary.communities
    assert _count(tmp_path) == n


def test_catalogs_are_valid_and_shaped_like_the_region(tmp_path):
    generate_region(tmp_path, datasets=2000, seed=11)
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")),
                                     format_checker=FormatChecker())
    records = []
    for path in sorted(tmp_path.glob("catalogs/*/data.json")):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        assert catalog["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
        records += catalog["dataset"]
    assert records
    for record in records:
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], record["identifier"]
    access = {r["accessLevel"] for r in records}
    assert access == {"public", "restricted public", "non-public"}
    with_standard = sum(1 for r in records if r.get("conformsTo"))
    assert 0.2 * len(records) < with_standard < 0.8 * len(records)
    turtle = sorted(tmp_path.glob("catalogs/*/catalog.ttl"))
    assert turtle, "some members publish DCAT Turtle"
    store = Store()
    for path in turtle:
        store.load(path=str(path), format=RdfFormat.TURTLE)
    datasets = int(next(iter(store.query(
        f"SELECT (COUNT(?d) AS ?n) WHERE {{ ?d a <{DCAT}Dataset> }}")))["n"].value)
    per_dataset = len(store) / datasets
    assert 30 <= per_dataset <= 45, per_dataset


def test_bad_size_is_one_line_error(tmp_path):
    result = _cli("--datasets", "0", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "at least 1" in result.stderr and "Traceback" not in result.stderr


def test_registry_reads_cleanly_and_scales(tmp_path):
    """The generated registry passes the stewards' reader (every reference resolves against
    the generated catalogs) and grows with the region, with lineage chains to follow."""
    import yaml

    for n in (400, 2500):
        root = tmp_path / str(n)
        generate_region(root, datasets=n, seed=5)
        assert sorted(p.stem for p in (root / "registry").glob("*.yaml")) == sorted(REGISTRY_FILES)
        triples = read_registry(root / "registry", Minter("https://data.example/"))
        assert triples
        projects = yaml.safe_load((root / "registry" / "projects.yaml").read_text())
        assert len(projects) == max(3, n // 40)
        approvals = yaml.safe_load((root / "registry" / "approvals.yaml").read_text())
        assert {a["status"] for a in approvals} >= {"approved", "revoked", "expired"}
    jobs = yaml.safe_load((tmp_path / "2500" / "registry" / "lineage.yaml").read_text())
    chains: dict[str, int] = {}
    for job in jobs:
        chain = job["id"].split("-hop-")[0]
        chains[chain] = chains.get(chain, 0) + 1
    assert max(chains.values()) >= 10, "some chains are deeper than 10 hops"


def test_sources_file_names_every_catalog(tmp_path):
    """`regiongraph load` harvests what sources.yaml names: every catalog, once."""
    from regiongraph.harvest import read_sources

    generate_region(tmp_path, datasets=300, seed=2)
    manifest = json.loads((tmp_path / "region.json").read_text(encoding="utf-8"))
    sources = read_sources(tmp_path / "sources.yaml")
    assert sorted((s.community, s.path, s.type) for s in sources) == sorted(
        (c["id"], (tmp_path / c["file"]).resolve(),
         "datajson" if c["format"] == "dcat-us-1.1" else "dcat")
        for c in manifest["communities"])


def test_publication_approvals_are_realistic(tmp_path):
    """Approvals to publish as members give them: by an executive of the owner, scope
    public, most in force for years around today, and not for every member."""
    import datetime as dt

    import yaml

    from regiongraph.generate.registry import KIND_ROLES

    generate_region(tmp_path, datasets=2500, seed=5)
    registry = tmp_path / "registry"
    approvals = yaml.safe_load((registry / "approvals.yaml").read_text())
    people = {p["id"]: p for p in yaml.safe_load((registry / "people.yaml").read_text())}
    members = yaml.safe_load((registry / "communities.yaml").read_text())
    executive_roles = {role for _, role in KIND_ROLES.values()}
    publishing = [a for a in approvals if "publish" in a["actions"]]
    assert {a["owner"] for a in publishing} == {m["id"] for m in members}
    today = dt.date.today().isoformat()
    in_force = []
    for approval in publishing:
        assert approval["actions"] == ["publish"] and approval["scope"] == "public"
        assert approval["legal_basis"]
        owner, datasets = approval["owner"], approval["datasets"]
        assert datasets and all(d.startswith(owner + "/") for d in datasets)
        if approval["status"] != "approved":
            continue
        roles = {(r["organization"], r["role"]) for r in people[approval["approver"]]["roles"]}
        assert any(org == owner and role in executive_roles for org, role in roles)
        if approval["valid_from"] <= today <= approval.get("valid_until", "9999"):
            in_force.append(approval)
    statuses = {a["status"] for a in publishing}
    assert {"approved", "requested", "expired"} <= statuses
    assert 0.3 * len(members) < len(in_force) < len(members)
    assert any("valid_until" not in a for a in in_force)  # standing open-data policies
    assert any(not d.endswith("/*") for a in in_force for d in a["datasets"])  # some domains
