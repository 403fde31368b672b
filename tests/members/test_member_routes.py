"""Adversarial probes, over real HTTP on a real on-disk store, for each demo person, an
anonymous user and a revoked token: every route shows exactly what the member rule grants.

The expectations are written out by hand from the demo registry (not computed by the
module under test):
- saguaro/shelter-intake: confidential, personal data the classification opens to data
  leaders, data stewards and privacy officers; Saguaro's own, shared with Mesquite (the
  live agreement ending 2027-03-31) and with Sonoran County (agreement until 2028);
- sonoran-county/hmis-enrollments: confidential, the same personal-data roles; the
  county's own, shared with Saguaro and Mesquite (agreement and approval until 2027-06-30);
- saguaro/use-of-force: internal, no personal data: every Saguaro role with a clearance;
- saguaro/911-calls, mesquite/cad-911-calls: personal data the classification opens to
  no role: nobody but the alliance steward.
"""

import datetime as dt

import httpx
import pytest
import requests
from ckanapi import NotFound, RemoteCKAN
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.members.conftest import ADMIN_TOKEN, PEOPLE, REFERENCE_DAY

SHELTER, HMIS, FORCE = "saguaro/shelter-intake", "sonoran-county/hmis-enrollments", \
    "saguaro/use-of-force"
PROBES = (SHELTER, HMIS, FORCE, "saguaro/911-calls", "mesquite/cad-911-calls")
GRANTED = {
    "lena-park": {SHELTER, HMIS, FORCE}, "maria-delgado": {FORCE},
    "tom-reyes": {SHELTER, HMIS, FORCE}, "nadia-benali": {FORCE},
    "sofia-marquez": {SHELTER, HMIS}, "robert-hale": set(),
    "marcus-webb": {SHELTER, HMIS}, "kevin-cho": set(),
    "luis-romero": {SHELTER, HMIS}, "patricia-holmes": set(),
    "grace-yazzie": {SHELTER, HMIS}, "oliver-tran": set(),
    None: set(),
}
AGREEMENT = "agreements/saguaro-mesquite-shelter-intake"
TIMEOUT = 60.0


def test_the_demo_has_each_role_in_three_communities():
    roles = {"data-leader", "data-steward", "analyst"}
    for community in ("saguaro", "mesquite", "sonoran-county"):
        held = {role for c, role in PEOPLE.values() if c == community}
        assert roles <= held and held - roles, community  # and one executive


def _sparql(members, who, query: str, **params) -> httpx.Response:
    return httpx.post(members.url + "/sparql", data={"query": query, **params},
                      headers={**members.headers(who), "Accept": "application/sparql-results+json"},
                      timeout=TIMEOUT)


def _probe_values(members) -> str:
    return " ".join(f"<{members.dataset(p)}>" for p in PROBES)


def _shown(members, rows: list[dict], var: str = "d") -> set[str]:
    prefix = members.dataset("")
    return {row[var]["value"][len(prefix):] for row in rows if var in row}


def _graphs_holding_probes(members) -> list[str]:
    rows = members.store.query(f"SELECT DISTINCT ?g WHERE {{ VALUES ?d {{ {_probe_values(members)} }} "
                               "GRAPH ?g { ?d ?p ?o } }")
    return sorted(row["g"].value for row in rows)


@pytest.mark.parametrize("who", [*PEOPLE, None])
def test_sparql_shows_each_person_what_the_rule_grants(members, who):
    values = _probe_values(members)
    expected = GRANTED[who]
    plain = _sparql(members, who, f"SELECT ?d WHERE {{ VALUES ?d {{ {values} }} ?d a ?t }}")
    assert plain.status_code == 200, plain.text
    assert _shown(members, plain.json()["results"]["bindings"]) == expected
    graphs = _sparql(members, who, f"SELECT DISTINCT ?d WHERE {{ GRAPH ?g {{ ?d ?p ?o }} "
                                   f"VALUES ?d {{ {values} }} }}")
    assert _shown(members, graphs.json()["results"]["bindings"]) == expected
    named = _sparql(members, who, "SELECT DISTINCT ?d WHERE { GRAPH ?g { ?d a ?t } "
                                  f"VALUES ?d {{ {values} }} }}",
                    **{"named-graph-uri": _graphs_holding_probes(members)})
    assert _shown(members, named.json()["results"]["bindings"]) == expected
    counted = _sparql(members, who, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                    f"VALUES ?s {{ <{members.dataset('saguaro/911-calls')}> }} }}")
    assert counted.json()["results"]["bindings"][0]["n"]["value"] == "0"
    for probe in PROBES:
        described = httpx.post(members.url + "/sparql",
                               data={"query": f"DESCRIBE <{members.dataset(probe)}>"},
                               headers={**members.headers(who), "Accept": "application/n-triples"},
                               timeout=TIMEOUT)
        assert described.status_code == 200
        assert bool(described.text.strip()) == (probe in expected), probe


