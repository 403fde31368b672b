"""Real clients with a personal API token: SPARQLWrapper, rdflib's SPARQLStore, ckanapi."""

import pytest
from ckanapi import RemoteCKAN
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized
from starlette.requests import Request

from regiongraph.accounts import issue_token, revoke_token
from regiongraph.iri import Minter

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"


@pytest.fixture(scope="module")
def tokens(accounts_service):
    store, settings = accounts_service.store, accounts_service.settings
    person = Minter(settings.base).iri("person", "sofia-marquez").value
    live, _ = issue_token(store, settings, person, label="clients")
    dead, info = issue_token(store, settings, person, label="revoked")
    revoke_token(store, settings, person, info.id)
    return {"live": live, "dead": dead, "person": person}


def wrapper(url: str, token: str) -> SPARQLWrapper:
    client = SPARQLWrapper(url)
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    client.addCustomHttpHeader("Authorization", f"Bearer {token}")
    return client


def test_sparqlwrapper_with_a_token_header(accounts_service, tokens):
    answer = wrapper(accounts_service.sparql, tokens["live"]).queryAndConvert()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) > 0
    with pytest.raises(Unauthorized):
        wrapper(accounts_service.sparql, tokens["dead"]).queryAndConvert()


def test_rdflib_sparqlstore_with_headers(accounts_service, tokens):
    store = SPARQLStore(accounts_service.sparql, headers={
        "Authorization": f"Bearer {tokens['live']}"}, returnFormat="json")
    assert int(next(iter(store.query(QUERY)))[0]) > 0
    revoked = SPARQLStore(accounts_service.sparql, headers={
        "Authorization": f"Bearer {tokens['dead']}"}, returnFormat="json")
    with pytest.raises(ValueError) as refused:  # rdflib wraps the HTTP error
        list(revoked.query(QUERY))
    assert "401" in str(refused.value.__context__)


def _request(headers: dict[str, str], app) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/3/action/package_search",
                    "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                    "query_string": b"", "app": app})


def test_ckanapi_apikey_is_a_personal_token(accounts_service, tokens):
    from regiongraph.api.app import create_app
    from regiongraph.api.routes.ckan import ckan_principal

    ckan = RemoteCKAN(accounts_service.url, apikey=tokens["live"])
    try:
        found = ckan.action.package_search(q="", rows=5)
    finally:
        ckan.close()
    assert found["count"] > 0
    # the headers ckanapi sent are the ones CKAN clients send; each resolves the person
    app = create_app(accounts_service.settings, store=accounts_service.store)
    for headers in ({"Authorization": tokens["live"]}, {"X-CKAN-API-Key": tokens["live"]},
                    {"Authorization": f"Bearer {tokens['live']}"}):
        assert ckan_principal(_request(headers, app)).person == tokens["person"]
    assert ckan_principal(_request({"Authorization": tokens["dead"]}, app)).is_anonymous
    steward = ckan_principal(_request({"Authorization": accounts_service.settings.admin_token},
                                      app))
    assert steward.alliance_steward
