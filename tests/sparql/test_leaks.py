"""Adversarial tests: nothing private reaches an anonymous user, by any route.

"Private" is computed, not listed: every IRI minted under the region's base that occurs
in the full demo store (as subject, object or graph name) but nowhere in the public view
(`visibility.public_quads`). Each adversarial request must mention none of them. Every
test also runs one request with the admin token that does mention some of them, so an
empty answer cannot pass for a safe one.
"""

import http.server
import re
import threading

import httpx
import pytest
from pyoxigraph import NamedNode

from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.sparql.public import build_public_store
from tests.sparql.conftest import ADMIN

RG = "https://w3id.org/regiongraph/ns#"
PREFIXES = ("PREFIX rg: <https://w3id.org/regiongraph/ns#>\n"
            "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
            "PREFIX dct: <http://purl.org/dc/terms/>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n")


def _base_iris(store, base: str) -> set[str]:
    found = set()
    for quad in store.quads():
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, NamedNode) and term.value.startswith(base):
                found.add(term.value)
    return found


@pytest.fixture(scope="module")
def secrets(demo_service) -> set[str]:
    base = demo_service.settings.base
    public = build_public_store(demo_service.store, demo_service.settings)
    hidden = _base_iris(demo_service.store, base) - _base_iris(public, base)
    assert len(hidden) > 50, "the demo must hold private things for these tests to mean much"
    return hidden


@pytest.fixture(scope="module")
def private_datasets(demo_service, secrets) -> list[str]:
    rows = demo_service.store.query(
        "SELECT DISTINCT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
        union_default_graph=True)
    hidden = sorted(r["d"].value for r in rows if r["d"].value in secrets)
    assert len(hidden) >= 5
    return hidden


IRI_TOKEN = re.compile(r"https?://[^\s\"'<>,\\]+")


def leaked(text: str, secrets: set[str]) -> list[str]:
    """Secret IRIs found whole in a response body (any format: JSON, TSV, N-Triples...)."""
    return sorted({token for token in IRI_TOKEN.findall(text) if token in secrets})


def registry(demo_service) -> str:
    return Minter(demo_service.settings.base).graph(REGISTRY_GRAPH).value


ADVERSARIAL_QUERIES = [
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT (GROUP_CONCAT(STR(?s); separator=' ') AS ?all) WHERE { ?s ?p ?o }",
    PREFIXES + "SELECT DISTINCT ?up WHERE { ?d prov:wasDerivedFrom* ?up }",
    PREFIXES + "SELECT DISTINCT ?x WHERE { ?p rg:usesDataset|rg:producesDataset ?x }",
    PREFIXES + "SELECT ?x ?y WHERE { ?x (rg:coversDataset|^rg:coversDataset)+ ?y }",
    PREFIXES + "SELECT ?a ?who WHERE { ?a a rg:Approval ; rg:approvedBy ?who }",
    PREFIXES + "SELECT ?x WHERE { ?x a rg:DataSharingAgreement }",
    PREFIXES + "SELECT ?x ?c WHERE { ?x rg:personalDataCategory ?c }",
    ("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'restricted') "
     "|| CONTAINS(STR(?s), 'confidential')) }"),
]


@pytest.mark.parametrize("query", ADVERSARIAL_QUERIES)
def test_adversarial_queries_find_nothing_private(demo_service, secrets, query):
    for fmt in ("json", "nt" if query.startswith("CONSTRUCT") else "tsv"):
        response = httpx.post(demo_service.sparql, data={"query": query, "format": fmt},
                              timeout=60)
        assert response.status_code == 200, response.text
        assert leaked(response.text, secrets) == []


def test_the_admin_token_sees_private_things(demo_service, secrets):
    response = httpx.post(demo_service.sparql, data={"query": ADVERSARIAL_QUERIES[0]},
                          headers=ADMIN, timeout=60)
    assert response.status_code == 200
    assert len(leaked(response.text, secrets)) > 50


def test_describe_of_private_datasets_is_empty(demo_service, private_datasets):
    for dataset in private_datasets[:10]:
        response = httpx.get(demo_service.sparql, params={"query": f"DESCRIBE <{dataset}>"},
                             headers={"Accept": "application/n-triples"})
        assert response.status_code == 200
        assert response.text.strip() == ""
        admin = httpx.get(demo_service.sparql, params={"query": f"DESCRIBE <{dataset}>"},
                          headers={**ADMIN, "Accept": "application/n-triples"})
        assert dataset in admin.text


def test_aggregates_do_not_count_private_things(demo_service):
    query = (PREFIXES + "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d rg:accessLevel ?level "
             "FILTER(?level != <https://w3id.org/regiongraph/concepts/access/public>) }")
    anonymous = httpx.get(demo_service.sparql, params={"query": query}).json()
    admin = httpx.get(demo_service.sparql, params={"query": query}, headers=ADMIN).json()
    assert anonymous["results"]["bindings"][0]["n"]["value"] == "0"
    assert int(admin["results"]["bindings"][0]["n"]["value"]) > 0


def test_dataset_parameters_and_from_named_cannot_reach_private_graphs(demo_service, secrets):
    graphs = sorted({s for s in secrets if "/graph/" in s})
    assert graphs, "some graphs (harvest log, meta, reports) are not public"
    for graph in graphs + [registry(demo_service)]:
        for response in (
            httpx.get(demo_service.sparql, params={"query": "SELECT * { ?s ?p ?o }",
                                                   "default-graph-uri": graph}),
            httpx.get(demo_service.sparql, params={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }",
                                                   "named-graph-uri": graph}),
            httpx.get(demo_service.sparql, params={
                "query": f"SELECT * FROM NAMED <{graph}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"}),
            httpx.get(demo_service.sparql, params={
                "query": f"SELECT * FROM <{graph}> {{ ?s ?p ?o }}"}),
        ):
            assert response.status_code == 200
            assert leaked(response.text, secrets - {graph}) == []