@pytest.mark.parametrize("who", ["sofia-marquez", "kevin-cho", "luis-romero", None])
def test_the_graph_store_reads_only_the_view(members, who):
    source = next(g for g in _graphs_holding_probes(members) if "saguaro" in g and "source" in g)
    answer = httpx.get(members.url + "/store", params={"graph": source},
                       headers={**members.headers(who), "Accept": "application/n-triples"},
                       timeout=TIMEOUT)
    assert answer.status_code == 200
    subjects = {line.split(" ")[0] for line in answer.text.splitlines() if line}
    assert (f"<{members.dataset(SHELTER)}>" in subjects) == (SHELTER in GRANTED[who])
    assert f"<{members.dataset('saguaro/911-calls')}>" not in subjects


def _title(members, path: str) -> str:
    rows = members.store.query(f"SELECT ?t WHERE {{ <{members.dataset(path)}> "
                               "<http://purl.org/dc/terms/title> ?t }", union_default_graph=True)
    return next(iter(rows))["t"].value


@pytest.mark.parametrize("who", [*PEOPLE, None])
def test_search_and_its_facets(members, who):
    expected = GRANTED[who]
    for probe in PROBES:
        answer = httpx.get(members.url + "/search",
                           params={"q": f'"{_title(members, probe)}"', "rows": 50},
                           headers={**members.headers(who), "Accept": "application/json"},
                           timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found = {hit["iri"] for hit in body["results"]}
        assert (members.dataset(probe) in found) == (probe in expected), probe
        hidden = {members.dataset(p) for p in PROBES if p not in expected}
        assert not found & hidden
    facets = httpx.get(members.url + "/search", params={"fq": "community:saguaro", "rows": 1},
                       headers={**members.headers(who), "Accept": "application/json"},
                       timeout=TIMEOUT).json()["facets"]
    if who is None:
        assert "access" not in facets
        return
    # The access facet counts what this person's SPARQL view holds, and no more.
    access = {v["value"]: v["count"] for v in facets.get("access", [])}
    confidential = httpx.get(members.url + "/search", params={
        "fq": ["community:saguaro", "access:confidential"], "rows": 100},
        headers={**members.headers(who), "Accept": "application/json"}, timeout=TIMEOUT).json()
    in_search = {hit["iri"] for hit in confidential["results"]}
    in_view = _sparql(members, who, f"""SELECT ?d WHERE {{
        ?d <http://purl.org/dc/terms/publisher> <{members.settings.base}communities/saguaro> ;
           <https://w3id.org/regiongraph/ns#accessLevel>
           <https://w3id.org/regiongraph/concepts/access/confidential> }}""").json()
    assert in_search == {row["d"]["value"] for row in in_view["results"]["bindings"]}
    assert access.get("confidential", 0) == len(in_search)
    assert (members.dataset(SHELTER) in in_search) == (SHELTER in expected)
    assert members.dataset("saguaro/911-calls") not in in_search


@pytest.mark.parametrize("who", ["sofia-marquez", "robert-hale", "tom-reyes", None])
def test_catalog_and_data_json(members, who):
    expected = GRANTED[who]
    catalog = httpx.get(members.url + "/communities/saguaro/catalog.nt",
                        params={"page_size": 500}, headers=members.headers(who), timeout=TIMEOUT)
    assert catalog.status_code == 200, catalog.text
    datajson = httpx.get(members.url + "/communities/saguaro/data.json",
                         headers=members.headers(who), timeout=TIMEOUT)
    identifiers = {d["identifier"] for d in datajson.json()["dataset"]}
    for probe in (SHELTER, FORCE, "saguaro/911-calls"):
        assert (f"<{members.dataset(probe)}> " in catalog.text) == (probe in expected), probe
        assert (probe in identifiers) == (probe in expected), probe
    policy = f"<http://www.w3.org/ns/odrl/2/hasPolicy> <{members.settings.base}{AGREEMENT}>"
    # the agreement rides on each of the shared dataset's distributions, for Mesquite only
    shared = [line for line in catalog.text.splitlines() if policy in line]
    assert bool(shared) == (who == "sofia-marquez")
    if who == "sofia-marquez":
        distributions = {line.split(" ")[2] for line in catalog.text.splitlines()
                         if line.startswith(f"<{members.dataset(SHELTER)}> <http://www.w3.org/ns/dcat#distribution>")}
        assert distributions and {line.split(" ")[0] for line in shared} == distributions


@pytest.mark.parametrize("who", ["sofia-marquez", "kevin-cho", "grace-yazzie", None])
def test_ckanapi_with_include_private(members, who):
    # ckanapi's apikey= sends `Authorization: <key>`, which the auth helper's CKAN change
    # accepts; until it is on main, the token goes as a Bearer header on ckanapi's session.
    session = requests.Session()
    session.headers.update(members.headers(who))
    client = RemoteCKAN(members.url, user_agent="member-tests", session=session)
    try:
        names = set()
        for probe in PROBES:
            try:
                package = client.action.package_show(id=members.dataset(probe))
                names.add(probe)
                assert package["private"] is True
            except NotFound:
                pass
        assert names == GRANTED[who]
        result = client.action.package_search(q=f'"{_title(members, SHELTER)}"',
                                              include_private=True, rows=50)
        found = {p["name"] for p in result["results"]}
        assert any("shelter-intake" in n and "saguaro" in n for n in found) == (
            SHELTER in GRANTED[who]), found
        public_only = client.action.package_search(q=f'"{_title(members, SHELTER)}"', rows=50)
        assert not any("saguaro" in p["name"] and "shelter-intake" in p["name"]
                       for p in public_only["results"])
    finally:
        client.close()


@pytest.mark.parametrize("who", ["lena-park", "sofia-marquez", "kevin-cho", None])
def test_lineage_impact_and_dataset_pages(members, who):
    for probe in (SHELTER, FORCE, "saguaro/911-calls"):
        granted = probe in GRANTED[who]
        for path in (f"/lineage/{probe}", f"/impact/{probe}", f"/datasets/{probe}"):
            answer = httpx.get(members.url + path, headers=members.headers(who),
                               timeout=TIMEOUT)
            assert answer.status_code == (200 if granted else 404), (path, answer.status_code)


def test_governance_for_a_member_of_their_own_community(members):
    answer = httpx.get(members.url + "/governance", headers={
        **members.headers("sofia-marquez"), "Accept": "application/json"}, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    mesquite = members.settings.base + "communities/mesquite"
    edges = answer.json()["edges"]
    assert edges and all(mesquite in (e["from_community"], e["to_community"]) for e in edges)
    full = httpx.get(members.url + "/governance", headers={
        "Authorization": f"Bearer {ADMIN_TOKEN}", "Accept": "application/json"}, timeout=TIMEOUT)
    assert len(full.json()["edges"]) > len(edges)
    assert httpx.get(members.url + "/governance", timeout=TIMEOUT).status_code == 401


def test_a_revoked_token_is_refused_on_every_route(members):
    for method, path in [("POST", "/sparql"), ("GET", "/store?default"), ("GET", "/search"),
                         ("GET", "/catalog"), ("GET", "/data.json"),
                         ("GET", f"/lineage/{SHELTER}"), ("GET", f"/datasets/{SHELTER}"),
                         ("GET", "/governance")]:
        answer = httpx.request(method, members.url + path, headers=members.headers("revoked"),
                               data={"query": "ASK {}"} if method == "POST" else None,
                               timeout=TIMEOUT)
        assert answer.status_code == 401, (path, answer.status_code)
    ckan = httpx.get(members.url + "/api/3/action/package_show", params={"id": SHELTER},
                     headers=members.headers("revoked"), timeout=TIMEOUT)
    assert ckan.status_code == 403


def test_sparqlwrapper_with_a_token_header(members):
    client = SPARQLWrapper(members.url + "/sparql")
    client.addCustomHttpHeader("Authorization", members.headers("marcus-webb")["Authorization"])
    client.setQuery(f"SELECT ?d WHERE {{ VALUES ?d {{ {_probe_values(members)} }} ?d a ?t }}")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert _shown(members, rows) == GRANTED["marcus-webb"]


def test_audit_records_who_saw_non_public_data(members):
    from regiongraph.audit import who_saw

    headers = members.headers("sofia-marquez")
    httpx.get(members.url + f"/datasets/{SHELTER}", headers=headers, timeout=TIMEOUT)
    _sparql(members, "sofia-marquez", f"DESCRIBE <{members.dataset(SHELTER)}>")
    seen = who_saw(members.store, members.settings, members.dataset(SHELTER))
    by_sofia = {s.route for s in seen if s.person == members.person("sofia-marquez")}
    assert {"dataset", "sparql"} <= by_sofia
    assert not any(s.person == members.person("kevin-cho") for s in seen)
    answer = httpx.get(members.url + "/audit/who-saw", params={"dataset": SHELTER},
                       headers=members.headers("tom-reyes"), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert members.person("sofia-marquez") in {s["person"] for s in answer.json()["seen_by"]}
    assert httpx.get(members.url + "/audit/who-saw", params={"dataset": SHELTER},
                     headers=members.headers("sofia-marquez"), timeout=TIMEOUT).status_code == 403
    public = httpx.get(members.url + "/audit/who-saw", params={"dataset": SHELTER},
                       timeout=TIMEOUT)
    assert public.status_code == 401


def test_the_agreement_lapses_the_day_after_its_end_without_a_restart(members):
    """Last in the module: it moves the running service's day."""
    values = _probe_values(members)
    query = f"SELECT ?d WHERE {{ VALUES ?d {{ {values} }} ?d a ?t }}"
    members.settings.today = dt.date(2027, 3, 31)
    try:
        assert _shown(members, _sparql(members, "sofia-marquez", query).json()[
            "results"]["bindings"]) == {SHELTER, HMIS}
        members.settings.today = dt.date(2027, 4, 1)
        assert _shown(members, _sparql(members, "sofia-marquez", query).json()[
            "results"]["bindings"]) == {HMIS}
        assert httpx.get(members.url + f"/datasets/{SHELTER}",
                         headers=members.headers("marcus-webb"), timeout=TIMEOUT).status_code == 404
        catalog = httpx.get(members.url + "/communities/saguaro/catalog.nt",
                            params={"page_size": 500}, headers=members.headers("sofia-marquez"),
                            timeout=TIMEOUT).text
        assert f"<{members.dataset(SHELTER)}> " not in catalog and AGREEMENT not in catalog
        found = httpx.get(members.url + "/search", params={"q": f'"{_title(members, SHELTER)}"'},
                          headers={**members.headers("sofia-marquez"),
                                   "Accept": "application/json"}, timeout=TIMEOUT).json()
        assert members.dataset(SHELTER) not in {h["iri"] for h in found["results"]}
        # Saguaro's own steward still sees it; the county's agreement runs until 2028
        assert _shown(members, _sparql(members, "grace-yazzie", query).json()[
            "results"]["bindings"]) == {SHELTER, HMIS}
    finally:
        members.settings.today = REFERENCE_DAY


def test_rdflib_sparqlstore_with_headers(members):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(members.url + "/sparql", returnFormat="json",
                        headers=members.headers("luis-romero"))
    graph = Graph(store=store)
    rows = graph.query(f"SELECT ?d WHERE {{ VALUES ?d {{ {_probe_values(members)} }} ?d a ?t }}")
    prefix = members.dataset("")
    assert {str(r.d)[len(prefix):] for r in rows} == GRANTED["luis-romero"]
    assert list(graph.triples((URIRef(members.dataset(SHELTER)), None, None)))
    assert not list(graph.triples((URIRef(members.dataset("saguaro/911-calls")), None, None)))
