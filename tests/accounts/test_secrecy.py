"""The accounts graph is invisible through every route, even to the admin token."""

import hashlib

import httpx
import pytest

from regiongraph.accounts import issue_token
from regiongraph.iri import Minter
from tests.sparql.conftest import ADMIN

SECRETS_QUERIES = [
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?s ?o WHERE { ?s ?p ?o }",
    "SELECT ?s ?o FROM NAMED <{accounts}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s ?o FROM <{accounts}> WHERE { ?s ?p ?o }",
    "PREFIX g: <{graphs}> SELECT ?s ?o FROM g:accounts WHERE { ?s ?p ?o }",
    "BASE <{graphs}> SELECT ?s ?o FROM NAMED <accounts> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DESCRIBE <{token}>",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <{accounts}> { ?s ?p ?o } }",
]


@pytest.fixture(scope="module")
def issued(accounts_service):
    store, settings = accounts_service.store, accounts_service.settings
    minter = Minter(settings.base)
    person = minter.iri("person", "sofia-marquez").value
    token, info = issue_token(store, settings, person, label="label-only-in-accounts-7c1")
    return {"token": token, "hash": hashlib.sha256(token.encode()).hexdigest(), "accounts": minter.graph("accounts").value,
            "graphs": settings.base + "graph/", "token_iri": minter.iri("token", info.id).value}


@pytest.mark.parametrize("template", SECRETS_QUERIES)
def test_admin_sparql_never_reaches_the_accounts_graph(accounts_service, issued, template):
    query = (template.replace("{accounts}", issued["accounts"])
             .replace("{graphs}", issued["graphs"]).replace("{token}", issued["token_iri"]))
    for extra in ({}, {"named-graph-uri": issued["accounts"]},
                  {"default-graph-uri": issued["accounts"]}):
        response = httpx.get(accounts_service.sparql, params={"query": query, **extra},
                             headers={**ADMIN, "Accept": "application/n-triples, "
                                      "application/sparql-results+json"}, timeout=60)
        assert response.status_code == 200, response.text
        assert issued["hash"] not in response.text
        assert issued["token_iri"] not in response.text
        assert "label-only-in-accounts-7c1" not in response.text


def test_admin_sees_the_rest_of_the_store(accounts_service, issued):
    query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = httpx.get(accounts_service.sparql, params={"query": query},
                         headers={**ADMIN, "Accept": "application/sparql-results+json"})
    named = int(response.json()["results"]["bindings"][0]["n"]["value"])
    assert named == len(accounts_service.store.graphs()) - 1 - ("" in accounts_service.store.graphs())


@pytest.mark.parametrize("update", [
    "DROP ALL",
    "CLEAR ALL",
    "DROP NAMED",
    "DROP GRAPH <{accounts}>",
    "PREFIX g: <{graphs}> CLEAR GRAPH g:accounts",
    "COPY <{accounts}> TO <{graphs}manual/leak>",
    "INSERT { GRAPH <{graphs}manual/leak> { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "INSERT { GRAPH <{graphs}manual/leak> { ?s ?p ?o } } WHERE { G\\u0052APH ?g { ?s ?p ?o } }",
])
def test_updates_that_could_reach_the_accounts_graph_are_refused(accounts_service, issued,
                                                                 update):
    text = update.replace("{accounts}", issued["accounts"]).replace("{graphs}", issued["graphs"])
    before = accounts_service.store.count(None)
    response = httpx.post(accounts_service.sparql, data={"update": text}, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert "nothing was changed" in response.text
    from regiongraph.accounts import principal_for_token

    assert principal_for_token(accounts_service.store, accounts_service.settings,
                               issued["token"]) is not None
    assert accounts_service.store.count(None) == before


def test_graph_store_does_not_show_the_accounts_graph(accounts_service, issued):
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        response = httpx.request(method, accounts_service.url + "/store",
                                 params={"graph": issued["accounts"]}, headers=ADMIN,
                                 content=b"<urn:a> <urn:b> <urn:c> ." if method == "PUT" else None)
        assert response.status_code in (403, 404), (method, response.status_code)
    assert "graph/accounts" not in httpx.get(accounts_service.url + "/store?default",
                                            headers=ADMIN).text


def test_resource_pages_and_stats_do_not_show_secrets(accounts_service, issued):
    from regiongraph.stats import store_stats

    response = httpx.get(issued["token_iri"].replace(accounts_service.settings.base,
                                                     accounts_service.url + "/"),
                         headers={**ADMIN, "Accept": "text/turtle"})
    assert response.status_code == 404
    stats = store_stats(accounts_service.store, accounts_service.settings, include_internal=True)
    assert issued["accounts"] not in stats["graphs"]
    assert not any("ApiToken" in c for c in stats["classes"])


def test_an_update_reading_named_graphs_it_lists_still_runs(accounts_service, issued):
    target = issued["graphs"] + "manual/seen"
    update = (f"INSERT {{ GRAPH <{target}> {{ ?g a <urn:Seen> }} }} "
              "WHERE { GRAPH ?g { ?s ?p ?o } }")
    response = httpx.post(accounts_service.sparql, headers=ADMIN, data={
        "update": update, "using-named-graph-uri": issued["graphs"] + "registry"})
    assert response.status_code == 204, response.text
    built = (f"INSERT {{ GRAPH ?g {{ <urn:a> <urn:b> <urn:c> }} }} WHERE {{ "
             f"BIND(IRI(CONCAT(\"{issued['graphs']}\", \"acc\", \"ounts\")) AS ?g) }}")
    response = httpx.post(accounts_service.sparql, headers=ADMIN, data={"update": built})
    assert response.status_code == 400 and "in a template" in response.text