def test_graph_store_hides_private_graphs_and_triples(demo_service, secrets):
    graphs = sorted({s for s in secrets if "/graph/" in s})
    for graph in graphs:
        response = httpx.get(demo_service.url + "/store", params={"graph": graph})
        assert response.status_code == 404
        assert httpx.get(demo_service.url + "/store", params={"graph": graph},
                         headers=ADMIN).status_code == 200
    shown = httpx.get(demo_service.url + "/store", params={"graph": registry(demo_service)},
                      headers={"Accept": "application/n-triples"})
    assert shown.status_code == 200
    assert leaked(shown.text, secrets) == []
    full = httpx.get(demo_service.url + "/store", params={"graph": registry(demo_service)},
                     headers={**ADMIN, "Accept": "application/n-triples"})
    assert len(full.text) > len(shown.text) and leaked(full.text, secrets)


@pytest.mark.parametrize("name,params", [
    ("datasets-with-personal-data", {}),
    ("approvals-by-status", {"status": "revoked"}),
    ("approvals-by-status", {"status": "requested"}),
    ("agreements-by-community", {}),
    ("data-leaders-engaged-late", {"after": "ideation"}),
    ("lineage-upstream", {}),
    ("cross-community-use-without-approval", {}),
    ("dataset-card", {}),
])
def test_named_queries_show_only_public_data(demo_service, secrets, private_datasets, name, params):
    response = httpx.get(f"{demo_service.url}/queries/{name}", params=params)
    assert response.status_code == 200, response.text
    assert leaked(response.text, secrets) == []
    card = httpx.get(f"{demo_service.url}/queries/dataset-card",
                     params={"dataset": private_datasets[0], "format": "nt"})
    assert card.status_code == 200 and card.text.strip() == ""


def test_service_description_lists_only_public_graphs(demo_service, secrets):
    anonymous = httpx.get(demo_service.sparql, headers={"Accept": "application/n-triples"})
    assert anonymous.status_code == 200
    assert leaked(anonymous.text, secrets) == []
    admin = httpx.get(demo_service.sparql, headers={**ADMIN, "Accept": "application/n-triples"})
    assert leaked(admin.text, secrets)


# -- SERVICE and LOAD never make the server fetch anything --------------------------------


@pytest.fixture
def trap():
    """A loopback HTTP server that counts every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.end_headers()
            self.wfile.write(b"<http://e/a> <http://e/p> <http://e/o> .")

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z . {{ SeRvIcE <{url}/q> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX s: <{url}/>\nSELECT * WHERE {{ # a comment\n SERVICE s:sparql {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_before_any_fetch(demo_service, trap, template):
    url, hits = trap
    query = template.format(url=url)
    for headers in ({}, ADMIN):
        response = httpx.get(demo_service.sparql, params={"query": query}, headers=headers)
        assert response.status_code == 400
        assert "SERVICE is refused" in response.text
    assert hits == []


def test_the_word_service_in_strings_iris_and_comments_is_fine(demo_service, trap):
    url, hits = trap
    query = (f'SELECT ?x WHERE {{ BIND("SERVICE <{url}>" AS ?x) '
             "FILTER(?x != <http://example.org/SERVICE>) } # SERVICE")
    response = httpx.get(demo_service.sparql, params={"query": query})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")
    assert hits == []


def test_load_is_refused_even_with_the_token(scratch_service, trap):
    url, hits = trap
    for update in (f"LOAD <{url}/data.ttl>", f"load silent <{url}/data.ttl> INTO GRAPH <http://e/g>"):
        response = httpx.post(scratch_service.sparql, data={"update": update}, headers=ADMIN)
        assert response.status_code == 400
        assert "LOAD is refused" in response.text
    assert hits == []


# -- the view follows changes ------------------------------------------------------------------


def test_revoking_an_approval_hides_the_dataset_at_once(scratch_service):
    from regiongraph.visibility import publishing_approvals

    approvals = publishing_approvals(scratch_service.store, scratch_service.settings)
    by_approval: dict[str, set[str]] = {}
    for dataset, names in approvals.items():
        for approval in names:
            by_approval.setdefault(approval, set()).add(dataset)
    # a dataset allowed by exactly one approval, so revoking that one hides it
    dataset, approval = next((d, next(iter(a))) for d, a in sorted(approvals.items())
                             if len(a) == 1)
    ask = f"ASK {{ <{dataset}> ?p ?o }}"
    assert httpx.get(scratch_service.sparql, params={"query": ask}).json()["boolean"] is True
    graph = registry(scratch_service)
    status = "https://w3id.org/regiongraph/concepts/status/"
    update = (f"DELETE {{ GRAPH <{graph}> {{ <{approval}> <{RG}status> ?s }} }} "
              f"INSERT {{ GRAPH <{graph}> {{ <{approval}> <{RG}status> <{status}revoked> }} }} "
              f"WHERE {{ GRAPH <{graph}> {{ <{approval}> <{RG}status> ?s }} }}")
    response = httpx.post(scratch_service.sparql, data={"update": update}, headers=ADMIN)
    assert response.status_code == 204, response.text
    assert httpx.get(scratch_service.sparql, params={"query": ask}).json()["boolean"] is False
    assert httpx.get(scratch_service.sparql, params={"query": ask},
                     headers=ADMIN).json()["boolean"] is True
