"""The planners' API over real HTTP on the demo region: lineage and impact against networkx on
the raw triples, what anonymous users may see, reuse, governance, and manual edges."""

import re
from urllib.parse import quote

import httpx
import networkx as nx
import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.analysis.graphs import RegionBuilder, ds
from tests.support import serve_app

PREFIX = """PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rg: <https://w3id.org/regiongraph/ns#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""


def raw_lineage_graph(store) -> nx.DiGraph:
    """The lineage graph rebuilt straight from the triples, independently of the kernel."""
    g = nx.DiGraph()
    projects = {r["p"].value for r in store.query(
        PREFIX + "SELECT ?p WHERE { ?p a rg:Project }", union_default_graph=True)}
    for row in store.query(PREFIX + "SELECT ?a ?b WHERE { ?b prov:wasDerivedFrom ?a }",
                           union_default_graph=True):
        g.add_edge(row["a"].value, row["b"].value)
    for row in store.query(PREFIX + "SELECT ?j ?d WHERE { ?j prov:used ?d }",
                           union_default_graph=True):
        if row["j"].value not in projects:
            g.add_edge(row["d"].value, row["j"].value)
    for row in store.query(PREFIX + "SELECT ?j ?d WHERE { { ?j prov:generated ?d } UNION "
                                    "{ ?d prov:wasGeneratedBy ?j } }", union_default_graph=True):
        if row["j"].value not in projects:
            g.add_edge(row["j"].value, row["d"].value)
    return g


@pytest.fixture(scope="module")
def raw_graph(demo_store):
    return raw_lineage_graph(demo_store)


def busiest(graph: nx.DiGraph) -> str:
    datasets = [n for n in graph if "/datasets/" in n]
    return max(sorted(datasets), key=lambda n: len(nx.ancestors(graph, n))
               + len(nx.descendants(graph, n)))


def test_demo_has_lineage_chains(raw_graph):
    assert raw_graph.number_of_edges() > 50
    longest = max(len(nx.ancestors(raw_graph, n)) for n in raw_graph)
    assert longest >= 4


@pytest.mark.parametrize("direction", ["up", "down", "both"])
def test_lineage_matches_networkx_on_demo(planning_url, admin_headers, raw_graph, direction):
    root = busiest(raw_graph)
    response = httpx.get(f"{planning_url}/lineage/{quote(root, safe='')}",
                         params={"direction": direction, "depth": 10, "cap": 5000},
                         headers=admin_headers, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = {root}
    if direction in ("up", "both"):
        expected |= set(nx.single_source_shortest_path_length(raw_graph.reverse(), root, 10))
    if direction in ("down", "both"):
        expected |= set(nx.single_source_shortest_path_length(raw_graph, root, 10))
    assert {n["id"] for n in body["nodes"]} == expected
    assert body["partial"] is False and body["root"] == root
    assert all((e["source"], e["target"]) in raw_graph.edges for e in body["edges"])


def test_impact_matches_networkx_on_demo(planning_url, admin_headers, raw_graph, demo_region):
    root = busiest(raw_graph)
    body = httpx.get(f"{planning_url}/impact/{quote(root, safe='')}", headers=admin_headers,
                     timeout=60).json()
    expected = {n for n in nx.descendants(raw_graph, root) | {root} if "/datasets/" in n}
    assert {d["id"] for d in body["datasets"]} == expected
    users = {p for p, project in demo_region.projects.items()
             if (project.uses | project.produces) & expected}
    assert {p["id"] for p in body["projects"]} == users


def test_community_identifier_and_rollup(planning_url, raw_graph, publishable):
    root = busiest(raw_graph)
    short = root.split("/datasets/", 1)[1]
    body = httpx.get(f"{planning_url}/lineage/{short}?level=community&depth=5", timeout=60)
    assert body.status_code == 200
    data = body.json()
    assert data["level"] == "community" and "/communities/" in data["root"]
    assert all(n["type"] == "community" for n in data["nodes"])


def test_anonymous_lineage_shows_only_publishable(planning_url, raw_graph, publishable,
                                                  demo_region):
    hidden = sorted(set(demo_region.datasets) - publishable)
    assert hidden, "the demo must have datasets anonymous users may not see"
    for root in sorted(n for n in raw_graph if n in publishable)[:15]:
        data = httpx.get(f"{planning_url}/lineage/{quote(root, safe='')}?depth=10",
                         timeout=60).json()
        assert all(n["id"] in publishable for n in data["nodes"]), root
    linked_hidden = [n for n in hidden if n in raw_graph]
    assert linked_hidden
    response = httpx.get(f"{planning_url}/lineage/{quote(linked_hidden[0], safe='')}", timeout=60)
    assert response.status_code == 404
    assert httpx.get(f"{planning_url}/impact/{quote(linked_hidden[0], safe='')}",
                     timeout=60).status_code == 404


def test_impact_hides_governance_from_anonymous(planning_url, admin_headers, raw_graph,
                                                publishable):
    roots = [n for n in raw_graph if n in publishable]
    found_any = False
    for root in roots:
        admin = httpx.get(f"{planning_url}/impact/{quote(root, safe='')}",
                          headers=admin_headers, timeout=60).json()
        anonymous = httpx.get(f"{planning_url}/impact/{quote(root, safe='')}", timeout=60).json()
        assert anonymous["governance"] == []
        assert "approval" not in anonymous["summary"]
        assert all(d["id"] in publishable for d in anonymous["datasets"])
        found_any = found_any or bool(admin["governance"])
    assert found_any, "some public dataset's impact must involve an approval"


def test_reuse_json(planning_url, publishable):
    body = httpx.get(f"{planning_url}/reuse", timeout=60).json()
    items = body["items"]
    assert len(items) > 20
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    for item in items:
        assert set(item) >= {"dataset", "publisher", "for_community", "for_project", "score",
                             "reasons"}
        assert item["dataset"] in publishable
        assert item["publisher"] != item["for_community"]
        assert item["reasons"] and all(r["text"] for r in item["reasons"])
    groups = body["near_duplicates"]
    streetlights = [g for g in groups if any("streetlight" in d["label"].lower()
                                             for d in g["datasets"])]
    assert streetlights and len(streetlights[0]["communities"]) >= 3
    mesquite = httpx.get(f"{planning_url}/reuse?community=mesquite", timeout=60).json()
    assert mesquite["items"]
    assert all(i["for_community"].endswith("/communities/mesquite") for i in mesquite["items"])
    assert httpx.get(f"{planning_url}/reuse?community=atlantis", timeout=60).status_code == 404
    for path in ("/lineage/atlantis/nothing", "/impact/atlantis/nothing", "/lineage/nonsense"):
        assert httpx.get(planning_url + path, timeout=60).status_code == 404, path


def test_governance_needs_admin_and_lapse_works(planning_url, admin_headers):
    assert httpx.get(f"{planning_url}/governance", timeout=60).status_code == 401
    # members see their own community's governance; an unknown token is refused as such
    assert httpx.get(f"{planning_url}/governance", headers={"Authorization": "Bearer nope"},
                     timeout=60).status_code == 401
    body = httpx.get(f"{planning_url}/governance", params={"days": 3650},
                     headers=admin_headers, timeout=60).json()
    edges = body["edges"]
    assert body["covered"] > 0 and body["uncovered"] > 0
    flags = [e["covered"] for e in edges]
    assert flags == sorted(flags), "uncovered flows come first"
    assert all(e["from_community"] != e["to_community"] for e in edges)
    assert body["expiring"], "some approval must expire within ten years"
    # lapse the record that covers the most flows: those it alone covered become uncovered
    counts: dict[str, int] = {}
    for e in edges:
        for c in e["covered_by"]:
            counts[c["id"]] = counts.get(c["id"], 0) + 1
    record = max(sorted(counts), key=lambda r: counts[r])
    lapsed = httpx.get(f"{planning_url}/governance", params={"lapse": record},
                       headers=admin_headers, timeout=60).json()
    alone = {(e["kind"], e["source"], e["target"]) for e in edges
             if [c["id"] for c in e["covered_by"]] == [record]}
    assert {(e["kind"], e["source"], e["target"]) for e in lapsed["newly_uncovered"]} == alone
    assert alone
    missing = httpx.get(f"{planning_url}/governance", params={"lapse": "https://x.example/a"},
                        headers=admin_headers, timeout=60)
    assert missing.status_code == 404


def test_engagement_and_network(planning_url, admin_headers):
    assert httpx.get(f"{planning_url}/engagement", timeout=60).status_code == 401
    body = httpx.get(f"{planning_url}/engagement", headers=admin_headers, timeout=60).json()
    assert {"late", "none"} <= {e["status"] for e in body["engagement"]}
    assert body["gaps"] >= 1
    caps = httpx.get(f"{planning_url}/capabilities", timeout=60).json()
    assert caps["gaps"] == body["gaps"]
    net = httpx.get(f"{planning_url}/network", timeout=60).json()
    assert net["summary"] and net["components"]
    assert all(f["sentence"] for f in net["articulation_points"] + net["dataset_centrality"])
    standards = httpx.get(f"{planning_url}/standards", timeout=60).json()["standards"]
    open311 = next(s for s in standards if "Open311" in s["label"])
    assert open311["adopters"] and open311["gaps"]


def test_pages_never_name_hidden_datasets(planning_url, demo_region, publishable):
    hidden = set(demo_region.datasets) - publishable
    hidden_paths = {h.split("/datasets/", 1)[1] for h in hidden}
    # projects that use or produce hidden data are where a leak would show
    touchy = sorted(p for p, project in demo_region.projects.items()
                    if (project.uses | project.produces) & hidden)
    assert touchy
    pages = [f"/projects/{p.rsplit('/', 1)[-1]}" for p in touchy[:6]]
    for path in ("/", "/communities/saguaro", "/communities/valley-water", *pages,
                 "/reuse", "/explore", "/reuse?format=json", "/network", "/standards",
                 "/?format=json", "/capabilities"):
        response = httpx.get(planning_url + path, headers={"Accept": "text/html"}, timeout=60)
        assert response.status_code == 200, path
        linked = set(re.findall(r"/datasets/([A-Za-z0-9._~%/-]+)", response.text))
        assert not (linked & hidden_paths), (path, sorted(linked & hidden_paths)[:3])
        for iri in hidden:
            assert iri not in response.text, (path, iri)


def test_pages_render(planning_url, admin_headers, demo_region):
    html = {"Accept": "text/html"}
    page = httpx.get(planning_url + "/", headers=html, timeout=60)
    assert "The region's data at a glance" in page.text and 'id="counts"' in page.text
    assert 'id="expiring"' not in page.text, "expiring approvals are for stewards"
    admin = httpx.get(planning_url + "/", headers={**html, **admin_headers}, timeout=60)
    assert "expiring within 90 days" in admin.text
    gov = httpx.get(planning_url + "/governance", headers={**html, **admin_headers}, timeout=60)
    assert gov.status_code == 200 and 'id="flows"' in gov.text
    community = httpx.get(planning_url + "/communities/mesquite", headers=html, timeout=60)
    assert "City of Mesquite" in community.text and 'id="reuse"' in community.text
    assert httpx.get(planning_url + "/communities/atlantis", headers=html,
                     timeout=60).status_code == 404
    as_json = httpx.get(planning_url + "/communities/mesquite?format=json", timeout=60).json()
    assert as_json["datasets"] and as_json["projects"]
    assert httpx.get(planning_url + "/projects/nothing-here", timeout=60).status_code == 404


@pytest.fixture()
def writable_service(tmp_path):
    b = RegionBuilder()
    for name in ("a/raw", "b/clean"):
        b.dataset(name)
    settings = Settings(store=str(tmp_path / "store"), admin_token="secret")
    store = open_store(settings)
    store.add(b.quads)
    with serve_app(create_app(settings, store=store)) as url:
        yield url, store
    store.close()


def test_manual_edges_over_http(writable_service):
    url, store = writable_service
    body = {"source": ds("a/raw").value, "target": ds("b/clean").value,
            "reason": "cleaned by hand each month", "agent": "Kim Lee"}
    assert httpx.post(f"{url}/lineage/edges", json=body).status_code == 401
    assert httpx.post(f"{url}/lineage/edges", json=body,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    admin = {"Authorization": "Bearer secret"}
    bad = httpx.post(f"{url}/lineage/edges", json={**body, "source": ds("a/none").value},
                     headers=admin)
    assert bad.status_code == 422 and "not a dataset" in bad.text
    created = httpx.post(f"{url}/lineage/edges", json=body, headers=admin)
    assert created.status_code == 201
    edge = created.json()
    assert edge["agent"].endswith("/people/kim-lee") and edge["recorded_at"]
    up = httpx.get(f"{url}/lineage/b/clean?direction=up", headers=admin).json()
    assert [(e["source"], e["kind"]) for e in up["edges"]] == [(ds("a/raw").value, "manual")]
    # the edge and its attribution live in the manual graph, apart from every source graph
    manual = "https://data.sonoranvalley.example/graph/manual"
    rows = list(store.query(PREFIX + f"""SELECT ?who ?why WHERE {{ GRAPH <{manual}> {{
        ?e prov:wasAttributedTo ?who ;
           <http://www.w3.org/2000/01/rdf-schema#comment> ?why }} }}"""))
    assert [(r["who"].value, r["why"].value) for r in rows] == [(edge["agent"], body["reason"])]
    gone = httpx.request("DELETE", f"{url}/lineage/edges", headers=admin,
                         params={"id": edge["id"], "agent": "Ana", "reason": "duplicate"})
    assert gone.status_code == 200 and gone.json()["deleted_at"]
    again = httpx.request("DELETE", f"{url}/lineage/edges", headers=admin,
                          params={"id": edge["id"], "agent": "Ana", "reason": "duplicate"})
    assert again.status_code == 409
    up = httpx.get(f"{url}/lineage/b/clean?direction=up", headers=admin).json()
    assert up["edges"] == []
    audit = httpx.get(f"{url}/lineage/edges?deleted=true", headers=admin).json()
    assert audit[0]["deletion_reason"] == "duplicate" and audit[0]["deleted_by"].endswith("/ana")
    assert httpx.get(f"{url}/lineage/edges", headers=admin).json() == []


def test_project_rollup_names_every_project_touching_the_lineage(planning_url, admin_headers,
                                                                  raw_graph, demo_region):
    root = busiest(raw_graph)
    params = {"direction": "both", "depth": 10, "cap": 5000}
    datasets = httpx.get(f"{planning_url}/lineage/{quote(root, safe='')}", params=params,
                         headers=admin_headers, timeout=60).json()
    found = {n["id"] for n in datasets["nodes"]}
    rolled = httpx.get(f"{planning_url}/lineage/{quote(root, safe='')}",
                       params={**params, "level": "project"}, headers=admin_headers,
                       timeout=60).json()
    expected = {p for p, project in demo_region.projects.items()
                if (project.uses | project.produces) & found}
    assert expected, "the busiest lineage must touch some project"
    assert {n["id"] for n in rolled["nodes"]} - {rolled["root"]} <= expected
    assert {n["id"] for n in rolled["nodes"] if n["type"] == "project"} == expected
    assert all(e["source"] in expected and e["target"] in expected for e in rolled["edges"])
